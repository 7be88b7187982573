/*
 * Small pieces every handler needs: answering with a response struct,
 * topic names as C strings and as identities, "the partition this broker
 * leads, or the error code that says why not", and parking a request as a
 * delayed operation.
 */
#ifndef GREGOR_BROKER_HANDLER_UTIL_H
#define GREGOR_BROKER_HANDLER_UTIL_H

#include <stdint.h>

#include "broker/core/delay.h"
#include "broker/proto/proto_str.h"
#include "common/tp.h"

struct partition;
struct request;

/* Answers req with resp (a const struct proto_<Api>Response *, borrowed;
 * the owners of its file ranges pass to the request's out): encodes it in
 * the request's version with its correlation id and queues it with
 * request_respond(), or, if it cannot be encoded, ends the request with
 * request_fail(). Either way the handler is done with req. */
#define req_respond(req, Api, resp)                                                                \
    req_respond_encoded((req), #Api,                                                               \
                        proto_encode_##Api##Response(&(req)->out, (req)->hdr.request_api_version,  \
                                                     (req)->hdr.correlation_id, (resp)))
/* The second half of req_respond(): rc is the encoder's status. */
void req_respond_encoded(struct request *req, const char *api, int rc);

/* A NUL-terminated copy of s in the request's arena ("" for null; NULL only
 * when out of memory). */
char *req_cstr(struct request *req, struct proto_str s);

/* A topic name from the wire as a NUL-terminated copy in the request's
 * arena, or NULL when it is null, not a legal topic name (which also
 * refuses an embedded NUL: "t\0x" must never be read as "t"), or out of
 * memory. Every handler that turns a wire name into a C string for the
 * metadata cache or ZooKeeper goes through this. */
char *req_topic_name(struct request *req, struct proto_str s);

/* The identity of a topic-partition named on the wire. Its topic is NULL
 * when no hosted partition or cached topic has that name (a lookup then
 * finds nothing); borrowed, valid for the duration of the handler call. */
static inline struct tp req_tp(struct proto_str topic, int32_t partition)
{
    return (struct tp){topic.ptr ? tp_topic_find(topic.ptr, (size_t)topic.len) : NULL, partition};
}

/* partition_lead() for a handler: the hosted partition tp if this broker
 * leads it, else NULL with *error set to the Kafka code of why not. */
struct partition *req_leader(struct request *req, struct tp tp, int32_t current_epoch,
                             int16_t *error);

/* A request parked as a delayed operation. */
struct req_wait {
    struct delay_op op;   /* in the broker's delay facility */
    struct request *req;  /* referenced while parked */
    void (*cancelled)(struct req_wait *w); /* the client went away: undo what parking counted; or NULL */
};

/* Parks req: w->op must be initialised (delay_op_init) and watching its
 * keys. Takes a reference on req and arms the deadline (timeout_ms < 0:
 * none). If the client disconnects first, the operation is cancelled and
 * the reference dropped; complete() is then never called. */
void req_wait_start(struct request *req, struct req_wait *w, int64_t timeout_ms);
/* req_wait_start() with a hook run (before the reference is dropped) when
 * the operation is cancelled because the client disconnected. */
void req_wait_start_cb(struct request *req, struct req_wait *w, int64_t timeout_ms,
                       void (*cancelled)(struct req_wait *w));
/* Called first thing in the operation's complete(): the request is no
 * longer cancellable. The caller then answers and drops the reference with
 * request_unref(w->req). */
void req_wait_end(struct req_wait *w);

#endif
