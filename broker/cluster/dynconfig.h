/*
 * The dynamic broker configs in ZooKeeper, kept and applied: reads
 * /config/brokers/<default> and /config/brokers/<id> with watches, applies
 * them over the properties file (core/broker_dynamic.c) and, when a log
 * setting changed, has every topic's settings recomputed so the logs take
 * the new defaults at once (metadata_reapply_configs).
 *
 * Any tool that writes the znodes is honoured: AlterConfigs through any
 * broker, gregor-configs, kafka-configs, or zkCli.sh.
 */
#ifndef GREGOR_BROKER_CLUSTER_DYNCONFIG_H
#define GREGOR_BROKER_CLUSTER_DYNCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct broker;
struct zk_client;

struct dynconfig;

/* A keeper for b's dynamic configs (b->cfg changes in place); NULL when
 * out of memory. */
struct dynconfig *dynconfig_new(struct broker *b);
/* Frees d; call after the ZooKeeper client is freed (its callbacks hold d). */
void dynconfig_free(struct dynconfig *d);

/* Reads both znodes on zk (borrowed) and watches them; on every session
 * once b->id is known. */
void dynconfig_load(struct dynconfig *d, struct zk_client *zk);
/* Whether both znodes have been read once (present or not), so the
 * values in force are the dynamic ones: the broker serves after that. */
bool dynconfig_loaded(const struct dynconfig *d);
/* The session is gone: its watches will not fire. */
void dynconfig_session_lost(struct dynconfig *d);
/* No more ZooKeeper requests (shutting down). */
void dynconfig_detach(struct dynconfig *d);

/* The layer for name ("<default>" or this broker's id) as last read, in
 * keys and values (borrowed until the next read) and n. Returns false for
 * another broker's name. */
bool dynconfig_layer(const struct dynconfig *d, const char *name, const char *const **keys,
                     const char *const **values, int *n);

/* The value of broker key def from the properties file or the default (the
 * layers below the dynamic ones) as text in out, with its source (enum
 * config_source) returned. */
int dynconfig_static_value(const struct dynconfig *d, const char *key, char *out, size_t outsz);

/* Whether the layer for name ("<default>" or this broker's id) as last read
 * is exactly the n keys/values: an AlterConfigs waits for it before
 * answering. A name of another broker shows at once (not watched here). */
bool dynconfig_shows(const struct dynconfig *d, const char *name, const char *const *keys,
                     const char *const *values, int n);

#endif
