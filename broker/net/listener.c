/*
 * Listening sockets (see listener.h).
 */
#define LOG_COMPONENT "listener"
#include "broker/net/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/core/broker.h"
#include "broker/net/conn.h"
#include "broker/net/conn_quota.h"
#include "broker/core/broker_config.h"
#include "common/logger.h"

/* Connections accepted per readiness event, so a flood cannot starve the
 * connections already served. */
#define ACCEPTS_PER_EVENT 64
/* Back-off while out of descriptors: first, and at most (seconds). */
#define BACKOFF_MIN 0.05
#define BACKOFF_MAX 1.0
/* Refused connections are logged at most this often (seconds). */
#define REFUSAL_LOG_INTERVAL 10.0

/* Why connections are refused: each reason is logged on its own schedule. */
enum refusal { REFUSED_PER_IP, REFUSED_TOTAL, REFUSED_NO_FDS };

/* Counts n connections refused for reason and logs one line per interval
 * about them; what says why (borrowed). */
static void log_refusal(struct listener *l, enum refusal reason, unsigned long n, const char *what)
{
    uint64_t refused;
    if (logger_every_due(&l->refusals[reason], ev_now(l->b->loop), REFUSAL_LOG_INTERVAL, n,
                         &refused))
        LOG_WARN("refusing connections on %s: %s (%llu refused since the last such line; "
                 "established connections are still served)",
                 l->cfg->name, what, (unsigned long long)refused);
}

static void backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct listener *l = w->data;
    (void)revents;
    if (l->b->phase == PHASE_RUNNING)
        ev_io_start(loop, &l->io);
}

/* accept() failed for want of descriptors or memory (err). Accepts and
 * closes what waits with the spare descriptor, then stops accepting for the
 * back-off: retrying at once would fail the same way, and spin. */
static void out_of_descriptors(struct listener *l, int err)
{
    struct broker *b = l->b;
    unsigned long drained = 0;
    if (l->spare_fd >= 0) {
        close(l->spare_fd);
        l->spare_fd = -1;
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                break;
            close(fd);
            drained++;
        }
        l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    l->backoff_s = l->backoff_s > 0 ? l->backoff_s * 2 : BACKOFF_MIN;
    if (l->backoff_s > BACKOFF_MAX)
        l->backoff_s = BACKOFF_MAX;
    ev_io_stop(b->loop, &l->io);
    ev_timer_set(&l->backoff, l->backoff_s, 0);
    ev_timer_start(b->loop, &l->backoff);
    char what[320];
    snprintf(what, sizeof(what),
             "accept failed: %s with %d connections open (max.connections %d); waiting ones are "
             "closed and accepting pauses for %.0f ms at a time until descriptors free up: raise "
             "the open-file limit (ulimit -n) or lower max.connections",
             strerror(err), b->nconns,
             b->quota ? conn_quota_max(b->quota) : b->cfg->max_connections, l->backoff_s * 1e3);
    log_refusal(l, REFUSED_NO_FDS, drained, what);
}

/* The client's address as conn_quota counts it: numeric, and an IPv4
 * client of a dual-stack socket as its IPv4 address. */
static void client_address(const struct sockaddr_storage *ss, socklen_t sl, char *host,
                           size_t hostsz, char *port, size_t portsz)
{
    if (getnameinfo((const struct sockaddr *)ss, sl, host, (socklen_t)hostsz, port,
                    (socklen_t)portsz, NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(host, hostsz, "?");
        snprintf(port, portsz, "?");
    } else if (!strncmp(host, "::ffff:", 7) && strchr(host, '.')) {
        memmove(host, host + 7, strlen(host + 7) + 1);
    }
}

/* Whether the limits let a connection from host in; logs a refusal. */
static bool admit(struct listener *l, const char *host)
{
    struct broker *b = l->b;
    enum conn_quota_verdict v = CONN_QUOTA_OK;
    if (b->quota)
        v = conn_quota_admit(b->quota, host, b->nconns);
    else if (b->nconns >= b->cfg->max_connections)
        v = CONN_QUOTA_TOTAL;
    char what[200];
    enum refusal reason = v == CONN_QUOTA_PER_IP ? REFUSED_PER_IP : REFUSED_TOTAL;
    if (v == CONN_QUOTA_PER_IP)
        snprintf(what, sizeof(what),
                 "%s already has the maximum of %d connections (max.connections.per.ip, or its "
                 "entry in max.connections.per.ip.overrides)",
                 host, conn_quota_ip_limit(b->quota, host));
    else if (v == CONN_QUOTA_TOTAL)
        snprintf(what, sizeof(what), "max.connections (%d) reached, e.g. from %s",
                 b->quota ? conn_quota_max(b->quota) : b->cfg->max_connections, host);
    else
        return true;
    log_refusal(l, reason, 1, what);
    return false;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct listener *l = w->data;
    struct broker *b = l->b;
    (void)loop;
    (void)revents;
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return;
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                out_of_descriptors(l, err);
                return;
            }
            /* The waiting connection failed (ECONNABORTED, EPROTO, a
             * firewall's EPERM...): the next one may be fine. */
            if (err != EINTR)
                LOG_DEBUG("accept on %s failed: %s", l->cfg->name, strerror(err));
            continue;
        }
        l->backoff_s = 0;
        /* Numeric host and port always fit: INET6_ADDRSTRLEN + 6. */
        char host[64], port[8], peer[80];
        client_address(&ss, sl, host, sizeof(host), port, sizeof(port));
        if (!admit(l, host)) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (b->cfg->socket_send_buffer_bytes > 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b->cfg->socket_send_buffer_bytes, sizeof(int));
        if (b->cfg->socket_receive_buffer_bytes > 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b->cfg->socket_receive_buffer_bytes,
                       sizeof(int));
        snprintf(peer, sizeof(peer), "%.63s:%.7s", host, port);
        conn_new(b, fd, l->cfg, peer, b->quota ? host : NULL);
    }
}

int listeners_bind(struct broker *b)
{
    const struct broker_config *c = b->cfg;
    b->listeners = calloc((size_t)c->n_listeners + 1, sizeof(*b->listeners));
    if (!b->listeners) {
        LOG_ERROR("out of memory binding the listeners");
        return -1;
    }
    for (int i = 0; i < c->n_listeners; i++) {
        const struct config_listener *cl = &c->listener[i];
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE}, *ai = NULL;
        char port[16];
        snprintf(port, sizeof(port), "%d", cl->port);
        int rc = getaddrinfo(cl->host[0] ? cl->host : NULL, port, &hints, &ai);
        if (rc) {
            LOG_ERROR("cannot resolve listener %s://%s:%d: %s", cl->name, cl->host, cl->port,
                      gai_strerror(rc));
            return -1;
        }
        /* With no host, prefer the IPv6 wildcard (dual stack) when offered. */
        struct addrinfo *pick = ai;
        for (struct addrinfo *a = ai; !cl->host[0] && a; a = a->ai_next)
            if (a->ai_family == AF_INET6)
                pick = a;
        int fd = socket(pick->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (fd < 0 || bind(fd, pick->ai_addr, pick->ai_addrlen) || listen(fd, 1024)) {
            LOG_ERROR("cannot listen on %s://%s:%d: %s (is another broker using the port?)",
                      cl->name, cl->host, cl->port, strerror(errno));
            if (fd >= 0)
                close(fd);
            freeaddrinfo(ai);
            return -1;
        }
        freeaddrinfo(ai);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        getsockname(fd, (struct sockaddr *)&ss, &sl);
        struct listener *l = &b->listeners[b->nlisteners++];
        l->b = b;
        l->fd = fd;
        l->cfg = cl;
        l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
        ev_io_init(&l->io, accept_cb, fd, EV_READ);
        l->io.data = l;
        ev_timer_init(&l->backoff, backoff_cb, 0, 0);
        l->backoff.data = l;
        /* Taken now, while descriptors are plenty; see out_of_descriptors. */
        l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        LOG_INFO("listening on %s://%s:%d", cl->name, cl->host[0] ? cl->host : "0.0.0.0",
                 l->port);
    }
    return 0;
}

void listeners_start(struct broker *b)
{
    for (int i = 0; i < b->nlisteners; i++)
        ev_io_start(b->loop, &b->listeners[i].io);
}

void listeners_close(struct broker *b)
{
    for (int i = 0; i < b->nlisteners; i++) {
        struct listener *l = &b->listeners[i];
        ev_io_stop(b->loop, &l->io);
        ev_timer_stop(b->loop, &l->backoff);
        close(l->fd);
        if (l->spare_fd >= 0)
            close(l->spare_fd);
    }
    free(b->listeners);
    b->listeners = NULL;
    b->nlisteners = 0;
}

int listeners_port(const struct broker *b, const char *name)
{
    for (int i = 0; i < b->nlisteners; i++)
        if (!strcmp(b->listeners[i].cfg->name, name))
            return b->listeners[i].port;
    return -1;
}
