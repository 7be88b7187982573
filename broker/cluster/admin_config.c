/*
 * Topic and broker config changes through the admin APIs (see
 * admin_config.h).
 */
#include "broker/cluster/admin_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/core/broker_dynamic.h"
#include "broker/log/log_config.h"
#include "common/err.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_kafka.h"

/* One change in flight: the znode's path and data, then the notification. */
struct config_op {
    struct broker *b;
    admin_done_fn done;
    void *ctx;
    char *json;          /* the new /config/<type>/<name>; owned */
    char path[300];      /* /config/<type>/<name> */
    char entity[280];    /* <type>/<name> */
};

static void finish(struct config_op *op, int rc, const char *why)
{
    char msg[512];
    if (rc)
        snprintf(msg, sizeof(msg), "%s%s%s", gr_strerror(rc), why ? ": " : "", why ? why : "");
    op->done(rc, rc ? msg : NULL, op->ctx);
    free(op->json);
    free(op);
}

static void announced(int rc, const char *path, const char *why, void *arg)
{
    (void)path;
    finish(arg, rc, why);
}

static void announce(struct config_op *op)
{
    int rc = op->b->zk ? zk_kafka_create_config_change_notification(op->b->zk, op->entity,
                                                                    announced, op)
                       : GR_E_CLOSING;
    if (rc)
        finish(op, rc, "cannot announce the change under /config/changes");
}

static void created(int rc, const char *path, const struct zk_stat *st, void *arg)
{
    (void)path;
    (void)st;
    struct config_op *op = arg;
    if (rc) {
        finish(op, rc, op->path);
        return;
    }
    announce(op);
}

static void written(int rc, const struct zk_stat *st, void *arg)
{
    struct config_op *op = arg;
    (void)st;
    if (rc == GR_E_NOENT && op->b->zk) {
        /* A topic created without overrides may have no config znode. */
        rc = zk_client_create(op->b->zk, op->path, op->json, strlen(op->json), 0, created,
                              op);
        if (!rc)
            return;
    }
    if (rc) {
        finish(op, rc, op->path);
        return;
    }
    announce(op);
}

/* Writes the whole set of type/name's dynamic configs to /config/<type>/<name>
 * and announces it under /config/changes; done follows. Returns
 * GR_PENDING, or an error with msg set. */
static int write_config(struct broker *b, const char *type, const char *name,
                        const char *const *keys, const char *const *values, int n,
                        admin_done_fn done, void *ctx, char *msg, size_t msgsz)
{
    if (!b->zk) {
        snprintf(msg, msgsz, "no ZooKeeper session");
        return GR_E_CLOSING;
    }
    struct zk_config_entry *e = calloc((size_t)n + 1, sizeof(*e));
    struct config_op *op = calloc(1, sizeof(*op));
    if (!e || !op) {
        free(e);
        free(op);
        return GR_E_NOMEM;
    }
    for (int i = 0; i < n; i++)
        e[i] = (struct zk_config_entry){(char *)keys[i], (char *)values[i]};
    struct zk_config c = {.entries = e, .n = n};
    int rc = zk_json_config_encode(&c, &op->json, msg, msgsz);
    free(e);
    if (rc) {
        free(op);
        return rc;
    }
    op->b = b;
    op->done = done;
    op->ctx = ctx;
    snprintf(op->path, sizeof(op->path), "/config/%s/%s", type, name);
    snprintf(op->entity, sizeof(op->entity), "%s/%s", type, name);
    /* Unconditional, as Kafka's setOrCreateEntityConfigs: the request says
     * what the whole set is to be. */
    rc = zk_client_set(b->zk, op->path, op->json, strlen(op->json), ZK_ANY_VERSION, written, op);
    if (rc) {
        free(op->json);
        free(op);
        snprintf(msg, msgsz, "%s", gr_strerror(rc));
        return rc;
    }
    return GR_PENDING;
}

int admin_set_topic_config(struct broker *b, const char *topic, const char *const *keys,
                           const char *const *values, int n, bool validate_only,
                           admin_done_fn done, void *ctx, char *msg, size_t msgsz)
{
    const struct metadata_topic *t = metadata_topic(b->md, topic);
    if (!t) {
        snprintf(msg, msgsz, "Topic %s does not exist.", topic);
        return GR_E_NOENT;
    }
    struct log_config lc;
    broker_config_log_defaults(b->cfg, &lc);
    for (int i = 0; i < n; i++)
        if (log_config_set(&lc, keys[i], values[i], msg, msgsz))
            return GR_E_CONFIG;
    if (validate_only)
        return GR_OK;
    return write_config(b, "topics", topic, keys, values, n, done, ctx, msg, msgsz);
}

int admin_set_broker_config(struct broker *b, const char *name, const char *const *keys,
                            const char *const *values, int n, bool validate_only,
                            admin_done_fn done, void *ctx, char *msg, size_t msgsz)
{
    struct broker_dynamic_set set = {keys, values, n};
    int rc = broker_dynamic_validate(b->cfg, &set, msg, msgsz);
    if (rc || validate_only)
        return rc;
    return write_config(b, "brokers", name, keys, values, n, done, ctx, msg, msgsz);
}

void admin_topic_config_value(const struct broker *b, const struct metadata_topic *t,
                              const struct log_config_def *d, char *out, size_t outsz,
                              const char **override)
{
    const char *ov = NULL;
    for (int k = 0; k < t->nconfig; k++)
        if (!strcmp(t->config_keys[k], d->name))
            ov = t->config_values[k];
    const struct config_def *bd = d->broker_key[0] ? broker_config_find(d->broker_key) : NULL;
    if (ov)
        snprintf(out, outsz, "%s", ov);
    else if (d->offset < 0 && bd) /* gregor does not use it: the broker's value */
        broker_config_format(b->cfg, bd, out, outsz);
    else
        log_config_format(&t->log_config, d, out, outsz);
    if (override)
        *override = ov;
}
