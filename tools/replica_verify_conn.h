/*
 * A blocking Kafka client connection for gregor-replica-verification: one
 * request at a time, over one TCP socket, with the generated codecs of
 * broker/proto doing the bodies.
 *
 * Owns the socket, the correlation ids and the framing: it checks that an
 * answer's size is within a limit before reading it and that its
 * correlation id is the request's. It does not decode bodies (the caller
 * does, with proto_decode_<Api>Response) and does not retry: a failed call
 * closes the socket, and the next call connects again.
 */
#ifndef GREGOR_TOOLS_REPLICA_VERIFY_CONN_H
#define GREGOR_TOOLS_REPLICA_VERIFY_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct rv_conn {
    char host[256];    /* as given or as Metadata names it */
    int port;          /* TCP port */
    int fd;            /* the socket, -1 while not connected */
    int32_t next_corr; /* correlation id of the next request */
    int timeout_ms;    /* for connecting and for each send and receive */
    size_t max_frame;  /* largest answer accepted */
};

/* Sets c up for host:port (not connected yet). host is copied; a name
 * longer than c->host fails with -1. */
int rv_conn_init(struct rv_conn *c, const char *host, int port, int timeout_ms, size_t max_frame);

/* Closes the socket, if open. */
void rv_conn_close(struct rv_conn *c);

/* Sends one request (header v1 with the tool's client id, then body,
 * borrowed), connecting first if need be, and sets *corr to its
 * correlation id. Returns 0, or -1 with the reason in errstr and the
 * socket closed. */
int rv_conn_send(struct rv_conn *c, int16_t key, int16_t version, const struct buf *body,
                 int32_t *corr, char *errstr, size_t errsz);

/* Reads the answer to the request sent with correlation id corr (key and
 * version say which response header to expect): 0 with the body in *resp
 * (initialized by the caller, reset here), or -1 with the reason in errstr
 * and the socket closed. */
int rv_conn_recv(struct rv_conn *c, int16_t key, int16_t version, int32_t corr, struct buf *resp,
                 char *errstr, size_t errsz);

/* rv_conn_send() then rv_conn_recv(). Sends one request (header v1 with the tool's client id, then
 * body, borrowed) and reads its answer: on success 0 and *resp holds the response body (after the
 * response header of the version that answers key and version); resp must be initialized and is
 * reset first. On failure -1 with the reason in errstr, and the socket closed. Connects first if
 * need be. */
int rv_conn_call(struct rv_conn *c, int16_t key, int16_t version, const struct buf *body,
                 struct buf *resp, char *errstr, size_t errsz);

#endif
