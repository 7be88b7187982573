/*
 * The request header that starts every request frame.
 *
 * Owns: parsing RequestHeader v0, v1 and v2 for any API key and version, so
 * that the broker can answer (or refuse) a request it cannot decode: the
 * correlation id is filled in before anything else is read, and a version
 * above what gregor implements still yields a header and, through
 * proto_api_request_header_version(), the position of the body.
 *
 * Does not decide whether the API or version is supported, and writes no
 * response header (proto_out_begin_response() does).
 */
#ifndef GREGOR_BROKER_PROTO_HEADER_H
#define GREGOR_BROKER_PROTO_HEADER_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct buf;
struct proto_reader;

struct proto_RequestHeader {
    int16_t request_api_key;     /* which API (enum proto_api_key) */
    int16_t request_api_version; /* the version the client chose */
    int32_t correlation_id;      /* echoed in the response header */
    struct proto_str client_id;  /* nullable view into the frame; null in header v0 */
    int8_t header_version;       /* 0, 1 or 2 (2: flexible, tagged fields followed) */
};

/* Reads the request header from the start of a frame (the bytes after the
 * int32 size) and leaves r at the first byte of the body. Fills h (client_id
 * borrows the frame). The key, version and correlation id are set as soon as
 * the first 8 bytes are there, even if the rest fails. Keys Kafka does not
 * define are read as header v1 (the broker closes such connections, as Kafka
 * does, so the body position does not matter). Returns 0 or GR_E_CORRUPT
 * with the reason in r. */
int proto_header_decode(struct proto_reader *r, struct proto_RequestHeader *h);

/* The client side. */

/* Appends the request header h (borrowed) to out in h->header_version: v0
 * key, version and correlation id; v1 adds the nullable client id; v2 (the
 * flexible versions) adds an empty tagged-field section after it. Returns 0,
 * GR_E_INVALID (a header version other than 0..2, a client id longer than
 * 32767 bytes) or GR_E_NOMEM. */
int proto_header_encode_request(struct buf *out, const struct proto_RequestHeader *h);

/* The response header version (0 or 1) that answers a request of this key
 * and version, or -1 for a key Kafka does not define. Flexible requests get
 * v1, except ApiVersions, whose response header stays v0 so that any client
 * can read the answer to a version the broker does not know. */
int proto_header_response_version(int16_t api_key, int16_t api_version);

/* Reads a response header of the given version (0: the correlation id; 1:
 * the correlation id and tagged fields, skipped) from the start of a frame
 * and leaves r at the first byte of the body. Returns 0 or GR_E_CORRUPT with
 * the reason in r; GR_E_INVALID for a version other than 0 or 1. */
int proto_header_decode_response(struct proto_reader *r, int header_version,
                                 int32_t *correlation_id);

#endif
