/*
 * ListOffsets codec (see proto_list_offsets.h).
 */
#include "broker/proto/proto_list_offsets.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_ListOffsets(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_ListOffsetsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "ListOffsets", version, 0, 5))
        return proto_reader_status(r);
    req->replica_id = proto_reader_i32(r);
    if (version >= 2)
        req->isolation_level = proto_reader_i8(r);
    /* Smallest partition: index and timestamp, plus max_num_offsets in v0 and
     * current_leader_epoch from v4. */
    size_t min_partition = 4 + 8 + (version == 0 ? 4 : 0) + (version >= 4 ? 4 : 0);
    req->topics_count = proto_reader_array(r, 2 + 4);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++) {
        struct proto_ListOffsetsTopic *t = &req->topics[i];
        t->name = proto_reader_string(r);
        t->partitions_count = proto_reader_array(r, min_partition);
        t->partitions = proto_reader_alloc(r, a, t->partitions_count, sizeof(*t->partitions));
        for (int32_t j = 0; j < t->partitions_count && !proto_reader_failed(r); j++) {
            struct proto_ListOffsetsPartition *p = &t->partitions[j];
            p->partition_index = proto_reader_i32(r);
            p->current_leader_epoch = version >= 4 ? proto_reader_i32(r) : -1;
            p->timestamp = proto_reader_i64(r);
            p->max_num_offsets = version == 0 ? proto_reader_i32(r) : 1;
        }
    }
    return proto_reader_status(r);
}

static void encode_partition(struct proto_out *o, int16_t version,
                             const struct proto_ListOffsetsPartitionResponse *p)
{
    proto_out_i32(o, p->partition_index);
    proto_out_i16(o, p->error_code);
    if (version == 0) {
        proto_out_array(o, p->old_style_offsets_count, p->old_style_offsets);
        for (int32_t i = 0; i < p->old_style_offsets_count && !proto_out_status(o); i++)
            proto_out_i64(o, p->old_style_offsets[i]);
        return;
    }
    proto_out_i64(o, p->timestamp);
    proto_out_i64(o, p->offset);
    if (version >= 4)
        proto_out_i32(o, p->leader_epoch);
}

int proto_encode_ListOffsetsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                     const struct proto_ListOffsetsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 5))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    if (version >= 2)
        proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->topics_count, resp->topics);
    for (int32_t i = 0; i < resp->topics_count && !proto_out_status(o); i++) {
        const struct proto_ListOffsetsTopicResponse *t = &resp->topics[i];
        proto_out_string(o, t->name);
        proto_out_array(o, t->partitions_count, t->partitions);
        for (int32_t j = 0; j < t->partitions_count && !proto_out_status(o); j++)
            encode_partition(o, version, &t->partitions[j]);
    }
    return proto_out_end_response(o);
}
