/*
 * Dynamic broker configs: the server.properties keys Kafka lets an
 * operator change on a running broker, stored in ZooKeeper at
 * /config/brokers/<id> (this broker) and /config/brokers/<default> (every
 * broker), and applied over the file's values without a restart.
 *
 * Precedence is Kafka's: /config/brokers/<id> over /config/brokers/<default>
 * over the properties file (and --override) over the built-in default.
 * Deleting a dynamic key brings back the value of the layer below, which
 * is why the file's values of the dynamic keys are kept (struct
 * broker_dynamic) when the first dynamic set is applied.
 *
 * Owns the list of dynamic keys and the rules above; reading the znodes
 * and pushing new log settings to the partitions is cluster/dynconfig.c.
 */
#ifndef GREGOR_BROKER_CORE_BROKER_DYNAMIC_H
#define GREGOR_BROKER_CORE_BROKER_DYNAMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct broker_config;

enum broker_dynamic_scope {
    BROKER_DYNAMIC_NO = 0,      /* static: changed by editing the file and restarting */
    BROKER_DYNAMIC_CLUSTER = 1, /* per broker or cluster-wide (<default>) */
};

/* Whether key may be changed at run time (Kafka's DynamicBrokerConfig
 * list, limited to the keys gregor can apply live). */
enum broker_dynamic_scope broker_dynamic_scope(const char *key);

/* One layer of dynamic configs: keys and values borrowed from the caller. */
struct broker_dynamic_set {
    const char *const *keys;
    const char *const *values;
    int n;
};

/* The values the dynamic layers cover, as the file and defaults gave them. */
struct broker_dynamic {
    char **static_text;  /* per broker_config_table entry: the value as text (NULL
                          * for keys that are not dynamic); owned */
    uint8_t *static_src; /* per entry: its enum config_source */
    bool have_static;    /* the two arrays hold the file's values */
};

/* Frees what broker_dynamic_apply kept. */
void broker_dynamic_destroy(struct broker_dynamic *d);

/* Checks one entity's whole new set against c: every key dynamic, every
 * value valid, and the log keys consistent with c's others (e.g. the roll
 * jitter below the roll time). Returns 0, or GR_E_CONFIG with err naming
 * the key, the value and what is allowed (as Kafka's "Cannot update these
 * configs dynamically" for a static key). c is not changed. */
int broker_dynamic_validate(const struct broker_config *c, const struct broker_dynamic_set *set,
                            char *err, size_t errsz);

/* Applies the two layers (either may be NULL: no znode) to c's dynamic keys
 * over the static values kept in d (taken from c the first time). An
 * unknown, static or invalid entry is logged naming the znode (what) and
 * skipped, as Kafka skips it. If the result is inconsistent, c is left as
 * it was and GR_E_CONFIG returned with err set. Otherwise returns the
 * number of keys whose value in force changed (each logged), or
 * GR_E_NOMEM. */
int broker_dynamic_apply(struct broker_dynamic *d, struct broker_config *c,
                         const struct broker_dynamic_set *dflt,
                         const struct broker_dynamic_set *mine, char *err, size_t errsz);

#endif
