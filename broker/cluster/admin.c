/*
 * Topic administration and admin waits (see admin.h). Validation messages
 * follow Kafka's wording so people and scripts recognise them.
 */
#define LOG_COMPONENT "admin"
#include "broker/core/broker_config.h"
#include "broker/cluster/admin.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin_assign.h"
#include "broker/core/broker.h"
#include "broker/log/log_config.h"
#include "broker/cluster/metadata.h"
#include "common/arena.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_topic.h"
#include "common/topic_name.h"

bool admin_topic_online(struct broker *b, const char *topic)
{
    struct metadata_topic *t = metadata_topic(b->md, topic);
    if (!metadata_topic_ready(t) || t->nparts == 0)
        return false;
    for (int i = 0; i < t->nparts; i++)
        if (!t->parts[i].has_state || !metadata_broker_alive(b->md, t->parts[i].leader))
            return false;
    return true;
}

/* ---- ZooKeeper completions ---------------------------------------------- */

struct admin_op {
    admin_done_fn done;  /* the caller's callback */
    void *ctx;           /* its context */
    struct broker *b;    /* for multi-step operations */
    char *topic;         /* owned */
    int32_t count;       /* CreatePartitions: the new partition count */
    int32_t *replicas;   /* CreatePartitions: new rows, count - old partitions, rf each */
    int32_t rf;          /* CreatePartitions: replicas per row */
    int64_t reserved;    /* replicas counted in b->admin_pending_replicas until done */
};

static struct admin_op *op_new(admin_done_fn done, void *ctx, const char *topic)
{
    struct admin_op *op = calloc(1, sizeof(*op));
    if (op && !(op->topic = strdup(topic))) {
        free(op);
        return NULL;
    }
    if (op) {
        op->done = done;
        op->ctx = ctx;
    }
    return op;
}

static void op_free(struct admin_op *op)
{
    if (op->b)
        op->b->admin_pending_replicas -= op->reserved;
    free(op->topic);
    free(op->replicas);
    free(op);
}

static void op_finished(int rc, const char *why, void *arg)
{
    struct admin_op *op = arg;
    char msg[512] = "";
    if (rc)
        snprintf(msg, sizeof(msg), "%s%s%s", gr_strerror(rc), why ? ": " : "",
                 why ? why : "");
    if (op->done)
        op->done(rc, rc ? msg : NULL, op->ctx);
    op_free(op);
}

/* ---- validation --------------------------------------------------------- */

static int fail(char *msg, size_t msgsz, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *msg, size_t msgsz, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msgsz, fmt, ap);
    va_end(ap);
    return code;
}

/* Live broker ids, sorted (the metadata keeps them sorted). */
static int live_brokers(struct broker *b, int32_t *out, int max)
{
    int n = 0;
    for (int i = 0; i < b->md->nbrokers && n < max; i++)
        out[n++] = b->md->brokers[i].id;
    return n;
}

static int check_topic_name(struct broker *b, const char *name, char *msg, size_t msgsz)
{
    if (!topic_name_valid(name))
        return fail(msg, msgsz, GR_E_BAD_TOPIC,
                    "Topic name \"%s\" is illegal: it must be 1 to 249 characters of ASCII "
                    "alphanumerics, '.', '_' and '-', and not \".\" or \"..\"",
                    name);
    if (metadata_topic(b->md, name))
        return fail(msg, msgsz, GR_E_TOPIC_EXISTS, "Topic '%s' already exists.",
                    name);
    /* Kafka's metric names turn '.' into '_', so such pairs collide. */
    const struct metadata_topic *other = metadata_topic_colliding(b->md, name);
    if (other)
        return fail(msg, msgsz, GR_E_BAD_TOPIC,
                    "Topic '%s' collides with existing topic: %s", name, other->name);
    return GR_OK;
}

void admin_budget_init(const struct broker *b, struct admin_budget *bud)
{
    bud->partitions_left = b->cfg->create_partitions_max;
}

/* The limits on creating nparts partitions of rf replicas, checked before
 * anything is allocated for them: the request's budget, and the replicas
 * per live broker (the cache's count plus writes still under way; Kafka's
 * assignment spreads them evenly). What passes is taken from the budget. */
static int check_limits(struct broker *b, struct admin_budget *bud, int64_t nparts, int64_t rf,
                        char *msg, size_t msgsz)
{
    const struct broker_config *cfg = b->cfg;
    if (bud && nparts > bud->partitions_left)
        return fail(msg, msgsz, GR_E_POLICY,
                    "Creating %" PRId64 " partitions would exceed the %d new partitions one "
                    "request may create (gregor.create.partitions.max); %" PRId64 " are left "
                    "for this request. Create them over several requests.",
                    nparts, cfg->create_partitions_max, bud->partitions_left);
    int64_t have = b->md->nreplicas + b->admin_pending_replicas;
    int64_t cap = (int64_t)cfg->broker_partitions_max * (b->md->nbrokers > 0 ? b->md->nbrokers : 1);
    if (have + nparts * rf > cap)
        return fail(msg, msgsz, GR_E_POLICY,
                    "The cluster holds %" PRId64 " partition replicas on %d live broker(s); %" PRId64
                    " more would exceed gregor.broker.partitions.max=%d per broker. Delete "
                    "topics, add brokers or raise the limit.",
                    have, b->md->nbrokers, nparts * rf, cfg->broker_partitions_max);
    if (bud)
        bud->partitions_left -= nparts;
    return GR_OK;
}

/* Reserves the replicas of a write under way (released when op ends). */
static void reserve(struct broker *b, struct admin_op *op, int64_t replicas)
{
    op->b = b;
    op->reserved = replicas;
    b->admin_pending_replicas += replicas;
}

/* Checks a manual assignment: rows for partitions first..first+n-1 in any
 * order, each non-empty, distinct, of one size, of live brokers. Writes the
 * rows by partition into out (n * rf) and returns the error code. */
static int check_manual(struct broker *b, const struct admin_replicas *m, int32_t n,
                        int32_t first, int32_t rf_expected, int32_t *out, int32_t *rf,
                        char *msg, size_t msgsz)
{
    *rf = rf_expected;
    for (int32_t i = 0; i < n; i++) {
        if (m[i].n <= 0)
            return fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                        "Partition %d has an empty replica list", m[i].partition);
        if (m[i].n > b->md->nbrokers)
            return fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                        "Partition %d lists %d replicas but only %d broker(s) are alive",
                        m[i].partition, m[i].n, b->md->nbrokers);
        if (*rf < 0)
            *rf = m[i].n;
        if (m[i].n != *rf)
            return fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                        "All partitions should have the same number of replicas (%d), partition "
                        "%d has %d",
                        *rf, m[i].partition, m[i].n);
    }
    bool *seen = calloc((size_t)n + 1, sizeof(bool));
    if (!seen)
        return fail(msg, msgsz, GR_E_NOMEM, "out of memory");
    int code = GR_OK;
    for (int32_t i = 0; i < n && !code; i++) {
        int32_t p = m[i].partition - first;
        if (p < 0 || p >= n || seen[p]) {
            code = fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                        "Partitions must be numbered %d to %d, each once; got %d", first,
                        first + n - 1, m[i].partition);
            break;
        }
        seen[p] = true;
        for (int32_t k = 0; k < m[i].n && !code; k++) {
            int32_t id = m[i].replicas[k];
            for (int32_t j = 0; j < k; j++)
                if (m[i].replicas[j] == id)
                    code = fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                                "Duplicate replica %d in the assignment of partition %d", id,
                                m[i].partition);
            if (!code && !metadata_broker_alive(b->md, id))
                code = fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                            "Unknown broker %d in the assignment of partition %d", id,
                            m[i].partition);
            out[p * *rf + k] = id;
        }
    }
    free(seen);
    return code;
}

/* Fills a zk assignment from rows (arena-owned). */
static int build_assignment(struct zk_topic_assignment *za, struct arena *a, int32_t nparts,
                            int32_t rf, const int32_t *rows)
{
    memset(za, 0, sizeof(*za));
    za->version = 1;
    za->n_partitions = nparts;
    za->partitions = arena_calloc(a, (size_t)nparts + 1, sizeof(*za->partitions));
    if (!za->partitions)
        return -1;
    for (int32_t p = 0; p < nparts; p++) {
        za->partitions[p].partition = p;
        za->partitions[p].n_replicas = rf;
        za->partitions[p].replicas = arena_calloc(a, (size_t)rf, sizeof(int32_t));
        if (!za->partitions[p].replicas)
            return -1;
        memcpy(za->partitions[p].replicas, rows + (size_t)p * (size_t)rf,
               (size_t)rf * sizeof(int32_t));
    }
    return 0;
}

int admin_create_topic(struct broker *b, const struct admin_topic_spec *spec, bool validate_only,
                       struct admin_budget *bud, admin_done_fn done, void *ctx, char *msg,
                       size_t msgsz)
{
    const struct broker_config *cfg = b->cfg;
    int code = check_topic_name(b, spec->name, msg, msgsz);
    if (code)
        return code;
    if (spec->nmanual > 0 && (spec->num_partitions != -1 || spec->replication_factor != -1))
        return fail(msg, msgsz, GR_E_INVALID,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. "
                    "Both cannot be used at the same time.");
    struct log_config lc;
    broker_config_log_defaults(cfg, &lc);
    for (int32_t i = 0; i < spec->nconfig; i++)
        if (log_config_set(&lc, spec->config_keys[i], spec->config_values[i], msg, msgsz))
            return GR_E_CONFIG;
    int32_t brokers[1024];
    int nb = live_brokers(b, brokers, 1024);
    int32_t nparts, rf;
    int32_t *rows;
    if (spec->nmanual > 0) {
        nparts = spec->nmanual;
        for (int32_t i = 0; i < spec->nmanual; i++)
            if (spec->manual[i].n > 64)
                return fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                            "Partition %d lists more than 64 replicas", spec->manual[i].partition);
        if (nparts > 1000000)
            return fail(msg, msgsz, GR_E_BAD_PARTITIONS,
                        "Number of partitions %d is larger than gregor's limit of 1000000.",
                        nparts);
        code = check_limits(b, bud, nparts, spec->manual[0].n > 0 ? spec->manual[0].n : 1, msg,
                            msgsz);
        if (code)
            return code;
        rows = calloc((size_t)nparts * 64 + 1, sizeof(int32_t));
        if (!rows)
            return fail(msg, msgsz, GR_E_NOMEM, "out of memory");
        code = check_manual(b, spec->manual, nparts, 0, -1, rows, &rf, msg, msgsz);
    } else {
        nparts = spec->num_partitions == -1 ? cfg->num_partitions : spec->num_partitions;
        rf = spec->replication_factor == -1 ? cfg->default_replication_factor
                                            : spec->replication_factor;
        if (nparts <= 0)
            return fail(msg, msgsz, GR_E_BAD_PARTITIONS,
                        "Number of partitions must be larger than 0.");
        if (rf <= 0)
            return fail(msg, msgsz, GR_E_BAD_REPLICATION_FACTOR,
                        "Replication factor must be larger than 0.");
        if (rf > nb)
            return fail(msg, msgsz, GR_E_BAD_REPLICATION_FACTOR,
                        "Replication factor: %d larger than available brokers: %d.", rf, nb);
        if (nparts > 1000000)
            return fail(msg, msgsz, GR_E_BAD_PARTITIONS,
                        "Number of partitions %d is larger than gregor's limit of 1000000.",
                        nparts);
        code = check_limits(b, bud, nparts, rf, msg, msgsz);
        if (code)
            return code;
        rows = calloc((size_t)nparts * (size_t)rf, sizeof(int32_t));
        if (!rows)
            return fail(msg, msgsz, GR_E_NOMEM, "out of memory");
        admin_assign_replicas(brokers, nb, nparts, rf, 0, -1, -1, rows);
    }
    if (code || validate_only) {
        free(rows);
        return code;
    }
    struct arena a;
    arena_init(&a);
    struct zk_topic_assignment za;
    struct zk_config zc = {0};
    zc.n = spec->nconfig;
    zc.entries = arena_calloc(&a, (size_t)zc.n + 1, sizeof(*zc.entries));
    for (int32_t i = 0; zc.entries && i < zc.n; i++) {
        zc.entries[i].key = (char *)spec->config_keys[i];
        zc.entries[i].value = (char *)spec->config_values[i];
    }
    struct admin_op *op = op_new(done, ctx, spec->name);
    int rc = -1;
    if (op && zc.entries && !build_assignment(&za, &a, nparts, rf, rows)) {
        reserve(b, op, (int64_t)nparts * rf);
        rc = zk_topic_create(b->zk, spec->name, &za, &zc, op_finished, op);
    }
    free(rows);
    arena_destroy(&a);
    if (rc) {
        if (op)
            op_free(op);
        return fail(msg, msgsz, rc == -1 ? GR_E_NOMEM : rc,
                    "cannot write topic %s to ZooKeeper: %s", spec->name,
                    rc == -1 ? "out of memory" : gr_strerror(rc));
    }
    LOG_INFO("creating topic %s: %d partition(s), replication factor %d", spec->name, nparts, rf);
    return GR_PENDING;
}

/* ---- CreatePartitions --------------------------------------------------- */

static void partitions_written(int rc, const struct zk_stat *st, void *arg)
{
    (void)st;
    op_finished(rc, rc == GR_E_ZK_BADVERSION ? "the topic changed meanwhile; retry" : NULL, arg);
}

/* Current assignment read: append the new rows and write it back at the
 * version read, so a concurrent change is not lost. */
static void assignment_read(int rc, const char *data, size_t len, const struct zk_stat *st,
                            void *arg)
{
    struct admin_op *op = arg;
    struct zk_topic_assignment za;
    char err[256], *json = NULL;
    if (rc) {
        op_finished(rc, NULL, op);
        return;
    }
    if (zk_json_topic_decode(data, len, &za, err, sizeof(err))) {
        op_finished(GR_E_CORRUPT, err, op);
        return;
    }
    int32_t old = za.n_partitions, add = op->count - old;
    struct zk_partition_replicas *np =
        arena_calloc(&za.mem, (size_t)op->count, sizeof(*np));
    if (add <= 0 || !np) {
        zk_json_topic_destroy(&za);
        op_finished(add <= 0 ? GR_E_ZK_BADVERSION : GR_E_NOMEM,
                    add <= 0 ? "the topic gained partitions meanwhile" : NULL, op);
        return;
    }
    memcpy(np, za.partitions, (size_t)old * sizeof(*np));
    for (int32_t i = 0; i < add; i++) {
        np[old + i].partition = old + i;
        np[old + i].n_replicas = op->rf;
        np[old + i].replicas = op->replicas + (size_t)i * (size_t)op->rf;
    }
    za.partitions = np;
    za.n_partitions = op->count;
    rc = zk_json_topic_encode(&za, &json, err, sizeof(err));
    zk_json_topic_destroy(&za);
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", op->topic);
    if (rc || (rc = zk_client_set(op->b->zk, path, json, strlen(json), st->version,
                                  partitions_written, op))) {
        free(json);
        op_finished(rc ? rc : GR_E_CORRUPT, rc ? NULL : err, op);
        return;
    }
    free(json);
}

int admin_create_partitions(struct broker *b, const char *topic, int32_t count,
                            const struct admin_replicas *manual, int32_t nmanual,
                            bool validate_only, struct admin_budget *bud, admin_done_fn done,
                            void *ctx, char *msg, size_t msgsz)
{
    struct metadata_topic *t = metadata_topic(b->md, topic);
    if (!metadata_topic_ready(t))
        return fail(msg, msgsz, GR_E_NOENT,
                    "The topic '%s' does not exist.", topic);
    if (count <= t->nparts)
        return fail(msg, msgsz, GR_E_BAD_PARTITIONS,
                    count == t->nparts ? "Topic already has %d partitions."
                                       : "Topic currently has %d partitions, which is higher "
                                         "than the requested %d.",
                    t->nparts, count);
    if (count > 1000000)
        return fail(msg, msgsz, GR_E_BAD_PARTITIONS,
                    "Number of partitions %d is larger than gregor's limit of 1000000.", count);
    int32_t rf = t->nparts ? t->parts[0].nreplicas : 1, add = count - t->nparts;
    int code = check_limits(b, bud, add, rf, msg, msgsz);
    if (code)
        return code;
    int32_t *rows = calloc((size_t)add * (size_t)(rf > 64 ? rf : 64), sizeof(int32_t));
    if (!rows)
        return fail(msg, msgsz, GR_E_NOMEM, "out of memory");
    if (manual && nmanual) {
        if (nmanual != add)
            code = fail(msg, msgsz, GR_E_BAD_ASSIGNMENT,
                        "Increasing the number of partitions by %d but %d assignments provided.",
                        add, nmanual);
        else
            code = check_manual(b, manual, add, t->nparts, rf, rows, &rf, msg, msgsz);
    } else {
        int32_t brokers[1024];
        int nb = live_brokers(b, brokers, 1024), start = 0;
        if (rf > nb)
            code = fail(msg, msgsz, GR_E_BAD_REPLICATION_FACTOR,
                        "Replication factor: %d larger than available brokers: %d.", rf, nb);
        /* Continue Kafka's pattern from partition 0's preferred leader. */
        for (int i = 0; t->nparts && i < nb; i++)
            if (brokers[i] == t->parts[0].replicas[0])
                start = i;
        if (!code)
            admin_assign_replicas(brokers, nb, add, rf, t->nparts, start, start, rows);
    }
    if (code || validate_only) {
        free(rows);
        return code;
    }
    struct admin_op *op = op_new(done, ctx, topic);
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", topic);
    int rc = -1;
    if (op) {
        reserve(b, op, (int64_t)add * rf);
        op->count = count;
        op->replicas = rows;
        op->rf = rf;
        rows = NULL;
        rc = zk_client_get(b->zk, path, NULL, assignment_read, op);
    }
    free(rows);
    if (rc) {
        if (op)
            op_free(op);
        return fail(msg, msgsz, rc == -1 ? GR_E_NOMEM : rc, "cannot read %s from ZooKeeper",
                    path);
    }
    LOG_INFO("adding partitions to %s: %d -> %d", topic, t->nparts, count);
    return GR_PENDING;
}

/* ---- deletion ------------------------------------------------------------ */

static void delete_marked(int rc, const char *why, void *arg)
{
    /* Already marked is as good as marked now. */
    op_finished(rc == GR_E_EXISTS ? GR_OK : rc, why, arg);
}

int admin_delete_topic(struct broker *b, const char *topic, admin_done_fn done, void *ctx,
                       char *msg, size_t msgsz)
{
    if (!metadata_topic(b->md, topic))
        return fail(msg, msgsz, GR_E_NOENT,
                    "This server does not host this topic-partition.");
    if (!b->cfg->delete_topic_enable)
        return fail(msg, msgsz, GR_E_DELETE_DISABLED,
                    "Topic deletion is disabled (delete.topic.enable=false).");
    struct admin_op *op = op_new(done, ctx, topic);
    int rc = op ? zk_topic_mark_for_deletion(b->zk, topic, delete_marked, op) : -1;
    if (rc) {
        if (op)
            op_free(op);
        return fail(msg, msgsz, rc == -1 ? GR_E_NOMEM : rc,
                    "cannot mark %s for deletion in ZooKeeper", topic);
    }
    LOG_INFO("topic %s marked for deletion", topic);
    return GR_PENDING;
}

/* ---- auto-creation ------------------------------------------------------ */

static void auto_created(int error, const char *message, void *ctx)
{
    struct broker *b = ((void **)ctx)[0];
    char *name = ((void **)ctx)[1];
    char esc[LOGGER_ESCAPED_SIZE(64)];
    if (error && error != GR_E_TOPIC_EXISTS && error != GR_E_EXISTS)
        LOG_RATE(LOGGER_WARN, "auto-creation of topic %s failed: %s",
                 logger_escape(name, strlen(name), esc, sizeof(esc)), message ? message : "");
    strmap_del(&b->auto_creating, name);
    free(name);
    free(ctx);
}

int admin_auto_create(struct broker *b, const char *topic, struct admin_budget *bud)
{
    if (!b->cfg->auto_create_topics_enable)
        return GR_E_UNSUPPORTED;
    if (metadata_topic(b->md, topic))
        return GR_E_TOPIC_EXISTS;
    if (strmap_get(&b->auto_creating, topic))
        return GR_PENDING;
    /* Past this request's share: a later request (the client retries)
     * creates it, so naming thousands of topics creates them in steps. */
    if (bud && bud->partitions_left < b->cfg->num_partitions)
        return GR_E_AGAIN;
    struct admin_topic_spec spec = {.name = topic, .num_partitions = -1,
                                    .replication_factor = -1};
    void **ctx = calloc(2, sizeof(void *));
    char msg[512];
    if (!ctx || !(ctx[1] = strdup(topic))) {
        free(ctx);
        return GR_E_NOMEM;
    }
    ctx[0] = b;
    int code = admin_create_topic(b, &spec, false, bud, auto_created, ctx, msg, sizeof(msg));
    if (code == GR_PENDING) {
        strmap_put(&b->auto_creating, topic, (void *)1);
        LOG_INFO("auto-creating topic %s (auto.create.topics.enable)", topic);
        return code;
    }
    /* The name is a client's (a Produce or Metadata request), and so is the
     * refusal that quotes it. */
    char esc[LOGGER_ESCAPED_SIZE(64)], escmsg[LOGGER_ESCAPED_SIZE(128)];
    if (code && code != GR_E_TOPIC_EXISTS)
        LOG_RATE(LOGGER_WARN, "cannot auto-create topic %s: %s",
                 logger_escape(topic, strlen(topic), esc, sizeof(esc)),
                 logger_escape(msg, strlen(msg), escmsg, sizeof(escmsg)));
    free(ctx[1]);
    free(ctx);
    return code;
}
