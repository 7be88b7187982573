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
 * notifications (/isr_change_notification), and taking replicas removed
 * from a partition's assignment out of its ISR and leadership (not when no
 * assigned replica is in sync: electing one would lose committed records).
 * Every leader change increments the leader epoch.
 *
 * It reads the cluster from the metadata cache, which the writes flow back
 * into through watches; it keeps no second copy. What it is asked to do
 * beyond that is kept as intents that check_partition() acts on every time
 * a partition's state is read back (controller_leaders.c): brokers in
 * controlled shutdown (never elected; their leaderships move to another ISR
 * member and they leave every ISR, as Kafka's ControlledShutdown), and
 * partitions whose preferred replica should lead (ElectLeaders,
 * /admin/preferred_replica_election, auto.leader.rebalance.enable) or that
 * may be elected uncleanly once (ElectLeaders with election type 1). A
 * write that loses a race is read back and decided again, so an intent
 * holds until it is met or cannot be.
 *
 * A new partition's ISR is every live assigned replica. Leaders change the
 * ISR themselves afterwards (cluster/partition_isr.c), so an election from
 * the live ISR picks a replica that holds every acknowledged record.
 */
#ifndef GREGOR_BROKER_CONTROLLER_H
#define GREGOR_BROKER_CONTROLLER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
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
    /* controller_leaders.c */
    struct ctl_shutting *shutting; /* brokers in controlled shutdown; owned */
    int nshutting;           /* entries in shutting */
    struct tpmap preferred;  /* partitions to hand to their preferred replica (values unused) */
    struct tpmap unclean;    /* partitions that may be elected uncleanly once (values unused) */
    bool preferred_watch;    /* a watch on /admin/preferred_replica_election is armed */
    ev_timer rebalance;      /* leader.imbalance.check.interval.seconds, while active */
    /* controller_reassign.c */
    struct tpmap reassign_rows;     /* rows of /brokers/topics/<t> to write (struct row) */
    struct tpmap reassign_listed;   /* /admin/reassign_partitions entries under way: targets */
    struct tpmap reassign_done;     /* its entries to remove (values unused) */
    struct strmap reassign_writing; /* topics with a /brokers/topics write in flight */
    unsigned reassign_session;      /* bumped on reset: stale completions do nothing */
    bool reassign_watch;            /* a watch on /admin/reassign_partitions is armed */
    bool reassign_rewriting;        /* a rewrite of /admin/reassign_partitions is in flight */
};

/* A broker in controlled shutdown, until its registration goes. */
struct ctl_shutting {
    int32_t id;              /* broker id */
    int64_t epoch;           /* its registration's czxid when it asked */
};

void controller_init(struct controller *c, struct broker *b);
void controller_destroy(struct controller *c);

/* A new ZooKeeper session: any controllership is gone with it. */
void controller_session_started(struct controller *c);
/* The metadata changed (topic NULL: brokers or controller; partition -1: the
 * whole topic): stand for election if there is no controller, and do the
 * controller's duties for what changed. */
void controller_metadata_changed(struct controller *c, const char *topic, int32_t partition);

/* ---- controlled shutdown and elections (controller_leaders.c) ---------- */

/* Broker id (registered with epoch; -1: not checked) asks to shut down:
 * from now on it is never elected, its leaderships move to other live ISR
 * members and it leaves every ISR, as far as each partition allows.
 * Returns 0, GR_E_NOT_CONTROLLER, GR_E_NOENT (no such live broker) or
 * GR_E_STATE (epoch is not its registration's). */
int controller_shutdown_broker(struct controller *c, int32_t id, int64_t epoch);
/* Calls fn for every partition with more than one replica that broker id
 * still leads, with movable true when another live ISR member could take
 * it over (so waiting may see it move). Returns how many were movable. */
int controller_led_by(const struct controller *c, int32_t id,
                      void (*fn)(void *arg, const char *topic, int32_t partition, bool movable),
                      void *arg);

enum controller_election { CONTROLLER_ELECT_PREFERRED = 0, CONTROLLER_ELECT_UNCLEAN = 1 };

enum controller_elect_result {
    CONTROLLER_ELECT_STARTED,       /* under way: watch controller_elected() */
    CONTROLLER_ELECT_NOT_CONTROLLER,
    CONTROLLER_ELECT_UNKNOWN,       /* no such topic or partition */
    CONTROLLER_ELECT_NOT_NEEDED,    /* the partition already has what was asked */
    CONTROLLER_ELECT_NOT_AVAILABLE, /* no replica that may be elected */
};

/* Asks for an election of topic's partition: records the intent and acts.
 * msg (msgsz bytes) says why when the result is not STARTED. */
enum controller_elect_result controller_elect(struct controller *c,
                                              enum controller_election type, const char *topic,
                                              int32_t partition, char *msg, size_t msgsz);
/* Whether the metadata shows the result an election of that type wants. */
bool controller_elected(const struct controller *c, enum controller_election type,
                        const char *topic, int32_t partition);

/* ---- partition reassignment (controller_reassign.c) -------------------- */

/* Moves topic's partition to the n replicas (NULL: cancels its
 * reassignment, back to the replicas it had). Returns 0 (started, or
 * nothing to do), GR_E_NOT_CONTROLLER, GR_E_NOENT (no such partition),
 * GR_E_BAD_ASSIGNMENT (an empty list, a duplicate, a broker that is not
 * registered), GR_E_STATE (a cancel with no reassignment in progress) or
 * GR_E_NOMEM, with msg saying why. */
int controller_reassign(struct controller *c, const char *topic, int32_t partition,
                        const int32_t *replicas, int n, char *msg, size_t msgsz);

/* For controller.c: state, the /admin/reassign_partitions watch, and the
 * check of one partition (complete a reassignment whose new replicas are
 * all in sync; finish a znode entry whose assignment is reached). */
void controller_reassign_init(struct controller *c);
void controller_reassign_destroy(struct controller *c);
void controller_reassign_reset(struct controller *c);
void controller_reassign_duties(struct controller *c);
struct metadata_topic;
struct metadata_partition;
void controller_reassign_check(struct controller *c, const struct metadata_topic *t,
                               const struct metadata_partition *mp);

/* For controller.c: the intents' part of the duties (watch the preferred
 * election znode, drop brokers that have gone), and whether a broker may be
 * elected or stay in an ISR. */
void controller_leaders_init(struct controller *c);
void controller_leaders_destroy(struct controller *c);
void controller_leaders_duties(struct controller *c);
void controller_leaders_reset(struct controller *c);
/* Takes tp's intents as met or impossible (controller.c decided). */
void controller_intent_done(struct controller *c, struct tp tp);
bool controller_shutting(const struct controller *c, int32_t id);
/* Registered, and not in controlled shutdown. */
bool controller_eligible(const struct controller *c, int32_t id);

#endif
