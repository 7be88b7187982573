/*
 * The Prometheus text exposition (format 0.0.4) of the broker's metrics.
 *
 * Names are those Kafka's JMX MBeans get through the prometheus/jmx_exporter
 * rules of its example kafka-2_0_0.yml, so dashboards built on that setup
 * work (docs/ARCHITECTURE.md, "Metrics", lists them and where each is
 * counted). It renders what it is given and reads nothing of the broker: the
 * counters (core/metrics.h) and a snapshot of the gauges (metrics_broker.c).
 */
#ifndef GREGOR_BROKER_METRICS_METRICS_RENDER_H
#define GREGOR_BROKER_METRICS_METRICS_RENDER_H

#include <stdint.h>

#include "common/buf.h"

struct metrics;

/* One topic's traffic, summed over its partitions hosted here. */
struct metrics_topic_snap {
    const char *name;     /* borrowed */
    uint64_t messages_in; /* records appended by Produce */
    uint64_t bytes_in;    /* their batch bytes */
    uint64_t bytes_out;   /* record bytes sent to consumers */
};

/* One hosted partition's log. */
struct metrics_log_snap {
    const char *topic;    /* borrowed */
    int32_t partition;
    int64_t size;         /* bytes of its segments */
};

/* The gauges at the moment of a scrape (metrics_collect fills it,
 * metrics_broker.c). */
struct metrics_snapshot {
    int64_t partition_count;    /* partitions hosted here */
    int64_t leader_count;       /* of them, led here */
    int64_t under_replicated;   /* led here with an ISR smaller than the assignment */
    int64_t offline_partitions; /* controller only: partitions without a live leader */
    int active_controller;      /* 1 on the controller, else 0 */
    struct metrics_topic_snap *topics; /* sorted by name; borrowed */
    int ntopics;
    struct metrics_log_snap *logs;     /* sorted by topic, partition; borrowed */
    int nlogs;
};

/* The name of API key k as Kafka's request label has it ("Produce"), or
 * NULL for a key with no name. Slots METRICS_FETCH_CONSUMER and
 * METRICS_FETCH_FOLLOWER are Kafka's "FetchConsumer" and "FetchFollower". */
typedef const char *(*metrics_api_name_fn)(int16_t k);

/* Appends the whole exposition of m and s to out (out->failed on no
 * memory). Borrows everything. */
void metrics_render(const struct metrics *m, const struct metrics_snapshot *s,
                    metrics_api_name_fn api_name, struct buf *out);

/* Appends v as a label value: backslash, double quote and newline escaped. */
void metrics_render_label(struct buf *out, const char *v);

#endif
