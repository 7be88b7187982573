/*
 * Metadata codec (see proto_metadata.h).
 */
#include "broker/proto/proto_metadata.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_Metadata(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_MetadataRequest *req = out;
    memset(req, 0, sizeof(*req));
    req->allow_auto_topic_creation = true;
    if (!proto_codec_decode_version(r, "Metadata", version, 0, 8))
        return proto_reader_status(r);
    /* Topic: a string (at least its 2-byte length). */
    if (version >= 1)
        req->topics_count = proto_reader_nullable_array(r, 2);
    else
        req->topics_count = proto_reader_array(r, 2);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++)
        req->topics[i].name = proto_reader_string(r);
    if (version >= 4)
        req->allow_auto_topic_creation = proto_reader_bool(r);
    if (version >= 8) {
        req->include_cluster_authorized_operations = proto_reader_bool(r);
        req->include_topic_authorized_operations = proto_reader_bool(r);
    }
    return proto_reader_status(r);
}

static void encode_partition(struct proto_out *o, int16_t version,
                             const struct proto_MetadataResponsePartition *p)
{
    proto_out_i16(o, p->error_code);
    proto_out_i32(o, p->partition_index);
    proto_out_i32(o, p->leader_id);
    if (version >= 7)
        proto_out_i32(o, p->leader_epoch);
    proto_out_i32_array(o, p->replica_nodes_count, p->replica_nodes);
    proto_out_i32_array(o, p->isr_nodes_count, p->isr_nodes);
    if (version >= 5)
        proto_out_i32_array(o, p->offline_replicas_count, p->offline_replicas);
}

static void encode_topic(struct proto_out *o, int16_t version,
                         const struct proto_MetadataResponseTopic *t)
{
    proto_out_i16(o, t->error_code);
    proto_out_string(o, t->name);
    if (version >= 1)
        proto_out_bool(o, t->is_internal);
    proto_out_array(o, t->partitions_count, t->partitions);
    for (int32_t i = 0; i < t->partitions_count && !proto_out_status(o); i++)
        encode_partition(o, version, &t->partitions[i]);
    if (version >= 8)
        proto_out_i32(o, t->topic_authorized_operations);
}

int proto_encode_MetadataResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                  const struct proto_MetadataResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 8))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    if (version >= 3)
        proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->brokers_count, resp->brokers);
    for (int32_t i = 0; i < resp->brokers_count && !proto_out_status(o); i++) {
        const struct proto_MetadataResponseBroker *b = &resp->brokers[i];
        proto_out_i32(o, b->node_id);
        proto_out_string(o, b->host);
        proto_out_i32(o, b->port);
        if (version >= 1)
            proto_out_nullable_string(o, b->rack);
    }
    if (version >= 2)
        proto_out_nullable_string(o, resp->cluster_id);
    if (version >= 1)
        proto_out_i32(o, resp->controller_id);
    proto_out_array(o, resp->topics_count, resp->topics);
    for (int32_t i = 0; i < resp->topics_count && !proto_out_status(o); i++)
        encode_topic(o, version, &resp->topics[i]);
    if (version >= 8)
        proto_out_i32(o, resp->cluster_authorized_operations);
    return proto_out_end_response(o);
}
