/*
 * Fetch: read each partition from the requested offset, bounded by the
 * partition and response byte limits, and answer with the segment file
 * ranges (sent with sendfile). Consumers read up to the high watermark,
 * followers (replica_id >= 0) up to the log end.
 *
 * Long polling: when fewer than min_bytes are available and max_wait_ms > 0,
 * the request becomes a delayed operation watching the DELAY_DATA key of
 * each partition it reads. An append to one of them re-reads only that
 * partition (how many bytes it has for us now) and answers once the sum
 * reaches min_bytes; the deadline answers with whatever is there. Byte
 * limits follow
 * KIP-74: the first batch of the first partition with data is returned whole
 * even if larger than the limits, so a consumer can always make progress.
 *
 * Fetch sessions (KIP-227) are not offered: every answer carries session id
 * 0, which tells clients to keep sending full requests.
 */
#define LOG_COMPONENT "fetch"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/log/log.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"
#include "common/err.h"
#include "common/logger.h"

/* One requested partition, for the delayed fetch. */
struct fetch_part {
    int32_t t, i;            /* where it is in the request: topics[t].partitions[i] */
    int64_t avail;           /* bytes it had for us at the last look */
    struct delay_watch watch; /* on its DELAY_DATA key, when hosted */
};

struct fetch_state {
    struct request *req;                             /* the request */
    struct proto_FetchableTopicResponse *topics;     /* response, arena-owned */
    struct proto_FetchablePartitionResponse **parts; /* per topic, arena-owned */
    struct fetch_part *fp;                           /* per requested partition, while parked */
    int64_t avail;                                   /* sum of fp[].avail */
    struct req_wait wait;                            /* parked as a delayed operation */
};

/* Drops the file references of an attempt that will not be sent. */
static void release_reads(struct fetch_state *st)
{
    const struct proto_FetchRequest *r = st->req->body;
    for (int32_t t = 0; t < r->topics_count; t++)
        for (int32_t i = 0; i < r->topics[t].partitions_count; i++) {
            struct proto_records *rs = &st->parts[t][i].record_set;
            if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
                rs->file.release(rs->file.owner);
            rs->kind = PROTO_RECORDS_MEM;
            rs->file.owner = NULL;
        }
}

/* Reads every partition once. Returns the bytes found; *errors counts
 * partitions answered with an error. */
static int64_t read_all(struct fetch_state *st, int *errors)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    bool follower = r->replica_id >= 0;
    /* The response limit is the client's, capped by fetch.max.bytes and,
     * for consumers, by gregor.fetch.response.max.bytes. A consumer that
     * asks for 50 MB across many partitions otherwise waits for all of it
     * before it parses any, and librdkafka stops fetching while its queue
     * holds that much: receiving and consuming take turns instead of
     * overlapping (W2 in docs/BENCHMARKS.md: 1 MiB responses read 2 M
     * records about 2.5x faster than 55 MB ones). Returning less than
     * asked is always allowed: the client fetches again from where the
     * data stopped, and the first batch is returned whatever its size. */
    int64_t total = 0, limit = r->max_bytes > 0 ? r->max_bytes : 0;
    if (limit > req->b->cfg->fetch_max_bytes)
        limit = req->b->cfg->fetch_max_bytes;
    if (!follower && limit > req->b->cfg->fetch_response_max_bytes)
        limit = req->b->cfg->fetch_response_max_bytes;
    *errors = 0;
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_FetchTopic *ft = &r->topics[t];
        for (int32_t i = 0; i < ft->partitions_count; i++) {
            const struct proto_FetchPartition *fp = &ft->partitions[i];
            struct proto_FetchablePartitionResponse *o = &st->parts[t][i];
            memset(o, 0, sizeof(*o));
            o->partition = fp->partition;
            o->high_watermark = o->last_stable_offset = o->log_start_offset = -1;
            o->preferred_read_replica = -1;
            int16_t err;
            struct partition *p = req_leader(req, req_tp(ft->topic, fp->partition),
                                             fp->current_leader_epoch, &err);
            if (!p) {
                o->error_code = err;
                (*errors)++;
                continue;
            }
            struct log *l = p->log;
            int64_t hw = partition_high_watermark(p);
            o->high_watermark = hw;
            o->last_stable_offset = hw;
            o->log_start_offset = l->log_start_offset;
            int64_t room = limit - total;
            int32_t max = fp->partition_max_bytes;
            if (room < max)
                max = room > 0 ? (int32_t)room : 0;
            struct log_read_result res;
            int rc = log_read(l, fp->fetch_offset, max, follower ? log_end_offset(l) : hw,
                              total == 0, &res);
            if (rc) {
                o->error_code = errmap_kafka(rc);
                (*errors)++;
                continue;
            }
            if (res.length > 0) {
                o->record_set.kind = PROTO_RECORDS_FILE;
                o->record_set.file = (struct proto_out_file){res.file->fd, res.position,
                                                             res.length, res.file,
                                                             log_file_unref};
                total += res.length;
            }
        }
    }
    return total;
}

static void respond(struct fetch_state *st)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    struct proto_FetchResponse resp = {
        .error_code = PROTO_ERR_NONE, .responses_count = r->topics_count, .responses = st->topics};
    req_respond(req, Fetch, &resp);
}

/* How many bytes p has for requested partition k now (0 on any error:
 * ready() then answers, and the answer carries the error). */
static int64_t available(struct fetch_state *st, const struct fetch_part *k, struct partition *p)
{
    const struct proto_FetchRequest *r = st->req->body;
    const struct proto_FetchPartition *fp = &r->topics[k->t].partitions[k->i];
    struct log_read_result res;
    int64_t hw = partition_high_watermark(p);
    if (log_read(p->log, fp->fetch_offset, fp->partition_max_bytes,
                 r->replica_id >= 0 ? log_end_offset(p->log) : hw, true, &res))
        return 0;
    if (res.file)
        log_file_unref(res.file);
    return res.length;
}

/* An append or a role change on one watched partition: look at that
 * partition only. */
static bool data_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct fetch_state *st = (struct fetch_state *)((char *)op - offsetof(struct fetch_state, wait.op));
    const struct proto_FetchRequest *r = st->req->body;
    struct partition *p = arg;
    struct fetch_part *k = &st->fp[w->tag];
    const struct proto_FetchPartition *fp = &r->topics[k->t].partitions[k->i];
    if (p->going || !p->leader ||
        (fp->current_leader_epoch >= 0 && fp->current_leader_epoch != p->leader_epoch))
        return true; /* the answer says why */
    int64_t now = available(st, k, p);
    st->avail += now - k->avail;
    k->avail = now;
    return st->avail >= r->min_bytes;
}

static void data_complete(struct delay_op *op, bool timed_out)
{
    struct fetch_state *st = (struct fetch_state *)((char *)op - offsetof(struct fetch_state, wait.op));
    struct request *req = st->req;
    int errors;
    (void)timed_out;
    req_wait_end(&st->wait);
    read_all(st, &errors);
    respond(st);
    request_unref(req);
}

/* Parks the request until min_bytes are there or max_wait_ms passes.
 * Returns 0 or GR_E_NOMEM. */
static int park(struct fetch_state *st, int32_t nparts)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    st->fp = arena_calloc(&req->arena, (size_t)nparts, sizeof(*st->fp));
    if (!st->fp)
        return GR_E_NOMEM;
    delay_op_init(&st->wait.op, data_ready, data_complete);
    size_t n = 0;
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_FetchTopic *ft = &r->topics[t];
        for (int32_t i = 0; i < ft->partitions_count; i++, n++) {
            struct fetch_part *k = &st->fp[n];
            k->t = t;
            k->i = i;
            struct partition *p = partition_get(req->b, req_tp(ft->topic, ft->partitions[i].partition));
            if (!p)
                continue;
            k->avail = available(st, k, p);
            st->avail += k->avail;
            if (delay_watch(req->b->delay, &st->wait.op, &k->watch,
                            partition_key(p, DELAY_DATA), n)) {
                delay_cancel(req->b->delay, &st->wait.op);
                return GR_E_NOMEM;
            }
        }
    }
    req_wait_start(req, &st->wait, r->max_wait_ms);
    return 0;
}

void handle_Fetch(struct request *req)
{
    const struct proto_FetchRequest *r = req->body;
    struct fetch_state *st = arena_alloc(&req->arena, sizeof(*st));
    int32_t nparts = 0;
    if (st) {
        st->req = req;
        st->topics = arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*st->topics));
        st->parts = arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*st->parts));
    }
    if (!st || !st->topics || !st->parts) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_FetchTopic *ft = &r->topics[t];
        st->parts[t] = arena_calloc(&req->arena, (size_t)ft->partitions_count + 1,
                                    sizeof(*st->parts[t]));
        if (!st->parts[t]) {
            request_fail(req, "out of memory");
            return;
        }
        st->topics[t].topic = ft->topic;
        st->topics[t].partition_responses = st->parts[t];
        st->topics[t].partition_responses_count = ft->partitions_count;
        nparts += ft->partitions_count;
    }
    if (r->session_id != 0) {
        /* gregor hands out no session ids, so a client naming one is
         * asking for a session we do not have. */
        struct proto_FetchResponse resp = {.error_code = PROTO_ERR_FETCH_SESSION_ID_NOT_FOUND};
        req_respond(req, Fetch, &resp);
        return;
    }
    int errors;
    int64_t bytes = read_all(st, &errors);
    if (bytes >= r->min_bytes || r->max_wait_ms <= 0 || errors || nparts == 0) {
        respond(st);
        return;
    }
    /* Park until data arrives or max_wait_ms passes. */
    release_reads(st);
    if (park(st, nparts))
        request_fail(req, "out of memory");
}
