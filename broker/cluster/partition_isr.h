/*
 * A hosted partition's state (struct partition), and the leader side of
 * replication that partition_isr.c implements: followers' positions, the
 * ISR and the high watermark. The rest of the hosted-partition interface
 * (roles, lookups, events) is partition.h, which includes this.
 *
 * This header is apart so that partition_isr.c depends only on the state,
 * not on partition.c, which calls it.
 */
#ifndef GREGOR_BROKER_CLUSTER_PARTITION_ISR_H
#define GREGOR_BROKER_CLUSTER_PARTITION_ISR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/tp.h"

struct broker;
struct log;
struct metadata_partition;

/* What the leader knows of one follower. */
struct partition_replica {
    int32_t id;               /* broker id */
    int64_t leo;              /* its log end offset, as its last fetch said; -1 unknown */
    int64_t caught_up_ms;     /* when it last reached the leader's log end */
    int64_t fetch_ms;         /* when it fetched last */
    int64_t fetch_leader_leo; /* the leader's log end offset at that fetch */
};

struct partition {
    struct broker *b;     /* owner */
    struct tp tp;         /* identity (holds a reference on the name) */
    struct log *log;      /* the log; owned by the log manager */
    bool leader;          /* this broker leads it */
    int32_t leader_epoch; /* epoch of the current leader */
    bool going;           /* being removed: waiters must give up */
    /* leader side, while leader */
    struct partition_replica *replicas; /* the other assigned replicas; owned */
    int nreplicas;                      /* entries in replicas */
    int32_t *isr;                       /* the ISR as the state znode holds it; owned */
    int nisr;                           /* entries in isr */
    int32_t *isr_next;                  /* an ISR being written, or NULL; owned */
    int nisr_next;                      /* entries in isr_next */
    int32_t state_version;              /* the state znode's version our view is of */
    int32_t controller_epoch;           /* written back unchanged with an ISR change */
    bool isr_stale;                     /* our ISR write was refused: re-reading */
    uint32_t isr_gen;                   /* bumped when the view changes, to spot old answers */
    int64_t epoch_start_offset;         /* our log end when this leader epoch began */
    /* follower side */
    int32_t leader_id; /* the leader as the state znode says, -1 none */
    void *follow;      /* the replica fetcher's state, while followed */
    bool truncating;   /* must find where it diverges from its leader before fetching */
    bool out_of_range; /* the leader refused its fetch offset: must ask its log start */
    /* traffic while hosted here, counted only with metrics on (broker/metrics) */
    uint64_t messages_in; /* records appended by Produce as leader */
    uint64_t bytes_in;    /* their batch bytes */
    uint64_t bytes_out;   /* record bytes sent to consumers */
};

/* A replica Fetch from broker replica_id at fetch_offset reached the
 * leader p: records its position, may add it to the ISR and move the high
 * watermark. Returns false if replica_id is not an assigned replica (Kafka
 * answers such a fetch with no records). */
bool partition_follower_fetched(struct partition *p, int32_t replica_id, int64_t fetch_offset,
                                int64_t now_ms);
/* Whether records up to (excluding) offset are committed: below the high
 * watermark, with a ZooKeeper session and an ISR view ZooKeeper accepted. */
bool partition_committed(const struct partition *p, int64_t offset);
/* The ISR size that acks=all checks against min.insync.replicas. */
int partition_isr_size(const struct partition *p);
/* Drops from the ISR of every partition led here the followers that have
 * not caught up for replica.lag.time.max.ms (run every half of it), and
 * reads again the state of those whose view is stale. */
void partitions_isr_expire(struct broker *b, int64_t now_ms);
/* Becoming leader at a new epoch, or a state re-read: takes the ISR,
 * replicas and version from the metadata (mp). */
void partition_isr_adopt(struct partition *p, const struct metadata_partition *mp, bool new_epoch,
                         int64_t now_ms);
/* No longer leader: forgets the leader-side state. */
void partition_isr_reset(struct partition *p);
/* Recomputes the high watermark from the ISR and wakes the partition's
 * DELAY_DATA waiters if it moved. Returns whether it moved. */
bool partition_update_hw(struct partition *p);

#endif
