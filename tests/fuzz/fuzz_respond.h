/*
 * Decode any request frame and encode a plausible response to it: the
 * round trip the fuzz target, the corpus test and the capture broker share.
 *
 * Owns a test-side table of the APIs and versions the codec implements (the
 * broker keeps its own handler table) and, per API, a responder that answers
 * the decoded request the way a one-broker cluster would (echoing topics and
 * partitions, every partition led by the configured node), so each encoder
 * runs on data shaped by the request.
 *
 * Not a broker: nothing is stored, offsets are made up, and Fetch returns
 * either no records or a few stand-in bytes.
 */
#ifndef GREGOR_TESTS_FUZZ_RESPOND_H
#define GREGOR_TESTS_FUZZ_RESPOND_H

#include <stddef.h>
#include <stdint.h>

#include "broker/proto/proto_out.h"

struct fuzz_respond_cfg {
    int32_t node_id;     /* the one broker's id (also the controller) */
    const char *host;    /* advertised host; borrowed */
    int32_t port;        /* advertised port */
    int records_fd;      /* >= 0: Fetch answers odd partitions with a file range of it */
    int64_t records_len; /* bytes usable at the start of records_fd */
    int file_ranges;     /* incremented for every file range handed out, decremented on release */
};

enum fuzz_respond_result {
    FUZZ_RESPONDED = 0,   /* a response frame was written to o */
    FUZZ_NO_RESPONSE = 1, /* decoded, and Kafka sends nothing back (Produce with acks=0) */
};

/* Parses the request frame (bytes after the int32 size; borrowed), decodes
 * its body if the API and version are implemented, and writes a response to
 * o. Returns an enum fuzz_respond_result, or a negative gregor error with a
 * reason in why (header or body malformed, API or version not implemented,
 * encoder failure). A version above the ApiVersions maximum gets the v0
 * fallback response, as a broker must answer it, whatever its body holds. */
int fuzz_respond(const uint8_t *frame, size_t len, struct fuzz_respond_cfg *cfg,
                 struct proto_out *o, char *why, size_t whysz);

#endif
