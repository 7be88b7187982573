/*
 * Callback recorders and blocking wrappers shared by the zk integration
 * tests, so each test reads as the sequence of things a broker would do and
 * see. Every wrapper runs the loop until the callback arrived (or a timeout,
 * which the tests then assert against).
 */
#ifndef GREGOR_TESTS_ZK_TESTLIB_H
#define GREGOR_TESTS_ZK_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "zk/zk_client.h"

struct ev_loop;

/* How long a single ZooKeeper round trip may take before a test gives up. */
#define ZKT_TIMEOUT 10.0

/* What the session callbacks reported. */
struct zkt_session {
    int connected;        /* connected() calls */
    int new_sessions;     /* ... of which with new_session */
    int disconnected;     /* disconnected() calls */
    int expired;          /* expired() calls */
    int connect_timeouts; /* connect_timeout() calls */
    bool free_on_expiry;  /* free the client from inside expired() */
};

/* What a request callback reported (any kind). */
struct zkt_res {
    bool done;                      /* the callback ran */
    int calls;                      /* how often it ran (must end at 1) */
    int rc;                         /* its rc */
    char path[256];                 /* create: the path */
    char data[1024];                /* get: the data, NUL-terminated */
    size_t len;                     /* get: bytes of data */
    bool has_data;                  /* get: data was non-NULL */
    struct zk_stat stat;            /* the stat, if any */
    bool has_stat;                  /* a stat was given */
    int n;                          /* children / multi results */
    char names[32][64];             /* children names */
    struct zk_op_result results[8]; /* multi results (paths copied below) */
    char result_paths[8][128];      /* multi created paths */
};

/* What a watch reported. */
struct zkt_watch {
    int fired;      /* calls (must end at 0 or 1) */
    int event;      /* the event */
    char path[256]; /* the path given */
};

extern struct ev_loop *zkt_loop;

struct zk_client *zkt_open(const char *connect, int session_ms, struct zkt_session *s);
/* Opens with base's settings and the recording callbacks. */
struct zk_client *zkt_open_cfg(const struct zk_client_config *base, struct zkt_session *s);
/* Opens and waits for the first session; NULL on timeout. */
struct zk_client *zkt_open_connected(const char *connect, int session_ms, struct zkt_session *s);

void zkt_create_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx);
void zkt_void_cb(int rc, void *ctx);
void zkt_stat_cb(int rc, const struct zk_stat *stat, void *ctx);
void zkt_data_cb(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx);
void zkt_children_cb(int rc, const char *const *names, int n, const struct zk_stat *stat,
                     void *ctx);
void zkt_multi_cb(int rc, const struct zk_op_result *results, int n, void *ctx);
void zkt_watch_fn(int event, const char *path, void *ctx);

/* Blocking wrappers: return the callback's rc, or the call's own error, or
 * -9999 on timeout. r may be NULL. */
#define ZKT_TIMED_OUT (-9999)
int zkt_create(struct zk_client *zc, const char *path, const char *data, int flags,
               struct zkt_res *r);
int zkt_create_recursive(struct zk_client *zc, const char *path, const char *data,
                         struct zkt_res *r);
int zkt_delete(struct zk_client *zc, const char *path, int version);
int zkt_set(struct zk_client *zc, const char *path, const char *data, int version,
            struct zkt_res *r);
int zkt_get(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r);
int zkt_children(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r);
int zkt_exists(struct zk_client *zc, const char *path, struct zkt_watch *w, struct zkt_res *r);
int zkt_multi(struct zk_client *zc, const struct zk_op *ops, int n, struct zkt_res *r);

/* True if r->names holds name. */
bool zkt_has_child(const struct zkt_res *r, const char *name);

#endif
