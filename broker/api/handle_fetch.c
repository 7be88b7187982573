/*
 * Fetch: read each partition from the requested offset, bounded by the
 * partition and response byte limits, and answer with the segment file
 * ranges (sent with sendfile). Consumers read up to the high watermark,
 * followers (replica_id >= 0) up to the log end.
 *
 * Long polling: when fewer than min_bytes are available and max_wait_ms > 0,
 * the request waits on each partition it reads; any append wakes it to read
 * again, and the timer answers with whatever is there. Byte limits follow
 * KIP-74: the first batch of the first partition with data is returned whole
 * even if larger than the limits, so a consumer can always make progress.
 *
 * Fetch sessions (KIP-227) are not offered: every answer carries session id
 * 0, which tells clients to keep sending full requests.
 */
#define LOG_COMPONENT "fetch"
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/log/log.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_fetch.h"
#include "broker/net/request.h"
#include "common/logger.h"

struct fetch_wait {
    struct partition_waiter w; /* on the partition's data list */
    struct fetch_state *st;    /* the request's state */
};

struct fetch_state {
    struct request *req;                             /* referenced while waiting */
    struct proto_FetchableTopicResponse *topics;     /* response, arena-owned */
    struct proto_FetchablePartitionResponse **parts; /* per topic, arena-owned */
    struct fetch_wait *waits;                        /* one per requested partition */
    int nwaits;                                      /* waits registered */
    ev_timer timer;                                  /* max_wait_ms */
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
        char *topic = req_cstr(req, ft->topic);
        for (int32_t i = 0; i < ft->partitions_count; i++) {
            const struct proto_FetchPartition *fp = &ft->partitions[i];
            struct proto_FetchablePartitionResponse *o = &st->parts[t][i];
            memset(o, 0, sizeof(*o));
            o->partition = fp->partition;
            o->high_watermark = o->last_stable_offset = o->log_start_offset = -1;
            o->preferred_read_replica = -1;
            int16_t err;
            struct partition *p = topic ? req_leader(req, topic, fp->partition,
                                                     fp->current_leader_epoch, &err)
                                        : NULL;
            if (!p) {
                o->error_code = topic ? err : PROTO_ERR_UNKNOWN_SERVER_ERROR;
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
    struct proto_FetchResponse resp = {0, PROTO_ERR_NONE, 0, r->topics_count, st->topics};
    if (proto_encode_FetchResponse(&req->out, req->hdr.request_api_version,
                                   req->hdr.correlation_id, &resp))
        request_fail(req, "cannot encode Fetch");
    else
        request_respond(req);
}

static void stop_waiting(struct fetch_state *st)
{
    for (int i = 0; i < st->nwaits; i++)
        partition_unwait(&st->waits[i].w);
    st->nwaits = 0;
    ev_timer_stop(st->req->b->loop, &st->timer);
    st->req->cancel = NULL;
}

static void finish_waiting(struct fetch_state *st)
{
    int errors;
    stop_waiting(st);
    read_all(st, &errors);
    respond(st);
    request_unref(st->req);
}

static void data_wake(struct partition_waiter *w, struct partition *p)
{
    struct fetch_state *st = ((struct fetch_wait *)w)->st;
    const struct proto_FetchRequest *r = st->req->body;
    int errors;
    int64_t bytes = read_all(st, &errors);
    if (bytes >= r->min_bytes || errors) {
        struct request *req = st->req;
        stop_waiting(st);
        respond(st);
        request_unref(req);
        return;
    }
    /* Not enough yet: wait on this partition again. */
    release_reads(st);
    if (!p->going)
        partition_wait(p, w, false);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    finish_waiting(t->data);
}

static void cancel(struct request *req)
{
    stop_waiting(req->hstate);
    request_unref(req);
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
        struct proto_FetchResponse resp = {0, PROTO_ERR_FETCH_SESSION_ID_NOT_FOUND, 0, 0, NULL};
        if (proto_encode_FetchResponse(&req->out, req->hdr.request_api_version,
                                       req->hdr.correlation_id, &resp))
            request_fail(req, "cannot encode Fetch");
        else
            request_respond(req);
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
    st->waits = arena_calloc(&req->arena, (size_t)nparts, sizeof(*st->waits));
    if (!st->waits) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t t = 0; t < r->topics_count; t++) {
        char *topic = req_cstr(req, r->topics[t].topic);
        for (int32_t i = 0; topic && i < r->topics[t].partitions_count; i++) {
            struct partition *p = partition_get(req->b, topic, r->topics[t].partitions[i].partition);
            if (!p)
                continue;
            struct fetch_wait *fw = &st->waits[st->nwaits++];
            fw->st = st;
            fw->w.wake = data_wake;
            partition_wait(p, &fw->w, false);
        }
    }
    ev_timer_init(&st->timer, timeout_cb, r->max_wait_ms / 1000.0, 0);
    st->timer.data = st;
    ev_timer_start(req->b->loop, &st->timer);
    req->hstate = st;
    req->cancel = cancel;
    request_ref(req);
}
