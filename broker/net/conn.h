/*
 * A client connection: Kafka framing in, responses out, in order.
 *
 * Owns the socket, the partly read frame, the queue of requests read from
 * this connection (several may be in flight; responses leave in arrival
 * order, as the protocol requires) and the progress of the response being
 * sent: memory chunks go out with writev(2), record data with sendfile(2).
 * It does not decode bodies or run handlers: it parses the 4-byte size
 * prefix, checks it against socket.request.max.bytes, and hands each whole
 * frame to the broker's dispatch function (the API layer's api_dispatch,
 * wired by server.c; net/ never calls up into api/).
 *
 * A malformed frame or a failed write closes this connection only; every
 * other client keeps being served.
 */
#ifndef GREGOR_BROKER_CONN_H
#define GREGOR_BROKER_CONN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/core/broker_config.h"

struct broker;
struct request;

struct conn {
    struct broker *b;                 /* the broker; borrowed */
    int fd;                           /* the socket */
    uint64_t id;                      /* for log lines */
    ev_io io;                         /* read / write readiness */
    ev_timer idle;                    /* connections.max.idle.ms */
    const struct config_listener *listener; /* the listener it came in on */
    char peer[80];                    /* "host:port" of the client */
    uint8_t *rbuf;                    /* staging buffer for reads; owned */
    size_t rlen;                      /* bytes in rbuf */
    uint8_t *frame;                   /* a large frame being read directly; owned */
    size_t frame_len;                 /* its size */
    size_t frame_have;                /* bytes of it read so far */
    size_t frame_cap;                 /* bytes allocated for it */
    struct request *head, *tail;      /* requests in arrival order */
    int nreq;                         /* entries in that queue */
    size_t chunk;                     /* send progress: chunk index in head's out */
    int64_t chunk_off;                /* send progress: bytes of that chunk sent */
    bool reading;                     /* EV_READ is wanted */
    bool writing;                     /* EV_WRITE is wanted */
    bool closed;                      /* closed; freed at the loop's next safe point */
    struct conn *prev, *next;         /* the broker's connection list */
};

/* Adopts an accepted, non-blocking socket. Returns new or NULL (fd closed). */
struct conn *conn_new(struct broker *b, int fd, const struct config_listener *l,
                      const char *peer);
/* Closes the connection: requests still pending are cancelled. The struct is
 * freed later, from the broker's safe point, so callers on the stack stay valid.
 * reason (may be NULL) is logged. */
void conn_close(struct conn *c, const char *reason);
/* Frees a closed connection (the broker's safe point). */
void conn_free(struct conn *c);
/* A request of this connection finished: send what can be sent. */
void conn_kick(struct conn *c);

#endif
