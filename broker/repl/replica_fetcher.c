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

static void send_fetch(struct fetcher *f);

static void next_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    send_fetch(w->data);
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
    const char *listener = b->cfg->inter_broker_listener_name
                               ? b->cfg->inter_broker_listener_name
                               : b->cfg->security_inter_broker_protocol;
    const struct metadata_endpoint *ep = metadata_endpoint(b->md, f->source, listener);
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
    struct log_append_info info;
    char why[256];
    int rc =
        log_append_follower(l, data + start, end - start, clock_wall_ms(), &info, why, sizeof(why));
    if (rc)
        LOG_RATE(LOGGER_ERROR, "%s-%d: cannot append what broker %d sent: %s (%s)",
                 p->tp.topic->name, p->tp.partition, p->leader_id, gr_strerror(rc), why);
    return rc;
}

/* One partition of an answer. Returns true if it went well. */
static bool take(struct fetcher *f, const struct proto_FetchablePartitionResponse *o,
                 struct partition *p)
{
    struct log *l = p->log;
    if (o->error_code == PROTO_ERR_OFFSET_OUT_OF_RANGE) {
        /* Our log end is past the leader's: what is above our high
         * watermark was never committed, so it can go (pre-KIP-101). A
         * log end below the leader's log start is not handled yet. */
        if (log_end_offset(l) > l->high_watermark) {
            LOG_WARN("%s-%d: fetch offset %" PRId64 " out of range at broker %d; truncating "
                     "to the high watermark %" PRId64,
                     p->tp.topic->name, p->tp.partition, log_end_offset(l), f->source,
                     l->high_watermark);
            log_truncate_to(l, l->high_watermark);
        } else {
            LOG_RATE(LOGGER_ERROR, "%s-%d: fetch offset %" PRId64 " out of range at broker %d",
                     p->tp.topic->name, p->tp.partition, log_end_offset(l), f->source);
        }
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
    /* The follower's high watermark is the leader's, up to what it holds. */
    int64_t hw = o->high_watermark < log_end_offset(l) ? o->high_watermark : log_end_offset(l);
    if (hw > l->high_watermark)
        log_set_high_watermark(l, hw);
    return true;
}

static void fetched(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct fetcher *f = opaque;
    struct broker *b = f->m->b;
    f->in_flight = false;
    if (err == GR_E_CANCELLED)
        return; /* the fetcher is going */
    bool ok = !err;
    if (err)
        LOG_RATE(LOGGER_WARN, "replica fetch from broker %d failed: %s", f->source,
                 gr_strerror(err));
    struct arena a;
    arena_init(&a);
    struct proto_FetchResponse r;
    struct proto_reader rd;
    if (ok) {
        proto_reader_init(&rd, body, len);
        if (proto_decode_FetchResponse(&rd, REPL_FETCH_VERSION, &a, &r)) {
            LOG_RATE(LOGGER_ERROR, "cannot decode a Fetch answer from broker %d: %s", f->source,
                     proto_reader_reason(&rd));
            ok = false;
        } else if (r.error_code) {
            ok = false;
        }
    }
    for (int32_t t = 0; ok && t < r.responses_count; t++) {
        const struct proto_FetchableTopicResponse *tr = &r.responses[t];
        const struct tp_topic *topic =
            tr->topic.ptr ? tp_topic_find(tr->topic.ptr, (size_t)tr->topic.len) : NULL;
        for (int32_t k = 0; topic && k < tr->partition_responses_count; k++) {
            const struct proto_FetchablePartitionResponse *o = &tr->partition_responses[k];
            struct partition *p = partition_get(b, (struct tp){topic, o->partition});
            if (!p || p->follow != f || p->leader || p->log->offline)
                continue; /* no longer followed from here */
            ok &= take(f, o, p);
        }
    }
    arena_destroy(&a);
    schedule(f, ok ? 0 : b->cfg->replica_fetch_backoff_ms);
}

static void send_fetch(struct fetcher *f)
{
    struct broker *b = f->m->b;
    const struct broker_config *cfg = b->cfg;
    if (f->in_flight || !f->n)
        return;
    struct client *cl = client_for(f);
    if (!cl) {
        schedule(f, cfg->replica_fetch_backoff_ms);
        return;
    }
    struct proto_FetchPartition *fp = calloc((size_t)f->n, sizeof(*fp));
    struct proto_FetchTopic *ft = calloc((size_t)f->n, sizeof(*ft));
    int rc = GR_E_NOMEM;
    if (fp && ft) {
        for (int i = 0; i < f->n; i++) {
            const struct partition *p = f->parts[i];
            fp[i] =
                (struct proto_FetchPartition){.partition = p->tp.partition,
                                              .current_leader_epoch = p->leader_epoch,
                                              .fetch_offset = log_end_offset(p->log),
                                              .log_start_offset = p->log->log_start_offset,
                                              .partition_max_bytes = cfg->replica_fetch_max_bytes};
            ft[i] = (struct proto_FetchTopic){.topic = proto_str_cstr(p->tp.topic->name),
                                              .partitions = &fp[i],
                                              .partitions_count = 1};
        }
        struct proto_FetchRequest req = {.replica_id = b->id,
                                         .max_wait_ms = cfg->replica_fetch_wait_max_ms,
                                         .min_bytes = cfg->replica_fetch_min_bytes,
                                         .max_bytes = cfg->replica_fetch_response_max_bytes,
                                         .isolation_level = 0,
                                         .session_id = 0,
                                         .session_epoch = -1,
                                         .topics = ft,
                                         .topics_count = f->n,
                                         .rack_id = PROTO_STR_EMPTY};
        struct proto_out o;
        struct buf body;
        proto_out_init(&o);
        buf_init(&body);
        rc = proto_encode_FetchRequest(&o, REPL_FETCH_VERSION, &req);
        if (!rc)
            rc = proto_out_copy_to(&o, &body);
        proto_out_destroy(&o);
        if (!rc)
            rc = client_send(cl, PROTO_API_FETCH, REPL_FETCH_VERSION, body.data, body.len,
                             cfg->replica_fetch_wait_max_ms + cfg->replica_socket_timeout_ms,
                             fetched, f);
        buf_destroy(&body);
    }
    free(fp);
    free(ft);
    if (rc) {
        LOG_RATE(LOGGER_ERROR, "cannot send a replica fetch to broker %d: %s", f->source,
                 gr_strerror(rc));
        schedule(f, cfg->replica_fetch_backoff_ms);
        return;
    }
    f->in_flight = true;
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
