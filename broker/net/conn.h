/*
 * A client connection to the broker: requests in, responses out, in order.
 *
 * Owns the framed link (and through it the socket), the queue of requests
 * read from this connection (several may be in flight; responses leave in
 * arrival order, as the protocol requires) and the idle timer. It does not
 * decode bodies or run handlers: each whole frame becomes a request handed
 * to the broker's dispatch function (the API layer's api_dispatch, wired by
 * server.c; net/ never calls up into api/). Framing, the
 * socket.request.max.bytes check and sending live in link.c.
 *
 * A malformed frame or a failed write closes this connection only; every
 * other client keeps being served.
 *
 * What one connection may hold is bounded three ways, each by pausing its
 * reads (never by refusing a request already read): queued.max.requests
 * requests, gregor.queued.max.response.bytes of answers waiting to be sent,
 * and its share of queued.max.request.bytes, the broker-wide budget for
 * request bytes read and not yet answered. When the budget is spent, the
 * connections holding at least an equal share of it stop reading and the
 * others go on; a connection with no request queued may always read one, so
 * nobody waits for a budget it holds nothing of. A client that does not read
 * its answers is closed once they make no progress for
 * connections.max.idle.ms, and everything its requests held (buffers,
 * references to segment files, deleted or not) is released.
 */
#ifndef GREGOR_BROKER_CONN_H
#define GREGOR_BROKER_CONN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/core/broker_config.h"
#include "broker/net/link.h"

struct broker;
struct request;

struct conn {
    struct broker *b;                 /* the broker; borrowed */
    uint64_t id;                      /* for log lines */
    struct link link;                 /* framing and the socket */
    ev_timer idle;                    /* connections.max.idle.ms */
    const struct config_listener *listener; /* the listener it came in on */
    char peer[80];                    /* "host:port" of the client */
    struct request *head, *tail;      /* requests in arrival order, until answered */
    struct request *unsent;           /* first request whose response is not queued yet */
    int nreq;                         /* entries in that queue */
    int64_t held;                     /* bytes of its queued requests and of a frame arriving */
    size_t out_bytes;                 /* bytes of finished responses not sent yet */
    uint64_t sent_mark;               /* link.bytes_sent when last seen alive (idle timer) */
    bool closed;                      /* closed; freed at the loop's next safe point */
    bool budget_paused;               /* on b->budget.paused */
    char ip[64];                      /* client address holding a b->quota slot; "" for none */
    struct conn *prev, *next;         /* the broker's connection list */
    struct conn *bprev, *bnext;       /* b->budget.paused */
};

/* Adopts an accepted, non-blocking socket. ip (borrowed; may be NULL) is the
 * client's address when the connection took a slot of b->quota, given back
 * when it closes (or here, if this fails). Returns new or NULL (fd closed). */
struct conn *conn_new(struct broker *b, int fd, const struct config_listener *l,
                      const char *peer, const char *ip);
/* Closes the connection: requests still pending are cancelled. The struct is
 * freed later, from the broker's safe point, so callers on the stack stay valid.
 * reason (may be NULL) is logged. */
void conn_close(struct conn *c, const char *reason);
/* Frees a closed connection (the broker's safe point). */
void conn_free(struct conn *c);
/* req (borrowed), a request of this connection, finished: send what can be
 * sent. */
void conn_kick(struct conn *c, struct request *req);

#endif
