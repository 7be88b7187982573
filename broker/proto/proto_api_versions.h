/*
 * ApiVersions (key 18): request v0-3, response v0-2, and the fallback answer
 * to a version above gregor's maximum.
 *
 * Owns the layouts only; the list of supported APIs comes from the broker's
 * handler table. The request body is empty before v3; v3 (flexible) is
 * decoded as well so a broker can log what software connects, but the broker
 * advertises v0-2 and answers v3 with proto_encode_ApiVersionsFallback(),
 * which is what Kafka 2.4+ does and what librdkafka 2.x expects.
 */
#ifndef GREGOR_BROKER_PROTO_API_VERSIONS_H
#define GREGOR_BROKER_PROTO_API_VERSIONS_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;
struct proto_out;
struct proto_reader;

struct proto_ApiVersionsRequest {
    struct proto_str client_software_name;    /* v3+; null before */
    struct proto_str client_software_version; /* v3+; null before */
};

/* One entry of the supported-API list. */
struct proto_ApiVersion {
    int16_t api_key;     /* the API */
    int16_t min_version; /* lowest supported version, inclusive */
    int16_t max_version; /* highest supported version, inclusive */
};

struct proto_ApiVersionsResponse {
    int16_t error_code;                      /* top-level ErrorCode */
    int32_t api_keys_count;                  /* entries in api_keys */
    const struct proto_ApiVersion *api_keys; /* borrowed */
    int32_t throttle_time_ms;                /* v1+ */
};

/* Decodes v0-3 (proto_decode_fn; out is a struct proto_ApiVersionsRequest). */
int proto_decode_ApiVersions(struct proto_reader *r, int16_t version, struct arena *a, void *out);

/* Writes the whole response frame of the given version (0-2) to o; borrows
 * resp. Returns proto_out_status(o). */
int proto_encode_ApiVersionsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                     const struct proto_ApiVersionsResponse *resp);

/* Writes the answer to an ApiVersions request whose version is above the
 * broker's maximum, without looking at its body: the v0 layout (error 35
 * UNSUPPORTED_VERSION, then the count entries of keys, borrowed) with the
 * plain v0 response header. The client retries with a version from the list. */
int proto_encode_ApiVersionsFallback(struct proto_out *o, int32_t correlation_id,
                                     const struct proto_ApiVersion *keys, int32_t count);

#endif
