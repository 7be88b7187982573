/*
 * Fetch (key 1), versions 4-11: request decoder and response encoder.
 *
 * Owns the layouts only. Record data in a response is either bytes in memory
 * (copied into the response) or a range of a segment file, which the encoder
 * hands to the proto_out as a file chunk so the connection can sendfile(2)
 * it. Field names follow FetchRequest.json and FetchResponse.json (Kafka 2.8)
 * in snake_case.
 *
 * Transactions are not implemented, so aborted_transactions (v4+) is always
 * written as an empty list and last_stable_offset should equal the high
 * watermark: kafkajs fetches READ_COMMITTED and needs both.
 */
#ifndef GREGOR_BROKER_PROTO_FETCH_H
#define GREGOR_BROKER_PROTO_FETCH_H

#include <stdint.h>

#include "broker/proto/proto_out.h"
#include "broker/proto/proto_str.h"

struct arena;
struct proto_reader;

struct proto_FetchPartition {
    int32_t partition;            /* partition index */
    int32_t current_leader_epoch; /* v9+; -1 before */
    int64_t fetch_offset;         /* first offset wanted */
    int64_t log_start_offset;     /* v5+ (followers only); -1 before */
    int32_t partition_max_bytes;  /* limit for this partition */
};

struct proto_FetchTopic {
    struct proto_str topic;                  /* topic name */
    int32_t partitions_count;                /* entries in partitions */
    struct proto_FetchPartition *partitions; /* arena-owned */
};

struct proto_ForgottenTopic {
    struct proto_str topic;   /* topic name */
    int32_t partitions_count; /* entries in partitions */
    int32_t *partitions;      /* partition indexes; arena-owned */
};

struct proto_FetchRequest {
    int32_t replica_id;                  /* -1 for consumers, the broker id for followers */
    int32_t max_wait_ms;                 /* longest wait for min_bytes */
    int32_t min_bytes;                   /* answer once this much is available */
    int32_t max_bytes;                   /* response limit */
    int8_t isolation_level;              /* 0 READ_UNCOMMITTED, 1 READ_COMMITTED */
    int32_t session_id;                  /* v7+ fetch session; 0 before */
    int32_t session_epoch;               /* v7+; -1 before */
    int32_t topics_count;                /* entries in topics */
    struct proto_FetchTopic *topics;     /* arena-owned */
    int32_t forgotten_topics_data_count; /* v7+: entries below; 0 before */
    struct proto_ForgottenTopic *forgotten_topics_data; /* arena-owned */
    struct proto_str rack_id;                           /* v11+; empty before */
};

enum proto_records_kind {
    PROTO_RECORDS_MEM = 0, /* bytes in memory; a zeroed struct is an empty record set */
    PROTO_RECORDS_FILE,    /* a range of a segment file */
    PROTO_RECORDS_NULL,    /* a null record set (length -1) */
};

/* The record data of one partition in a Fetch response. */
struct proto_records {
    enum proto_records_kind kind; /* which of the two below applies */
    struct proto_bytes mem;       /* MEM: borrowed, copied by the encoder; NULL ptr = empty */
    struct proto_out_file file;   /* FILE: the range; its owner passes to the out */
};

struct proto_FetchablePartitionResponse {
    int32_t partition;               /* partition index */
    int16_t error_code;              /* ErrorCode */
    int64_t high_watermark;          /* offset after the last committed record */
    int64_t last_stable_offset;      /* v4+; the high watermark without transactions */
    int64_t log_start_offset;        /* v5+ */
    int32_t preferred_read_replica;  /* v11+; -1 for the leader itself */
    struct proto_records record_set; /* the records */
};

struct proto_FetchableTopicResponse {
    struct proto_str topic;                                             /* topic name */
    int32_t partition_responses_count;                                  /* entries below */
    const struct proto_FetchablePartitionResponse *partition_responses; /* borrowed */
};

struct proto_FetchResponse {
    int32_t throttle_time_ms;                             /* quota delay */
    int16_t error_code;                                   /* v7+: top-level (session) error */
    int32_t session_id;                                   /* v7+: fetch session, 0 for none */
    int32_t responses_count;                              /* entries in responses */
    const struct proto_FetchableTopicResponse *responses; /* borrowed */
};

/* Decodes v4-11 (proto_decode_fn; out is a struct proto_FetchRequest). */
int proto_decode_Fetch(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 4-11 to o; borrows resp, except
 * that it always takes ownership of the owner of every PROTO_RECORDS_FILE
 * range in it: each is released when o is destroyed, or before this returns
 * if encoding fails. Returns proto_out_status(o). */
int proto_encode_FetchResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                               const struct proto_FetchResponse *resp);

#endif
