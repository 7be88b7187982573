/*
 * Loading the groups of one partition of __consumer_offsets from ZooKeeper
 * (see group_load.h).
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_load.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_hash.h"
#include "broker/group/group_persist.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"

#define RETRY_MS     1000
#define PATH_MAX_LEN 1024

struct load_job {
    struct broker *b;                     /* borrowed */
    const struct group_load_hooks *hooks; /* the coordinator's; borrowed */
    void *ctx;                            /* passed to hooks */
    int32_t partition;                    /* of __consumer_offsets */
    int32_t nparts;                       /* its partitions */
    uint32_t gen;                         /* the partition's load generation when it started */
    int inflight;                         /* ZooKeeper reads outstanding */
    int failed;                           /* reads that failed (other than a missing znode) */
    int groups, offsets;                  /* loaded, for the log line */
    int memberships, members;             /* restored, for the log line */
};

/* One read: which group, topic and partition it is about. */
struct load_read {
    struct load_job *job;
    char *group; /* owned */
    char *topic; /* owned, or NULL */
    int32_t partition;
};

static bool current(const struct load_job *j)
{
    return j->hooks->current(j->ctx, j->partition, j->gen);
}

static void restart(int rc, void *ctx);

/* One read ended: the last one decides the partition's state. */
static void read_ended(struct load_job *j)
{
    if (--j->inflight > 0)
        return;
    if (!current(j)) {
        free(j);
        return;
    }
    if (j->failed) {
        LOG_WARN("loading the groups of %s-%d failed (%d reads); retrying in %d ms",
                 GROUP_LOAD_TOPIC, j->partition, j->failed, RETRY_MS);
        if (!j->b->zk || zk_client_after(j->b->zk, RETRY_MS, restart, j))
            free(j);
        return;
    }
    j->hooks->loaded(j->ctx, j->partition);
    LOG_INFO("loaded %d groups with %d committed offsets and %d memberships (%d members) of %s-%d",
             j->groups, j->offsets, j->memberships, j->members, GROUP_LOAD_TOPIC, j->partition);
    free(j);
}

static struct load_read *read_new(struct load_job *j, const char *group, const char *topic,
                                  int32_t partition)
{
    struct load_read *r = calloc(1, sizeof(*r));
    if (!r || !(r->group = strdup(group)) || (topic && !(r->topic = strdup(topic)))) {
        if (r)
            free(r->group);
        free(r);
        j->failed++;
        return NULL;
    }
    r->job = j;
    r->partition = partition;
    j->inflight++;
    return r;
}

static void read_free(struct load_read *r)
{
    struct load_job *j = r->job;
    free(r->group);
    free(r->topic);
    free(r);
    read_ended(j);
}

/* Counts a request that could not be sent as a failed read. */
static void sent(struct load_read *r, int rc)
{
    if (rc) {
        r->job->failed++;
        read_free(r);
    }
}

static bool read_ok(struct load_read *r, int rc)
{
    if (rc && rc != GR_E_NOENT)
        r->job->failed++;
    return rc == GR_OK && current(r->job);
}

/* The next read, of (group, topic, partition): path's children (list) or
 * its data (get); path NULL (it did not fit) counts as a failed read. */
static void read_next(struct load_job *j, const char *group, const char *topic, int32_t partition,
                      const char *path, zk_children_cb list, zk_data_cb get)
{
    struct load_read *r = read_new(j, group, topic, partition);
    if (r && !path)
        sent(r, GR_E_INVALID);
    else if (r)
        sent(r, list ? zk_client_get_children(j->b->zk, path, NULL, list, r)
                     : zk_client_get(j->b->zk, path, NULL, get, r));
}

/* "/consumers/<group>/offsets[/<topic>]" in buf, or NULL when too long. */
static const char *offsets_dir(char *buf, size_t bufsz, const char *group, const char *topic)
{
    int n = snprintf(buf, bufsz, "/consumers/%s/offsets%s%s", group, topic ? "/" : "",
                     topic ? topic : "");
    return n > 0 && (size_t)n < bufsz ? buf : NULL;
}

static struct group *group_of(struct load_read *r)
{
    struct group *g = r->job->hooks->adopt(r->job->ctx, r->group, r->job->partition);
    if (!g)
        r->job->failed++;
    return g;
}

static void meta_read(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx)
{
    (void)stat;
    struct load_read *r = ctx;
    struct group *g;
    const struct tp_topic *t;
    if (read_ok(r, rc) && (g = group_of(r)) && (t = tp_topic_find(r->topic, strlen(r->topic)))) {
        char path[PATH_MAX_LEN];
        if (group_offsets_meta_path(path, sizeof(path), r->group, r->topic, r->partition))
            group_offsets_mark_known(&g->offsets, path);
        struct group_offset *o = group_offsets_get(&g->offsets, (struct tp){t, r->partition});
        cJSON *js = data ? cJSON_ParseWithLength(data, len) : NULL;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(js, "metadata");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(js, "leader_epoch");
        if (o && cJSON_IsString(m) && m->valuestring[0] && !o->metadata)
            o->metadata = strdup(m->valuestring);
        if (o && cJSON_IsNumber(e))
            o->leader_epoch = (int32_t)e->valuedouble;
        cJSON_Delete(js);
    }
    read_free(r);
}

static void offset_read(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx)
{
    struct load_read *r = ctx;
    struct load_job *j = r->job;
    struct group *g;
    int64_t off;
    char path[PATH_MAX_LEN];
    if (read_ok(r, rc) && (g = group_of(r))) {
        const struct tp_topic *t = tp_topic_intern(r->topic, strlen(r->topic));
        if (!group_offsets_parse(data, len, &off)) {
            LOG_WARN("group %s: ignoring %s-%d's committed offset: not a decimal number", r->group,
                     r->topic, r->partition);
        } else if (!t || group_offsets_put(&g->offsets, (struct tp){t, r->partition}, off, -1, NULL,
                                           stat->mtime_ms)) {
            j->failed++;
        } else {
            j->offsets++;
            if (group_offsets_path(path, sizeof(path), r->group, r->topic, r->partition))
                group_offsets_mark_known(&g->offsets, path);
            bool ok = group_offsets_meta_path(path, sizeof(path), r->group, r->topic, r->partition);
            read_next(j, r->group, r->topic, r->partition, ok ? path : NULL, NULL, meta_read);
        }
        tp_topic_unref(t);
    }
    read_free(r);
}

/* /consumers/<group>/gregor_group_metadata: the group's membership as
 * its last coordinator left it. A record that cannot be used is reported
 * and left for the next write to replace; the offsets load all the same. */
static void record_read(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx)
{
    struct load_read *r = ctx;
    struct group *g;
    if (read_ok(r, rc) && (g = group_of(r))) {
        struct group_record rec;
        char why[256], path[PATH_MAX_LEN];
        int err = group_persist_decode(data, len, &rec, why, sizeof(why));
        if (err && err != GR_E_NOMEM && group_persist_path(path, sizeof(path), r->group))
            LOG_WARN("group %s: ignoring its membership record %s (%s); its members join again",
                     r->group, path, why);
        else if (!err && !(err = group_restore(g, &rec))) {
            r->job->memberships++;
            r->job->members += rec.nmembers;
        }
        if (err == GR_E_NOMEM)
            r->job->failed++;
        group_record_free(&rec);
        group_persist_seen(g, stat->version);
    }
    read_free(r);
}

static void listed(int rc, const char *const *names, int n, const struct zk_stat *stat, void *ctx);

/* /consumers: the groups of this partition, their offsets and records. */
static void groups_found(struct load_job *j, const char *const *names, int n)
{
    char path[PATH_MAX_LEN];
    for (int i = 0; i < n; i++)
        if (group_offsets_valid_group(names[i]) &&
            group_hash_partition(names[i], strlen(names[i]), j->nparts) == j->partition) {
            read_next(j, names[i], NULL, -1, offsets_dir(path, sizeof(path), names[i], NULL),
                      listed, NULL);
            bool ok = group_persist_path(path, sizeof(path), names[i]);
            read_next(j, names[i], NULL, -1, ok ? path : NULL, NULL, record_read);
        }
}

/* /consumers/<group>/offsets: the group exists, with these topics. */
static void topics_found(struct load_read *r, const char *const *names, int n)
{
    char path[PATH_MAX_LEN];
    if (!group_of(r))
        return;
    r->job->groups++;
    for (int i = 0; i < n; i++)
        read_next(r->job, r->group, names[i], -1,
                  offsets_dir(path, sizeof(path), r->group, names[i]), listed, NULL);
}

/* /consumers/<group>/offsets/<topic>: its partitions. */
static void partitions_found(struct load_read *r, const char *const *names, int n)
{
    char path[PATH_MAX_LEN];
    for (int i = 0; i < n; i++) {
        char *end;
        long p = strtol(names[i], &end, 10);
        if (*end || p < 0 || p > INT32_MAX)
            continue;
        bool ok = group_offsets_path(path, sizeof(path), r->group, r->topic, (int32_t)p);
        read_next(r->job, r->group, r->topic, (int32_t)p, ok ? path : NULL, NULL, offset_read);
    }
}

/* A listing of one of the three levels, told apart by what the read names. */
static void listed(int rc, const char *const *names, int n, const struct zk_stat *stat, void *ctx)
{
    (void)stat;
    struct load_read *r = ctx;
    if (read_ok(r, rc)) {
        if (!r->group[0])
            groups_found(r->job, names, n);
        else if (!r->topic)
            topics_found(r, names, n);
        else
            partitions_found(r, names, n);
    }
    read_free(r);
}

static void load(struct load_job *j)
{
    struct load_read *r = read_new(j, "", NULL, -1);
    if (!r) {
        j->inflight++;
        read_ended(j);
        return;
    }
    struct zk_client *zk = j->b->zk;
    sent(r, zk ? zk_client_get_children(zk, "/consumers", NULL, listed, r) : GR_E_STATE);
}

static void restart(int rc, void *ctx)
{
    struct load_job *j = ctx;
    if (rc || !current(j)) {
        free(j);
        return;
    }
    j->failed = j->groups = j->offsets = 0;
    load(j);
}

void group_load_start(struct broker *b, int32_t partition, int32_t nparts, uint32_t gen,
                      const struct group_load_hooks *hooks, void *ctx)
{
    struct load_job *j = calloc(1, sizeof(*j));
    if (!j) {
        LOG_ERROR("out of memory loading the groups of %s-%d", GROUP_LOAD_TOPIC, partition);
        return;
    }
    j->b = b;
    j->hooks = hooks;
    j->ctx = ctx;
    j->partition = partition;
    j->nparts = nparts;
    j->gen = gen;
    load(j);
}
