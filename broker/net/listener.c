/*
 * Listening sockets (see listener.h).
 */
#define LOG_COMPONENT "listener"
#include "broker/net/listener.h"

#include <errno.h>
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
#include "broker/core/broker_config.h"
#include "common/logger.h"

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct listener *l = w->data;
    struct broker *b = l->b;
    (void)loop;
    (void)revents;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                LOG_WARN("accept on %s failed: %s", l->cfg->name, strerror(errno));
            return;
        }
        if (b->nconns >= b->cfg->max_connections) {
            LOG_WARN("refusing a connection: max.connections (%d) reached",
                     b->cfg->max_connections);
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
        /* Numeric host and port always fit: INET6_ADDRSTRLEN + 6. */
        char host[64], port[8], peer[80];
        if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
                        NI_NUMERICHOST | NI_NUMERICSERV))
            snprintf(peer, sizeof(peer), "?");
        else
            snprintf(peer, sizeof(peer), "%.63s:%.7s", host, port);
        conn_new(b, fd, l->cfg, peer);
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
        ev_io_stop(b->loop, &b->listeners[i].io);
        close(b->listeners[i].fd);
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
