/*
 * A blocking Kafka client connection for the tools that speak the protocol
 * themselves (gregor-replica-verification, gregor-leader-election: what
 * librdkafka 2.0 cannot send): one request at a time, over one TCP socket,
 * with the generated codecs of broker/proto doing the bodies (struct kcall).
 *
 * Owns the socket, the correlation ids and the framing: it checks that an
 * answer's size is within a limit before reading it and that its
 * correlation id is the request's. It does not decode bodies (the caller
 * does, with proto_decode_<Api>Response) and does not retry: a failed call
 * closes the socket, and the next call connects again.
 */
#ifndef GREGOR_TOOLS_KCONN_H
#define GREGOR_TOOLS_KCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/buf.h"

struct kconn {
    char host[256];    /* as given or as Metadata names it */
    int port;          /* TCP port */
    int fd;            /* the socket, -1 while not connected */
    char client_id[64]; /* sent in every request header */
    int32_t next_corr; /* correlation id of the next request */
    int timeout_ms;    /* for connecting and for each send and receive */
    size_t max_frame;  /* largest answer accepted */
};

/* Sets c up for host:port (not connected yet), sending client_id. host and
 * client_id are copied; a name longer than c->host fails with -1 (a longer
 * client id is cut). */
int kconn_init(struct kconn *c, const char *host, int port, const char *client_id, int timeout_ms,
               size_t max_frame);

/* Splits "host:port" (the last colon) into host (hn bytes) and *port.
 * Returns 0, or -1 if s is not that. */
int kconn_parse_endpoint(const char *s, char *host, size_t hn, int *port);

/* Closes the socket, if open. */
void kconn_close(struct kconn *c);

/* Sends one request (header v1 with the tool's client id, v2 for a
 * flexible version, then body, borrowed), connecting first if need be, and sets *corr to its
 * correlation id. Returns 0, or -1 with the reason in errstr and the
 * socket closed. */
int kconn_send(struct kconn *c, int16_t key, int16_t version, const struct buf *body,
                 int32_t *corr, char *errstr, size_t errsz);

/* Reads the answer to the request sent with correlation id corr (key and
 * version say which response header to expect): 0 with the body in *resp
 * (initialized by the caller, reset here), or -1 with the reason in errstr
 * and the socket closed. */
int kconn_recv(struct kconn *c, int16_t key, int16_t version, int32_t corr, struct buf *resp,
                 char *errstr, size_t errsz);

/* kconn_send() then kconn_recv(). Sends one request (header v1 with the tool's client id, then
 * body, borrowed) and reads its answer: on success 0 and *resp holds the response body (after the
 * response header of the version that answers key and version); resp must be initialized and is
 * reset first. On failure -1 with the reason in errstr, and the socket closed. Connects first if
 * need be. */
int kconn_call(struct kconn *c, int16_t key, int16_t version, const struct buf *body,
                 struct buf *resp, char *errstr, size_t errsz);

/* The buffers of one request and its answer. */
struct kcall {
    struct proto_out o; /* the request body, as the generated encoder writes it */
    struct buf body;    /* the same, flat */
    struct buf resp;    /* the answer's body: decoded views point into it */
    struct arena a;     /* the decoded answer's arrays */
    int16_t key;        /* the request's API key */
    int16_t version;    /* and version */
    int32_t corr;       /* and correlation id */
};

void kcall_init(struct kcall *x);
void kcall_destroy(struct kcall *x);
/* Sends the body the encoder wrote into x->o (st: the encoder's status) to
 * c. Returns 0 or -1 with errstr. */
int kcall_send(struct kcall *x, int st, struct kconn *c, int16_t key, int16_t version,
               char *errstr, size_t errsz);
/* Reads the answer to x's request from c and decodes it with decode into
 * out (valid until x is destroyed). Returns 0 or -1 with errstr. */
int kcall_recv(struct kcall *x, struct kconn *c, proto_decode_fn *decode, void *out, char *errstr,
               size_t errsz);
/* kcall_send() then kcall_recv(). */
int kcall_run(struct kcall *x, int st, struct kconn *c, int16_t key, int16_t version,
              proto_decode_fn *decode, void *out, char *errstr, size_t errsz);

/* Metadata at version (topics: every one when all_topics, else none)
 * from the first broker of bootstrap ("host:port,host:port") that answers;
 * the answer's views live in x (initialized by the caller, destroyed by
 * it). Returns 0, or -1 with errstr (the last broker's failure, or a
 * malformed list). */
int kcall_bootstrap_metadata(struct kcall *x, const char *bootstrap, const char *client_id,
                             int timeout_ms, int16_t version, bool all_topics,
                             struct proto_MetadataResponse *m, char *errstr, size_t errsz);

#endif
