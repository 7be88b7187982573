/*
 * Committed offsets to and from ZooKeeper: an OffsetCommit as one
 * asynchronous multi(), and the deletes of OffsetDelete, DeleteGroups and
 * retention. The layout is in group_offsets.h.
 *
 * A commit is create-or-set: each znode is created (with its missing
 * parents) unless the group's set of known znodes says it exists, then
 * set. ZooKeeper has no create-or-set, so when that knowledge was wrong
 * (EXISTS on a create, NONODE on a set: another broker or a person
 * changed the tree) the multi is corrected and sent again, a few times at
 * most. The cache (group_offsets.h) changes only once ZooKeeper has
 * confirmed, so an OffsetFetch never returns what ZooKeeper does not hold.
 * A request whose entries would not fit one multi (1000 ops, 512 KiB) is
 * written as several, one after the other, each atomic.
 *
 * ZooKeeper not connected: the commit fails at once with
 * COORDINATOR_NOT_AVAILABLE (retriable: clients look the coordinator up
 * again and retry); nothing already committed is touched. A connection lost
 * with the multi in flight gives the same answer (ZooKeeper may or may not
 * have applied it; the client's retry writes the same values).
 *
 * The job outlives the request that started it: the request waits on
 * delay_key(token, DELAY_GROUP_COMMIT) with its own deadline, and the job
 * wakes that key with the per-entry errors when ZooKeeper answers, whether
 * or not anyone still waits.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_COMMIT_H
#define GREGOR_BROKER_GROUP_GROUP_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/tp.h"

struct group;

/* One partition of an OffsetCommit. */
struct group_commit_entry {
    const char *topic; /* a legal topic name; borrowed */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1: none */
    const char *metadata; /* NULL or "" for none; borrowed */
    int16_t error;        /* in: NONE to write it, else left alone; out: its result */
};

/* Writes the entries of e (n, borrowed for the call) whose error is NONE.
 * Returns NULL when every answer is known now (errors set in e), or the
 * token to wait on: the wake's arg is a const int16_t array of n errors,
 * one per entry of e (entries not written keep their own). */
void *group_commit_start(struct group *g, struct group_commit_entry *e, int n);
/* Forgets the offsets of tps (n, borrowed) and deletes their znodes
 * (asynchronous, best effort; failures are logged). */
void group_commit_delete(struct group *g, const struct tp *tps, int n);
/* Forgets every offset of g and deletes its znodes, its membership
 * record (group_persist.h) and /consumers/<group> included when nothing
 * else lives there. */
void group_commit_delete_all(struct group *g);
/* The coordinator is about to free g: its commits in flight go on (their
 * requests still get ZooKeeper's answer) without touching it. */
void group_commit_detach(struct group *g);
/* Forgets and deletes the offsets committed before before_ms (wall
 * clock) except those of the topics keep (NULL: none) says to keep; the
 * whole tree when none is left and keep is NULL. Returns how many. */
int group_commit_expire(struct group *g, int64_t before_ms,
                        bool (*keep)(const struct group *g, const char *topic));

#endif
