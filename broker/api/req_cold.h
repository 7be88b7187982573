/*
 * A request whose offset lookups found cold pages: the log manager's reader
 * brings them into the page cache, then the handler looks again.
 *
 * Finding where an offset or a timestamp lies in a segment reads its index
 * (a mapping: a page fault) and the batch headers after the index entry (a
 * pread). On a slow disk either can wait for a second or more, and on the
 * loop thread every client and the ZooKeeper session wait with it
 * (docs/BENCHMARKS.md §5). So handlers call the log's *_cached lookups,
 * which answer GR_E_AGAIN and name the cold range instead of waiting; the
 * handler adds each such range here, and once the attempt is over and
 * anything was added, stops: when the reads are done, again() runs and the
 * handler does its work over (its answers may have changed meanwhile; that
 * is as if the request had arrived later).
 *
 * Bounded: one attempt queues at most REQ_COLD_PER_ATTEMPT reads (a lookup
 * found cold beyond them is simply found again next time), and after
 * REQ_COLD_ATTEMPTS attempts the handler is told to read and wait as it
 * did before (req_cold_slot answers NULL), so a page cache too small to
 * hold what one request needs costs a stall, never a request that loops.
 */
#ifndef GREGOR_BROKER_API_REQ_COLD_H
#define GREGOR_BROKER_API_REQ_COLD_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log/log_warm.h"

struct request;

#define REQ_COLD_PER_ATTEMPT 64
#define REQ_COLD_ATTEMPTS    32

struct req_cold {
    struct request *req;                /* the request; referenced while reads run */
    void (*again)(struct req_cold *rc); /* runs on the loop once this attempt's reads are done
                                         * and the client is still connected */
    int32_t pending;                    /* reads queued and not done */
    int32_t attempts;                   /* attempts that queued reads */
};

/* Sets rc up for req (borrowed) and again. */
void req_cold_init(struct req_cold *rc, struct request *req, void (*again)(struct req_cold *rc));

/* What to pass as the cold argument of a *_cached lookup: slot (the
 * caller's, empty), or NULL once the request has had its REQ_COLD_ATTEMPTS
 * and must read and wait. */
struct log_cold *req_cold_slot(struct req_cold *rc, struct log_cold *slot);

/* A lookup answered GR_E_AGAIN with *c: queues its read (takes c's
 * references; c is empty afterwards). */
void req_cold_add(struct req_cold *rc, struct log_cold *c);

/* Ends an attempt. True when reads were queued: the handler must not answer
 * now (again() will run; rc holds a reference on the request until then).
 * False: nothing was cold, answer. */
bool req_cold_wait(struct req_cold *rc);

#endif
