/*
 * gregor-reassign-partitions --zookeeper: the cluster as ZooKeeper holds it
 * (see reassign.h). Moves are asked for by creating
 * /admin/reassign_partitions, which the controller works through and
 * deletes when done (cluster/controller_reassign.c), as Kafka's tool did in
 * ZooKeeper mode; throttles are written to /config/topics and
 * /config/brokers (configs_zk.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tools/configs_zk.h"
#include "tools/reassign.h"
#include "tools/topics_zk.h"
#include "zk/zk_json.h"

#define REASSIGN_PATH "/admin/reassign_partitions"

static int zk_brokers(void *ctx, int32_t **ids, int *n, char *err, size_t errsz)
{
    int rc = topics_zk_broker_ids(ctx, ids, n, err, errsz);
    if (rc == GR_E_NOENT) {
        *ids = NULL;
        *n = 0;
        return 0;
    }
    return rc ? -1 : 0;
}

/* Marks the partitions /admin/reassign_partitions asks to move (not picked
 * up by the controller yet, or under way) as pending. */
static int mark_requested(struct topics_zk *z, struct ra_list *out, char *err, size_t errsz)
{
    char *data = NULL;
    size_t len = 0;
    int rc = topics_zk_get(z, REASSIGN_PATH, &data, &len, NULL);
    if (rc == GR_E_NOENT)
        return 0;
    if (rc) {
        snprintf(err, errsz, "cannot read %s: %s", REASSIGN_PATH, gr_strerror(rc));
        return -1;
    }
    struct zk_reassignment r;
    rc = zk_json_reassignment_decode(data ? data : "", len, &r, err, errsz);
    free(data);
    if (rc)
        return -1;
    for (int i = 0; i < r.n; i++) {
        struct ra_part *p = ra_list_find(out, r.items[i].topic, r.items[i].partition);
        if (p)
            p->pending = true;
    }
    zk_json_reassignment_destroy(&r);
    return 0;
}

static int zk_current(void *ctx, char *const *topics, int ntopics, struct ra_list *out, char *err,
                      size_t errsz)
{
    struct topics_zk *z = ctx;
    char **all = NULL;
    int nall = 0;
    memset(out, 0, sizeof(*out));
    if (ntopics < 0) {
        int rc = topics_zk_children(z, "/brokers/topics", &all, &nall);
        if (rc && rc != GR_E_NOENT) {
            snprintf(err, errsz, "cannot list /brokers/topics: %s", gr_strerror(rc));
            return -1;
        }
        topics = all;
        ntopics = nall;
    }
    int rc = 0;
    for (int t = 0; !rc && t < ntopics; t++) {
        char path[320], *data = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "/brokers/topics/%s", topics[t]);
        int zrc = topics_zk_get(z, path, &data, &len, NULL);
        if (zrc == GR_E_NOENT)
            continue;
        struct zk_topic_assignment a;
        if (zrc || zk_json_topic_decode(data ? data : "", len, &a, err, errsz)) {
            if (zrc)
                snprintf(err, errsz, "cannot read %s: %s", path, gr_strerror(zrc));
            free(data);
            rc = -1;
            break;
        }
        free(data);
        for (int i = 0; !rc && i < a.n_partitions; i++) {
            const struct zk_partition_replicas *p = &a.partitions[i];
            if (ra_list_add(out, topics[t], p->partition, p->replicas, p->n_replicas, p->adding,
                            p->n_adding, p->removing, p->n_removing)) {
                snprintf(err, errsz, "out of memory");
                rc = -1;
            }
        }
        zk_json_topic_destroy(&a);
    }
    topics_zk_free_names(all, nall);
    if (!rc)
        rc = mark_requested(z, out, err, errsz);
    if (rc)
        ra_list_free(out);
    else
        ra_list_sort(out);
    return rc;
}

static int zk_busy(void *ctx, bool *busy, char *err, size_t errsz)
{
    int rc = topics_zk_exists(ctx, REASSIGN_PATH);
    if (rc && rc != GR_E_NOENT) {
        snprintf(err, errsz, "cannot read %s: %s", REASSIGN_PATH, gr_strerror(rc));
        return -1;
    }
    *busy = rc == GR_OK;
    return 0;
}

static int zk_start(void *ctx, const struct ra_list *plan, char *err, size_t errsz)
{
    struct zk_reassignment_entry *items = calloc((size_t)plan->n + 1, sizeof(*items));
    if (!items) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < plan->n; i++)
        items[i] = (struct zk_reassignment_entry){plan->p[i].topic, plan->p[i].partition,
                                                  plan->p[i].replicas, plan->p[i].n};
    struct zk_reassignment r = {.items = items, .n = plan->n};
    char *json = NULL;
    int rc = zk_json_reassignment_encode(&r, &json, err, errsz);
    free(items);
    if (rc)
        return -1;
    rc = topics_zk_create(ctx, REASSIGN_PATH, json, strlen(json));
    free(json);
    if (rc == GR_E_EXISTS) {
        snprintf(err, errsz, "There is an existing assignment running.");
        return -1;
    }
    if (rc) {
        snprintf(err, errsz, "cannot create %s: %s", REASSIGN_PATH, gr_strerror(rc));
        return -1;
    }
    return 0;
}

static int zk_configs(void *ctx, bool broker, const char *name, char *const *keys,
                      char *const *values, int nadd, char *const *dels, int ndel, char *err,
                      size_t errsz)
{
    return configs_zk_edit(ctx, broker ? "brokers" : "topics", name, keys, values, nadd, dels,
                           ndel, false, err, errsz);
}

static void zk_close(void *ctx)
{
    topics_zk_close(ctx);
}

int ra_zk_open(const char *connect, struct ra_backend *b, char *err, size_t errsz)
{
    topics_zk_quiet_logs();
    struct topics_zk *z = topics_zk_open(connect, err, errsz);
    if (!z)
        return -1;
    *b = (struct ra_backend){.ctx = z,
                             .name = "--zookeeper",
                             .brokers = zk_brokers,
                             .current = zk_current,
                             .busy = zk_busy,
                             .start = zk_start,
                             .cancel = NULL,
                             .configs = zk_configs,
                             .close = zk_close};
    return 0;
}
