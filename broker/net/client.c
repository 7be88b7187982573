/*
 * Client connections to other brokers (see client.h).
 *
 * States: DOWN (no socket, nothing to send), WAIT (the timer runs: the
 * backoff before the next connect; also the first connect, so that
 * client_send() never connects itself), CONNECTING (a non-blocking connect
 * is under way; the timer is its deadline), UP (the link is open).
 *
 * Every user callback goes through notify(), which frees the request first
 * and counts the nesting depth: client_free() from inside a callback must
 * leave the memory alone until the link code below it has returned.
 */
#define LOG_COMPONENT "client"
#include "broker/net/client.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/net/frame_buf.h"
#include "broker/net/link.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/logger.h"

enum client_state { CLIENT_DOWN, CLIENT_WAIT, CLIENT_CONNECTING, CLIENT_UP };

struct client_req {
    struct client *c;        /* its client */
    int32_t correlation_id;  /* matches the response */
    int8_t response_header;  /* response header version */
    uint8_t *frame;          /* size prefix, header, body; owned */
    size_t len;              /* bytes in frame */
    struct link_msg msg;     /* frame in the link's queue */
    ev_timer deadline;       /* timeout_ms from client_send */
    client_cb *cb;           /* the caller's callback */
    void *opaque;            /* its argument; borrowed */
    struct client_req *next; /* waiting or in-flight list */
};

/* A FIFO of requests. */
struct req_list {
    struct client_req *head, *tail; /* first and last */
    int n;                          /* entries */
};

struct client {
    struct ev_loop *loop;        /* borrowed */
    struct client_config cfg;    /* with defaults filled in; strings owned */
    enum client_state state;     /* see above */
    int fd;                      /* the socket while CONNECTING */
    ev_io connect_io;            /* connect completion */
    ev_timer timer;              /* WAIT: backoff; CONNECTING: connect deadline */
    ev_timer reap;               /* frees the client after a client_free from a callback */
    struct link link;            /* UP: the framed connection */
    bool has_link;               /* link holds buffers to destroy */
    int backoff_ms;              /* the next reconnect delay */
    ev_tstamp retry_at;          /* no connect before this loop time */
    int32_t next_correlation_id; /* for the next request */
    struct req_list waiting;     /* not sent yet, in send order */
    struct req_list in_flight;   /* handed to the link, unanswered */
    int depth;                   /* user callbacks running */
    bool freeing;                /* client_free began */
};

static void link_frame(struct link *l, uint8_t *frame, size_t len);
static void link_failed(struct link *l, int err, const char *why);
static const struct link_ops client_link_ops = {link_frame, link_failed, NULL};

static struct client *client_of(struct link *l)
{
    return (struct client *)((char *)l - offsetof(struct client, link));
}

static void list_push(struct req_list *q, struct client_req *r)
{
    r->next = NULL;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
}

static struct client_req *list_pop(struct req_list *q)
{
    struct client_req *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    return r;
}

/* Unlinks r from q; returns false if it is not there. */
static bool list_remove(struct req_list *q, struct client_req *r)
{
    struct client_req **p = &q->head, *prev = NULL;
    while (*p && *p != r) {
        prev = *p;
        p = &(*p)->next;
    }
    if (!*p)
        return false;
    *p = r->next;
    if (q->tail == r)
        q->tail = prev;
    q->n--;
    return true;
}

/* Frees r (already unlinked, and out of the link's queue) and runs its
 * callback. */
static void notify(struct client *c, struct client_req *r, int err, const uint8_t *body, size_t len)
{
    client_cb *cb = r->cb;
    void *opaque = r->opaque;
    ev_timer_stop(c->loop, &r->deadline);
    free(r->frame);
    free(r);
    c->depth++;
    cb(err, body, len, opaque);
    c->depth--;
}

/* Fails every request of q with err. Stops early if a callback freed c. */
static void fail_all(struct client *c, struct req_list *q, int err)
{
    struct client_req *r;
    while ((r = list_pop(q)))
        notify(c, r, err, NULL, 0);
}

/* Hands waiting requests to the link while in-flight slots are free. */
static void pump(struct client *c)
{
    while (c->state == CLIENT_UP && c->in_flight.n < c->cfg.max_in_flight && c->waiting.head) {
        struct client_req *r = list_pop(&c->waiting);
        list_push(&c->in_flight, r);
        r->msg = (struct link_msg){.data = r->frame, .len = r->len};
        link_send(&c->link, &r->msg);
    }
}

/* Plans the next connect for when the backoff allows it (at once, on the
 * loop, if it does now). */
static void schedule_connect(struct client *c)
{
    ev_tstamp wait = c->retry_at - ev_now(c->loop);
    c->state = CLIENT_WAIT;
    ev_timer_stop(c->loop, &c->timer);
    ev_timer_set(&c->timer, wait > 0 ? wait : 0, 0);
    ev_timer_start(c->loop, &c->timer);
}

/* The connection is gone (or never came): what was sent fails with
 * GR_E_NETWORK; what waits goes out on the next connection, after the
 * backoff. */
static void connection_lost(struct client *c, const char *why)
{
    /* One line per outage, not one per attempt while a broker is down. */
    if (why && c->backoff_ms == c->cfg.backoff_ms)
        LOG_INFO("connection to %s:%d: %s", c->cfg.host, c->cfg.port, why);
    else if (why)
        LOG_DEBUG("connection to %s:%d: %s", c->cfg.host, c->cfg.port, why);
    if (c->has_link)
        link_close(&c->link);
    ev_io_stop(c->loop, &c->connect_io);
    ev_timer_stop(c->loop, &c->timer);
    if (c->state == CLIENT_CONNECTING && c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CLIENT_DOWN;
    c->retry_at = ev_now(c->loop) + c->backoff_ms / 1000.0;
    c->backoff_ms =
        c->backoff_ms > c->cfg.backoff_max_ms / 2 ? c->cfg.backoff_max_ms : c->backoff_ms * 2;
    fail_all(c, &c->in_flight, GR_E_NETWORK);
    if (!c->freeing && c->waiting.head && c->state == CLIENT_DOWN)
        schedule_connect(c);
}

static void connected(struct client *c)
{
    ev_io_stop(c->loop, &c->connect_io);
    ev_timer_stop(c->loop, &c->timer);
    if (c->has_link)
        link_destroy(&c->link);
    struct transport tr;
    transport_plain_init(&tr, c->fd);
    c->fd = -1;
    c->has_link = true;
    if (link_init(&c->link, c->loop, &tr, &client_link_ops, c->cfg.max_response_bytes,
                  "the client's max_response_bytes")) {
        connection_lost(c, "out of memory");
        return;
    }
    c->state = CLIENT_UP;
    c->backoff_ms = c->cfg.backoff_ms;
    pump(c);
}

static void connect_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct client *c = w->data;
    int err = 0;
    socklen_t len = sizeof(err);
    (void)loop;
    (void)revents;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    if (err) {
        char why[160];
        snprintf(why, sizeof(why), "connect failed: %s", strerror(err));
        connection_lost(c, why);
        return;
    }
    connected(c);
}

/* Resolves the address (without blocking when it is numeric). */
static int resolve(const struct client *c, struct addrinfo **ai)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", c->cfg.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    if (getaddrinfo(c->cfg.host, port, &hints, ai) == 0)
        return 0;
    hints.ai_flags = 0; /* a name: blocks, see client.h */
    return getaddrinfo(c->cfg.host, port, &hints, ai) == 0 ? 0 : -1;
}

static void start_connect(struct client *c)
{
    struct addrinfo *ai = NULL;
    if (resolve(c, &ai)) {
        connection_lost(c, "cannot resolve the host");
        return;
    }
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
    int err = errno;
    freeaddrinfo(ai);
    c->state = CLIENT_CONNECTING;
    if (rc < 0 && err != EINPROGRESS) {
        char why[160];
        snprintf(why, sizeof(why), "connect failed: %s", strerror(err));
        connection_lost(c, why);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ev_io_set(&c->connect_io, c->fd, EV_WRITE);
    ev_io_start(c->loop, &c->connect_io);
    ev_timer_set(&c->timer, c->cfg.connect_timeout_ms / 1000.0, 0);
    ev_timer_start(c->loop, &c->timer);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct client *c = w->data;
    (void)loop;
    (void)revents;
    if (c->state == CLIENT_WAIT)
        start_connect(c);
    else if (c->state == CLIENT_CONNECTING)
        connection_lost(c, "connect timed out");
}

/* A response: match it to its request by correlation id. */
static void link_frame(struct link *l, uint8_t *frame, size_t len)
{
    struct client *c = client_of(l);
    struct proto_reader r;
    proto_reader_init(&r, frame, len);
    int32_t id = proto_reader_i32(&r);
    struct client_req *req = c->in_flight.head;
    while (req && req->correlation_id != id)
        req = req->next;
    proto_reader_init(&r, frame, len);
    if (!req || proto_header_decode_response(&r, req->response_header, &id)) {
        frame_buf_free(frame);
        char why[96];
        snprintf(why, sizeof(why), "response with %s correlation id %d",
                 req ? "a malformed header after" : "an unknown", id);
        connection_lost(c, why);
        return;
    }
    list_remove(&c->in_flight, req);
    size_t pos = len - proto_reader_remaining(&r);
    notify(c, req, 0, frame + pos, len - pos);
    frame_buf_free(frame);
    if (!c->freeing)
        pump(c);
}

static void link_failed(struct link *l, int err, const char *why)
{
    (void)err;
    connection_lost(client_of(l), why ? why : "closed by the broker");
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct client_req *r = w->data;
    struct client *c = r->c;
    (void)loop;
    (void)revents;
    if (list_remove(&c->waiting, r)) {
        notify(c, r, GR_E_TIMEOUT, NULL, 0);
        return;
    }
    /* Sent: its frame may still sit in the link's queue, so the link goes
     * first; the others sent on it fail after this one. */
    link_close(&c->link);
    list_remove(&c->in_flight, r);
    notify(c, r, GR_E_TIMEOUT, NULL, 0);
    if (!c->freeing)
        connection_lost(c, "a request timed out");
}

static void really_free(struct client *c)
{
    ev_timer_stop(c->loop, &c->reap);
    if (c->has_link)
        link_destroy(&c->link);
    free((char *)c->cfg.host);
    free((char *)c->cfg.client_id);
    free(c);
}

static void reap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    really_free(w->data);
}

struct client *client_new(struct ev_loop *loop, const struct client_config *cfg)
{
    if (!cfg->host || cfg->port <= 0 || cfg->port > 65535 || cfg->max_in_flight < 0)
        return NULL;
    struct client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->cfg = *cfg;
    c->cfg.host = strdup(cfg->host);
    c->cfg.client_id = cfg->client_id ? strdup(cfg->client_id) : NULL;
    if (!c->cfg.host || (cfg->client_id && !c->cfg.client_id)) {
        really_free(c);
        return NULL;
    }
    if (c->cfg.max_in_flight == 0)
        c->cfg.max_in_flight = 5;
    if (c->cfg.backoff_ms <= 0)
        c->cfg.backoff_ms = 50;
    if (c->cfg.backoff_max_ms <= 0)
        c->cfg.backoff_max_ms = 1000;
    if (c->cfg.backoff_max_ms < c->cfg.backoff_ms)
        c->cfg.backoff_max_ms = c->cfg.backoff_ms;
    if (c->cfg.connect_timeout_ms <= 0)
        c->cfg.connect_timeout_ms = 10000;
    if (c->cfg.max_response_bytes <= 0)
        c->cfg.max_response_bytes = 256 * 1024 * 1024;
    c->backoff_ms = c->cfg.backoff_ms;
    c->fd = -1;
    c->next_correlation_id = 1;
    ev_init(&c->connect_io, connect_io_cb);
    c->connect_io.data = c;
    ev_init(&c->timer, timer_cb);
    c->timer.data = c;
    ev_timer_init(&c->reap, reap_cb, 0, 0);
    c->reap.data = c;
    return c;
}

/* Builds the whole frame of a request. Returns 0 or an error. */
static int encode(struct client *c, struct client_req *r, int16_t key, int16_t version,
                  int header_version, const uint8_t *body, size_t len)
{
    const char *cid = c->cfg.client_id;
    struct proto_RequestHeader h = {
        .request_api_key = key,
        .request_api_version = version,
        .correlation_id = r->correlation_id,
        .client_id = {cid, cid ? (int32_t)strlen(cid) : 0},
        .header_version = (int8_t)header_version,
    };
    struct buf b;
    buf_init(&b);
    buf_put_i32(&b, 0); /* the size, patched below */
    int rc = proto_header_encode_request(&b, &h);
    if (!rc && len)
        buf_append(&b, body, len);
    if (!rc && buf_failed(&b))
        rc = GR_E_NOMEM;
    if (!rc && b.len - 4 > INT32_MAX)
        rc = GR_E_INVALID;
    if (rc) {
        buf_destroy(&b);
        return rc;
    }
    buf_patch_i32(&b, 0, (int32_t)(b.len - 4));
    r->frame = buf_steal(&b, &r->len);
    return r->frame ? 0 : GR_E_NOMEM;
}

int client_send(struct client *c, int16_t api_key, int16_t api_version, const uint8_t *body,
                size_t len, int timeout_ms, client_cb *cb, void *opaque)
{
    if (c->freeing)
        return GR_E_CLOSING;
    int hv = proto_api_request_header_version(api_key, api_version);
    int rhv = proto_header_response_version(api_key, api_version);
    if (hv < 0 || rhv < 0 || timeout_ms <= 0 || !cb || len > INT32_MAX)
        return GR_E_INVALID;
    struct client_req *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    r->c = c;
    r->correlation_id = c->next_correlation_id;
    r->response_header = (int8_t)rhv;
    r->cb = cb;
    r->opaque = opaque;
    int rc = encode(c, r, api_key, api_version, hv, body, len);
    if (rc) {
        free(r);
        return rc;
    }
    c->next_correlation_id = c->next_correlation_id == INT32_MAX ? 0 : c->next_correlation_id + 1;
    ev_timer_init(&r->deadline, deadline_cb, timeout_ms / 1000.0, 0);
    r->deadline.data = r;
    ev_timer_start(c->loop, &r->deadline);
    list_push(&c->waiting, r);
    if (c->state == CLIENT_DOWN)
        schedule_connect(c);
    else
        pump(c);
    return 0;
}

int client_in_flight(const struct client *c)
{
    return c->in_flight.n;
}

int client_waiting(const struct client *c)
{
    return c->waiting.n;
}

void client_free(struct client *c)
{
    if (c->freeing)
        return;
    c->freeing = true;
    if (c->has_link)
        link_close(&c->link);
    ev_io_stop(c->loop, &c->connect_io);
    ev_timer_stop(c->loop, &c->timer);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    fail_all(c, &c->in_flight, GR_E_CANCELLED);
    fail_all(c, &c->waiting, GR_E_CANCELLED);
    if (c->depth > 0)
        ev_timer_start(c->loop, &c->reap); /* after the code below the callback returns */
    else
        really_free(c);
}
