/*
 * Controller election and the epoch fence (see zk_controller.h).
 *
 * Built from zk_step.h's operation objects: each completion first offers its
 * rc to zk_step_retry() (a connection loss re-sends the current request),
 * then moves on or finishes, calling the owner back exactly once.
 */
#include "zk/zk_controller.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_COMPONENT "zk"
#include "common/logger.h"
#include "zk/zk_step.h"
#include "zk/zk_topic.h"
#include "common/topic_name.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- controller election ------------------------------------------------- */

struct elect {
    struct zk_step k;             /* retry state */
    int32_t id;                   /* candidate broker id */
    uint64_t incarnation;         /* the candidate process's (zk_owner.h), 0 if none */
    char *json;                   /* /controller contents, owned */
    int32_t epoch;                /* /controller_epoch read */
    int32_t version;              /* its znode version */
    zk_controller_election_cb cb; /* owner's callback */
    void *ctx;                    /* its context */
    char why[ZK_STEP_WHY_MAX];    /* failure text */
};

static void elect_finish(struct elect *op, int rc, bool won, int32_t controller, int32_t epoch,
                         int32_t zk_version, const char *why)
{
    struct zk_controller_election e = {rc, won, controller, epoch, zk_version, why};
    if (rc == GR_OK && won)
        LOG_INFO("broker %d is the controller, epoch %d (/controller_epoch version %d)",
                 (int)op->id, (int)epoch, (int)zk_version);
    else if (rc == GR_OK)
        LOG_INFO("broker %d lost the controller election; controller is %d", (int)op->id,
                 (int)controller);
    op->cb(&e, op->ctx);
    free(op->json);
    free(op);
}

static void elect_fail(struct elect *op, int rc, const char *what)
{
    elect_finish(op, rc, false, -1, -1, -1,
                 zk_step_why(op->why, sizeof(op->why), "controller election: %s: %s", what,
                             gr_strerror(rc)));
}

static void elect_step_get_epoch(struct zk_step *k);
static void elect_step_multi(struct zk_step *k);

/* Reads an epoch znode's data; false (and op finished) if malformed. */
static bool elect_decode_epoch(struct elect *op, const char *data, size_t len, int32_t *epoch)
{
    char err[256];
    if (zk_json_controller_epoch_decode(data, len, epoch, err, sizeof(err)) == 0)
        return true;
    elect_finish(op, GR_E_CORRUPT, false, -1, -1, -1,
                 zk_step_why(op->why, sizeof(op->why), "/controller_epoch: %s", err));
    return false;
}

static void elect_check_epoch_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                                  void *ctx)
{
    struct elect *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc != GR_OK) {
        elect_fail(op, rc, "cannot read /controller_epoch");
        return;
    }
    int32_t epoch;
    if (!elect_decode_epoch(op, data, len, &epoch))
        return;
    /* /controller is ours: we won if the epoch is the one our multi wrote
     * (its reply was lost); otherwise /controller was ours already. */
    if (epoch == op->epoch + 1)
        elect_finish(op, GR_OK, true, op->id, epoch, st->version, NULL);
    else
        elect_finish(op, GR_OK, false, op->id, -1, -1, NULL);
}

static void elect_step_check_epoch(struct zk_step *k)
{
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, elect_check_epoch_got, k);
    if (rc != GR_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller_epoch");
}

static uint64_t owner_incarnation(const char *data, size_t len)
{
    struct zk_owner o;
    zk_json_owner_decode(data, len, &o);
    return o.incarnation;
}

static void elect_controller_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                                 void *ctx)
{
    struct elect *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) { /* the winner is already gone */
        elect_finish(op, GR_OK, false, -1, -1, -1, NULL);
        return;
    }
    if (rc != GR_OK) {
        elect_fail(op, rc, "cannot read /controller");
        return;
    }
    int32_t id;
    char err[256];
    if (zk_json_controller_decode(data, len, &id, err, sizeof(err)) != 0) {
        elect_finish(op, GR_E_CORRUPT, false, -1, -1, -1,
                     zk_step_why(op->why, sizeof(op->why), "/controller: %s", err));
        return;
    }
    /* Our id alone does not make it ours: another process with the same
     * broker.id (or an earlier one of ours) may hold it. Only our session or
     * our incarnation does. */
    bool ours = id == op->id && (st->ephemeral_owner == zk_client_session_id(op->k.zc) ||
                                 (op->incarnation && owner_incarnation(data, len) == op->incarnation));
    if (!ours)
        elect_finish(op, GR_OK, false, id, -1, -1, NULL);
    else
        zk_step_run(&op->k, elect_step_check_epoch);
}

static void elect_step_check_controller(struct zk_step *k)
{
    int rc = zk_client_get(k->zc, "/controller", NULL, elect_controller_got, k);
    if (rc != GR_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller");
}

static void elect_multi_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct elect *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK && n == 2)
        elect_finish(op, GR_OK, true, op->id, op->epoch + 1, res[1].stat.version, NULL);
    else if (rc == GR_E_EXISTS || rc == GR_E_ZK_BADVERSION)
        zk_step_run(&op->k, elect_step_check_controller);
    else
        elect_fail(op, rc, "cannot create /controller");
}

static void elect_step_multi(struct zk_step *k)
{
    struct elect *op = (struct elect *)k;
    char next[16];
    if (op->epoch == INT32_MAX) {
        elect_finish(op, GR_E_INVALID, false, -1, -1, -1, "controller epoch overflows");
        return;
    }
    int n = zk_json_controller_epoch_encode(op->epoch + 1, next, sizeof(next));
    struct zk_op ops[] = {
        zk_client_op_create("/controller", op->json, strlen(op->json), ZK_EPHEMERAL),
        zk_client_op_set("/controller_epoch", next, (size_t)n, op->version),
    };
    int rc = zk_client_multi(k->zc, ops, 2, elect_multi_done, op);
    if (rc != GR_OK)
        elect_fail(op, rc, "cannot create /controller");
}

static void elect_epoch_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct elect *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK) {
        LOG_INFO("created /controller_epoch with epoch 0");
        op->epoch = 0;
        op->version = 0;
        zk_step_run(&op->k, elect_step_multi);
    } else if (rc == GR_E_EXISTS) {
        zk_step_run(&op->k, elect_step_get_epoch);
    } else {
        elect_fail(op, rc, "cannot create /controller_epoch");
    }
}

static void elect_step_create_epoch(struct zk_step *k)
{
    int rc =
        zk_client_create(k->zc, "/controller_epoch", "0", 1, ZK_PERSISTENT, elect_epoch_created, k);
    if (rc != GR_OK)
        elect_fail((struct elect *)k, rc, "cannot create /controller_epoch");
}

static void elect_epoch_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                            void *ctx)
{
    struct elect *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) {
        zk_step_run(&op->k, elect_step_create_epoch);
        return;
    }
    if (rc != GR_OK) {
        elect_fail(op, rc, "cannot read /controller_epoch");
        return;
    }
    if (!elect_decode_epoch(op, data, len, &op->epoch))
        return;
    op->version = st->version;
    zk_step_run(&op->k, elect_step_multi);
}

static void elect_step_get_epoch(struct zk_step *k)
{
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, elect_epoch_got, k);
    if (rc != GR_OK)
        elect_fail((struct elect *)k, rc, "cannot read /controller_epoch");
}

int zk_controller_elect(struct zk_client *zc, int32_t broker_id, const struct zk_owner *owner,
                        zk_controller_election_cb cb, void *ctx)
{
    if (!cb || broker_id < 0)
        return GR_E_INVALID;
    struct elect *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    char err[256];
    if (zk_json_controller_encode(broker_id, wall_ms(), owner, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return GR_E_NOMEM;
    }
    op->k.zc = zc;
    op->k.step = elect_step_get_epoch;
    op->id = broker_id;
    op->incarnation = owner ? owner->incarnation : 0;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_get(zc, "/controller_epoch", NULL, elect_epoch_got, op);
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

/* ---- controller / controller epoch reads --------------------------------- */

struct getctl {
    struct zk_step k;          /* retry state */
    struct zk_watcher watch;   /* the owner's watch, if has_watch */
    bool has_watch;            /* arm it with the exists */
    zk_controller_id_cb cb;    /* owner's callback */
    void *ctx;                 /* its context */
    char why[ZK_STEP_WHY_MAX]; /* failure text */
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
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT) {
        getctl_finish(op, GR_OK, -1, NULL);
        return;
    }
    if (rc != GR_OK) {
        getctl_finish(op, rc, -1,
                      zk_step_why(op->why, sizeof(op->why), "cannot read /controller: %s",
                                  gr_strerror(rc)));
        return;
    }
    int32_t id;
    char err[256];
    if (zk_json_controller_decode(data, len, &id, err, sizeof(err)) != 0)
        getctl_finish(op, GR_E_CORRUPT, -1,
                      zk_step_why(op->why, sizeof(op->why), "/controller: %s", err));
    else
        getctl_finish(op, GR_OK, id, NULL);
}

static void getctl_step_get(struct zk_step *k)
{
    int rc = zk_client_get(k->zc, "/controller", NULL, getctl_got, k);
    if (rc != GR_OK)
        getctl_finish((struct getctl *)k, rc, -1, gr_strerror(rc));
}

static void getctl_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct getctl *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_E_NOENT)
        getctl_finish(op, GR_OK, -1, NULL);
    else if (rc == GR_OK)
        zk_step_run(&op->k, getctl_step_get);
    else
        getctl_finish(op, rc, -1,
                      zk_step_why(op->why, sizeof(op->why), "cannot read /controller: %s",
                                  gr_strerror(rc)));
}

/* The watch rides on an exists(), which arms it whether or not /controller
 * is there (Kafka's registerZNodeChangeHandlerAndCheckExistence). */
static void getctl_step_exists(struct zk_step *k)
{
    struct getctl *op = (struct getctl *)k;
    int rc = zk_client_exists(k->zc, "/controller", &op->watch, getctl_exists, op);
    if (rc != GR_OK)
        getctl_finish(op, rc, -1, gr_strerror(rc));
}

int zk_controller_get(struct zk_client *zc, const struct zk_watcher *watch, zk_controller_id_cb cb,
                      void *ctx)
{
    if (!cb)
        return GR_E_INVALID;
    struct getctl *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
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
    if (rc != GR_OK)
        free(op);
    return rc;
}

struct getepoch {
    struct zk_step k;          /* retry state */
    zk_controller_epoch_cb cb; /* owner's callback */
    void *ctx;                 /* its context */
    char why[ZK_STEP_WHY_MAX]; /* failure text */
};

static void getepoch_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct getepoch *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    int32_t epoch = -1, version = -1;
    const char *why = NULL;
    char err[256];
    if (rc == GR_OK) {
        if (zk_json_controller_epoch_decode(data, len, &epoch, err, sizeof(err)) != 0) {
            rc = GR_E_CORRUPT;
            why = zk_step_why(op->why, sizeof(op->why), "/controller_epoch: %s", err);
        } else {
            version = st->version;
        }
    } else {
        why = zk_step_why(op->why, sizeof(op->why), "cannot read /controller_epoch: %s",
                          gr_strerror(rc));
    }
    op->cb(rc, epoch, version, why, op->ctx);
    free(op);
}

static void getepoch_step(struct zk_step *k)
{
    struct getepoch *op = (struct getepoch *)k;
    int rc = zk_client_get(k->zc, "/controller_epoch", NULL, getepoch_got, op);
    if (rc != GR_OK) {
        op->cb(rc, -1, -1, gr_strerror(rc), op->ctx);
        free(op);
    }
}

int zk_controller_get_epoch(struct zk_client *zc, zk_controller_epoch_cb cb, void *ctx)
{
    if (!cb)
        return GR_E_INVALID;
    struct getepoch *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    op->k.zc = zc;
    op->k.step = getepoch_step;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_get(zc, "/controller_epoch", NULL, getepoch_got, op);
    if (rc != GR_OK)
        free(op);
    return rc;
}

/* ---- fenced controller writes -------------------------------------------- */

/* The epoch fence: a controller's writes carry a check that /controller_epoch
 * still is at the version its election produced. A newer controller's
 * election bumps that version, so every write of a deposed controller fails
 * as a whole (GR_E_NOT_CONTROLLER) instead of racing the new one. */
struct cmulti {
    struct zk_step k;  /* retry state */
    bool fenced;       /* ops[0] is the epoch check */
    int n;             /* ops, including the check */
    struct zk_op *ops; /* owned copies (paths and data) */
    zk_multi_cb cb;    /* owner's callback */
    void *ctx;         /* its context */
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
    if (zk_step_retry(&op->k, rc))
        return;
    if (op->fenced && n >= 1) {
        if (res[0].rc == GR_E_ZK_BADVERSION)
            rc = GR_E_NOT_CONTROLLER;
        else if (res[0].rc != GR_OK && res[0].rc != GR_E_ZK_ROLLEDBACK)
            rc = res[0].rc; /* e.g. /controller_epoch itself is gone */
        res++;
        n--;
    }
    op->cb(rc, res, n, op->ctx);
    cmulti_free(op);
}

static void cmulti_step(struct zk_step *k)
{
    struct cmulti *op = (struct cmulti *)k;
    int rc = zk_client_multi(k->zc, op->ops, op->n, cmulti_done, op);
    if (rc != GR_OK) {
        struct zk_op_result res[1] = {{.rc = rc}};
        op->cb(rc, res, 0, op->ctx);
        cmulti_free(op);
    }
}

int zk_controller_multi(struct zk_client *zc, int32_t epoch_zk_version, const struct zk_op *ops,
                        int n, zk_multi_cb cb, void *ctx)
{
    if (!cb || !ops || n < 1 || n > 999)
        return GR_E_INVALID;
    struct cmulti *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    op->fenced = epoch_zk_version != ZK_CONTROLLER_UNFENCED;
    op->n = n + (op->fenced ? 1 : 0);
    op->ops = calloc((size_t)op->n, sizeof(*op->ops));
    if (!op->ops) {
        free(op);
        return GR_E_NOMEM;
    }
    bool bad = false;
    int at = 0;
    if (op->fenced) {
        op->ops[at] = zk_client_op_check("/controller_epoch", epoch_zk_version);
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
        return GR_E_NOMEM;
    }
    op->k.zc = zc;
    op->k.step = cmulti_step;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_multi(zc, op->ops, op->n, cmulti_done, op);
    if (rc != GR_OK)
        cmulti_free(op);
    return rc;
}

/* ---- partition state writes ---------------------------------------------- */

/* A partition state write. No retry state of its own: every request goes
 * through zk_controller_multi(), which re-sends after a connection loss. */
struct pstate {
    struct zk_client *zc;            /* client */
    int32_t fence;                   /* epoch_zk_version */
    int stage;                       /* create: 0 partitions, 1 partition, 2 state */
    char paths[3][ZK_STEP_PATH_MAX]; /* .../partitions, .../partitions/<p>, .../state */
    char *json;                      /* state contents, owned (NULL for delete) */
    zk_controller_version_cb cb;     /* owner's callback (create, set) */
    zk_controller_done_cb done_cb;   /* owner's callback (delete) */
    void *ctx;                       /* its context */
    char why[ZK_STEP_WHY_MAX];       /* failure text */
};

static struct pstate *pstate_new(struct zk_client *zc, int32_t fence, const char *topic,
                                 int32_t partition, const struct zk_partition_state *st, void *ctx,
                                 int *rc)
{
    *rc = GR_E_INVALID;
    if (!topic_name_valid(topic) || partition < 0)
        return NULL;
    struct pstate *op = calloc(1, sizeof(*op));
    *rc = GR_E_NOMEM;
    if (!op)
        return NULL;
    char err[256];
    if (st && zk_json_partition_state_encode(st, &op->json, err, sizeof(err)) != 0) {
        free(op);
        return NULL;
    }
    snprintf(op->paths[0], ZK_STEP_PATH_MAX, "/brokers/topics/%s/partitions", topic);
    snprintf(op->paths[1], ZK_STEP_PATH_MAX, "/brokers/topics/%s/partitions/%d", topic,
             (int)partition);
    zk_step_state_path(op->paths[2], topic, partition);
    op->zc = zc;
    op->fence = fence;
    op->ctx = ctx;
    *rc = GR_OK;
    return op;
}

static void pstate_finish(struct pstate *op, int rc, int32_t version, const char *what)
{
    const char *why = NULL;
    if (rc != GR_OK)
        why = zk_step_why(op->why, sizeof(op->why), "%s %s: %s", what, op->paths[2],
                          gr_strerror(rc));
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
    if (op->stage < 2 && (rc == GR_OK || rc == GR_E_EXISTS)) {
        op->stage++;
        rc = pstate_create_stage(op);
        if (rc != GR_OK)
            pstate_finish(op, rc, -1, "cannot create");
        return;
    }
    pstate_finish(op, rc, rc == GR_OK ? 0 : -1, "cannot create");
}

static int pstate_create_stage(struct pstate *op)
{
    bool leaf = op->stage == 2;
    struct zk_op o = zk_client_op_create(op->paths[op->stage], leaf ? op->json : NULL,
                                         leaf ? strlen(op->json) : 0, ZK_PERSISTENT);
    return zk_controller_multi(op->zc, op->fence, &o, 1, pstate_created, op);
}

int zk_controller_create_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                         const char *topic, int32_t partition,
                                         const struct zk_partition_state *st,
                                         zk_controller_version_cb cb, void *ctx)
{
    int rc;
    if (!cb || !st)
        return GR_E_INVALID;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, st, ctx, &rc);
    if (!op)
        return rc;
    op->cb = cb;
    rc = pstate_create_stage(op);
    if (rc != GR_OK) {
        free(op->json);
        free(op);
    }
    return rc;
}

static void pstate_set(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    struct pstate *op = ctx;
    pstate_finish(op, rc, rc == GR_OK && n == 1 ? res[0].stat.version : -1, "cannot update");
}

int zk_controller_set_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                      const char *topic, int32_t partition,
                                      const struct zk_partition_state *st,
                                      int32_t expected_zk_version, zk_controller_version_cb cb,
                                      void *ctx)
{
    int rc;
    if (!cb || !st)
        return GR_E_INVALID;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, st, ctx, &rc);
    if (!op)
        return rc;
    op->cb = cb;
    struct zk_op o =
        zk_client_op_set(op->paths[2], op->json, strlen(op->json), expected_zk_version);
    rc = zk_controller_multi(zc, epoch_zk_version, &o, 1, pstate_set, op);
    if (rc != GR_OK) {
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

int zk_controller_delete_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                         const char *topic, int32_t partition,
                                         int32_t expected_zk_version, zk_controller_done_cb cb,
                                         void *ctx)
{
    int rc;
    if (!cb)
        return GR_E_INVALID;
    struct pstate *op = pstate_new(zc, epoch_zk_version, topic, partition, NULL, ctx, &rc);
    if (!op)
        return rc;
    op->done_cb = cb;
    struct zk_op o = zk_client_op_delete(op->paths[2], expected_zk_version);
    rc = zk_controller_multi(zc, epoch_zk_version, &o, 1, pstate_deleted, op);
    if (rc != GR_OK)
        free(op);
    return rc;
}

/* ---- one fenced delete --------------------------------------------------- */

/* A single delete, fenced (through zk_controller_multi) or plain. */
struct fdel {
    struct zk_step k;          /* retry state (plain delete) */
    char *path;                /* owned */
    zk_controller_done_cb cb;  /* caller's callback */
    void *ctx;                 /* its context */
    char why[ZK_STEP_WHY_MAX]; /* failure text */
};

static void fdel_finish(struct fdel *d, int rc)
{
    if (rc == GR_E_NOENT)
        rc = GR_OK;
    const char *why = NULL;
    if (rc != GR_OK)
        why = zk_step_why(d->why, sizeof(d->why), "cannot delete %s: %s", d->path,
                          rc == GR_E_NOT_CONTROLLER ? "this controller is deposed"
                                                      : gr_strerror(rc));
    d->cb(rc, why, d->ctx);
    free(d->path);
    free(d);
}

static void fdel_plain_done(int rc, void *ctx)
{
    struct fdel *d = ctx;
    if (!zk_step_retry(&d->k, rc))
        fdel_finish(d, rc);
}

static void fdel_fenced_done(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    (void)n;
    fdel_finish(ctx, rc);
}

static void fdel_step(struct zk_step *k)
{
    struct fdel *d = (struct fdel *)k;
    int rc = zk_client_delete(k->zc, d->path, ZK_ANY_VERSION, fdel_plain_done, d);
    if (rc != GR_OK)
        fdel_finish(d, rc);
}

int zk_controller_delete(struct zk_client *zc, int32_t epoch_zk_version, const char *path,
                         zk_controller_done_cb cb, void *ctx)
{
    if (!cb || !path)
        return GR_E_INVALID;
    struct fdel *d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return GR_E_NOMEM;
    }
    d->k.zc = zc;
    d->k.step = fdel_step;
    d->cb = cb;
    d->ctx = ctx;
    int rc;
    if (epoch_zk_version == ZK_CONTROLLER_UNFENCED) {
        rc = zk_client_delete(zc, path, ZK_ANY_VERSION, fdel_plain_done, d);
    } else {
        struct zk_op o = zk_client_op_delete(path, ZK_ANY_VERSION);
        rc = zk_controller_multi(zc, epoch_zk_version, &o, 1, fdel_fenced_done, d);
    }
    if (rc != GR_OK) {
        free(d->path);
        free(d);
    }
    return rc;
}
