/*
 * Metadata (key 3), versions 0-8: request decoder and response encoder.
 *
 * Owns the layouts only. Field names follow MetadataRequest.json and
 * MetadataResponse.json (Kafka 2.8) in snake_case; fields a version lacks are
 * skipped by the encoder and set to Kafka's default by the decoder.
 */
#ifndef GREGOR_BROKER_PROTO_METADATA_H
#define GREGOR_BROKER_PROTO_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_MetadataRequestTopic {
    struct proto_str name; /* topic name (view into the frame) */
};

struct proto_MetadataRequest {
    int32_t topics_count;                       /* -1: null (v1+: all topics) */
    struct proto_MetadataRequestTopic *topics;  /* arena-owned */
    bool allow_auto_topic_creation;             /* v4+; true before (Kafka's default) */
    bool include_cluster_authorized_operations; /* v8+; false before */
    bool include_topic_authorized_operations;   /* v8+; false before */
};

/* True if the request asks for every topic: a null list in v1+, and in v0
 * (where the list is not nullable) an empty one. Borrows req. */
static inline bool proto_MetadataRequest_all_topics(const struct proto_MetadataRequest *req,
                                                    int16_t version)
{
    return req->topics_count < 0 || (version == 0 && req->topics_count == 0);
}

struct proto_MetadataResponseBroker {
    int32_t node_id;       /* broker id */
    struct proto_str host; /* advertised host */
    int32_t port;          /* advertised port */
    struct proto_str rack; /* v1+, nullable */
};

struct proto_MetadataResponsePartition {
    int16_t error_code;              /* partition ErrorCode */
    int32_t partition_index;         /* partition number */
    int32_t leader_id;               /* leader broker id, -1 if none */
    int32_t leader_epoch;            /* v7+ */
    int32_t replica_nodes_count;     /* entries in replica_nodes */
    const int32_t *replica_nodes;    /* assignment order; borrowed */
    int32_t isr_nodes_count;         /* entries in isr_nodes */
    const int32_t *isr_nodes;        /* in-sync replicas; borrowed */
    int32_t offline_replicas_count;  /* v5+: entries in offline_replicas */
    const int32_t *offline_replicas; /* v5+; borrowed */
};

struct proto_MetadataResponseTopic {
    int16_t error_code;                                       /* topic ErrorCode */
    struct proto_str name;                                    /* topic name */
    bool is_internal;                                         /* v1+ */
    int32_t partitions_count;                                 /* entries in partitions */
    const struct proto_MetadataResponsePartition *partitions; /* borrowed */
    int32_t topic_authorized_operations;                      /* v8+ bit field */
};

struct proto_MetadataResponse {
    int32_t throttle_time_ms;                           /* v3+ */
    int32_t brokers_count;                              /* entries in brokers */
    const struct proto_MetadataResponseBroker *brokers; /* borrowed */
    struct proto_str cluster_id;                        /* v2+, nullable */
    int32_t controller_id;                              /* v1+, -1 if unknown */
    int32_t topics_count;                               /* entries in topics */
    const struct proto_MetadataResponseTopic *topics;   /* borrowed */
    int32_t cluster_authorized_operations;              /* v8+ bit field */
};

/* Decodes v0-8 (proto_decode_fn; out is a struct proto_MetadataRequest). */
int proto_decode_Metadata(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 0-8 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_MetadataResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                  const struct proto_MetadataResponse *resp);

#endif
