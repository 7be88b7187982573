/*
 * Controlled shutdown, the leaving broker's side (Kafka's
 * KafkaServer.controlledShutdown): on SIGTERM/SIGINT with
 * controlled.shutdown.enable, ask the controller (ControlledShutdown v2,
 * over the inter-broker listener) to move every leadership this broker
 * holds to another in-sync replica, and stop only when it says none is
 * left; retry controlled.shutdown.max.retries times in all, waiting
 * controlled.shutdown.retry.backoff.ms between attempts, then stop anyway
 * with a warning naming what still leads here. While it asks, the broker
 * keeps serving: producers see NOT_LEADER_OR_FOLLOWER for each partition
 * as it moves and follow the metadata to the new leader.
 *
 * Skipped (the broker stops at once) when disabled, when this is the only
 * live broker, or when ZooKeeper is not connected (the controller could not
 * write a new leader anyway). A second signal stops at once.
 *
 * Owns the client to the controller and the retry timer, until the broker
 * stops (server_stop frees them through server_shutdown_free).
 */
#ifndef GREGOR_BROKER_SERVER_SHUTDOWN_H
#define GREGOR_BROKER_SERVER_SHUTDOWN_H

struct broker;

/* How the broker stops for good (server_stop; passed in so that this file
 * and server.c do not depend on each other). */
typedef void server_stop_fn(struct broker *b, const char *why);

/* Begins a controlled shutdown of b, or stops it at once with stop (see
 * above). why (borrowed) names the cause in the log. */
void server_shutdown_begin(struct broker *b, const char *why, server_stop_fn *stop);
/* The brokers or the controller changed: an attempt waiting on a
 * controller that is no longer the controller is abandoned and made again
 * to the new one (a dead controller's /controller znode lives until its
 * session times out; the request to it would wait its whole deadline). */
void server_shutdown_metadata_changed(struct broker *b);
/* Releases the controlled shutdown's state, if any (server_stop). */
void server_shutdown_free(struct broker *b);

#endif
