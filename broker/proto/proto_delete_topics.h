/*
 * DeleteTopics (key 20), versions 0-3: request decoder and response encoder.
 *
 * Owns the layouts only (versions 0-3 are identical on the request side).
 * Field names follow DeleteTopicsRequest.json and DeleteTopicsResponse.json
 * (Kafka 2.8) in snake_case.
 */
#ifndef GREGOR_BROKER_PROTO_DELETE_TOPICS_H
#define GREGOR_BROKER_PROTO_DELETE_TOPICS_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_DeleteTopicsRequest {
    int32_t topic_names_count;     /* entries in topic_names */
    struct proto_str *topic_names; /* views into the frame, in an arena array */
    int32_t timeout_ms;            /* how long to wait for the deletion */
};

struct proto_DeletableTopicResult {
    struct proto_str name; /* topic name */
    int16_t error_code;    /* ErrorCode */
};

struct proto_DeleteTopicsResponse {
    int32_t throttle_time_ms;                           /* v1+ */
    int32_t responses_count;                            /* entries in responses */
    const struct proto_DeletableTopicResult *responses; /* borrowed */
};

/* Decodes v0-3 (proto_decode_fn; out is a struct proto_DeleteTopicsRequest). */
int proto_decode_DeleteTopics(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame for version 0-3 to o; borrows resp.
 * Returns proto_out_status(o). */
int proto_encode_DeleteTopicsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                      const struct proto_DeleteTopicsResponse *resp);

#endif
