/*
 * A topic's znodes (see zk_topic.h).
 *
 * Built from zk_step.h's operation objects: each completion first offers its
 * rc to zk_step_retry() (a connection loss re-sends the current request),
 * then moves on or finishes, calling the owner back exactly once.
 */
#include "zk/zk_topic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_COMPONENT "zk"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_controller.h"
#include "zk/zk_step.h"
#include "common/topic_name.h"

static void topic_path(char *out, const char *topic)
{
    snprintf(out, ZK_STEP_PATH_MAX, "/brokers/topics/%s", topic);
}

/* ---- topics: create, mark for deletion ----------------------------------- */

struct ctopic {
    struct zk_step k;             /* retry state */
    char topic[256];              /* topic name */
    char tpath[ZK_STEP_PATH_MAX]; /* /brokers/topics/<t> */
    char cpath[ZK_STEP_PATH_MAX]; /* /config/topics/<t> */
    char *assignment;             /* topic znode contents, owned */
    char *config;                 /* config znode contents, owned */
    zk_topic_done_cb cb;          /* owner's callback */
    void *ctx;                    /* its context */
    char why[ZK_STEP_WHY_MAX];    /* failure text */
};

static void ctopic_finish(struct ctopic *op, int rc, const char *why)
{
    if (rc == GR_OK)
        LOG_INFO("created topic %s", op->topic);
    op->cb(rc, why, op->ctx);
    free(op->assignment);
    free(op->config);
    free(op);
}

static void ctopic_fail(struct ctopic *op, int rc, const char *what)
{
    if (rc == GR_E_TOPIC_EXISTS)
        ctopic_finish(
            op, rc, zk_step_why(op->why, sizeof(op->why), "Topic '%s' already exists.", op->topic));
    else
        ctopic_finish(op, rc,
                      zk_step_why(op->why, sizeof(op->why), "cannot create topic %s: %s: %s",
                                  op->topic, what, gr_strerror(rc)));
}

static void ctopic_step_set_config(struct zk_step *k);

static void ctopic_topic_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct ctopic *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        ctopic_finish(op, GR_OK, NULL);
    else
        ctopic_fail(op, rc == GR_E_EXISTS ? GR_E_TOPIC_EXISTS : rc, op->tpath);
}

static void ctopic_step_topic(struct zk_step *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->tpath, op->assignment, strlen(op->assignment),
                                        ctopic_topic_created, op);
    if (rc != GR_OK)
        ctopic_fail(op, rc, op->tpath);
}

static void ctopic_config_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    struct ctopic *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        zk_step_run(&op->k, ctopic_step_topic);
    else if (rc == GR_E_EXISTS) /* raced with another writer: overwrite */
        zk_step_run(&op->k, ctopic_step_set_config);
    else
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_step_create_config(struct zk_step *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->cpath, op->config, strlen(op->config),
                                        ctopic_config_created, op);
    if (rc != GR_OK)
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_config_set(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct ctopic *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        zk_step_run(&op->k, ctopic_step_topic);
    else if (rc == GR_E_NOENT)
        zk_step_run(&op->k, ctopic_step_create_config);
    else
        ctopic_fail(op, rc, op->cpath);
}

/* Kafka's setOrCreateEntityConfigs: a config left behind by an earlier
 * topic of the same name is overwritten, not inherited. */
static void ctopic_step_set_config(struct zk_step *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_set(k->zc, op->cpath, op->config, strlen(op->config), ZK_ANY_VERSION,
                           ctopic_config_set, op);
    if (rc != GR_OK)
        ctopic_fail(op, rc, op->cpath);
}

static void ctopic_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct ctopic *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        ctopic_fail(op, GR_E_TOPIC_EXISTS, op->tpath);
    else if (rc == GR_E_NOENT)
        zk_step_run(&op->k, ctopic_step_set_config);
    else
        ctopic_fail(op, rc, op->tpath);
}

static void ctopic_step_exists(struct zk_step *k)
{
    struct ctopic *op = (struct ctopic *)k;
    int rc = zk_client_exists(k->zc, op->tpath, NULL, ctopic_exists, op);
    if (rc != GR_OK)
        ctopic_fail(op, rc, op->tpath);
}

int zk_topic_create(struct zk_client *zc, const char *topic,
                    const struct zk_topic_assignment *assignment, const struct zk_config *config,
                    zk_topic_done_cb cb, void *ctx)
{
    if (!cb || !assignment || !topic_name_valid(topic))
        return GR_E_INVALID;
    struct ctopic *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    char err[256];
    struct zk_config empty = {0};
    int jrc = zk_json_topic_encode(assignment, &op->assignment, err, sizeof(err));
    if (jrc == 0)
        jrc = zk_json_config_encode(config ? config : &empty, &op->config, err, sizeof(err));
    if (jrc != 0) {
        LOG_ERROR("cannot create topic %s: %s", topic, err);
        free(op->assignment);
        free(op);
        return jrc == GR_E_NOMEM ? GR_E_NOMEM : GR_E_INVALID;
    }
    snprintf(op->topic, sizeof(op->topic), "%s", topic);
    topic_path(op->tpath, topic);
    snprintf(op->cpath, sizeof(op->cpath), "/config/topics/%s", topic);
    op->k.zc = zc;
    op->k.step = ctopic_step_exists;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_exists(zc, op->tpath, NULL, ctopic_exists, op);
    if (rc != GR_OK) {
        free(op->assignment);
        free(op->config);
        free(op);
    }
    return rc;
}

struct marktopic {
    struct zk_step k;             /* retry state */
    char topic[256];              /* topic name */
    char tpath[ZK_STEP_PATH_MAX]; /* /brokers/topics/<t> */
    char dpath[ZK_STEP_PATH_MAX]; /* /admin/delete_topics/<t> */
    zk_topic_done_cb cb;          /* owner's callback */
    void *ctx;                    /* its context */
    char why[ZK_STEP_WHY_MAX];    /* failure text */
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
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        mark_finish(op, rc, NULL);
    else if (rc == GR_E_EXISTS)
        mark_finish(op, rc,
                    zk_step_why(op->why, sizeof(op->why), "topic %s is already marked for deletion",
                                op->topic));
    else
        mark_finish(op, rc,
                    zk_step_why(op->why, sizeof(op->why), "cannot create %s: %s", op->dpath,
                                gr_strerror(rc)));
}

static void mark_step_create(struct zk_step *k)
{
    struct marktopic *op = (struct marktopic *)k;
    int rc = zk_client_create_recursive(k->zc, op->dpath, NULL, 0, mark_created, op);
    if (rc != GR_OK)
        mark_finish(op, rc, gr_strerror(rc));
}

static void mark_exists(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct marktopic *op = ctx;
    if (zk_step_retry(&op->k, rc))
        return;
    if (rc == GR_OK)
        zk_step_run(&op->k, mark_step_create);
    else if (rc == GR_E_NOENT)
        mark_finish(op, rc,
                    zk_step_why(op->why, sizeof(op->why), "topic %s does not exist", op->topic));
    else
        mark_finish(op, rc,
                    zk_step_why(op->why, sizeof(op->why), "cannot read %s: %s", op->tpath,
                                gr_strerror(rc)));
}

static void mark_step_exists(struct zk_step *k)
{
    struct marktopic *op = (struct marktopic *)k;
    int rc = zk_client_exists(k->zc, op->tpath, NULL, mark_exists, op);
    if (rc != GR_OK)
        mark_finish(op, rc, gr_strerror(rc));
}

int zk_topic_mark_for_deletion(struct zk_client *zc, const char *topic, zk_topic_done_cb cb,
                               void *ctx)
{
    if (!cb || !topic_name_valid(topic))
        return GR_E_INVALID;
    struct marktopic *op = calloc(1, sizeof(*op));
    if (!op)
        return GR_E_NOMEM;
    snprintf(op->topic, sizeof(op->topic), "%s", topic);
    topic_path(op->tpath, topic);
    snprintf(op->dpath, sizeof(op->dpath), "/admin/delete_topics/%s", topic);
    op->k.zc = zc;
    op->k.step = mark_step_exists;
    op->cb = cb;
    op->ctx = ctx;
    int rc = zk_client_exists(zc, op->tpath, NULL, mark_exists, op);
    if (rc != GR_OK)
        free(op);
    return rc;
}

/* ---- topic deletion ------------------------------------------------------ */

struct dtopic;

/* One znode of the tree being deleted: its children go first. */
struct rdnode {
    struct zk_step k;      /* retry state of the listing */
    struct dtopic *top;    /* the whole deletion */
    struct rdnode *parent; /* NULL for the topic znode */
    char *path;            /* owned */
    int pending;           /* children not deleted yet */
    int tries;             /* re-listings after GR_E_ZK_NOTEMPTY */
};

struct dtopic {
    struct zk_client *zc;            /* client */
    int32_t fence;                   /* epoch_zk_version or ZK_CONTROLLER_UNFENCED */
    int stage;                       /* 0 tree, 1 config, 2 delete marker */
    int rc;                          /* first failure */
    char topic[256];                 /* topic name */
    char paths[3][ZK_STEP_PATH_MAX]; /* topic, config, admin marker */
    zk_topic_done_cb cb;             /* owner's callback */
    void *ctx;                       /* its context */
    char why[ZK_STEP_WHY_MAX];       /* failure text */
};

static void dtopic_next(struct dtopic *t);

static void dtopic_fail(struct dtopic *t, int rc, const char *path)
{
    if (t->rc == GR_OK) {
        t->rc = rc;
        zk_step_why(t->why, sizeof(t->why), "cannot delete %s: %s", path,
                    rc == GR_E_NOT_CONTROLLER ? "this controller is deposed"
                                                : gr_strerror(rc));
    }
}

static void rdnode_list(struct rdnode *n);
static void rdnode_delete(struct rdnode *n);

static void rdnode_done(struct rdnode *n, int rc)
{
    struct dtopic *t = n->top;
    struct rdnode *parent = n->parent;
    if (rc != GR_OK)
        dtopic_fail(t, rc, n->path);
    free(n->path);
    free(n);
    if (!parent) {
        dtopic_next(t);
        return;
    }
    if (--parent->pending > 0)
        return;
    if (t->rc == GR_OK)
        rdnode_delete(parent);
    else
        rdnode_done(parent, GR_OK); /* stop, keep what is left */
}

static void rdnode_deleted(int rc, const char *why, void *ctx)
{
    (void)why;
    struct rdnode *n = ctx;
    /* Someone added a child meanwhile: list and delete again. */
    if (rc == GR_E_ZK_NOTEMPTY && n->tries++ < 3) {
        rdnode_list(n);
        return;
    }
    rdnode_done(n, rc);
}

static void rdnode_delete(struct rdnode *n)
{
    int rc = zk_controller_delete(n->top->zc, n->top->fence, n->path, rdnode_deleted, n);
    if (rc != GR_OK)
        rdnode_done(n, rc);
}

static void rdnode_listed(int rc, const char *const *names, int count, const struct zk_stat *st,
                          void *ctx)
{
    (void)st;
    struct rdnode *n = ctx;
    if (zk_step_retry(&n->k, rc))
        return;
    if (rc == GR_E_NOENT || (rc == GR_OK && n->top->rc != GR_OK)) {
        rdnode_done(n, GR_OK);
        return;
    }
    if (rc != GR_OK) {
        rdnode_done(n, rc);
        return;
    }
    n->pending = 1; /* held until every child is started */
    for (int i = 0; i < count; i++) {
        struct rdnode *c = calloc(1, sizeof(*c));
        size_t len = strlen(n->path) + strlen(names[i]) + 2;
        if (!c || !(c->path = malloc(len))) {
            free(c);
            dtopic_fail(n->top, GR_E_NOMEM, n->path);
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
    if (n->top->rc == GR_OK)
        rdnode_delete(n);
    else
        rdnode_done(n, GR_OK);
}

static void rdnode_step(struct zk_step *k)
{
    struct rdnode *n = (struct rdnode *)k;
    int rc = zk_client_get_children(k->zc, n->path, NULL, rdnode_listed, n);
    if (rc != GR_OK)
        rdnode_done(n, rc);
}

static void rdnode_list(struct rdnode *n)
{
    zk_step_run(&n->k, rdnode_step);
}

static void dtopic_leaf_deleted(int rc, const char *why, void *ctx)
{
    (void)why;
    struct dtopic *t = ctx;
    if (rc != GR_OK)
        dtopic_fail(t, rc, t->paths[t->stage]);
    dtopic_next(t);
}

/* Runs the next stage, or finishes. Stages after a failure are skipped. */
static void dtopic_next(struct dtopic *t)
{
    while (++t->stage <= 2 && t->rc == GR_OK) {
        int rc = zk_controller_delete(t->zc, t->fence, t->paths[t->stage], dtopic_leaf_deleted, t);
        if (rc == GR_OK)
            return;
        dtopic_fail(t, rc, t->paths[t->stage]);
    }
    if (t->rc == GR_OK)
        LOG_INFO("deleted the znodes of topic %s", t->topic);
    t->cb(t->rc, t->rc == GR_OK ? NULL : t->why, t->ctx);
    free(t);
}

int zk_topic_delete_znodes(struct zk_client *zc, int32_t epoch_zk_version, const char *topic,
                           zk_topic_done_cb cb, void *ctx)
{
    if (!cb || !topic_name_valid(topic))
        return GR_E_INVALID;
    struct dtopic *t = calloc(1, sizeof(*t));
    struct rdnode *root = calloc(1, sizeof(*root));
    if (!t || !root) {
        free(t);
        free(root);
        return GR_E_NOMEM;
    }
    t->zc = zc;
    t->fence = epoch_zk_version;
    t->cb = cb;
    t->ctx = ctx;
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    topic_path(t->paths[0], topic);
    snprintf(t->paths[1], ZK_STEP_PATH_MAX, "/config/topics/%s", topic);
    snprintf(t->paths[2], ZK_STEP_PATH_MAX, "/admin/delete_topics/%s", topic);
    root->top = t;
    root->k.zc = zc;
    root->k.step = rdnode_step;
    root->path = strdup(t->paths[0]);
    int rc =
        root->path ? zk_client_get_children(zc, root->path, NULL, rdnode_listed, root) : GR_E_NOMEM;
    if (rc != GR_OK) {
        free(root->path);
        free(root);
        free(t);
    }
    return rc;
}

/* ---- reads --------------------------------------------------------------- */

/* The owner's side of a read; the retries are zk_step_get()'s. */
struct topic_read {
    char path[ZK_STEP_PATH_MAX];          /* the znode */
    zk_topic_assignment_cb assignment_cb; /* owner's callback (assignment) */
    zk_topic_config_cb config_cb;         /* owner's callback (config) */
    void *ctx;                            /* its context */
    char why[ZK_STEP_WHY_MAX];            /* failure text */
};

static void assignment_got(int rc, const char *data, size_t len, const struct zk_stat *st,
                           void *ctx)
{
    (void)st;
    struct topic_read *r = ctx;
    struct zk_topic_assignment a = {0};
    char err[256];
    const char *why = NULL;
    arena_init(&a.mem);
    if (rc == GR_OK && zk_json_topic_decode(data, len, &a, err, sizeof(err)) != 0) {
        rc = GR_E_CORRUPT;
        why = zk_step_why(r->why, sizeof(r->why), "%s: %s", r->path, err);
    } else if (rc != GR_OK) {
        why = zk_step_why(r->why, sizeof(r->why), "cannot read %s: %s", r->path,
                          gr_strerror(rc));
    }
    r->assignment_cb(rc, rc == GR_OK ? &a : NULL, why, r->ctx);
    zk_json_topic_destroy(&a);
    free(r);
}

int zk_topic_get_assignment(struct zk_client *zc, const char *topic, const struct zk_watcher *watch,
                            zk_topic_assignment_cb cb, void *ctx)
{
    if (!cb || !topic_name_valid(topic))
        return GR_E_INVALID;
    struct topic_read *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    topic_path(r->path, topic);
    r->assignment_cb = cb;
    r->ctx = ctx;
    int rc = zk_step_get(zc, r->path, watch, assignment_got, r);
    if (rc != GR_OK)
        free(r);
    return rc;
}

static void config_got(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    (void)st;
    struct topic_read *r = ctx;
    struct zk_config c = {0};
    char err[256];
    const char *why = NULL;
    arena_init(&c.mem);
    if (rc == GR_E_NOENT) {
        rc = GR_OK; /* Kafka reads a missing topic config as an empty one */
    } else if (rc == GR_OK && zk_json_config_decode(data, len, &c, err, sizeof(err)) != 0) {
        rc = GR_E_CORRUPT;
        why = zk_step_why(r->why, sizeof(r->why), "%s: %s", r->path, err);
    } else if (rc != GR_OK) {
        why = zk_step_why(r->why, sizeof(r->why), "cannot read %s: %s", r->path,
                          gr_strerror(rc));
    }
    r->config_cb(rc, rc == GR_OK ? &c : NULL, why, r->ctx);
    zk_json_config_destroy(&c);
    free(r);
}

int zk_topic_get_config(struct zk_client *zc, const char *topic, zk_topic_config_cb cb, void *ctx)
{
    if (!cb || !topic_name_valid(topic))
        return GR_E_INVALID;
    struct topic_read *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    snprintf(r->path, sizeof(r->path), "/config/topics/%s", topic);
    r->config_cb = cb;
    r->ctx = ctx;
    int rc = zk_step_get(zc, r->path, NULL, config_got, r);
    if (rc != GR_OK)
        free(r);
    return rc;
}
