/*
 * A group's membership kept in ZooKeeper, so that a coordinator taking
 * over a group (its broker died, leadership of its partition of
 * __consumer_offsets moved) carries on with the same generation and
 * members instead of making every member join again. Kafka keeps the same
 * facts in the group's record of __consumer_offsets (GroupMetadata value,
 * schema v3); gregor keeps that topic empty, so they live next to the
 * group's offsets, in one znode of JSON:
 *   /consumers/<group>/gregor_group_metadata
 * {"version":1,"coordinator_epoch":E,"generation":G,"state":"Stable",
 *  "protocol_type":"consumer","protocol":"range","leader":"<member.id>",
 *  "current_state_timestamp":<ms>,
 *  "members":[{"member_id":"...","group_instance_id":null,"client_id":"...",
 *              "client_host":"/10.0.0.1","session_timeout":10000,
 *              "rebalance_timeout":300000,"subscription":"<base64>",
 *              "assignment":"<base64>"}]}
 * coordinator_epoch is the leader epoch of the group's partition of
 * __consumer_offsets under the coordinator that wrote it; "subscription"
 * is the member's metadata for the chosen protocol only (as Kafka keeps).
 * An Empty group's record has no members: it keeps the generation and the
 * time the group went Empty, which offsets.retention.minutes counts from.
 *
 * Written when a group becomes Stable (a leader's SyncGroup, a static
 * member's rejoin) or Empty, asynchronously, one write per group at a time
 * (a newer record waits for the one in flight, and replaces any other
 * waiting one). Each write is conditional on the znode version last seen
 * (created when none is known), so a write of an old coordinator never
 * silently replaces a newer one: on a conflict the znode is read again and
 * the record with the higher coordinator epoch stays (group_persist_yields).
 * A failed write is retried after a second while the group is held here.
 * The record is deleted with the group (DeleteGroups, retention); a group
 * that merely moves to another coordinator leaves it for that one.
 *
 * Reading back is the load's (group_load.c): group_persist_decode() checks
 * a record completely (bounds, types, a leader among the members, sizes
 * within the members' own limits) before group_restore() (group.c) uses
 * it; a record that fails is reported with its reason and ignored.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_PERSIST_H
#define GREGOR_BROKER_GROUP_GROUP_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/group/group.h"

#define GROUP_PERSIST_ZNODE   "gregor_group_metadata"
#define GROUP_PERSIST_VERSION 1
/* The largest record written or read: below ZooKeeper's default
 * jute.maxbuffer (1 MiB) with room for the request around it. A group too
 * large for it is not kept (logged), and a move makes its members join
 * again, as before records existed. */
#define GROUP_PERSIST_BYTES_MAX (900 << 10)

/* One member of a record. */
struct group_record_member {
    char *member_id;   /* owned */
    char *instance_id; /* group.instance.id; owned, NULL for a dynamic member */
    char *client_id;   /* owned */
    char *client_host; /* owned */
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    uint8_t *meta;          /* its metadata for the chosen protocol; owned, NULL when empty */
    int32_t meta_len;       /* bytes of meta */
    uint8_t *assignment;    /* owned, NULL when empty */
    int32_t assignment_len; /* bytes of assignment */
};

/* A decoded record. */
struct group_record {
    int32_t coord_epoch; /* of the coordinator that wrote it */
    int32_t generation;
    enum group_state state;              /* GROUP_STABLE or GROUP_EMPTY */
    int64_t state_since_ms;              /* wall clock the group entered state */
    char *protocol_type;                 /* owned; NULL for none */
    char *protocol_name;                 /* owned; NULL when Empty */
    char *leader_id;                     /* owned; NULL when Empty */
    struct group_record_member *members; /* owned; nmembers of them */
    int nmembers;
};

/* The record's path for group in buf (bufsz bytes): false when it does
 * not fit or the id cannot name a znode. */
bool group_persist_path(char *buf, size_t bufsz, const char *group);

/* g's record (g Stable or Empty) as JSON written by this coordinator at
 * g->coord_epoch: a new string (free()) of *len bytes, or NULL with *err
 * GR_E_NOMEM, GR_E_TOO_LARGE (over GROUP_PERSIST_BYTES_MAX) or GR_E_STATE
 * (g in another state). */
char *group_persist_encode(const struct group *g, size_t *len, int *err);
/* Decodes len bytes of data (borrowed) into *r, which the caller frees
 * with group_record_free() whatever the result. Returns 0, or
 * GR_E_TOO_LARGE, GR_E_CORRUPT or GR_E_NOMEM with a readable reason in
 * why (whysz bytes; a member is named by its place and id). */
int group_persist_decode(const char *data, size_t len, struct group_record *r, char *why,
                         size_t whysz);
/* Frees what *r owns and empties it. */
void group_record_free(struct group_record *r);
/* Whether a record found in ZooKeeper, written at (their_epoch,
 * their_generation), must stay rather than be replaced by this
 * coordinator's of (our_epoch, our_generation): a record of a higher
 * coordinator epoch is newer whatever its generation; at the same epoch
 * the writer is this same coordinator (one leader epoch names one
 * leadership), whose memory is newer than anything it wrote, so it
 * overwrites even a higher generation (left by an earlier incarnation of
 * the group, deleted and created again). */
bool group_persist_yields(int32_t their_epoch, int32_t their_generation, int32_t our_epoch,
                          int32_t our_generation);

/* Writes g's record as it is now (g just became Stable or Empty);
 * nothing without ZooKeeper or for an id that cannot name a znode.
 * Asynchronous; failures are logged and retried. */
void group_persist_save(struct group *g);
/* The load found g's record at znode version (its data decoded or not):
 * the next write is conditional on it. */
void group_persist_seen(struct group *g, int32_t version);
/* g is being deleted (DeleteGroups, retention): deletes its record, and
 * nothing of g is written again. Asynchronous, best effort (logged). */
void group_persist_remove(struct group *g);
/* g is being freed (deleted or moved away): a write in flight finishes
 * without touching g, and none follows. */
void group_persist_detach(struct group *g);

#endif
