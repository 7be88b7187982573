/*
 * Replication throttles, as Kafka's ReplicationQuotaManager applies them
 * to reassignments: a topic's leader.replication.throttled.replicas and
 * follower.replication.throttled.replicas ("p:b,p:b" or "*") name the
 * partition replicas whose copying is limited on broker b, and the
 * broker's leader.replication.throttled.rate and
 * follower.replication.throttled.rate (dynamic broker configs) set the
 * bytes per second. A leader sends no records of a throttled partition to
 * a follower outside the ISR while its rate is used up (api/handle_fetch.c);
 * a follower outside the ISR leaves a throttled partition out of its
 * fetches while its own is (repl/replica_fetcher.c). Replicas in the ISR
 * are never slowed, so a throttle cannot hold back acks=all producers.
 *
 * The rate is a token bucket holding at most one second's worth: a
 * response larger than that leaves a debt, paid before the next one, so
 * the average holds at any response size.
 */
#ifndef GREGOR_BROKER_CLUSTER_THROTTLE_H
#define GREGOR_BROKER_CLUSTER_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct broker;
struct metadata_topic;
struct partition;

struct throttle_bucket {
    int64_t allowance; /* bytes that may go now; negative: a debt */
    int64_t last_ms;   /* when it was last refilled (0: never) */
};

struct replica_throttle {
    struct throttle_bucket leader;   /* leader.replication.throttled.rate */
    struct throttle_bucket follower; /* follower.replication.throttled.rate */
};

/* Refills bucket at rate bytes/s and says whether it is used up. */
bool throttle_bucket_empty(struct throttle_bucket *bucket, int64_t rate, int64_t now_ms);
/* Takes bytes from the bucket (a debt if more than it holds). */
void throttle_bucket_take(struct throttle_bucket *bucket, int64_t bytes);

/* Leader side: whether p's records to follower replica_id count against the
 * leader throttle (listed here, follower outside the ISR, a rate set). */
bool throttle_leader_applies(const struct broker *b, const struct partition *p, int32_t replica_id);
/* Follower side: whether this broker's fetches of p count against the
 * follower throttle. */
bool throttle_follower_applies(const struct broker *b, const struct partition *p);

#endif
