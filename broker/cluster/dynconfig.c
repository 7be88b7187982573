/*
 * Dynamic broker configs from ZooKeeper (see dynconfig.h).
 */
#define LOG_COMPONENT "config"
#include "broker/cluster/dynconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/core/broker_dynamic.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"

enum { LAYER_DEFAULT = 0, LAYER_BROKER = 1 };
#define RETRY_MS 1000

struct layer {
    char **keys, **values; /* as last read; owned */
    int n;
    bool watch;            /* a watch is armed on the znode */
};

struct dynconfig {
    struct broker *b;
    struct zk_client *zk;   /* borrowed; NULL when detached */
    unsigned session;       /* bumped when a session's watches are lost */
    struct layer layer[2];
    bool read[2];           /* each layer has been read once */
    bool loaded;            /* both have: the broker may start serving */
    struct broker_dynamic state;
};

struct dc_ctx {
    struct dynconfig *d;
    int layer;
    unsigned session;
    bool exists_only;     /* a watch for creation, not a read */
    struct dc_ctx *watch; /* the watch sent with this read, until known armed */
};

static void layer_clear(struct layer *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->keys[i]);
        free(l->values[i]);
    }
    free(l->keys);
    free(l->values);
    l->keys = l->values = NULL;
    l->n = 0;
}

struct dynconfig *dynconfig_new(struct broker *b)
{
    struct dynconfig *d = calloc(1, sizeof(*d));
    if (d)
        d->b = b;
    return d;
}

void dynconfig_free(struct dynconfig *d)
{
    if (!d)
        return;
    layer_clear(&d->layer[0]);
    layer_clear(&d->layer[1]);
    broker_dynamic_destroy(&d->state);
    free(d);
}

static void path_of(const struct dynconfig *d, int layer, char *out, size_t sz)
{
    if (layer == LAYER_DEFAULT)
        snprintf(out, sz, "/config/brokers/<default>");
    else
        snprintf(out, sz, "/config/brokers/%d", d->b->id);
}

static void start_read(struct dynconfig *d, int layer, bool exists_only);

static void on_watch(int event, const char *path, void *arg)
{
    struct dc_ctx *c = arg;
    struct dynconfig *d = c->d;
    bool current = c->session == d->session;
    (void)path;
    if (current)
        d->layer[c->layer].watch = false;
    if (event != ZK_EVENT_LOST && current && d->zk)
        start_read(d, c->layer, false);
    free(c);
}

/* Applies both layers to the broker's config; recomputes the topics' log
 * settings when any value in force changed. */
static void apply(struct dynconfig *d)
{
    struct broker_dynamic_set sets[2];
    for (int l = 0; l < 2; l++)
        sets[l] = (struct broker_dynamic_set){(const char *const *)d->layer[l].keys,
                                              (const char *const *)d->layer[l].values,
                                              d->layer[l].n};
    char err[512];
    int rc = broker_dynamic_apply(&d->state, d->b->cfg, &sets[LAYER_DEFAULT],
                                  &sets[LAYER_BROKER], err, sizeof(err));
    if (rc == GR_E_CONFIG)
        LOG_ERROR("the dynamic broker configs in ZooKeeper do not fit together (%s); keeping "
                  "the values in force: correct /config/brokers with gregor-configs",
                  err);
    else if (rc < 0)
        LOG_ERROR("cannot apply the dynamic broker configs: %s", gr_strerror(rc));
    /* The first time both layers are in, report a change even if none:
     * the broker waits for it before it opens its listeners. */
    bool first = !d->loaded && d->read[LAYER_DEFAULT] && d->read[LAYER_BROKER];
    d->loaded |= first;
    if (rc > 0 || first)
        metadata_reapply_configs(d->b->md);
}

bool dynconfig_loaded(const struct dynconfig *d)
{
    return d->loaded;
}

/* A read completed without arming its watch (zk_client arms one on a get
 * only when it succeeds, on an exists also when the znode is absent): the
 * watch will never be called, so free it and clear the flag. */
static void watch_not_armed(struct dc_ctx *read)
{
    if (!read->watch)
        return;
    if (read->session == read->d->session)
        read->d->layer[read->layer].watch = false;
    free(read->watch);
    read->watch = NULL;
}

static void retry_cb(int rc, void *arg)
{
    struct dc_ctx *c = arg;
    struct dynconfig *d = c->d;
    int layer = c->layer;
    bool again = !rc && c->session == d->session && d->zk;
    free(c);
    if (again)
        start_read(d, layer, false);
}

static void data_cb(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct dc_ctx *c = arg;
    struct dynconfig *d = c->d;
    int layer = c->layer;
    struct layer *l = &d->layer[layer];
    bool current = c->session == d->session;
    char path[64];
    (void)st;
    path_of(d, layer, path, sizeof(path));
    if (rc)
        watch_not_armed(c);
    if (!current || (rc && rc != GR_E_NOENT)) {
        /* Until both layers are read the broker does not serve: try again
         * in a second rather than wait for a new session. */
        if (current && rc != GR_E_CLOSING && d->zk) {
            LOG_WARN("cannot read %s: %s; trying again in 1 s", path, gr_strerror(rc));
            c->watch = NULL;
            if (!zk_client_after(d->zk, RETRY_MS, retry_cb, c))
                return;
        }
        free(c);
        return;
    }
    struct zk_config zc;
    char err[256];
    memset(&zc, 0, sizeof(zc));
    if (rc == GR_OK && zk_json_config_decode(data, len, &zc, err, sizeof(err))) {
        LOG_ERROR("%s is malformed (%s); ignoring it until it is rewritten", path, err);
        memset(&zc, 0, sizeof(zc));
    }
    layer_clear(l);
    l->keys = calloc((size_t)zc.n + 1, sizeof(char *));
    l->values = calloc((size_t)zc.n + 1, sizeof(char *));
    for (int i = 0; l->keys && l->values && i < zc.n; i++) {
        l->keys[l->n] = strdup(zc.entries[i].key);
        l->values[l->n] = strdup(zc.entries[i].value);
        if (l->keys[l->n] && l->values[l->n])
            l->n++;
        else
            LOG_ERROR("out of memory reading %s: %s is not applied", path, zc.entries[i].key);
    }
    zk_json_config_destroy(&zc);
    free(c);
    d->read[layer] = true;
    apply(d);
    /* No znode yet: watch for its creation. */
    if (rc == GR_E_NOENT && d->zk)
        start_read(d, layer, true);
}

static void exists_cb(int rc, const struct zk_stat *st, void *arg)
{
    struct dc_ctx *c = arg;
    struct dynconfig *d = c->d;
    (void)st;
    if (rc && rc != GR_E_NOENT)
        watch_not_armed(c);
    /* Created between the read and this stat: the watch is armed on an
     * existing znode and fires at its next change, so read it now. */
    bool reread = rc == GR_OK && c->session == d->session && d->zk;
    int layer = c->layer;
    free(c);
    if (reread)
        start_read(d, layer, false);
}

static void start_read(struct dynconfig *d, int layer, bool exists_only)
{
    struct layer *l = &d->layer[layer];
    if (exists_only && l->watch)
        return; /* the armed watch reports the creation */
    struct dc_ctx *c = calloc(1, sizeof(*c));
    struct dc_ctx *w = l->watch ? NULL : calloc(1, sizeof(*w));
    if (!c || (!l->watch && !w)) {
        free(c);
        free(w);
        LOG_ERROR("out of memory watching the dynamic broker configs");
        return;
    }
    *c = (struct dc_ctx){d, layer, d->session, exists_only, w};
    struct zk_watcher zw, *wp = NULL;
    if (w) {
        *w = *c;
        w->watch = NULL;
        zw = (struct zk_watcher){on_watch, w};
        wp = &zw;
    }
    char path[64];
    path_of(d, layer, path, sizeof(path));
    int rc = exists_only ? zk_client_exists(d->zk, path, wp, exists_cb, c)
                         : zk_client_get(d->zk, path, wp, data_cb, c);
    if (rc) {
        LOG_WARN("cannot ask ZooKeeper for %s: %s", path, gr_strerror(rc));
        free(c);
        free(w);
        return;
    }
    if (wp)
        l->watch = true;
}

void dynconfig_load(struct dynconfig *d, struct zk_client *zk)
{
    d->zk = zk;
    start_read(d, LAYER_DEFAULT, false);
    start_read(d, LAYER_BROKER, false);
}

void dynconfig_session_lost(struct dynconfig *d)
{
    d->session++;
    d->layer[0].watch = d->layer[1].watch = false;
}

void dynconfig_detach(struct dynconfig *d)
{
    d->zk = NULL;
}

/* LAYER_DEFAULT or LAYER_BROKER for name, or -1 for another broker. */
static int layer_of(const struct dynconfig *d, const char *name)
{
    char mine[16];
    snprintf(mine, sizeof(mine), "%d", d->b->id);
    return !strcmp(name, "<default>") ? LAYER_DEFAULT : !strcmp(name, mine) ? LAYER_BROKER : -1;
}

bool dynconfig_layer(const struct dynconfig *d, const char *name, const char *const **keys,
                     const char *const **values, int *n)
{
    int layer = layer_of(d, name);
    if (layer < 0)
        return false;
    *keys = (const char *const *)d->layer[layer].keys;
    *values = (const char *const *)d->layer[layer].values;
    *n = d->layer[layer].n;
    return true;
}

int dynconfig_static_value(const struct dynconfig *d, const char *key, char *out, size_t outsz)
{
    const struct config_def *def = broker_config_find(key);
    size_t i = def ? (size_t)(def - broker_config_table.defs) : 0;
    if (!def) {
        snprintf(out, outsz, "%s", "");
        return CONFIG_SRC_DEFAULT;
    }
    if (d->state.have_static && d->state.static_text[i]) {
        snprintf(out, outsz, "%s", d->state.static_text[i]);
        return d->state.static_src[i];
    }
    /* Not dynamic, or nothing applied yet: the value in force is static. */
    broker_config_format(d->b->cfg, def, out, outsz);
    return broker_config_source(d->b->cfg, def);
}

bool dynconfig_shows(const struct dynconfig *d, const char *name, const char *const *keys,
                     const char *const *values, int n)
{
    int layer = layer_of(d, name);
    if (layer < 0)
        return true;
    const struct layer *l = &d->layer[layer];
    if (l->n != n)
        return false;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < l->n && strcmp(l->keys[k], keys[i]))
            k++;
        if (k == l->n || strcmp(l->values[k], values[i]))
            return false;
    }
    return true;
}
