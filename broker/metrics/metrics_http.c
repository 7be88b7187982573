/*
 * The metrics endpoint's HTTP server (see metrics_http.h).
 *
 * A connection goes through three states: it reads a request head into its
 * fixed buffer, writes its one answer (the status line, a few headers and,
 * for GET /metrics, the page rendered at that moment), then half-closes and
 * reads what the client still sends until it closes too, so that closing
 * with unread input does not reset the connection and destroy an answer
 * the client has not read yet (a 431 to a head still arriving, say).
 */
#define LOG_COMPONENT "metrics"
#include "broker/metrics/metrics_http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/metrics/metrics_http_parse.h"
#include "broker/net/transport.h"
#include "common/err.h"
#include "common/logger.h"

/* Connections accepted per readiness event. */
#define ACCEPTS_PER_EVENT 16
/* After its answer, how long and how much a connection is read and dropped
 * before it is closed (seconds, bytes). */
#define DRAIN_S 1.0
#define DRAIN_MAX 65536
/* Accepting pauses this long when out of descriptors (seconds). */
#define BACKOFF_S 1.0

enum mconn_state { MC_READING, MC_WRITING, MC_DRAINING };

struct mconn {
    struct metrics_http *h;       /* the server; borrowed */
    struct transport tr;          /* the socket */
    ev_io io;                     /* readable or writable, by state */
    ev_timer timer;               /* METRICS_HTTP_IDLE_S, or DRAIN_S */
    enum mconn_state state;
    char in[METRICS_HTTP_HEAD_MAX]; /* the request head so far */
    size_t inlen;                 /* bytes in in */
    char hdr[256];                /* the answer's status line and headers */
    size_t hdrlen;                /* bytes in hdr */
    struct buf body;              /* the page (empty for errors and HEAD) */
    size_t sent;                  /* bytes of hdr, then body, written */
    size_t drained;               /* bytes read and dropped after the answer */
    struct mconn *prev, *next;    /* the server's connections */
};

struct metrics_http {
    struct ev_loop *loop;         /* borrowed */
    int fd;                       /* the listening socket */
    int port;                     /* the port bound */
    ev_io io;                     /* connections to accept */
    ev_timer backoff;             /* accepting resumes when it fires */
    metrics_http_render_fn render; /* the page; borrowed */
    void *ctx;                    /* its argument; borrowed */
    struct mconn *conns;          /* live connections */
    int nconns;                   /* entries in conns */
    struct logger_every refused;  /* connections refused, logged once per interval */
};

static void mconn_cb(struct ev_loop *loop, ev_io *w, int revents);
static void mconn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void mconn_close(struct mconn *c)
{
    struct metrics_http *h = c->h;
    ev_io_stop(h->loop, &c->io);
    ev_timer_stop(h->loop, &c->timer);
    transport_close(&c->tr);
    buf_destroy(&c->body);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    h->nconns--;
    free(c);
}

static void set_events(struct mconn *c, int events)
{
    ev_io_stop(c->h->loop, &c->io);
    ev_io_set(&c->io, c->tr.fd, events);
    ev_io_start(c->h->loop, &c->io);
}

static void restart_timer(struct mconn *c, double s)
{
    ev_timer_stop(c->h->loop, &c->timer);
    ev_timer_set(&c->timer, s, 0);
    ev_timer_start(c->h->loop, &c->timer);
}

/* The answer is out: half-close and drain (see the top of the file). */
static void start_draining(struct mconn *c)
{
    shutdown(c->tr.fd, SHUT_WR);
    c->state = MC_DRAINING;
    set_events(c, EV_READ);
    restart_timer(c, DRAIN_S);
}

/* Writes what the socket takes of the answer. */
static void write_some(struct mconn *c)
{
    for (;;) {
        struct iovec iov[2];
        int n = 0;
        if (c->sent < c->hdrlen)
            iov[n++] = (struct iovec){c->hdr + c->sent, c->hdrlen - c->sent};
        size_t boff = c->sent > c->hdrlen ? c->sent - c->hdrlen : 0;
        if (boff < c->body.len)
            iov[n++] = (struct iovec){c->body.data + boff, c->body.len - boff};
        if (n == 0) {
            start_draining(c);
            return;
        }
        ssize_t w = c->tr.ops->writev(&c->tr, iov, n);
        if (w == GR_E_AGAIN)
            return;
        if (w <= 0) {
            mconn_close(c); /* the scraper left */
            return;
        }
        c->sent += (size_t)w;
        restart_timer(c, METRICS_HTTP_IDLE_S);
    }
}

/* Builds the answer to status and starts writing it. */
static void respond(struct mconn *c, int status, bool head_only)
{
    if (status == 200 && !head_only) {
        c->h->render(c->h->ctx, &c->body);
        if (buf_failed(&c->body)) {
            buf_destroy(&c->body);
            buf_init(&c->body);
            status = 500;
        }
    }
    char page[128];
    size_t plen = 0;
    if (status != 200 && !head_only) {
        plen = (size_t)snprintf(page, sizeof(page), "%d %s\n", status, metrics_http_reason(status));
        buf_append(&c->body, page, plen);
    }
    int n = snprintf(c->hdr, sizeof(c->hdr),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, metrics_http_reason(status),
                     status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
                                   : "text/plain; charset=utf-8",
                     c->body.len,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "");
    c->hdrlen = n > 0 && (size_t)n < sizeof(c->hdr) ? (size_t)n : 0;
    c->state = MC_WRITING;
    set_events(c, EV_WRITE);
    restart_timer(c, METRICS_HTTP_IDLE_S);
    write_some(c);
}

static void read_head(struct mconn *c)
{
    ssize_t n = c->tr.ops->read(&c->tr, c->in + c->inlen, sizeof(c->in) - c->inlen);
    if (n == GR_E_AGAIN)
        return;
    if (n <= 0) {
        mconn_close(c); /* closed (or failed) before asking anything complete */
        return;
    }
    c->inlen += (size_t)n;
    struct metrics_http_req r;
    if (metrics_http_parse(c->in, c->inlen, sizeof(c->in), &r))
        respond(c, r.status, r.head_only);
}

static void drain(struct mconn *c)
{
    char scratch[4096];
    ssize_t n = c->tr.ops->read(&c->tr, scratch, sizeof(scratch));
    if (n == GR_E_AGAIN)
        return;
    if (n <= 0 || (c->drained += (size_t)n) > DRAIN_MAX)
        mconn_close(c);
}

static void mconn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct mconn *c = w->data;
    (void)loop;
    (void)revents;
    switch (c->state) {
    case MC_READING: read_head(c); break;
    case MC_WRITING: write_some(c); break;
    case MC_DRAINING: drain(c); break;
    }
}

static void mconn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct mconn *c = w->data;
    (void)loop;
    (void)revents;
    if (c->state != MC_DRAINING)
        LOG_RATE(LOGGER_INFO, "closing a metrics connection: %s for %.0f s",
                 c->state == MC_READING ? "no complete request" : "its answer made no progress",
                 METRICS_HTTP_IDLE_S);
    mconn_close(c);
}

/* Turns a connection away: a 503 if the socket takes it at once, then close. */
static void refuse(struct metrics_http *h, int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    ssize_t ignored = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)ignored;
    close(fd);
    uint64_t n;
    if (logger_every_due(&h->refused, ev_now(h->loop), 10.0, 1, &n))
        LOG_WARN("refusing metrics connections: %d are open already (%llu refused since the "
                 "last such line)", METRICS_HTTP_CONNS, (unsigned long long)n);
}

static void adopt(struct metrics_http *h, int fd)
{
    struct mconn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->h = h;
    transport_plain_init(&c->tr, fd);
    buf_init(&c->body);
    c->state = MC_READING;
    ev_io_init(&c->io, mconn_cb, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->timer, mconn_timer_cb, METRICS_HTTP_IDLE_S, 0);
    c->timer.data = c;
    ev_io_start(h->loop, &c->io);
    ev_timer_start(h->loop, &c->timer);
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    h->nconns++;
}

static void backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct metrics_http *h = w->data;
    (void)revents;
    ev_io_start(loop, &h->io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct metrics_http *h = w->data;
    (void)revents;
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Retrying at once would spin; the Kafka listeners have
                 * the spare-descriptor drill, scrapes can wait a second. */
                LOG_RATE(LOGGER_WARN, "cannot accept a metrics connection: %s; pausing %.0f s",
                         strerror(errno), BACKOFF_S);
                ev_io_stop(loop, &h->io);
                ev_timer_set(&h->backoff, BACKOFF_S, 0);
                ev_timer_start(loop, &h->backoff);
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue; /* that connection failed; the next may be fine */
        }
        if (h->nconns >= METRICS_HTTP_CONNS)
            refuse(h, fd);
        else
            adopt(h, fd);
    }
}

struct metrics_http *metrics_http_new(struct ev_loop *loop, const char *host, int port,
                                      metrics_http_render_fn render, void *ctx, char *err,
                                      size_t errsz)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *ai = NULL;
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    int rc = getaddrinfo(host[0] ? host : NULL, ports, &hints, &ai);
    if (rc) {
        snprintf(err, errsz, "cannot resolve gregor.metrics.listener host \"%s\": %s", host,
                 gai_strerror(rc));
        return NULL;
    }
    struct addrinfo *pick = ai;
    for (struct addrinfo *a = ai; !host[0] && a; a = a->ai_next)
        if (a->ai_family == AF_INET6)
            pick = a; /* the IPv6 wildcard is dual stack */
    int fd = socket(pick->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, pick->ai_addr, pick->ai_addrlen) || listen(fd, 64)) {
        snprintf(err, errsz, "cannot listen on gregor.metrics.listener %s:%d: %s (is the port in "
                 "use?)", host[0] ? host : "0.0.0.0", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return NULL;
    }
    freeaddrinfo(ai);
    struct metrics_http *h = calloc(1, sizeof(*h));
    if (!h) {
        close(fd);
        snprintf(err, errsz, "out of memory starting the metrics endpoint");
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    h->loop = loop;
    h->fd = fd;
    h->render = render;
    h->ctx = ctx;
    ev_io_init(&h->io, accept_cb, fd, EV_READ);
    h->io.data = h;
    ev_timer_init(&h->backoff, backoff_cb, BACKOFF_S, 0);
    h->backoff.data = h;
    ev_io_start(loop, &h->io);
    return h;
}

int metrics_http_port(const struct metrics_http *h)
{
    return h->port;
}

void metrics_http_free(struct metrics_http *h)
{
    if (!h)
        return;
    while (h->conns)
        mconn_close(h->conns);
    ev_io_stop(h->loop, &h->io);
    ev_timer_stop(h->loop, &h->backoff);
    close(h->fd);
    free(h);
}
