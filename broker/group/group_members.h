/*
 * A group's set of members with the indexes Kafka's GroupMetadata keeps:
 * by member id, by group.instance.id (static members), the pending ids of
 * KIP-394, how many members support each protocol and how many have a
 * JoinGroup waiting. Every change of membership goes through here, so the
 * indexes always agree with the lists and no question the state machine
 * asks (group.c) costs more than the member it is about: a group of
 * group.max.size members is never walked per request.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_MEMBERS_H
#define GREGOR_BROKER_GROUP_GROUP_MEMBERS_H

#include <stdbool.h>

#include "broker/group/group.h"

/* Prepares / frees the indexes (not the members). */
void group_members_init(struct group *g);
void group_members_destroy(struct group *g);

/* Appends m (not in the group) to the joined members. Returns 0 or
 * GR_E_NOMEM (nothing changed). */
int group_members_add(struct group *g, struct group_member *m);
/* Takes m out of the joined members (its awaiting flags stay, for whoever
 * answers its requests). */
void group_members_del(struct group *g, struct group_member *m);
/* The same for the pending members. */
int group_members_add_pending(struct group *g, struct group_member *m);
void group_members_del_pending(struct group *g, struct group_member *m);

struct group_member *group_members_find(const struct group *g, const char *member_id);
struct group_member *group_members_find_static(const struct group *g, const char *instance_id);
struct group_member *group_members_find_pending(const struct group *g, const char *member_id);

/* Sets whether a JoinGroup of m waits (counted for joined members). */
void group_members_set_awaiting_join(struct group *g, struct group_member *m, bool on);
/* Gives m (joined) a new member id, taking ownership of id. Returns 0 or
 * GR_E_NOMEM (then id is freed and m keeps its old one). */
int group_members_rename(struct group *g, struct group_member *m, char *id);
/* group_member_set_protocols() for a joined member, keeping the protocol
 * counts. Returns 0 or GR_E_NOMEM (nothing changed). */
int group_members_set_protocols(struct group *g, struct group_member *m,
                                const struct group_join_params *p);
/* How many joined members support protocol name. */
int group_members_supporting(const struct group *g, const char *name);

#endif
