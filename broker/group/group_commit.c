/*
 * Committed offsets to ZooKeeper (see group_commit.h).
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_commit.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/group/group.h"
#include "broker/group/group_persist.h"
#include "broker/proto/proto_errors.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"

#define MULTI_OPS_MAX   900         /* below zk_client_multi's 1000 */
#define MULTI_BYTES_MAX (512 << 10) /* well below ZooKeeper's jute.maxbuffer (1 MiB) */
#define ATTEMPTS_MAX    8           /* corrections of create/set before giving up */
#define PATH_MAX_LEN    1024

struct commit_item {
    char *topic; /* owned */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* owned; NULL for none */
    int idx;        /* its entry in the request */
};

struct group_commit_job {
    struct broker *b;              /* borrowed */
    struct group *g;               /* the group; NULL once the coordinator dropped it */
    struct group_commit_job *next; /* the group's other commits in flight */
    char *group;                   /* its id; owned */
    struct commit_item *items;     /* owned */
    int nitems;
    int first, end;  /* the items of the multi in flight */
    int attempts;    /* of the current multi */
    int16_t *errors; /* per request entry; owned */
    int nerrors;
    char **paths;           /* of the multi in flight, by op; owned */
    enum zk_op_type *types; /* by op; owned */
    int nops;
    struct strmap known; /* znodes known to exist while the group is not here */
};

/* The group the job writes for, if the coordinator still holds it. */
static struct group *job_group(const struct group_commit_job *j)
{
    return j->g;
}

static struct strmap *known_set(struct group_commit_job *j)
{
    struct group *g = job_group(j);
    return g ? &g->offsets.znodes : &j->known;
}

static void ops_free(struct group_commit_job *j)
{
    for (int i = 0; i < j->nops; i++)
        free(j->paths[i]);
    free(j->paths);
    free(j->types);
    j->paths = NULL;
    j->types = NULL;
    j->nops = 0;
}

static void job_free(struct group_commit_job *j)
{
    ops_free(j);
    for (int i = 0; i < j->nitems; i++) {
        free(j->items[i].topic);
        free(j->items[i].metadata);
    }
    free(j->items);
    free(j->errors);
    free(j->group);
    strmap_destroy(&j->known);
    free(j);
}

static void finish(struct group_commit_job *j)
{
    struct group *g = job_group(j);
    for (struct group_commit_job **pp = g ? &g->commits : NULL; pp && *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    delay_wake(j->b->delay, delay_key(j, DELAY_GROUP_COMMIT), j->errors);
    job_free(j);
}

/* The ops being built: paths and data owned here until sent. */
struct ops {
    struct zk_op *op;
    char **data;
    int n, cap;
    size_t bytes;
    struct strmap added; /* paths already in this multi */
};

static bool ops_add(struct group_commit_job *j, struct ops *o, enum zk_op_type type,
                    const char *path, char *data)
{
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 16;
        struct zk_op *op = realloc(o->op, (size_t)cap * sizeof(*op));
        if (op)
            o->op = op;
        char **d = op ? realloc(o->data, (size_t)cap * sizeof(*d)) : NULL;
        if (d)
            o->data = d;
        char **p = d ? realloc(j->paths, (size_t)cap * sizeof(*p)) : NULL;
        if (p)
            j->paths = p;
        enum zk_op_type *t = p ? realloc(j->types, (size_t)cap * sizeof(*t)) : NULL;
        if (!t) {
            free(data);
            return false;
        }
        j->types = t;
        o->cap = cap;
    }
    char *pc = strdup(path);
    if (!pc || strmap_put(&o->added, path, GROUP_ZNODE_KNOWN)) {
        free(pc);
        free(data);
        return false;
    }
    size_t len = data ? strlen(data) : 0;
    o->op[o->n] = type == ZK_OP_SET ? zk_client_op_set(pc, data, len, ZK_ANY_VERSION)
                                    : zk_client_op_create(pc, data, len, ZK_PERSISTENT);
    o->data[o->n] = data;
    j->paths[o->n] = pc;
    j->types[o->n] = type;
    o->n++;
    j->nops = o->n;
    o->bytes += strlen(path) + len + 32;
    return true;
}

/* Creates of path's missing ancestors below /, outermost first. */
static bool add_parents(struct group_commit_job *j, struct ops *o, const char *path)
{
    char buf[PATH_MAX_LEN];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, path, n + 1);
    for (char *s = strchr(buf + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (!strmap_get(known_set(j), buf) && !strmap_get(&o->added, buf) &&
            !ops_add(j, o, ZK_OP_CREATE, buf, NULL))
            return false;
        *s = '/';
    }
    return true;
}

static bool add_upsert(struct group_commit_job *j, struct ops *o, const char *path, char *data)
{
    if (strmap_get(known_set(j), path))
        return ops_add(j, o, ZK_OP_SET, path, data);
    if (!add_parents(j, o, path)) {
        free(data);
        return false;
    }
    return ops_add(j, o, ZK_OP_CREATE, path, data);
}

static char *meta_json(const struct commit_item *it)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "metadata", it->metadata ? it->metadata : "");
    cJSON_AddNumberToObject(o, "leader_epoch", it->leader_epoch);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static bool add_item(struct group_commit_job *j, struct ops *o, const struct commit_item *it)
{
    char path[PATH_MAX_LEN], meta[PATH_MAX_LEN], num[24];
    if (!group_offsets_path(path, sizeof(path), j->group, it->topic, it->partition) ||
        !group_offsets_meta_path(meta, sizeof(meta), j->group, it->topic, it->partition))
        return false;
    snprintf(num, sizeof(num), "%" PRId64, it->offset);
    char *d = strdup(num);
    if (!d || !add_upsert(j, o, path, d))
        return false;
    if ((it->metadata && *it->metadata) || strmap_get(known_set(j), meta)) {
        char *js = meta_json(it);
        if (!js || !add_upsert(j, o, meta, js))
            return false;
    }
    return true;
}

static void multi_done(int rc, const struct zk_op_result *res, int n, void *ctx);

static void fail_rest(struct group_commit_job *j, int from, int16_t error)
{
    for (int i = from; i < j->nitems; i++)
        j->errors[j->items[i].idx] = error;
}

/* Builds and sends the multi of items [first, ...): as many as fit.
 * Returns 0, or the error that kept it from being sent. */
static int send_multi(struct group_commit_job *j)
{
    struct ops o = {0};
    strmap_init(&o.added);
    ops_free(j);
    int i = j->first;
    bool ok = true;
    for (; i < j->nitems; i++) {
        int before = o.n;
        if (!add_item(j, &o, &j->items[i])) {
            ok = false;
            break;
        }
        if (i > j->first && (o.n > MULTI_OPS_MAX || o.bytes > MULTI_BYTES_MAX)) {
            /* this item goes into the next multi */
            for (int k = before; k < o.n; k++) {
                free(o.data[k]);
                free(j->paths[k]);
            }
            o.n = j->nops = before;
            break;
        }
    }
    j->end = i;
    int rc = ok && o.n > 0 ? zk_client_multi(j->b->zk, o.op, o.n, multi_done, j) : GR_E_NOMEM;
    for (int k = 0; k < o.n; k++)
        free(o.data[k]);
    free(o.data);
    free(o.op);
    strmap_destroy(&o.added);
    if (rc) {
        LOG_RATE(LOGGER_WARN, "group %s: cannot write offsets to ZooKeeper: %s", j->group,
                 gr_strerror(rc));
        fail_rest(j, j->first, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    return rc;
}

static void send_next(struct group_commit_job *j)
{
    if (send_multi(j))
        finish(j);
}

static void multi_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct group_commit_job *j = ctx;
    struct strmap *known = known_set(j);
    if (rc == GR_OK) {
        for (int i = 0; i < n && i < j->nops; i++)
            strmap_put(known, j->paths[i], GROUP_ZNODE_KNOWN);
        struct group *g = job_group(j);
        int64_t now = clock_wall_ms();
        for (int i = j->first; i < j->end; i++) {
            struct commit_item *it = &j->items[i];
            const struct tp_topic *t = tp_topic_intern(it->topic, strlen(it->topic));
            if (g && t)
                group_offsets_put(&g->offsets, (struct tp){t, it->partition}, it->offset,
                                  it->leader_epoch, it->metadata, now);
            tp_topic_unref(t);
            j->errors[it->idx] = PROTO_ERR_NONE;
        }
        j->first = j->end;
        j->attempts = 0;
        if (j->first < j->nitems)
            send_next(j);
        else
            finish(j);
        return;
    }
    /* the op that failed tells what the known set got wrong */
    for (int i = 0; i < n && i < j->nops; i++) {
        LOG_DEBUG("group %s: multi op %d (%s, type %d) -> %s", j->group, i, j->paths[i],
                  (int)j->types[i], gr_strerror(res[i].rc));
        if (res[i].rc == GR_OK || res[i].rc == GR_E_ZK_ROLLEDBACK)
            continue;
        bool create = j->types[i] == ZK_OP_CREATE;
        if ((res[i].rc == GR_E_EXISTS || res[i].rc == GR_E_NOENT) && ++j->attempts < ATTEMPTS_MAX) {
            char *slash = strrchr(j->paths[i], '/');
            if (create && res[i].rc == GR_E_EXISTS)
                strmap_put(known, j->paths[i], GROUP_ZNODE_KNOWN);
            else if (!create) /* a set of a znode that is gone */
                strmap_del(known, j->paths[i]);
            else if (slash && slash != j->paths[i]) { /* a create under a parent that is gone */
                *slash = 0;
                strmap_del(known, j->paths[i]);
            }
            send_next(j);
            return;
        }
        break;
    }
    LOG_RATE(LOGGER_WARN, "group %s: committing offsets to ZooKeeper failed: %s", j->group,
             gr_strerror(rc));
    fail_rest(j, j->first, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    finish(j);
}

void *group_commit_start(struct group *g, struct group_commit_entry *e, int n)
{
    struct broker *b = g->b;
    int todo = 0;
    for (int i = 0; i < n; i++)
        todo += e[i].error == PROTO_ERR_NONE;
    if (!todo)
        return NULL;
    struct group_commit_job *j = NULL;
    if (!b->zk || !zk_client_connected(b->zk) || !(j = calloc(1, sizeof(*j))) ||
        !(j->items = calloc((size_t)todo, sizeof(*j->items))) ||
        !(j->errors = calloc((size_t)n + 1, sizeof(*j->errors))) || !(j->group = strdup(g->id))) {
        if (j) {
            free(j->items);
            free(j->errors);
            free(j);
        }
        for (int i = 0; i < n; i++)
            if (e[i].error == PROTO_ERR_NONE)
                e[i].error = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
        return NULL;
    }
    j->b = g->b;
    j->g = g;
    j->nerrors = n;
    strmap_init(&j->known);
    for (int i = 0; i < n; i++) {
        j->errors[i] = e[i].error;
        if (e[i].error != PROTO_ERR_NONE)
            continue;
        struct commit_item *it = &j->items[j->nitems++];
        it->topic = strdup(e[i].topic);
        it->partition = e[i].partition;
        it->offset = e[i].offset;
        it->leader_epoch = e[i].leader_epoch;
        it->metadata = e[i].metadata && *e[i].metadata ? strdup(e[i].metadata) : NULL;
        it->idx = i;
        if (!it->topic || (e[i].metadata && *e[i].metadata && !it->metadata)) {
            fail_rest(j, 0, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
            for (int k = 0; k < n; k++)
                e[k].error = j->errors[k];
            job_free(j);
            return NULL;
        }
    }
    if (send_multi(j)) {
        for (int k = 0; k < n; k++)
            e[k].error = j->errors[k];
        job_free(j);
        return NULL;
    }
    j->next = g->commits;
    g->commits = j;
    return j;
}

static void deleted(int rc, void *ctx)
{
    char *path = ctx;
    if (rc && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_RATE(LOGGER_WARN, "cannot delete %s: %s", path, gr_strerror(rc));
    free(path);
}

static void delete_path(struct group *g, const char *path)
{
    struct zk_client *zk = g->b->zk;
    char *c = strdup(path);
    strmap_del(&g->offsets.znodes, path);
    if (!zk || !c || zk_client_delete(zk, c, ZK_ANY_VERSION, deleted, c))
        free(c);
}

void group_commit_delete(struct group *g, const struct tp *tps, int n)
{
    char path[PATH_MAX_LEN];
    for (int i = 0; i < n; i++) {
        if (!group_offsets_get(&g->offsets, tps[i]))
            continue;
        /* the paths first: the entry may hold the last reference on the name */
        if (group_offsets_path(path, sizeof(path), g->id, tps[i].topic->name, tps[i].partition))
            delete_path(g, path);
        if (group_offsets_meta_path(path, sizeof(path), g->id, tps[i].topic->name,
                                    tps[i].partition) &&
            strmap_get(&g->offsets.znodes, path))
            delete_path(g, path);
        group_offsets_del(&g->offsets, tps[i]);
    }
}

static int depth(const char *p)
{
    int d = 0;
    for (; *p; p++)
        d += *p == '/';
    return d;
}

static int deeper_first(const void *a, const void *b)
{
    return depth(*(char *const *)b) - depth(*(char *const *)a);
}

void group_commit_delete_all(struct group *g)
{
    group_persist_remove(g); /* first: /consumers/<group> must be empty to go */
    size_t n = g->offsets.znodes.count, k = 0, it = 0;
    char **paths = calloc(n + 1, sizeof(*paths));
    const char *key;
    void *v;
    char prefix[PATH_MAX_LEN];
    int plen = snprintf(prefix, sizeof(prefix), "/consumers/%s", g->id);
    while (paths && strmap_next(&g->offsets.znodes, &it, &key, &v))
        /* /consumers itself is shared by every group */
        if (!strncmp(key, prefix, (size_t)plen) && (key[plen] == '/' || !key[plen]))
            paths[k++] = strdup(key);
    size_t nk = k;
    if (paths)
        qsort(paths, nk, sizeof(*paths), deeper_first);
    struct tp *tps = calloc(group_offsets_count(&g->offsets) + 1, sizeof(*tps));
    int nt = 0;
    it = 0;
    struct tp t;
    while (tps && tpmap_next(&g->offsets.map, &it, &t, &v))
        tps[nt++] = t;
    for (int i = 0; i < nt; i++)
        group_offsets_del(&g->offsets, tps[i]);
    free(tps);
    for (size_t i = 0; i < nk; i++) {
        if (paths[i])
            delete_path(g, paths[i]);
        free(paths[i]);
    }
    free(paths);
}

int group_commit_expire(struct group *g, int64_t before_ms,
                        bool (*keep)(const struct group *g, const char *topic))
{
    size_t it = 0;
    void *v;
    struct tp t;
    int n = 0;
    struct tp *tps = calloc(group_offsets_count(&g->offsets) + 1, sizeof(*tps));
    while (tps && tpmap_next(&g->offsets.map, &it, &t, &v))
        if (((struct group_offset *)v)->commit_ms < before_ms && !(keep && keep(g, t.topic->name)))
            tps[n++] = t;
    /* a group with members keeps its tree: its owners live there too */
    if (n && !keep && n == (int)group_offsets_count(&g->offsets))
        group_commit_delete_all(g);
    else
        group_commit_delete(g, tps, n);
    free(tps);
    return n;
}

void group_commit_detach(struct group *g)
{
    for (struct group_commit_job *j = g->commits; j; j = j->next)
        j->g = NULL;
    g->commits = NULL;
}
