/*
 * CreateTopics (key 19), versions 0-4: request decoder and response encoder.
 *
 * Owns the layouts only (sent to the controller; the broker decides who
 * answers NOT_CONTROLLER). Field names follow CreateTopicsRequest.json and
 * CreateTopicsResponse.json (Kafka 2.8) in snake_case, including the schema's
 * own spelling of the "CreateableTopicConfig" struct.
 */
#ifndef GREGOR_BROKER_PROTO_CREATE_TOPICS_H
#define GREGOR_BROKER_PROTO_CREATE_TOPICS_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_CreatableReplicaAssignment {
    int32_t partition_index;  /* partition number */
    int32_t broker_ids_count; /* entries in broker_ids */
    int32_t *broker_ids;      /* replicas, preferred leader first; arena-owned */
};

struct proto_CreateableTopicConfig {
    struct proto_str name;  /* config key */
    struct proto_str value; /* nullable config value */
};

struct proto_CreatableTopic {
    struct proto_str name;                                /* topic name */
    int32_t num_partitions;                               /* -1 with assignments (or v4+ default) */
    int16_t replication_factor;                           /* -1 with assignments (or v4+ default) */
    int32_t assignments_count;                            /* entries in assignments */
    struct proto_CreatableReplicaAssignment *assignments; /* arena-owned */
    int32_t configs_count;                                /* entries in configs */
    struct proto_CreateableTopicConfig *configs;          /* arena-owned */
};

struct proto_CreateTopicsRequest {
    int32_t topics_count;                /* entries in topics */
    struct proto_CreatableTopic *topics; /* arena-owned */
    int32_t timeout_ms;                  /* how long to wait for the creation */
    bool validate_only;                  /* v1+; false before */
};

struct proto_CreatableTopicResult {
    struct proto_str name;          /* topic name */
    int16_t error_code;             /* ErrorCode */
    struct proto_str error_message; /* v1+, nullable */
};

struct proto_CreateTopicsResponse {
    int32_t throttle_time_ms;                        /* v2+ */
    int32_t topics_count;                            /* entries in topics */
    const struct proto_CreatableTopicResult *topics; /* borrowed */
};

/* Decodes v0-4 (proto_decode_fn; out is a struct proto_CreateTopicsRequest). */
int proto_decode_CreateTopics(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 0-4 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_CreateTopicsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                      const struct proto_CreateTopicsResponse *resp);

#endif
