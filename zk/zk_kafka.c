/*
 * Kafka's ZooKeeper-mode operations (see zk_kafka.h for the contract).
 *
 * Each operation is a small heap object whose first member is a struct kop:
 * the client and the function that issues the current step's request. Every
 * completion first offers its rc to kop_retry(), which re-runs the step after
 * a connection loss (zk_client holds the request until it has reconnected),
 * then moves the operation on or finishes it. finish functions call the
 * owner's callback exactly once and free the object; a step whose request
 * cannot even be issued finishes the operation right there, which is safe
 * because steps after the first only run inside completions.
 */
#include "zk/zk_kafka.h"

#include <ev.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_COMPONENT "zk"
#include "common/err.h"
#include "common/logger.h"

#define PATH_MAX_LEN 512
#define WHY_LEN 512

/* The head of every multi-step operation. */
struct kop {
    struct zk_client *zc;       /* the client the steps run on */
    void (*step)(struct kop *); /* issues the current step; re-run after a connection loss */
};

/* Re-runs the current step if rc is a connection loss; true if it did. */
static bool kop_retry(struct kop *k, int rc)
{
    if (rc != ZK_CONNECTIONLOSS)
        return false;
    LOG_DEBUG("ZooKeeper connection lost during a request; retrying it once reconnected");
    k->step(k);
    return true;
}

static void kop_run(struct kop *k, void (*step)(struct kop *))
{
    k->step = step;
    step(k);
}

__attribute__((format(printf, 3, 4))) static const char *fmt_why(char *buf, size_t n,
                                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool zk_kafka_topic_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > 249 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void topic_path(char *out, const char *topic)
{
    snprintf(out, PATH_MAX_LEN, "/brokers/topics/%s", topic);
}

static void state_path(char *out, const char *topic, int32_t partition)
{
    snprintf(out, PATH_MAX_LEN, "/brokers/topics/%s/partitions/%d/state", topic, (int)partition);
}

/* ---- make_chroot --------------------------------------------------------- */

struct chroot_op {
    struct zk_client *zc; /* short-lived client without the chroot */
    char *chroot;         /* the path to create, owned */
    bool timed_out;       /* nobody answered in time */
    zk_kafka_done_cb cb;  /* owner's callback */
    void *ctx;            /* its context */
    char why[WHY_LEN];    /* failure text */
};

static void chroot_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct chroot_op *op = ctx;
    if (op->timed_out)
        rc = ZK_OPERATIONTIMEOUT;
    if (rc == ZK_NODEEXISTS)
        rc = ZK_OK;
    const char *why = NULL;
    if (rc == ZK_OPERATIONTIMEOUT)
        why = fmt_why(op->why, sizeof(op->why), "cannot create chroot %s: no ZooKeeper answered",
                      op->chroot);
    else if (rc != ZK_OK)
        why = fmt_why(op->why, sizeof(op->why), "cannot create chroot %s: %s", op->chroot,
                      zk_strerror(rc));
    else
        LOG_INFO("ZooKeeper chroot %s is in place", op->chroot);
    op->cb(rc, why, op->ctx);
    /* Allowed inside the client's own callback; it closes at the safe point. */
    zk_client_free(op->zc);
    free(op->chroot);
    free(op);
}

static void chroot_timeout(struct zk_client *zc, void *ctx)
{
    struct chroot_op *op = ctx;
    op->timed_out = true;
    /* The pending create completes with ZK_CLOSING and reports the timeout. */
    zk_client_free(zc);
}

struct chroot_nothing {
    zk_kafka_done_cb cb; /* owner's callback */
    void *ctx;           /* its context */
};

static void chroot_nothing_cb(int revents, void *arg)
{
    (void)revents;
    struct chroot_nothing *n = arg;
    n->cb(ZK_OK, NULL, n->ctx);
    free(n);
}

int zk_kafka_make_chroot(struct ev_loop *loop, const char *connect, int session_timeout_ms,
                         zk_kafka_done_cb cb, void *ctx)
{
    if (!connect || !cb)
        return ZK_BADARGUMENTS;
    const char *slash = strchr(connect, '/');
    if (!slash || strcmp(slash, "/") == 0) {
        /* Nothing to do, but the callback still comes from the loop. */
        struct chroot_nothing *n = malloc(sizeof(*n));
        if (!n)
            return ZK_E_NOMEM;
        n->cb = cb;
        n->ctx = ctx;
        ev_once(loop, -1, 0, 0., chroot_nothing_cb, n);
        return ZK_OK;
    }
    struct chroot_op *op = calloc(1, sizeof(*op));
    char *hosts = strndup(connect, (size_t)(slash - connect));
    if (!op || !hosts || !(op->chroot = strdup(slash))) {
        free(hosts);
        if (op)
            free(op->chroot);
        free(op);
        return ZK_E_NOMEM;
    }
    op->cb = cb;
    op->ctx = ctx;
    struct zk_client_config cfg = {
        .connect = hosts,
        .session_timeout_ms = session_timeout_ms,
        .connection_timeout_ms = session_timeout_ms,
        .cb = {.connect_timeout = chroot_timeout},
        .ctx = op,
    };
    char err[256];
    op->zc = zk_client_new(loop, &cfg, err, sizeof(err));
    free(hosts);
    int rc = op->zc ? zk_client_create_recursive(op->zc, op->chroot, NULL, 0, chroot_created, op)
                    : ZK_BADARGUMENTS;
    if (rc != ZK_OK) {
        if (!op->zc)
            LOG_ERROR("cannot create chroot %s: %s", op->chroot, err);
        zk_client_free(op->zc);
        free(op->chroot);
        free(op);
    }
    return rc;
}

/* ---- top-level paths ----------------------------------------------------- */

/* Kafka 2.8's ZkData.PersistentZkPaths (kafka-compat.md §3 lists the ones
 * gregor itself uses; the rest keep Kafka's own tools happy). */
static const char *const top_level_paths[] = {
    "/consumers",           "/brokers/ids",        "/brokers/topics",
    "/config/changes",      "/admin/delete_topics", "/brokers/seqid",
    "/isr_change_notification", "/latest_producer_id_block", "/log_dir_event_notification",
    "/config/topics",       "/config/clients",     "/config/users",
    "/config/brokers",      "/config/ips",
};
#define N_TOP_LEVEL (sizeof(top_level_paths) / sizeof(top_level_paths[0]))

struct toplevel;

struct toplevel_item {
    struct kop k;         /* retry state of this path */
    struct toplevel *t;   /* the whole operation */
    const char *path;     /* static */
};

struct toplevel {
    int pending;          /* paths not finished */
    int rc;               /* first failure */
    zk_kafka_done_cb cb;  /* owner's callback */
    void *ctx;            /* its context */
    char why[WHY_LEN];    /* first failure's text */
    struct toplevel_item items[N_TOP_LEVEL]; /* one per path */
};

static void toplevel_item_done(struct toplevel_item *it, int rc)
{
    struct toplevel *t = it->t;
    if (rc != ZK_OK && rc != ZK_NODEEXISTS && t->rc == ZK_OK) {
        t->rc = rc;
        fmt_why(t->why, sizeof(t->why), "cannot create %s: %s", it->path, zk_strerror(rc));
    }
    if (--t->pending > 0)
        return;
    t->cb(t->rc, t->rc == ZK_OK ? NULL : t->why, t->ctx);
    free(t);
}

static void toplevel_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct toplevel_item *it = ctx;
    if (!kop_retry(&it->k, rc))
        toplevel_item_done(it, rc);
}

static void toplevel_step(struct kop *k)
{
    struct toplevel_item *it = (struct toplevel_item *)k;
    int rc = zk_client_create_recursive(k->zc, it->path, NULL, 0, toplevel_created, it);
    if (rc != ZK_OK)
        toplevel_item_done(it, rc);
}

int zk_kafka_create_top_level_paths(struct zk_client *zc, zk_kafka_done_cb cb, void *ctx)
{
    if (!cb)
        return ZK_BADARGUMENTS;
    struct toplevel *t = calloc(1, sizeof(*t));
    if (!t)
        return ZK_E_NOMEM;
    t->cb = cb;
    t->ctx = ctx;
    /* All at once: siblings racing for a shared parent see NODEEXISTS, which
     * create_recursive accepts. */
    int issued = 0, first_rc = ZK_OK;
    t->pending = (int)N_TOP_LEVEL + 1; /* +1 until the loop is done */
    for (size_t i = 0; i < N_TOP_LEVEL; i++) {
        struct toplevel_item *it = &t->items[i];
        it->t = t;
        it->path = top_level_paths[i];
        it->k.zc = zc;
        it->k.step = toplevel_step;
        int rc = zk_client_create_recursive(zc, it->path, NULL, 0, toplevel_created, it);
        if (rc == ZK_OK) {
            issued++;
        } else {
            if (first_rc == ZK_OK)
                first_rc = rc;
            t->pending--;
        }
    }
    if (issued == 0) {
        free(t);
        return first_rc;
    }
    if (first_rc != ZK_OK) {
        t->rc = first_rc;
        fmt_why(t->why, sizeof(t->why), "cannot create the top-level paths: %s",
                zk_strerror(first_rc));
    }
    t->pending--; /* cannot reach 0 here: issued requests are still pending */
    return ZK_OK;
}

/* ---- cluster id ---------------------------------------------------------- */

struct clusterid {
    struct kop k;                /* retry state */
    char *json;                  /* proposed /cluster/id contents, owned */
    char proposed[ZK_CLUSTER_ID_MAX + 1]; /* proposed id */
    zk_kafka_cluster_id_cb cb;   /* owner's callback */
    void *ctx;                   /* its context */
    char why[WHY_LEN];           /* failure text */
};

static void clusterid_finish(struct clusterid *op, int rc, const char *id, const char *why)
{
    op->cb(rc, rc == ZK_OK ? id : NULL, why, op->ctx);
    free(op->json);
    free(op);
}

static void clusterid_step_create(struct kop *k);

static void clusterid_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct clusterid *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) { /* deleted between our create and read: again */
        kop_run(&op->k, clusterid_step_create);
        return;
    }
    if (rc != ZK_OK) {
        clusterid_finish(op, rc, NULL,
                         fmt_why(op->why, sizeof(op->why), "cannot read /cluster/id: %s",
                                 zk_strerror(rc)));
        return;
    }
    char id[ZK_CLUSTER_ID_MAX + 1], err[256];
    if (zk_json_cluster_id_decode(data, len, id, sizeof(id), err, sizeof(err)) != 0) {
        clusterid_finish(op, ZK_E_BADJSON, NULL,
                         fmt_why(op->why, sizeof(op->why), "/cluster/id: %s", err));
        return;
    }
    clusterid_finish(op, ZK_OK, id, NULL);
}

static void clusterid_step_get(struct kop *k)
{
    struct clusterid *op = (struct clusterid *)k;
    int rc = zk_client_get(k->zc, "/cluster/id", NULL, clusterid_got, op);
    if (rc != ZK_OK)
        clusterid_finish(op, rc, NULL, zk_strerror(rc));
}

static void clusterid_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct clusterid *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK) {
        LOG_INFO("created /cluster/id with cluster id %s", op->proposed);
        clusterid_finish(op, ZK_OK, op->proposed, NULL);
    } else if (rc == ZK_NODEEXISTS) {
        kop_run(&op->k, clusterid_step_get);
    } else {
        clusterid_finish(op, rc, NULL,
                         fmt_why(op->why, sizeof(op->why), "cannot create /cluster/id: %s",
                                 zk_strerror(rc)));
    }
}

static void clusterid_step_create(struct kop *k)
{
    struct clusterid *op = (struct clusterid *)k;
    int rc = zk_client_create_recursive(k->zc, "/cluster/id", op->json, strlen(op->json),
                                        clusterid_created, op);
    if (rc != ZK_OK)
        clusterid_finish(op, rc, NULL, zk_strerror(rc));
}

int zk_kafka_get_or_create_cluster_id(struct zk_client *zc, const char *proposed,
                                      zk_kafka_cluster_id_cb cb, void *ctx)
{
    if (!cb || !proposed || !*proposed || strlen(proposed) > ZK_CLUSTER_ID_MAX)
        return ZK_BADARGUMENTS;
    struct clusterid *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    char err[256];
    if (zk_json_cluster_id_encode(proposed, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return ZK_E_NOMEM;
    }
    memcpy(op->proposed, proposed, strlen(proposed) + 1);
    op->k.zc = zc;
    op->k.step = clusterid_step_create;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_create_recursive(zc, "/cluster/id", op->json, strlen(op->json),
                                        clusterid_created, op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- broker id generation ------------------------------------------------ */

struct brokerid {
    struct kop k;             /* retry state */
    int32_t reserved;         /* reserved.broker.max.id */
    zk_kafka_broker_id_cb cb; /* owner's callback */
    void *ctx;                /* its context */
    char why[WHY_LEN];        /* failure text */
};

static void brokerid_finish(struct brokerid *op, int rc, int32_t id, const char *why)
{
    op->cb(rc, id, why, op->ctx);
    free(op);
}

static void brokerid_step_set(struct kop *k);

static void brokerid_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct brokerid *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK || rc == ZK_NODEEXISTS)
        kop_run(&op->k, brokerid_step_set);
    else
        brokerid_finish(op, rc, -1,
                        fmt_why(op->why, sizeof(op->why), "cannot create /brokers/seqid: %s",
                                zk_strerror(rc)));
}

static void brokerid_step_make(struct kop *k)
{
    int rc = zk_client_create_recursive(k->zc, "/brokers/seqid", "", 0, brokerid_made, k);
    if (rc != ZK_OK)
        brokerid_finish((struct brokerid *)k, rc, -1, zk_strerror(rc));
}

static void brokerid_set(int rc, const struct zk_stat *st, void *ctx)
{
    struct brokerid *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) {
        kop_run(&op->k, brokerid_step_make);
        return;
    }
    if (rc != ZK_OK) {
        brokerid_finish(op, rc, -1,
                        fmt_why(op->why, sizeof(op->why), "cannot update /brokers/seqid: %s",
                                zk_strerror(rc)));
        return;
    }
    /* Kafka: the version after the set (1 for the first broker) plus the
     * reserved range. */
    int64_t id = (int64_t)st->version + op->reserved;
    if (id > INT32_MAX) {
        brokerid_finish(op, ZK_BADARGUMENTS, -1,
                        fmt_why(op->why, sizeof(op->why),
                                "generated broker id overflows (seqid version %d)",
                                (int)st->version));
        return;
    }
    LOG_INFO("generated broker id %" PRId64 " from /brokers/seqid version %d", id,
             (int)st->version);
    brokerid_finish(op, ZK_OK, (int32_t)id, NULL);
}

static void brokerid_step_set(struct kop *k)
{
    int rc = zk_client_set(k->zc, "/brokers/seqid", "", 0, ZK_ANY_VERSION, brokerid_set, k);
    if (rc != ZK_OK)
        brokerid_finish((struct brokerid *)k, rc, -1, zk_strerror(rc));
}

int zk_kafka_generate_broker_id(struct zk_client *zc, int32_t reserved_max_id,
                                zk_kafka_broker_id_cb cb, void *ctx)
{
    if (!cb || reserved_max_id < 0)
        return ZK_BADARGUMENTS;
    struct brokerid *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    op->k.zc = zc;
    op->k.step = brokerid_step_set;
    op->reserved = reserved_max_id;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_set(zc, "/brokers/seqid", "", 0, ZK_ANY_VERSION, brokerid_set, op);
    if (rc != ZK_OK)
        free(op);
    return rc;
}

/* ---- broker registration ------------------------------------------------- */

struct reg {
    struct kop k;                /* retry state */
    int32_t id;                  /* broker id */
    char path[PATH_MAX_LEN];     /* /brokers/ids/<id> */
    char *json;                  /* our registration, owned */
    struct zk_broker_info ours;  /* our endpoints, for recognising a stale node */
    double foreign_since;        /* when another holder was first seen, 0 = not yet */
    int32_t stale_version;       /* version of the stale node to delete */
    zk_kafka_register_cb cb;     /* owner's callback */
    void *ctx;                   /* its context */
    char why[WHY_LEN];           /* failure text */
};

static void reg_finish(struct reg *op, int rc, int64_t epoch, const char *why)
{
    if (rc == ZK_OK)
        LOG_INFO("registered broker %d at %s, czxid (broker epoch) %" PRId64, (int)op->id, op->path,
                 epoch);
    op->cb(rc, epoch, why, op->ctx);
    free(op->json);
    zk_broker_info_destroy(&op->ours);
    free(op);
}

/* Same listeners on the same host:port, in any order. */
static bool same_endpoints(const struct zk_broker_info *a, const struct zk_broker_info *b)
{
    if (a->n_endpoints != b->n_endpoints)
        return false;
    for (int i = 0; i < a->n_endpoints; i++) {
        const struct zk_endpoint *x = &a->endpoints[i];
        bool found = false;
        for (int k = 0; k < b->n_endpoints && !found; k++) {
            const struct zk_endpoint *y = &b->endpoints[k];
            found = strcasecmp(x->listener, y->listener) == 0 && x->port == y->port &&
                    strcmp(x->host ? x->host : "", y->host ? y->host : "") == 0;
        }
        if (!found)
            return false;
    }
    return true;
}

static void reg_step_create(struct kop *k);
static void reg_step_get(struct kop *k);

static void reg_retry_later(int rc, void *ctx)
{
    struct reg *op = ctx;
    if (rc != ZK_OK) {
        reg_finish(op, rc, -1, zk_strerror(rc));
        return;
    }
    kop_run(&op->k, reg_step_create);
}

static void reg_deleted(int rc, void *ctx)
{
    struct reg *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK || rc == ZK_NONODE)
        kop_run(&op->k, reg_step_create);
    else if (rc == ZK_BADVERSION) /* it changed under us: look again */
        kop_run(&op->k, reg_step_get);
    else
        reg_finish(op, rc, -1,
                   fmt_why(op->why, sizeof(op->why), "cannot delete stale %s: %s", op->path,
                           zk_strerror(rc)));
}

static void reg_step_delete(struct kop *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_delete(k->zc, op->path, op->stale_version, reg_deleted, op);
    if (rc != ZK_OK)
        reg_finish(op, rc, -1, zk_strerror(rc));
}

static void reg_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct reg *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) { /* went away meanwhile */
        kop_run(&op->k, reg_step_create);
        return;
    }
    if (rc != ZK_OK) {
        reg_finish(op, rc, -1,
                   fmt_why(op->why, sizeof(op->why), "cannot read %s: %s", op->path,
                           zk_strerror(rc)));
        return;
    }
    if (st->ephemeral_owner == zk_client_session_id(op->k.zc)) {
        /* KAFKA-7165: our own create went through (a retry after a
         * connection loss, or a second call): it is ours. */
        LOG_INFO("%s already belongs to this session 0x%" PRIx64, op->path,
                 (uint64_t)st->ephemeral_owner);
        reg_finish(op, ZK_OK, st->czxid, NULL);
        return;
    }
    struct zk_broker_info theirs;
    char err[256];
    bool decoded = zk_json_broker_decode(data, len, &theirs, err, sizeof(err)) == 0;
    if (decoded && same_endpoints(&op->ours, &theirs)) {
        /* We hold these listening sockets, so no other live broker can serve
         * them: this is our registration from a session that has not expired
         * yet (a quick restart). Replace it. */
        LOG_WARN("%s is a stale registration of this broker (same endpoints) from session 0x%" PRIx64
                 "; replacing it",
                 op->path, (uint64_t)st->ephemeral_owner);
        zk_broker_info_destroy(&theirs);
        op->stale_version = st->version;
        kop_run(&op->k, reg_step_delete);
        return;
    }
    char holder[320];
    if (decoded && theirs.n_endpoints > 0) {
        const struct zk_endpoint *e = &theirs.endpoints[0];
        snprintf(holder, sizeof(holder), "%s://%s:%d", e->listener, e->host, (int)e->port);
    } else {
        snprintf(holder, sizeof(holder), "an unreadable registration (%s)", err);
    }
    zk_broker_info_destroy(&theirs);
    double now = mono_now();
    int timeout_ms = zk_client_session_timeout_ms(op->k.zc);
    if (op->foreign_since == 0) {
        op->foreign_since = now;
        LOG_WARN("broker id %d is registered by another broker at %s (session 0x%" PRIx64
                 "); retrying for %d ms in case that session is expiring",
                 (int)op->id, holder, (uint64_t)st->ephemeral_owner, timeout_ms);
    }
    if ((now - op->foreign_since) * 1000.0 >= timeout_ms) {
        reg_finish(op, ZK_E_BROKER_ID_TAKEN, -1,
                   fmt_why(op->why, sizeof(op->why),
                           "broker id %d is already registered by another live broker at %s "
                           "(%s, session 0x%" PRIx64 "); configure a different broker.id",
                           (int)op->id, holder, op->path, (uint64_t)st->ephemeral_owner));
        return;
    }
    int wait_ms = timeout_ms / 4 < 1000 ? timeout_ms / 4 : 1000;
    rc = zk_client_after(op->k.zc, wait_ms > 50 ? wait_ms : 50, reg_retry_later, op);
    if (rc != ZK_OK)
        reg_finish(op, rc, -1, zk_strerror(rc));
}

static void reg_step_get(struct kop *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_get(k->zc, op->path, NULL, reg_got, op);
    if (rc != ZK_OK)
        reg_finish(op, rc, -1, zk_strerror(rc));
}

static void reg_parent_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct reg *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK || rc == ZK_NODEEXISTS)
        kop_run(&op->k, reg_step_create);
    else
        reg_finish(op, rc, -1,
                   fmt_why(op->why, sizeof(op->why), "cannot create /brokers/ids: %s",
                           zk_strerror(rc)));
}

static void reg_step_parent(struct kop *k)
{
    int rc = zk_client_create_recursive(k->zc, "/brokers/ids", NULL, 0, reg_parent_made, k);
    if (rc != ZK_OK)
        reg_finish((struct reg *)k, rc, -1, zk_strerror(rc));
}

static void reg_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    struct reg *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        reg_finish(op, ZK_OK, st ? st->czxid : -1, NULL);
    else if (rc == ZK_NODEEXISTS)
        kop_run(&op->k, reg_step_get);
    else if (rc == ZK_NONODE)
        kop_run(&op->k, reg_step_parent);
    else
        reg_finish(op, rc, -1,
                   fmt_why(op->why, sizeof(op->why), "cannot create %s: %s", op->path,
                           zk_strerror(rc)));
}

static void reg_step_create(struct kop *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_create(k->zc, op->path, op->json, strlen(op->json), ZK_EPHEMERAL,
                              reg_created, op);
    if (rc != ZK_OK)
        reg_finish(op, rc, -1, zk_strerror(rc));
}

int zk_kafka_register_broker(struct zk_client *zc, int32_t broker_id,
                             const struct zk_broker_info *info, zk_kafka_register_cb cb,
                             void *ctx)
{
    if (!cb || !info || broker_id < 0)
        return ZK_BADARGUMENTS;
    struct reg *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    arena_init(&op->ours.mem);
    char err[256];
    if (zk_json_broker_encode(info, &op->json, err, sizeof(err)) != 0) {
        LOG_ERROR("cannot register broker %d: %s", (int)broker_id, err);
        free(op);
        return ZK_BADARGUMENTS;
    }
    /* Keep our endpoints in the form a decoder produces, for comparison. */
    if (zk_json_broker_decode(op->json, strlen(op->json), &op->ours, err, sizeof(err)) != 0) {
        free(op->json);
        free(op);
        return ZK_E_NOMEM;
    }
    op->id = broker_id;
    snprintf(op->path, sizeof(op->path), "/brokers/ids/%d", (int)broker_id);
    op->k.zc = zc;
    op->k.step = reg_step_create;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_create(zc, op->path, op->json, strlen(op->json), ZK_EPHEMERAL, reg_created,
                              op);
    if (rc != ZK_OK) {
        free(op->json);
        zk_broker_info_destroy(&op->ours);
        free(op);
    }
    return rc;
}

/* ---- controller election ------------------------------------------------- */

struct elect {
    struct kop k;            /* retry state */
    int32_t id;              /* candidate broker id */
    char *json;              /* /controller contents, owned */
    int32_t epoch;           /* /controller_epoch read */
    int32_t version;         /* its znode version */
    zk_kafka_election_cb cb; /* owner's callback */
    void *ctx;               /* its context */
    char why[WHY_LEN];       /* failure text */
};

static void elect_finish(struct elect *op, int rc, bool won, int32_t controller, int32_t epoch,
                         int32_t zk_version, const char *why)
{
    struct zk_kafka_election e = {rc, won, controller, epoch, zk_version, why};
    if (rc == ZK_OK && won)
        LOG_INFO("broker %d is the controller, epoch %d (/controller_epoch version %d)",
                 (int)op->id, (int)epoch, (int)zk_version);
    else if (rc == ZK_OK)
        LOG_INFO("broker %d lost the controller election; controller is %d", (int)op->id,
                 (int)controller);
    op->cb(&e, op->ctx);
    free(op->json);
    free(op);
}

static void elect_fail(struct elect *op, int rc, const char *what)
{
    elect_finish(op, rc, false, -1, -1, -1,
                 fmt_why(op->why, sizeof(op->why), "controller election: %s: %s", what,
                         zk_strerror(rc)));
}

static void elect_step_get_epoch(struct kop *k);
static void elect_step_multi(struct kop *k);

/* Reads an epoch znode's data; false (and op finished) if malformed. */
static bool elect_decode_epoch(struct elect *op, const char *data, size_t len, int32_t *epoch)
{
    char err[256];
    if (zk_json_controller_epoch_decode(data, len, epoch, err, sizeof(err)) == 0)
        return true;
    elect_finish(op, ZK_E_BADJSON, false, -1, -1, -1,
                 fmt_why(op->why, sizeof(op->why), "/controller_epoch: %s", err));
    return false;
}

static void elect_check_epoch_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                                  void *ctx)
{
    struct elect *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc != ZK_OK) {
        elect_fail(op, rc, "cannot read /controller_epoch");
        return;
    }
    int32_t epoch;
    if (!elect_decode_epoch(op, data, len, &epoch))
        return;
    /* /controller is ours: we won if the epoch is the one our multi wrote
     * (its reply was lost); otherwise /controller was ours already. */
    if (epoch == op->epoch + 1)
        elect_finish(op, ZK_OK, true, op->id, epoch, st->version, NULL);
    else
        elect_finish(op, ZK_OK, false, op->id, -1, -1, NULL);
}

static void elect_step_check_epoch(struct kop *k)
{
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, elect_check_epoch_got, k);
    if (rc != ZK_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller_epoch");
}

static void elect_controller_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                                 void *ctx)
{
    (void)st;
    struct elect *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) { /* the winner is already gone */
        elect_finish(op, ZK_OK, false, -1, -1, -1, NULL);
        return;
    }
    if (rc != ZK_OK) {
        elect_fail(op, rc, "cannot read /controller");
        return;
    }
    int32_t id;
    char err[256];
    if (zk_json_controller_decode(data, len, &id, err, sizeof(err)) != 0) {
        elect_finish(op, ZK_E_BADJSON, false, -1, -1, -1,
                     fmt_why(op->why, sizeof(op->why), "/controller: %s", err));
        return;
    }
    if (id != op->id)
        elect_finish(op, ZK_OK, false, id, -1, -1, NULL);
    else
        kop_run(&op->k, elect_step_check_epoch);
}

static void elect_step_check_controller(struct kop *k)
{
    int rc = zk_client_get(k->zc, "/controller", NULL, elect_controller_got, k);
    if (rc != ZK_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller");
}

static void elect_multi_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct elect *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK && n == 2)
        elect_finish(op, ZK_OK, true, op->id, op->epoch + 1, res[1].stat.version, NULL);
    else if (rc == ZK_NODEEXISTS || rc == ZK_BADVERSION)
        kop_run(&op->k, elect_step_check_controller);
    else
        elect_fail(op, rc, "cannot create /controller");
}

static void elect_step_multi(struct kop *k)
{
    struct elect *op = (struct elect *)k;
    char next[16];
    if (op->epoch == INT32_MAX) {
        elect_finish(op, ZK_BADARGUMENTS, false, -1, -1, -1, "controller epoch overflows");
        return;
    }
    int n = zk_json_controller_epoch_encode(op->epoch + 1, next, sizeof(next));
    struct zk_op ops[] = {
        zk_op_create("/controller", op->json, strlen(op->json), ZK_EPHEMERAL),
        zk_op_set("/controller_epoch", next, (size_t)n, op->version),
    };
    int rc = zk_client_multi(k->zc, ops, 2, elect_multi_done, op);
    if (rc != ZK_OK)
        elect_fail(op, rc, "cannot create /controller");
}

static void elect_epoch_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct elect *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK) {
        LOG_INFO("created /controller_epoch with epoch 0");
        op->epoch = 0;
        op->version = 0;
        kop_run(&op->k, elect_step_multi);
    } else if (rc == ZK_NODEEXISTS) {
        kop_run(&op->k, elect_step_get_epoch);
    } else {
        elect_fail(op, rc, "cannot create /controller_epoch");
    }
}

static void elect_step_create_epoch(struct kop *k)
{
    int rc = zk_client_create(k->zc, "/controller_epoch", "0", 1, ZK_PERSISTENT,
                              elect_epoch_created, k);
    if (rc != ZK_OK)
        elect_fail((struct elect *)k, rc, "cannot create /controller_epoch");
}

static void elect_epoch_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                            void *ctx)
{
    struct elect *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) {
        kop_run(&op->k, elect_step_create_epoch);
        return;
    }
    if (rc != ZK_OK) {
        elect_fail(op, rc, "cannot read /controller_epoch");
        return;
    }
    if (!elect_decode_epoch(op, data, len, &op->epoch))
        return;
    op->version = st->version;
    kop_run(&op->k, elect_step_multi);
}

static void elect_step_get_epoch(struct kop *k)
{
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, elect_epoch_got, k);
    if (rc != ZK_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller_epoch");
}

int zk_kafka_elect_controller(struct zk_client *zc, int32_t broker_id, zk_kafka_election_cb cb,
                              void *ctx)
{
    if (!cb || broker_id < 0)
        return ZK_BADARGUMENTS;
    struct elect *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    char err[256];
    if (zk_json_controller_encode(broker_id, wall_ms(), &op->json, err, sizeof(err)) != 0) {
        free(op);
        return ZK_E_NOMEM;
    }
    op->k.zc = zc;
    op->k.step = elect_step_get_epoch;
    op->id = broker_id;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_get(zc, "/controller_epoch", NULL, elect_epoch_got, op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- controller / controller epoch reads --------------------------------- */

struct getctl {
    struct kop k;              /* retry state */
    struct zk_watcher watch;   /* the owner's watch, if has_watch */
    bool has_watch;            /* arm it with the exists */
    zk_kafka_controller_cb cb; /* owner's callback */
    void *ctx;                 /* its context */
    char why[WHY_LEN];         /* failure text */
};

static void getctl_finish(struct getctl *op, int rc, int32_t id, const char *why)
{
    op->cb(rc, id, why, op->ctx);
    free(op);
}

static void getctl_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct getctl *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE) {
        getctl_finish(op, ZK_OK, -1, NULL);
        return;
    }
    if (rc != ZK_OK) {
        getctl_finish(op, rc, -1,
                      fmt_why(op->why, sizeof(op->why), "cannot read /controller: %s",
                              zk_strerror(rc)));
        return;
    }
    int32_t id;
    char err[256];
    if (zk_json_controller_decode(data, len, &id, err, sizeof(err)) != 0)
        getctl_finish(op, ZK_E_BADJSON, -1, fmt_why(op->why, sizeof(op->why), "/controller: %s", err));
    else
        getctl_finish(op, ZK_OK, id, NULL);
}

static void getctl_step_get(struct kop *k)
{
    int rc = zk_client_get(k->zc, "/controller", NULL, getctl_got, k);
    if (rc != ZK_OK)
        getctl_finish((struct getctl *)k, rc, -1, zk_strerror(rc));
}

static void getctl_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct getctl *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE)
        getctl_finish(op, ZK_OK, -1, NULL);
    else if (rc == ZK_OK)
        kop_run(&op->k, getctl_step_get);
    else
        getctl_finish(op, rc, -1,
                      fmt_why(op->why, sizeof(op->why), "cannot read /controller: %s",
                              zk_strerror(rc)));
}

/* The watch rides on an exists(), which arms it whether or not /controller
 * is there (Kafka's registerZNodeChangeHandlerAndCheckExistence). */
static void getctl_step_exists(struct kop *k)
{
    struct getctl *op = (struct getctl *)k;
    int rc = zk_client_exists(k->zc, "/controller", &op->watch, getctl_exists, op);
    if (rc != ZK_OK)
        getctl_finish(op, rc, -1, zk_strerror(rc));
}

int zk_kafka_get_controller(struct zk_client *zc, const struct zk_watcher *watch,
                            zk_kafka_controller_cb cb, void *ctx)
{
    if (!cb)
        return ZK_BADARGUMENTS;
    struct getctl *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    op->k.zc = zc;
    op->cb = cb;
    op->ctx = ctx;
    int rc;
    if (watch && watch->fn) {
        op->watch = *watch;
        op->has_watch = true;
        op->k.step = getctl_step_exists;
        rc = zk_client_exists(zc, "/controller", &op->watch, getctl_exists, op);
    } else {
        op->k.step = getctl_step_get;
        rc = zk_client_get(zc, "/controller", NULL, getctl_got, op);
    }
    if (rc != ZK_OK)
        free(op);
    return rc;
}

struct getepoch {
    struct kop k;         /* retry state */
    zk_kafka_epoch_cb cb; /* owner's callback */
    void *ctx;            /* its context */
    char why[WHY_LEN];    /* failure text */
};

static void getepoch_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct getepoch *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    int32_t epoch = -1, version = -1;
    const char *why = NULL;
    char err[256];
    if (rc == ZK_OK) {
        if (zk_json_controller_epoch_decode(data, len, &epoch, err, sizeof(err)) != 0) {
            rc = ZK_E_BADJSON;
            why = fmt_why(op->why, sizeof(op->why), "/controller_epoch: %s", err);
        } else {
            version = st->version;
        }
    } else {
        why = fmt_why(op->why, sizeof(op->why), "cannot read /controller_epoch: %s",
                      zk_strerror(rc));
    }
    op->cb(rc, epoch, version, why, op->ctx);
    free(op);
}

static void getepoch_step(struct kop *k)
{
    struct getepoch *op = (struct getepoch *)k;
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, getepoch_got, op);
    if (rc != ZK_OK) {
        op->cb(rc, -1, -1, zk_strerror(rc), op->ctx);
        free(op);
    }
}

int zk_kafka_get_controller_epoch(struct zk_client *zc, zk_kafka_epoch_cb cb, void *ctx)
{
    if (!cb)
        return ZK_BADARGUMENTS;
    struct getepoch *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    op->k.zc = zc;
    op->k.step = getepoch_step;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_get(zc, "/controller_epoch", NULL, getepoch_got, op);
    if (rc != ZK_OK)
        free(op);
    return rc;
}

/* ---- fenced controller writes -------------------------------------------- */

/* The epoch fence: a controller's writes carry a check that /controller_epoch
 * still is at the version its election produced. A newer controller's
 * election bumps that version, so every write of a deposed controller fails
 * as a whole (ZK_E_CONTROLLER_MOVED) instead of racing the new one. */
struct cmulti {
    struct kop k;         /* retry state */
    bool fenced;          /* ops[0] is the epoch check */
    int n;                /* ops, including the check */
    struct zk_op *ops;    /* owned copies (paths and data) */
    zk_multi_cb cb;       /* owner's callback */
    void *ctx;            /* its context */
};

static void cmulti_free(struct cmulti *op)
{
    for (int i = 0; i < op->n; i++) {
        free((char *)op->ops[i].path);
        free((char *)op->ops[i].data);
    }
    free(op->ops);
    free(op);
}

static void cmulti_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct cmulti *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (op->fenced && n >= 1) {
        if (res[0].rc == ZK_BADVERSION)
            rc = ZK_E_CONTROLLER_MOVED;
        else if (res[0].rc != ZK_OK && res[0].rc != ZK_RUNTIMEINCONSISTENCY)
            rc = res[0].rc; /* e.g. /controller_epoch itself is gone */
        res++;
        n--;
    }
    op->cb(rc, res, n, op->ctx);
    cmulti_free(op);
}

static void cmulti_step(struct kop *k)
{
    struct cmulti *op = (struct cmulti *)k;
    int rc = zk_client_multi(k->zc, op->ops, op->n, cmulti_done, op);
    if (rc != ZK_OK) {
        struct zk_op_result res[1] = {{.rc = rc}};
        op->cb(rc, res, 0, op->ctx);
        cmulti_free(op);
    }
}

int zk_kafka_controller_multi(struct zk_client *zc, int32_t epoch_zk_version,
                              const struct zk_op *ops, int n, zk_multi_cb cb, void *ctx)
{
    if (!cb || !ops || n < 1 || n > 999)
        return ZK_BADARGUMENTS;
    struct cmulti *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    op->fenced = epoch_zk_version != ZK_KAFKA_UNFENCED;
    op->n = n + (op->fenced ? 1 : 0);
    op->ops = calloc((size_t)op->n, sizeof(*op->ops));
    if (!op->ops) {
        free(op);
        return ZK_E_NOMEM;
    }
    bool bad = false;
    int at = 0;
    if (op->fenced) {
        op->ops[at] = zk_op_check("/controller_epoch", epoch_zk_version);
        bad |= !(op->ops[at].path = strdup("/controller_epoch"));
        at++;
    }
    for (int i = 0; i < n && !bad; i++, at++) {
        op->ops[at] = ops[i];
        op->ops[at].data = NULL;
        bad |= !ops[i].path || !(op->ops[at].path = strdup(ops[i].path));
        if (!bad && ops[i].data) {
            char *d = malloc(ops[i].len + 1);
            if (d)
                memcpy(d, ops[i].data, ops[i].len);
            op->ops[at].data = d;
            bad |= !d;
        }
    }
    if (bad) {
        cmulti_free(op);
        return ZK_E_NOMEM;
    }
    op->k.zc = zc;
    op->k.step = cmulti_step;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_multi(zc, op->ops, op->n, cmulti_done, op);
    if (rc != ZK_OK)
        cmulti_free(op);
    return rc;
}

/* ---- partition state writes ---------------------------------------------- */

struct pstate {
    struct kop k;                      /* retry state (unfenced set) */
    int32_t fence;                     /* epoch_zk_version */
    int stage;                         /* create: 0 partitions, 1 partition, 2 state */
    char paths[3][PATH_MAX_LEN];       /* .../partitions, .../partitions/<p>, .../state */
    char *json;                        /* state contents, owned */
    int32_t expected;                  /* expected state version (set/delete) */
    zk_kafka_version_cb cb;            /* owner's callback (create/set/update) */
    zk_kafka_done_cb done_cb;          /* owner's callback (delete) */
    void *ctx;                         /* its context */
    char why[WHY_LEN];                 /* failure text */
};

static struct pstate *pstate_new(struct zk_client *zc, int32_t fence, const char *topic,
                                 int32_t partition, const struct zk_partition_state *st,
                                 void *ctx, int *rc)
{
    *rc = ZK_BADARGUMENTS;
    if (!zk_kafka_topic_name_valid(topic) || partition < 0)
        return NULL;
    struct pstate *op = calloc(1, sizeof(*op));
    *rc = ZK_E_NOMEM;
    if (!op)
        return NULL;
    char err[256];
    if (st && zk_json_partition_state_encode(st, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return NULL;
    }
    snprintf(op->paths[0], PATH_MAX_LEN, "/brokers/topics/%s/partitions", topic);
    snprintf(op->paths[1], PATH_MAX_LEN, "/brokers/topics/%s/partitions/%d", topic, (int)partition);
    state_path(op->paths[2], topic, partition);
    op->k.zc = zc;
    op->fence = fence;
    op->ctx = ctx;
    *rc = ZK_OK;
    return op;
}

static void pstate_finish(struct pstate *op, int rc, int32_t version, const char *what)
{
    const char *why = NULL;
    if (rc != ZK_OK)
        why = fmt_why(op->why, sizeof(op->why), "%s %s: %s", what, op->paths[2], zk_strerror(rc));
    if (op->done_cb)
        op->done_cb(rc, why, op->ctx);
    else
        op->cb(rc, version, why, op->ctx);
    free(op->json);
    free(op);
}

static int pstate_create_stage(struct pstate *op);

static void pstate_created(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    (void)n;
    struct pstate *op = ctx;
    /* The parents may exist already (other partitions, a previous try). */
    if (op->stage < 2 && (rc == ZK_OK || rc == ZK_NODEEXISTS)) {
        op->stage++;
        rc = pstate_create_stage(op);
        if (rc != ZK_OK)
            pstate_finish(op, rc, -1, "cannot create");
        return;
    }
    pstate_finish(op, rc, rc == ZK_OK ? 0 : -1, "cannot create");
}

static int pstate_create_stage(struct pstate *op)
{
    bool leaf = op->stage == 2;
    struct zk_op o = zk_op_create(op->paths[op->stage], leaf ? op->json : NULL,
                                  leaf ? strlen(op->json) : 0, ZK_PERSISTENT);
    return zk_kafka_controller_multi(op->k.zc, op->fence, &o, 1, pstate_created, op);
}

int zk_kafka_create_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                    const char *topic, int32_t partition,
                                    const struct zk_partition_state *st, zk_kafka_version_cb cb,
                                    void *ctx)
{
    int rc;
    if (!cb || !st)
        return ZK_BADARGUMENTS;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, st, ctx, &rc);
    if (!op)
        return rc;
    op->cb = cb;
    rc = pstate_create_stage(op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

static void pstate_set(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct pstate *op = ctx;
    pstate_finish(op, rc, rc == ZK_OK && n == 1 ? res[0].stat.version : -1, "cannot update");
}

int zk_kafka_set_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                 const char *topic, int32_t partition,
                                 const struct zk_partition_state *st, int32_t expected_zk_version,
                                 zk_kafka_version_cb cb, void *ctx)
{
    int rc;
    if (!cb || !st)
        return ZK_BADARGUMENTS;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, st, ctx, &rc);
    if (!op)
        return rc;
    op->cb = cb;
    struct zk_op o = zk_op_set(op->paths[2], op->json, strlen(op->json), expected_zk_version);
    rc = zk_kafka_controller_multi(zc, epoch_zk_version, &o, 1, pstate_set, op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

static void pstate_updated(int rc, const struct zk_stat *st, void *ctx)
{
    struct pstate *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    pstate_finish(op, rc, rc == ZK_OK ? st->version : -1, "cannot update");
}

static void pstate_step_update(struct kop *k)
{
    struct pstate *op = (struct pstate *)k;
    int rc = zk_client_set(k->zc, op->paths[2], op->json, strlen(op->json), op->expected,
                           pstate_updated, op);
    if (rc != ZK_OK)
        pstate_finish(op, rc, -1, "cannot update");
}

int zk_kafka_update_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                    const struct zk_partition_state *st,
                                    int32_t expected_zk_version, zk_kafka_version_cb cb,
                                    void *ctx)
{
    int rc;
    if (!cb || !st)
        return ZK_BADARGUMENTS;
    struct pstate *op = pstate_new(zc, ZK_KAFKA_UNFENCED, topic, partition, st, ctx, &rc);
    if (!op)
        return rc;
    op->cb = cb;
    op->expected = expected_zk_version;
    op->k.step = pstate_step_update;
    rc = zk_client_set(zc, op->paths[2], op->json, strlen(op->json), expected_zk_version,
                       pstate_updated, op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

static void pstate_deleted(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    (void)n;
    pstate_finish(ctx, rc, -1, "cannot delete");
}

int zk_kafka_delete_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                    const char *topic, int32_t partition,
                                    int32_t expected_zk_version, zk_kafka_done_cb cb, void *ctx)
{
    int rc;
    if (!cb)
        return ZK_BADARGUMENTS;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, NULL, ctx, &rc);
    if (!op)
        return rc;
    op->done_cb = cb;
    struct zk_op o = zk_op_delete(op->paths[2], expected_zk_version);
    rc = zk_kafka_controller_multi(zc, epoch_zk_version, &o, 1, pstate_deleted, op);
    if (rc != ZK_OK)
        free(op);
    return rc;
}

/* ---- reads that decode one znode ----------------------------------------- */

enum read_kind { READ_TOPIC, READ_CONFIG, READ_STATE, READ_BROKER };

struct readop {
    struct kop k;             /* retry state */
    enum read_kind kind;      /* what to decode */
    char path[PATH_MAX_LEN];  /* the znode */
    struct zk_watcher watch;  /* optional watch */
    bool has_watch;           /* watch is set */
    union {
        zk_kafka_topic_cb topic;
        zk_kafka_config_cb config;
        zk_kafka_state_cb state;
        zk_kafka_broker_cb broker;
    } cb;                     /* owner's callback */
    void *ctx;                /* its context */
    char why[WHY_LEN];        /* failure text */
};

static void readop_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct readop *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    char err[256];
    const char *why = NULL;
    int drc = 0;
    if (rc != ZK_OK && !(rc == ZK_NONODE && op->kind == READ_CONFIG))
        why = fmt_why(op->why, sizeof(op->why), "cannot read %s: %s", op->path, zk_strerror(rc));
    switch (op->kind) {
    case READ_TOPIC: {
        struct zk_topic_assignment a = {0};
        if (rc == ZK_OK && (drc = zk_json_topic_decode(data, len, &a, err, sizeof(err))) != 0)
            rc = ZK_E_BADJSON;
        op->cb.topic(rc, rc == ZK_OK ? &a : NULL, drc ? fmt_why(op->why, sizeof(op->why), "%s: %s", op->path, err) : why,
                     op->ctx);
        zk_topic_assignment_destroy(&a);
        break;
    }
    case READ_CONFIG: {
        /* Kafka reads a missing topic config as an empty one. */
        struct zk_config c = {0};
        if (rc == ZK_NONODE)
            rc = ZK_OK;
        else if (rc == ZK_OK && (drc = zk_json_config_decode(data, len, &c, err, sizeof(err))) != 0)
            rc = ZK_E_BADJSON;
        op->cb.config(rc, rc == ZK_OK ? &c : NULL, drc ? fmt_why(op->why, sizeof(op->why), "%s: %s", op->path, err) : why,
                      op->ctx);
        zk_config_destroy(&c);
        break;
    }
    case READ_STATE: {
        struct zk_partition_state s = {0};
        if (rc == ZK_OK && (drc = zk_json_partition_state_decode(data, len, &s, err, sizeof(err))) != 0)
            rc = ZK_E_BADJSON;
        if (rc == ZK_OK)
            s.zk_version = st->version;
        op->cb.state(rc, rc == ZK_OK ? &s : NULL, drc ? fmt_why(op->why, sizeof(op->why), "%s: %s", op->path, err) : why,
                     op->ctx);
        zk_partition_state_destroy(&s);
        break;
    }
    case READ_BROKER: {
        struct zk_broker_info b = {0};
        if (rc == ZK_OK && (drc = zk_json_broker_decode(data, len, &b, err, sizeof(err))) != 0)
            rc = ZK_E_BADJSON;
        op->cb.broker(rc, rc == ZK_OK ? &b : NULL, rc == ZK_OK ? st->czxid : -1,
                      drc ? fmt_why(op->why, sizeof(op->why), "%s: %s", op->path, err) : why, op->ctx);
        zk_broker_info_destroy(&b);
        break;
    }
    }
    free(op);
}

static void readop_step(struct kop *k)
{
    struct readop *op = (struct readop *)k;
    int rc = zk_client_get(k->zc, op->path, op->has_watch ? &op->watch : NULL, readop_got, op);
    if (rc != ZK_OK) /* only reachable from a retry, inside a callback */
        readop_got(rc, NULL, 0, NULL, op);
}

static struct readop *readop_new(struct zk_client *zc, enum read_kind kind,
                                 const struct zk_watcher *watch, void *ctx)
{
    struct readop *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->k.zc = zc;
    op->k.step = readop_step;
    op->kind = kind;
    op->ctx = ctx;
    if (watch && watch->fn) {
        op->watch = *watch;
        op->has_watch = true;
    }
    return op;
}

/* Issues the first read; frees op if that fails. */
static int readop_issue(struct readop *op)
{
    int rc = zk_client_get(op->k.zc, op->path, op->has_watch ? &op->watch : NULL, readop_got, op);
    if (rc != ZK_OK)
        free(op);
    return rc;
}

int zk_kafka_get_topic_assignment(struct zk_client *zc, const char *topic,
                                  const struct zk_watcher *watch, zk_kafka_topic_cb cb, void *ctx)
{
    if (!cb || !zk_kafka_topic_name_valid(topic))
        return ZK_BADARGUMENTS;
    struct readop *op = readop_new(zc, READ_TOPIC, watch, ctx);
    if (!op)
        return ZK_E_NOMEM;
    op->cb.topic = cb;
    topic_path(op->path, topic);
    return readop_issue(op);
}

int zk_kafka_get_topic_config(struct zk_client *zc, const char *topic, zk_kafka_config_cb cb,
                              void *ctx)
{
    if (!cb || !zk_kafka_topic_name_valid(topic))
        return ZK_BADARGUMENTS;
    struct readop *op = readop_new(zc, READ_CONFIG, NULL, ctx);
    if (!op)
        return ZK_E_NOMEM;
    op->cb.config = cb;
    snprintf(op->path, sizeof(op->path), "/config/topics/%s", topic);
    return readop_issue(op);
}

int zk_kafka_get_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                 zk_kafka_state_cb cb, void *ctx)
{
    if (!cb || !zk_kafka_topic_name_valid(topic) || partition < 0)
        return ZK_BADARGUMENTS;
    struct readop *op = readop_new(zc, READ_STATE, NULL, ctx);
    if (!op)
        return ZK_E_NOMEM;
    op->cb.state = cb;
    state_path(op->path, topic, partition);
    return readop_issue(op);
}

int zk_kafka_get_broker(struct zk_client *zc, int32_t broker_id, zk_kafka_broker_cb cb,
                        void *ctx)
{
    if (!cb || broker_id < 0)
        return ZK_BADARGUMENTS;
    struct readop *op = readop_new(zc, READ_BROKER, NULL, ctx);
    if (!op)
        return ZK_E_NOMEM;
    op->cb.broker = cb;
    snprintf(op->path, sizeof(op->path), "/brokers/ids/%d", (int)broker_id);
    return readop_issue(op);
}

/* ---- all brokers --------------------------------------------------------- */

struct gbrokers;

struct gbroker_item {
    struct kop k;           /* retry state of this read */
    struct gbrokers *g;     /* the whole operation */
    int idx;                /* slot in g->brokers */
    char path[64];          /* /brokers/ids/<id> */
    bool ok;                /* decoded into g->brokers[idx] */
};

struct gbrokers {
    struct kop k;                   /* retry state of the listing */
    struct zk_watcher watch;        /* optional child watch */
    bool has_watch;                 /* watch is set */
    int n;                          /* brokers listed */
    int pending;                    /* reads not finished */
    int rc;                         /* first failure */
    struct zk_kafka_broker *brokers; /* one slot per listed id */
    struct gbroker_item *items;     /* one read per listed id */
    zk_kafka_brokers_cb cb;         /* owner's callback */
    void *ctx;                      /* its context */
    char why[WHY_LEN];              /* failure text */
};

static int cmp_broker(const void *x, const void *y)
{
    const struct zk_kafka_broker *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

static void gbrokers_finish(struct gbrokers *g)
{
    int m = 0;
    for (int i = 0; i < g->n; i++) {
        if (g->items[i].ok) {
            if (m != i)
                g->brokers[m] = g->brokers[i];
            m++;
        }
    }
    qsort(g->brokers, (size_t)m, sizeof(*g->brokers), cmp_broker);
    g->cb(g->rc, g->rc == ZK_OK ? g->brokers : NULL, g->rc == ZK_OK ? m : 0,
          g->rc == ZK_OK ? NULL : g->why, g->ctx);
    for (int i = 0; i < m; i++)
        zk_broker_info_destroy(&g->brokers[i].info);
    free(g->brokers);
    free(g->items);
    free(g);
}

static void gbroker_item_done(struct gbroker_item *it, int rc)
{
    struct gbrokers *g = it->g;
    if (rc != ZK_OK && rc != ZK_NONODE && g->rc == ZK_OK) {
        g->rc = rc;
        fmt_why(g->why, sizeof(g->why), "cannot read %s: %s", it->path, zk_strerror(rc));
    }
    if (--g->pending == 0)
        gbrokers_finish(g);
}

static void gbroker_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct gbroker_item *it = ctx;
    if (kop_retry(&it->k, rc))
        return;
    if (rc == ZK_OK) {
        struct zk_kafka_broker *b = &it->g->brokers[it->idx];
        char err[256];
        if (zk_json_broker_decode(data, len, &b->info, err, sizeof(err)) == 0) {
            b->epoch = st->czxid;
            it->ok = true;
        } else {
            LOG_ERROR("ignoring broker registration %s: %s", it->path, err);
        }
    }
    gbroker_item_done(it, rc);
}

static void gbroker_item_step(struct kop *k)
{
    struct gbroker_item *it = (struct gbroker_item *)k;
    int rc = zk_client_get(k->zc, it->path, NULL, gbroker_got, it);
    if (rc != ZK_OK)
        gbroker_item_done(it, rc);
}

static void gbrokers_listed(int rc, const char *const *names, int n, const struct zk_stat *st,
                            void *ctx)
{
    (void)st;
    struct gbrokers *g = ctx;
    if (kop_retry(&g->k, rc))
        return;
    if (rc == ZK_NONODE)
        n = 0; /* no broker ever registered */
    else if (rc != ZK_OK) {
        g->rc = rc;
        fmt_why(g->why, sizeof(g->why), "cannot list /brokers/ids: %s", zk_strerror(rc));
        gbrokers_finish(g);
        return;
    }
    g->brokers = calloc((size_t)(n ? n : 1), sizeof(*g->brokers));
    g->items = calloc((size_t)(n ? n : 1), sizeof(*g->items));
    if (!g->brokers || !g->items) {
        g->rc = ZK_E_NOMEM;
        snprintf(g->why, sizeof(g->why), "out of memory");
        gbrokers_finish(g);
        return;
    }
    g->pending = 1; /* held until every read is issued */
    for (int i = 0; i < n; i++) {
        char *end;
        long id = strtol(names[i], &end, 10);
        if (*end || end == names[i] || id < 0 || id > INT32_MAX) {
            LOG_ERROR("ignoring /brokers/ids/%s: not a broker id", names[i]);
            continue;
        }
        struct gbroker_item *it = &g->items[g->n];
        it->g = g;
        it->idx = g->n;
        it->k.zc = g->k.zc;
        it->k.step = gbroker_item_step;
        snprintf(it->path, sizeof(it->path), "/brokers/ids/%ld", id);
        g->brokers[g->n].id = (int32_t)id;
        arena_init(&g->brokers[g->n].info.mem);
        g->n++;
        g->pending++;
        gbroker_item_step(&it->k);
    }
    if (--g->pending == 0)
        gbrokers_finish(g);
}

static void gbrokers_step(struct kop *k)
{
    struct gbrokers *g = (struct gbrokers *)k;
    int rc = zk_client_get_children(k->zc, "/brokers/ids", g->has_watch ? &g->watch : NULL,
                                    gbrokers_listed, g);
    if (rc != ZK_OK) {
        g->rc = rc;
        fmt_why(g->why, sizeof(g->why), "cannot list /brokers/ids: %s", zk_strerror(rc));
        gbrokers_finish(g);
    }
}

int zk_kafka_get_brokers(struct zk_client *zc, const struct zk_watcher *watch,
                         zk_kafka_brokers_cb cb, void *ctx)
{
    if (!cb)
        return ZK_BADARGUMENTS;
    struct gbrokers *g = calloc(1, sizeof(*g));
    if (!g)
        return ZK_E_NOMEM;
    g->k.zc = zc;
    g->k.step = gbrokers_step;
    g->cb = cb;
    g->ctx = ctx;
    if (watch && watch->fn) {
        g->watch = *watch;
        g->has_watch = true;
    }
    int rc = zk_client_get_children(zc, "/brokers/ids", g->has_watch ? &g->watch : NULL,
                                    gbrokers_listed, g);
    if (rc != ZK_OK)
        free(g);
    return rc;
}

/* ---- topics: create, mark for deletion ----------------------------------- */

struct ctopic {
    struct kop k;                    /* retry state */
    char topic[256];                 /* topic name */
    char tpath[PATH_MAX_LEN];        /* /brokers/topics/<t> */
    char cpath[PATH_MAX_LEN];        /* /config/topics/<t> */
    char *assignment;                /* topic znode contents, owned */
    char *config;                    /* config znode contents, owned */
    zk_kafka_done_cb cb;             /* owner's callback */
    void *ctx;                       /* its context */
    char why[WHY_LEN];               /* failure text */
};

static void ctopic_finish(struct ctopic *op, int rc, const char *why)
{
    if (rc == ZK_OK)
        LOG_INFO("created topic %s", op->topic);
    op->cb(rc, why, op->ctx);
    free(op->assignment);
    free(op->config);
    free(op);
}

static void ctopic_fail(struct ctopic *op, int rc, const char *what)
{
    if (rc == ZK_E_TOPIC_EXISTS)
        ctopic_finish(op, rc, fmt_why(op->why, sizeof(op->why), "Topic '%s' already exists.", op->topic));
    else
        ctopic_finish(op, rc, fmt_why(op->why, sizeof(op->why), "cannot create topic %s: %s: %s",
                                      op->topic, what, zk_strerror(rc)));
}

static void ctopic_step_set_config(struct kop *k);

static void ctopic_topic_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct ctopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        ctopic_finish(op, ZK_OK, NULL);
    else
        ctopic_fail(op, rc == ZK_NODEEXISTS ? ZK_E_TOPIC_EXISTS : rc, op->tpath);
}

static void ctopic_step_topic(struct kop *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->tpath, op->assignment, strlen(op->assignment),
                                        ctopic_topic_created, op);
    if (rc != ZK_OK)
        ctopic_fail(op, rc, op->tpath);
}

static void ctopic_config_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct ctopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        kop_run(&op->k, ctopic_step_topic);
    else if (rc == ZK_NODEEXISTS) /* raced with another writer: overwrite */
        kop_run(&op->k, ctopic_step_set_config);
    else
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_step_create_config(struct kop *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->cpath, op->config, strlen(op->config),
                                        ctopic_config_created, op);
    if (rc != ZK_OK)
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_config_set(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct ctopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        kop_run(&op->k, ctopic_step_topic);
    else if (rc == ZK_NONODE)
        kop_run(&op->k, ctopic_step_create_config);
    else
        ctopic_fail(op, rc, op->cpath);
}

/* Kafka's setOrCreateEntityConfigs: a config left behind by an earlier
 * topic of the same name is overwritten, not inherited. */
static void ctopic_step_set_config(struct kop *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_set(k->zc, op->cpath, op->config, strlen(op->config), ZK_ANY_VERSION,
                           ctopic_config_set, op);
    if (rc != ZK_OK)
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct ctopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        ctopic_fail(op, ZK_E_TOPIC_EXISTS, op->tpath);
    else if (rc == ZK_NONODE)
        kop_run(&op->k, ctopic_step_set_config);
    else
        ctopic_fail(op, rc, op->tpath);
}

static void ctopic_step_exists(struct kop *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_exists(k->zc, op->tpath, NULL, ctopic_exists, op);
    if (rc != ZK_OK)
        ctopic_fail(op, rc, op->tpath);
}

int zk_kafka_create_topic(struct zk_client *zc, const char *topic,
                          const struct zk_topic_assignment *assignment,
                          const struct zk_config *config, zk_kafka_done_cb cb, void *ctx)
{
    if (!cb || !assignment || !zk_kafka_topic_name_valid(topic))
        return ZK_BADARGUMENTS;
    struct ctopic *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    char err[256];
    struct zk_config empty = {0};
    int jrc = zk_json_topic_encode(assignment, &op->assignment, err, sizeof(err));
    if (jrc == 0)
        jrc = zk_json_config_encode(config ? config : &empty, &op->config, err, sizeof(err));
    if (jrc != 0) {
        LOG_ERROR("cannot create topic %s: %s", topic, err);
        free(op->assignment);
        free(op);
        return jrc == GR_E_NOMEM ? ZK_E_NOMEM : ZK_BADARGUMENTS;
    }
    snprintf(op->topic, sizeof(op->topic), "%s", topic);
    topic_path(op->tpath, topic);
    snprintf(op->cpath, sizeof(op->cpath), "/config/topics/%s", topic);
    op->k.zc = zc;
    op->k.step = ctopic_step_exists;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_exists(zc, op->tpath, NULL, ctopic_exists, op);
    if (rc != ZK_OK) {
        free(op->assignment);
        free(op->config);
        free(op);
    }
    return rc;
}

struct marktopic {
    struct kop k;             /* retry state */
    char topic[256];          /* topic name */
    char tpath[PATH_MAX_LEN]; /* /brokers/topics/<t> */
    char dpath[PATH_MAX_LEN]; /* /admin/delete_topics/<t> */
    zk_kafka_done_cb cb;      /* owner's callback */
    void *ctx;                /* its context */
    char why[WHY_LEN];        /* failure text */
};

static void mark_finish(struct marktopic *op, int rc, const char *why)
{
    op->cb(rc, why, op->ctx);
    free(op);
}

static void mark_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct marktopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        mark_finish(op, rc, NULL);
    else if (rc == ZK_NODEEXISTS)
        mark_finish(op, rc, fmt_why(op->why, sizeof(op->why),
                                    "topic %s is already marked for deletion", op->topic));
    else
        mark_finish(op, rc, fmt_why(op->why, sizeof(op->why), "cannot create %s: %s", op->dpath,
                                    zk_strerror(rc)));
}

static void mark_step_create(struct kop *k)
{
    struct marktopic *op = (struct marktopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->dpath, NULL, 0, mark_created, op);
    if (rc != ZK_OK)
        mark_finish(op, rc, zk_strerror(rc));
}

static void mark_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct marktopic *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK)
        kop_run(&op->k, mark_step_create);
    else if (rc == ZK_NONODE)
        mark_finish(op, rc, fmt_why(op->why, sizeof(op->why), "topic %s does not exist", op->topic));
    else
        mark_finish(op, rc, fmt_why(op->why, sizeof(op->why), "cannot read %s: %s", op->tpath,
                                    zk_strerror(rc)));
}

static void mark_step_exists(struct kop *k)
{
    struct marktopic *op = (struct marktopic *)k;
    int rc = zk_client_exists(k->zc, op->tpath, NULL, mark_exists, op);
    if (rc != ZK_OK)
        mark_finish(op, rc, zk_strerror(rc));
}

int zk_kafka_mark_topic_for_deletion(struct zk_client *zc, const char *topic, zk_kafka_done_cb cb,
                                     void *ctx)
{
    if (!cb || !zk_kafka_topic_name_valid(topic))
        return ZK_BADARGUMENTS;
    struct marktopic *op = calloc(1, sizeof(*op));
    if (!op)
        return ZK_E_NOMEM;
    snprintf(op->topic, sizeof(op->topic), "%s", topic);
    topic_path(op->tpath, topic);
    snprintf(op->dpath, sizeof(op->dpath), "/admin/delete_topics/%s", topic);
    op->k.zc = zc;
    op->k.step = mark_step_exists;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_exists(zc, op->tpath, NULL, mark_exists, op);
    if (rc != ZK_OK)
        free(op);
    return rc;
}

/* ---- topic deletion ------------------------------------------------------ */

/* A fenced (or plain) delete of one znode, ZK_NONODE counting as done. */
struct fdel {
    struct kop k;         /* retry state (plain delete) */
    int32_t fence;        /* epoch_zk_version or ZK_KAFKA_UNFENCED */
    char *path;           /* owned */
    zk_void_cb cb;        /* caller's callback */
    void *ctx;            /* its context */
};

static void fdel_finish(struct fdel *d, int rc)
{
    d->cb(rc == ZK_NONODE ? ZK_OK : rc, d->ctx);
    free(d->path);
    free(d);
}

static void fdel_plain_done(int rc, void *ctx)
{
    struct fdel *d = ctx;
    if (!kop_retry(&d->k, rc))
        fdel_finish(d, rc);
}

static void fdel_fenced_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    (void)n;
    fdel_finish(ctx, rc);
}

static void fdel_step(struct kop *k)
{
    struct fdel *d = (struct fdel *)k;
    int rc = zk_client_delete(k->zc, d->path, ZK_ANY_VERSION, fdel_plain_done, d);
    if (rc != ZK_OK)
        fdel_finish(d, rc);
}

static int fenced_delete(struct zk_client *zc, int32_t fence, const char *path, zk_void_cb cb,
                         void *ctx)
{
    struct fdel *d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return ZK_E_NOMEM;
    }
    d->k.zc = zc;
    d->k.step = fdel_step;
    d->fence = fence;
    d->cb = cb;
    d->ctx = ctx;
    int rc;
    if (fence == ZK_KAFKA_UNFENCED) {
        rc = zk_client_delete(zc, path, ZK_ANY_VERSION, fdel_plain_done, d);
    } else {
        struct zk_op o = zk_op_delete(path, ZK_ANY_VERSION);
        rc = zk_kafka_controller_multi(zc, fence, &o, 1, fdel_fenced_done, d);
    }
    if (rc != ZK_OK) {
        free(d->path);
        free(d);
    }
    return rc;
}

struct dtopic;

/* One znode of the tree being deleted: its children go first. */
struct rdnode {
    struct kop k;            /* retry state of the listing */
    struct dtopic *top;      /* the whole deletion */
    struct rdnode *parent;   /* NULL for the topic znode */
    char *path;              /* owned */
    int pending;             /* children not deleted yet */
    int tries;               /* re-listings after ZK_NOTEMPTY */
};

struct dtopic {
    struct zk_client *zc;     /* client */
    int32_t fence;            /* epoch_zk_version or ZK_KAFKA_UNFENCED */
    int stage;                /* 0 tree, 1 config, 2 delete marker */
    int rc;                   /* first failure */
    char topic[256];          /* topic name */
    char paths[3][PATH_MAX_LEN]; /* topic, config, admin marker */
    zk_kafka_done_cb cb;      /* owner's callback */
    void *ctx;                /* its context */
    char why[WHY_LEN];        /* failure text */
};

static void dtopic_next(struct dtopic *t);

static void dtopic_fail(struct dtopic *t, int rc, const char *path)
{
    if (t->rc == ZK_OK) {
        t->rc = rc;
        fmt_why(t->why, sizeof(t->why), "cannot delete %s: %s", path,
                rc == ZK_E_CONTROLLER_MOVED ? "this controller is deposed" : zk_strerror(rc));
    }
}

static void rdnode_list(struct rdnode *n);
static void rdnode_delete(struct rdnode *n);

static void rdnode_done(struct rdnode *n, int rc)
{
    struct dtopic *t = n->top;
    struct rdnode *parent = n->parent;
    if (rc != ZK_OK)
        dtopic_fail(t, rc, n->path);
    free(n->path);
    free(n);
    if (!parent) {
        dtopic_next(t);
        return;
    }
    if (--parent->pending > 0)
        return;
    if (t->rc == ZK_OK)
        rdnode_delete(parent);
    else
        rdnode_done(parent, ZK_OK); /* stop, keep what is left */
}

static void rdnode_deleted(int rc, void *ctx)
{
    struct rdnode *n = ctx;
    /* Someone added a child meanwhile: list and delete again. */
    if (rc == ZK_NOTEMPTY && n->tries++ < 3) {
        rdnode_list(n);
        return;
    }
    rdnode_done(n, rc);
}

static void rdnode_delete(struct rdnode *n)
{
    int rc = fenced_delete(n->top->zc, n->top->fence, n->path, rdnode_deleted, n);
    if (rc != ZK_OK)
        rdnode_done(n, rc);
}

static void rdnode_listed(int rc, const char *const *names, int count, const struct zk_stat *st,
                          void *ctx)
{
    (void)st;
    struct rdnode *n = ctx;
    if (kop_retry(&n->k, rc))
        return;
    if (rc == ZK_NONODE || (rc == ZK_OK && n->top->rc != ZK_OK)) {
        rdnode_done(n, ZK_OK);
        return;
    }
    if (rc != ZK_OK) {
        rdnode_done(n, rc);
        return;
    }
    n->pending = 1; /* held until every child is started */
    for (int i = 0; i < count; i++) {
        struct rdnode *c = calloc(1, sizeof(*c));
        size_t len = strlen(n->path) + strlen(names[i]) + 2;
        if (!c || !(c->path = malloc(len))) {
            free(c);
            dtopic_fail(n->top, ZK_E_NOMEM, n->path);
            break;
        }
        snprintf(c->path, len, "%s/%s", n->path, names[i]);
        c->top = n->top;
        c->parent = n;
        c->k.zc = n->top->zc;
        n->pending++;
        rdnode_list(c);
    }
    if (--n->pending > 0)
        return;
    if (n->top->rc == ZK_OK)
        rdnode_delete(n);
    else
        rdnode_done(n, ZK_OK);
}

static void rdnode_step(struct kop *k)
{
    struct rdnode *n = (struct rdnode *)k;
    int rc = zk_client_get_children(k->zc, n->path, NULL, rdnode_listed, n);
    if (rc != ZK_OK)
        rdnode_done(n, rc);
}

static void rdnode_list(struct rdnode *n)
{
    kop_run(&n->k, rdnode_step);
}

static void dtopic_leaf_deleted(int rc, void *ctx)
{
    struct dtopic *t = ctx;
    if (rc != ZK_OK)
        dtopic_fail(t, rc, t->paths[t->stage]);
    dtopic_next(t);
}

/* Runs the next stage, or finishes. Stages after a failure are skipped. */
static void dtopic_next(struct dtopic *t)
{
    while (++t->stage <= 2 && t->rc == ZK_OK) {
        int rc = fenced_delete(t->zc, t->fence, t->paths[t->stage], dtopic_leaf_deleted, t);
        if (rc == ZK_OK)
            return;
        dtopic_fail(t, rc, t->paths[t->stage]);
    }
    if (t->rc == ZK_OK)
        LOG_INFO("deleted the znodes of topic %s", t->topic);
    t->cb(t->rc, t->rc == ZK_OK ? NULL : t->why, t->ctx);
    free(t);
}

int zk_kafka_delete_topic_znodes(struct zk_client *zc, int32_t epoch_zk_version,
                                 const char *topic, zk_kafka_done_cb cb, void *ctx)
{
    if (!cb || !zk_kafka_topic_name_valid(topic))
        return ZK_BADARGUMENTS;
    struct dtopic *t = calloc(1, sizeof(*t));
    struct rdnode *root = calloc(1, sizeof(*root));
    if (!t || !root) {
        free(t);
        free(root);
        return ZK_E_NOMEM;
    }
    t->zc = zc;
    t->fence = epoch_zk_version;
    t->cb = cb;
    t->ctx = ctx;
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    topic_path(t->paths[0], topic);
    snprintf(t->paths[1], PATH_MAX_LEN, "/config/topics/%s", topic);
    snprintf(t->paths[2], PATH_MAX_LEN, "/admin/delete_topics/%s", topic);
    root->top = t;
    root->k.zc = zc;
    root->k.step = rdnode_step;
    root->path = strdup(t->paths[0]);
    int rc = root->path ? zk_client_get_children(zc, root->path, NULL, rdnode_listed, root)
                        : ZK_E_NOMEM;
    if (rc != ZK_OK) {
        free(root->path);
        free(root);
        free(t);
    }
    return rc;
}

/* ---- notifications ------------------------------------------------------- */

struct seqnode {
    struct kop k;             /* retry state */
    char parent[PATH_MAX_LEN]; /* e.g. /isr_change_notification */
    char prefix[PATH_MAX_LEN]; /* e.g. /isr_change_notification/isr_change_ */
    char *json;               /* contents, owned */
    zk_kafka_path_cb cb;      /* owner's callback */
    void *ctx;                /* its context */
    char why[WHY_LEN];        /* failure text */
};

static void seqnode_finish(struct seqnode *op, int rc, const char *path)
{
    op->cb(rc, rc == ZK_OK ? path : NULL,
           rc == ZK_OK ? NULL
                       : fmt_why(op->why, sizeof(op->why), "cannot create %s*: %s", op->prefix,
                                 zk_strerror(rc)),
           op->ctx);
    free(op->json);
    free(op);
}

static void seqnode_step_create(struct kop *k);

static void seqnode_parent_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct seqnode *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_OK || rc == ZK_NODEEXISTS)
        kop_run(&op->k, seqnode_step_create);
    else
        seqnode_finish(op, rc, NULL);
}

static void seqnode_step_parent(struct kop *k)
{
    struct seqnode *op = (struct seqnode *)k;
    int rc = zk_client_create_recursive(k->zc, op->parent, NULL, 0, seqnode_parent_made, op);
    if (rc != ZK_OK)
        seqnode_finish(op, rc, NULL);
}

static void seqnode_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct seqnode *op = ctx;
    if (kop_retry(&op->k, rc))
        return;
    if (rc == ZK_NONODE)
        kop_run(&op->k, seqnode_step_parent);
    else
        seqnode_finish(op, rc, path);
}

static void seqnode_step_create(struct kop *k)
{
    struct seqnode *op = (struct seqnode *)k;
    int rc = zk_client_create(k->zc, op->prefix, op->json, strlen(op->json), ZK_SEQUENTIAL,
                              seqnode_created, op);
    if (rc != ZK_OK)
        seqnode_finish(op, rc, NULL);
}

/* Takes ownership of json. */
static int seqnode_start(struct zk_client *zc, const char *parent, const char *name_prefix,
                         char *json, zk_kafka_path_cb cb, void *ctx)
{
    struct seqnode *op = calloc(1, sizeof(*op));
    if (!op) {
        free(json);
        return ZK_E_NOMEM;
    }
    snprintf(op->parent, sizeof(op->parent), "%s", parent);
    snprintf(op->prefix, sizeof(op->prefix), "%s/%s", parent, name_prefix);
    op->json = json;
    op->k.zc = zc;
    op->k.step = seqnode_step_create;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_create(zc, op->prefix, op->json, strlen(op->json), ZK_SEQUENTIAL,
                              seqnode_created, op);
    if (rc != ZK_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

int zk_kafka_propagate_isr_changes(struct zk_client *zc, const struct zk_partition_list *changes,
                                   zk_kafka_path_cb cb, void *ctx)
{
    if (!cb || !changes || changes->n < 1)
        return ZK_BADARGUMENTS;
    char *json, err[256];
    int jrc = zk_json_partition_list_encode(changes, &json, err, sizeof(err));
    if (jrc != 0)
        return jrc == GR_E_NOMEM ? ZK_E_NOMEM : ZK_BADARGUMENTS;
    return seqnode_start(zc, "/isr_change_notification", "isr_change_", json, cb, ctx);
}

int zk_kafka_create_config_change_notification(struct zk_client *zc, const char *entity_path,
                                               zk_kafka_path_cb cb, void *ctx)
{
    if (!cb)
        return ZK_BADARGUMENTS;
    char *json, err[256];
    int jrc = zk_json_config_change_encode(entity_path, &json, err, sizeof(err));
    if (jrc != 0)
        return jrc == GR_E_NOMEM ? ZK_E_NOMEM : ZK_BADARGUMENTS;
    return seqnode_start(zc, "/config/changes", "config_change_", json, cb, ctx);
}
