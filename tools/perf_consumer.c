/*
 * gregor-consumer-perf-test: kafka-consumer-perf-test on librdkafka, with
 * Kafka's flags and CSV output.
 *
 *   gregor-consumer-perf-test --bootstrap-server B --topic T --messages N
 *       [--group G | --assign] [--from-latest] [--timeout MS]
 *       [--consumer.config FILE] [--consumer-props k=v ...] [--hide-header]
 *       [--e2e-latency] [--verify] [--json FILE]
 *
 * Without --assign it subscribes with a consumer group, as Kafka's tool
 * does. --assign reads every partition of the topic by manual assignment
 * instead (from the beginning, or the end with --from-latest), which needs
 * no group coordinator. --timeout is the longest wait for the next record
 * (Kafka's default 10 s); a run that ends with fewer than N records says so
 * and exits 1 — a run that lost records is not a result.
 *
 * --e2e-latency measures, per record that carries the stamp of
 * gregor-producer-perf-test --e2e-stamp, the wall-clock receive time minus
 * the stamped send time (both processes on this machine's clock). --verify
 * checks that each partition's offsets arrive without gaps or repeats.
 *
 * rebalance.time.ms is the time until the first record arrived (group join
 * or assignment, metadata, first fetch); fetch.time.ms the rest, and the
 * fetch rates are over that part. The JSON summary uses the fetch part.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/clock.h"
#include "tools/perf_hist.h"
#include "tools/perf_util.h"

#define TOOL "gregor-consumer-perf-test"
#define MAX_PROPS 128

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(FILE *f)
{
    fprintf(f, "usage: " TOOL " --bootstrap-server B --topic T --messages N\n"
               "           [--group G | --assign] [--from-latest] [--timeout MS]\n"
               "           [--consumer.config FILE] [--consumer-props k=v ...] [--hide-header]\n"
               "           [--e2e-latency] [--verify] [--json FILE]\n"
               "  --assign        read all partitions by manual assignment (no consumer group)\n"
               "  --timeout MS    longest wait for the next record (default 10000)\n"
               "  --e2e-latency   receive time minus the send time stamped by\n"
               "                  gregor-producer-perf-test --e2e-stamp\n"
               "  --verify        check each partition's offsets for gaps and repeats\n"
               "  --json FILE     also write a one-line JSON summary (- for stdout)\n");
    return f == stderr ? 2 : 0;
}

/* Kafka's "yyyy-MM-dd HH:mm:ss:SSS". */
static void fmt_time(char *out, size_t n, int64_t wall_ms)
{
    time_t s = (time_t)(wall_ms / 1000);
    struct tm tm;
    localtime_r(&s, &tm);
    size_t k = strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + k, n - k, ":%03d", (int)(wall_ms % 1000));
}

/* Manual assignment of every partition of topic at offset. */
static int assign_all(rd_kafka_t *rk, const char *topic, int64_t offset)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    /* A topic created moments ago may not be in the metadata yet. */
    for (int tries = 0; tries < 50 && !stop; tries++) {
        e = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        if (!e && md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0)
            break;
        if (!e)
            e = md->topic_cnt == 1 && md->topics[0].err ? md->topics[0].err
                                                        : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (md)
            rd_kafka_metadata_destroy(md);
        md = NULL;
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    rd_kafka_topic_destroy(rkt);
    if (!md) {
        fprintf(stderr, TOOL ": no metadata for topic %s: %s\n", topic, rd_kafka_err2str(e));
        return -1;
    }
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, topic, md->topics[0].partitions[i].id)->offset =
            offset;
    rd_kafka_metadata_destroy(md);
    e = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fprintf(stderr, TOOL ": assign: %s\n", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* --verify: next expected offset per partition (-1 before the first). */
struct part_track {
    int64_t next;
};

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL, *group = NULL, *config_file = NULL, *json = NULL;
    int64_t want = -1, timeout_ms = 10000;
    bool assign = false, from_latest = false, hide_header = false, e2e = false, verify = false;
    char *props[MAX_PROPS];
    int nprops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout);
        if (!strcmp(a, "--assign")) {
            assign = true;
            continue;
        }
        if (!strcmp(a, "--from-latest")) {
            from_latest = true;
            continue;
        }
        if (!strcmp(a, "--hide-header")) {
            hide_header = true;
            continue;
        }
        if (!strcmp(a, "--e2e-latency")) {
            e2e = true;
            continue;
        }
        if (!strcmp(a, "--verify")) {
            verify = true;
            continue;
        }
        if (!strcmp(a, "--consumer-props")) {
            if (perf_take_props(argc, argv, &i, props, &nprops, MAX_PROPS, TOOL))
                return 2;
            continue;
        }
        if (!v) {
            fprintf(stderr, TOOL ": %s needs a value\n", a);
            return usage(stderr);
        }
        char *end = NULL;
        if (!strcmp(a, "--bootstrap-server") || !strcmp(a, "--broker-list"))
            bootstrap = v;
        else if (!strcmp(a, "--topic"))
            topic = v;
        else if (!strcmp(a, "--messages"))
            want = strtoll(v, &end, 10);
        else if (!strcmp(a, "--group"))
            group = v;
        else if (!strcmp(a, "--timeout"))
            timeout_ms = strtoll(v, &end, 10);
        else if (!strcmp(a, "--consumer.config"))
            config_file = v;
        else if (!strcmp(a, "--json"))
            json = v;
        else {
            fprintf(stderr, TOOL ": unknown option %s\n", a);
            return usage(stderr);
        }
        if (end && *end) {
            fprintf(stderr, TOOL ": %s: \"%s\" is not a number\n", a, v);
            return 2;
        }
        i++;
    }
    if (!bootstrap || !topic || want < 0) {
        fprintf(stderr, TOOL ": --bootstrap-server, --topic and --messages are required\n");
        return usage(stderr);
    }
    if (assign && group) {
        fprintf(stderr, TOOL ": --assign and --group exclude each other\n");
        return 2;
    }

    char err[512], gbuf[64];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!group) {
        /* Kafka's tool picks a random group too; manual assignment still
         * needs a group.id for librdkafka's consumer, never joined. */
        snprintf(gbuf, sizeof(gbuf), "perf-consumer-%d", (int)(clock_mono_us() % 100000));
        group = gbuf;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", from_latest ? "latest" : "earliest", err,
                          sizeof(err))) {
        fprintf(stderr, TOOL ": %s\n", err);
        return 2;
    }
    if (config_file && perf_conf_load(conf, TOOL, config_file))
        return 2;
    for (int i = 0; i < nprops; i++)
        if (perf_conf_set_kv(conf, TOOL, props[i]))
            return 2;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, TOOL ": %s\n", err);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int64_t start_wall = clock_wall_ms(), start = clock_mono_us();
    if (assign) {
        if (assign_all(rk, topic, from_latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING)) {
            rd_kafka_destroy(rk);
            return 1;
        }
    } else {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) {
            fprintf(stderr, TOOL ": subscribe: %s\n", rd_kafka_err2str(e));
            rd_kafka_destroy(rk);
            return 1;
        }
    }

    struct perf_hist hist;
    perf_hist_reset(&hist);
    struct part_track *track = NULL;
    int ntrack = 0;
    int64_t got = 0, bytes = 0, first = 0, last = start, gaps = 0, repeats = 0, unstamped = 0;
    int64_t last_progress = start;
    while (got < want && !stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        int64_t now = clock_mono_us();
        if (!m) {
            if (now - last_progress > timeout_ms * 1000)
                break;
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, TOOL ": %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (!got)
            first = now;
        got++;
        bytes += (int64_t)m->len;
        last = last_progress = now;
        if (e2e) {
            int64_t sent;
            if (perf_stamp_get(m->payload, m->len, &sent) == 0)
                perf_hist_record(&hist, clock_wall_us() - sent);
            else
                unstamped++;
        }
        if (verify) {
            if (m->partition >= ntrack) {
                int n = m->partition + 1;
                struct part_track *t = realloc(track, (size_t)n * sizeof(*t));
                if (!t) {
                    fprintf(stderr, TOOL ": out of memory\n");
                    return 1;
                }
                for (int k = ntrack; k < n; k++)
                    t[k].next = -1;
                track = t;
                ntrack = n;
            }
            struct part_track *t = &track[m->partition];
            if (t->next >= 0 && m->offset > t->next)
                gaps += m->offset - t->next;
            else if (t->next >= 0 && m->offset < t->next)
                repeats++;
            t->next = m->offset + 1;
        }
        rd_kafka_message_destroy(m);
    }
    int64_t end_wall = clock_wall_ms();
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);

    double elapsed = (double)(last - start) / 1e6;
    double rebalance_ms = got ? (double)(first - start) / 1000.0 : (double)(last - start) / 1000.0;
    double fetch_s = got ? (double)(last - first) / 1e6 : 0;
    double mb = (double)bytes / (1024.0 * 1024.0);
    char t0[64], t1[64];
    fmt_time(t0, sizeof(t0), start_wall);
    fmt_time(t1, sizeof(t1), end_wall);
    if (!hide_header)
        printf("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
               "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
    printf("%s, %s, %.4f, %.4f, %" PRId64 ", %.4f, %.0f, %.0f, %.4f, %.4f\n", t0, t1, mb,
           elapsed > 0 ? mb / elapsed : 0, got, elapsed > 0 ? (double)got / elapsed : 0,
           rebalance_ms, fetch_s * 1000.0, fetch_s > 0 ? mb / fetch_s : 0,
           fetch_s > 0 ? (double)got / fetch_s : 0);
    if (e2e)
        perf_print_latency(stdout, "end-to-end", &hist);
    fflush(stdout);
    if (json)
        perf_write_json(json, TOOL, got, bytes, fetch_s, e2e ? &hist : NULL,
                        (want - got) + gaps + repeats);
    int rc = 0;
    if (got < want) {
        fprintf(stderr, TOOL ": received %" PRId64 " of %" PRId64 " records (no record for %" PRId64
                        " ms)\n", got, want, timeout_ms);
        rc = 1;
    }
    if (verify && (gaps || repeats)) {
        fprintf(stderr, TOOL ": offsets: %" PRId64 " missing, %" PRId64 " repeated\n", gaps, repeats);
        rc = 1;
    }
    if (e2e && unstamped)
        fprintf(stderr, TOOL ": %" PRId64 " records carried no --e2e-stamp\n", unstamped);
    free(track);
    return rc;
}
