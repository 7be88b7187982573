/*
 * Produce (key 0), versions 3-7 (record batch magic 2 only): request decoder
 * and response encoder.
 *
 * Owns the layouts only. The records of each partition are handed over as a
 * view of the frame, unparsed: the broker validates batches itself (CRC,
 * magic, one batch per partition). Field names follow ProduceRequest.json
 * and ProduceResponse.json (Kafka 2.8) in snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_PRODUCE_H
#define GREGOR_BROKER_PROTO_PRODUCE_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_PartitionProduceData {
    int32_t index;              /* partition index */
    struct proto_bytes records; /* nullable view of the record batches in the frame */
};

struct proto_TopicProduceData {
    struct proto_str name;                             /* topic name */
    int32_t partition_data_count;                      /* entries in partition_data */
    struct proto_PartitionProduceData *partition_data; /* arena-owned */
};

struct proto_ProduceRequest {
    struct proto_str transactional_id;         /* nullable */
    int16_t acks;                              /* 0, 1 or -1 (all in-sync replicas) */
    int32_t timeout_ms;                        /* how long to wait for acks */
    int32_t topic_data_count;                  /* entries in topic_data */
    struct proto_TopicProduceData *topic_data; /* arena-owned */
};

struct proto_PartitionProduceResponse {
    int32_t index;              /* partition index */
    int16_t error_code;         /* ErrorCode */
    int64_t base_offset;        /* offset of the first record appended, -1 on error */
    int64_t log_append_time_ms; /* -1 unless the topic uses LogAppendTime */
    int64_t log_start_offset;   /* v5+ */
};

struct proto_TopicProduceResponse {
    struct proto_str name;                                            /* topic name */
    int32_t partition_responses_count;                                /* entries below */
    const struct proto_PartitionProduceResponse *partition_responses; /* borrowed */
};

struct proto_ProduceResponse {
    int32_t responses_count;                            /* entries in responses */
    const struct proto_TopicProduceResponse *responses; /* borrowed */
    int32_t throttle_time_ms;                           /* quota delay */
};

/* Decodes v3-7 (proto_decode_fn; out is a struct proto_ProduceRequest). */
int proto_decode_Produce(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 3-7 to o; borrows resp.
 * Returns proto_out_status(o). (acks=0 requests get no response at all: the
 * broker simply does not call this.) */
int proto_encode_ProduceResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                 const struct proto_ProduceResponse *resp);

#endif
