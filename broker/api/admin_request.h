/*
 * The shared life of CreateTopics, DeleteTopics and CreatePartitions: one
 * ZooKeeper write per topic, then a wait until the metadata cache shows
 * every successful write's result (leaders elected, topic gone), bounded by
 * the request's timeout_ms; then one response. Only the controller takes
 * these requests (others answer NOT_CONTROLLER), as Kafka's admin clients
 * expect.
 */
#ifndef GREGOR_BROKER_ADMIN_REQUEST_H
#define GREGOR_BROKER_ADMIN_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/api/handler_util.h"
#include "broker/cluster/admin.h"
#include "broker/proto/proto_str.h"

struct request;
struct admin_req;

/* One topic of the request. */
struct admin_item {
    struct admin_req *ar;       /* the request it belongs to */
    char *name;                 /* topic name, arena-owned */
    int32_t count;              /* CreatePartitions: the partition count asked for */
    int err;                    /* the result: GR_OK or a gregor error */
    char *message;              /* the error message, arena-owned or NULL */
    bool written;               /* the ZooKeeper write succeeded: wait for it to show */
    int same_as;                /* DeleteTopics: the earlier item naming the same topic, or -1 */
};

struct admin_req {
    struct request *req;                  /* referenced until answered */
    struct admin_item *items;             /* arena-owned */
    int n;                                /* entries in items */
    int pending;                          /* ZooKeeper writes outstanding */
    int32_t timeout_ms;                   /* the request's timeout */
    int shown_upto;                       /* items before it have shown their result */
    struct admin_budget bud;              /* what the request may still create */
    bool (*shown)(struct admin_req *ar, const struct admin_item *it); /* result visible? */
    void (*respond)(struct admin_req *ar); /* encode the response from items */
    struct req_wait wait;                 /* waiting for the metadata to show the results */
    struct delay_watch watch;             /* on the metadata cache's DELAY_METADATA key */
    void *ctx;                            /* the handler's own state (shown() may use it) */
};

/* Allocates the state for n topics in the request's arena. */
struct admin_req *admin_req_new(struct request *req, int n, int32_t timeout_ms);
/* True (with every item set to NOT_CONTROLLER) if this broker is not the
 * controller; the caller then just responds. */
bool admin_req_not_controller(struct admin_req *ar);
/* Records the outcome of starting item i's write: GR_OK, a gregor error, or
 * GR_PENDING for a write under way (its completion is admin_req_write_done). */
void admin_req_started(struct admin_req *ar, int i, int err, const char *msg);
/* The admin_done_fn to pass with item i as ctx. */
void admin_req_write_done(int err, const char *message, void *item);
/* All items are started: wait for the writes and the metadata, then respond. */
void admin_req_run(struct admin_req *ar);
/* Item it's result as a Kafka ErrorCode (an item with same_as >= 0 answers
 * as that item). */
int16_t admin_req_code(const struct admin_item *it);
/* An arena copy of a message for a response (NULL stays NULL). */
struct proto_str admin_req_message(const struct admin_item *it);
/* For n topic names of a request (name(ctx, i) gives name i), first[i] is
 * the first index naming the same topic; arena-owned, NULL when out of
 * memory. */
int32_t *admin_req_repeats(struct admin_req *ar, struct proto_str (*name)(const void *ctx, int32_t i),
                           const void *ctx);
/* The same as flags: true for every entry whose name appears more than once
 * (Kafka answers all of them INVALID_REQUEST). Arena-owned, NULL when out
 * of memory. */
bool *admin_req_repeated(struct admin_req *ar, struct proto_str (*name)(const void *ctx, int32_t i),
                         const void *ctx);

#endif
