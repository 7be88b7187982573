/*
 * libzookeeper_st on a libev loop (see zk_client.h for the contract).
 *
 * Driving the single-threaded C client: after every call into it we ask
 * zookeeper_interest() which fd to watch, for what, and how long until it
 * needs to run again (pings, timeouts, the next connect attempt), and set the
 * ev_io and ev_timer from the answer ("settle"). When either fires we call
 * zookeeper_process() and settle again. The library closes and reopens its
 * socket behind our back (reconnects), possibly under the same fd number, so
 * the ev_io is always stopped and set afresh: ev_io_set() makes libev
 * re-register the fd with the kernel.
 *
 * Callbacks and the safe point: the library calls completions and watchers
 * from inside zookeeper_process(), zookeeper_interest() and zookeeper_close().
 * Every entry from the loop into this file runs between client_enter() and
 * client_leave(); zk_client_free() inside that bracket only sets free_requested
 * and the real teardown runs in client_leave() once the outermost bracket
 * unwinds, where no library or client frame is on the stack any more.
 *
 * Exactly-once bookkeeping: every request whose callback is owed sits on
 * zc->reqs (also while the library holds it), every armed watch on
 * zc->watches. Teardown and session expiry walk those lists, so nothing owed
 * is forgotten and nothing is called twice.
 */
#include "zk/zk_client.h"

#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#define LOG_COMPONENT "zk"
#include "common/logger.h"

#define ZK_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* How long to wait before calling zookeeper_interest() again after it failed
 * (a refused connect); the library adds its own back-off on top. */
#define ZK_RETRY_AFTER_ERROR_S 0.02
/* How long to wait before retrying zookeeper_init() when it failed (DNS). */
#define ZK_REOPEN_DELAY_S 1.0
/* The most ops one multi() may carry (the server's jute.maxbuffer is the real
 * limit; this one keeps a runaway caller from allocating without bound). */
#define ZK_MULTI_MAX_OPS 1000

/* zk_client.h promises ZooKeeper's numbers. */
/* ZooKeeper's result as gregor's (see zk_client.h): the one place a
 * ZOO_ERRORS number is turned into the program's error space. */
static int gr_from_zoo(int zrc)
{
    switch (zrc) {
    case ZOK: return GR_OK;
    case ZNONODE: return GR_E_NOENT;
    case ZNODEEXISTS: return GR_E_EXISTS;
    case ZOPERATIONTIMEOUT: return GR_E_TIMEOUT;
    case ZBADARGUMENTS: return GR_E_INVALID;
    case ZINVALIDSTATE: return GR_E_STATE;
    case ZCLOSING: return GR_E_CLOSING;
    case ZCONNECTIONLOSS: return GR_E_ZK_CONNLOSS;
    case ZSESSIONEXPIRED: return GR_E_ZK_EXPIRED;
    case ZBADVERSION: return GR_E_ZK_BADVERSION;
    case ZNOTEMPTY: return GR_E_ZK_NOTEMPTY;
    case ZRUNTIMEINCONSISTENCY: return GR_E_ZK_ROLLEDBACK;
    case ZNOAUTH: return GR_E_ZK_NOAUTH;
    case ZMARSHALLINGERROR: return GR_E_ZK_MARSHALLING;
    case ZSESSIONMOVED: return GR_E_ZK_SESSIONMOVED;
    case ZNOCHILDRENFOREPHEMERALS: return GR_E_ZK_EPHEMERAL_PARENT;
    case ZSYSTEMERROR:
    default: return GR_E_ZK_SYSTEM;
    }
}

enum zk_req_kind {
    ZK_REQ_CREATE,
    ZK_REQ_DELETE,
    ZK_REQ_SET,
    ZK_REQ_GET,
    ZK_REQ_CHILDREN,
    ZK_REQ_EXISTS,
    ZK_REQ_MULTI,
    ZK_REQ_AFTER
};

/* A one-shot watch. Owned by its request until armed, then by zc->watches
 * (and referenced by the library's watcher tables) until it fires. */
struct zk_watch {
    struct zk_client *zc;  /* owner */
    struct zk_watch *prev; /* zc->watches, while armed */
    struct zk_watch *next; /* zc->watches, while armed */
    zk_watch_fn fn;        /* the owner's function */
    void *ctx;             /* the owner's context */
    bool armed;            /* the library activated it and will call zk_watch_event() */
};

/* The parts of a multi() that must live until its completion. */
struct zk_multi_state {
    int n;                    /* number of ops */
    struct zk_op *ops;        /* copies; their paths and data are owned here */
    zoo_op_result_t *zres;    /* where the library writes each op's result */
    struct Stat *stats;       /* set ops' new stats */
    char **bufs;              /* create ops' returned paths */
    struct zk_op_result *out; /* what the callback receives */
};

/* One request whose callback is owed. */
struct zk_req {
    struct zk_client *zc;  /* owner */
    struct zk_req *prev;   /* zc->reqs, in the order requests were made */
    struct zk_req *next;   /* zc->reqs */
    enum zk_req_kind kind; /* what it does and which member of cb applies */
    bool sent;             /* handed to the library, which now owes the completion */
    union {
        zk_create_cb create;
        zk_void_cb done;
        zk_stat_cb stat;
        zk_data_cb data;
        zk_children_cb children;
        zk_multi_cb multi;
    } cb;                        /* the owner's callback */
    void *ctx;                   /* the owner's context */
    char *path;                  /* owned copy of the path */
    char *data;                  /* owned copy of the data (NULL = no data) */
    size_t len;                  /* bytes of data */
    int flags;                   /* create mode */
    int version;                 /* expected version */
    struct zk_watch *watch;      /* watch to arm on success, owned until armed */
    struct zk_multi_state multi; /* ZK_REQ_MULTI only */
    ev_timer timer;              /* ZK_REQ_AFTER only */
};

struct zk_client {
    struct ev_loop *loop;          /* the owner's loop (borrowed) */
    zhandle_t *zh;                 /* current C client handle; NULL while reopening failed */
    char *connect;                 /* connect string, owned */
    int session_timeout_ms;        /* requested session timeout */
    int connection_timeout_ms;     /* when connect_timeout is reported */
    double retry_log_interval_s;   /* how often "cannot reach" is logged */
    struct zk_client_callbacks cb; /* session callbacks */
    void *ctx;                     /* their context */

    ev_io io;                  /* the library's socket, with the interest it asked for */
    ev_timer timer;            /* the library's next deadline; also used to kick a settle */
    ev_timer nag;              /* logs "cannot reach" while there is no connection */
    ev_timer connect_deadline; /* fires connection_timeout_ms after start without a session */

    struct zk_req *reqs_head; /* requests owed a callback, oldest first */
    struct zk_req *reqs_tail;
    struct zk_watch *watches; /* armed watches */

    bool connected;       /* a session is established and connected */
    bool ever_connected;  /* some session was established at some point */
    int64_t session_id;   /* the last established session, 0 before the first */
    ev_tstamp down_since; /* when the connection was lost (for messages) */
    bool expired_pending; /* the library reported expiry; replace the handle when settled */
    bool reaping;         /* closing an expired handle: its ZCLOSING means expired */
    bool free_requested;  /* zk_client_free() was called; tear down at the safe point */
    int depth;            /* nesting of client_enter() */
};

static void client_settle(struct zk_client *zc);
static void client_destroy(struct zk_client *zc);

/* ---- small helpers ------------------------------------------------------- */

static void client_enter(struct zk_client *zc)
{
    zc->depth++;
}

/* Returns true if the client was destroyed (the caller must not touch it). */
static bool client_leave(struct zk_client *zc)
{
    if (--zc->depth == 0 && zc->free_requested) {
        client_destroy(zc);
        return true;
    }
    return false;
}

/* Makes the loop settle the library soon, outside of the current call, so
 * that no API call ever runs a callback itself. */
static void client_kick(struct zk_client *zc)
{
    ev_timer_stop(zc->loop, &zc->timer);
    ev_timer_set(&zc->timer, 0., 0.);
    ev_timer_start(zc->loop, &zc->timer);
}

static const struct zk_stat *stat_from(struct zk_stat *out, const struct Stat *s)
{
    if (!s)
        return NULL;
    out->czxid = s->czxid;
    out->mzxid = s->mzxid;
    out->pzxid = s->pzxid;
    out->ctime_ms = s->ctime;
    out->mtime_ms = s->mtime;
    out->version = s->version;
    out->cversion = s->cversion;
    out->ephemeral_owner = s->ephemeralOwner;
    out->data_length = s->dataLength;
    out->num_children = s->numChildren;
    return out;
}

/* ZooKeeper's rules: absolute, no empty, "." or ".." components, no trailing
 * slash (except "/" itself, or a sequential create's prefix). Checked here so
 * that a bad path fails in the call, not later in a callback. */
static bool path_valid(const char *p, bool sequential)
{
    if (!p || p[0] != '/')
        return false;
    size_t n = strlen(p);
    if (n == 1)
        return !sequential;
    if (p[n - 1] == '/' && !sequential)
        return false;
    for (const char *c = p; *c; c++) {
        if (*c != '/')
            continue;
        const char *e = strchr(c + 1, '/');
        size_t clen = e ? (size_t)(e - c - 1) : strlen(c + 1);
        if (clen == 0 && e)
            return false;
        if ((clen == 1 && c[1] == '.') || (clen == 2 && c[1] == '.' && c[2] == '.'))
            return false;
    }
    return true;
}

/* ---- the C client's log -------------------------------------------------- */

/* Lines arrive as "<time>:<pid>:ZOO_<LEVEL>@<func>@<line>: <text>". The
 * library's errors are mostly about connect attempts that gregor reports in
 * its own words, so everything lands at DEBUG (errors, warnings) or TRACE. */
static void zoo_log_line(const char *message)
{
    const char *lvl = strstr(message, ":ZOO_");
    enum logger_level level = LOGGER_TRACE;
    const char *text = message;
    if (lvl) {
        lvl += 5;
        if (strncmp(lvl, "ERROR@", 6) == 0 || strncmp(lvl, "WARN@", 5) == 0)
            level = LOGGER_DEBUG;
        const char *at = strchr(lvl, '@');
        if (at)
            text = at + 1;
    }
    if (level > logger_threshold)
        return;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    logger_write(level, LOG_COMPONENT, "libzookeeper: %.*s", (int)n, text);
}

/* The library's log level is process-wide; it formats nothing we would drop. */
static void zoo_log_level_from_logger(void)
{
    if (logger_threshold >= LOGGER_TRACE)
        zoo_set_debug_level(ZOO_LOG_LEVEL_DEBUG);
    else if (logger_threshold >= LOGGER_DEBUG)
        zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    else
        zoo_set_debug_level((ZooLogLevel)0);
}

/* ---- requests ------------------------------------------------------------ */

static void req_link(struct zk_client *zc, struct zk_req *r)
{
    r->prev = zc->reqs_tail;
    r->next = NULL;
    if (zc->reqs_tail)
        zc->reqs_tail->next = r;
    else
        zc->reqs_head = r;
    zc->reqs_tail = r;
}

static void req_unlink(struct zk_req *r)
{
    struct zk_client *zc = r->zc;
    if (r->prev)
        r->prev->next = r->next;
    else
        zc->reqs_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        zc->reqs_tail = r->prev;
    r->prev = r->next = NULL;
}

static void req_free(struct zk_req *r)
{
    free(r->path);
    free(r->data);
    free(r->watch);
    struct zk_multi_state *m = &r->multi;
    for (int i = 0; m->ops && i < m->n; i++) {
        free((char *)m->ops[i].path);
        free((char *)m->ops[i].data);
        if (m->bufs)
            free(m->bufs[i]);
    }
    free(m->ops);
    free(m->zres);
    free(m->stats);
    free(m->bufs);
    free(m->out);
    free(r);
}

static struct zk_req *req_new(struct zk_client *zc, enum zk_req_kind kind, const char *path,
                              const char *data, size_t len, void *ctx)
{
    struct zk_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->zc = zc;
    r->kind = kind;
    r->ctx = ctx;
    r->version = ZK_ANY_VERSION;
    if (path && !(r->path = strdup(path))) {
        free(r);
        return NULL;
    }
    if (data) {
        /* One spare byte so that an empty buffer still is a non-NULL one. */
        r->data = malloc(len + 1);
        if (!r->data) {
            free(r->path);
            free(r);
            return NULL;
        }
        memcpy(r->data, data, len);
        r->len = len;
    }
    return r;
}

static int req_attach_watch(struct zk_req *r, const struct zk_watcher *w)
{
    if (!w || !w->fn)
        return GR_OK;
    r->watch = calloc(1, sizeof(*r->watch));
    if (!r->watch)
        return GR_E_NOMEM;
    r->watch->zc = r->zc;
    r->watch->fn = w->fn;
    r->watch->ctx = w->ctx;
    return GR_OK;
}

/* The rc the owner sees: ZCLOSING while an expired handle is being closed
 * means the session expired, not that the owner freed the client. */
static int req_rc(const struct zk_req *r, int zrc)
{
    int rc = gr_from_zoo(zrc);
    return rc == GR_E_CLOSING && r->zc->reaping ? GR_E_ZK_EXPIRED : rc;
}

/* Moves the request's watch to zc->watches if the library activated it;
 * otherwise the library never calls it and it is dropped. */
static void req_settle_watch(struct zk_req *r, bool activated)
{
    struct zk_watch *w = r->watch;
    if (!w)
        return;
    r->watch = NULL;
    if (!activated) {
        free(w);
        return;
    }
    struct zk_client *zc = r->zc;
    w->armed = true;
    w->prev = NULL;
    w->next = zc->watches;
    if (zc->watches)
        zc->watches->prev = w;
    zc->watches = w;
}

static void watch_unlink(struct zk_watch *w)
{
    struct zk_client *zc = w->zc;
    if (w->prev)
        w->prev->next = w->next;
    else
        zc->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->armed = false;
}

static void watch_event(zhandle_t *zh, int type, int state, const char *path, void *wctx)
{
    (void)zh;
    (void)state;
    struct zk_watch *w = wctx;
    /* Session events go to every registered watcher; the client reports
     * those itself, and a watch survives a resumed connection. */
    if (type == ZOO_SESSION_EVENT || !w->armed)
        return;
    watch_unlink(w);
    int ev = type == ZOO_CREATED_EVENT   ? ZK_EVENT_CREATED
             : type == ZOO_DELETED_EVENT ? ZK_EVENT_DELETED
             : type == ZOO_CHANGED_EVENT ? ZK_EVENT_CHANGED
             : type == ZOO_CHILD_EVENT   ? ZK_EVENT_CHILD
                                         : ZK_EVENT_LOST;
    w->fn(ev, path, w->ctx);
    free(w);
}

/* Reports ZK_EVENT_LOST to every armed watch; called once the library no
 * longer references them (its handle is closed). */
static void watches_lose_all(struct zk_client *zc)
{
    struct zk_watch *list = zc->watches;
    zc->watches = NULL;
    while (list) {
        struct zk_watch *w = list;
        list = w->next;
        w->armed = false;
        w->fn(ZK_EVENT_LOST, NULL, w->ctx);
        free(w);
    }
}

static void on_create(int rc, const char *value, const struct Stat *stat, const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    struct zk_stat st;
    rc = req_rc(r, rc);
    req_unlink(r);
    r->cb.create(rc, rc == GR_OK ? value : NULL, rc == GR_OK ? stat_from(&st, stat) : NULL, r->ctx);
    req_free(r);
}

static void on_void(int rc, const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    rc = req_rc(r, rc);
    req_unlink(r);
    r->cb.done(rc, r->ctx);
    req_free(r);
}

static void on_stat(int rc, const struct Stat *stat, const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    struct zk_stat st;
    rc = req_rc(r, rc);
    req_unlink(r);
    if (r->kind == ZK_REQ_EXISTS)
        req_settle_watch(r, rc == GR_OK || rc == GR_E_NOENT);
    r->cb.stat(rc, rc == GR_OK ? stat_from(&st, stat) : NULL, r->ctx);
    req_free(r);
}

static void on_data(int rc, const char *value, int value_len, const struct Stat *stat,
                    const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    struct zk_stat st;
    rc = req_rc(r, rc);
    req_unlink(r);
    req_settle_watch(r, rc == GR_OK);
    bool has = rc == GR_OK && value && value_len > 0;
    r->cb.data(rc, has ? value : NULL, has ? (size_t)value_len : 0,
               rc == GR_OK ? stat_from(&st, stat) : NULL, r->ctx);
    req_free(r);
}

static void on_children(int rc, const struct String_vector *strings, const struct Stat *stat,
                        const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    struct zk_stat st;
    rc = req_rc(r, rc);
    req_unlink(r);
    req_settle_watch(r, rc == GR_OK);
    bool has = rc == GR_OK && strings;
    r->cb.children(rc, has ? (const char *const *)strings->data : NULL, has ? strings->count : 0,
                   rc == GR_OK ? stat_from(&st, stat) : NULL, r->ctx);
    req_free(r);
}

static void on_multi(int rc, const void *data)
{
    struct zk_req *r = (struct zk_req *)data;
    struct zk_multi_state *m = &r->multi;
    rc = req_rc(r, rc);
    req_unlink(r);
    for (int i = 0; i < m->n; i++) {
        struct zk_op_result *o = &m->out[i];
        memset(o, 0, sizeof(*o));
        /* Connection-level failures never reach the per-op results. When an
         * op fails the server reports OK for the ops before it, although
         * they were rolled back with the rest: say so. */
        if (rc == GR_E_ZK_CONNLOSS || rc == GR_E_ZK_EXPIRED || rc == GR_E_CLOSING)
            o->rc = rc;
        else if (rc != GR_OK && m->zres[i].err == ZOK)
            o->rc = GR_E_ZK_ROLLEDBACK;
        else
            o->rc = req_rc(r, m->zres[i].err);
        if (o->rc != GR_OK)
            continue;
        if (m->ops[i].type == ZK_OP_CREATE)
            o->path = m->zres[i].value;
        else if (m->ops[i].type == ZK_OP_SET && m->zres[i].stat)
            stat_from(&o->stat, m->zres[i].stat);
    }
    r->cb.multi(rc, m->out, m->n, r->ctx);
    req_free(r);
}

static int create_mode(int flags)
{
    return ((flags & ZK_EPHEMERAL) ? ZOO_EPHEMERAL : 0) |
           ((flags & ZK_SEQUENTIAL) ? ZOO_SEQUENCE : 0);
}

/* Hands the request to the library. Returns its synchronous result (as
 * gregor's); on GR_OK the library owes the completion. */
static int req_submit(struct zk_req *r)
{
    zhandle_t *zh = r->zc->zh;
    struct zk_watch *w = r->watch;
    int dlen = r->data ? (int)r->len : -1;
    int rc;
    switch (r->kind) {
    case ZK_REQ_CREATE:
        rc = zoo_acreate2(zh, r->path, r->data, dlen, &ZOO_OPEN_ACL_UNSAFE, create_mode(r->flags),
                          on_create, r);
        break;
    case ZK_REQ_DELETE: rc = zoo_adelete(zh, r->path, r->version, on_void, r); break;
    case ZK_REQ_SET: rc = zoo_aset(zh, r->path, r->data, dlen, r->version, on_stat, r); break;
    case ZK_REQ_GET:
        rc = w ? zoo_awget(zh, r->path, watch_event, w, on_data, r)
               : zoo_aget(zh, r->path, 0, on_data, r);
        break;
    case ZK_REQ_CHILDREN:
        rc = w ? zoo_awget_children2(zh, r->path, watch_event, w, on_children, r)
               : zoo_aget_children2(zh, r->path, 0, on_children, r);
        break;
    case ZK_REQ_EXISTS:
        rc = w ? zoo_awexists(zh, r->path, watch_event, w, on_stat, r)
               : zoo_aexists(zh, r->path, 0, on_stat, r);
        break;
    case ZK_REQ_MULTI: {
        struct zk_multi_state *m = &r->multi;
        zoo_op_t *zops = calloc((size_t)m->n, sizeof(*zops));
        if (!zops)
            return GR_E_NOMEM;
        for (int i = 0; i < m->n; i++) {
            const struct zk_op *o = &m->ops[i];
            int ol = o->data ? (int)o->len : -1;
            switch (o->type) {
            case ZK_OP_CREATE:
                zoo_create_op_init(&zops[i], o->path, o->data, ol, &ZOO_OPEN_ACL_UNSAFE,
                                   create_mode(o->flags), m->bufs[i], (int)strlen(o->path) + 16);
                break;
            case ZK_OP_DELETE: zoo_delete_op_init(&zops[i], o->path, o->version); break;
            case ZK_OP_SET:
                zoo_set_op_init(&zops[i], o->path, o->data, ol, o->version, &m->stats[i]);
                break;
            case ZK_OP_CHECK: zoo_check_op_init(&zops[i], o->path, o->version); break;
            }
        }
        /* The library serialises the ops at once; only zres, stats and bufs
         * must outlive the call. */
        rc = zoo_amulti(zh, m->n, zops, m->zres, on_multi, r);
        free(zops);
        break;
    }
    default: rc = ZBADARGUMENTS; break;
    }
    if (rc == ZOK)
        r->sent = true;
    return gr_from_zoo(rc);
}

/* Calls a request's callback with rc without the library (it never had it,
 * or it is a timer), and frees it. */
static void req_fail(struct zk_req *r, int rc)
{
    req_unlink(r);
    free(r->watch);
    r->watch = NULL;
    switch (r->kind) {
    case ZK_REQ_CREATE: r->cb.create(rc, NULL, NULL, r->ctx); break;
    case ZK_REQ_DELETE:
    case ZK_REQ_AFTER:
        if (r->kind == ZK_REQ_AFTER)
            ev_timer_stop(r->zc->loop, &r->timer);
        r->cb.done(rc, r->ctx);
        break;
    case ZK_REQ_SET:
    case ZK_REQ_EXISTS: r->cb.stat(rc, NULL, r->ctx); break;
    case ZK_REQ_GET: r->cb.data(rc, NULL, 0, NULL, r->ctx); break;
    case ZK_REQ_CHILDREN: r->cb.children(rc, NULL, 0, NULL, r->ctx); break;
    case ZK_REQ_MULTI:
        for (int i = 0; i < r->multi.n; i++) {
            memset(&r->multi.out[i], 0, sizeof(r->multi.out[i]));
            r->multi.out[i].rc = rc;
        }
        r->cb.multi(rc, r->multi.out, r->multi.n, r->ctx);
        break;
    }
    req_free(r);
}

/* Queues a new request: sent now if connected, else when connected. */
static int req_start(struct zk_client *zc, struct zk_req *r)
{
    req_link(zc, r);
    if (zc->connected) {
        int rc = req_submit(r);
        if (rc != ZOK) {
            req_unlink(r);
            req_free(r);
            return rc;
        }
        client_kick(zc);
    }
    return GR_OK;
}

/* Sends every request that waited for a connection, oldest first. */
static void client_flush(struct zk_client *zc)
{
    struct zk_req *next;
    for (struct zk_req *r = zc->reqs_head; r && zc->connected && !zc->free_requested; r = next) {
        next = r->next;
        if (r->sent || r->kind == ZK_REQ_AFTER)
            continue;
        int rc = req_submit(r);
        if (rc != ZOK)
            req_fail(r, rc);
    }
}

/* Fails every request that never reached the library (session expired or
 * client freed); those the library holds are its to complete. Requests made
 * from inside these callbacks are not touched. */
static void client_fail_unsent(struct zk_client *zc, int rc, bool timers_too)
{
    struct zk_req *mine = NULL, **tail = &mine, *next;
    for (struct zk_req *r = zc->reqs_head; r; r = next) {
        next = r->next;
        if (r->sent || (r->kind == ZK_REQ_AFTER && !timers_too))
            continue;
        req_unlink(r);
        *tail = r;
        tail = &r->next;
    }
    while (mine) {
        struct zk_req *r = mine;
        mine = r->next;
        r->next = NULL;
        req_link(zc, r); /* req_fail unlinks it again */
        req_fail(r, rc);
    }
}

/* ---- sessions ------------------------------------------------------------ */

static void nag_start(struct zk_client *zc)
{
    if (!ev_is_active(&zc->nag)) {
        ev_timer_set(&zc->nag, zc->retry_log_interval_s, zc->retry_log_interval_s);
        ev_timer_start(zc->loop, &zc->nag);
    }
}

/* The connection is gone (the session may live on): tell the owner once. */
static void client_lost(struct zk_client *zc)
{
    if (!zc->connected)
        return;
    zc->connected = false;
    zc->down_since = ev_now(zc->loop);
    LOG_WARN("lost the connection to ZooKeeper at %s; session 0x%" PRIx64
             " survives if it reconnects within %d ms",
             zc->connect, (uint64_t)zc->session_id, zoo_recv_timeout(zc->zh));
    nag_start(zc);
    if (zc->cb.disconnected && !zc->free_requested)
        zc->cb.disconnected(zc, zc->ctx);
}

static void session_event(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)path;
    struct zk_client *zc = ctx;
    /* A handle being closed after expiry may still talk; only the current
     * one speaks for the session. */
    if (type != ZOO_SESSION_EVENT || zh != zc->zh)
        return;
    if (state == ZOO_CONNECTED_STATE) {
        const clientid_t *cid = zoo_client_id(zh);
        bool new_session = cid->client_id != zc->session_id;
        zc->session_id = cid->client_id;
        zc->connected = true;
        zc->ever_connected = true;
        ev_timer_stop(zc->loop, &zc->nag);
        ev_timer_stop(zc->loop, &zc->connect_deadline);
        LOG_INFO("connected to ZooKeeper at %s (server %s), %s 0x%" PRIx64 ", timeout %d ms",
                 zc->connect, zoo_get_current_server(zh),
                 new_session ? "new session" : "resumed session", (uint64_t)zc->session_id,
                 zoo_recv_timeout(zh));
        client_flush(zc);
        if (zc->cb.connected && !zc->free_requested)
            zc->cb.connected(zc, new_session, zc->ctx);
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
        client_lost(zc);
    } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
        /* The handle is dead; it cannot be closed from inside its own
         * callback, so settle replaces it once the library has returned. */
        zc->connected = false;
        zc->expired_pending = true;
        if (state == ZOO_AUTH_FAILED_STATE)
            LOG_ERROR("ZooKeeper at %s rejected authentication", zc->connect);
    }
}

/* Opens a handle for a new session. On failure (name resolution) the timer
 * retries, since a session must come back on its own. */
static int client_open(struct zk_client *zc, char *errstr, size_t errsz)
{
    zoo_log_level_from_logger();
    errno = 0;
    zc->zh = zookeeper_init2(zc->connect, session_event, zc->session_timeout_ms, NULL, zc,
                             ZOO_NO_LOG_CLIENTENV, zoo_log_line);
    if (zc->zh) {
        /* By default the library re-resolves the host names on every
         * zookeeper_interest() call, with a blocking getaddrinfo(); resolve
         * only when (re)connecting, as the Java client does. */
        zoo_set_servers_resolution_delay(zc->zh, -1);
    } else {
        int e = errno;
        if (errstr && errsz)
            snprintf(errstr, errsz, "cannot use ZooKeeper connect string \"%s\": %s", zc->connect,
                     e ? strerror(e) : "invalid");
        return GR_E_ZK_SYSTEM;
    }
    return GR_OK;
}

/* Replaces an expired handle: close it, fail what waited for it, report. */
static void client_replace_session(struct zk_client *zc)
{
    zc->expired_pending = false;
    LOG_WARN("ZooKeeper session 0x%" PRIx64 " at %s expired; opening a new session",
             (uint64_t)zc->session_id, zc->connect);
    ev_io_stop(zc->loop, &zc->io);
    if (zc->zh) {
        zhandle_t *old = zc->zh;
        zc->zh = NULL;
        zc->reaping = true;
        zookeeper_close(old);
        zc->reaping = false;
    }
    zc->down_since = ev_now(zc->loop);
    char why[256];
    if (client_open(zc, why, sizeof(why)) != GR_OK)
        LOG_ERROR("%s; retrying", why);
    nag_start(zc);
    client_fail_unsent(zc, GR_E_ZK_EXPIRED, false);
    watches_lose_all(zc);
    if (zc->cb.expired && !zc->free_requested)
        zc->cb.expired(zc, zc->ctx);
}

/* Asks the library what it waits for and arms io and timer accordingly;
 * handles an expiry the library reported meanwhile. */
static void client_settle(struct zk_client *zc)
{
    for (int round = 0; round < 4; round++) {
        if (zc->free_requested)
            return;
        if (zc->expired_pending) {
            client_replace_session(zc);
            continue;
        }
        ev_io_stop(zc->loop, &zc->io);
        ev_timer_stop(zc->loop, &zc->timer);
        if (!zc->zh) {
            ev_timer_set(&zc->timer, ZK_REOPEN_DELAY_S, 0.);
            ev_timer_start(zc->loop, &zc->timer);
            return;
        }
        int fd = -1, interest = 0;
        struct timeval tv = {0, 0};
        int rc = zookeeper_interest(zc->zh, &fd, &interest, &tv);
        if (zc->expired_pending || zc->free_requested)
            continue;
        /* A send that fails inside a request call makes the library drop the
         * socket without a session event; it reconnects on its own, but the
         * owner must hear about the gap. */
        int st = zoo_state(zc->zh);
        if (zc->connected && st != ZOO_CONNECTED_STATE && st != ZOO_READONLY_STATE) {
            client_lost(zc);
            continue;
        }
        double after = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
        if (rc != ZOK) {
            if (is_unrecoverable(zc->zh)) {
                zc->expired_pending = true;
                continue;
            }
            /* A refused or timed-out connect: the library closed the
             * socket and picks the next server on the next call. */
            fd = -1;
            after = ZK_RETRY_AFTER_ERROR_S;
        }
        if (fd >= 0 && interest) {
            int events = ((interest & ZOOKEEPER_READ) ? EV_READ : 0) |
                         ((interest & ZOOKEEPER_WRITE) ? EV_WRITE : 0);
            ev_io_set(&zc->io, fd, events);
            ev_io_start(zc->loop, &zc->io);
        }
        ev_timer_set(&zc->timer, after > 0 ? after : 0.001, 0.);
        ev_timer_start(zc->loop, &zc->timer);
        return;
    }
    /* Four expiries in a row without the loop running: try again shortly
     * rather than spin here. */
    ev_timer_stop(zc->loop, &zc->timer);
    ev_timer_set(&zc->timer, ZK_RETRY_AFTER_ERROR_S, 0.);
    ev_timer_start(zc->loop, &zc->timer);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct zk_client *zc = ZK_CONTAINER_OF(w, struct zk_client, io);
    int events =
        ((revents & EV_READ) ? ZOOKEEPER_READ : 0) | ((revents & EV_WRITE) ? ZOOKEEPER_WRITE : 0);
    client_enter(zc);
    if (zc->zh)
        zookeeper_process(zc->zh, events);
    client_settle(zc);
    client_leave(zc);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct zk_client *zc = ZK_CONTAINER_OF(w, struct zk_client, timer);
    client_enter(zc);
    if (!zc->zh && !zc->free_requested) {
        char why[256];
        if (client_open(zc, why, sizeof(why)) != GR_OK)
            LOG_DEBUG("%s; retrying", why);
    }
    client_settle(zc);
    client_leave(zc);
}

static void nag_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct zk_client *zc = ZK_CONTAINER_OF(w, struct zk_client, nag);
    if (zc->connected) {
        ev_timer_stop(loop, w);
        return;
    }
    double down = ev_now(loop) - zc->down_since;
    if (zc->ever_connected && zc->zh && !is_unrecoverable(zc->zh) && zc->session_id &&
        zoo_client_id(zc->zh)->client_id == zc->session_id)
        LOG_WARN(
            "cannot reach ZooKeeper at %s, retrying (disconnected for %.0f s; session 0x%" PRIx64
            " expires after %d ms)",
            zc->connect, down, (uint64_t)zc->session_id, zoo_recv_timeout(zc->zh));
    else
        LOG_WARN("cannot reach ZooKeeper at %s, retrying (no session for %.0f s)", zc->connect,
                 down);
}

static void connect_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct zk_client *zc = ZK_CONTAINER_OF(w, struct zk_client, connect_deadline);
    if (zc->ever_connected)
        return;
    LOG_ERROR("no ZooKeeper session at %s within zookeeper.connection.timeout.ms=%d; still trying",
              zc->connect, zc->connection_timeout_ms);
    client_enter(zc);
    if (zc->cb.connect_timeout && !zc->free_requested)
        zc->cb.connect_timeout(zc, zc->ctx);
    client_leave(zc);
}

/* ---- public API ---------------------------------------------------------- */

struct zk_client *zk_client_new(struct ev_loop *loop, const struct zk_client_config *cfg,
                                char *errstr, size_t errsz)
{
    if (!cfg->connect || !*cfg->connect || cfg->session_timeout_ms <= 0) {
        if (errstr && errsz)
            snprintf(errstr, errsz, "ZooKeeper needs a connect string and a session timeout");
        return NULL;
    }
    struct zk_client *zc = calloc(1, sizeof(*zc));
    if (!zc || !(zc->connect = strdup(cfg->connect))) {
        free(zc);
        if (errstr && errsz)
            snprintf(errstr, errsz, "out of memory");
        return NULL;
    }
    zc->loop = loop;
    zc->session_timeout_ms = cfg->session_timeout_ms;
    zc->connection_timeout_ms =
        cfg->connection_timeout_ms > 0 ? cfg->connection_timeout_ms : cfg->session_timeout_ms;
    zc->retry_log_interval_s =
        (cfg->retry_log_interval_ms > 0 ? cfg->retry_log_interval_ms : 5000) / 1000.0;
    zc->cb = cfg->cb;
    zc->ctx = cfg->ctx;
    ev_io_init(&zc->io, io_cb, -1, 0);
    ev_timer_init(&zc->timer, timer_cb, 0., 0.);
    ev_timer_init(&zc->nag, nag_cb, 0., 0.);
    ev_timer_init(&zc->connect_deadline, connect_deadline_cb, zc->connection_timeout_ms / 1000.0,
                  0.);
    if (client_open(zc, errstr, errsz) != GR_OK) {
        free(zc->connect);
        free(zc);
        return NULL;
    }
    zc->down_since = ev_now(loop);
    ev_timer_start(loop, &zc->connect_deadline);
    nag_start(zc);
    /* The first connect attempt happens on the loop, not in here. */
    client_kick(zc);
    return zc;
}

static void client_destroy(struct zk_client *zc)
{
    zc->depth++;
    ev_io_stop(zc->loop, &zc->io);
    ev_timer_stop(zc->loop, &zc->timer);
    ev_timer_stop(zc->loop, &zc->nag);
    ev_timer_stop(zc->loop, &zc->connect_deadline);
    if (zc->zh) {
        /* Completes every request the library holds with ZCLOSING. */
        zhandle_t *zh = zc->zh;
        zc->zh = NULL;
        zc->connected = false;
        zookeeper_close(zh);
    }
    client_fail_unsent(zc, GR_E_CLOSING, true);
    watches_lose_all(zc);
    free(zc->connect);
    free(zc);
}

void zk_client_free(struct zk_client *zc)
{
    if (!zc || zc->free_requested)
        return;
    zc->free_requested = true;
    if (zc->depth == 0)
        client_destroy(zc);
}

bool zk_client_connected(const struct zk_client *zc)
{
    return zc->connected;
}

int64_t zk_client_session_id(const struct zk_client *zc)
{
    return zc->session_id;
}

int zk_client_session_timeout_ms(const struct zk_client *zc)
{
    return zc->zh && zc->ever_connected ? zoo_recv_timeout(zc->zh) : zc->session_timeout_ms;
}

const char *zk_client_connect_string(const struct zk_client *zc)
{
    return zc->connect;
}

int zk_client_session_credentials(const struct zk_client *zc, int64_t *id, char passwd[16])
{
    if (!zc->zh || !zc->session_id)
        return GR_E_STATE;
    const clientid_t *cid = zoo_client_id(zc->zh);
    *id = cid->client_id;
    memcpy(passwd, cid->passwd, 16);
    return GR_OK;
}

/* The common start of every request: refuse while closing, check the path. */
static int req_precheck(struct zk_client *zc, const char *path, bool sequential, const void *cb)
{
    if (zc->free_requested)
        return GR_E_CLOSING;
    if (!cb || !path_valid(path, sequential))
        return GR_E_INVALID;
    return GR_OK;
}

int zk_client_create(struct zk_client *zc, const char *path, const char *data, size_t len,
                     int flags, zk_create_cb cb, void *ctx)
{
    int rc = req_precheck(zc, path, (flags & ZK_SEQUENTIAL) != 0, (const void *)cb);
    if (rc)
        return rc;
    if (flags & ~(ZK_EPHEMERAL | ZK_SEQUENTIAL) || len > INT32_MAX)
        return GR_E_INVALID;
    struct zk_req *r = req_new(zc, ZK_REQ_CREATE, path, data, len, ctx);
    if (!r)
        return GR_E_NOMEM;
    r->flags = flags;
    r->cb.create = cb;
    return req_start(zc, r);
}

int zk_client_delete(struct zk_client *zc, const char *path, int version, zk_void_cb cb, void *ctx)
{
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc)
        return rc;
    struct zk_req *r = req_new(zc, ZK_REQ_DELETE, path, NULL, 0, ctx);
    if (!r)
        return GR_E_NOMEM;
    r->version = version;
    r->cb.done = cb;
    return req_start(zc, r);
}

int zk_client_set(struct zk_client *zc, const char *path, const char *data, size_t len, int version,
                  zk_stat_cb cb, void *ctx)
{
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc)
        return rc;
    if (len > INT32_MAX)
        return GR_E_INVALID;
    struct zk_req *r = req_new(zc, ZK_REQ_SET, path, data, len, ctx);
    if (!r)
        return GR_E_NOMEM;
    r->version = version;
    r->cb.stat = cb;
    return req_start(zc, r);
}

static int read_start(struct zk_client *zc, enum zk_req_kind kind, const char *path,
                      const struct zk_watcher *watch, void *ctx, struct zk_req **out)
{
    struct zk_req *r = req_new(zc, kind, path, NULL, 0, ctx);
    if (!r)
        return GR_E_NOMEM;
    if (req_attach_watch(r, watch) != GR_OK) {
        req_free(r);
        return GR_E_NOMEM;
    }
    *out = r;
    return GR_OK;
}

int zk_client_get(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                  zk_data_cb cb, void *ctx)
{
    struct zk_req *r;
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc || (rc = read_start(zc, ZK_REQ_GET, path, watch, ctx, &r)) != GR_OK)
        return rc;
    r->cb.data = cb;
    return req_start(zc, r);
}

int zk_client_get_children(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                           zk_children_cb cb, void *ctx)
{
    struct zk_req *r;
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc || (rc = read_start(zc, ZK_REQ_CHILDREN, path, watch, ctx, &r)) != GR_OK)
        return rc;
    r->cb.children = cb;
    return req_start(zc, r);
}

int zk_client_exists(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                     zk_stat_cb cb, void *ctx)
{
    struct zk_req *r;
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc || (rc = read_start(zc, ZK_REQ_EXISTS, path, watch, ctx, &r)) != GR_OK)
        return rc;
    r->cb.stat = cb;
    return req_start(zc, r);
}

int zk_client_multi(struct zk_client *zc, const struct zk_op *ops, int n, zk_multi_cb cb, void *ctx)
{
    if (zc->free_requested)
        return GR_E_CLOSING;
    if (!cb || !ops || n < 1 || n > ZK_MULTI_MAX_OPS)
        return GR_E_INVALID;
    for (int i = 0; i < n; i++) {
        const struct zk_op *o = &ops[i];
        bool seq = o->type == ZK_OP_CREATE && (o->flags & ZK_SEQUENTIAL);
        if (!path_valid(o->path, seq) || o->len > INT32_MAX ||
            (o->type == ZK_OP_CREATE && (o->flags & ~(ZK_EPHEMERAL | ZK_SEQUENTIAL))) ||
            o->type < ZK_OP_CREATE || o->type > ZK_OP_CHECK)
            return GR_E_INVALID;
    }
    struct zk_req *r = req_new(zc, ZK_REQ_MULTI, NULL, NULL, 0, ctx);
    if (!r)
        return GR_E_NOMEM;
    struct zk_multi_state *m = &r->multi;
    m->n = n;
    m->ops = calloc((size_t)n, sizeof(*m->ops));
    m->zres = calloc((size_t)n, sizeof(*m->zres));
    m->stats = calloc((size_t)n, sizeof(*m->stats));
    m->bufs = calloc((size_t)n, sizeof(*m->bufs));
    m->out = calloc((size_t)n, sizeof(*m->out));
    bool bad = !m->ops || !m->zres || !m->stats || !m->bufs || !m->out;
    for (int i = 0; !bad && i < n; i++) {
        m->ops[i] = ops[i];
        m->ops[i].path = strdup(ops[i].path);
        m->ops[i].data = NULL;
        bad |= !m->ops[i].path;
        if (!bad && ops[i].data && (ops[i].type == ZK_OP_CREATE || ops[i].type == ZK_OP_SET)) {
            char *d = malloc(ops[i].len + 1);
            if (d)
                memcpy(d, ops[i].data, ops[i].len);
            m->ops[i].data = d;
            bad |= !d;
        }
        /* Room for the path plus ZooKeeper's 10-digit sequence suffix. */
        if (!bad && ops[i].type == ZK_OP_CREATE)
            bad |= !(m->bufs[i] = calloc(1, strlen(ops[i].path) + 16));
    }
    if (bad) {
        req_free(r);
        return GR_E_NOMEM;
    }
    r->cb.multi = cb;
    return req_start(zc, r);
}

static void after_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct zk_req *r = ZK_CONTAINER_OF(w, struct zk_req, timer);
    struct zk_client *zc = r->zc;
    client_enter(zc);
    req_fail(r, GR_OK);
    client_leave(zc);
}

int zk_client_after(struct zk_client *zc, int ms, zk_void_cb cb, void *ctx)
{
    if (zc->free_requested)
        return GR_E_CLOSING;
    if (!cb || ms < 0)
        return GR_E_INVALID;
    struct zk_req *r = req_new(zc, ZK_REQ_AFTER, NULL, NULL, 0, ctx);
    if (!r)
        return GR_E_NOMEM;
    r->cb.done = cb;
    ev_timer_init(&r->timer, after_cb, ms / 1000.0, 0.);
    ev_timer_start(zc->loop, &r->timer);
    req_link(zc, r);
    return GR_OK;
}

/* ---- create_recursive ---------------------------------------------------- */

/* Kafka's createRecursive: try the path; on NONODE create the ancestors top
 * down (each may already exist) and try again. */
struct zk_mkdirs {
    struct zk_client *zc; /* client the steps run on */
    char *path;           /* target path, owned */
    char *prefix;         /* scratch: the ancestor being created, owned */
    char *data;           /* target data, owned (NULL = none) */
    size_t len;           /* bytes of data */
    size_t pos;           /* where the search for the next ancestor's end starts */
    zk_create_cb cb;      /* the owner's callback */
    void *ctx;            /* its context */
};

static void mkdirs_finish(struct zk_mkdirs *mk, int rc, const char *path,
                          const struct zk_stat *stat)
{
    mk->cb(rc, path, stat, mk->ctx);
    free(mk->path);
    free(mk->prefix);
    free(mk->data);
    free(mk);
}

static void mkdirs_final_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    mkdirs_finish(ctx, rc, path, stat);
}

static void mkdirs_parent_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx);

static void mkdirs_next(struct zk_mkdirs *mk)
{
    const char *slash = strchr(mk->path + mk->pos, '/');
    int rc;
    if (slash) {
        size_t n = (size_t)(slash - mk->path);
        memcpy(mk->prefix, mk->path, n);
        mk->prefix[n] = '\0';
        mk->pos = n + 1;
        rc = zk_client_create(mk->zc, mk->prefix, NULL, 0, ZK_PERSISTENT, mkdirs_parent_cb, mk);
    } else {
        rc = zk_client_create(mk->zc, mk->path, mk->data, mk->len, ZK_PERSISTENT, mkdirs_final_cb,
                              mk);
    }
    if (rc != GR_OK)
        mkdirs_finish(mk, rc, NULL, NULL);
}

static void mkdirs_parent_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    (void)path;
    (void)stat;
    struct zk_mkdirs *mk = ctx;
    if (rc == GR_OK || rc == GR_E_EXISTS)
        mkdirs_next(mk);
    else
        mkdirs_finish(mk, rc, NULL, NULL);
}

static void mkdirs_first_cb(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    struct zk_mkdirs *mk = ctx;
    if (rc != GR_E_NOENT) {
        mkdirs_finish(mk, rc, path, stat);
        return;
    }
    mk->pos = 1;
    mkdirs_next(mk);
}

int zk_client_create_recursive(struct zk_client *zc, const char *path, const char *data, size_t len,
                               zk_create_cb cb, void *ctx)
{
    int rc = req_precheck(zc, path, false, (const void *)cb);
    if (rc)
        return rc;
    struct zk_mkdirs *mk = calloc(1, sizeof(*mk));
    if (!mk)
        return GR_E_NOMEM;
    mk->zc = zc;
    mk->cb = cb;
    mk->ctx = ctx;
    mk->len = len;
    mk->path = strdup(path);
    mk->prefix = calloc(1, strlen(path) + 1);
    if (data && (mk->data = malloc(len + 1)))
        memcpy(mk->data, data, len);
    if (!mk->path || !mk->prefix || (data && !mk->data)) {
        free(mk->path);
        free(mk->prefix);
        free(mk->data);
        free(mk);
        return GR_E_NOMEM;
    }
    rc = zk_client_create(zc, path, data, len, ZK_PERSISTENT, mkdirs_first_cb, mk);
    if (rc != GR_OK) {
        free(mk->path);
        free(mk->prefix);
        free(mk->data);
        free(mk);
    }
    return rc;
}
