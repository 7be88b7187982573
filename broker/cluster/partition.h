/*
 * The partitions this broker hosts: for each, its log and its role.
 *
 * Owns the link between a partition in the metadata cache and its log on
 * disk, the leader role (leader epoch, high watermark) and the waiters of
 * delayed requests: produce requests waiting for an fsync, fetch requests
 * waiting for data. partitions_sync() makes the hosted set follow the
 * metadata: a replica assigned here gets a log, a deleted topic's logs are
 * deleted, the state znode decides who leads.
 *
 * Invariant (replication arrives later): the leader's high watermark is its
 * log end offset, since the leader is the only replica that holds data.
 */
#ifndef GREGOR_BROKER_PARTITION_H
#define GREGOR_BROKER_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

struct broker;
struct log;
struct partition;

/* One delayed request's interest in one partition. */
struct partition_waiter {
    struct partition_waiter *prev, *next; /* the list it is on */
    struct partition_waiter **head;       /* that list's head; NULL when on none */
    struct partition *p;                  /* the partition, while linked */
    int64_t offset;                       /* flush waiters: the offset that must be durable */
    /* Something changed: re-check. The waiter is already unlinked; p is
     * valid during the call (p->going tells if it is being removed). */
    void (*wake)(struct partition_waiter *w, struct partition *p);
    void *owner;                          /* the waiting request's state */
};

struct partition {
    struct broker *b;                     /* owner */
    char *topic;                          /* owned */
    int32_t id;                           /* partition number */
    struct log *log;                      /* the log; owned by the log manager */
    bool leader;                          /* this broker leads it */
    int32_t leader_epoch;                 /* epoch of the current leader */
    struct partition_waiter *flush_waiters; /* produce requests waiting for an fsync */
    struct partition_waiter *data_waiters;  /* fetch requests waiting for data */
    bool going;                           /* being removed: waiters must give up */
};

/* Makes the hosted partitions of topic (NULL: all topics; partition >= 0:
 * just that one) follow the metadata cache. */
void partitions_sync(struct broker *b, const char *topic, int32_t partition);
/* Stops hosting everything (shutdown): waiters are woken, logs stay. */
void partitions_clear(struct broker *b);

/* The hosted partition topic-id if this broker leads it: GR_OK with *out
 * set, or GR_E_NOENT (no such partition), GR_E_NOT_LEADER (another broker
 * leads it), GR_E_NO_LEADER (no live leader), GR_E_FENCED_EPOCH or
 * GR_E_UNKNOWN_EPOCH when current_epoch (-1: not checked), the client's view
 * of the leader epoch, is older or newer than ours. */
int partition_lead(struct broker *b, const char *topic, int32_t id, int32_t current_epoch,
                   struct partition **out);

/* The hosted partition, or NULL. */
struct partition *partition_get(const struct broker *b, const char *topic, int32_t id);

/* The high watermark: what consumers may read. */
int64_t partition_high_watermark(const struct partition *p);

/* Called after records were appended: moves the high watermark and wakes
 * waiting fetches. */
void partition_appended(struct partition *p);

/* Registers / removes a waiter. flush: on the fsync list, else the data list. */
void partition_wait(struct partition *p, struct partition_waiter *w, bool flush);
void partition_unwait(struct partition_waiter *w);

/* The log manager's flush hook: wakes produce requests whose data is now durable. */
void partition_log_flushed(struct log *l, int64_t offset, void *ctx);

#endif
