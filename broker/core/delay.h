/*
 * Delayed operations: the one way anything in the broker waits.
 *
 * A request that cannot be answered yet (a Fetch short of min_bytes, a
 * Produce waiting for its fsync, an admin request waiting for the metadata
 * to show its result; later acks=all waiting for the high watermark and the
 * group coordinator's join, sync and session timers) becomes a delayed
 * operation: it watches the keys that can complete it and may carry a
 * deadline. Whoever changes something wakes its key: delay_wake() asks only
 * the operations watching that key whether they are done, so an append to
 * one partition touches the fetches waiting on that partition and no other.
 * This is Kafka's DelayedOperationPurgatory on one event loop.
 *
 * A key is an object and one of its events (struct keymap_key {obj, event}):
 * a hosted partition and DELAY_DATA, the metadata cache and DELAY_METADATA.
 * The object only names the key; this module never dereferences it.
 *
 * Contract:
 * - ready(op, w, arg) runs during delay_wake() for each watch w of op on the
 *   woken key (arg is the waker's, valid during the call). It may update the
 *   operation's own state (re-read the one partition that changed) and
 *   returns true when the operation is done. It must not complete, cancel or
 *   start operations, nor add watches: the watch lists stay as they are
 *   while ready() runs.
 * - complete(op, timed_out) runs exactly once per delay_start(), after every
 *   watch is removed and the deadline disarmed, either because ready()
 *   returned true (timed_out false) or because the deadline passed (true);
 *   never from inside delay_start(), delay_watch() or delay_cancel(). It may
 *   do anything, including freeing op and waking or cancelling others.
 * - delay_cancel(op) removes the operation without calling complete (a
 *   client disconnected); afterwards op's memory is the caller's again.
 * Owns: the key -> watches index and each operation's deadline timer. The
 * operations and their watches are the callers' memory (embedded in request
 * state); nothing here allocates per operation.
 */
#ifndef GREGOR_BROKER_CORE_DELAY_H
#define GREGOR_BROKER_CORE_DELAY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keymap.h"

/* The events of an object that operations can wait for. */
enum delay_event {
    DELAY_DATA = 1,     /* a partition got records, or changed role: fetches re-check */
    DELAY_FLUSH = 2,    /* a partition's recovery point moved (fsync done) */
    DELAY_METADATA = 3, /* the metadata cache changed */
    DELAY_GROUP_JOIN = 4,  /* a group member's JoinGroup has its answer (arg: the answer) */
    DELAY_GROUP_SYNC = 5,  /* a group member's SyncGroup has its answer (arg: the answer) */
    DELAY_GROUP_REBALANCE = 6, /* a group's members changed: is its join phase done? */
    DELAY_GROUP_COMMIT = 7, /* an offset commit's ZooKeeper write ended (arg: the errors) */
};

static inline struct keymap_key delay_key(const void *obj, enum delay_event ev)
{
    return (struct keymap_key){obj, ev};
}

struct delay_op;

/* One key an operation watches. */
struct delay_watch {
    struct keymap_key key;            /* what it waits for */
    struct delay_op *op;              /* its operation */
    struct delay_watch *prev, *next;  /* the other watches of the key */
    struct delay_watch *op_next;      /* the operation's other watches */
    size_t tag;                       /* the owner's, e.g. which partition of a Fetch */
};

enum delay_state {
    DELAY_IDLE = 0,   /* not started, finished or cancelled */
    DELAY_WAITING,    /* watching and timing */
    DELAY_COMPLETING, /* found ready; complete() is about to run */
};

struct delay_op {
    /* Done now that w's key fired? (See the contract above.) NULL: only the
     * deadline completes it. */
    bool (*ready)(struct delay_op *op, struct delay_watch *w, void *arg);
    /* Runs once when the operation ends (see the contract above). */
    void (*complete)(struct delay_op *op, bool timed_out);
    struct delay *d;                  /* the facility, while started */
    ev_timer timer;                   /* the deadline, when there is one */
    struct delay_watch *watches;      /* its watches, through op_next */
    struct delay_op *done_prev, *done_next; /* the facility's completing list */
    enum delay_state state;           /* see above */
};

struct delay {
    struct ev_loop *loop;             /* borrowed */
    struct keymap keys;               /* key -> first struct delay_watch */
    struct delay_op *completing;      /* ready operations whose complete() is due */
    size_t nwaiting;                  /* operations started and not ended */
    size_t nwatches;                  /* watches linked */
};

void delay_init(struct delay *d, struct ev_loop *loop);
/* Frees the index. Every operation must have ended or been cancelled. */
void delay_destroy(struct delay *d);

/* Prepares op (caller-allocated) with its two callbacks; clears its watches.
 * Call before delay_watch. */
void delay_op_init(struct delay_op *op,
                   bool (*ready)(struct delay_op *op, struct delay_watch *w, void *arg),
                   void (*complete)(struct delay_op *op, bool timed_out));
/* Adds a watch (caller-allocated, borrowed until the operation ends) of op
 * on key, with the caller's tag. Returns 0 or GR_E_NOMEM (then w is not
 * linked). An operation may watch the same key more than once. */
int delay_watch(struct delay *d, struct delay_op *op, struct delay_watch *w,
                struct keymap_key key, size_t tag);
/* Starts waiting: arms the deadline (timeout_ms < 0: none, 0: the next loop
 * iteration). The watches added before count from now on. */
void delay_start(struct delay *d, struct delay_op *op, int64_t timeout_ms);
/* Something changed about key: runs ready() of every operation watching it
 * (only those), then complete() of each that became ready. arg is passed to
 * ready(). */
void delay_wake(struct delay *d, struct keymap_key key, void *arg);
/* Ends op without calling complete(), removing its watches (also those of
 * an operation watched but never started). No-op for one already ended. */
void delay_cancel(struct delay *d, struct delay_op *op);

#endif
