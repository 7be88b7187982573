/*
 * CreateTopics codec (see proto_create_topics.h).
 */
#include "broker/proto/proto_create_topics.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

static void decode_topic(struct proto_reader *r, struct arena *a, struct proto_CreatableTopic *t)
{
    t->name = proto_reader_string(r);
    t->num_partitions = proto_reader_i32(r);
    t->replication_factor = proto_reader_i16(r);
    /* An assignment: partition index (4) and a broker count (4). */
    t->assignments_count = proto_reader_array(r, 4 + 4);
    t->assignments = proto_reader_alloc(r, a, t->assignments_count, sizeof(*t->assignments));
    for (int32_t i = 0; i < t->assignments_count && !proto_reader_failed(r); i++) {
        struct proto_CreatableReplicaAssignment *as = &t->assignments[i];
        as->partition_index = proto_reader_i32(r);
        as->broker_ids = proto_reader_i32_array(r, a, &as->broker_ids_count);
    }
    /* A config: two string lengths. */
    t->configs_count = proto_reader_array(r, 2 + 2);
    t->configs = proto_reader_alloc(r, a, t->configs_count, sizeof(*t->configs));
    for (int32_t i = 0; i < t->configs_count && !proto_reader_failed(r); i++) {
        t->configs[i].name = proto_reader_string(r);
        t->configs[i].value = proto_reader_nullable_string(r);
    }
}

int proto_decode_CreateTopics(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_CreateTopicsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "CreateTopics", version, 0, 4))
        return proto_reader_status(r);
    /* A topic: name (2), num_partitions (4), replication_factor (2) and two
     * array counts (4 + 4). */
    req->topics_count = proto_reader_array(r, 2 + 4 + 2 + 4 + 4);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++)
        decode_topic(r, a, &req->topics[i]);
    req->timeout_ms = proto_reader_i32(r);
    if (version >= 1)
        req->validate_only = proto_reader_bool(r);
    return proto_reader_status(r);
}

int proto_encode_CreateTopicsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                      const struct proto_CreateTopicsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 4))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    if (version >= 2)
        proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->topics_count, resp->topics);
    for (int32_t i = 0; i < resp->topics_count && !proto_out_status(o); i++) {
        const struct proto_CreatableTopicResult *t = &resp->topics[i];
        proto_out_string(o, t->name);
        proto_out_i16(o, t->error_code);
        if (version >= 1)
            proto_out_nullable_string(o, t->error_message);
    }
    return proto_out_end_response(o);
}
