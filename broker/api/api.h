/*
 * The API table: for every Kafka API gregor serves, its key, the versions it
 * implements, the decoder of its body and the handler that answers it. The
 * same table answers ApiVersions, so what is advertised is exactly what is
 * implemented.
 */
#ifndef GREGOR_BROKER_API_H
#define GREGOR_BROKER_API_H

#include <stddef.h>
#include <stdint.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"

struct request;

struct api {
    int16_t key;                        /* Kafka API key */
    int16_t min_version, max_version;   /* implemented, inclusive */
    const char *name;                   /* Kafka's name, for logs */
    proto_decode_fn *decode;            /* body decoder */
    size_t body_size;                   /* size of the decoded body struct */
    void (*handle)(struct request *req); /* must end in request_respond / _no_response / _fail */
};

/* The entry for key, or NULL if gregor does not serve it. */
const struct api *api_find(int16_t key);

/* Fills out with every served API's version range (for ApiVersions).
 * Returns how many, at most max. */
int api_versions(struct proto_ApiVersion *out, int max);

/* Decodes the header and body of a request read from a connection and runs
 * its handler. Malformed requests and unsupported APIs close the connection
 * with a log line saying why; an ApiVersions request above our range gets
 * the UNSUPPORTED_VERSION answer clients fall back on. */
void api_dispatch(struct request *req);

#endif
