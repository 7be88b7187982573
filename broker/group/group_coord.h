/*
 * The group coordinator: which groups this broker coordinates, and the
 * calls the API handlers make.
 *
 * Routing is Kafka's: a group belongs to partition
 * abs(String.hashCode(group.id)) % partitions of the internal topic
 * __consumer_offsets, and the leader of that partition coordinates it, so
 * coordination moves with partition leadership and survives broker loss
 * like any partition does. The topic is created on the first
 * FindCoordinator (offsets.topic.num.partitions,
 * offsets.topic.replication.factor; with fewer live brokers than the
 * factor, COORDINATOR_NOT_AVAILABLE as Kafka 2.8 answers). It holds no
 * records in gregor: committed offsets live in ZooKeeper (group_offsets.h).
 *
 * Owns every group of the partitions this broker leads (group.c), each
 * partition's load state and the retention sweep (offsets.retention.minutes).
 * group_coord_metadata_changed() follows what partitions_sync() decided:
 * a partition this broker starts leading is loaded from ZooKeeper
 * (group_load.c; COORDINATOR_LOAD_IN_PROGRESS meanwhile), one it stops
 * leading is dropped (its waiting requests get NOT_COORDINATOR).
 *
 * A topic deleted from the metadata cache takes its committed offsets
 * with it, as in Kafka: every loaded group forgets them and their znodes
 * are deleted (group_purge.h). The same check runs when a partition
 * finishes loading, for topics deleted while another broker coordinated.
 * Commits name existing topics only (UNKNOWN_TOPIC_OR_PARTITION
 * otherwise), so an offset of a topic missing from the cache is one of a
 * deleted topic.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_COORD_H
#define GREGOR_BROKER_GROUP_GROUP_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/core/delay.h"
#include "broker/group/group_load.h"
#include "common/strmap.h"

struct broker;
struct group;
struct group_purge;

#define GROUP_COORD_TOPIC GROUP_LOAD_TOPIC

/* A partition of __consumer_offsets, as far as this broker is concerned. */
enum group_part_state {
    GROUP_PART_NOT_LEADER = 0, /* another broker coordinates its groups */
    GROUP_PART_LOADING,        /* led here; its groups are being read from ZooKeeper */
    GROUP_PART_LOADED,         /* led here; its groups are in memory */
};

struct group_coord {
    struct broker *b;           /* borrowed */
    int32_t nparts;             /* entries in part and load_gen */
    uint8_t *part;              /* enum group_part_state per partition; owned */
    uint32_t *load_gen;         /* bumped whenever a partition's load starts or stops; owned */
    int32_t *epoch;             /* its leader epoch while led here (the coordinator epoch); owned */
    struct strmap groups;       /* group.id -> struct group (owned) */
    struct delay_op retention;  /* the offsets.retention.check.interval.ms sweep */
    bool creating;              /* __consumer_offsets is being created */
    struct delay_op md_op;      /* woken by metadata changes: did a topic go? */
    struct delay_watch md_w;    /* its DELAY_METADATA watch */
    size_t ntopics_seen;        /* topics in the metadata cache when last woken */
    struct group_purge *purges; /* removals of deleted topics' offsets in flight */
};

/* Returns a new coordinator (free with group_coord_free) or NULL. */
struct group_coord *group_coord_new(struct broker *b);
/* Drops every group (their waiting requests get NOT_COORDINATOR). */
void group_coord_free(struct group_coord *gc);

/* FindCoordinator for group id: the Kafka error code; on NONE *node is the
 * coordinator's broker id. Creates __consumer_offsets when it is missing. */
int16_t group_coord_find(struct group_coord *gc, const char *id, int32_t *node);
/* Whether this broker may answer for group id now: NONE,
 * NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or INVALID_GROUP_ID (""). */
int16_t group_coord_route(struct group_coord *gc, const char *id);
/* The group (routed here and loaded), or NULL. */
struct group *group_coord_get(struct group_coord *gc, const char *id);
/* The group, created Empty when missing; NULL when out of memory. Call
 * only after group_coord_route() said NONE. */
struct group *group_coord_get_or_create(struct group_coord *gc, const char *id);
/* The group id of partition (the load's way in), created Empty when
 * missing; NULL when out of memory. */
struct group *group_coord_adopt(struct group_coord *gc, const char *id, int32_t partition);
/* Removes group g (Dead): waiting requests get error, its timers stop,
 * its membership record is deleted (group_persist.h). */
void group_coord_remove(struct group_coord *gc, struct group *g, int16_t error);
/* Whether any partition of this broker is still loading. */
bool group_coord_loading(const struct group_coord *gc);
/* The metadata cache changed: load the partitions of __consumer_offsets
 * this broker now leads, drop those it no longer leads. */
void group_coord_metadata_changed(struct group_coord *gc);
/* Shutdown: drops every group; loads and commits still in flight find
 * nothing when ZooKeeper answers them. */
void group_coord_stop(struct group_coord *gc);
#endif
