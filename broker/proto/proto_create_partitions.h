/*
 * CreatePartitions (key 37), versions 0-1: request decoder and response
 * encoder.
 *
 * Owns the layouts only (v1 differs from v0 only in when the broker
 * throttles). Field names follow CreatePartitionsRequest.json and
 * CreatePartitionsResponse.json (Kafka 2.8) in snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_CREATE_PARTITIONS_H
#define GREGOR_BROKER_PROTO_CREATE_PARTITIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_CreatePartitionsAssignment {
    int32_t broker_ids_count; /* entries in broker_ids */
    int32_t *broker_ids;      /* replicas of one new partition; arena-owned */
};

struct proto_CreatePartitionsTopic {
    struct proto_str name;                                /* topic name */
    int32_t count;                                        /* the new total partition count */
    int32_t assignments_count;                            /* -1: null, the broker chooses */
    struct proto_CreatePartitionsAssignment *assignments; /* one per new partition; arena-owned */
};

struct proto_CreatePartitionsRequest {
    int32_t topics_count;                       /* entries in topics */
    struct proto_CreatePartitionsTopic *topics; /* arena-owned */
    int32_t timeout_ms;                         /* how long to wait for the creation */
    bool validate_only;                         /* check without creating */
};

struct proto_CreatePartitionsTopicResult {
    struct proto_str name;          /* topic name */
    int16_t error_code;             /* ErrorCode */
    struct proto_str error_message; /* nullable */
};

struct proto_CreatePartitionsResponse {
    int32_t throttle_time_ms;                                /* quota delay */
    int32_t results_count;                                   /* entries in results */
    const struct proto_CreatePartitionsTopicResult *results; /* borrowed */
};

/* Decodes v0-1 (proto_decode_fn; out is a struct proto_CreatePartitionsRequest). */
int proto_decode_CreatePartitions(struct proto_reader *r, int16_t version, struct arena *a,
                                  void *out);

/* Writes the whole response frame for version 0-1 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_CreatePartitionsResponse(struct proto_out *o, int16_t version,
                                          int32_t correlation_id,
                                          const struct proto_CreatePartitionsResponse *resp);

#endif
