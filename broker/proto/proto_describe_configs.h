/*
 * DescribeConfigs (key 32), versions 0-3: request decoder and response
 * encoder.
 *
 * Owns the layouts only. v0 has is_default where v1+ has config_source and
 * synonyms; v3 adds config_type and documentation. Field names follow
 * DescribeConfigsRequest.json and DescribeConfigsResponse.json (Kafka 2.8) in
 * snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_DESCRIBE_CONFIGS_H
#define GREGOR_BROKER_PROTO_DESCRIBE_CONFIGS_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_DescribeConfigsResource {
    int8_t resource_type;                 /* 2 topic, 4 broker, 8 broker logger */
    struct proto_str resource_name;       /* topic name or broker id */
    int32_t configuration_keys_count;     /* -1: null, meaning every key */
    struct proto_str *configuration_keys; /* views, in an arena array */
};

struct proto_DescribeConfigsRequest {
    int32_t resources_count;                         /* entries in resources */
    struct proto_DescribeConfigsResource *resources; /* arena-owned */
    bool include_synonyms;                           /* v1+; false before */
    bool include_documentation;                      /* v3+; false before */
};

struct proto_DescribeConfigsSynonym {
    struct proto_str name;  /* config key */
    struct proto_str value; /* nullable value */
    int8_t source;          /* where this synonym comes from */
};

struct proto_DescribeConfigsResourceResult {
    struct proto_str name;                               /* config key */
    struct proto_str value;                              /* nullable (null for sensitive values) */
    bool read_only;                                      /* cannot be altered */
    bool is_default;                                     /* v0 only */
    int8_t config_source;                                /* v1+ */
    bool is_sensitive;                                   /* value is hidden */
    int32_t synonyms_count;                              /* v1+: entries in synonyms */
    const struct proto_DescribeConfigsSynonym *synonyms; /* v1+; borrowed */
    int8_t config_type;                                  /* v3+ */
    struct proto_str documentation;                      /* v3+, nullable */
};

struct proto_DescribeConfigsResult {
    int16_t error_code;                                        /* ErrorCode */
    struct proto_str error_message;                            /* nullable */
    int8_t resource_type;                                      /* as in the request */
    struct proto_str resource_name;                            /* as in the request */
    int32_t configs_count;                                     /* entries in configs */
    const struct proto_DescribeConfigsResourceResult *configs; /* borrowed */
};

struct proto_DescribeConfigsResponse {
    int32_t throttle_time_ms;                          /* quota delay */
    int32_t results_count;                             /* entries in results */
    const struct proto_DescribeConfigsResult *results; /* borrowed */
};

/* Decodes v0-3 (proto_decode_fn; out is a struct proto_DescribeConfigsRequest). */
int proto_decode_DescribeConfigs(struct proto_reader *r, int16_t version, struct arena *a,
                                 void *out);

/* Writes the whole response frame for version 0-3 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_DescribeConfigsResponse(struct proto_out *o, int16_t version,
                                         int32_t correlation_id,
                                         const struct proto_DescribeConfigsResponse *resp);

#endif
