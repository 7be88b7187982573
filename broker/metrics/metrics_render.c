/*
 * The text exposition (see metrics_render.h).
 *
 * The request metrics follow kafka-2_0_0.yml's rules: a per-second meter
 * becomes kafka_<domain>_<type>_<name>_total (a counter of its Count), and a
 * Yammer histogram such as TotalTimeMs becomes its quantiles as a gauge with
 * a quantile label plus a _count counter (the rules emulate a summary with
 * no _sum). Kafka's histograms are recent (an exponentially decaying
 * sample); ours are read from the last one to two METRICS_WINDOW_S windows,
 * each quantile the upper bound of the bucket it falls in. The same times
 * are also given as a Prometheus histogram, gregor_network_request_totaltime_ms,
 * whose buckets add up across brokers.
 */
#include "broker/metrics/metrics_render.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "broker/core/metrics.h"

void metrics_render_label(struct buf *out, const char *v)
{
    const char *run = v;
    for (; *v; v++) {
        const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        buf_append(out, run, (size_t)(v - run));
        buf_append(out, esc, 2);
        run = v + 1;
    }
    buf_append(out, run, (size_t)(v - run));
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void topic_sample(struct buf *out, const char *name, const char *topic, uint64_t v)
{
    buf_printf(out, "%s{topic=\"", name);
    metrics_render_label(out, topic);
    buf_printf(out, "\"} %" PRIu64 "\n", v);
}

/* One of BrokerTopicMetrics' meters: all topics, then each topic. */
static void topic_meter(struct buf *out, const struct metrics_snapshot *s, const char *name,
                        const char *help, uint64_t all, size_t field)
{
    family(out, name, "counter", help);
    buf_printf(out, "%s %" PRIu64 "\n", name, all);
    for (int i = 0; i < s->ntopics; i++)
        topic_sample(out, name, s->topics[i].name,
                     *(const uint64_t *)((const char *)&s->topics[i] + field));
}

static void gauge(struct buf *out, const char *name, const char *help, int64_t v)
{
    family(out, name, "gauge", help);
    buf_printf(out, "%s %" PRId64 "\n", name, v);
}

/* Upper bound of bucket i in milliseconds (the last is open). */
static double bucket_ms(int i)
{
    return (double)((int64_t)METRICS_TIME_BASE_US << i) / 1e3;
}

/* The q quantile of the recent requests of a, in ms; 0 with none. */
static double recent_quantile(const struct metrics_api *a, double q)
{
    uint64_t n = 0, seen = 0;
    for (int i = 0; i < METRICS_TIME_BUCKETS; i++)
        n += a->recent[0][i] + a->recent[1][i];
    if (!n)
        return 0;
    double want = q * (double)n;
    for (int i = 0; i < METRICS_TIME_BUCKETS; i++) {
        seen += a->recent[0][i] + a->recent[1][i];
        if ((double)seen >= want)
            return bucket_ms(i);
    }
    return bucket_ms(METRICS_TIME_BUCKETS - 1);
}

static void request_label(struct buf *out, const char *name)
{
    buf_append(out, "request=\"", 9);
    metrics_render_label(out, name);
    buf_append(out, "\"", 1);
}

static void requests(struct buf *out, const struct metrics *m, metrics_api_name_fn api_name)
{
    static const char *const qs[] = {"0.50", "0.75", "0.95", "0.98", "0.99", "0.999"};
    static const double qv[] = {0.50, 0.75, 0.95, 0.98, 0.99, 0.999};
    const char *n;

    family(out, "kafka_network_requestmetrics_requests_total", "counter",
           "Requests answered (or finished without an answer), by API and version (Kafka's "
           "RequestMetrics RequestsPerSec).");
    for (int k = 0; k < METRICS_API_SLOTS; k++)
        for (int v = 0; v < METRICS_API_VERSIONS; v++)
            if (m->api[k].requests[v] && (n = api_name((int16_t)k))) {
                buf_printf(out, "kafka_network_requestmetrics_requests_total{");
                request_label(out, n);
                buf_printf(out, ",version=\"%d\"} %" PRIu64 "\n", v, m->api[k].requests[v]);
            }

    family(out, "kafka_network_requestmetrics_totaltimems", "gauge",
           "Time from a request's arrival to its response leaving, in ms, as quantiles of the "
           "last 30 to 60 s (upper bounds of power-of-two buckets; Kafka's TotalTimeMs).");
    for (int k = 0; k < METRICS_API_SLOTS; k++)
        if (m->api[k].time_count && (n = api_name((int16_t)k)))
            for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
                buf_printf(out, "kafka_network_requestmetrics_totaltimems{");
                request_label(out, n);
                buf_printf(out, ",quantile=\"%s\"} %g\n", qs[q], recent_quantile(&m->api[k], qv[q]));
            }
    family(out, "kafka_network_requestmetrics_totaltimems_count", "counter",
           "Requests timed in kafka_network_requestmetrics_totaltimems, since start.");
    for (int k = 0; k < METRICS_API_SLOTS; k++)
        if (m->api[k].time_count && (n = api_name((int16_t)k))) {
            buf_printf(out, "kafka_network_requestmetrics_totaltimems_count{");
            request_label(out, n);
            buf_printf(out, "} %" PRIu64 "\n", m->api[k].time_count);
        }

    family(out, "gregor_network_request_totaltime_ms", "histogram",
           "Time from a request's arrival to its response leaving, in ms, since start.");
    for (int k = 0; k < METRICS_API_SLOTS; k++) {
        const struct metrics_api *a = &m->api[k];
        if (!a->time_count || !(n = api_name((int16_t)k)))
            continue;
        uint64_t cum = 0;
        for (int i = 0; i < METRICS_TIME_BUCKETS; i++) {
            cum += a->time[i];
            buf_printf(out, "gregor_network_request_totaltime_ms_bucket{");
            request_label(out, n);
            if (i == METRICS_TIME_BUCKETS - 1)
                buf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
            else
                buf_printf(out, ",le=\"%g\"} %" PRIu64 "\n", bucket_ms(i), cum);
        }
        buf_printf(out, "gregor_network_request_totaltime_ms_sum{");
        request_label(out, n);
        buf_printf(out, "} %.3f\n", (double)a->time_sum_us / 1e3);
        buf_printf(out, "gregor_network_request_totaltime_ms_count{");
        request_label(out, n);
        buf_printf(out, "} %" PRIu64 "\n", a->time_count);
    }
}

static void zookeeper(struct buf *out, const struct metrics *m)
{
    static const char *const states[] = {"connecting", "connected", "disconnected", "expired"};
    family(out, "kafka_server_sessionexpirelistener_zookeepersyncconnects_total", "counter",
           "ZooKeeper sessions established or connections regained (Kafka's "
           "ZooKeeperSyncConnectsPerSec).");
    buf_printf(out, "kafka_server_sessionexpirelistener_zookeepersyncconnects_total %" PRIu64 "\n",
               m->zk_sync_connects);
    family(out, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total", "counter",
           "Connections to ZooKeeper lost (Kafka's ZooKeeperDisconnectsPerSec).");
    buf_printf(out, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total %" PRIu64 "\n",
               m->zk_disconnects);
    family(out, "kafka_server_sessionexpirelistener_zookeeperexpires_total", "counter",
           "ZooKeeper sessions expired (Kafka's ZooKeeperExpiresPerSec).");
    buf_printf(out, "kafka_server_sessionexpirelistener_zookeeperexpires_total %" PRIu64 "\n",
               m->zk_expires);
    family(out, "gregor_zookeeper_session_state", "gauge",
           "1 for the state the broker's ZooKeeper session is in, 0 for the others (Kafka's "
           "SessionState, a string jmx_exporter cannot export).");
    for (int i = 0; i < 4; i++)
        buf_printf(out, "gregor_zookeeper_session_state{state=\"%s\"} %d\n", states[i],
                   (int)m->zk_state == i);
}

void metrics_render(const struct metrics *m, const struct metrics_snapshot *s,
                    metrics_api_name_fn api_name, struct buf *out)
{
    topic_meter(out, s, "kafka_server_brokertopicmetrics_messagesin_total",
                "Records appended by Produce requests to partitions led here (Kafka's "
                "MessagesInPerSec).",
                m->messages_in, offsetof(struct metrics_topic_snap, messages_in));
    topic_meter(out, s, "kafka_server_brokertopicmetrics_bytesin_total",
                "Record batch bytes appended by Produce requests to partitions led here (Kafka's "
                "BytesInPerSec).",
                m->bytes_in, offsetof(struct metrics_topic_snap, bytes_in));
    topic_meter(out, s, "kafka_server_brokertopicmetrics_bytesout_total",
                "Record bytes sent in Fetch responses to consumers, not to followers (Kafka's "
                "BytesOutPerSec).",
                m->bytes_out, offsetof(struct metrics_topic_snap, bytes_out));
    gauge(out, "kafka_server_replicamanager_partitioncount", "Partitions hosted by this broker.",
          s->partition_count);
    gauge(out, "kafka_server_replicamanager_leadercount", "Partitions this broker leads.",
          s->leader_count);
    gauge(out, "kafka_server_replicamanager_underreplicatedpartitions",
          "Partitions led here whose ISR is smaller than their assignment.", s->under_replicated);
    gauge(out, "kafka_controller_kafkacontroller_activecontrollercount",
          "1 if this broker is the controller, else 0 (sums to 1 over a healthy cluster).",
          s->active_controller);
    gauge(out, "kafka_controller_kafkacontroller_offlinepartitionscount",
          "Partitions without a live leader, as the controller sees them (0 elsewhere).",
          s->offline_partitions);
    family(out, "kafka_log_log_size", "gauge", "Bytes of a partition's log segments on this broker.");
    for (int i = 0; i < s->nlogs; i++) {
        buf_printf(out, "kafka_log_log_size{topic=\"");
        metrics_render_label(out, s->logs[i].topic);
        buf_printf(out, "\",partition=\"%d\"} %" PRId64 "\n", s->logs[i].partition,
                   s->logs[i].size);
    }
    requests(out, m, api_name);
    zookeeper(out, m);
}
