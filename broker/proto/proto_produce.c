/*
 * Produce codec (see proto_produce.h).
 */
#include "broker/proto/proto_produce.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_Produce(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_ProduceRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "Produce", version, 3, 7))
        return proto_reader_status(r);
    req->transactional_id = proto_reader_nullable_string(r);
    req->acks = proto_reader_i16(r);
    req->timeout_ms = proto_reader_i32(r);
    /* A topic is at least a name length (2) and a partition count (4). */
    req->topic_data_count = proto_reader_array(r, 2 + 4);
    req->topic_data = proto_reader_alloc(r, a, req->topic_data_count, sizeof(*req->topic_data));
    for (int32_t i = 0; i < req->topic_data_count && !proto_reader_failed(r); i++) {
        struct proto_TopicProduceData *t = &req->topic_data[i];
        t->name = proto_reader_string(r);
        /* A partition is an index (4) and a records length (4). */
        t->partition_data_count = proto_reader_array(r, 4 + 4);
        t->partition_data =
            proto_reader_alloc(r, a, t->partition_data_count, sizeof(*t->partition_data));
        for (int32_t j = 0; j < t->partition_data_count && !proto_reader_failed(r); j++) {
            t->partition_data[j].index = proto_reader_i32(r);
            t->partition_data[j].records = proto_reader_nullable_bytes(r);
        }
    }
    return proto_reader_status(r);
}

int proto_encode_ProduceResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                 const struct proto_ProduceResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 3, 7))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    proto_out_array(o, resp->responses_count, resp->responses);
    for (int32_t i = 0; i < resp->responses_count && !proto_out_status(o); i++) {
        const struct proto_TopicProduceResponse *t = &resp->responses[i];
        proto_out_string(o, t->name);
        proto_out_array(o, t->partition_responses_count, t->partition_responses);
        for (int32_t j = 0; j < t->partition_responses_count && !proto_out_status(o); j++) {
            const struct proto_PartitionProduceResponse *p = &t->partition_responses[j];
            proto_out_i32(o, p->index);
            proto_out_i16(o, p->error_code);
            proto_out_i64(o, p->base_offset);
            proto_out_i64(o, p->log_append_time_ms); /* v2+, so in every version here */
            if (version >= 5)
                proto_out_i64(o, p->log_start_offset);
        }
    }
    proto_out_i32(o, resp->throttle_time_ms);
    return proto_out_end_response(o);
}
