/*
 * CreatePartitions codec (see proto_create_partitions.h).
 */
#include "broker/proto/proto_create_partitions.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_CreatePartitions(struct proto_reader *r, int16_t version, struct arena *a,
                                  void *out)
{
    struct proto_CreatePartitionsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "CreatePartitions", version, 0, 1))
        return proto_reader_status(r);
    /* A topic: name length (2), count (4), assignment count (4). */
    req->topics_count = proto_reader_array(r, 2 + 4 + 4);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++) {
        struct proto_CreatePartitionsTopic *t = &req->topics[i];
        t->name = proto_reader_string(r);
        t->count = proto_reader_i32(r);
        t->assignments_count = proto_reader_nullable_array(r, 4);
        t->assignments = proto_reader_alloc(r, a, t->assignments_count, sizeof(*t->assignments));
        for (int32_t j = 0; j < t->assignments_count && !proto_reader_failed(r); j++) {
            struct proto_CreatePartitionsAssignment *as = &t->assignments[j];
            as->broker_ids = proto_reader_i32_array(r, a, &as->broker_ids_count);
        }
    }
    req->timeout_ms = proto_reader_i32(r);
    req->validate_only = proto_reader_bool(r);
    return proto_reader_status(r);
}

int proto_encode_CreatePartitionsResponse(struct proto_out *o, int16_t version,
                                          int32_t correlation_id,
                                          const struct proto_CreatePartitionsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 1))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->results_count, resp->results);
    for (int32_t i = 0; i < resp->results_count && !proto_out_status(o); i++) {
        proto_out_string(o, resp->results[i].name);
        proto_out_i16(o, resp->results[i].error_code);
        proto_out_nullable_string(o, resp->results[i].error_message);
    }
    return proto_out_end_response(o);
}
