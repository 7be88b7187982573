/*
 * The broker: the one struct that holds a gregord process's state, shared by
 * every part of broker/.
 *
 * Everything here is owned by the event loop and touched only from the loop
 * thread. The parts it points at are opaque here: this header includes no
 * header of net/, api/ or cluster/, so any of them can include it without
 * depending on the others (the folders form no include cycle). server.c
 * creates the parts, wires them together and runs the lifecycle.
 */
#ifndef GREGOR_BROKER_CORE_BROKER_H
#define GREGOR_BROKER_CORE_BROKER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/core/broker_config.h"
#include "common/logger.h"
#include "common/strmap.h"
#include "common/tp.h"

struct conn;
struct conn_quota;
struct controller;
struct delay;
struct dynconfig;
struct listener;
struct log_manager;
struct fetch_state;
struct group_coord;
struct request;
struct metadata;
struct metrics;
struct metrics_http;
struct partition;
struct replica_fetchers;
struct replica_throttle;
struct server_shutdown;
struct zk_client;
struct zk_producer_ids;
struct zk_owner;

enum broker_phase {
    PHASE_STARTING,   /* logs open, waiting for ZooKeeper and metadata */
    PHASE_RUNNING,    /* serving */
    PHASE_STOPPING,   /* shutdown has begun */
};

/* queued.max.request.bytes across every connection, kept by net/conn.c. */
struct conn_budget {
    int64_t bytes;                    /* bytes of requests read and not yet answered */
    int holders;                      /* connections with at least one request queued */
    struct conn *paused;              /* connections the budget stopped reading (linked by conn) */
    struct logger_every log;          /* its log line, at most one per interval */
};

struct broker {
    struct ev_loop *loop;             /* the event loop; owns nothing else */
    struct broker_config *cfg;               /* configuration; borrowed from main */
    enum broker_phase phase;          /* lifecycle */
    int32_t id;                       /* broker.id in force (-1 until known) */
    int64_t epoch;                    /* czxid of our /brokers/ids znode; -1 unregistered */
    struct zk_owner *owner;           /* this process, in its ephemeral znodes (zk_owner.h); owned */
    char cluster_id[64];              /* from /cluster/id; "" until known */
    int exit_status;                  /* what main returns */

    struct log_manager *logs;         /* every partition log; owned */
    ev_io logs_io;                    /* the log workers' completion eventfd */
    ev_io logs_read_io;               /* the log reader's (cold Fetch ranges) */
    ev_timer logs_tick;               /* retention, timed flushes, checkpoints */

    struct listener *listeners;       /* bound sockets; owned (net/listener.c) */
    int nlisteners;                   /* entries in listeners */
    struct conn *conns;               /* live connections (doubly linked) */
    struct conn *dead;                /* closed connections to free at the safe point */
    int nconns;                       /* live connections */
    uint64_t next_conn_id;            /* for log lines */
    ev_check reaper;                  /* frees dead connections after each loop iteration */
    struct conn_quota *quota;         /* connection limits (net/conn_quota.c); owned; NULL: none */
    struct conn_budget budget;        /* queued.max.request.bytes */
    void (*dispatch)(struct request *req); /* runs each request read from a client (api_dispatch) */

    struct zk_client *zk;             /* the ZooKeeper session; owned */
    bool zk_connected;                /* a session is up right now */
    bool registered;                  /* /brokers/ids/<id> exists for this session */
    struct metadata *md;              /* the cluster as ZooKeeper describes it; owned */
    struct controller *ctl;           /* controller election and duties; owned */
    struct group_coord *gc;           /* the group coordinator (broker/group); owned */
    struct dynconfig *dyn;            /* dynamic broker configs (cluster/dynconfig.c); owned */
    struct zk_producer_ids *pids;     /* producer id blocks (InitProducerId); owned; NULL until asked */
    struct replica_throttle *throttle; /* reassignment throttles (cluster/throttle.c); owned */
    struct tpmap parts;               /* topic-partition -> struct partition (hosted here) */
    /* A hosted partition's leader or leader epoch changed, or it goes
     * (p->going): the replica fetchers (repl/) follow. NULL: nobody. */
    void (*follow_changed)(struct broker *b, struct partition *p);
    struct replica_fetchers *fetchers; /* this broker's replica fetchers; owned (repl/) */
    ev_timer isr_tick;                 /* drops lagging followers from ISRs led here */
    struct delay *delay;              /* every delayed operation (waits with deadlines); owned */
    struct strmap auto_creating;      /* topics with an auto-creation in flight (no values) */
    int fetch_parked;                 /* Fetch requests waiting for min_bytes */
    int64_t fetch_parked_parts;       /* the partition entries they watch, together */
    /* fetches answered early (the limits above), logged once per interval */
    struct logger_every fetch_unparked;
    int fetch_warming;                /* Fetch answers waiting for the log reader (cold data) */
    struct fetch_state *fetch_warm_line; /* fetches in line for the reader beyond its limit */
    struct fetch_state **fetch_warm_tail; /* where the next one goes (NULL: line empty) */
    int64_t admin_pending_replicas;   /* replicas of topic writes not yet answered by ZooKeeper */
    struct metrics *metrics;          /* counters for gregor.metrics.listener; owned; NULL: off */
    struct metrics_http *metrics_http; /* its HTTP endpoint; owned; NULL: off */

    ev_signal sigterm, sigint;        /* start a clean shutdown */
    struct server_shutdown *leaving;  /* a controlled shutdown under way; owned (server_shutdown.c) */
};

/* Monotonic time in microseconds (the loop's cached time). */
static inline int64_t broker_now_us(const struct broker *b)
{
    return (int64_t)(ev_now(b->loop) * 1e6);
}

#endif
