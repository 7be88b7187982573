/*
 * The gregord process's lifecycle: start-up, re-registration after a
 * ZooKeeper session expiry, and clean shutdown on SIGTERM/SIGINT.
 *
 * Owns the order in which the parts start and stop and the wiring between
 * them: it creates the log manager, the listeners, the ZooKeeper session,
 * the metadata cache, the hosted partitions and the controller, and hands
 * each the callbacks through which it reports to the others. Nothing below
 * broker/ calls back up into this file.
 */
#ifndef GREGOR_BROKER_SERVER_H
#define GREGOR_BROKER_SERVER_H

#include <ev.h>

#include "broker/core/broker.h"

/* Starts the broker on loop. Returns 0, or -1 with the reason logged (the
 * caller exits with status 1). */
int server_start(struct broker *b, struct ev_loop *loop, struct broker_config *cfg);
/* Begins a clean shutdown (also what SIGTERM does). */
void server_stop(struct broker *b, const char *why);
/* Frees what server_start set up (after the loop returned). */
void server_destroy(struct broker *b);

#endif
