/*
 * Fetch codec (see proto_fetch.h).
 *
 * The encoder keeps walking after a failure (writes to a failed out are
 * no-ops) so that every file range reaches proto_out_add_file(), which
 * releases it at once when the out has failed: that is how "always takes
 * ownership" holds without a second bookkeeping pass.
 */
#include "broker/proto/proto_fetch.h"

#include <stdbool.h>
#include <string.h>

#include "broker/proto/proto_codec.h"

static void decode_partition(struct proto_reader *r, int16_t version,
                             struct proto_FetchPartition *p)
{
    p->partition = proto_reader_i32(r);
    p->current_leader_epoch = version >= 9 ? proto_reader_i32(r) : -1;
    p->fetch_offset = proto_reader_i64(r);
    p->log_start_offset = version >= 5 ? proto_reader_i64(r) : -1;
    p->partition_max_bytes = proto_reader_i32(r);
}

int proto_decode_Fetch(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_FetchRequest *req = out;
    memset(req, 0, sizeof(*req));
    req->session_epoch = -1;
    req->rack_id = (struct proto_str){"", 0};
    if (!proto_codec_decode_version(r, "Fetch", version, 4, 11))
        return proto_reader_status(r);
    req->replica_id = proto_reader_i32(r);
    req->max_wait_ms = proto_reader_i32(r);
    req->min_bytes = proto_reader_i32(r);
    req->max_bytes = proto_reader_i32(r);
    req->isolation_level = proto_reader_i8(r);
    if (version >= 7) {
        req->session_id = proto_reader_i32(r);
        req->session_epoch = proto_reader_i32(r);
    }
    /* Smallest partition: partition, fetch_offset, partition_max_bytes, plus
     * log_start_offset from v5 and current_leader_epoch from v9. */
    size_t min_partition = 4 + 8 + 4 + (version >= 5 ? 8 : 0) + (version >= 9 ? 4 : 0);
    req->topics_count = proto_reader_array(r, 2 + 4);
    req->topics = proto_reader_alloc(r, a, req->topics_count, sizeof(*req->topics));
    for (int32_t i = 0; i < req->topics_count && !proto_reader_failed(r); i++) {
        struct proto_FetchTopic *t = &req->topics[i];
        t->topic = proto_reader_string(r);
        t->partitions_count = proto_reader_array(r, min_partition);
        t->partitions = proto_reader_alloc(r, a, t->partitions_count, sizeof(*t->partitions));
        for (int32_t j = 0; j < t->partitions_count && !proto_reader_failed(r); j++)
            decode_partition(r, version, &t->partitions[j]);
    }
    if (version >= 7) {
        req->forgotten_topics_data_count = proto_reader_array(r, 2 + 4);
        req->forgotten_topics_data = proto_reader_alloc(r, a, req->forgotten_topics_data_count,
                                                        sizeof(*req->forgotten_topics_data));
        for (int32_t i = 0; i < req->forgotten_topics_data_count && !proto_reader_failed(r); i++) {
            struct proto_ForgottenTopic *t = &req->forgotten_topics_data[i];
            t->topic = proto_reader_string(r);
            t->partitions = proto_reader_i32_array(r, a, &t->partitions_count);
        }
    }
    if (version >= 11)
        req->rack_id = proto_reader_string(r);
    return proto_reader_status(r);
}

/* True if an array the caller gave can be walked (count >= 0, items present). */
static bool walkable(int32_t count, const void *items)
{
    return count >= 0 && (count == 0 || items);
}

static void encode_records(struct proto_out *o, const struct proto_records *rs)
{
    switch (rs->kind) {
    case PROTO_RECORDS_MEM:
        if (rs->mem.len < 0 || (rs->mem.len > 0 && !rs->mem.ptr)) {
            proto_out_fail(o, GR_E_INVALID);
            return;
        }
        /* Written as bytes, not nullable: a NULL ptr here means empty. */
        proto_out_i32(o, rs->mem.len);
        if (rs->mem.len > 0)
            buf_append(&o->buf, rs->mem.ptr, (size_t)rs->mem.len);
        return;
    case PROTO_RECORDS_FILE:
        proto_out_i32(o, rs->file.len);
        proto_out_add_file(o, &rs->file);
        return;
    case PROTO_RECORDS_NULL: proto_out_i32(o, -1); return;
    }
    proto_out_fail(o, GR_E_INVALID);
}

static void encode_partition(struct proto_out *o, int16_t version,
                             const struct proto_FetchablePartitionResponse *p)
{
    proto_out_i32(o, p->partition);
    proto_out_i16(o, p->error_code);
    proto_out_i64(o, p->high_watermark);
    proto_out_i64(o, p->last_stable_offset); /* v4+ */
    if (version >= 5)
        proto_out_i64(o, p->log_start_offset);
    proto_out_i32(o, 0); /* aborted_transactions (v4+): none, see proto_fetch.h */
    if (version >= 11)
        proto_out_i32(o, p->preferred_read_replica);
    encode_records(o, &p->record_set);
}

/* Releases every file range in resp: for a call that fails before walking it. */
static void release_all(const struct proto_FetchResponse *resp)
{
    if (!walkable(resp->responses_count, resp->responses))
        return;
    for (int32_t i = 0; i < resp->responses_count; i++) {
        const struct proto_FetchableTopicResponse *t = &resp->responses[i];
        if (!walkable(t->partition_responses_count, t->partition_responses))
            continue;
        for (int32_t j = 0; j < t->partition_responses_count; j++) {
            const struct proto_records *rs = &t->partition_responses[j].record_set;
            if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
                rs->file.release(rs->file.owner);
        }
    }
}

int proto_encode_FetchResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                               const struct proto_FetchResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 4, 11)) {
        release_all(resp);
        return proto_out_status(o);
    }
    proto_out_begin_response(o, correlation_id);
    proto_out_i32(o, resp->throttle_time_ms);
    if (version >= 7) {
        proto_out_i16(o, resp->error_code);
        proto_out_i32(o, resp->session_id);
    }
    proto_out_array(o, resp->responses_count, resp->responses);
    if (walkable(resp->responses_count, resp->responses)) {
        for (int32_t i = 0; i < resp->responses_count; i++) {
            const struct proto_FetchableTopicResponse *t = &resp->responses[i];
            proto_out_string(o, t->topic);
            proto_out_array(o, t->partition_responses_count, t->partition_responses);
            if (!walkable(t->partition_responses_count, t->partition_responses))
                continue;
            for (int32_t j = 0; j < t->partition_responses_count; j++)
                encode_partition(o, version, &t->partition_responses[j]);
        }
    }
    return proto_out_end_response(o);
}
