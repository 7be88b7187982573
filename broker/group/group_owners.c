/*
 * A stable group's membership in ZooKeeper, where Kafka's old consumers
 * kept theirs (see group_owners.h).
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_owners.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_member.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"

#define PATH_MAX_LEN 1024

static void done(int rc, void *ctx)
{
    char *path = ctx;
    if (rc && rc != GR_E_EXISTS && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_RATE(LOGGER_INFO, "membership znode %s: %s", path, gr_strerror(rc));
    free(path);
}

static void created(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    (void)path;
    (void)stat;
    done(rc, ctx);
}

/* Creates path with data, its persistent parents first (an existing one
 * answers EXISTS, which is fine). */
static void create(struct group *g, const char *path, const char *data, bool ephemeral)
{
    struct zk_client *zk = g->b->zk;
    char buf[PATH_MAX_LEN];
    size_t n = strlen(path);
    if (!zk || n >= sizeof(buf))
        return;
    memcpy(buf, path, n + 1);
    /* ZooKeeper runs one session's requests in order: the parents exist
     * (or already did) by the time the leaf is created. */
    for (char *s = strchr(buf + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        char *c = strdup(buf);
        if (c && zk_client_create(zk, c, NULL, 0, ZK_PERSISTENT, created, c))
            free(c);
        *s = '/';
    }
    char *c = strdup(path);
    if (c && zk_client_create(zk, c, data, data ? strlen(data) : 0,
                              ephemeral ? ZK_EPHEMERAL : ZK_PERSISTENT, created, c))
        free(c);
}

static void remove_path(struct group *g, const char *path)
{
    char *c = strdup(path);
    if (c && (!g->b->zk || zk_client_delete(g->b->zk, c, ZK_ANY_VERSION, done, c)))
        free(c);
}

/* What one publication wants, built before anything is sent. */
struct wanted {
    struct group *g;
    struct group_member *m; /* the member being walked */
    struct strmap paths;    /* path -> data (owned) */
    cJSON *subscription;    /* the member's topics, for its ids znode */
};

static void want(struct wanted *w, const char *path, const char *data)
{
    char *d = strdup(data);
    char *old = strmap_get(&w->paths, path);
    if (d && !strmap_put(&w->paths, path, d))
        free(old);
    else
        free(d);
}

static void owned(const char *topic, int len, int32_t partition, void *ctx)
{
    struct wanted *w = ctx;
    char path[PATH_MAX_LEN];
    int n = snprintf(path, sizeof(path), "/consumers/%s/owners/%.*s/%" PRId32, w->g->id, len, topic,
                     partition);
    if (n > 0 && (size_t)n < sizeof(path) && !memchr(topic, '/', (size_t)len))
        want(w, path, w->m->id);
}

static void subscribed(const char *topic, int len, void *ctx)
{
    struct wanted *w = ctx;
    char name[256];
    if (len >= (int)sizeof(name))
        return;
    memcpy(name, topic, (size_t)len);
    name[len] = 0;
    cJSON_AddNumberToObject(w->subscription, name, 1);
}

/* The ids znode of m: Kafka's old consumer registration. */
static void member_registration(struct wanted *w, struct group_member *m)
{
    char path[PATH_MAX_LEN], ts[24];
    int n = snprintf(path, sizeof(path), "/consumers/%s/ids/%s", w->g->id, m->id);
    if (n <= 0 || (size_t)n >= sizeof(path) || strchr(m->id, '/') || !strcmp(m->id, ".") ||
        !strcmp(m->id, ".."))
        return;
    cJSON *o = cJSON_CreateObject();
    w->subscription = cJSON_CreateObject();
    const struct group_protocol *p =
        w->g->protocol_name ? group_member_protocol(m, w->g->protocol_name) : NULL;
    if (p)
        group_member_topics(p->meta, p->len, subscribed, w);
    snprintf(ts, sizeof(ts), "%" PRId64, clock_wall_ms());
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddItemToObject(o, "subscription", w->subscription);
    cJSON_AddStringToObject(o, "pattern", "static");
    cJSON_AddStringToObject(o, "timestamp", ts);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (js)
        want(w, path, js);
    free(js);
}

void group_owners_publish(struct group *g)
{
    if (!group_offsets_valid_group(g->id) || !g->protocol_type ||
        strcmp(g->protocol_type, "consumer"))
        return;
    struct wanted w = {.g = g};
    strmap_init(&w.paths);
    for (struct group_member *m = g->members; m; m = m->next) {
        w.m = m;
        member_registration(&w, m);
        group_member_assigned(m->assignment, m->assignment_len, owned, &w);
    }
    /* gone: published before and not wanted now */
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&g->owners, &it, &k, &v))
        if (!strmap_get(&w.paths, k)) {
            remove_path(g, k);
            strmap_del(&g->owners, k);
            free(v);
        }
    /* new, or of another member now: (re)create */
    for (it = 0; strmap_next(&w.paths, &it, &k, &v);) {
        char *was = strmap_get(&g->owners, k);
        if (was && !strcmp(was, v)) {
            free(v);
            continue;
        }
        if (was) {
            remove_path(g, k);
            free(was);
        }
        create(g, k, v, true);
        if (strmap_put(&g->owners, k, v))
            free(v);
    }
    strmap_destroy(&w.paths);
}

void group_owners_clear(struct group *g)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&g->owners, &it, &k, &v)) {
        remove_path(g, k);
        free(v);
        strmap_del(&g->owners, k);
    }
}
