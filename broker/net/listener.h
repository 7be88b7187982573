/*
 * Listening sockets: one per entry of `listeners`, bound at start-up and
 * accepting only once the broker is ready to serve.
 *
 * Owns the bound sockets and their accept watchers. An accepted socket gets
 * TCP_NODELAY and the configured buffer sizes and is handed to conn_new();
 * past max.connections it is closed at once. It does not read or write
 * connections.
 */
#ifndef GREGOR_BROKER_NET_LISTENER_H
#define GREGOR_BROKER_NET_LISTENER_H

#include <ev.h>

struct broker;
struct config_listener;

/* One bound listening socket. */
struct listener {
    struct broker *b;                  /* back pointer for the accept callback */
    int fd;                            /* listening socket */
    ev_io io;                          /* readable = connections to accept */
    const struct config_listener *cfg; /* name, host, port from the config */
    int port;                          /* the port actually bound (cfg port 0 picks one) */
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
