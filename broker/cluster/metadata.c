/*
 * The metadata cache and its ZooKeeper watches (see metadata.h).
 *
 * Every read and watch carries a small context naming what it is about (kind,
 * topic, partition) rather than a pointer into the cache, so a topic deleted
 * while a read is in flight costs a lookup that finds nothing, never a
 * dangling pointer.
 */
#define LOG_COMPONENT "metadata"
#include "broker/core/broker_config.h"
#include "broker/cluster/metadata.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_controller.h"
#include "zk/zk_kafka.h"
#include "zk/zk_topic.h"
#include "common/topic_name.h"

enum md_kind { MD_BROKERS, MD_CONTROLLER, MD_TOPICS, MD_ASSIGN, MD_CONFIG, MD_STATE };

struct md_ctx {
    struct metadata *md;   /* the cache */
    enum md_kind kind;     /* what this read or watch is about */
    int32_t partition;     /* MD_STATE */
    struct md_ctx *watch;  /* read contexts: the watch sent with the read, or NULL */
    char topic[];          /* MD_ASSIGN, MD_CONFIG, MD_STATE */
};

static struct md_ctx *ctx_new(struct metadata *md, enum md_kind kind, const char *topic,
                              int32_t partition)
{
    size_t n = topic ? strlen(topic) + 1 : 1;
    struct md_ctx *c = malloc(sizeof(*c) + n);
    if (!c)
        return NULL;
    c->md = md;
    c->kind = kind;
    c->partition = partition;
    c->watch = NULL;
    memcpy(c->topic, topic ? topic : "", n);
    return c;
}

static void free_broker(struct metadata_broker *mb)
{
    for (int i = 0; i < mb->nep; i++) {
        free(mb->ep[i].listener);
        free(mb->ep[i].host);
    }
    free(mb->ep);
    free(mb->rack);
}

static void free_topic(struct metadata_topic *t)
{
    for (int i = 0; i < t->nparts; i++) {
        free(t->parts[i].replicas);
        free(t->parts[i].isr);
    }
    free(t->parts);
    for (int i = 0; i < t->nconfig; i++) {
        free(t->config_keys[i]);
        free(t->config_values[i]);
    }
    free(t->config_keys);
    free(t->config_values);
    tp_topic_unref(t->id);
    free(t->name);
    free(t);
}

void metadata_init(struct metadata *md, const struct broker_config *cfg, metadata_changed_fn changed,
                   void *ctx)
{
    memset(md, 0, sizeof(*md));
    md->cfg = cfg;
    md->on_change = changed;
    md->ctx = ctx;
    md->controller_id = -1;
    strmap_init(&md->topics);
    strmap_init(&md->collide);
}

void metadata_destroy(struct metadata *md)
{
    size_t it = 0;
    void *v;
    while (strmap_next(&md->topics, &it, NULL, &v))
        free_topic(v);
    strmap_destroy(&md->topics);
    strmap_destroy(&md->collide);
    for (int i = 0; i < md->nbrokers; i++)
        free_broker(&md->brokers[i]);
    free(md->brokers);
    md->brokers = NULL;
    md->nbrokers = 0;
}

struct metadata_topic *metadata_topic(const struct metadata *md, const char *name)
{
    return strmap_get(&md->topics, name);
}

/* name with '.' as '_' into out (size 256); false if it does not fit. */
static bool collision_key(const char *name, char *out)
{
    size_t n = strlen(name);
    if (n > 255)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = name[i] == '.' ? '_' : name[i];
    return true;
}

const struct metadata_topic *metadata_topic_colliding(const struct metadata *md, const char *name)
{
    char key[256];
    return collision_key(name, key) ? strmap_get(&md->collide, key) : NULL;
}

static int64_t topic_replicas(const struct metadata_topic *t)
{
    int64_t n = 0;
    for (int i = 0; i < t->nparts; i++)
        n += t->parts[i].nreplicas;
    return n;
}

struct metadata_partition *metadata_partition(const struct metadata *md, const char *topic,
                                              int32_t partition)
{
    struct metadata_topic *t = metadata_topic(md, topic);
    if (!t || partition < 0 || partition >= t->nparts)
        return NULL;
    return &t->parts[partition];
}

const struct metadata_endpoint *metadata_endpoint(const struct metadata *md, int32_t id,
                                                  const char *listener)
{
    const struct metadata_broker *mb = metadata_broker(md, id);
    for (int i = 0; mb && i < mb->nep; i++)
        if (!strcmp(mb->ep[i].listener, listener))
            return &mb->ep[i];
    return NULL;
}

const struct metadata_broker *metadata_broker(const struct metadata *md, int32_t id)
{
    int lo = 0, hi = md->nbrokers - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (md->brokers[mid].id == id)
            return &md->brokers[mid];
        if (md->brokers[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

bool metadata_broker_alive(const struct metadata *md, int32_t id)
{
    return metadata_broker(md, id) != NULL;
}

/* Bookkeeping of reads in flight, to know when the first load is done. */
static void read_started(struct metadata *md)
{
    md->inflight++;
}

static void read_finished(struct metadata *md)
{
    if (--md->inflight == 0 && !md->loaded) {
        md->loaded = true;
        LOG_INFO("metadata loaded: %d broker(s), %zu topic(s), controller %d", md->nbrokers,
                 md->topics.count, md->controller_id);
        md->on_change(md->ctx, NULL, -1);
    }
}

static void changed(struct metadata *md, const char *topic, int32_t partition)
{
    md->generation++;
    if (md->loaded)
        md->on_change(md->ctx, topic, partition);
}

/* The armed-watch flag a context stands for, or NULL if its topic or
 * partition is gone. */
static bool *watch_flag(struct md_ctx *c)
{
    struct metadata *md = c->md;
    struct metadata_topic *t = c->kind >= MD_ASSIGN ? metadata_topic(md, c->topic) : NULL;
    switch (c->kind) {
    case MD_BROKERS: return &md->brokers_watch;
    case MD_CONTROLLER: return &md->controller_watch;
    case MD_TOPICS: return &md->topics_watch;
    case MD_ASSIGN: return t ? &t->assign_watch : NULL;
    case MD_CONFIG: return t ? &t->config_watch : NULL;
    case MD_STATE: return t && c->partition < t->nparts ? &t->parts[c->partition].state_watch : NULL;
    }
    return NULL;
}

/* A read completed without arming its watch (zk_client arms a watch only
 * when the read succeeds): clear the flag and free the watch context. */
static void watch_not_armed(struct md_ctx *read)
{
    if (!read->watch)
        return;
    bool *flag = watch_flag(read->watch);
    if (flag)
        *flag = false;
    free(read->watch);
    read->watch = NULL;
}

static void start_read(struct metadata *md, enum md_kind kind, const char *topic,
                       int32_t partition, bool exists_only);

/* Every watch comes here: re-read what changed, unless the session is gone
 * (then metadata_load() re-reads everything on the new session). */
static void on_watch(int event, const char *path, void *arg)
{
    struct md_ctx *c = arg;
    bool *flag = watch_flag(c);
    LOG_DEBUG("watch fired on %s (event %d)", path, event);
    if (flag)
        *flag = false;
    if (event != ZK_EVENT_LOST && flag && c->md->zk)
        start_read(c->md, c->kind, c->topic, c->partition, false);
    free(c);
}

static void read_failed(const char *what, int rc, const char *why)
{
    LOG_WARN("cannot read %s from ZooKeeper: %s%s%s; will re-read on the next connection", what,
             gr_strerror(rc), why ? ": " : "", why ? why : "");
}

/* ---- brokers and controller ---------------------------------------------- */

static void brokers_cb(int rc, const struct zk_kafka_broker *brokers, int n, const char *why,
                       void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    struct metadata_broker *nb = NULL;
    if (rc) {
        watch_not_armed(c);
        read_failed("/brokers/ids", rc, why);
    } else if ((nb = calloc((size_t)n + 1, sizeof(*nb)))) {
        for (int i = 0; i < n; i++) {
            const struct zk_broker_info *info = &brokers[i].info;
            nb[i].id = brokers[i].id;
            nb[i].epoch = brokers[i].epoch;
            nb[i].rack = info->rack ? strdup(info->rack) : NULL;
            nb[i].ep = calloc((size_t)info->n_endpoints, sizeof(*nb[i].ep));
            for (int k = 0; nb[i].ep && k < info->n_endpoints; k++) {
                nb[i].ep[k].listener = strdup(info->endpoints[k].listener);
                nb[i].ep[k].host = strdup(info->endpoints[k].host);
                nb[i].ep[k].port = info->endpoints[k].port;
                nb[i].nep++;
            }
        }
        bool same = n == md->nbrokers;
        for (int i = 0; same && i < n; i++)
            same = nb[i].id == md->brokers[i].id && nb[i].epoch == md->brokers[i].epoch;
        for (int i = 0; i < md->nbrokers; i++)
            free_broker(&md->brokers[i]);
        free(md->brokers);
        md->brokers = nb;
        md->nbrokers = n;
        if (!same) {
            char list[256] = "";
            for (int i = 0; i < n && strlen(list) < sizeof(list) - 16; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", i ? "," : "",
                         nb[i].id);
            LOG_INFO("live brokers: [%s]", list);
            changed(md, NULL, -1);
        }
    }
    read_finished(md);
    free(c);
}

static void controller_cb(int rc, int32_t id, const char *why, void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    if (rc) {
        watch_not_armed(c);
        read_failed("/controller", rc, why);
    } else if (id != md->controller_id) {
        LOG_INFO("controller is now broker %d", id);
        md->controller_id = id;
        changed(md, NULL, -1);
    }
    read_finished(md);
    free(c);
}

/* ---- topics ------------------------------------------------------------- */

static void remove_topic(struct metadata *md, const char *name)
{
    struct metadata_topic *t = strmap_del(&md->topics, name);
    if (!t)
        return;
    LOG_INFO("topic %s was deleted", name);
    char key[256];
    if (collision_key(name, key) && strmap_get(&md->collide, key) == t)
        strmap_del(&md->collide, key);
    md->nreplicas -= topic_replicas(t);
    free_topic(t);
    changed(md, name, -1);
}

static void add_topic(struct metadata *md, const char *name)
{
    if (!topic_name_valid(name)) {
        LOG_WARN("ignoring /brokers/topics/%s: not a legal topic name", name);
        return;
    }
    struct metadata_topic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name)) || !(t->id = tp_topic_intern(name, strlen(name))) ||
        strmap_put(&md->topics, name, t)) {
        if (t) {
            tp_topic_unref(t->id);
            free(t->name);
        }
        free(t);
        return;
    }
    char key[256];
    if (collision_key(name, key) && !strmap_get(&md->collide, key))
        strmap_put(&md->collide, key, t); /* out of memory: only the collision check is weaker */
    broker_config_log_defaults(md->cfg, &t->log_config);
    start_read(md, MD_CONFIG, name, -1, false);
    start_read(md, MD_ASSIGN, name, -1, false);
}

static void topics_cb(int rc, const char *const *names, int n, const struct zk_stat *st,
                      void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    (void)st;
    if (rc) {
        watch_not_armed(c);
        read_failed("/brokers/topics", rc, NULL);
        goto out;
    }
    struct strmap present;
    strmap_init(&present);
    for (int i = 0; i < n; i++)
        strmap_put(&present, names[i], (void *)1);
    /* Removed topics: in the cache, no longer in ZooKeeper. */
    char **gone = calloc(md->topics.count + 1, sizeof(char *));
    int ngone = 0;
    size_t it = 0;
    const char *key;
    while (gone && strmap_next(&md->topics, &it, &key, NULL))
        if (!strmap_get(&present, key))
            gone[ngone++] = strdup(key);
    for (int i = 0; i < ngone; i++) {
        if (gone[i])
            remove_topic(md, gone[i]);
        free(gone[i]);
    }
    free(gone);
    strmap_destroy(&present);
    for (int i = 0; i < n; i++)
        if (!metadata_topic(md, names[i]))
            add_topic(md, names[i]);
out:
    read_finished(md);
    free(c);
}

static void apply_config(struct metadata *md, struct metadata_topic *t)
{
    broker_config_log_defaults(md->cfg, &t->log_config);
    for (int i = 0; i < t->nconfig; i++) {
        char err[256];
        if (log_config_set(&t->log_config, t->config_keys[i], t->config_values[i], err,
                           sizeof(err)))
            LOG_WARN("topic %s: ignoring config from ZooKeeper: %s", t->name, err);
    }
}

void metadata_reapply_configs(struct metadata *md)
{
    size_t it = 0;
    void *v;
    while (strmap_next(&md->topics, &it, NULL, &v))
        apply_config(md, v);
    changed(md, NULL, -1);
}

static void set_overrides(struct metadata_topic *t, const struct zk_config *zc)
{
    for (int i = 0; i < t->nconfig; i++) {
        free(t->config_keys[i]);
        free(t->config_values[i]);
    }
    free(t->config_keys);
    free(t->config_values);
    t->nconfig = 0;
    t->config_keys = calloc((size_t)zc->n + 1, sizeof(char *));
    t->config_values = calloc((size_t)zc->n + 1, sizeof(char *));
    for (int i = 0; t->config_keys && t->config_values && i < zc->n; i++) {
        t->config_keys[t->nconfig] = strdup(zc->entries[i].key);
        t->config_values[t->nconfig] = strdup(zc->entries[i].value);
        if (t->config_keys[t->nconfig] && t->config_values[t->nconfig])
            t->nconfig++;
    }
}

static void config_cb(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    struct metadata_topic *t = metadata_topic(md, c->topic);
    (void)st;
    if (rc)
        watch_not_armed(c);
    if (rc && rc != GR_E_NOENT) {
        read_failed("/config/topics", rc, NULL);
    } else if (t) {
        struct zk_config zc;
        char err[256];
        memset(&zc, 0, sizeof(zc));
        if (rc == GR_OK && zk_json_config_decode(data, len, &zc, err, sizeof(err))) {
            LOG_ERROR("/config/topics/%s is malformed (%s); using broker defaults", c->topic, err);
            memset(&zc, 0, sizeof(zc));
        }
        set_overrides(t, &zc);
        zk_json_config_destroy(&zc);
        apply_config(md, t);
        t->have_config = true;
        changed(md, t->name, -1);
        /* No znode (no overrides yet): watch for its creation. */
        if (rc == GR_E_NOENT)
            start_read(md, MD_CONFIG, c->topic, -1, true);
    }
    read_finished(md);
    free(c);
}

/* Copies the replica lists of a new assignment, keeping each partition's
 * known state. Returns the new array, or NULL (out of memory) and nothing
 * changes: a replica list cut short would read as this broker's replica
 * being unassigned, and its log would be deleted. */
static struct metadata_partition *rebuild_parts(const struct metadata_topic *t,
                                                const struct zk_topic_assignment *a, int n)
{
    struct metadata_partition *np = calloc((size_t)n + 1, sizeof(*np));
    for (int i = 0; np && i < n; i++) {
        const struct metadata_partition *old = i < t->nparts ? &t->parts[i] : NULL;
        if (old) {
            np[i] = *old;
            np[i].isr = NULL;
            if (old->nisr && (np[i].isr = malloc((size_t)old->nisr * sizeof(int32_t))))
                memcpy(np[i].isr, old->isr, (size_t)old->nisr * sizeof(int32_t));
        } else {
            np[i].leader = -1;
        }
        const struct zk_partition_replicas *zp = &a->partitions[i];
        np[i].id = i;
        np[i].nreplicas = zp->n_replicas;
        np[i].nadding = zp->n_adding;
        np[i].nremoving = zp->n_removing;
        np[i].replicas = malloc((size_t)(zp->n_replicas + zp->n_adding + zp->n_removing) *
                                    sizeof(int32_t) + 1);
        if (!np[i].replicas || (old && old->nisr && !np[i].isr)) {
            for (int k = 0; k <= i; k++) {
                free(np[k].replicas);
                free(np[k].isr);
            }
            free(np);
            return NULL;
        }
        memcpy(np[i].replicas, zp->replicas, (size_t)zp->n_replicas * sizeof(int32_t));
        np[i].adding = np[i].replicas + zp->n_replicas;
        np[i].removing = np[i].adding + zp->n_adding;
        if (zp->n_adding)
            memcpy(np[i].adding, zp->adding, (size_t)zp->n_adding * sizeof(int32_t));
        if (zp->n_removing)
            memcpy(np[i].removing, zp->removing, (size_t)zp->n_removing * sizeof(int32_t));
    }
    return np;
}

static void assign_cb(int rc, const struct zk_topic_assignment *a, const char *why, void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    struct metadata_topic *t = metadata_topic(md, c->topic);
    if (rc)
        watch_not_armed(c);
    if (rc == GR_E_NOENT) {
        remove_topic(md, c->topic);
    } else if (rc) {
        read_failed("a topic assignment", rc, why);
    } else if (t) {
        /* Partition ids must run 0..n-1; the rest cannot be served. */
        int n = a->n_partitions;
        for (int i = 0; i < n; i++)
            if (a->partitions[i].partition != i) {
                LOG_ERROR("/brokers/topics/%s lists partition %d where %d belongs; ignoring the "
                          "partitions from there on",
                          c->topic, a->partitions[i].partition, i);
                n = i;
            }
        struct metadata_partition *np = rebuild_parts(t, a, n);
        if (!np)
            LOG_ERROR("out of memory reading /brokers/topics/%s; keeping the assignment known "
                      "before",
                      c->topic);
        if (np) {
            int oldn = t->nparts;
            bool first = !t->have_assignment;
            md->nreplicas -= topic_replicas(t);
            for (int i = 0; i < t->nparts; i++) {
                free(t->parts[i].replicas);
                free(t->parts[i].isr);
            }
            free(t->parts);
            t->parts = np;
            t->nparts = n;
            md->nreplicas += topic_replicas(t);
            t->have_assignment = true;
            if (n != oldn && !first)
                LOG_INFO("topic %s now has %d partitions", t->name, n);
            for (int i = 0; i < n; i++)
                if (first || i >= oldn || !t->parts[i].state_watch)
                    start_read(md, MD_STATE, t->name, i, false);
            changed(md, t->name, -1);
        }
    }
    read_finished(md);
    free(c);
}

/* ---- partition state ---------------------------------------------------- */

static void state_cb(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct md_ctx *c = arg;
    struct metadata *md = c->md;
    struct metadata_partition *p = metadata_partition(md, c->topic, c->partition);
    char err[256];
    if (rc)
        watch_not_armed(c);
    if (rc && rc != GR_E_NOENT) {
        read_failed("a partition state", rc, NULL);
    } else if (p && rc == GR_E_NOENT) {
        /* Not created yet (a new partition): watch for its creation. */
        if (p->has_state) {
            p->has_state = false;
            p->leader = -1;
            changed(md, c->topic, c->partition);
        }
        start_read(md, MD_STATE, c->topic, c->partition, true);
    } else if (p) {
        struct zk_partition_state s;
        if (zk_json_partition_state_decode(data, len, &s, err, sizeof(err))) {
            LOG_ERROR("/brokers/topics/%s/partitions/%d/state is malformed: %s", c->topic,
                      c->partition, err);
        } else {
            int32_t *isr = malloc((size_t)s.n_isr * sizeof(int32_t) + 1);
            if (isr) {
                memcpy(isr, s.isr, (size_t)s.n_isr * sizeof(int32_t));
                bool same = p->has_state && p->state_version == st->version;
                free(p->isr);
                p->isr = isr;
                p->nisr = s.n_isr;
                p->has_state = true;
                p->leader = s.leader;
                p->leader_epoch = s.leader_epoch;
                p->controller_epoch = s.controller_epoch;
                p->state_version = st->version;
                if (!same)
                    changed(md, c->topic, c->partition);
            }
            zk_json_partition_state_destroy(&s);
        }
    }
    read_finished(md);
    free(c);
}

/* exists() of a config or state znode that was missing: the watch waits for
 * its creation; if it appeared meanwhile, read it now. */
static void exists_cb(int rc, const struct zk_stat *st, void *arg)
{
    struct md_ctx *c = arg;
    (void)st;
    if (rc != GR_OK && rc != GR_E_NOENT) {
        watch_not_armed(c);
        read_failed("a znode's existence", rc, NULL);
    } else if (rc == GR_OK) {
        start_read(c->md, c->kind, c->topic, c->partition, false);
    }
    read_finished(c->md);
    free(c);
}

/* ---- reads -------------------------------------------------------------- */

/* Starts the read of one kind of znode, with a watch unless one is armed.
 * exists_only (config and state) arms an exists() watch instead, for a
 * znode that does not exist yet. */
static void start_read(struct metadata *md, enum md_kind kind, const char *topic,
                       int32_t partition, bool exists_only)
{
    struct md_ctx *c = ctx_new(md, kind, topic, partition);
    bool *flag = c ? watch_flag(c) : NULL;
    if (!flag) {
        free(c);
        return;
    }
    struct zk_watcher w, *wp = NULL;
    if (!*flag && (c->watch = ctx_new(md, kind, topic, partition))) {
        w.fn = on_watch;
        w.ctx = c->watch;
        wp = &w;
    }
    if (exists_only && !wp) {
        free(c);
        return; /* a watch is armed already: it will report the creation */
    }
    char path[512] = "";
    if (kind == MD_CONFIG)
        snprintf(path, sizeof(path), "/config/topics/%s", topic);
    else if (kind == MD_STATE)
        snprintf(path, sizeof(path), "/brokers/topics/%s/partitions/%d/state", topic, partition);
    int rc = GR_E_INVALID;
    switch (kind) {
    case MD_BROKERS: rc = zk_kafka_get_brokers(md->zk, wp, brokers_cb, c); break;
    case MD_CONTROLLER: rc = zk_controller_get(md->zk, wp, controller_cb, c); break;
    case MD_TOPICS: rc = zk_client_get_children(md->zk, "/brokers/topics", wp, topics_cb, c); break;
    case MD_ASSIGN: rc = zk_topic_get_assignment(md->zk, topic, wp, assign_cb, c); break;
    case MD_CONFIG:
    case MD_STATE:
        rc = exists_only ? zk_client_exists(md->zk, path, wp, exists_cb, c)
                         : zk_client_get(md->zk, path, wp, kind == MD_CONFIG ? config_cb : state_cb,
                                         c);
        break;
    }
    if (rc) {
        LOG_WARN("cannot ask ZooKeeper for %s: %s", path[0] ? path : "cluster metadata",
                 gr_strerror(rc));
        free(c->watch);
        free(c);
        return;
    }
    if (wp)
        *flag = true;
    read_started(md);
}

void metadata_refresh_state(struct metadata *md, const char *topic, int32_t partition)
{
    start_read(md, MD_STATE, topic, partition, false);
}

void metadata_detach(struct metadata *md)
{
    md->zk = NULL;
}

void metadata_session_lost(struct metadata *md)
{
    md->brokers_watch = md->controller_watch = md->topics_watch = false;
    size_t it = 0;
    void *v;
    while (strmap_next(&md->topics, &it, NULL, &v)) {
        struct metadata_topic *t = v;
        t->assign_watch = t->config_watch = false;
        for (int i = 0; i < t->nparts; i++)
            t->parts[i].state_watch = false;
    }
}

void metadata_load(struct metadata *md, struct zk_client *zk)
{
    md->zk = zk;
    /* Hold a read open while the loads start, so one that completes at
     * once cannot declare the first load finished early. */
    read_started(md);
    start_read(md, MD_BROKERS, NULL, -1, false);
    start_read(md, MD_CONTROLLER, NULL, -1, false);
    start_read(md, MD_TOPICS, NULL, -1, false);
    size_t it = 0;
    void *v;
    while (strmap_next(&md->topics, &it, NULL, &v)) {
        const char *name = ((struct metadata_topic *)v)->name;
        start_read(md, MD_CONFIG, name, -1, false);
        start_read(md, MD_ASSIGN, name, -1, false);
    }
    read_finished(md);
}
