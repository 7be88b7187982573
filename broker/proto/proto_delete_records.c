/*
 * DeleteRecords codec (see proto_delete_records.h).
 */
#include "broker/proto/proto_delete_records.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_DeleteRecords(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_DeleteRecordsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "DeleteRecords", version, 0, 1))
        return proto_reader_status(r);
    req->topics_count = proto_reader_array(r, 2 + 4);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++) {
        struct proto_DeleteRecordsTopic *t = &req->topics[i];
        t->name = proto_reader_string(r);
        t->partitions_count = proto_reader_array(r, 4 + 8);
        t->partitions = proto_reader_alloc(r, a, t->partitions_count, sizeof(*t->partitions));
        for (int32_t j = 0; j < t->partitions_count && !proto_reader_failed(r); j++) {
            t->partitions[j].partition_index = proto_reader_i32(r);
            t->partitions[j].offset = proto_reader_i64(r);
        }
    }
    req->timeout_ms = proto_reader_i32(r);
    return proto_reader_status(r);
}

int proto_encode_DeleteRecordsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                       const struct proto_DeleteRecordsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 1))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->topics_count, resp->topics);
    for (int32_t i = 0; i < resp->topics_count && !proto_out_status(o); i++) {
        const struct proto_DeleteRecordsTopicResult *t = &resp->topics[i];
        proto_out_string(o, t->name);
        proto_out_array(o, t->partitions_count, t->partitions);
        for (int32_t j = 0; j < t->partitions_count && !proto_out_status(o); j++) {
            proto_out_i32(o, t->partitions[j].partition_index);
            proto_out_i64(o, t->partitions[j].low_watermark);
            proto_out_i16(o, t->partitions[j].error_code);
        }
    }
    return proto_out_end_response(o);
}
