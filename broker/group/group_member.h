/*
 * A group member's own data: creating and freeing it, its protocols and
 * their metadata (copied, opaque), and what Kafka's MemberMetadata answers
 * about them (matches, vote, metadata of one protocol). The state machine
 * that moves members lives in group.c.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_MEMBER_H
#define GREGOR_BROKER_GROUP_GROUP_MEMBER_H

#include <stdbool.h>

#include "broker/group/group.h"

/* Largest protocol metadata (all of a member's protocols together) and
 * largest assignment the coordinator keeps for one member: a client past
 * it gets INVALID_REQUEST, and its group alone notices. Real consumers
 * send a few hundred bytes per subscribed topic. */
#define GROUP_MEMBER_BYTES_MAX (1 << 20)

/* A new member of g with copies of the strings (instance_id may be NULL)
 * and the session timer initialised with expired as its completion, or
 * NULL when out of memory. Takes ownership of id. */
struct group_member *group_member_new(struct group *g, char *id, const struct group_join_params *p,
                                      void (*expired)(struct delay_op *op, bool timed_out));
/* A new unique member id: "<client_id>-<random UUID>" (Kafka's form), or
 * NULL when out of memory. */
char *group_member_new_id(const char *client_id);
/* Frees m (its session timer must have been cancelled). */
void group_member_free(struct group_member *m);
/* Replaces m's protocols with copies of p's, and its timeouts. Returns 0
 * or GR_E_NOMEM (m unchanged). */
int group_member_set_protocols(struct group_member *m, const struct group_join_params *p);
/* Frees to's protocols and gives it from's (and from's timeouts); from is
 * left with none. */
void group_member_move_protocols(struct group_member *to, struct group_member *from);
/* Whether p names the same protocols with the same metadata, in order. */
bool group_member_matches(const struct group_member *m, const struct group_join_params *p);
/* m's protocol called name, or NULL. */
const struct group_protocol *group_member_protocol(const struct group_member *m, const char *name);
/* Replaces m's assignment with a copy. Returns 0 or GR_E_NOMEM. */
int group_member_set_assignment(struct group_member *m, const uint8_t *data, int32_t len);
/* Whether a consumer-protocol subscription (ConsumerProtocolSubscription:
 * int16 version, [string topic], ...) lists topic: 1 yes, 0 no, -1 it
 * cannot be parsed. */
int group_member_subscribes(const uint8_t *meta, int32_t len, const char *topic);

/* Calls fn(topic, topic_len, partition, ctx) for each partition of a
 * consumer-protocol assignment (ConsumerProtocolAssignment: int16 version,
 * [string topic, [int32 partition]], ...). Returns 0, or -1 when it cannot
 * be parsed (fn may have been called for a prefix). */
int group_member_assigned(const uint8_t *data, int32_t len,
                          void (*fn)(const char *topic, int topic_len, int32_t partition,
                                     void *ctx),
                          void *ctx);
/* The topics of a consumer-protocol subscription the same way. */
int group_member_topics(const uint8_t *meta, int32_t len,
                        void (*fn)(const char *topic, int topic_len, void *ctx), void *ctx);

#endif
