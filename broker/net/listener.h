/*
 * Listening sockets: one per entry of `listeners`, bound at start-up and
 * accepting only once the broker is ready to serve.
 *
 * Owns the bound sockets, their accept watchers, a spare descriptor each
 * and the back-off timer. An accepted socket gets TCP_NODELAY and the
 * configured buffer sizes and is handed to conn_new(); one that
 * net/conn_quota.c refuses (max.connections, max.connections.per.ip) is
 * closed at once. It does not read or write connections.
 *
 * Out of descriptors (EMFILE, ENFILE; also ENOBUFS, ENOMEM), accept() would
 * fail again at once for as long as connections wait, and a level-triggered
 * loop would spin on it. Instead the listener gives up its spare descriptor,
 * accepts and closes the waiting connections with it (their clients see a
 * closed connection, not a hang), takes the spare again, and stops accepting
 * for a back-off that doubles up to a second while the shortage lasts. It
 * says so once per interval, not per attempt; established connections are
 * served throughout.
 */
#ifndef GREGOR_BROKER_NET_LISTENER_H
#define GREGOR_BROKER_NET_LISTENER_H

#include <ev.h>
#include <stdint.h>

#include "common/logger.h"

struct broker;
struct config_listener;

/* One bound listening socket. */
struct listener {
    struct broker *b;                  /* back pointer for the accept callback */
    int fd;                            /* listening socket */
    ev_io io;                          /* readable = connections to accept */
    const struct config_listener *cfg; /* name, host, port from the config */
    int port;                          /* the port actually bound (cfg port 0 picks one) */
    int spare_fd;                      /* /dev/null held to accept-and-close when out of fds */
    ev_timer backoff;                  /* accepting resumes when it fires */
    double backoff_s;                  /* the current back-off; 0 while accepting is healthy */
    struct logger_every refusals[3];   /* per reason: per address, max.connections, descriptors */
};

/* Binds every configured listener into b->listeners (allocated here; freed
 * by listeners_close). Accepting starts with listeners_start. Returns 0, or
 * -1 with the reason logged. */
int listeners_bind(struct broker *b);
/* Starts accepting connections on every listener. */
void listeners_start(struct broker *b);
/* Stops accepting and closes every listening socket. */
void listeners_close(struct broker *b);
/* The port bound for the listener named name, or -1. */
int listeners_port(const struct broker *b, const char *name);

#endif
