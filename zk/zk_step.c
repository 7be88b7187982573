/*
 * The retry step of zk/'s multi-step operations (see zk_step.h).
 */
#include "zk/zk_step.h"

#include <stdlib.h>
#include <string.h>

#define LOG_COMPONENT "zk"
#include "common/logger.h"

bool zk_step_retry(struct zk_step *s, int rc)
{
    if (rc != GR_E_ZK_CONNLOSS)
        return false;
    LOG_DEBUG("ZooKeeper connection lost during a request; sending it again once reconnected");
    s->step(s);
    return true;
}

/* A get and what it needs to be sent again. */
struct step_get {
    struct zk_step s;        /* retry state */
    char *path;              /* owned copy */
    struct zk_watcher watch; /* the caller's watch, if has_watch */
    bool has_watch;          /* a watch goes with every attempt */
    zk_data_cb cb;           /* caller's callback */
    void *ctx;               /* its context */
};

static void step_get_finish(struct step_get *g, int rc, const char *data, size_t len,
                            const struct zk_stat *stat)
{
    g->cb(rc, data, len, stat, g->ctx);
    free(g->path);
    free(g);
}

static void step_get_done(int rc, const char *data, size_t len, const struct zk_stat *stat,
                          void *ctx)
{
    struct step_get *g = ctx;
    if (!zk_step_retry(&g->s, rc))
        step_get_finish(g, rc, data, len, stat);
}

static void step_get_issue(struct zk_step *s)
{
    struct step_get *g = (struct step_get *)s;
    int rc = zk_client_get(s->zc, g->path, g->has_watch ? &g->watch : NULL, step_get_done, g);
    if (rc != GR_OK)
        step_get_finish(g, rc, NULL, 0, NULL);
}

int zk_step_get(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                zk_data_cb cb, void *ctx)
{
    struct step_get *g = calloc(1, sizeof(*g));
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return GR_E_NOMEM;
    }
    g->s.zc = zc;
    g->s.step = step_get_issue;
    g->cb = cb;
    g->ctx = ctx;
    if (watch && watch->fn) {
        g->watch = *watch;
        g->has_watch = true;
    }
    int rc = zk_client_get(zc, g->path, g->has_watch ? &g->watch : NULL, step_get_done, g);
    if (rc != GR_OK) {
        free(g->path);
        free(g);
    }
    return rc;
}
