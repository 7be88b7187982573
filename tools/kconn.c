/*
 * Blocking request/response over one socket (kconn.h).
 * Timeouts are socket options, so a broker that stops answering costs one
 * timeout per call, never a hang.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "tools/kconn.h"

int kconn_init(struct kconn *c, const char *host, int port, const char *client_id, int timeout_ms,
               size_t max_frame)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->client_id, sizeof(c->client_id), "%s", client_id);
    c->fd = -1;
    c->port = port;
    c->timeout_ms = timeout_ms;
    c->max_frame = max_frame;
    c->next_corr = 1;
    size_t n = strlen(host);
    if (n >= sizeof(c->host))
        return -1;
    memcpy(c->host, host, n + 1);
    return 0;
}

void kconn_close(struct kconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int fail(struct kconn *c, char *errstr, size_t errsz, const char *what, int err)
{
    snprintf(errstr, errsz, "%s:%d: %s%s%s", c->host, c->port, what, err ? ": " : "",
             err ? strerror(err) : "");
    kconn_close(c);
    return -1;
}

static int connect_to(struct kconn *c, char *errstr, size_t errsz)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", c->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(c->host, port, &hints, &ai);
    if (rc) {
        snprintf(errstr, errsz, "%s:%d: %s", c->host, c->port, gai_strerror(rc));
        return -1;
    }
    int err = 0;
    struct timeval tv = {.tv_sec = c->timeout_ms / 1000, .tv_usec = (c->timeout_ms % 1000) * 1000};
    for (struct addrinfo *a = ai; a && c->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* SO_SNDTIMEO also bounds connect(2) on Linux. */
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            c->fd = fd;
        else {
            err = errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (c->fd < 0)
        return fail(c, errstr, errsz, "cannot connect", err);
    return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EPIPE;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
        if (r == 0)
            return ECONNRESET; /* closed by the broker */
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int kconn_send(struct kconn *c, int16_t key, int16_t version, const struct buf *body,
                 int32_t *corr, char *errstr, size_t errsz)
{
    if (c->fd < 0 && connect_to(c, errstr, errsz))
        return -1;
    *corr = c->next_corr++;
    if (c->next_corr < 0)
        c->next_corr = 1;
    struct proto_RequestHeader h = {.request_api_key = key,
                                    .request_api_version = version,
                                    .correlation_id = *corr,
                                    .client_id = proto_str_cstr(c->client_id),
                                    .header_version = 1};
    /* Flexible versions take header v2 (the same plus tagged fields). */
    if (proto_api_request_header_version(key, version) == 2)
        h.header_version = 2;
    struct buf req;
    buf_init(&req);
    buf_put_i32(&req, 0); /* the size, patched below */
    int rc = proto_header_encode_request(&req, &h);
    buf_append(&req, body->data, body->len);
    if (rc || buf_failed(&req) || req.len - 4 > INT32_MAX) {
        buf_destroy(&req);
        return fail(c, errstr, errsz, "cannot encode the request", 0);
    }
    buf_patch_i32(&req, 0, (int32_t)(req.len - 4));
    int err = send_all(c->fd, req.data, req.len);
    buf_destroy(&req);
    if (err)
        return fail(c, errstr, errsz, "send", err);
    return 0;
}

int kconn_recv(struct kconn *c, int16_t key, int16_t version, int32_t corr, struct buf *resp,
                 char *errstr, size_t errsz)
{
    if (c->fd < 0)
        return fail(c, errstr, errsz, "not connected", 0);
    uint8_t sz[4];
    int err = recv_all(c->fd, sz, sizeof(sz));
    if (err)
        return fail(c, errstr, errsz, "receive", err);
    int64_t n =
        (int64_t)((uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 | (uint32_t)sz[2] << 8 | sz[3]);
    if (n < 4 || (uint64_t)n > c->max_frame) {
        char what[96];
        snprintf(what, sizeof(what), "answer of %lld bytes is outside 4..%zu", (long long)n,
                 c->max_frame);
        return fail(c, errstr, errsz, what, 0);
    }
    buf_reset(resp);
    uint8_t *p = buf_grow(resp, (size_t)n);
    if (!p)
        return fail(c, errstr, errsz, "out of memory", 0);
    if ((err = recv_all(c->fd, p, (size_t)n)))
        return fail(c, errstr, errsz, "receive", err);
    struct proto_reader r;
    int32_t got = 0;
    proto_reader_init(&r, p, (size_t)n);
    if (proto_header_decode_response(&r, proto_header_response_version(key, version), &got))
        return fail(c, errstr, errsz, "bad response header", 0);
    if (got != corr)
        return fail(c, errstr, errsz, "answer to another request (correlation id)", 0);
    /* Leave only the body in resp. */
    size_t hdr = (size_t)n - proto_reader_remaining(&r);
    memmove(p, p + hdr, (size_t)n - hdr);
    resp->len = (size_t)n - hdr;
    return 0;
}

int kconn_call(struct kconn *c, int16_t key, int16_t version, const struct buf *body,
                 struct buf *resp, char *errstr, size_t errsz)
{
    int32_t corr;
    if (kconn_send(c, key, version, body, &corr, errstr, errsz))
        return -1;
    return kconn_recv(c, key, version, corr, resp, errstr, errsz);
}

int kconn_parse_endpoint(const char *s, char *host, size_t hn, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= hn)
        return -1;
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || v <= 0 || v > 65535)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (int)v;
    return 0;
}

void kcall_init(struct kcall *x)
{
    proto_out_init(&x->o);
    buf_init(&x->body);
    buf_init(&x->resp);
    arena_init(&x->a);
}

void kcall_destroy(struct kcall *x)
{
    proto_out_destroy(&x->o);
    buf_destroy(&x->body);
    buf_destroy(&x->resp);
    arena_destroy(&x->a);
}

int kcall_send(struct kcall *x, int st, struct kconn *c, int16_t key, int16_t version,
               char *errstr, size_t errsz)
{
    x->key = key;
    x->version = version;
    if (st || proto_out_copy_to(&x->o, &x->body)) {
        snprintf(errstr, errsz, "cannot encode the request (API key %d v%d)", key, version);
        return -1;
    }
    return kconn_send(c, key, version, &x->body, &x->corr, errstr, errsz);
}

int kcall_recv(struct kcall *x, struct kconn *c, proto_decode_fn *decode, void *out, char *errstr,
               size_t errsz)
{
    if (kconn_recv(c, x->key, x->version, x->corr, &x->resp, errstr, errsz))
        return -1;
    struct proto_reader r;
    proto_reader_init(&r, x->resp.data, x->resp.len);
    if (decode(&r, x->version, &x->a, out)) {
        snprintf(errstr, errsz, "%s:%d: cannot decode the answer: %s", c->host, c->port,
                 proto_reader_reason(&r));
        kconn_close(c);
        return -1;
    }
    return 0;
}

int kcall_run(struct kcall *x, int st, struct kconn *c, int16_t key, int16_t version,
              proto_decode_fn *decode, void *out, char *errstr, size_t errsz)
{
    if (kcall_send(x, st, c, key, version, errstr, errsz))
        return -1;
    return kcall_recv(x, c, decode, out, errstr, errsz);
}

int kcall_bootstrap_metadata(struct kcall *x, const char *bootstrap, const char *client_id,
                             int timeout_ms, int16_t version, bool all_topics,
                             struct proto_MetadataResponse *m, char *errstr, size_t errsz)
{
    char *list = strdup(bootstrap), *save = NULL;
    int rc = -1;
    snprintf(errstr, errsz, "no broker in the bootstrap list \"%s\"", bootstrap);
    for (char *ep = list ? strtok_r(list, ",", &save) : NULL; ep && rc;
         ep = strtok_r(NULL, ",", &save)) {
        char host[256];
        int port;
        if (kconn_parse_endpoint(ep, host, sizeof(host), &port)) {
            snprintf(errstr, errsz, "'%s' is not host:port", ep);
            break;
        }
        struct kconn c;
        kconn_init(&c, host, port, client_id, timeout_ms, 64u << 20);
        kcall_destroy(x);
        kcall_init(x);
        struct proto_MetadataRequest req = {.topics_count = all_topics ? -1 : 0};
        rc = kcall_run(x, proto_encode_MetadataRequest(&x->o, version, &req), &c,
                       PROTO_API_METADATA, version, proto_decode_MetadataResponse, m, errstr,
                       errsz);
        kconn_close(&c);
    }
    free(list);
    return rc;
}
