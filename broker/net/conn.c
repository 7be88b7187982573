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
#include "broker/net/request.h"
#include "common/logger.h"

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void on_frame(struct link *l, uint8_t *frame, size_t len);
static void on_failed(struct link *l, int err, const char *why);

static const struct link_ops conn_link_ops = {on_frame, on_failed};

static const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

static const struct request_conn_ops conn_request_ops = {conn_kick, conn_close, conn_peer};

static struct conn *conn_of(struct link *l)
{
    return (struct conn *)((char *)l - offsetof(struct conn, link));
}

/* Traffic: the connection is not idle. */
static void touch(struct conn *c)
{
    if (c->idle.repeat > 0)
        ev_timer_again(c->b->loop, &c->idle);
}

struct conn *conn_new(struct broker *b, int fd, const struct config_listener *l, const char *peer)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    /* Every listener is PLAINTEXT today; an SSL listener will pick its
     * transport here. */
    struct transport tr;
    transport_plain_init(&tr, fd);
    if (link_init(&c->link, b->loop, &tr, &conn_link_ops, b->cfg->socket_request_max_bytes,
                  "socket.request.max.bytes")) {
        link_destroy(&c->link);
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
    c->nreq = 0;
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

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    (void)revents;
    /* A frame still arriving counts as traffic, as a request being
     * answered does. */
    if (c->nreq == 0 && !link_mid_frame(&c->link))
        conn_close(c, "idle for longer than connections.max.idle.ms");
    else
        ev_timer_again(c->b->loop, &c->idle);
}

/* Reading stays on while fewer than queued.max.requests wait for answers. */
static void update_reading(struct conn *c)
{
    bool want = c->nreq < c->b->cfg->queued_max_requests && c->b->phase != PHASE_STOPPING;
    if (want != c->link.reading)
        link_set_reading(&c->link, want);
}

/* Drops the answered requests at the head of the queue. */
static void release_answered(struct conn *c)
{
    while (c->head && c->head != c->unsent && !c->head->sending) {
        struct request *req = c->head;
        c->head = req->next;
        if (!c->head)
            c->tail = NULL;
        c->nreq--;
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

void conn_kick(struct conn *c)
{
    if (c->closed)
        return;
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
    touch(c);
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    if (!c->unsent)
        c->unsent = req;
    c->nreq++;
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
