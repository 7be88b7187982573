/*
 * ListOffsets (key 2), versions 0-5: request decoder and response encoder.
 *
 * Owns the layouts only. v0 asks for up to max_num_offsets offsets and is
 * answered with old_style_offsets; v1+ asks for one offset per partition and
 * gets timestamp and offset. Field names follow ListOffsetsRequest.json and
 * ListOffsetsResponse.json (Kafka 2.8) in snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_LIST_OFFSETS_H
#define GREGOR_BROKER_PROTO_LIST_OFFSETS_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_ListOffsetsPartition {
    int32_t partition_index;      /* partition number */
    int32_t current_leader_epoch; /* v4+; -1 before */
    int64_t timestamp;            /* -1 latest, -2 earliest, else a time in ms */
    int32_t max_num_offsets;      /* v0 only; 1 after (Kafka's default) */
};

struct proto_ListOffsetsTopic {
    struct proto_str name;                         /* topic name */
    int32_t partitions_count;                      /* entries in partitions */
    struct proto_ListOffsetsPartition *partitions; /* arena-owned */
};

struct proto_ListOffsetsRequest {
    int32_t replica_id;                    /* -1 for consumers */
    int8_t isolation_level;                /* v2+; 0 before */
    int32_t topics_count;                  /* entries in topics */
    struct proto_ListOffsetsTopic *topics; /* arena-owned */
};

struct proto_ListOffsetsPartitionResponse {
    int32_t partition_index;          /* partition number */
    int16_t error_code;               /* ErrorCode */
    int32_t old_style_offsets_count;  /* v0 only: entries in old_style_offsets */
    const int64_t *old_style_offsets; /* v0 only; borrowed */
    int64_t timestamp;                /* v1+; -1 when not looked up by time */
    int64_t offset;                   /* v1+ */
    int32_t leader_epoch;             /* v4+ */
};

struct proto_ListOffsetsTopicResponse {
    struct proto_str name;                                       /* topic name */
    int32_t partitions_count;                                    /* entries in partitions */
    const struct proto_ListOffsetsPartitionResponse *partitions; /* borrowed */
};

struct proto_ListOffsetsResponse {
    int32_t throttle_time_ms;                            /* v2+ */
    int32_t topics_count;                                /* entries in topics */
    const struct proto_ListOffsetsTopicResponse *topics; /* borrowed */
};

/* Decodes v0-5 (proto_decode_fn; out is a struct proto_ListOffsetsRequest). */
int proto_decode_ListOffsets(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 0-5 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_ListOffsetsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                     const struct proto_ListOffsetsResponse *resp);

#endif
