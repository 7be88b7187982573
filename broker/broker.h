/*
 * The broker: the one struct that holds a gregord process's state.
 *
 * Owns the event loop, the configuration, the log manager, the ZooKeeper
 * session, the metadata cache, the partitions this broker hosts, the
 * controller (when elected) and every client connection. Everything here is
 * touched only from the loop thread.
 *
 * broker.c runs the lifecycle: start-up (logs, listeners, ZooKeeper, cluster
 * and broker ids, registration, election, metadata), re-registration after a
 * session expiry, and clean shutdown on SIGTERM/SIGINT.
 */
#ifndef GREGOR_BROKER_BROKER_H
#define GREGOR_BROKER_BROKER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/metadata.h"
#include "common/config.h"
#include "common/strmap.h"

struct admin_wait;
struct conn;
struct controller;
struct log_manager;
struct zk_client;

/* One bound listening socket. */
struct listener {
    struct broker *b;                 /* back pointer for the accept callback */
    int fd;                           /* listening socket */
    ev_io io;                         /* readable = connections to accept */
    const struct config_listener *cfg; /* name, host, port from the config */
    int port;                         /* the port actually bound (cfg port 0 picks one) */
};

enum broker_phase {
    PHASE_STARTING,   /* logs open, waiting for ZooKeeper and metadata */
    PHASE_RUNNING,    /* serving */
    PHASE_STOPPING,   /* shutdown has begun */
};

struct broker {
    struct ev_loop *loop;             /* the event loop; owns nothing else */
    struct config *cfg;               /* configuration; borrowed from main */
    enum broker_phase phase;          /* lifecycle */
    int32_t id;                       /* broker.id in force (-1 until known) */
    int64_t epoch;                    /* czxid of our /brokers/ids znode; -1 unregistered */
    char cluster_id[64];              /* from /cluster/id; "" until known */
    int exit_status;                  /* what main returns */

    struct log_manager *logs;         /* every partition log; owned */
    ev_io logs_io;                    /* the log worker's completion eventfd */
    ev_timer logs_tick;               /* retention, timed flushes, checkpoints */

    struct listener listeners[CONFIG_MAX_LISTENERS]; /* bound sockets */
    int nlisteners;                   /* entries in listeners */
    struct conn *conns;               /* live connections (doubly linked) */
    struct conn *dead;                /* closed connections to free at the safe point */
    int nconns;                       /* live connections */
    uint64_t next_conn_id;            /* for log lines */
    ev_check reaper;                  /* frees dead connections after each loop iteration */

    struct zk_client *zk;             /* the ZooKeeper session; owned */
    bool zk_connected;                /* a session is up right now */
    bool registered;                  /* /brokers/ids/<id> exists for this session */
    struct metadata md;               /* the cluster as ZooKeeper describes it */
    struct controller *ctl;           /* controller election and duties; owned */
    struct strmap parts;              /* "topic-partition" -> struct partition (hosted here) */
    struct admin_wait *admin_waits;   /* requests waiting for the metadata to show a result */
    struct strmap auto_creating;      /* topics with an auto-creation in flight (no values) */

    ev_signal sigterm, sigint;        /* start a clean shutdown */
    ev_timer stop_timer;              /* bounds how long shutdown may wait */
};

/* Starts the broker on loop. Returns 0, or exits-worthy error with the
 * reason logged (the caller exits with status 1). */
int broker_start(struct broker *b, struct ev_loop *loop, struct config *cfg);
/* Begins a clean shutdown (also what SIGTERM does). */
void broker_stop(struct broker *b, const char *why);
/* Frees what broker_start set up (after the loop returned). */
void broker_destroy(struct broker *b);

/* The advertised endpoint of broker id for listener name, or NULL. */
const struct metadata_endpoint *broker_endpoint(const struct broker *b, int32_t id,
                                                const char *listener);

/* Monotonic time in microseconds (the loop's cached time where possible). */
int64_t broker_now_us(const struct broker *b);

#endif
