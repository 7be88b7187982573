/*
 * Dynamic broker configs (see broker_dynamic.h).
 */
#define LOG_COMPONENT "config"
#include "broker/core/broker_dynamic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker_config.h"
#include "common/err.h"
#include "common/logger.h"

/* Kafka 2.8's dynamic keys that gregor applies live: the broker-level
 * synonyms of topic configs (DynamicLogConfig: new values reach every log
 * without a topic override at once), the replication throttles of
 * reassignments (repl/replica_throttle.c) and the thread pool sizes, which
 * Kafka lets change and gregor, with one loop, accepts without effect.
 * The listener, SSL, SASL, quota and connection-limit keys Kafka also
 * lets change are not here: gregor cannot apply them live, and a value
 * that looks applied but is not would mislead the operator. */
static const char *const dynamic_keys[] = {
    "log.segment.bytes",
    "log.roll.ms",
    "log.roll.hours",
    "log.roll.jitter.ms",
    "log.roll.jitter.hours",
    "log.index.size.max.bytes",
    "log.index.interval.bytes",
    "log.retention.ms",
    "log.retention.minutes",
    "log.retention.hours",
    "log.retention.bytes",
    "log.flush.interval.messages",
    "log.flush.interval.ms",
    "log.cleanup.policy",
    "log.message.timestamp.type",
    "log.message.timestamp.difference.max.ms",
    "log.segment.delete.delay.ms",
    "log.preallocate",
    "message.max.bytes",
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "leader.replication.throttled.rate",
    "follower.replication.throttled.rate",
    "num.io.threads",
    "num.network.threads",
    "num.recovery.threads.per.data.dir",
    NULL,
};

enum broker_dynamic_scope broker_dynamic_scope(const char *key)
{
    for (const char *const *k = dynamic_keys; *k; k++)
        if (!strcmp(*k, key))
            return BROKER_DYNAMIC_CLUSTER;
    return BROKER_DYNAMIC_NO;
}

void broker_dynamic_destroy(struct broker_dynamic *d)
{
    if (d->static_text)
        for (size_t i = 0; i < broker_config_table.n; i++)
            free(d->static_text[i]);
    free(d->static_text);
    free(d->static_src);
    memset(d, 0, sizeof(*d));
}

static size_t index_of(const struct config_def *def)
{
    return (size_t)(def - broker_config_table.defs);
}

/* Copies c's dynamic keys as text and source into text/src (arrays of the
 * table's size). Returns 0 or GR_E_NOMEM. */
static int save(const struct broker_config *c, char **text, uint8_t *src)
{
    for (const char *const *k = dynamic_keys; *k; k++) {
        const struct config_def *def = broker_config_find(*k);
        size_t i = index_of(def);
        src[i] = (uint8_t)broker_config_source(c, def);
        char v[512];
        broker_config_format(c, def, v, sizeof(v));
        if (!(text[i] = strdup(v)))
            return GR_E_NOMEM;
    }
    return 0;
}

/* Sets c's dynamic keys back to text/src as save() took them. */
static void restore(struct broker_config *c, char *const *text, const uint8_t *src)
{
    char err[256];
    for (const char *const *k = dynamic_keys; *k; k++) {
        const struct config_def *def = broker_config_find(*k);
        size_t i = index_of(def);
        /* A default goes back through the table: it may be "no value",
         * which has no text to set. */
        if (src[i] == CONFIG_SRC_DEFAULT ||
            broker_config_set(c, def->name, text[i], (enum config_source)src[i], err, sizeof(err)))
            config_table_reset(&broker_config_table, c, c->source, def);
    }
}

static void free_texts(char **text)
{
    for (size_t i = 0; text && i < broker_config_table.n; i++)
        free(text[i]);
    free(text);
}

int broker_dynamic_validate(const struct broker_config *c, const struct broker_dynamic_set *set,
                            char *err, size_t errsz)
{
    for (int i = 0; i < set->n; i++)
        if (broker_dynamic_scope(set->keys[i]) == BROKER_DYNAMIC_NO) {
            snprintf(err, errsz,
                     "Cannot update these configs dynamically: %s (%s); it is read when the "
                     "broker starts: change it in server.properties and restart",
                     set->keys[i], broker_config_find(set->keys[i]) ? "a static broker config"
                                                                    : "not a broker config");
            return GR_E_CONFIG;
        }
    /* A scratch config holding c's log keys, then the new values: the
     * cross-key rules see what would be in force. */
    struct broker_config s;
    if (broker_config_init(&s))
        return GR_E_NOMEM;
    char **text = calloc(broker_config_table.n + 1, sizeof(char *));
    uint8_t *src = calloc(broker_config_table.n + 1, 1);
    int rc = text && src ? save(c, text, src) : GR_E_NOMEM;
    if (!rc) {
        restore(&s, text, src);
        for (int i = 0; i < set->n && !rc; i++)
            rc = broker_config_set(&s, set->keys[i], set->values[i], CONFIG_SRC_DYNAMIC_BROKER,
                                   err, errsz);
        if (!rc)
            rc = broker_config_derive_log(&s, err, errsz);
    }
    free_texts(text);
    free(src);
    broker_config_destroy(&s);
    return rc ? (rc == GR_E_NOMEM ? rc : GR_E_CONFIG) : 0;
}

/* The value a layer gives key, or NULL. */
static const char *lookup(const struct broker_dynamic_set *set, const char *key)
{
    for (int i = 0; set && i < set->n; i++)
        if (!strcmp(set->keys[i], key))
            return set->values[i];
    return NULL;
}

/* Logs the entries of a layer that cannot apply (unknown or static keys). */
static void warn_static(const struct broker_dynamic_set *set, const char *what)
{
    for (int i = 0; set && i < set->n; i++)
        if (broker_dynamic_scope(set->keys[i]) == BROKER_DYNAMIC_NO)
            LOG_WARN("%s sets %s=%s, which cannot change at run time; ignored", what,
                     set->keys[i], set->values[i]);
}

int broker_dynamic_apply(struct broker_dynamic *d, struct broker_config *c,
                         const struct broker_dynamic_set *dflt,
                         const struct broker_dynamic_set *mine, char *err, size_t errsz)
{
    size_t n = broker_config_table.n;
    if (!d->have_static) {
        d->static_text = calloc(n + 1, sizeof(char *));
        d->static_src = calloc(n + 1, 1);
        if (!d->static_text || !d->static_src || save(c, d->static_text, d->static_src)) {
            broker_dynamic_destroy(d);
            return GR_E_NOMEM;
        }
        d->have_static = true;
    }
    char **before = calloc(n + 1, sizeof(char *));
    uint8_t *before_src = calloc(n + 1, 1);
    if (!before || !before_src || save(c, before, before_src)) {
        free_texts(before);
        free(before_src);
        return GR_E_NOMEM;
    }
    warn_static(mine, "/config/brokers/<this broker's id>");
    warn_static(dflt, "/config/brokers/<default>");
    restore(c, d->static_text, d->static_src);
    for (const char *const *k = dynamic_keys; *k; k++) {
        const char *layers[2] = {lookup(mine, *k), lookup(dflt, *k)};
        const enum config_source srcs[2] = {CONFIG_SRC_DYNAMIC_BROKER, CONFIG_SRC_DYNAMIC_DEFAULT};
        for (int l = 0; l < 2; l++) {
            char why[256];
            if (!layers[l])
                continue;
            if (!broker_config_set(c, *k, layers[l], srcs[l], why, sizeof(why)))
                break;
            LOG_WARN("%s: %s; ignored", l ? "/config/brokers/<default>"
                                          : "/config/brokers/<this broker's id>", why);
        }
    }
    if (broker_config_derive_log(c, err, errsz)) {
        restore(c, before, before_src);
        char ignored[64];
        broker_config_derive_log(c, ignored, sizeof(ignored));
        free_texts(before);
        free(before_src);
        return GR_E_CONFIG;
    }
    int changed = 0;
    for (const char *const *k = dynamic_keys; *k; k++) {
        const struct config_def *def = broker_config_find(*k);
        size_t i = index_of(def);
        char now[512];
        broker_config_format(c, def, now, sizeof(now));
        const char *was = before[i];
        enum config_source src = broker_config_source(c, def);
        if (!strcmp(was, now) && src == (enum config_source)before_src[i])
            continue;
        changed++;
        LOG_INFO("broker config %s is now %s (%s; was %s)", *k, now[0] ? now : "unset",
                 src == CONFIG_SRC_DYNAMIC_BROKER    ? "set for this broker in ZooKeeper"
                 : src == CONFIG_SRC_DYNAMIC_DEFAULT ? "set for all brokers in ZooKeeper"
                 : src == CONFIG_SRC_DEFAULT         ? "the default"
                                                     : "from the properties file",
                 was[0] ? was : "unset");
    }
    free_texts(before);
    free(before_src);
    return changed;
}
