/*
 * The partitions this broker hosts: for each, its log and its role.
 *
 * Owns the link between a partition in the metadata cache and its log on
 * disk, and the leader role (leader epoch, high watermark), in one map keyed
 * by topic-partition identity (b->parts). partitions_sync() makes the hosted
 * set follow the metadata: a replica assigned here gets a log, the logs of
 * a deleted topic and of a replica no longer assigned here are deleted
 * (Kafka's StopReplica), the state znode decides who leads.
 *
 * Requests that wait on a partition do so through the delayed-operation
 * facility (core/delay.h), on the partition's keys: DELAY_DATA is woken
 * when records are appended and when the partition changes role or goes
 * away, DELAY_FLUSH when its recovery point moves (and likewise on role
 * changes). The wake passes the partition itself as arg; ready() callbacks
 * read p->going to tell a partition that is being removed.
 *
 * Replication (the leader side lives in partition_isr.c, the follower side
 * in broker/repl/): a leader tracks each follower's log end offset, as its
 * replica Fetch requests say, and when it last caught up.
 * Invariant: the leader's high watermark is the minimum log end offset over
 * the ISR (its own included), and it never moves back while this broker
 * leads. While an ISR change is being written, the ISR counted is the union
 * of the old and the new one, so the high watermark never counts on a
 * replica ZooKeeper has not accepted; after a rejected write (the state
 * znode changed under us) or without a ZooKeeper session, nothing is
 * answered as committed until the state is read again.
 */
#ifndef GREGOR_BROKER_CLUSTER_PARTITION_H
#define GREGOR_BROKER_CLUSTER_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/cluster/partition_isr.h"
#include "broker/core/delay.h"
#include "common/tp.h"

struct broker;
struct log;

/* Makes the hosted partitions of topic (NULL: all topics; partition >= 0:
 * just that one) follow the metadata cache. */
void partitions_sync(struct broker *b, const char *topic, int32_t partition);
/* Stops hosting everything (shutdown): waiters are woken, logs stay. */
void partitions_clear(struct broker *b);

/* The hosted partition tp if this broker leads it: GR_OK with *out set, or
 * GR_E_NOENT (no such partition; also for tp.topic NULL, a name nobody
 * interned), GR_E_NOT_LEADER (another broker leads it), GR_E_NO_LEADER (no
 * live leader), GR_E_OFFLINE (its log is offline after an I/O error or
 * failed to load), GR_E_FENCED_EPOCH or GR_E_UNKNOWN_EPOCH when current_epoch
 * (-1: not checked), the client's view of the leader epoch, is older or
 * newer than ours. */
int partition_lead(struct broker *b, struct tp tp, int32_t current_epoch, struct partition **out);

/* The hosted partition, or NULL. */
struct partition *partition_get(const struct broker *b, struct tp tp);

/* Whether this broker's replica of tp is offline: its log failed (write or
 * fsync) or did not load at start-up. False for tp.topic NULL. */
bool partition_offline_here(const struct broker *b, struct tp tp);

/* The keys of a partition's events, for delay_watch(). */
static inline struct keymap_key partition_key(const struct partition *p, enum delay_event ev)
{
    return delay_key(p, ev);
}

/* The high watermark: what consumers may read. */
int64_t partition_high_watermark(const struct partition *p);

/* Called after records were appended: moves the high watermark (alone in
 * the ISR, the leader's log end is the high watermark) and wakes the
 * operations waiting for this partition's data. */
void partition_appended(struct partition *p);

/* The log manager's flush hook: wakes operations waiting for this
 * partition's data to be durable. */
void partition_log_flushed(struct log *l, int64_t offset, void *ctx);

#endif
