/*
 * Partition reassignment, as Kafka 2.8's ZooKeeper-mode controller does it
 * (KIP-455), on top of what controller.c already does with assignments:
 *
 *   start     for target replicas TRS and original replicas ORS, write the
 *             partition's row of /brokers/topics/<t> as RS = TRS followed by
 *             the rest of ORS, with adding_replicas = TRS - ORS and
 *             removing_replicas = ORS - TRS. Every broker watches that
 *             znode: the new replicas create their logs and follow the
 *             leader (cluster/partition.c), and the leader takes them into
 *             the ISR once they have caught up (partition_isr.c).
 *   complete  once every replica of TRS is in the ISR, write the row as TRS
 *             alone. controller.c then takes the removed replicas out of the
 *             ISR and, if the leader was one of them, hands leadership to
 *             the first replica of TRS in the ISR with a new leader epoch;
 *             the removed brokers delete their logs once a replica of the
 *             new assignment leads (partition.c). Nothing acknowledged is
 *             lost: every member of the ISR holds every acknowledged record,
 *             and the new leader comes from the ISR.
 *   cancel    write the row as ORS (AlterPartitionReassignments with null
 *             replicas).
 *
 * The reassignment lives in ZooKeeper (the row's adding and removing
 * lists), so a new controller finishes what its predecessor started.
 * Requests come from /admin/reassign_partitions (written by
 * gregor-reassign-partitions --zookeeper or any ZooKeeper tool; each entry
 * is removed once its partition's reassignment completes, or at once if it
 * cannot start, and the znode is deleted when empty) and from
 * AlterPartitionReassignments.
 *
 * Rows to write are kept per partition and written per topic, one
 * read-modify-write of /brokers/topics/<t> at a time, fenced by the
 * controller epoch and conditional on the version read (a lost race is
 * read again).
 */
#define LOG_COMPONENT "controller"
#include "broker/cluster/controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_controller.h"
#include "zk/zk_json.h"

#define REASSIGN_PATH "/admin/reassign_partitions"
#define RETRY_MS 1000
#define MAX_REPLICAS 256

/* One row of /brokers/topics/<t> to write. */
struct row {
    int32_t *replicas, *adding, *removing; /* one allocation, replicas first */
    int nreplicas, nadding, nremoving;
    unsigned gen;                          /* bumped when the row changes */
};

/* One /brokers/topics/<t> write in flight. */
struct topic_write {
    struct controller *c;
    unsigned session;                      /* c->reassign_session when started */
    char topic[];
};

static bool in(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void row_free(struct row *r)
{
    if (r)
        free(r->replicas);
    free(r);
}

static struct row *row_new(const int32_t *replicas, int n, const int32_t *adding, int na,
                           const int32_t *removing, int nr)
{
    struct row *r = calloc(1, sizeof(*r));
    int32_t *v = calloc((size_t)(n + na + nr) + 1, sizeof(int32_t));
    if (!r || !v) {
        free(r);
        free(v);
        return NULL;
    }
    memcpy(v, replicas, (size_t)n * sizeof(int32_t));
    if (na)
        memcpy(v + n, adding, (size_t)na * sizeof(int32_t));
    if (nr)
        memcpy(v + n + na, removing, (size_t)nr * sizeof(int32_t));
    *r = (struct row){v, v + n, v + n + na, n, na, nr, 0};
    return r;
}

static void drop_all_rows(struct tpmap *m)
{
    size_t it = 0;
    struct tp tp;
    void *v;
    while (tpmap_next(m, &it, &tp, &v)) {
        row_free(v);
        tpmap_del(m, tp);
    }
}

void controller_reassign_init(struct controller *c)
{
    tpmap_init(&c->reassign_rows);
    tpmap_init(&c->reassign_listed);
    tpmap_init(&c->reassign_done);
    strmap_init(&c->reassign_writing);
}

void controller_reassign_reset(struct controller *c)
{
    drop_all_rows(&c->reassign_rows);
    drop_all_rows(&c->reassign_listed);
    size_t it = 0;
    struct tp tp;
    while (tpmap_next(&c->reassign_done, &it, &tp, NULL))
        tpmap_del(&c->reassign_done, tp);
    /* Writes in flight belong to the old session or controllership: their
     * completions see the session changed and do nothing. */
    strmap_destroy(&c->reassign_writing);
    strmap_init(&c->reassign_writing);
    c->reassign_session++;
    c->reassign_watch = false;
    c->reassign_rewriting = false;
}

void controller_reassign_destroy(struct controller *c)
{
    controller_reassign_reset(c);
    tpmap_destroy(&c->reassign_rows);
    tpmap_destroy(&c->reassign_listed);
    tpmap_destroy(&c->reassign_done);
    strmap_destroy(&c->reassign_writing);
}

/* ---- writing rows of /brokers/topics/<t> ---------------------------------- */

static void flush_topic(struct controller *c, const char *topic);

static void retry_later_cb(int rc, void *arg)
{
    struct topic_write *w = arg;
    if (!rc && w->session == w->c->reassign_session && w->c->active)
        flush_topic(w->c, w->topic);
    free(w);
}

/* A write ended (or failed): try again after a pause, or at once. */
static void write_ended(struct topic_write *w, bool pause)
{
    struct controller *c = w->c;
    bool current = w->session == c->reassign_session;
    if (current)
        strmap_del(&c->reassign_writing, w->topic);
    if (!current || !c->active || !c->b->zk) {
        free(w);
        return;
    }
    if (pause && !zk_client_after(c->b->zk, RETRY_MS, retry_later_cb, w))
        return;
    flush_topic(c, w->topic);
    free(w);
}

/* The gens written, per partition of the topic, to know which rows are
 * done when the write succeeds. */
struct written {
    struct topic_write *w;
    int n;
    struct {
        int32_t partition;
        unsigned gen;
    } rows[];
};

static void topic_written(int rc, const struct zk_op_result *res, int n, void *arg)
{
    struct written *wr = arg;
    struct topic_write *w = wr->w;
    struct controller *c = w->c;
    (void)res;
    (void)n;
    bool current = w->session == c->reassign_session;
    const struct metadata_topic *t = current ? metadata_topic(c->b->md, w->topic) : NULL;
    if (rc == GR_OK && t) {
        for (int i = 0; i < wr->n; i++) {
            struct tp tp = {t->id, wr->rows[i].partition};
            struct row *r = tpmap_get(&c->reassign_rows, tp);
            if (r && r->gen == wr->rows[i].gen) {
                tpmap_del(&c->reassign_rows, tp);
                row_free(r);
            }
        }
    } else if (rc == GR_E_NOT_CONTROLLER) {
        LOG_WARN("cannot write /brokers/topics/%s: another broker is the controller", w->topic);
    } else if (rc && rc != GR_E_ZK_BADVERSION && rc != GR_E_CLOSING) {
        LOG_WARN("cannot write the reassignment of topic %s: %s; trying again", w->topic,
                 gr_strerror(rc));
    }
    free(wr);
    write_ended(w, rc && rc != GR_E_ZK_BADVERSION);
}

static void topic_read(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct topic_write *w = arg;
    struct controller *c = w->c;
    const struct metadata_topic *t = metadata_topic(c->b->md, w->topic);
    struct zk_topic_assignment za;
    char err[256], path[320], *json = NULL;
    if (w->session != c->reassign_session || !c->active || !t || rc) {
        if (rc == GR_E_NOENT && t)
            LOG_WARN("topic %s is gone; its reassignment is dropped", w->topic);
        write_ended(w, rc && rc != GR_E_NOENT && rc != GR_E_CLOSING);
        return;
    }
    if (zk_json_topic_decode(data, len, &za, err, sizeof(err))) {
        LOG_ERROR("/brokers/topics/%s cannot be read (%s); its reassignment waits", w->topic,
                  err);
        write_ended(w, true);
        return;
    }
    struct written *wr = calloc(1, sizeof(*wr) + (size_t)(za.n_partitions + 1) *
                                                     sizeof(wr->rows[0]));
    for (int i = 0; wr && i < za.n_partitions; i++) {
        struct zk_partition_replicas *p = &za.partitions[i];
        struct row *r = tpmap_get(&c->reassign_rows, (struct tp){t->id, p->partition});
        if (!r)
            continue;
        p->replicas = r->replicas;
        p->n_replicas = r->nreplicas;
        p->adding = r->adding;
        p->n_adding = r->nadding;
        p->removing = r->removing;
        p->n_removing = r->nremoving;
        wr->rows[wr->n].partition = p->partition;
        wr->rows[wr->n++].gen = r->gen;
    }
    if (!wr || !wr->n) {
        zk_json_topic_destroy(&za);
        free(wr);
        write_ended(w, !wr);
        return;
    }
    wr->w = w;
    rc = zk_json_topic_encode(&za, &json, err, sizeof(err));
    zk_json_topic_destroy(&za);
    snprintf(path, sizeof(path), "/brokers/topics/%s", w->topic);
    struct zk_op op = zk_client_op_set(path, json ? json : "", json ? strlen(json) : 0,
                                       st->version);
    if (rc || (rc = zk_controller_multi(c->b->zk, c->epoch_zk_version, &op, 1, topic_written,
                                        wr))) {
        LOG_WARN("cannot write the reassignment of topic %s: %s", w->topic,
                 rc == GR_E_CORRUPT ? err : gr_strerror(rc));
        free(json);
        free(wr);
        write_ended(w, true);
        return;
    }
    free(json);
}

/* Writes the topic's pending rows, unless a write is in flight (its end
 * writes what is left). */
static void flush_topic(struct controller *c, const char *topic)
{
    if (!c->active || !c->b->zk || strmap_get(&c->reassign_writing, topic))
        return;
    const struct metadata_topic *t = metadata_topic(c->b->md, topic);
    bool any = false;
    for (int i = 0; t && i < t->nparts && !any; i++)
        any = tpmap_get(&c->reassign_rows, (struct tp){t->id, i}) != NULL;
    if (!any)
        return;
    struct topic_write *w = malloc(sizeof(*w) + strlen(topic) + 1);
    if (!w)
        return;
    w->c = c;
    w->session = c->reassign_session;
    strcpy(w->topic, topic);
    char path[320];
    snprintf(path, sizeof(path), "/brokers/topics/%s", topic);
    if (zk_client_get(c->b->zk, path, NULL, topic_read, w)) {
        free(w);
        return;
    }
    strmap_put(&c->reassign_writing, topic, (void *)1);
}

/* Queues the row for t's partition mp and writes it. Returns 0 or
 * GR_E_NOMEM. */
static int put_row(struct controller *c, const struct metadata_topic *t,
                   const struct metadata_partition *mp, struct row *r)
{
    struct tp tp = {t->id, mp->id};
    struct row *old = tpmap_get(&c->reassign_rows, tp);
    if (!r)
        return GR_E_NOMEM;
    r->gen = old ? old->gen + 1 : 1;
    if (tpmap_put(&c->reassign_rows, tp, r)) {
        row_free(r);
        return GR_E_NOMEM;
    }
    row_free(old);
    flush_topic(c, t->name);
    return 0;
}

/* ---- starting, completing, cancelling ---------------------------------------- */

/* ORS: the replicas before any recorded reassignment (the row without the
 * replicas being added). Returns the count. */
static int original_replicas(const struct metadata_partition *mp, int32_t *out)
{
    int n = 0;
    for (int i = 0; i < mp->nreplicas && n < MAX_REPLICAS; i++)
        if (!in(mp->adding, mp->nadding, mp->replicas[i]))
            out[n++] = mp->replicas[i];
    return n;
}

/* TRS of a recorded reassignment: the row without the replicas being removed. */
static int target_replicas(const struct metadata_partition *mp, int32_t *out)
{
    int n = 0;
    for (int i = 0; i < mp->nreplicas && n < MAX_REPLICAS; i++)
        if (!in(mp->removing, mp->nremoving, mp->replicas[i]))
            out[n++] = mp->replicas[i];
    return n;
}

static bool same_list(const int32_t *a, int na, const int32_t *b, int nb)
{
    return na == nb && !memcmp(a, b, (size_t)na * sizeof(int32_t));
}

static void list_text(const int32_t *v, int n, char *out, size_t sz)
{
    out[0] = '\0';
    for (int i = 0; i < n && strlen(out) + 12 < sz; i++)
        snprintf(out + strlen(out), sz - strlen(out), "%s%d", i ? "," : "", v[i]);
}

/* Starts moving t's partition mp to target (n replicas, checked). */
static int start(struct controller *c, const struct metadata_topic *t,
                 const struct metadata_partition *mp, const int32_t *target, int n)
{
    int32_t ors[MAX_REPLICAS], rs[2 * MAX_REPLICAS], adding[MAX_REPLICAS],
        removing[MAX_REPLICAS];
    int nors = original_replicas(mp, ors), nrs = 0, na = 0, nr = 0;
    char from[512], to[512];
    list_text(ors, nors, from, sizeof(from));
    list_text(target, n, to, sizeof(to));
    if (same_list(ors, nors, target, n)) {
        if (!mp->nadding && !mp->nremoving)
            return 0; /* already there */
        /* Back to where it started: a cancellation. */
        LOG_INFO("%s-%d: reassignment cancelled; replicas back to [%s]", t->name, mp->id, from);
        return put_row(c, t, mp, row_new(ors, nors, NULL, 0, NULL, 0));
    }
    for (int i = 0; i < n; i++) {
        rs[nrs++] = target[i];
        if (!in(ors, nors, target[i]))
            adding[na++] = target[i];
    }
    for (int i = 0; i < nors; i++)
        if (!in(target, n, ors[i])) {
            rs[nrs++] = ors[i];
            removing[nr++] = ors[i];
        }
    if (same_list(rs, nrs, mp->replicas, mp->nreplicas) &&
        same_list(adding, na, mp->adding, mp->nadding) &&
        same_list(removing, nr, mp->removing, mp->nremoving))
        return 0; /* that reassignment is under way */
    LOG_INFO("%s-%d: reassigning from [%s] to [%s]", t->name, mp->id, from, to);
    return put_row(c, t, mp, row_new(rs, nrs, adding, na, removing, nr));
}

/* Checks a requested replica list as Kafka's controller does. Returns 0 or
 * GR_E_BAD_ASSIGNMENT with msg set. */
static int check_target(const struct controller *c, const int32_t *v, int n, char *msg,
                        size_t msgsz)
{
    if (n <= 0) {
        snprintf(msg, msgsz, "Empty replica list specified in partition reassignment.");
        return GR_E_BAD_ASSIGNMENT;
    }
    if (n > MAX_REPLICAS) {
        snprintf(msg, msgsz, "The replica list has %d replicas; gregor takes at most %d.", n,
                 MAX_REPLICAS);
        return GR_E_BAD_ASSIGNMENT;
    }
    for (int i = 0; i < n; i++) {
        if (v[i] < 0) {
            snprintf(msg, msgsz, "Invalid broker id in replica list: %d", v[i]);
            return GR_E_BAD_ASSIGNMENT;
        }
        if (in(v, i, v[i])) {
            snprintf(msg, msgsz, "Duplicate replica ids in partition reassignment replica list: %d",
                     v[i]);
            return GR_E_BAD_ASSIGNMENT;
        }
        if (!metadata_broker_alive(c->b->md, v[i])) {
            snprintf(msg, msgsz, "The proposed assignment contains non-existent brokerIDs: %d",
                     v[i]);
            return GR_E_BAD_ASSIGNMENT;
        }
    }
    return 0;
}

int controller_reassign(struct controller *c, const char *topic, int32_t partition,
                        const int32_t *replicas, int n, char *msg, size_t msgsz)
{
    if (!c->active) {
        snprintf(msg, msgsz, "This broker is not the controller.");
        return GR_E_NOT_CONTROLLER;
    }
    const struct metadata_topic *t = metadata_topic(c->b->md, topic);
    if (!metadata_topic_ready(t) || partition < 0 || partition >= t->nparts) {
        snprintf(msg, msgsz, "Unknown topic or partition %s-%d.", topic, partition);
        return GR_E_NOENT;
    }
    const struct metadata_partition *mp = &t->parts[partition];
    if (!replicas) {
        if (!mp->nadding && !mp->nremoving &&
            !tpmap_get(&c->reassign_rows, (struct tp){t->id, partition})) {
            snprintf(msg, msgsz, "No reassignment in progress for %s-%d.", topic, partition);
            return GR_E_STATE;
        }
        int32_t ors[MAX_REPLICAS];
        int nors = original_replicas(mp, ors);
        return start(c, t, mp, ors, nors);
    }
    int rc = check_target(c, replicas, n, msg, msgsz);
    return rc ? rc : start(c, t, mp, replicas, n);
}

/* ---- /admin/reassign_partitions ------------------------------------------- */

static void rewrite_admin(struct controller *c);

static void admin_rewritten(int rc, const struct zk_op_result *res, int n, void *arg)
{
    struct controller *c = arg;
    (void)res;
    (void)n;
    c->reassign_rewriting = false;
    if (rc && rc != GR_E_ZK_BADVERSION && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_WARN("cannot update %s: %s", REASSIGN_PATH, gr_strerror(rc));
    if (rc == GR_E_ZK_BADVERSION && c->active)
        rewrite_admin(c); /* changed meanwhile: again on what is there */
}

/* Removes the entries of finished partitions from the znode (deleting it
 * when none is left). */
static void admin_read_for_rewrite(int rc, const char *data, size_t len, const struct zk_stat *st,
                                   void *arg)
{
    struct controller *c = arg;
    struct zk_reassignment r;
    char err[256], *json = NULL;
    if (rc || !c->active || !c->b->zk || zk_json_reassignment_decode(data, len, &r, err,
                                                                      sizeof(err))) {
        c->reassign_rewriting = false;
        return;
    }
    int keep = 0;
    for (int i = 0; i < r.n; i++) {
        const struct tp_topic *id = tp_topic_find(r.items[i].topic, strlen(r.items[i].topic));
        struct tp tp = {id, r.items[i].partition};
        if (id && tpmap_get(&c->reassign_done, tp)) {
            tpmap_del(&c->reassign_done, tp);
            continue;
        }
        r.items[keep++] = r.items[i];
    }
    if (keep == r.n) {
        zk_json_reassignment_destroy(&r);
        c->reassign_rewriting = false;
        return;
    }
    r.n = keep;
    struct zk_op op;
    if (!keep) {
        op = zk_client_op_delete(REASSIGN_PATH, st->version);
        LOG_INFO("every reassignment in %s is done; removing it", REASSIGN_PATH);
    } else {
        if (zk_json_reassignment_encode(&r, &json, err, sizeof(err))) {
            zk_json_reassignment_destroy(&r);
            c->reassign_rewriting = false;
            return;
        }
        op = zk_client_op_set(REASSIGN_PATH, json, strlen(json), st->version);
    }
    zk_json_reassignment_destroy(&r);
    if (zk_controller_multi(c->b->zk, c->epoch_zk_version, &op, 1, admin_rewritten, c))
        c->reassign_rewriting = false;
    free(json);
}

static void rewrite_admin(struct controller *c)
{
    if (c->reassign_rewriting || !tpmap_count(&c->reassign_done) || !c->b->zk)
        return;
    if (!zk_client_get(c->b->zk, REASSIGN_PATH, NULL, admin_read_for_rewrite, c))
        c->reassign_rewriting = true;
}

/* tp's entry in the znode is finished (done, or cannot start). */
static void admin_entry_done(struct controller *c, struct tp tp)
{
    if (!tpmap_get(&c->reassign_done, tp) && tpmap_put(&c->reassign_done, tp, (void *)1))
        return;
    rewrite_admin(c);
}

static void admin_read(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct controller *c = arg;
    struct zk_reassignment r;
    char err[256];
    (void)st;
    if (rc || !c->active)
        return;
    if (zk_json_reassignment_decode(data, len, &r, err, sizeof(err))) {
        LOG_ERROR("%s cannot be read (%s); delete or rewrite it", REASSIGN_PATH, err);
        return;
    }
    for (int i = 0; i < r.n; i++) {
        const struct zk_reassignment_entry *e = &r.items[i];
        char msg[300];
        int code = controller_reassign(c, e->topic, e->partition, e->replicas, e->n_replicas,
                                       msg, sizeof(msg));
        const struct metadata_topic *t = metadata_topic(c->b->md, e->topic);
        if (code && code != GR_E_NOMEM) {
            LOG_WARN("%s: cannot reassign %s-%d: %s; removing the entry", REASSIGN_PATH,
                     e->topic, e->partition, msg);
            const struct tp_topic *id = tp_topic_find(e->topic, strlen(e->topic));
            if (id)
                admin_entry_done(c, (struct tp){id, e->partition});
            continue;
        }
        if (code)
            continue;
        /* Remembered, so the entry goes when the partition gets there. */
        struct tp tp = {t->id, e->partition};
        struct row *target = row_new(e->replicas, e->n_replicas, NULL, 0, NULL, 0);
        struct row *old = tpmap_get(&c->reassign_listed, tp);
        if (target && !tpmap_put(&c->reassign_listed, tp, target))
            row_free(old);
        else
            row_free(target);
        controller_reassign_check(c, t, &t->parts[e->partition]);
    }
    zk_json_reassignment_destroy(&r);
}

static void admin_watch(int event, const char *path, void *arg)
{
    struct controller *c = arg;
    (void)path;
    c->reassign_watch = false;
    if (event != ZK_EVENT_LOST && c->active)
        controller_reassign_duties(c);
}

static void admin_exists(int rc, const struct zk_stat *st, void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc && rc != GR_E_NOENT)
        c->reassign_watch = false;
    if (rc == GR_OK && c->active && c->b->zk)
        zk_client_get(c->b->zk, REASSIGN_PATH, NULL, admin_read, c);
}

void controller_reassign_duties(struct controller *c)
{
    if (c->reassign_watch || !c->b->zk)
        return;
    struct zk_watcher w = {admin_watch, c};
    if (!zk_client_exists(c->b->zk, REASSIGN_PATH, &w, admin_exists, c))
        c->reassign_watch = true;
}

/* ---- progress ------------------------------------------------------------------ */

void controller_reassign_check(struct controller *c, const struct metadata_topic *t,
                               const struct metadata_partition *mp)
{
    struct tp tp = {t->id, mp->id};
    if (tpmap_get(&c->reassign_rows, tp))
        return; /* a row is being written: decide when it shows */
    if (!mp->nadding && !mp->nremoving) {
        /* No reassignment recorded: an entry of /admin/reassign_partitions
         * that asked for exactly this assignment is finished. */
        struct row *want = tpmap_get(&c->reassign_listed, tp);
        if (want && same_list(mp->replicas, mp->nreplicas, want->replicas, want->nreplicas)) {
            LOG_INFO("%s-%d: reassignment to its replicas in %s is complete", t->name, mp->id,
                     REASSIGN_PATH);
            tpmap_del(&c->reassign_listed, tp);
            row_free(want);
            admin_entry_done(c, tp);
        }
        return;
    }
    int32_t trs[MAX_REPLICAS];
    int n = target_replicas(mp, trs);
    if (!mp->has_state || mp->leader < 0)
        return;
    for (int i = 0; i < n; i++)
        if (!in(mp->isr, mp->nisr, trs[i]))
            return; /* still catching up */
    char to[512];
    list_text(trs, n, to, sizeof(to));
    LOG_INFO("%s-%d: every new replica is in sync; completing the reassignment to [%s]",
             t->name, mp->id, to);
    put_row(c, t, mp, row_new(trs, n, NULL, 0, NULL, 0));
}
