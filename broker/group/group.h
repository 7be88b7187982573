/*
 * One consumer group: its members and Kafka 2.8's group state machine
 * (GroupCoordinator and GroupMetadata): Empty, PreparingRebalance,
 * CompletingRebalance, Stable, Dead; generations; the member id handed out
 * on a first JoinGroup (KIP-394); static members (KIP-345); session and
 * rebalance timeouts; group.initial.rebalance.delay.ms and group.max.size.
 *
 * Owns the group's members and its two kinds of timers, all delayed
 * operations of the broker's facility (core/delay.h): each member's session
 * (its heartbeat deadline) and the group's join phase (Kafka's DelayedJoin
 * and InitialDelayedJoin). It does not own the requests that wait on it:
 * a parked JoinGroup or SyncGroup watches its member's key
 * (delay_key(member, DELAY_GROUP_JOIN / DELAY_GROUP_SYNC)), and the group
 * answers it by waking that key with a struct group_join_result or
 * struct group_sync_result as the wake's arg (valid during the wake only).
 * A request whose client went away simply watches nothing any more; the
 * member stays, as in Kafka, until its session expires. Protocol metadata
 * and assignments are copied and passed through untouched. Committed
 * offsets belong to group_offsets.c; which broker coordinates the group to
 * group_coord.c.
 *
 * Errors are Kafka's (PROTO_ERR_*): the coordinator's answers are protocol
 * semantics, not gregor failures, so they are chosen here once.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_H
#define GREGOR_BROKER_GROUP_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/core/delay.h"
#include "broker/group/group_offsets.h"
#include "common/strmap.h"

struct broker;
struct group_commit_job;
struct group_join_member;
struct group_persist;
struct group_record;

enum group_state {
    GROUP_EMPTY,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
};

/* Kafka's name of a state, as DescribeGroups reports it. */
const char *group_state_name(enum group_state s);

/* One protocol a member supports, with its metadata (opaque). */
struct group_protocol {
    char *name;    /* owned */
    uint8_t *meta; /* owned; NULL when empty */
    int32_t len;   /* bytes of meta */
};

struct group;

struct group_member {
    struct group *g;                  /* its group */
    char *id;                         /* member.id; owned */
    char *instance_id;                /* group.instance.id (static member) or NULL; owned */
    char *client_id;                  /* owned */
    char *client_host;                /* owned */
    int32_t session_timeout_ms;       /* asked in its last JoinGroup */
    int32_t rebalance_timeout_ms;     /* asked in its last JoinGroup */
    struct group_protocol *protocols; /* in its order of preference; owned */
    int nprotocols;                   /* entries in protocols */
    uint8_t *assignment;              /* from the leader's SyncGroup; owned, NULL when empty */
    int32_t assignment_len;           /* bytes of assignment */
    bool awaiting_join;               /* a JoinGroup of it waits for the join phase */
    bool awaiting_sync;               /* a SyncGroup of it waits for the leader's */
    bool is_new;                      /* joined in the current join phase */
    bool pending;                     /* KIP-394: given an id, has not joined with it yet */
    struct delay_op session;          /* its heartbeat deadline */
    struct group_member *prev, *next; /* the group's other members (or pending ones) */
};

struct group {
    struct broker *b;                  /* the broker (delays, configuration, ZooKeeper); borrowed */
    char *id;                          /* group.id; owned */
    int32_t partition;                 /* its partition of __consumer_offsets */
    enum group_state state;            /* see above */
    int32_t generation;                /* bumped by every completed join phase */
    char *protocol_type;               /* of the first member ("consumer"), or NULL; owned */
    char *protocol_name;               /* chosen for the generation, or NULL; owned */
    char *leader_id;                   /* member id of the leader or NULL; owned */
    struct group_member *members;      /* joined members, in joining order (group_members.c) */
    struct group_member *members_tail; /* the last of them */
    int nmembers;                      /* entries in members */
    int nawaiting;                     /* of them, with a JoinGroup waiting */
    struct group_member *pending;      /* KIP-394 ids handed out and not joined yet */
    int npending;                      /* entries in pending */
    struct strmap by_id;               /* member.id -> joined member */
    struct strmap by_instance;         /* group.instance.id -> static member */
    struct strmap pending_by_id;       /* member.id -> pending member */
    struct strmap protocol_counts;    /* protocol name -> joined members supporting it (intptr_t) */
    bool new_member_added;            /* a member joined during the initial delay */
    struct delay_op join;             /* the join phase's deadline (DelayedJoin) */
    struct delay_watch join_watch;    /* it watches (group, DELAY_GROUP_REBALANCE) */
    bool join_initial;                /* the join op is an InitialDelayedJoin */
    int64_t join_remaining_ms;        /* InitialDelayedJoin: rebalance time left after it */
    int64_t state_since_ms;           /* wall clock of the last state change */
    struct group_offsets offsets;     /* committed offsets */
    struct strmap owners;             /* membership znodes published: path -> data (owned) */
    struct group_commit_job *commits; /* commits ZooKeeper has not answered (group_commit.c) */
    char *prev_leader;                /* the leader before a static member's rejoin; owned */
    struct group_join_member *scratch; /* the last member list handed out; owned */
    int32_t coord_epoch;               /* its partition's leader epoch here; -1 unknown */
    struct group_persist *persist;     /* writes its membership record; owned, or NULL */
};

/* What a JoinGroup asks (every pointer borrowed for the call). */
struct group_join_params {
    const char *member_id;   /* "" for a first join */
    const char *instance_id; /* group.instance.id or NULL */
    const char *client_id;
    const char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    const char *protocol_type;
    const char *const *protocol_names;   /* nprotocols names */
    const uint8_t *const *protocol_meta; /* their metadata */
    const int32_t *protocol_len;         /* its bytes */
    int nprotocols;
    bool require_known_member_id; /* v4+: KIP-394 */
};

/* One member as the leader's JoinGroup answer lists it (borrowed). */
struct group_join_member {
    const char *member_id;
    const char *instance_id; /* NULL for dynamic members */
    const uint8_t *meta;     /* its metadata for the chosen protocol */
    int32_t len;
};

/* A JoinGroup answer (borrowed from the group during the call or wake). */
struct group_join_result {
    int16_t error;
    int32_t generation;                      /* -1 with an error */
    const char *protocol_name;               /* "" when none */
    const char *leader;                      /* "" when none */
    const char *member_id;                   /* the member's id ("" when unknown) */
    const struct group_join_member *members; /* the leader's only */
    int nmembers;
};

/* A SyncGroup answer (borrowed during the call or wake). */
struct group_sync_result {
    int16_t error;
    const uint8_t *assignment;
    int32_t len;
};

/* One assignment of a leader's SyncGroup (borrowed). */
struct group_assignment {
    const char *member_id;
    const uint8_t *data;
    int32_t len;
};

/* Returns a new Empty group (free with group_free), or NULL when out of
 * memory. id is copied. */
struct group *group_new(struct broker *b, const char *id, int32_t partition);
/* Answers every waiting request of the group with error (NOT_COORDINATOR
 * when it moves away, COORDINATOR_NOT_AVAILABLE when deleted), cancels its
 * timers and frees it. */
void group_free(struct group *g, int16_t error);

/* JoinGroup. Returns true and fills *res when the answer is known now, or
 * false with *wait_on set: the caller parks the request on
 * delay_key(*wait_on, DELAY_GROUP_JOIN) and then calls group_settle(g),
 * which may answer it at once. */
bool group_join(struct group *g, const struct group_join_params *p, struct group_join_result *res,
                struct group_member **wait_on);
/* Completes the join phase if every member has joined (Kafka's
 * checkAndComplete). */
void group_settle(struct group *g);
/* SyncGroup. Returns true with *res, or false with *wait_on (park on
 * delay_key(*wait_on, DELAY_GROUP_SYNC)); the leader's own SyncGroup is
 * answered at once. */
bool group_sync(struct group *g, int32_t generation, const char *member_id, const char *instance_id,
                const struct group_assignment *a, int n, struct group_sync_result *res,
                struct group_member **wait_on);
/* Heartbeat: the Kafka error code. */
int16_t group_heartbeat(struct group *g, int32_t generation, const char *member_id,
                        const char *instance_id);
/* LeaveGroup of one member (member_id "" with instance_id names a static
 * member): its Kafka error code. */
int16_t group_leave(struct group *g, const char *member_id, const char *instance_id);
/* Whether an OffsetCommit of (generation, member) may commit: the Kafka
 * error code (NONE: yes; also resets the member's session). */
int16_t group_commit_check(struct group *g, int32_t generation, const char *member_id,
                           const char *instance_id);
/* The member, or NULL. */
struct group_member *group_member_find(const struct group *g, const char *member_id);
/* Whether the group consumes topic: a "consumer" group's subscriptions,
 * parsed from its members' metadata; true when one cannot be parsed. */
bool group_subscribed_to(const struct group *g, const char *topic);
/* Empty and holds no offsets: nothing to keep. */
bool group_is_idle(const struct group *g);

/* Restores a membership record (group_persist.h; borrowed, copied from)
 * onto g, which a load has just created: a Stable record makes g Stable
 * with the record's generation, protocol, leader and members (each with
 * its assignment); an Empty one leaves g Empty with its generation,
 * protocol type and the time it went Empty. No member's session runs
 * until group_loaded(). Returns 0, GR_E_STATE (g is not as new: an earlier
 * attempt of the same load restored it) or GR_E_NOMEM (g unchanged). */
int group_restore(struct group *g, const struct group_record *r);
/* The load of g's partition is done: every restored member's session
 * starts now, and a Stable group's membership znodes are published again
 * (the old coordinator's were ephemeral). */
void group_loaded(struct group *g);

#endif
