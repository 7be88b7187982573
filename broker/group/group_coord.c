/*
 * The group coordinator: routing, the partitions of __consumer_offsets led
 * here, the groups they hold, retention (see group_coord.h).
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_coord.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_commit.h"
#include "broker/group/group_hash.h"
#include "broker/group/group_load.h"
#include "broker/group/group_persist.h"
#include "broker/group/group_purge.h"
#include "broker/proto/proto_errors.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"

static void retention_due(struct delay_op *op, bool timed_out);
static bool md_ready(struct delay_op *op, struct delay_watch *w, void *arg);
static void md_due(struct delay_op *op, bool timed_out);

/* Watches the metadata cache for deleted topics until the next one. */
static void md_arm(struct group_coord *gc)
{
    struct broker *b = gc->b;
    if (!delay_watch(b->delay, &gc->md_op, &gc->md_w, delay_key(b->md, DELAY_METADATA), 0))
        delay_start(b->delay, &gc->md_op, -1);
    else
        LOG_ERROR("out of memory: the offsets of deleted topics will stay until a restart");
}

struct group_coord *group_coord_new(struct broker *b)
{
    struct group_coord *gc = calloc(1, sizeof(*gc));
    if (!gc)
        return NULL;
    gc->b = b;
    strmap_init(&gc->groups);
    delay_op_init(&gc->retention, NULL, retention_due);
    delay_start(b->delay, &gc->retention, b->cfg->offsets_retention_check_interval_ms);
    delay_op_init(&gc->md_op, md_ready, md_due);
    md_arm(gc);
    return gc;
}

static void drop_partition(struct group_coord *gc, int32_t p, int16_t error)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        if (p >= 0 && g->partition != p)
            continue;
        strmap_del(&gc->groups, g->id);
        group_commit_detach(g);
        group_free(g, error);
    }
}

void group_coord_free(struct group_coord *gc)
{
    if (!gc)
        return;
    delay_cancel(gc->b->delay, &gc->retention);
    delay_cancel(gc->b->delay, &gc->md_op);
    group_purge_stop_all(&gc->purges);
    drop_partition(gc, -1, PROTO_ERR_NOT_COORDINATOR);
    strmap_destroy(&gc->groups);
    free(gc->part);
    free(gc->load_gen);
    free(gc->epoch);
    free(gc);
}

static const struct metadata_topic *offsets_topic(const struct group_coord *gc)
{
    const struct metadata_topic *t = metadata_topic(gc->b->md, GROUP_COORD_TOPIC);
    return metadata_topic_ready(t) && t->nparts > 0 ? t : NULL;
}

static void created(int error, const char *message, void *ctx)
{
    struct group_coord *gc = ctx;
    gc->creating = false;
    if (error && error != GR_E_TOPIC_EXISTS)
        LOG_WARN("cannot create %s: %s", GROUP_COORD_TOPIC, message ? message : gr_strerror(error));
}

/* Creates __consumer_offsets as Kafka 2.8 does on a FindCoordinator:
 * with fewer live brokers than offsets.topic.replication.factor it is not
 * created and the client is told COORDINATOR_NOT_AVAILABLE. */
static void create_topic(struct group_coord *gc)
{
    struct broker *b = gc->b;
    if (gc->creating)
        return;
    int32_t rf = b->cfg->offsets_topic_replication_factor;
    if (b->md->nbrokers < rf) {
        LOG_RATE(LOGGER_WARN,
                 "not creating %s: %d live brokers, fewer than offsets.topic.replication.factor "
                 "(%d); lower it or start more brokers",
                 GROUP_COORD_TOPIC, b->md->nbrokers, rf);
        return;
    }
    struct admin_budget bud;
    admin_budget_init(b, &bud);
    /* No cleanup.policy=compact: gregor's logs only delete, and this
     * topic holds no records here (offsets live in ZooKeeper). */
    struct admin_topic_spec spec = {.name = GROUP_COORD_TOPIC,
                                    .num_partitions = b->cfg->offsets_topic_num_partitions,
                                    .replication_factor = rf};
    char msg[256] = "";
    int rc = admin_create_topic(b, &spec, false, &bud, created, gc, msg, sizeof(msg));
    if (rc == GR_PENDING) {
        gc->creating = true;
        LOG_INFO("creating %s (%d partitions, replication factor %d)", GROUP_COORD_TOPIC,
                 spec.num_partitions, rf);
    } else if (rc && rc != GR_E_TOPIC_EXISTS) {
        LOG_RATE(LOGGER_WARN, "cannot create %s: %s", GROUP_COORD_TOPIC,
                 msg[0] ? msg : gr_strerror(rc));
    }
}

int16_t group_coord_find(struct group_coord *gc, const char *id, int32_t *node)
{
    const struct metadata_topic *t = offsets_topic(gc);
    if (!t) {
        if (!metadata_topic(gc->b->md, GROUP_COORD_TOPIC))
            create_topic(gc);
        return PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    const struct metadata_partition *mp =
        &t->parts[group_hash_partition(id, strlen(id), t->nparts)];
    if (!mp->has_state || mp->leader < 0 || !metadata_broker_alive(gc->b->md, mp->leader))
        return PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    *node = mp->leader;
    return PROTO_ERR_NONE;
}

static int32_t route_partition(const struct group_coord *gc, const char *id)
{
    const struct metadata_topic *t = offsets_topic(gc);
    if (!t)
        return -1;
    return group_hash_partition(id, strlen(id), t->nparts);
}

int16_t group_coord_route(struct group_coord *gc, const char *id)
{
    if (!id || !*id)
        return PROTO_ERR_INVALID_GROUP_ID;
    int32_t p = route_partition(gc, id);
    if (p < 0 || p >= gc->nparts || gc->part[p] == GROUP_PART_NOT_LEADER)
        return PROTO_ERR_NOT_COORDINATOR;
    if (gc->part[p] == GROUP_PART_LOADING)
        return PROTO_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    return PROTO_ERR_NONE;
}

struct group *group_coord_get(struct group_coord *gc, const char *id)
{
    return strmap_get(&gc->groups, id);
}

struct group *group_coord_adopt(struct group_coord *gc, const char *id, int32_t partition)
{
    struct group *g = strmap_get(&gc->groups, id);
    if (g)
        return g;
    if (!(g = group_new(gc->b, id, partition)))
        return NULL;
    g->coord_epoch = partition >= 0 && partition < gc->nparts ? gc->epoch[partition] : -1;
    if (strmap_put(&gc->groups, g->id, g)) {
        group_free(g, PROTO_ERR_NONE);
        return NULL;
    }
    return g;
}

struct group *group_coord_get_or_create(struct group_coord *gc, const char *id)
{
    return group_coord_adopt(gc, id, route_partition(gc, id));
}

void group_coord_remove(struct group_coord *gc, struct group *g, int16_t error)
{
    group_persist_remove(g);
    strmap_del(&gc->groups, g->id);
    group_commit_detach(g);
    group_free(g, error);
}

bool group_coord_loading(const struct group_coord *gc)
{
    for (int32_t i = 0; i < gc->nparts; i++)
        if (gc->part[i] == GROUP_PART_LOADING)
            return true;
    return false;
}

static bool grow(struct group_coord *gc, int32_t n)
{
    if (n <= gc->nparts)
        return true;
    uint8_t *part = realloc(gc->part, (size_t)n);
    if (!part)
        return false;
    gc->part = part;
    uint32_t *gen = realloc(gc->load_gen, (size_t)n * sizeof(*gen));
    if (!gen)
        return false;
    gc->load_gen = gen;
    int32_t *epoch = realloc(gc->epoch, (size_t)n * sizeof(*epoch));
    if (!epoch)
        return false;
    gc->epoch = epoch;
    memset(gc->part + gc->nparts, 0, (size_t)(n - gc->nparts));
    memset(gc->load_gen + gc->nparts, 0, (size_t)(n - gc->nparts) * sizeof(*gen));
    for (int32_t i = gc->nparts; i < n; i++)
        epoch[i] = -1;
    gc->nparts = n;
    return true;
}

static struct group *load_adopt(void *ctx, const char *id, int32_t partition)
{
    return group_coord_adopt(ctx, id, partition);
}

static bool load_current(void *ctx, int32_t p, uint32_t gen)
{
    struct group_coord *gc = ctx;
    return p < gc->nparts && gc->load_gen[p] == gen && gc->part[p] == GROUP_PART_LOADING;
}

static void purge_deleted(struct group_coord *gc, int32_t partition);

/* Calls fn on each group of partition p. */
static void each_group(struct group_coord *gc, int32_t p, void (*fn)(struct group *g, void *arg),
                       void *arg)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v))
        if (((struct group *)v)->partition == p)
            fn(v, arg);
}

static void loaded(struct group *g, void *arg)
{
    (void)arg;
    group_loaded(g);
}

static void load_done(void *ctx, int32_t p)
{
    struct group_coord *gc = ctx;
    gc->part[p] = GROUP_PART_LOADED;
    each_group(gc, p, loaded, NULL);
    purge_deleted(gc, p);
}

static void set_epoch(struct group *g, void *arg)
{
    g->coord_epoch = *(const int32_t *)arg;
}

/* The leader epoch of partition i, led here, is the groups' coordinator
 * epoch: their records carry it (it moves while leadership stays only if
 * the controller bumps it). */
static void follow_epoch(struct group_coord *gc, int32_t i, int32_t epoch)
{
    if (gc->epoch[i] == epoch)
        return;
    gc->epoch[i] = epoch;
    each_group(gc, i, set_epoch, &epoch);
}

static const struct group_load_hooks load_hooks = {load_adopt, load_current, load_done};

void group_coord_metadata_changed(struct group_coord *gc)
{
    const struct metadata_topic *t = offsets_topic(gc);
    if (t && !grow(gc, t->nparts)) {
        LOG_ERROR("out of memory following the leadership of %s", GROUP_COORD_TOPIC);
        return;
    }
    for (int32_t i = 0; i < gc->nparts; i++) {
        struct partition *p =
            t && i < t->nparts ? partition_get(gc->b, (struct tp){t->id, i}) : NULL;
        bool lead = p && p->leader && !p->going;
        if (lead)
            follow_epoch(gc, i, p->leader_epoch);
        if (lead && gc->part[i] == GROUP_PART_NOT_LEADER) {
            LOG_INFO("coordinating the groups of %s-%d: loading them", GROUP_COORD_TOPIC, i);
            gc->part[i] = GROUP_PART_LOADING;
            gc->load_gen[i]++;
            group_load_start(gc->b, i, gc->nparts, gc->load_gen[i], &load_hooks, gc);
        } else if (!lead && gc->part[i] != GROUP_PART_NOT_LEADER) {
            LOG_INFO("no longer coordinating the groups of %s-%d", GROUP_COORD_TOPIC, i);
            gc->part[i] = GROUP_PART_NOT_LEADER;
            gc->load_gen[i]++;
            drop_partition(gc, i, PROTO_ERR_NOT_COORDINATOR);
        }
    }
}

void group_coord_stop(struct group_coord *gc)
{
    for (int32_t i = 0; i < gc->nparts; i++) {
        gc->part[i] = GROUP_PART_NOT_LEADER;
        gc->load_gen[i]++;
    }
    drop_partition(gc, -1, PROTO_ERR_NOT_COORDINATOR);
}

/* Kafka 2.8's offset expiration (KIP-211, GroupMetadata.removeExpiredOffsets):
 * - a group that used the group protocol loses all its offsets once it
 *   has been Empty for offsets.retention.minutes;
 * - a consumer group with members loses, that long after their commit,
 *   the offsets of topics no member subscribes to;
 * - a group that only stores offsets (assign() and commit, no
 *   membership) loses each one that long after its own commit.
 * A group left with nothing is removed. A group with a commit in flight
 * waits for the next sweep. */
static void retention_due(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    struct group_coord *gc =
        (struct group_coord *)(void *)((char *)op - offsetof(struct group_coord, retention));
    int64_t now = clock_wall_ms();
    int64_t keep = (int64_t)gc->b->cfg->offsets_retention_minutes * 60000;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        if (gc->part[g->partition] != GROUP_PART_LOADED || g->commits)
            continue;
        int n = 0;
        if (!g->protocol_type)
            n = group_commit_expire(g, now - keep, NULL);
        else if (g->state == GROUP_EMPTY)
            n = now - g->state_since_ms >= keep ? group_commit_expire(g, INT64_MAX, NULL) : 0;
        else if (!strcmp(g->protocol_type, "consumer"))
            n = group_commit_expire(g, now - keep, group_subscribed_to);
        if (n)
            LOG_INFO("group %s: removed %d expired offsets", g->id, n);
        if (group_is_idle(g))
            group_coord_remove(gc, g, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    delay_start(gc->b->delay, &gc->retention, gc->b->cfg->offsets_retention_check_interval_ms);
}

/* The topics of g's offsets that the metadata cache no longer has: each
 * forgotten here, their znodes deleted by one purge. */
static void purge_group(struct group_coord *gc, struct group *g)
{
    size_t n = group_offsets_count(&g->offsets), it = 0;
    struct tp *gone = calloc(n + 1, sizeof(*gone));
    const char **names = calloc(n + 1, sizeof(*names));
    int ngone = 0, nnames = 0;
    struct tp t;
    void *v;
    while (gone && names && tpmap_next(&g->offsets.map, &it, &t, &v)) {
        if (metadata_topic(gc->b->md, t.topic->name))
            continue;
        gone[ngone++] = t;
        bool seen = false;
        for (int i = 0; i < nnames && !seen; i++)
            seen = names[i] == t.topic->name;
        if (!seen)
            names[nnames++] = t.topic->name;
    }
    if (nnames) {
        LOG_INFO("group %s: removing the committed offsets of %d partitions of %d deleted topics",
                 g->id, ngone, nnames);
        if (group_purge_start(gc->b, &gc->purges, g->id, names, nnames))
            LOG_ERROR("group %s: out of memory removing the offsets of deleted topics from "
                      "ZooKeeper; they come back on the next load",
                      g->id);
        /* the znodes go by the purge: forget them without deleting */
        char path[1024];
        for (int i = 0; i < ngone; i++) {
            if (group_offsets_path(path, sizeof(path), g->id, gone[i].topic->name,
                                   gone[i].partition))
                strmap_del(&g->offsets.znodes, path);
            if (group_offsets_meta_path(path, sizeof(path), g->id, gone[i].topic->name,
                                        gone[i].partition))
                strmap_del(&g->offsets.znodes, path);
        }
        for (int i = 0; i < nnames; i++)
            for (int k = 0; k < 2; k++) {
                int len = snprintf(path, sizeof(path), "/consumers/%s/%s/%s", g->id,
                                   k ? "offsets_metadata" : "offsets", names[i]);
                if (len > 0 && (size_t)len < sizeof(path))
                    strmap_del(&g->offsets.znodes, path);
            }
        for (int i = 0; i < ngone; i++)
            group_offsets_del(&g->offsets, gone[i]);
    }
    free(gone);
    free(names);
}

/* Kafka's cleanupGroupMetadata on partition deletion, for the loaded
 * groups of partition (-1: all); an Empty group left with no offsets is
 * removed, as Kafka marks it Dead. */
static void purge_deleted(struct group_coord *gc, int32_t partition)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        if ((partition >= 0 && g->partition != partition) ||
            gc->part[g->partition] != GROUP_PART_LOADED)
            continue;
        purge_group(gc, g);
        if (group_is_idle(g))
            group_coord_remove(gc, g, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    }
}

/* A metadata change: done when the cache lost a topic (every deletion
 * wakes the key on its own, so a drop in the count is seen). */
static bool md_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    (void)arg;
    struct group_coord *gc =
        (struct group_coord *)(void *)((char *)op - offsetof(struct group_coord, md_op));
    size_t n = gc->b->md->topics.count, seen = gc->ntopics_seen;
    gc->ntopics_seen = n;
    return n < seen;
}

static void md_due(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    struct group_coord *gc =
        (struct group_coord *)(void *)((char *)op - offsetof(struct group_coord, md_op));
    purge_deleted(gc, -1);
    md_arm(gc);
}
