/*
 * Replica fetchers (see replica_fetcher.h).
 */
#define LOG_COMPONENT "fetcher"
#include "broker/repl/replica_fetcher.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/cluster/throttle.h"
#include "broker/core/broker.h"
#include "broker/log/log.h"
#include "broker/net/client.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"

/* The Fetch version followers send: the newest gregor serves (current
 * leader epoch, v9+, fences a follower with an old view of the leader). */
#define REPL_FETCH_VERSION 11
/* How soon a fetcher whose partitions are all throttled looks again. */
#define THROTTLED_RETRY_MS 100
/* OffsetForLeaderEpoch v3: replica_id and current_leader_epoch. */
#define REPL_EPOCH_VERSION 3
/* ListOffsets v4+ carries current_leader_epoch; v5 is the newest served. */
#define REPL_LIST_VERSION 5

struct fetcher {
    struct replica_fetchers *m; /* its manager */
    int32_t source;             /* the broker fetched from */
    int index;                  /* < num.replica.fetchers */
    struct client *cl;          /* connection to source, or NULL */
    char host[256];             /* the endpoint cl was made for */
    int port;                   /* its port */
    struct partition **parts;   /* partitions fetched here; borrowed (p->follow is this) */
    int n, cap;                 /* entries, allocated */
    bool in_flight;             /* a Fetch is unanswered */
    ev_timer next;              /* when to send the next Fetch */
    struct fetcher *link;       /* the manager's list */
};

struct replica_fetchers {
    struct broker *b;    /* owner */
    struct fetcher *all; /* every fetcher */
};

static void send_next(struct fetcher *f);

static void next_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    send_next(w->data);
}

/* Sends the next Fetch after delay_ms (0: on the next loop iteration),
 * unless one is in flight or already scheduled. */
static void schedule(struct fetcher *f, int64_t delay_ms)
{
    struct broker *b = f->m->b;
    if (f->in_flight || !f->n || ev_is_active(&f->next))
        return;
    ev_timer_set(&f->next, (double)delay_ms / 1e3, 0.);
    ev_timer_start(b->loop, &f->next);
}

static struct fetcher *fetcher_get(struct replica_fetchers *m, int32_t source, int index)
{
    for (struct fetcher *f = m->all; f; f = f->link)
        if (f->source == source && f->index == index)
            return f;
    struct fetcher *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->m = m;
    f->source = source;
    f->index = index;
    ev_timer_init(&f->next, next_cb, 0., 0.);
    f->next.data = f;
    f->link = m->all;
    m->all = f;
    return f;
}

static void remove_part(struct fetcher *f, struct partition *p)
{
    for (int i = 0; i < f->n; i++)
        if (f->parts[i] == p) {
            f->parts[i] = f->parts[--f->n];
            break;
        }
    p->follow = NULL;
}

static int add_part(struct fetcher *f, struct partition *p)
{
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 8;
        struct partition **np = realloc(f->parts, (size_t)cap * sizeof(*np));
        if (!np)
            return GR_E_NOMEM;
        f->parts = np;
        f->cap = cap;
    }
    f->parts[f->n++] = p;
    p->follow = f;
    return 0;
}

void replica_fetchers_follow(struct broker *b, struct partition *p)
{
    struct replica_fetchers *m = b->fetchers;
    struct fetcher *old = p->follow;
    if (old)
        remove_part(old, p);
    if (p->going || p->leader || p->leader_id < 0 || p->leader_id == b->id || p->log->offline)
        return;
    /* Kafka's fetcher id: the partition's hash modulo num.replica.fetchers. */
    uint32_t h = (uint32_t)(uintptr_t)p->tp.topic * 31u + (uint32_t)p->tp.partition;
    int index = (int)(h % (uint32_t)b->cfg->num_replica_fetchers);
    struct fetcher *f = fetcher_get(m, p->leader_id, index);
    if (!f || add_part(f, p)) {
        LOG_ERROR("out of memory following %s-%d", p->tp.topic->name, p->tp.partition);
        return;
    }
    LOG_INFO("%s-%d: following broker %d at leader epoch %d from offset %" PRId64,
             p->tp.topic->name, p->tp.partition, p->leader_id, p->leader_epoch,
             log_end_offset(p->log));
    schedule(f, 0);
}

/* The client for the source's current inter-broker endpoint (made anew
 * when the broker re-registered elsewhere), or NULL when it is unknown. */
static struct client *client_for(struct fetcher *f)
{
    struct broker *b = f->m->b;
    const struct metadata_endpoint *ep =
        metadata_endpoint(b->md, f->source, broker_config_inter_broker_listener(b->cfg));
    if (!ep)
        return NULL;
    if (f->cl && (strcmp(f->host, ep->host) || f->port != ep->port)) {
        client_free(f->cl);
        f->cl = NULL;
    }
    if (!f->cl) {
        char id[64];
        snprintf(id, sizeof(id), "gregor-replica-fetcher-%d-%d", b->id, f->index);
        struct client_config cc = {.host = ep->host,
                                   .port = ep->port,
                                   .client_id = id,
                                   .max_in_flight = 1,
                                   .backoff_ms = b->cfg->replica_fetch_backoff_ms,
                                   .backoff_max_ms = b->cfg->replica_fetch_backoff_ms > 1000
                                                         ? b->cfg->replica_fetch_backoff_ms
                                                         : 1000};
        f->cl = client_new(b->loop, &cc);
        if (!f->cl)
            return NULL;
        snprintf(f->host, sizeof(f->host), "%s", ep->host);
        f->port = ep->port;
    }
    return f->cl;
}

/* Appends the whole batches of data (len bytes) that lie at or past p's
 * log end. A response may end with a partial batch (the byte limits), and
 * may begin with a batch the follower already has. Returns 0 or an error. */
static int append_fetched(struct partition *p, const uint8_t *data, size_t len)
{
    struct log *l = p->log;
    size_t start = 0, end = 0;
    while (len - end >= LOG_BATCH_HEADER_SIZE) {
        struct log_batch_hdr h;
        log_batch_parse(data + end, &h);
        int64_t size = log_batch_size(&h);
        if (h.length < 0 || size > (int64_t)(len - end))
            break;
        if (log_batch_last_offset(&h) < log_end_offset(l) && start == end)
            start += (size_t)size; /* already here */
        end += (size_t)size;
    }
    if (end <= start)
        return 0;
    struct log_batch_hdr first;
    log_batch_parse(data + start, &first);
    int64_t now = clock_wall_ms();
    int rc;
    if (first.base_offset < log_end_offset(l) && log_end_offset(l) == l->log_start_offset) {
        /* An empty log restarted at the leader's log start, which falls
         * inside this batch (DeleteRecords): start it at the batch instead,
         * as Kafka's Partition does on UnexpectedAppendOffsetException. The
         * leader's log start comes back with the answer (take). */
        LOG_INFO("%s-%d: the first batch from broker %d starts at %" PRId64
                 ", below our empty log's start %" PRId64 "; restarting the log there",
                 p->tp.topic->name, p->tp.partition, p->leader_id, first.base_offset,
                 l->log_start_offset);
        if ((rc = log_truncate_fully(l, first.base_offset, now)))
            return rc;
    }
    struct log_append_info info;
    char why[256];
    rc = log_append_follower(l, data + start, end - start, now, &info, why, sizeof(why));
    if (rc)
        LOG_RATE(LOGGER_ERROR, "%s-%d: cannot append what broker %d sent: %s (%s)",
                 p->tp.topic->name, p->tp.partition, p->leader_id, gr_strerror(rc), why);
    return rc;
}

/* The partition of an answer's entry if it is still followed from f. */
static struct partition *followed(struct fetcher *f, struct proto_str topic, int32_t partition)
{
    const struct tp_topic *t = topic.ptr ? tp_topic_find(topic.ptr, (size_t)topic.len) : NULL;
    struct partition *p = t ? partition_get(f->m->b, (struct tp){t, partition}) : NULL;
    return p && p->follow == f && !p->leader && !p->log->offline ? p : NULL;
}

/* Cuts p's log to offset (never past its end) and says so. */
static void cut(struct partition *p, int64_t offset, const char *why)
{
    struct log *l = p->log;
    if (offset >= log_end_offset(l))
        return;
    LOG_INFO("%s-%d: truncating to %" PRId64 " before following broker %d (%s; high "
             "watermark %" PRId64 ")",
             p->tp.topic->name, p->tp.partition, offset, p->leader_id, why, l->high_watermark);
    log_truncate_to(l, offset < 0 ? 0 : offset);
}

/* What the leader said of p's latest epoch (KIP-101, KIP-279): cut where
 * the two logs diverge. Returns true if it went well. */
static bool take_epoch(const struct proto_EpochEndOffset *o, struct partition *p)
{
    struct log *l = p->log;
    int64_t leo = log_end_offset(l);
    if (o->error_code) {
        LOG_RATE(LOGGER_INFO, "%s-%d: broker %d answered OffsetForLeaderEpoch with error %d",
                 p->tp.topic->name, p->tp.partition, p->leader_id, o->error_code);
        return false;
    }
    p->truncating = false;
    if (o->end_offset < 0) {
        /* The leader knows no epoch this old: the rule before KIP-101. */
        cut(p, l->high_watermark, "the leader knows no such epoch");
    } else if (o->leader_epoch < 0) {
        cut(p, o->end_offset < leo ? o->end_offset : leo, "end of the epoch at the leader");
    } else {
        int32_t mine;
        int64_t end;
        log_epoch_end_offset(&l->epochs, o->leader_epoch, leo, &mine, &end);
        if (mine < 0) {
            cut(p, o->end_offset < leo ? o->end_offset : leo, "end of the epoch at the leader");
        } else if (mine != o->leader_epoch) {
            /* We never had the leader's epoch: cut to the end of our last
             * epoch before it and ask again from there (KIP-279). */
            cut(p, end, "our epochs differ from the leader's");
            p->truncating = true;
        } else {
            cut(p, end < o->end_offset ? end : o->end_offset, "where our epochs diverge");
        }
    }
    return true;
}

/* The leader's log start offset (ListOffsets earliest) after it refused
 * p's fetch offset, as Kafka's AbstractFetcherThread.handleOutOfRangeError:
 * a log end below it (the leader deleted segments by retention or
 * DeleteRecords while we were away) means nothing of ours is worth
 * keeping, so the log is emptied and restarts there; otherwise our log end
 * is past the leader's, and OffsetForLeaderEpoch finds where to cut.
 * Returns true if it went well. */
static bool take_log_start(const struct proto_ListOffsetsPartitionResponse *o,
                           struct partition *p)
{
    struct log *l = p->log;
    if (o->error_code || o->offset < 0) {
        LOG_RATE(LOGGER_INFO, "%s-%d: broker %d answered ListOffsets with error %d",
                 p->tp.topic->name, p->tp.partition, p->leader_id, o->error_code);
        return false;
    }
    p->out_of_range = false;
    int64_t leo = log_end_offset(l);
    if (o->offset <= leo) {
        p->truncating = true;
        return true;
    }
    LOG_INFO("%s-%d: our log end %" PRId64 " is below broker %d's log start %" PRId64
             "; emptying the log to restart it there",
             p->tp.topic->name, p->tp.partition, leo, p->leader_id, o->offset);
    return log_truncate_fully(l, o->offset, clock_wall_ms()) == 0;
}

/* One partition of a Fetch answer. Returns true if it went well. */
static bool take(struct fetcher *f, const struct proto_FetchablePartitionResponse *o,
                 struct partition *p)
{
    struct log *l = p->log;
    if (o->error_code == PROTO_ERR_OFFSET_OUT_OF_RANGE) {
        /* Below the leader's log start or past its end: ask its log start
         * next (take_log_start), after the backoff, so a cut that cannot
         * cure it (a log without epochs whose high watermark is past the
         * leader's end) retries at that pace, not in a tight loop. */
        LOG_RATE(LOGGER_WARN, "%s-%d: fetch offset %" PRId64 " out of range at broker %d",
                 p->tp.topic->name, p->tp.partition, log_end_offset(l), f->source);
        p->out_of_range = true;
        return false;
    }
    if (o->error_code) {
        LOG_RATE(LOGGER_INFO, "%s-%d: broker %d answered a replica fetch with error %d",
                 p->tp.topic->name, p->tp.partition, f->source, o->error_code);
        return false;
    }
    if (o->record_set.kind == PROTO_RECORDS_MEM && o->record_set.mem.ptr &&
        o->record_set.mem.len > 0 &&
        append_fetched(p, o->record_set.mem.ptr, (size_t)o->record_set.mem.len))
        return false;
    if (o->record_set.kind == PROTO_RECORDS_MEM && o->record_set.mem.len > 0 &&
        throttle_follower_applies(f->m->b, p))
        throttle_bucket_take(&f->m->b->throttle->follower, o->record_set.mem.len);
    /* The follower's high watermark is the leader's, up to what it holds. */
    int64_t hw = o->high_watermark < log_end_offset(l) ? o->high_watermark : log_end_offset(l);
    if (hw > l->high_watermark)
        log_set_high_watermark(l, hw);
    /* The log start follows the leader's (DeleteRecords, retention), as
     * Kafka's follower does, never past our high watermark. */
    int64_t start = o->log_start_offset < l->high_watermark ? o->log_start_offset
                                                            : l->high_watermark;
    if (start > l->log_start_offset)
        log_advance_start(l, start);
    return true;
}

/* The common start of both answers: decodes body with decode into out.
 * Returns false (logged) if the request failed or cannot be read. */
static bool answered(struct fetcher *f, int err, const uint8_t *body, size_t len,
                     int (*decode)(struct proto_reader *, int16_t, struct arena *, void *),
                     int16_t version, struct arena *a, void *out)
{
    f->in_flight = false;
    if (err) {
        if (err != GR_E_CANCELLED)
            LOG_RATE(LOGGER_WARN, "replica fetcher request to broker %d failed: %s", f->source,
                     gr_strerror(err));
        return false;
    }
    struct proto_reader rd;
    proto_reader_init(&rd, body, len);
    if (decode(&rd, version, a, out)) {
        LOG_RATE(LOGGER_ERROR, "cannot decode an answer from broker %d: %s", f->source,
                 proto_reader_reason(&rd));
        return false;
    }
    return true;
}

/* The common end of every answer: frees what decoding it took and
 * schedules the next request, at once or after replica.fetch.backoff.ms
 * if something went wrong (not at all if the request was cancelled). */
static void done(struct fetcher *f, int err, bool ok, struct arena *a)
{
    arena_destroy(a);
    if (err != GR_E_CANCELLED)
        schedule(f, ok ? 0 : f->m->b->cfg->replica_fetch_backoff_ms);
}

static void epochs_answered(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct fetcher *f = opaque;
    struct arena a;
    arena_init(&a);
    struct proto_OffsetForLeaderEpochResponse r;
    bool ok = answered(f, err, body, len, proto_decode_OffsetForLeaderEpochResponse,
                       REPL_EPOCH_VERSION, &a, &r);
    for (int32_t t = 0; ok && t < r.topics_count; t++)
        for (int32_t k = 0; k < r.topics[t].partitions_count; k++) {
            const struct proto_EpochEndOffset *o = &r.topics[t].partitions[k];
            struct partition *p = followed(f, r.topics[t].topic, o->partition);
            if (p && p->truncating)
                ok &= take_epoch(o, p);
        }
    done(f, err, ok, &a);
}

static void log_starts_answered(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct fetcher *f = opaque;
    struct arena a;
    arena_init(&a);
    struct proto_ListOffsetsResponse r;
    bool ok = answered(f, err, body, len, proto_decode_ListOffsetsResponse, REPL_LIST_VERSION,
                       &a, &r);
    for (int32_t t = 0; ok && t < r.topics_count; t++)
        for (int32_t k = 0; k < r.topics[t].partitions_count; k++) {
            const struct proto_ListOffsetsPartitionResponse *o = &r.topics[t].partitions[k];
            struct partition *p = followed(f, r.topics[t].name, o->partition_index);
            if (p && p->out_of_range)
                ok &= take_log_start(o, p);
        }
    done(f, err, ok, &a);
}

static void fetched(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct fetcher *f = opaque;
    struct arena a;
    arena_init(&a);
    struct proto_FetchResponse r;
    bool ok = answered(f, err, body, len, proto_decode_FetchResponse, REPL_FETCH_VERSION, &a, &r);
    ok = ok && !r.error_code;
    for (int32_t t = 0; ok && t < r.responses_count; t++)
        for (int32_t k = 0; k < r.responses[t].partition_responses_count; k++) {
            const struct proto_FetchablePartitionResponse *o =
                &r.responses[t].partition_responses[k];
            struct partition *p = followed(f, r.responses[t].topic, o->partition);
            if (p && !p->truncating && !p->out_of_range)
                ok &= take(f, o, p);
        }
    done(f, err, ok, &a);
}

/* Sends the encoded body in o (an encoder's status rc) as api_key at
 * version, answered to cb. Returns 0 or an error. */
static int send_body(struct fetcher *f, struct client *cl, struct proto_out *o, int rc,
                     int16_t api_key, int16_t version, client_cb *cb)
{
    const struct broker_config *cfg = f->m->b->cfg;
    struct buf body;
    buf_init(&body);
    if (!rc)
        rc = proto_out_copy_to(o, &body);
    proto_out_destroy(o);
    if (!rc)
        rc = client_send(cl, api_key, version, body.data, body.len,
                         cfg->replica_fetch_wait_max_ms + cfg->replica_socket_timeout_ms, cb, f);
    buf_destroy(&body);
    if (!rc)
        f->in_flight = true;
    return rc;
}

/* OffsetForLeaderEpoch for the n partitions marked truncating: the
 * latest epoch of each of our logs. A log with no epochs yet cuts to its
 * high watermark without asking (Kafka does the same). */
static int send_epochs(struct fetcher *f, struct client *cl, int n)
{
    struct broker *b = f->m->b;
    struct proto_OffsetForLeaderPartition *ep = calloc((size_t)n + 1, sizeof(*ep));
    struct proto_OffsetForLeaderTopic *et = calloc((size_t)n + 1, sizeof(*et));
    int k = 0, rc = GR_E_NOMEM;
    for (int i = 0; ep && et && i < f->n; i++) {
        struct partition *p = f->parts[i];
        if (!p->truncating)
            continue;
        int32_t latest = log_epoch_latest(&p->log->epochs);
        if (latest < 0) {
            cut(p, p->log->high_watermark, "no leader epochs in our log");
            p->truncating = false;
            continue;
        }
        ep[k] = (struct proto_OffsetForLeaderPartition){.partition = p->tp.partition,
                                                        .current_leader_epoch = p->leader_epoch,
                                                        .leader_epoch = latest};
        et[k] = (struct proto_OffsetForLeaderTopic){.topic = proto_str_cstr(p->tp.topic->name),
                                                    .partitions = &ep[k],
                                                    .partitions_count = 1};
        k++;
    }
    if (ep && et && !k) {
        rc = 0; /* none had to ask: fetch next */
        schedule(f, 0);
    } else if (ep && et) {
        struct proto_OffsetForLeaderEpochRequest req = {
            .replica_id = b->id, .topics = et, .topics_count = k};
        struct proto_out o;
        proto_out_init(&o);
        rc = send_body(f, cl, &o,
                       proto_encode_OffsetForLeaderEpochRequest(&o, REPL_EPOCH_VERSION, &req),
                       PROTO_API_OFFSET_FOR_LEADER_EPOCH, REPL_EPOCH_VERSION, epochs_answered);
    }
    free(ep);
    free(et);
    return rc;
}

/* ListOffsets (earliest) for the n partitions whose fetch offset the
 * leader refused, as a replica (replica_id: the leader answers from its
 * own log) at our view of the leader epoch. */
static int send_log_starts(struct fetcher *f, struct client *cl, int n)
{
    struct broker *b = f->m->b;
    struct proto_ListOffsetsPartition *lp = calloc((size_t)n + 1, sizeof(*lp));
    struct proto_ListOffsetsTopic *lt = calloc((size_t)n + 1, sizeof(*lt));
    int k = 0, rc = GR_E_NOMEM;
    for (int i = 0; lp && lt && i < f->n; i++) {
        const struct partition *p = f->parts[i];
        if (!p->out_of_range)
            continue;
        lp[k] = (struct proto_ListOffsetsPartition){.partition_index = p->tp.partition,
                                                    .current_leader_epoch = p->leader_epoch,
                                                    .timestamp = -2};
        lt[k] = (struct proto_ListOffsetsTopic){.name = proto_str_cstr(p->tp.topic->name),
                                                .partitions = &lp[k],
                                                .partitions_count = 1};
        k++;
    }
    if (lp && lt) {
        struct proto_ListOffsetsRequest req = {.replica_id = b->id, .topics = lt,
                                               .topics_count = k};
        struct proto_out o;
        proto_out_init(&o);
        rc = send_body(f, cl, &o, proto_encode_ListOffsetsRequest(&o, REPL_LIST_VERSION, &req),
                       PROTO_API_LIST_OFFSETS, REPL_LIST_VERSION, log_starts_answered);
    }
    free(lp);
    free(lt);
    return rc;
}

/* Fetch for the n partitions not truncating. */
static int send_fetch(struct fetcher *f, struct client *cl, int n)
{
    struct broker *b = f->m->b;
    const struct broker_config *cfg = b->cfg;
    struct proto_FetchPartition *fp = calloc((size_t)n + 1, sizeof(*fp));
    struct proto_FetchTopic *ft = calloc((size_t)n + 1, sizeof(*ft));
    int k = 0, rc = GR_E_NOMEM;
    for (int i = 0; fp && ft && i < f->n; i++) {
        const struct partition *p = f->parts[i];
        if (p->truncating)
            continue;
        /* A reassignment's throttle: left out while the follower rate is
         * used up (never once this replica is in the ISR). */
        if (throttle_follower_applies(b, p) &&
            throttle_bucket_empty(&b->throttle->follower, cfg->follower_replication_throttled_rate,
                                  clock_wall_ms()))
            continue;
        fp[k] = (struct proto_FetchPartition){.partition = p->tp.partition,
                                              .current_leader_epoch = p->leader_epoch,
                                              .fetch_offset = log_end_offset(p->log),
                                              .log_start_offset = p->log->log_start_offset,
                                              .partition_max_bytes = cfg->replica_fetch_max_bytes};
        ft[k] = (struct proto_FetchTopic){.topic = proto_str_cstr(p->tp.topic->name),
                                          .partitions = &fp[k],
                                          .partitions_count = 1};
        k++;
    }
    if (fp && ft && !k) {
        /* Everything is throttled: look again in a tenth of a second. */
        free(fp);
        free(ft);
        schedule(f, THROTTLED_RETRY_MS);
        return 0;
    }
    if (fp && ft) {
        struct proto_FetchRequest req = {.replica_id = b->id,
                                         .max_wait_ms = cfg->replica_fetch_wait_max_ms,
                                         .min_bytes = cfg->replica_fetch_min_bytes,
                                         .max_bytes = cfg->replica_fetch_response_max_bytes,
                                         .session_epoch = -1,
                                         .topics = ft,
                                         .topics_count = k,
                                         .rack_id = PROTO_STR_EMPTY};
        struct proto_out o;
        proto_out_init(&o);
        rc = send_body(f, cl, &o, proto_encode_FetchRequest(&o, REPL_FETCH_VERSION, &req),
                       PROTO_API_FETCH, REPL_FETCH_VERSION, fetched);
    }
    free(fp);
    free(ft);
    return rc;
}

/* The next request: OffsetForLeaderEpoch while a partition must find
 * where it diverges, else ListOffsets while one must learn the leader's
 * log start, else Fetch. */
static void send_next(struct fetcher *f)
{
    const struct broker_config *cfg = f->m->b->cfg;
    if (f->in_flight || !f->n)
        return;
    struct client *cl = client_for(f);
    if (!cl) {
        schedule(f, cfg->replica_fetch_backoff_ms);
        return;
    }
    int truncating = 0, out_of_range = 0;
    for (int i = 0; i < f->n; i++) {
        truncating += f->parts[i]->truncating;
        out_of_range += f->parts[i]->out_of_range;
    }
    int rc = truncating     ? send_epochs(f, cl, truncating)
             : out_of_range ? send_log_starts(f, cl, out_of_range)
                            : send_fetch(f, cl, f->n);
    if (rc) {
        LOG_RATE(LOGGER_ERROR, "cannot send a request to broker %d: %s", f->source,
                 gr_strerror(rc));
        schedule(f, cfg->replica_fetch_backoff_ms);
    }
}

int replica_fetchers_init(struct broker *b)
{
    struct replica_fetchers *m = calloc(1, sizeof(*m));
    if (!m)
        return GR_E_NOMEM;
    m->b = b;
    b->fetchers = m;
    b->follow_changed = replica_fetchers_follow;
    return 0;
}

void replica_fetchers_destroy(struct broker *b)
{
    struct replica_fetchers *m = b->fetchers;
    if (!m)
        return;
    b->follow_changed = NULL;
    while (m->all) {
        struct fetcher *f = m->all;
        m->all = f->link;
        ev_timer_stop(b->loop, &f->next);
        for (int i = 0; i < f->n; i++)
            f->parts[i]->follow = NULL;
        if (f->cl)
            client_free(f->cl);
        free(f->parts);
        free(f);
    }
    free(m);
    b->fetchers = NULL;
}
