/*
 * The controller: the one broker, elected through /controller, that writes
 * partition leadership to ZooKeeper.
 *
 * Owns the election (one multi() that creates /controller and bumps
 * /controller_epoch; every later write is fenced by that epoch's znode
 * version, so a deposed controller cannot write) and the duties Kafka's
 * ZooKeeper-mode controller has here: giving new partitions their first
 * leader and ISR, electing a leader when a partition's leader dies (the
 * first replica in assignment order that is live and in the ISR; an unclean
 * election, if enabled, takes the first live replica), dropping dead
 * replicas from ISRs, deleting topics requested through
 * /admin/delete_topics, and consuming the leaders' ISR change
 * notifications (/isr_change_notification). Every leader change increments the leader epoch.
 *
 * It reads the cluster from the metadata cache, which the writes flow back
 * into through watches; it keeps no second copy.
 *
 * A new partition's ISR is every live assigned replica. Leaders change the
 * ISR themselves afterwards (cluster/partition_isr.c), so an election from
 * the live ISR picks a replica that holds every acknowledged record.
 */
#ifndef GREGOR_BROKER_CONTROLLER_H
#define GREGOR_BROKER_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/strmap.h"
#include "common/tp.h"

struct broker;

struct controller {
    struct broker *b;        /* owner */
    bool active;             /* this broker is the controller */
    bool electing;           /* an election is in flight */
    bool reclaiming;         /* checking a /controller that names us from an old session */
    int64_t foreign_czxid;   /* a /controller with our id but not ours, warned about once */
    int32_t epoch;           /* our controller epoch (when active) */
    int32_t epoch_zk_version; /* /controller_epoch's version: the fence */
    bool deletes_watch;      /* a watch on /admin/delete_topics is armed */
    bool isr_watch;          /* a watch on /isr_change_notification is armed */
    struct tpmap writing;    /* topic-partition -> its state write in flight */
    struct strmap deleting;  /* topics whose znodes are being deleted */
};

void controller_init(struct controller *c, struct broker *b);
void controller_destroy(struct controller *c);

/* A new ZooKeeper session: any controllership is gone with it. */
void controller_session_started(struct controller *c);
/* The metadata changed (topic NULL: brokers or controller; partition -1: the
 * whole topic): stand for election if there is no controller, and do the
 * controller's duties for what changed. */
void controller_metadata_changed(struct controller *c, const char *topic, int32_t partition);

#endif
