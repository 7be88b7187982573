/*
 * ListOffsets: the earliest offset (-2), the latest (-1: the high watermark,
 * which is also the last stable offset without transactions), or the first
 * offset whose record timestamp is at or after a given time. v0 answers with
 * an offsets array (latest first); a time with no record after it gives
 * offset -1, as Kafka does.
 *
 * A partition named more than once gets INVALID_REQUEST in every entry, as
 * Kafka answers v1+ (gregor also for v0): each timestamp lookup reads the
 * time index, and repeats would let one small request read it without end.
 *
 * A timestamp lookup never waits for the disk on the loop: when the time
 * index, offset index or batch pages it needs are cold, the request waits
 * while the log reader brings them in, then the whole request is looked up
 * again (req_cold.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/api/dedupe.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/api/req_cold.h"
#include "broker/log/log.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"

struct lo_state {
    struct req_cold cold;                              /* lookups that found cold pages */
    const bool *rep;                                   /* entries whose partition repeats */
    struct proto_ListOffsetsTopicResponse *topics;     /* the answer, arena-owned */
    struct proto_ListOffsetsPartitionResponse **parts; /* each topic's entries there */
};

static void one(struct request *req, struct req_cold *cold, struct proto_str topic,
                const struct proto_ListOffsetsPartition *lp,
                struct proto_ListOffsetsPartitionResponse *o, bool v0)
{
    int16_t err;
    o->partition_index = lp->partition_index;
    o->timestamp = -1;
    o->offset = -1;
    o->leader_epoch = -1;
    struct partition *p =
        req_leader(req, req_tp(topic, lp->partition_index), lp->current_leader_epoch, &err);
    if (!p) {
        o->error_code = err;
        return;
    }
    struct log *l = p->log;
    o->leader_epoch = p->leader_epoch;
    int64_t hw = partition_high_watermark(p);
    if (lp->timestamp == -2) {
        o->offset = l->log_start_offset;
    } else if (lp->timestamp == -1) {
        o->offset = hw;
    } else if (lp->timestamp < 0) {
        o->error_code = PROTO_ERR_INVALID_REQUEST;
        return;
    } else {
        int64_t off, ts;
        struct log_cold c;
        int rc = log_find_offset_by_timestamp_cached(l, lp->timestamp, &off, &ts,
                                                     req_cold_slot(cold, &c));
        if (rc == GR_E_AGAIN) {
            req_cold_add(cold, &c); /* looked up again once it is in memory */
            return;
        }
        if (rc < 0) {
            o->error_code = errmap_kafka(rc);
            return;
        }
        /* Records past the high watermark are not visible yet. */
        if (rc == 1 && off < hw) {
            o->offset = off;
            o->timestamp = ts;
        }
    }
    if (v0) {
        /* v0: up to max_num_offsets offsets, newest first; for -1 Kafka adds
         * the log start after the log end when both fit. */
        int64_t *offs = arena_calloc(&req->arena, 2, sizeof(int64_t));
        if (!offs) {
            o->error_code = PROTO_ERR_UNKNOWN_SERVER_ERROR;
            return;
        }
        int n = 0;
        if (lp->max_num_offsets > 0 && o->offset >= 0)
            offs[n++] = o->offset;
        if (lp->timestamp == -1 && lp->max_num_offsets > 1 && l->log_start_offset != o->offset)
            offs[n++] = l->log_start_offset;
        o->old_style_offsets = offs;
        o->old_style_offsets_count = n;
    }
}

struct flat {
    const struct proto_ListOffsetsTopic *t; /* the topic of entry i */
    int32_t k;                              /* and its partition's index there */
};

static void entry_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    const struct flat *f = &((const struct flat *)ctx)[i];
    *name = f->t->name;
    *num = f->t->partitions[f->k].partition_index;
}

/* For each entry (in request order), whether its partition is named more
 * than once: arena array, NULL when out of memory. */
static bool *repeated(struct request *req, const struct proto_ListOffsetsRequest *r)
{
    int32_t n = 0;
    for (int32_t t = 0; t < r->topics_count; t++)
        n += r->topics[t].partitions_count;
    struct flat *all = arena_alloc(&req->arena, ((size_t)n + 1) * sizeof(*all));
    bool *rep = arena_calloc(&req->arena, (size_t)n + 1, sizeof(bool));
    if (!all || !rep)
        return NULL;
    int32_t i = 0;
    for (int32_t t = 0; t < r->topics_count; t++)
        for (int32_t k = 0; k < r->topics[t].partitions_count; k++)
            all[i++] = (struct flat){&r->topics[t], k};
    const int32_t *first = dedupe_first(&req->arena, n, entry_key, all);
    if (!first)
        return NULL;
    for (i = 0; i < n; i++)
        if (first[i] != i)
            rep[i] = rep[first[i]] = true;
    return rep;
}

/* Answers every entry, or, when lookups found cold pages, comes back here
 * once they are read. */
static void look(struct req_cold *cold)
{
    struct lo_state *st = (struct lo_state *)((char *)cold - offsetof(struct lo_state, cold));
    struct request *req = cold->req;
    const struct proto_ListOffsetsRequest *r = req->body;
    bool v0 = req->hdr.request_api_version == 0;
    int32_t e = 0;
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_ListOffsetsTopic *lt = &r->topics[t];
        struct proto_ListOffsetsPartitionResponse *parts = st->parts[t];
        for (int32_t i = 0; i < lt->partitions_count; i++, e++) {
            if (st->rep[e]) {
                /* Kafka answers every entry of a repeated partition so. */
                parts[i] = (struct proto_ListOffsetsPartitionResponse){
                    .partition_index = lt->partitions[i].partition_index,
                    .error_code = PROTO_ERR_INVALID_REQUEST,
                    .timestamp = -1,
                    .offset = -1,
                    .leader_epoch = -1};
                continue;
            }
            one(req, cold, lt->name, &lt->partitions[i], &parts[i], v0);
        }
    }
    if (req_cold_wait(cold))
        return;
    struct proto_ListOffsetsResponse resp = {.topics_count = r->topics_count, .topics = st->topics};
    req_respond(req, ListOffsets, &resp);
}

void handle_ListOffsets(struct request *req)
{
    const struct proto_ListOffsetsRequest *r = req->body;
    struct lo_state *st = arena_calloc(&req->arena, 1, sizeof(*st));
    struct proto_ListOffsetsTopicResponse *topics =
        arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*topics));
    struct proto_ListOffsetsPartitionResponse **all =
        arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*all));
    const bool *rep = repeated(req, r);
    if (!st || !topics || !all || !rep) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_ListOffsetsTopic *lt = &r->topics[t];
        struct proto_ListOffsetsPartitionResponse *parts =
            arena_calloc(&req->arena, (size_t)lt->partitions_count + 1, sizeof(*parts));
        if (!parts) {
            request_fail(req, "out of memory");
            return;
        }
        topics[t].name = lt->name;
        topics[t].partitions = all[t] = parts;
        topics[t].partitions_count = lt->partitions_count;
    }
    st->rep = rep;
    st->parts = all;
    st->topics = topics;
    req_cold_init(&st->cold, req, look);
    look(&st->cold);
}
