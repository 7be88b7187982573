/*
 * The metrics of one broker (see metrics_broker.h).
 */
#define LOG_COMPONENT "metrics"
#include "broker/metrics/metrics_broker.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/controller.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/core/broker.h"
#include "broker/log/log.h"
#include "broker/core/metrics.h"
#include "broker/metrics/metrics_http.h"
#include "broker/proto/proto_api.h"
#include "common/logger.h"

/* A hosted partition as a scrape sees it: its log and its traffic. */
struct part_snap {
    struct metrics_log_snap log;
    uint64_t messages_in, bytes_in, bytes_out;
};

static int by_topic_partition(const void *a, const void *b)
{
    const struct metrics_log_snap *x = &((const struct part_snap *)a)->log;
    const struct metrics_log_snap *y = &((const struct part_snap *)b)->log;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Partitions the controller counts offline: a state with no live leader. */
static int64_t offline_partitions(const struct broker *b)
{
    const struct metadata *md = b->md;
    size_t it = 0;
    const char *name;
    void *v;
    int64_t n = 0;
    while (strmap_next(&md->topics, &it, &name, &v)) {
        const struct metadata_topic *t = v;
        for (int i = 0; i < t->nparts; i++) {
            const struct metadata_partition *mp = &t->parts[i];
            if (mp->has_state && (mp->leader < 0 || !metadata_broker_alive(md, mp->leader)))
                n++;
        }
    }
    return n;
}

int metrics_collect(const struct broker *b, struct metrics_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    size_t np = tpmap_count(&b->parts), n = 0;
    struct part_snap *ps = calloc(np + 1, sizeof(*ps));
    s->logs = calloc(np + 1, sizeof(*s->logs));
    s->topics = calloc(np + 1, sizeof(*s->topics));
    if (!ps || !s->logs || !s->topics) {
        free(ps);
        metrics_snapshot_free(s);
        return -1;
    }
    size_t it = 0;
    struct tp tp;
    void *v;
    while (tpmap_next(&b->parts, &it, &tp, &v) && n < np) {
        const struct partition *p = v;
        s->partition_count++;
        if (p->leader) {
            s->leader_count++;
            s->under_replicated += p->nisr < p->nreplicas + 1;
        }
        ps[n++] = (struct part_snap){{p->tp.topic->name, p->tp.partition,
                                      p->log ? log_size(p->log) : 0},
                                     p->messages_in, p->bytes_in, p->bytes_out};
    }
    qsort(ps, n, sizeof(*ps), by_topic_partition);
    /* One entry per topic, in name order, summing its partitions' traffic. */
    for (size_t i = 0; i < n; i++) {
        s->logs[s->nlogs++] = ps[i].log;
        if (!s->ntopics || strcmp(s->topics[s->ntopics - 1].name, ps[i].log.topic))
            s->topics[s->ntopics++] = (struct metrics_topic_snap){.name = ps[i].log.topic};
        struct metrics_topic_snap *t = &s->topics[s->ntopics - 1];
        t->messages_in += ps[i].messages_in;
        t->bytes_in += ps[i].bytes_in;
        t->bytes_out += ps[i].bytes_out;
    }
    free(ps);
    s->active_controller = b->ctl && b->ctl->active;
    s->offline_partitions = s->active_controller ? offline_partitions(b) : 0;
    return 0;
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
    free(s->logs);
    free(s->topics);
    s->logs = NULL;
    s->topics = NULL;
    s->nlogs = s->ntopics = 0;
}

static const char *api_name(int16_t k)
{
    if (k == METRICS_FETCH_CONSUMER)
        return "FetchConsumer";
    if (k == METRICS_FETCH_FOLLOWER)
        return "FetchFollower";
    return proto_api_name(k);
}

static void render(void *ctx, struct buf *out)
{
    struct broker *b = ctx;
    struct metrics_snapshot s;
    if (metrics_collect(b, &s)) {
        out->failed = true;
        return;
    }
    metrics_render(b->metrics, &s, api_name, out);
    metrics_snapshot_free(&s);
}

int metrics_broker_start(struct broker *b)
{
    const struct broker_config *c = b->cfg;
    char err[512];
    if (!c->metrics_listener || !c->metrics_listener[0])
        return 0;
    if (!(b->metrics = metrics_new(b->loop))) {
        LOG_ERROR("out of memory starting the metrics endpoint");
        return -1;
    }
    b->metrics_http = metrics_http_new(b->loop, c->eff_metrics_host, c->eff_metrics_port, render,
                                       b, err, sizeof(err));
    if (!b->metrics_http) {
        LOG_ERROR("%s", err);
        return -1;
    }
    LOG_INFO("serving metrics for Prometheus on http://%s:%d/metrics",
             c->eff_metrics_host[0] ? c->eff_metrics_host : "0.0.0.0",
             metrics_http_port(b->metrics_http));
    return 0;
}

void metrics_broker_stop(struct broker *b)
{
    metrics_http_free(b->metrics_http);
    b->metrics_http = NULL;
}

void metrics_broker_free(struct broker *b)
{
    metrics_broker_stop(b);
    metrics_free(b->metrics);
    b->metrics = NULL;
}
