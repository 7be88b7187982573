/*
 * One Kafka request from its frame to its response.
 *
 * Owns the request's frame buffer (record data of a Produce request is
 * validated, given offsets and written to the log from this very buffer),
 * the arena its decoded body lives in, and the encoded response. A request
 * is referenced by its connection until its response has been sent, and by
 * every asynchronous operation a handler starts (a ZooKeeper write, a
 * delayed produce or fetch); it is freed when the last reference goes.
 *
 * Handlers finish a request with request_respond() (after encoding into
 * req->out) or request_no_response() (acks=0 Produce). If the connection
 * closes first, req->conn is NULL and the handler's cancel hook runs.
 */
#ifndef GREGOR_BROKER_REQUEST_H
#define GREGOR_BROKER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/net/link.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_out.h"
#include "common/arena.h"

struct broker;
struct conn;
struct request;

/* What a request may ask of the connection it came from, given by the
 * connection to request_new(), so that this file needs nothing of conn.c. */
struct request_conn_ops {
    void (*kick)(struct conn *c, struct request *req); /* req finished: send */
    void (*close)(struct conn *c, const char *why); /* give up on the connection */
    const char *(*peer)(const struct conn *c);      /* "host:port", borrowed */
};

enum request_state {
    REQ_PENDING,     /* the handler has not finished */
    REQ_DONE,        /* out holds the response frame */
    REQ_NO_RESPONSE, /* finished; nothing is sent (acks=0) */
};

struct request {
    struct broker *b;               /* the broker; borrowed */
    struct conn *conn;              /* the client's connection; NULL once it closed */
    const struct request_conn_ops *conn_ops; /* what conn offers; borrowed */
    uint8_t *frame;                 /* the frame after its size prefix; owned */
    size_t len;                     /* bytes in frame */
    struct proto_RequestHeader hdr; /* decoded header (client_id is a view into frame) */
    const void *api;                /* the API layer's table entry for it; opaque here */
    struct arena arena;             /* the decoded body and handler state */
    void *body;                     /* the decoded request, arena-owned */
    struct proto_out out;           /* the response */
    enum request_state state;       /* see above */
    int refs;                       /* connection + pending asynchronous operations */
    int64_t received_us;            /* monotonic time the frame was complete */
    void (*cancel)(struct request *req); /* called once if the connection closes while pending */
    void *hstate;                   /* handler state for asynchronous completion */
    struct request *next;           /* the connection's queue, in arrival order */
    struct link_msg msg;            /* the response in the link's output queue */
    bool sending;                   /* msg is queued on the link, not sent yet */
    size_t out_bytes;               /* response bytes its connection counts until sent */
    int metrics_alias;              /* a second name it is timed under (broker/metrics: the
                                       Fetch slots), 0: none */
};

/* Takes ownership of frame; borrows b, c and ops (which must outlive the
 * request's connection). Returns a request with one reference (the
 * connection's), or NULL when out of memory (frame freed). */
struct request *request_new(struct broker *b, struct conn *c, const struct request_conn_ops *ops,
                            uint8_t *frame, size_t len);
struct request *request_ref(struct request *req);
void request_unref(struct request *req);

/* The response in req->out is complete: queue it for sending. */
void request_respond(struct request *req);
/* The request is finished and gets no response. */
void request_no_response(struct request *req);
/* The request cannot be answered (out of memory, or a response that could
 * not be encoded in the client's version): its connection is closed, and
 * why (borrowed) is logged and given as the reason of the close. */
void request_fail(struct request *req, const char *why);

/* Human-readable "Produce v7 (correlation id 5) from client x at 1.2.3.4:5"
 * for log lines; writes into buf and returns it. */
const char *request_describe(const struct request *req, char *buf, size_t bufsz);

#endif
