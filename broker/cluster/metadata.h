/*
 * The metadata cache: the cluster as ZooKeeper describes it, kept current by
 * watches. Live brokers and their endpoints (/brokers/ids), the controller
 * (/controller), every topic's replica assignment (/brokers/topics/<t>), its
 * config overrides (/config/topics/<t>) and each partition's leader, leader
 * epoch and ISR (.../partitions/<p>/state).
 *
 * Owns the cached copies and the watches that refresh them. It decides
 * nothing: after every change it calls the change callback it was given
 * (server.c passes one that lets the hosted partitions, the controller and
 * waiting admin requests react); it never calls up into its users.
 * While the ZooKeeper session is lost the cache keeps its last contents, so
 * the broker goes on serving what it knew.
 */
#ifndef GREGOR_BROKER_METADATA_H
#define GREGOR_BROKER_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log/log_config.h"
#include "common/strmap.h"
#include "common/tp.h"

struct broker_config;
struct zk_client;

/* Something changed: topic names the topic (NULL: the broker list, the
 * controller, or the end of the first load) and partition the one partition
 * whose state changed (-1: the whole topic). */
typedef void (*metadata_changed_fn)(void *ctx, const char *topic, int32_t partition);

struct metadata_endpoint {
    char *listener; /* listener name; owned */
    char *host;     /* advertised host; owned */
    int32_t port;   /* advertised port */
};

struct metadata_broker {
    int32_t id;                        /* broker id */
    int64_t epoch;                     /* czxid of its registration */
    char *rack;                        /* broker.rack or NULL; owned */
    struct metadata_endpoint *ep;      /* advertised listeners; owned */
    int nep;                           /* entries in ep */
};

struct metadata_partition {
    int32_t id;                        /* partition number */
    int32_t *replicas;                 /* assignment order; owned */
    int nreplicas;                     /* entries in replicas */
    int32_t *adding, *removing;        /* a reassignment's replicas being added and removed
                                        * (/brokers/topics/<t>); in replicas' allocation */
    int nadding, nremoving;            /* entries in them (0: no reassignment recorded) */
    bool has_state;                    /* the state znode exists and was read */
    int32_t leader;                    /* leader broker id, -1 if none */
    int32_t leader_epoch;              /* leader epoch */
    int32_t controller_epoch;          /* epoch of the controller that wrote the state */
    int32_t *isr;                      /* in-sync replicas; owned */
    int nisr;                          /* entries in isr */
    int32_t state_version;             /* the state znode's version (partition epoch) */
    bool state_watch;                  /* a watch is armed on the state znode */
};

struct metadata_topic {
    char *name;                        /* topic name; owned */
    const struct tp_topic *id;         /* the interned name (a reference) */
    struct metadata_partition *parts;  /* by partition number; owned */
    int nparts;                        /* entries in parts */
    int nconfig;                       /* config overrides */
    char **config_keys, **config_values; /* overrides as stored in ZooKeeper; owned */
    struct log_config log_config;      /* broker defaults with the overrides applied */
    bool have_assignment;              /* /brokers/topics/<t> has been read */
    bool have_config;                  /* /config/topics/<t> has been read (or is absent) */
    bool assign_watch;                 /* a watch is armed on /brokers/topics/<t> */
    bool config_watch;                 /* a watch is armed on /config/topics/<t> */
};

struct metadata {
    const struct broker_config *cfg;          /* broker defaults for topic configs; borrowed */
    struct zk_client *zk;              /* the session reads go to; borrowed, NULL when detached */
    metadata_changed_fn on_change;     /* called after every change */
    void *ctx;                         /* its argument */
    struct strmap topics;              /* name -> struct metadata_topic */
    struct strmap collide;             /* name with '.' as '_' -> a struct metadata_topic */
    int64_t nreplicas;                 /* replicas of every cached partition, summed */
    struct metadata_broker *brokers;   /* live brokers sorted by id; owned */
    int nbrokers;                      /* entries in brokers */
    int32_t controller_id;             /* -1 if none */
    int inflight;                      /* ZooKeeper reads outstanding */
    bool loaded;                       /* the first full load finished */
    bool topics_watch, brokers_watch, controller_watch; /* armed watches */
    int64_t generation;                /* bumped by every change */
};

void metadata_init(struct metadata *md, const struct broker_config *cfg, metadata_changed_fn changed,
                   void *ctx);
void metadata_destroy(struct metadata *md);

/* (Re)reads everything from ZooKeeper through zk (borrowed until
 * metadata_detach) and arms the watches that are not armed (all of them after
 * a new session). Call on every new session. */
void metadata_load(struct metadata *md, struct zk_client *zk);
/* Stops using the ZooKeeper session (shutdown): watches that still fire
 * re-read nothing. */
void metadata_detach(struct metadata *md);
/* The session expired: every watch is gone. */
void metadata_session_lost(struct metadata *md);
/* The broker's defaults for topic configs changed (dynamic broker configs):
 * recompute every topic's settings from them and its overrides, and report
 * a change of everything so the hosted logs take them. */
void metadata_reapply_configs(struct metadata *md);

struct metadata_topic *metadata_topic(const struct metadata *md, const char *name);
/* A cached topic whose name equals name once every '.' is read as '_'
 * (Kafka's metric names do that, so such names collide), or NULL. One
 * lookup, whatever the number of topics. */
const struct metadata_topic *metadata_topic_colliding(const struct metadata *md, const char *name);
/* A topic is usable once its assignment and its config are known. */
static inline bool metadata_topic_ready(const struct metadata_topic *t)
{
    return t && t->have_assignment && t->have_config;
}
struct metadata_partition *metadata_partition(const struct metadata *md, const char *topic,
                                              int32_t partition);
const struct metadata_broker *metadata_broker(const struct metadata *md, int32_t id);
/* The advertised endpoint of broker id for listener name, or NULL. */
const struct metadata_endpoint *metadata_endpoint(const struct metadata *md, int32_t id,
                                                  const char *listener);
bool metadata_broker_alive(const struct metadata *md, int32_t id);

/* Re-reads one partition's state now (after this broker or the controller
 * wrote it, so the cache does not wait for the watch). */
void metadata_refresh_state(struct metadata *md, const char *topic, int32_t partition);

#endif
