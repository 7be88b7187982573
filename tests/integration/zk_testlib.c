/*
 * Callback recorders and blocking wrappers for the zk integration tests.
 */
#include "tests/integration/zk_testlib.h"

#include <ev.h>
#include <stdio.h>
#include <string.h>

#include "tests/integration/zk_harness.h"

struct ev_loop *zkt_loop;

static void on_connected(struct zk_client *zc, bool new_session, void *ctx)
{
    (void)zc;
    struct zkt_session *s = ctx;
    s->connected++;
    if (new_session)
        s->new_sessions++;
}

static void on_disconnected(struct zk_client *zc, void *ctx)
{
    (void)zc;
    ((struct zkt_session *)ctx)->disconnected++;
}

static void on_expired(struct zk_client *zc, void *ctx)
{
    struct zkt_session *s = ctx;
    s->expired++;
    if (s->free_on_expiry)
        zk_client_free(zc);
}

static void on_connect_timeout(struct zk_client *zc, void *ctx)
{
    (void)zc;
    ((struct zkt_session *)ctx)->connect_timeouts++;
}

struct zk_client *zkt_open_cfg(const struct zk_client_config *base, struct zkt_session *s)
{
    if (!zkt_loop)
        zkt_loop = EV_DEFAULT;
    struct zk_client_config cfg = *base;
    cfg.cb =
        (struct zk_client_callbacks){on_connected, on_disconnected, on_expired, on_connect_timeout};
    cfg.ctx = s;
    char err[256];
    struct zk_client *zc = zk_client_new(zkt_loop, &cfg, err, sizeof(err));
    if (!zc)
        fprintf(stderr, "zk_client_new: %s\n", err);
    return zc;
}

struct zk_client *zkt_open(const char *connect, int session_ms, struct zkt_session *s)
{
    struct zk_client_config cfg = {.connect = connect, .session_timeout_ms = session_ms};
    return zkt_open_cfg(&cfg, s);
}

struct zk_client *zkt_open_connected(const char *connect, int session_ms, struct zkt_session *s)
{
    struct zk_client *zc = zkt_open(connect, session_ms, s);
    if (zc && !zkh_wait_count(zkt_loop, &s->connected, 1, ZKT_TIMEOUT)) {
        zk_client_free(zc);
        return NULL;
    }
    return zc;
}

static struct zkt_res *record(void *ctx, int rc)
{
    struct zkt_res *r = ctx;
    r->done = true;
    r->calls++;
    r->rc = rc;
    return r;
}

static void record_stat(struct zkt_res *r, const struct zk_stat *stat)
{
    r->has_stat = stat != NULL;
    if (stat)
        r->stat = *stat;
}

void zkt_create_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    struct zkt_res *r = record(ctx, rc);
    snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
    record_stat(r, stat);
}

void zkt_void_cb(int rc, void *ctx)
{
    record(ctx, rc);
}

void zkt_stat_cb(int rc, const struct zk_stat *stat, void *ctx)
{
    record_stat(record(ctx, rc), stat);
}

void zkt_data_cb(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx)
{
    struct zkt_res *r = record(ctx, rc);
    r->has_data = data != NULL;
    r->len = len;
    size_t n = len < sizeof(r->data) - 1 ? len : sizeof(r->data) - 1;
    if (data)
        memcpy(r->data, data, n);
    r->data[data ? n : 0] = '\0';
    record_stat(r, stat);
}

void zkt_children_cb(int rc, const char *const *names, int n, const struct zk_stat *stat, void *ctx)
{
    struct zkt_res *r = record(ctx, rc);
    r->n = n;
    for (int i = 0; i < n && i < 32; i++)
        snprintf(r->names[i], sizeof(r->names[i]), "%s", names[i]);
    record_stat(r, stat);
}

void zkt_multi_cb(int rc, const struct zk_op_result *results, int n, void *ctx)
{
    struct zkt_res *r = record(ctx, rc);
    r->n = n;
    for (int i = 0; i < n && i < 8; i++) {
        r->results[i] = results[i];
        snprintf(r->result_paths[i], sizeof(r->result_paths[i]), "%s",
                 results[i].path ? results[i].path : "");
        r->results[i].path = results[i].path ? r->result_paths[i] : NULL;
    }
}

void zkt_watch_fn(int event, const char *path, void *ctx)
{
    struct zkt_watch *w = ctx;
    w->fired++;
    w->event = event;
    snprintf(w->path, sizeof(w->path), "%s", path ? path : "");
}

static int finish(int rc, struct zkt_res *r)
{
    if (rc != GR_OK)
        return rc;
    if (!zkh_wait(zkt_loop, &r->done, ZKT_TIMEOUT))
        return ZKT_TIMED_OUT;
    return r->rc;
}

#define LOCAL_RES(r)                                                                               \
    struct zkt_res local_##r;                                                                      \
    if (!(r)) {                                                                                    \
        memset(&local_##r, 0, sizeof(local_##r));                                                  \
        (r) = &local_##r;                                                                          \
    } else {                                                                                       \
        memset((r), 0, sizeof(*(r)));                                                              \
    }

int zkt_create(struct zk_client *zc, const char *path, const char *data, int flags,
               struct zkt_res *r)
{
    LOCAL_RES(r);
    return finish(
        zk_client_create(zc, path, data, data ? strlen(data) : 0, flags, zkt_create_cb, r), r);
}

int zkt_create_recursive(struct zk_client *zc, const char *path, const char *data,
                         struct zkt_res *r)
{
    LOCAL_RES(r);
    return finish(
        zk_client_create_recursive(zc, path, data, data ? strlen(data) : 0, zkt_create_cb, r), r);
}

int zkt_delete(struct zk_client *zc, const char *path, int version)
{
    struct zkt_res *r = NULL;
    LOCAL_RES(r);
    return finish(zk_client_delete(zc, path, version, zkt_void_cb, r), r);
}

int zkt_set(struct zk_client *zc, const char *path, const char *data, int version,
            struct zkt_res *r)
{
    LOCAL_RES(r);
    return finish(zk_client_set(zc, path, data, data ? strlen(data) : 0, version, zkt_stat_cb, r),
                  r);
}

int zkt_get(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r)
{
    LOCAL_RES(r);
    struct zk_watcher zw = {zkt_watch_fn, w};
    return finish(zk_client_get(zc, path, w ? &zw : NULL, zkt_data_cb, r), r);
}

int zkt_children(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r)
{
    LOCAL_RES(r);
    struct zk_watcher zw = {zkt_watch_fn, w};
    return finish(zk_client_get_children(zc, path, w ? &zw : NULL, zkt_children_cb, r), r);
}

int zkt_exists(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r)
{
    LOCAL_RES(r);
    struct zk_watcher zw = {zkt_watch_fn, w};
    return finish(zk_client_exists(zc, path, w ? &zw : NULL, zkt_stat_cb, r), r);
}

int zkt_multi(struct zk_client *zc, const struct zk_op *ops, int n, struct zkt_res *r)
{
    LOCAL_RES(r);
    return finish(zk_client_multi(zc, ops, n, zkt_multi_cb, r), r);
}

bool zkt_has_child(const struct zkt_res *r, const char *name)
{
    for (int i = 0; i < r->n && i < 32; i++)
        if (strcmp(r->names[i], name) == 0)
            return true;
    return false;
}
