/*
 * What the group APIs' handlers share: the group id and other strings of
 * a request as C strings, the coordinator check every group API starts
 * with, the client's host as Kafka reports it, and copies into the
 * request's arena of what the coordinator hands out only for the duration
 * of a call.
 */
#ifndef GREGOR_BROKER_API_GROUP_REQUEST_H
#define GREGOR_BROKER_API_GROUP_REQUEST_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct request;

/* s as a NUL-terminated copy in the request's arena; NULL when s is null,
 * holds a NUL byte (no group, member or instance id can) or out of memory. */
char *group_req_str(struct request *req, struct proto_str s);
/* Whether this broker coordinates group id now: the Kafka error code
 * (NONE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID
 * for a null or unusable id). */
int16_t group_req_route(struct request *req, const char *id);
/* The ids a member's request names, as C strings in the arena. */
struct group_req_ids {
    char *group;    /* group.id */
    char *member;   /* member.id ("" for none) */
    char *instance; /* group.instance.id, or NULL */
};

/* Reads the ids and checks the group is coordinated here: the Kafka error
 * code (group_req_route()'s, or INVALID_REQUEST for a member or instance
 * id that holds a NUL byte). */
int16_t group_req_ids(struct request *req, struct proto_str group, struct proto_str member,
                      struct proto_str instance, struct group_req_ids *out);
/* The client's address as Kafka's DescribeGroups shows it ("/1.2.3.4"),
 * arena-owned. */
const char *group_req_host(struct request *req);
/* A copy of s in the arena as a wire string ("" when s is NULL or out of
 * memory: the caller's answer is then only less informative). */
struct proto_str group_req_copy(struct request *req, const char *s);
/* A copy of n bytes in the arena (empty when out of memory). */
struct proto_bytes group_req_bytes(struct request *req, const uint8_t *p, int32_t n);

#endif
