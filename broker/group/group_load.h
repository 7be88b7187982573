/*
 * Loading the groups of a partition of __consumer_offsets from ZooKeeper
 * when this broker starts leading it: every /consumers/<group> whose id
 * hashes to the partition becomes an Empty group with its committed
 * offsets (each offset's commit time is its znode's mtime; metadata and
 * leader epoch come from the offsets_metadata sibling when there is one)
 * and, when its membership record (group_persist.h) is there, its
 * generation and members as its last coordinator left them: a Stable
 * group stays Stable, and its members carry on with their next heartbeat.
 * Their sessions start when the load is done (group_loaded()), so a member
 * that died with the old coordinator is removed a session timeout later
 * and a rebalance follows.
 *
 * All reads are asynchronous; the partition answers
 * COORDINATOR_LOAD_IN_PROGRESS until the last one is back. A load that a
 * leadership change made stale finishes without touching anything (the
 * partition's load generation moved on); one with failed reads (ZooKeeper
 * unreachable) is tried again a second later, as long as the partition
 * is still led here.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_LOAD_H
#define GREGOR_BROKER_GROUP_GROUP_LOAD_H

#include <stdbool.h>
#include <stdint.h>

struct broker;
struct group;

#define GROUP_LOAD_TOPIC "__consumer_offsets"

/* What the load asks of the coordinator that started it. */
struct group_load_hooks {
    /* The group id of partition, created Empty when missing; NULL when out
     * of memory. */
    struct group *(*adopt)(void *ctx, const char *id, int32_t partition);
    /* Whether the load of partition started at load generation gen still
     * counts (the partition is still led here and loading). */
    bool (*current)(void *ctx, int32_t partition, uint32_t gen);
    /* Every read is back: partition may answer for its groups. */
    void (*loaded)(void *ctx, int32_t partition);
};

/* Starts loading the groups of partition (of nparts) at load generation
 * gen; hooks (borrowed, must outlive the load) and ctx are the
 * coordinator's. */
void group_load_start(struct broker *b, int32_t partition, int32_t nparts, uint32_t gen,
                      const struct group_load_hooks *hooks, void *ctx);

#endif
