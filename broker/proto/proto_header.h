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

#endif
