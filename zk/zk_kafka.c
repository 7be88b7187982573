/*
 * A broker's side of Kafka's ZooKeeper mode (see zk_kafka.h).
 *
 * Each operation is a small heap object whose first member is a struct
 * zk_step (zk_step.h). Every completion first offers its rc to
 * zk_step_retry(), which re-sends the current request after a connection
 * loss, then moves the operation on or finishes it. Finish functions call the
 * owner's callback exactly once and free the object.
 */
#include "zk/zk_kafka.h"

#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_COMPONENT "zk"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_owner.h"
#include "zk/zk_step.h"
#include "zk/zk_topic.h"
#include "common/topic_name.h"

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- make_chroot --------------------------------------------------------- */

struct chroot_op {
    struct zk_client *zc;      /* short-lived client without the chroot */
    char *chroot;              /* the path to create, owned */
    bool timed_out;            /* nobody answered in time */
    zk_kafka_done_cb cb;       /* owner's callback */
    void *ctx;                 /* its context */
    char why[ZK_STEP_WHY_MAX]; /* failure text */
};

static void chroot_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct chroot_op *op = ctx;
    if (op->timed_out)
        rc = GR_E_TIMEOUT;
    if (rc == GR_E_EXISTS)
        rc = GR_OK;
    const char *why = NULL;
    if (rc == GR_E_TIMEOUT)
        why = zk_step_why(op->why, sizeof(op->why),
                          "cannot create chroot %s: no ZooKeeper answered", op->chroot);
    else if (rc != GR_OK)
        why = zk_step_why(op->why, sizeof(op->why), "cannot create chroot %s: %s", op->chroot,
                          gr_strerror(rc));
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
    /* The pending create completes with GR_E_CLOSING and reports the timeout. */
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
    n->cb(GR_OK, NULL, n->ctx);
    free(n);
}

int zk_kafka_make_chroot(struct ev_loop *loop, const char *connect, int session_timeout_ms,
                         zk_kafka_done_cb cb, void *ctx)
{
    if (!connect || !cb)
        return GR_E_INVALID;
    const char *slash = strchr(connect, '/');
    if (!slash || strcmp(slash, "/") == 0) {
        /* Nothing to do, but the callback still comes from the loop. */
        struct chroot_nothing *n = malloc(sizeof(*n));
        if (!n)
            return GR_E_NOMEM;
        n->cb = cb;
        n->ctx = ctx;
        ev_once(loop, -1, 0, 0., chroot_nothing_cb, n);
        return GR_OK;
    }
    struct chroot_op *op = calloc(1, sizeof(*op));
    char *hosts = strndup(connect, (size_t)(slash - connect));
    if (!op || !hosts || !(op->chroot = strdup(slash))) {
        free(hosts);
        if (op)
            free(op->chroot);
        free(op);
        return GR_E_NOMEM;
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
                    : GR_E_INVALID;
    if (rc != GR_OK) {
        if (!op->zc)
            LOG_ERROR("cannot create chroot %s: %s", op->chroot, err);
        zk_client_free(op->zc);
        free(op->chroot);
        free(op);
    }
    return rc;
}

/* ---- top-level paths ----------------------------------------------------- */

/* Kafka 2.8's ZkData.PersistentZkPaths (docs/KAFKA-COMPAT.md §3 lists the ones
 * gregor itself uses; the rest keep Kafka's own tools happy). */
static const char *const top_level_paths[] = {
    "/consumers",
    "/brokers/ids",
    "/brokers/topics",
    "/config/changes",
    "/admin/delete_topics",
    "/brokers/seqid",
    "/isr_change_notification",
    "/latest_producer_id_block",
    "/log_dir_event_notification",
    "/config/topics",
    "/config/clients",
    "/config/users",
    "/config/brokers",
    "/config/ips",
};
#define N_TOP_LEVEL (sizeof(top_level_paths) / sizeof(top_level_paths[0]))

struct toplevel;

struct toplevel_item {
    struct zk_step k;   /* retry state of this path */
    struct toplevel *t; /* the whole operation */
    const char *path;   /* static */
};

struct toplevel {
    int pending;                             /* paths not finished */
    int rc;                                  /* first failure */
    zk_kafka_done_cb cb;                     /* owner's callback */
    void *ctx;                               /* its context */
    char why[ZK_STEP_WHY_MAX];               /* first failure's text */
    struct toplevel_item items[N_TOP_LEVEL]; /* one per path */
};

static void toplevel_item_done(struct toplevel_item *it, int rc)
{
    struct toplevel *t = it->t;
    if (rc != GR_OK && rc != GR_E_EXISTS && t->rc == GR_OK) {
        t->rc = rc;
        zk_step_why(t->why, sizeof(t->why), "cannot create %s: %s", it->path,
                    gr_strerror(rc));
    }
    if (--t->pending > 0)
        return;
    t->cb(t->rc, t->rc == GR_OK ? NULL : t->why, t->ctx);
    free(t);
}

static void toplevel_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct toplevel_item *it = ctx;
    if (!zk_step_retry(&it->k, rc))
        toplevel_item_done(it, rc);
}

static void toplevel_step(struct zk_step *k)
{
    struct toplevel_item *it = (struct toplevel_item *)k;
    int rc = zk_client_create_recursive(k->zc, it->path, NULL, 0, toplevel_created, it);
    if (rc != GR_OK)
        toplevel_item_done(it, rc);
}

int zk_kafka_create_top_level_paths(struct zk_client *zc, zk_kafka_done_cb cb, void *ctx)
{
    if (!cb)
        return GR_E_INVALID;
    struct toplevel *t = calloc(1, sizeof(*t));
    if (!t)
        return GR_E_NOMEM;
    t->cb = cb;
    t->ctx = ctx;
    /* All at once: siblings racing for a shared parent see NODEEXISTS, which
     * create_recursive accepts. */
    int issued = 0, first_rc = GR_OK;
    t->pending = (int)N_TOP_LEVEL + 1; /* +1 until the loop is done */
    for (size_t i = 0; i < N_TOP_LEVEL; i++) {
        struct toplevel_item *it = &t->items[i];
        it->t = t;
        it->path = top_level_paths[i];
        it->k.zc = zc;
        it->k.step = toplevel_step;
        int rc = zk_client_create_recursive(zc, it->path, NULL, 0, toplevel_created, it);
        if (rc == GR_OK) {
            issued++;
        } else {
            if (first_rc == GR_OK)
                first_rc = rc;
            t->pending--;
        }
    }
    if (issued == 0) {
        free(t);
        return first_rc;
    }
    if (first_rc != GR_OK) {
        t->rc = first_rc;
        zk_step_why(t->why, sizeof(t->why), "cannot create the top-level paths: %s",
                    gr_strerror(first_rc));
    }
    t->pending--; /* cannot reach 0 here: issued requests are still pending */
    return GR_OK;
}

/* ---- cluster id ---------------------------------------------------------- */

struct clusterid {
    struct zk_step k;                     /* retry state */
    char *json;                           /* proposed /cluster/id contents, owned */
    char proposed[ZK_CLUSTER_ID_MAX + 1]; /* proposed id */
    zk_kafka_cluster_id_cb cb;            /* owner's callback */
    void *ctx;                            /* its context */
    char why[ZK_STEP_WHY_MAX];            /* failure text */
};

static void clusterid_finish(struct clusterid *op, int rc, const char *id, const char *why)
{
    op->cb(rc, rc == GR_OK ? id : NULL, why, op->ctx);
    free(op->json);
    free(op);
}

static void clusterid_step_create(struct zk_step *k);

static void clusterid_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct clusterid *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) { /* deleted between our create and read: again */
        zk_step_run(&op->k, clusterid_step_create);
        return;
    }
    if (rc != GR_OK) {
        clusterid_finish(op, rc, NULL,
                         zk_step_why(op->why, sizeof(op->why), "cannot read /cluster/id: %s",
                                     gr_strerror(rc)));
        return;
    }
    char id[ZK_CLUSTER_ID_MAX + 1], err[256];
    if (zk_json_cluster_id_decode(data, len, id, sizeof(id), err, sizeof(err)) != 0) {
        clusterid_finish(op, GR_E_CORRUPT, NULL,
                         zk_step_why(op->why, sizeof(op->why), "/cluster/id: %s", err));
        return;
    }
    clusterid_finish(op, GR_OK, id, NULL);
}

static void clusterid_step_get(struct zk_step *k)
{
    struct clusterid *op = (struct clusterid *)k;
    int rc = zk_client_get(k->zc, "/cluster/id", NULL, clusterid_got, op);
    if (rc != GR_OK)
        clusterid_finish(op, rc, NULL, gr_strerror(rc));
}

static void clusterid_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct clusterid *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK) {
        LOG_INFO("created /cluster/id with cluster id %s", op->proposed);
        clusterid_finish(op, GR_OK, op->proposed, NULL);
    } else if (rc == GR_E_EXISTS) {
        zk_step_run(&op->k, clusterid_step_get);
    } else {
        clusterid_finish(op, rc, NULL,
                         zk_step_why(op->why, sizeof(op->why), "cannot create /cluster/id: %s",
                                     gr_strerror(rc)));
    }
}

static void clusterid_step_create(struct zk_step *k)
{
    struct clusterid *op = (struct clusterid *)k;
    int rc = zk_client_create_recursive(k->zc, "/cluster/id", op->json, strlen(op->json),
                                        clusterid_created, op);
    if (rc != GR_OK)
        clusterid_finish(op, rc, NULL, gr_strerror(rc));
}

int zk_kafka_get_or_create_cluster_id(struct zk_client *zc, const char *proposed,
                                      zk_kafka_cluster_id_cb cb, void *ctx)
{
    if (!cb || !proposed || !*proposed || strlen(proposed) > ZK_CLUSTER_ID_MAX)
        return GR_E_INVALID;
    struct clusterid *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    char err[256];
    if (zk_json_cluster_id_encode(proposed, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return GR_E_NOMEM;
    }
    memcpy(op->proposed, proposed, strlen(proposed) + 1);
    op->k.zc = zc;
    op->k.step = clusterid_step_create;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_create_recursive(zc, "/cluster/id", op->json, strlen(op->json),
                                        clusterid_created, op);
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- broker id generation ------------------------------------------------ */

struct brokerid {
    struct zk_step k;          /* retry state */
    int32_t reserved;          /* reserved.broker.max.id */
    zk_kafka_broker_id_cb cb;  /* owner's callback */
    void *ctx;                 /* its context */
    char why[ZK_STEP_WHY_MAX]; /* failure text */
};

static void brokerid_finish(struct brokerid *op, int rc, int32_t id, const char *why)
{
    op->cb(rc, id, why, op->ctx);
    free(op);
}

static void brokerid_step_set(struct zk_step *k);

static void brokerid_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct brokerid *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK || rc == GR_E_EXISTS)
        zk_step_run(&op->k, brokerid_step_set);
    else
        brokerid_finish(op, rc, -1,
                        zk_step_why(op->why, sizeof(op->why), "cannot create /brokers/seqid: %s",
                                    gr_strerror(rc)));
}

static void brokerid_step_make(struct zk_step *k)
{
    int rc = zk_client_create_recursive(k->zc, "/brokers/seqid", "", 0, brokerid_made, k);
    if (rc != GR_OK)
        brokerid_finish((struct brokerid *)k, rc, -1, gr_strerror(rc));
}

static void brokerid_set(int rc, const struct zk_stat *st, void *ctx)
{
    struct brokerid *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) {
        zk_step_run(&op->k, brokerid_step_make);
        return;
    }
    if (rc != GR_OK) {
        brokerid_finish(op, rc, -1,
                        zk_step_why(op->why, sizeof(op->why), "cannot update /brokers/seqid: %s",
                                    gr_strerror(rc)));
        return;
    }
    /* Kafka: the version after the set (1 for the first broker) plus the
     * reserved range. */
    int64_t id = (int64_t)st->version + op->reserved;
    if (id > INT32_MAX) {
        brokerid_finish(op, GR_E_INVALID, -1,
                        zk_step_why(op->why, sizeof(op->why),
                                    "generated broker id overflows (seqid version %d)",
                                    (int)st->version));
        return;
    }
    LOG_INFO("generated broker id %" PRId64 " from /brokers/seqid version %d", id,
             (int)st->version);
    brokerid_finish(op, GR_OK, (int32_t)id, NULL);
}

static void brokerid_step_set(struct zk_step *k)
{
    int rc = zk_client_set(k->zc, "/brokers/seqid", "", 0, ZK_ANY_VERSION, brokerid_set, k);
    if (rc != GR_OK)
        brokerid_finish((struct brokerid *)k, rc, -1, gr_strerror(rc));
}

int zk_kafka_generate_broker_id(struct zk_client *zc, int32_t reserved_max_id,
                                zk_kafka_broker_id_cb cb, void *ctx)
{
    if (!cb || reserved_max_id < 0)
        return GR_E_INVALID;
    struct brokerid *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    op->k.zc = zc;
    op->k.step = brokerid_step_set;
    op->reserved = reserved_max_id;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_set(zc, "/brokers/seqid", "", 0, ZK_ANY_VERSION, brokerid_set, op);
    if (rc != GR_OK)
        free(op);
    return rc;
}

/* ---- broker registration ------------------------------------------------- */

struct reg {
    struct zk_step k;            /* retry state */
    int32_t id;                  /* broker id */
    char path[ZK_STEP_PATH_MAX]; /* /brokers/ids/<id> */
    char *json;                  /* our registration, owned */
    uint64_t incarnation;        /* ours (zk_json.h), to recognise our own stale node */
    double foreign_since;        /* when another holder was first seen, 0 = not yet */
    int32_t stale_version;       /* version of the stale node to delete */
    zk_kafka_register_cb cb;     /* owner's callback */
    void *ctx;                   /* its context */
    char why[ZK_STEP_WHY_MAX];   /* failure text */
};

static void reg_finish(struct reg *op, int rc, int64_t epoch, const char *why)
{
    if (rc == GR_OK)
        LOG_INFO("registered broker %d at %s, czxid (broker epoch) %" PRId64, (int)op->id, op->path,
                 epoch);
    op->cb(rc, epoch, why, op->ctx);
    free(op->json);
    free(op);
}

static void reg_step_create(struct zk_step *k);
static void reg_step_get(struct zk_step *k);

static void reg_retry_later(int rc, void *ctx)
{
    struct reg *op = ctx;
    if (rc != GR_OK) {
        reg_finish(op, rc, -1, gr_strerror(rc));
        return;
    }
    zk_step_run(&op->k, reg_step_create);
}

static void reg_deleted(int rc, void *ctx)
{
    struct reg *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK || rc == GR_E_NOENT)
        zk_step_run(&op->k, reg_step_create);
    else if (rc == GR_E_ZK_BADVERSION) /* it changed under us: look again */
        zk_step_run(&op->k, reg_step_get);
    else
        reg_finish(op, rc, -1,
                   zk_step_why(op->why, sizeof(op->why), "cannot delete stale %s: %s", op->path,
                               gr_strerror(rc)));
}

static void reg_step_delete(struct zk_step *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_delete(k->zc, op->path, op->stale_version, reg_deleted, op);
    if (rc != GR_OK)
        reg_finish(op, rc, -1, gr_strerror(rc));
}

static void reg_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct reg *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) { /* went away meanwhile */
        zk_step_run(&op->k, reg_step_create);
        return;
    }
    if (rc != GR_OK) {
        reg_finish(op, rc, -1,
                   zk_step_why(op->why, sizeof(op->why), "cannot read %s: %s", op->path,
                               gr_strerror(rc)));
        return;
    }
    if (st->ephemeral_owner == zk_client_session_id(op->k.zc)) {
        /* KAFKA-7165: our own create went through (a retry after a
         * connection loss, or a second call): it is ours. */
        LOG_INFO("%s already belongs to this session 0x%" PRIx64, op->path,
                 (uint64_t)st->ephemeral_owner);
        reg_finish(op, GR_OK, st->czxid, NULL);
        return;
    }
    struct zk_broker_info theirs;
    char err[256];
    bool decoded = zk_json_broker_decode(data, len, &theirs, err, sizeof(err)) == 0;
    bool own = decoded && op->incarnation && theirs.incarnation == op->incarnation;
    bool gone = decoded && !own && zk_owner_process_gone(theirs.process);
    if (own || gone) {
        /* Our own incarnation: this process registered it from a session it
         * has since given up. Or its process, on this host, no longer runs
         * (a quick restart after a crash). Either way only the server's
         * session timeout keeps it: replace it. Anything else -- even the
         * same endpoints -- may be a live broker and is never deleted. */
        LOG_WARN("%s is %s (session 0x%" PRIx64 "); replacing it", op->path,
                 own ? "this process's registration from an earlier session"
                     : "the registration of a process of this broker that no longer runs",
                 (uint64_t)st->ephemeral_owner);
        zk_json_broker_destroy(&theirs);
        op->stale_version = st->version;
        zk_step_run(&op->k, reg_step_delete);
        return;
    }
    char holder[320];
    if (decoded && theirs.n_endpoints > 0) {
        const struct zk_endpoint *e = &theirs.endpoints[0];
        snprintf(holder, sizeof(holder), "%s://%s:%d", e->listener, e->host, (int)e->port);
    } else {
        snprintf(holder, sizeof(holder), "an unreadable registration (%s)", err);
    }
    zk_json_broker_destroy(&theirs);
    double now = mono_now();
    int timeout_ms = zk_client_session_timeout_ms(op->k.zc);
    if (op->foreign_since == 0) {
        op->foreign_since = now;
        LOG_WARN("broker id %d is registered by another broker at %s (session 0x%" PRIx64
                 "); retrying for %d ms in case that session is expiring",
                 (int)op->id, holder, (uint64_t)st->ephemeral_owner, timeout_ms);
    }
    if ((now - op->foreign_since) * 1000.0 >= timeout_ms) {
        reg_finish(op, GR_E_BROKER_ID_TAKEN, -1,
                   zk_step_why(op->why, sizeof(op->why),
                               "broker id %d is already registered by another live broker at %s "
                               "(%s, session 0x%" PRIx64 "); configure a different broker.id",
                               (int)op->id, holder, op->path, (uint64_t)st->ephemeral_owner));
        return;
    }
    int wait_ms = timeout_ms / 4 < 1000 ? timeout_ms / 4 : 1000;
    rc = zk_client_after(op->k.zc, wait_ms > 50 ? wait_ms : 50, reg_retry_later, op);
    if (rc != GR_OK)
        reg_finish(op, rc, -1, gr_strerror(rc));
}

static void reg_step_get(struct zk_step *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_get(k->zc, op->path, NULL, reg_got, op);
    if (rc != GR_OK)
        reg_finish(op, rc, -1, gr_strerror(rc));
}

static void reg_parent_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct reg *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK || rc == GR_E_EXISTS)
        zk_step_run(&op->k, reg_step_create);
    else
        reg_finish(op, rc, -1,
                   zk_step_why(op->why, sizeof(op->why), "cannot create /brokers/ids: %s",
                               gr_strerror(rc)));
}

static void reg_step_parent(struct zk_step *k)
{
    int rc = zk_client_create_recursive(k->zc, "/brokers/ids", NULL, 0, reg_parent_made, k);
    if (rc != GR_OK)
        reg_finish((struct reg *)k, rc, -1, gr_strerror(rc));
}

static void reg_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    struct reg *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        reg_finish(op, GR_OK, st ? st->czxid : -1, NULL);
    else if (rc == GR_E_EXISTS)
        zk_step_run(&op->k, reg_step_get);
    else if (rc == GR_E_NOENT)
        zk_step_run(&op->k, reg_step_parent);
    else
        reg_finish(op, rc, -1,
                   zk_step_why(op->why, sizeof(op->why), "cannot create %s: %s", op->path,
                               gr_strerror(rc)));
}

static void reg_step_create(struct zk_step *k)
{
    struct reg *op = (struct reg *)k;
    int rc = zk_client_create(k->zc, op->path, op->json, strlen(op->json), ZK_EPHEMERAL,
                              reg_created, op);
    if (rc != GR_OK)
        reg_finish(op, rc, -1, gr_strerror(rc));
}

int zk_kafka_register_broker(struct zk_client *zc, int32_t broker_id,
                             const struct zk_broker_info *info, zk_kafka_register_cb cb, void *ctx)
{
    if (!cb || !info || broker_id < 0)
        return GR_E_INVALID;
    struct reg *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    char err[256];
    if (zk_json_broker_encode(info, &op->json, err, sizeof(err)) != 0) {
        LOG_ERROR("cannot register broker %d: %s", (int)broker_id, err);
        free(op);
        return GR_E_INVALID;
    }
    op->incarnation = info->incarnation;
    op->id = broker_id;
    snprintf(op->path, sizeof(op->path), "/brokers/ids/%d", (int)broker_id);
    op->k.zc = zc;
    op->k.step = reg_step_create;
    op->cb = cb;
    op->ctx = ctx;
    int rc =
        zk_client_create(zc, op->path, op->json, strlen(op->json), ZK_EPHEMERAL, reg_created, op);
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- reads that decode one znode ----------------------------------------- */

/* The owner's side of a read; the retries are zk_step_get()'s. */
struct kafka_read {
    char path[ZK_STEP_PATH_MAX];  /* the znode */
    zk_kafka_broker_cb broker_cb; /* owner's callback (broker) */
    zk_kafka_state_cb state_cb;   /* owner's callback (partition state) */
    void *ctx;                    /* its context */
    char why[ZK_STEP_WHY_MAX];    /* failure text */
};

static const char *read_failed(struct kafka_read *r, int rc)
{
    return zk_step_why(r->why, sizeof(r->why), "cannot read %s: %s", r->path,
                       gr_strerror(rc));
}

static void broker_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct kafka_read *r = ctx;
    struct zk_broker_info b = {0};
    char err[256];
    const char *why = NULL;
    arena_init(&b.mem);
    if (rc == GR_OK && zk_json_broker_decode(data, len, &b, err, sizeof(err)) != 0) {
        rc = GR_E_CORRUPT;
        why = zk_step_why(r->why, sizeof(r->why), "%s: %s", r->path, err);
    } else if (rc != GR_OK) {
        why = read_failed(r, rc);
    }
    r->broker_cb(rc, rc == GR_OK ? &b : NULL, rc == GR_OK ? st->czxid : -1, why, r->ctx);
    zk_json_broker_destroy(&b);
    free(r);
}

int zk_kafka_get_broker(struct zk_client *zc, int32_t broker_id, zk_kafka_broker_cb cb, void *ctx)
{
    if (!cb || broker_id < 0)
        return GR_E_INVALID;
    struct kafka_read *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    snprintf(r->path, sizeof(r->path), "/brokers/ids/%d", (int)broker_id);
    r->broker_cb = cb;
    r->ctx = ctx;
    int rc = zk_step_get(zc, r->path, NULL, broker_got, r);
    if (rc != GR_OK)
        free(r);
    return rc;
}

static void state_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct kafka_read *r = ctx;
    struct zk_partition_state s = {0};
    char err[256];
    const char *why = NULL;
    arena_init(&s.mem);
    if (rc == GR_OK && zk_json_partition_state_decode(data, len, &s, err, sizeof(err)) != 0) {
        rc = GR_E_CORRUPT;
        why = zk_step_why(r->why, sizeof(r->why), "%s: %s", r->path, err);
    } else if (rc != GR_OK) {
        why = read_failed(r, rc);
    } else {
        s.zk_version = st->version;
    }
    r->state_cb(rc, rc == GR_OK ? &s : NULL, why, r->ctx);
    zk_json_partition_state_destroy(&s);
    free(r);
}

int zk_kafka_get_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                 zk_kafka_state_cb cb, void *ctx)
{
    if (!cb || !topic_name_valid(topic) || partition < 0)
        return GR_E_INVALID;
    struct kafka_read *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    zk_step_state_path(r->path, topic, partition);
    r->state_cb = cb;
    r->ctx = ctx;
    int rc = zk_step_get(zc, r->path, NULL, state_got, r);
    if (rc != GR_OK)
        free(r);
    return rc;
}

/* ---- a leader's partition state update ----------------------------------- */

struct isr_update {
    struct zk_step k;            /* retry state */
    char path[ZK_STEP_PATH_MAX]; /* the state znode */
    char *json;                  /* new contents, owned */
    int32_t expected;            /* the version it must still have */
    zk_kafka_version_cb cb;      /* owner's callback */
    void *ctx;                   /* its context */
    char why[ZK_STEP_WHY_MAX];   /* failure text */
};

static void isr_update_finish(struct isr_update *op, int rc, int32_t version)
{
    const char *why = NULL;
    if (rc != GR_OK)
        why = zk_step_why(op->why, sizeof(op->why), "cannot update %s: %s", op->path,
                          gr_strerror(rc));
    op->cb(rc, version, why, op->ctx);
    free(op->json);
    free(op);
}

static void isr_update_done(int rc, const struct zk_stat *st, void *ctx)
{
    struct isr_update *op = ctx;
    if (!zk_step_retry(&op->k, rc))
        isr_update_finish(op, rc, rc == GR_OK ? st->version : -1);
}

static void isr_update_step(struct zk_step *k)
{
    struct isr_update *op = (struct isr_update *)k;
    int rc = zk_client_set(k->zc, op->path, op->json, strlen(op->json), op->expected,
                           isr_update_done, op);
    if (rc != GR_OK)
        isr_update_finish(op, rc, -1);
}

int zk_kafka_update_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                    const struct zk_partition_state *st,
                                    int32_t expected_zk_version, zk_kafka_version_cb cb, void *ctx)
{
    if (!cb || !st || !topic_name_valid(topic) || partition < 0)
        return GR_E_INVALID;
    struct isr_update *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    char err[256];
    if (zk_json_partition_state_encode(st, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return GR_E_NOMEM;
    }
    zk_step_state_path(op->path, topic, partition);
    op->k.zc = zc;
    op->k.step = isr_update_step;
    op->expected = expected_zk_version;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_set(zc, op->path, op->json, strlen(op->json), expected_zk_version,
                           isr_update_done, op);
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- all brokers --------------------------------------------------------- */

struct gbrokers;

struct gbroker_item {
    struct zk_step k;   /* retry state of this read */
    struct gbrokers *g; /* the whole operation */
    int idx;            /* slot in g->brokers */
    char path[64];      /* /brokers/ids/<id> */
    bool ok;            /* decoded into g->brokers[idx] */
};

struct gbrokers {
    struct zk_step k;                /* retry state of the listing */
    struct zk_watcher watch;         /* optional child watch */
    bool has_watch;                  /* watch is set */
    int n;                           /* brokers listed */
    int pending;                     /* reads not finished */
    int rc;                          /* first failure */
    struct zk_kafka_broker *brokers; /* one slot per listed id */
    struct gbroker_item *items;      /* one read per listed id */
    zk_kafka_brokers_cb cb;          /* owner's callback */
    void *ctx;                       /* its context */
    char why[ZK_STEP_WHY_MAX];       /* failure text */
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
    g->cb(g->rc, g->rc == GR_OK ? g->brokers : NULL, g->rc == GR_OK ? m : 0,
          g->rc == GR_OK ? NULL : g->why, g->ctx);
    for (int i = 0; i < m; i++)
        zk_json_broker_destroy(&g->brokers[i].info);
    free(g->brokers);
    free(g->items);
    free(g);
}

static void gbroker_item_done(struct gbroker_item *it, int rc)
{
    struct gbrokers *g = it->g;
    if (rc != GR_OK && rc != GR_E_NOENT && g->rc == GR_OK) {
        g->rc = rc;
        zk_step_why(g->why, sizeof(g->why), "cannot read %s: %s", it->path, gr_strerror(rc));
    }
    if (--g->pending == 0)
        gbrokers_finish(g);
}

static void gbroker_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct gbroker_item *it = ctx;
    if (zk_step_retry(&it->k, rc))
        return;
    if (rc == GR_OK) {
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

static void gbroker_item_step(struct zk_step *k)
{
    struct gbroker_item *it = (struct gbroker_item *)k;
    int rc = zk_client_get(k->zc, it->path, NULL, gbroker_got, it);
    if (rc != GR_OK)
        gbroker_item_done(it, rc);
}

static void gbrokers_listed(int rc, const char *const *names, int n, const struct zk_stat *st,
                            void *ctx)
{
    (void)st;
    struct gbrokers *g = ctx;
    if (zk_step_retry(&g->k, rc))
        return;
    if (rc == GR_E_NOENT)
        n = 0; /* no broker ever registered */
    else if (rc != GR_OK) {
        g->rc = rc;
        zk_step_why(g->why, sizeof(g->why), "cannot list /brokers/ids: %s", gr_strerror(rc));
        gbrokers_finish(g);
        return;
    }
    g->brokers = calloc((size_t)(n ? n : 1), sizeof(*g->brokers));
    g->items = calloc((size_t)(n ? n : 1), sizeof(*g->items));
    if (!g->brokers || !g->items) {
        g->rc = GR_E_NOMEM;
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

static void gbrokers_step(struct zk_step *k)
{
    struct gbrokers *g = (struct gbrokers *)k;
    int rc = zk_client_get_children(k->zc, "/brokers/ids", g->has_watch ? &g->watch : NULL,
                                    gbrokers_listed, g);
    if (rc != GR_OK) {
        g->rc = rc;
        zk_step_why(g->why, sizeof(g->why), "cannot list /brokers/ids: %s", gr_strerror(rc));
        gbrokers_finish(g);
    }
}

int zk_kafka_get_brokers(struct zk_client *zc, const struct zk_watcher *watch,
                         zk_kafka_brokers_cb cb, void *ctx)
{
    if (!cb)
        return GR_E_INVALID;
    struct gbrokers *g = calloc(1, sizeof(*g));
    if (!g)
        return GR_E_NOMEM;
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
    if (rc != GR_OK)
        free(g);
    return rc;
}

/* ---- notifications ------------------------------------------------------- */

struct seqnode {
    struct zk_step k;              /* retry state */
    char parent[ZK_STEP_PATH_MAX]; /* e.g. /isr_change_notification */
    char prefix[ZK_STEP_PATH_MAX]; /* e.g. /isr_change_notification/isr_change_ */
    char *json;                    /* contents, owned */
    zk_kafka_path_cb cb;           /* owner's callback */
    void *ctx;                     /* its context */
    char why[ZK_STEP_WHY_MAX];     /* failure text */
};

static void seqnode_finish(struct seqnode *op, int rc, const char *path)
{
    op->cb(rc, rc == GR_OK ? path : NULL,
           rc == GR_OK ? NULL
                       : zk_step_why(op->why, sizeof(op->why), "cannot create %s*: %s", op->prefix,
                                     gr_strerror(rc)),
           op->ctx);
    free(op->json);
    free(op);
}

static void seqnode_step_create(struct zk_step *k);

static void seqnode_parent_made(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct seqnode *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK || rc == GR_E_EXISTS)
        zk_step_run(&op->k, seqnode_step_create);
    else
        seqnode_finish(op, rc, NULL);
}

static void seqnode_step_parent(struct zk_step *k)
{
    struct seqnode *op = (struct seqnode *)k;
    int rc = zk_client_create_recursive(k->zc, op->parent, NULL, 0, seqnode_parent_made, op);
    if (rc != GR_OK)
        seqnode_finish(op, rc, NULL);
}

static void seqnode_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct seqnode *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT)
        zk_step_run(&op->k, seqnode_step_parent);
    else
        seqnode_finish(op, rc, path);
}

static void seqnode_step_create(struct zk_step *k)
{
    struct seqnode *op = (struct seqnode *)k;
    int rc = zk_client_create(k->zc, op->prefix, op->json, strlen(op->json), ZK_SEQUENTIAL,
                              seqnode_created, op);
    if (rc != GR_OK)
        seqnode_finish(op, rc, NULL);
}

/* Takes ownership of json. */
static int seqnode_start(struct zk_client *zc, const char *parent, const char *name_prefix,
                         char *json, zk_kafka_path_cb cb, void *ctx)
{
    struct seqnode *op = calloc(1, sizeof(*op));
    if (!op) {
        free(json);
        return GR_E_NOMEM;
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
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

int zk_kafka_propagate_isr_changes(struct zk_client *zc, const struct zk_partition_list *changes,
                                   zk_kafka_path_cb cb, void *ctx)
{
    if (!cb || !changes || changes->n < 1)
        return GR_E_INVALID;
    char *json, err[256];
    int jrc = zk_json_partition_list_encode(changes, &json, err, sizeof(err));
    if (jrc != 0)
        return jrc == GR_E_NOMEM ? GR_E_NOMEM : GR_E_INVALID;
    return seqnode_start(zc, "/isr_change_notification", "isr_change_", json, cb, ctx);
}

int zk_kafka_create_config_change_notification(struct zk_client *zc, const char *entity_path,
                                               zk_kafka_path_cb cb, void *ctx)
{
    if (!cb)
        return GR_E_INVALID;
    char *json, err[256];
    int jrc = zk_json_config_change_encode(entity_path, &json, err, sizeof(err));
    if (jrc != 0)
        return jrc == GR_E_NOMEM ? GR_E_NOMEM : GR_E_INVALID;
    return seqnode_start(zc, "/config/changes", "config_change_", json, cb, ctx);
}
