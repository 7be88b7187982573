/*
 * DeleteRecords (key 21), versions 0-1: request decoder and response encoder.
 *
 * Owns the layouts only (v1 differs from v0 only in when the broker
 * throttles). Field names follow DeleteRecordsRequest.json and
 * DeleteRecordsResponse.json (Kafka 2.8) in snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_DELETE_RECORDS_H
#define GREGOR_BROKER_PROTO_DELETE_RECORDS_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_DeleteRecordsPartition {
    int32_t partition_index; /* partition number */
    int64_t offset;          /* delete before this offset; -1 for the high watermark */
};

struct proto_DeleteRecordsTopic {
    struct proto_str name;                           /* topic name */
    int32_t partitions_count;                        /* entries in partitions */
    struct proto_DeleteRecordsPartition *partitions; /* arena-owned */
};

struct proto_DeleteRecordsRequest {
    int32_t topics_count;                    /* entries in topics */
    struct proto_DeleteRecordsTopic *topics; /* arena-owned */
    int32_t timeout_ms;                      /* how long to wait for the replicas */
};

struct proto_DeleteRecordsPartitionResult {
    int32_t partition_index; /* partition number */
    int64_t low_watermark;   /* the new log start offset */
    int16_t error_code;      /* ErrorCode */
};

struct proto_DeleteRecordsTopicResult {
    struct proto_str name;                                       /* topic name */
    int32_t partitions_count;                                    /* entries in partitions */
    const struct proto_DeleteRecordsPartitionResult *partitions; /* borrowed */
};

struct proto_DeleteRecordsResponse {
    int32_t throttle_time_ms;                            /* quota delay */
    int32_t topics_count;                                /* entries in topics */
    const struct proto_DeleteRecordsTopicResult *topics; /* borrowed */
};

/* Decodes v0-1 (proto_decode_fn; out is a struct proto_DeleteRecordsRequest). */
int proto_decode_DeleteRecords(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 0-1 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_DeleteRecordsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                       const struct proto_DeleteRecordsResponse *resp);

#endif
