/*
 * Blocking request/response over one socket (replica_verify_conn.h).
 * Timeouts are socket options, so a broker that stops answering costs one
 * timeout per call, never a hang.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "tools/replica_verify_conn.h"

#define RV_CLIENT_ID "gregor-replica-verification"

int rv_conn_init(struct rv_conn *c, const char *host, int port, int timeout_ms, size_t max_frame)
{
    memset(c, 0, sizeof(*c));
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

void rv_conn_close(struct rv_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int fail(struct rv_conn *c, char *errstr, size_t errsz, const char *what, int err)
{
    snprintf(errstr, errsz, "%s:%d: %s%s%s", c->host, c->port, what, err ? ": " : "",
             err ? strerror(err) : "");
    rv_conn_close(c);
    return -1;
}

static int connect_to(struct rv_conn *c, char *errstr, size_t errsz)
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

int rv_conn_send(struct rv_conn *c, int16_t key, int16_t version, const struct buf *body,
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
                                    .client_id = proto_str_cstr(RV_CLIENT_ID),
                                    .header_version = 1};
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

int rv_conn_recv(struct rv_conn *c, int16_t key, int16_t version, int32_t corr, struct buf *resp,
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

int rv_conn_call(struct rv_conn *c, int16_t key, int16_t version, const struct buf *body,
                 struct buf *resp, char *errstr, size_t errsz)
{
    int32_t corr;
    if (rv_conn_send(c, key, version, body, &corr, errstr, errsz))
        return -1;
    return rv_conn_recv(c, key, version, corr, resp, errstr, errsz);
}
