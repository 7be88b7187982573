/*
 * Client connections: the request queue and ordered responses (see conn.h).
 *
 * A request stays in the connection's queue from its frame until its
 * response has left (or it finished without one). Responses are handed to
 * the link strictly in queue order: a finished request behind a pending one
 * waits, so pipelined requests are answered in the order they came.
 */
#define LOG_COMPONENT "conn"
#include "broker/net/conn.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "broker/core/broker.h"
#include "broker/core/metrics.h"
#include "broker/net/conn_quota.h"
#include "broker/net/request.h"
#include "common/logger.h"

/* The budget's log line comes at most this often (seconds). */
#define BUDGET_LOG_INTERVAL 10.0

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void on_frame(struct link *l, uint8_t *frame, size_t len);
static void on_failed(struct link *l, int err, const char *why);
static void on_held(struct link *l, ptrdiff_t delta);
static void update_reading(struct conn *c);

static const struct link_ops conn_link_ops = {on_frame, on_failed, on_held};

static const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

static const struct request_conn_ops conn_request_ops = {conn_kick, conn_close, conn_peer};

static struct conn *conn_of(struct link *l)
{
    return (struct conn *)((char *)l - offsetof(struct conn, link));
}

/* Traffic: the connection is not idle, and its output made progress. */
static void touch(struct conn *c)
{
    c->sent_mark = c->link.bytes_sent;
    if (c->idle.repeat > 0)
        ev_timer_again(c->b->loop, &c->idle);
}

/* ---- queued.max.request.bytes ------------------------------------------ */

/* Whether the budget holds c back: the broker is at or over it and c holds
 * at least an equal share (the budget over the connections holding any). A
 * connection with no request queued is never held back, so every connection
 * can always get one request answered. */
static bool over_budget(const struct conn *c)
{
    const struct conn_budget *bu = &c->b->budget;
    int64_t limit = c->b->cfg->queued_max_request_bytes;
    if (limit < 0 || c->nreq == 0 || bu->bytes < limit)
        return false;
    return c->held >= limit / (bu->holders > 0 ? bu->holders : 1);
}

static void budget_log(struct conn *c)
{
    struct conn_budget *bu = &c->b->budget;
    uint64_t pauses;
    if (!logger_every_due(&bu->log, ev_now(c->b->loop), BUDGET_LOG_INTERVAL, 1, &pauses))
        return;
    LOG_WARN("queued.max.request.bytes (%lld) reached: %lld bytes of requests wait for answers "
             "on %d connection(s); reading pauses on the ones holding the most, e.g. %s with %lld "
             "bytes (%llu more pauses since the last such line)",
             (long long)c->b->cfg->queued_max_request_bytes, (long long)bu->bytes, bu->holders,
             c->peer, (long long)c->held, (unsigned long long)(pauses - 1));
}

/* Puts c on or takes it off the list of connections the budget paused. */
static void set_budget_paused(struct conn *c, bool on)
{
    struct conn_budget *bu = &c->b->budget;
    if (on == c->budget_paused)
        return;
    c->budget_paused = on;
    if (on) {
        budget_log(c);
        c->bprev = NULL;
        c->bnext = bu->paused;
        if (bu->paused)
            bu->paused->bprev = c;
        bu->paused = c;
        return;
    }
    if (c->bprev)
        c->bprev->bnext = c->bnext;
    else
        bu->paused = c->bnext;
    if (c->bnext)
        c->bnext->bprev = c->bprev;
    c->bprev = c->bnext = NULL;
}

/* Counts delta bytes more (or fewer) held by c. When the broker drops back
 * under the budget, the connections it paused read again. */
static void charge(struct conn *c, int64_t delta)
{
    struct conn_budget *bu = &c->b->budget;
    int64_t limit = c->b->cfg->queued_max_request_bytes;
    bool was_over = limit >= 0 && bu->bytes >= limit;
    c->held += delta;
    bu->bytes += delta;
    if (!was_over || bu->bytes >= limit)
        return;
    for (struct conn *p = bu->paused, *next; p; p = next) {
        next = p->bnext;
        update_reading(p);
    }
}

static void on_held(struct link *l, ptrdiff_t delta)
{
    struct conn *c = conn_of(l);
    if (!c->closed)
        charge(c, delta);
}

/* ---- lifecycle ---------------------------------------------------------- */

struct conn *conn_new(struct broker *b, int fd, const struct config_listener *l, const char *peer,
                      const char *ip)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        if (ip && b->quota)
            conn_quota_release(b->quota, ip);
        close(fd);
        return NULL;
    }
    if (ip && b->quota)
        snprintf(c->ip, sizeof(c->ip), "%s", ip);
    /* Every listener is PLAINTEXT today; an SSL listener will pick its
     * transport here. */
    struct transport tr;
    transport_plain_init(&tr, fd);
    if (link_init(&c->link, b->loop, &tr, &conn_link_ops, b->cfg->socket_request_max_bytes,
                  "socket.request.max.bytes")) {
        link_destroy(&c->link);
        if (c->ip[0])
            conn_quota_release(b->quota, c->ip);
        free(c);
        return NULL;
    }
    c->b = b;
    c->id = ++b->next_conn_id;
    c->listener = l;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    ev_init(&c->idle, idle_cb);
    c->idle.repeat =
        b->cfg->connections_max_idle_ms > 0 ? b->cfg->connections_max_idle_ms / 1000.0 : 0;
    c->idle.data = c;
    touch(c);
    c->next = b->conns;
    if (b->conns)
        b->conns->prev = c;
    b->conns = c;
    b->nconns++;
    LOG_DEBUG("connection %llu from %s on %s", (unsigned long long)c->id, peer, l->name);
    return c;
}

void conn_close(struct conn *c, const char *reason)
{
    if (c->closed)
        return;
    struct broker *b = c->b;
    c->closed = true;
    if (reason)
        LOG_RATE(LOGGER_INFO, "closing connection from %s: %s", c->peer, reason);
    link_close(&c->link);
    ev_timer_stop(b->loop, &c->idle);
    while (c->head) {
        struct request *req = c->head;
        c->head = req->next;
        req->conn = NULL;
        if (req->state == REQ_PENDING && req->cancel) {
            void (*cancel)(struct request *) = req->cancel;
            req->cancel = NULL;
            cancel(req);
        }
        request_unref(req);
    }
    c->tail = c->unsent = NULL;
    if (c->nreq)
        b->budget.holders--;
    c->nreq = 0;
    c->out_bytes = 0;
    set_budget_paused(c, false);
    charge(c, -c->held);
    if (c->ip[0] && b->quota)
        conn_quota_release(b->quota, c->ip);
    c->ip[0] = '\0';
    /* Unlink from the live list; the safe point frees it. */
    if (c->prev)
        c->prev->next = c->next;
    else
        b->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = b->dead;
    b->dead = c;
    b->nconns--;
}

void conn_free(struct conn *c)
{
    link_destroy(&c->link);
    free(c);
}

/* Runs after connections.max.idle.ms without a sign of life (touch). With
 * answers waiting to be sent, only their progress counts: a client that
 * sends and never reads stops being served, and its answers, with the
 * buffers and segment files they hold, are released. Otherwise a frame still
 * arriving counts as traffic, as a request being answered does. */
static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    (void)revents;
    if (link_output_waiting(&c->link)) {
        if (c->link.bytes_sent == c->sent_mark) {
            char why[200];
            snprintf(why, sizeof(why),
                     "its answers (%zu bytes waiting) made no progress for "
                     "connections.max.idle.ms (%lld ms): the client is not reading them",
                     c->out_bytes, (long long)c->b->cfg->connections_max_idle_ms);
            conn_close(c, why);
            return;
        }
    } else if (c->nreq == 0 && !link_mid_frame(&c->link)) {
        conn_close(c, "idle for longer than connections.max.idle.ms");
        return;
    }
    c->sent_mark = c->link.bytes_sent;
    ev_timer_again(c->b->loop, &c->idle);
}

/* Reading stays on while fewer than queued.max.requests wait for answers,
 * fewer than gregor.queued.max.response.bytes of answers wait to be sent,
 * and queued.max.request.bytes does not hold this connection back. */
static void update_reading(struct conn *c)
{
    const struct broker_config *cfg = c->b->cfg;
    bool budget = !c->closed && over_budget(c);
    set_budget_paused(c, budget);
    bool want = c->nreq < cfg->queued_max_requests &&
                c->out_bytes < (size_t)cfg->queued_max_response_bytes && !budget &&
                c->b->phase != PHASE_STOPPING;
    if (want != c->link.reading)
        link_set_reading(&c->link, want);
}

/* With metrics on, times a request that was served (its answer left, or
 * it needed none). Kafka's TotalTimeMs starts when the request is read:
 * received_us is the loop's time when its frame completed. */
static void count_request(struct metrics *m, const struct request *req)
{
    if (!req->api)
        return; /* refused before a handler ran: the connection closes */
    int64_t us = (int64_t)(ev_time() * 1e6) - req->received_us;
    metrics_request_done(m, req->hdr.request_api_key, req->hdr.request_api_version, us);
    if (req->metrics_alias)
        metrics_request_done(m, req->metrics_alias, req->hdr.request_api_version, us);
}

/* Drops the answered requests at the head of the queue. */
static void release_answered(struct conn *c)
{
    while (c->head && c->head != c->unsent && !c->head->sending) {
        struct request *req = c->head;
        if (c->b->metrics)
            count_request(c->b->metrics, req);
        c->head = req->next;
        if (!c->head)
            c->tail = NULL;
        if (--c->nreq == 0)
            c->b->budget.holders--;
        charge(c, -(int64_t)req->len);
        request_unref(req);
    }
    if (!c->closed)
        update_reading(c);
}

static void response_sent(struct link_msg *m)
{
    struct request *req = (struct request *)((char *)m - offsetof(struct request, msg));
    struct conn *c = req->conn;
    req->sending = false;
    c->out_bytes -= req->out_bytes;
    touch(c);
    release_answered(c);
}

/* Hands every finished response, in order, up to the first pending request,
 * to the link. */
static void queue_finished(struct conn *c)
{
    while (c->unsent && c->unsent->state != REQ_PENDING) {
        struct request *req = c->unsent;
        c->unsent = req->next;
        if (req->state == REQ_DONE) {
            req->msg = (struct link_msg){.out = &req->out, .sent = response_sent};
            req->sending = true;
            link_send(&c->link, &req->msg);
        }
    }
}

void conn_kick(struct conn *c, struct request *req)
{
    if (c->closed)
        return;
    if (req->state == REQ_DONE) {
        req->out_bytes = req->out.buf.len + (size_t)req->out.file_bytes;
        c->out_bytes += req->out_bytes;
    }
    queue_finished(c);
    release_answered(c);
    link_flush(&c->link);
}

static void on_frame(struct link *l, uint8_t *frame, size_t len)
{
    struct conn *c = conn_of(l);
    struct request *req = request_new(c->b, c, &conn_request_ops, frame, len);
    if (!req) {
        conn_close(c, "out of memory for a request");
        return;
    }
    /* While answers wait to be sent, only their progress is a sign of life
     * (see idle_cb): a client that writes and never reads is not alive. */
    if (!link_output_waiting(&c->link))
        touch(c);
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    if (!c->unsent)
        c->unsent = req;
    if (c->nreq++ == 0)
        c->b->budget.holders++;
    charge(c, (int64_t)len);
    update_reading(c);
    c->b->dispatch(req);
}

static void on_failed(struct link *l, int err, const char *why)
{
    struct conn *c = conn_of(l);
    (void)err;
    if (why && err == GR_E_NETWORK)
        conn_close(c, "client closed the connection in the middle of a request");
    else
        conn_close(c, why);
}
