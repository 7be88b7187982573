/*
 * gregor-producer-perf-test: kafka-producer-perf-test on librdkafka, with
 * Kafka's flags and output lines so its results read at a glance.
 *
 *   gregor-producer-perf-test --topic T --num-records N --record-size S
 *       --throughput R --producer-props bootstrap.servers=B [k=v ...]
 *       [--producer.config FILE] [--instances K] [--e2e-stamp] [--json FILE]
 *
 * --throughput -1 sends as fast as the client takes records; otherwise
 * records leave on an absolute schedule (record i at start + i/R), so a slow
 * moment is caught up rather than stretching the run. --instances K spreads
 * the records round-robin over K producer instances, each with its own
 * connection (many clients, one process). --e2e-stamp puts the wall-clock
 * send time in each value for gregor-consumer-perf-test --e2e-latency.
 *
 * Latency is the time from handing a record to librdkafka to its delivery
 * report. Reports are taken on librdkafka's background thread (one per
 * instance), so measuring them never waits for the sending loop.
 *
 * Prints a window line every 5 s, then a line with microsecond-precision
 * percentiles and, last, Kafka's summary line. Exit status 0 when every
 * record was acknowledged, 1 when any failed (the count and first error are
 * printed), 2 for a bad command line.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "tools/perf_hist.h"
#include "tools/perf_util.h"

#define TOOL "gregor-producer-perf-test"
#define MAX_PROPS 128

/* One producer instance and what its delivery reports taught us. The hist
 * and window fields are written only by its background thread, under mu,
 * and read by the main thread under mu. */
struct instance {
    rd_kafka_t *rk;           /* owned */
    rd_kafka_topic_t *rkt;    /* owned */
    pthread_mutex_t mu;       /* guards the fields below */
    struct perf_hist hist;    /* every latency */
    int64_t win_count;        /* since the last window line */
    int64_t win_bytes;
    int64_t win_sum_us;
    int64_t win_max_us;
    int64_t acked;            /* successful deliveries */
    int64_t failed;           /* failed deliveries */
    int64_t last_ack_us;      /* monotonic time of the latest report */
    char first_error[256];    /* the first failure, for the message */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(FILE *f)
{
    fprintf(f,
            "usage: " TOOL " --topic T --num-records N --record-size S --throughput R\n"
            "           (--producer-props k=v [k=v ...] | --producer.config FILE)\n"
            "           [--instances K] [--e2e-stamp] [--json FILE]\n"
            "  --throughput R     records/s over all instances; -1 for no limit\n"
            "  --producer-props   librdkafka properties (bootstrap.servers=host:port, acks=1, ...)\n"
            "  --instances K      K producers, each with its own connection (default 1)\n"
            "  --e2e-stamp        stamp the send time into each value (needs --record-size >= %d)\n"
            "  --json FILE        also write a one-line JSON summary to FILE (- for stdout)\n",
            PERF_STAMP_LEN);
    return f == stderr ? 2 : 0;
}

static void background_cb(rd_kafka_t *rk, rd_kafka_event_t *ev, void *opaque)
{
    (void)rk;
    struct instance *in = opaque;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR) {
        /* Transient connection errors are retried by librdkafka; a fatal
         * one fails the remaining records, which the reports then show. */
        fprintf(stderr, TOOL ": %s\n", rd_kafka_event_error_string(ev));
    } else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
        int64_t now = clock_mono_us();
        const rd_kafka_message_t *m;
        pthread_mutex_lock(&in->mu);
        while ((m = rd_kafka_event_message_next(ev))) {
            if (m->err) {
                if (!in->failed++)
                    snprintf(in->first_error, sizeof(in->first_error), "%s",
                             rd_kafka_err2str(m->err));
                continue;
            }
            int64_t lat = now - (int64_t)(intptr_t)m->_private;
            perf_hist_record(&in->hist, lat);
            in->acked++;
            in->win_count++;
            in->win_bytes += (int64_t)m->len;
            in->win_sum_us += lat;
            if (lat > in->win_max_us)
                in->win_max_us = lat;
        }
        in->last_ack_us = now;
        pthread_mutex_unlock(&in->mu);
    }
    rd_kafka_event_destroy(ev);
}

static int new_instance(struct instance *in, const char *topic, char **props, int nprops,
                        const char *config_file)
{
    char err[512];
    memset(in, 0, sizeof(*in));
    pthread_mutex_init(&in->mu, NULL);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (config_file && perf_conf_load(conf, TOOL, config_file))
        goto fail;
    for (int i = 0; i < nprops; i++)
        if (perf_conf_set_kv(conf, TOOL, props[i]))
            goto fail;
    rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
    rd_kafka_conf_set_background_event_cb(conf, background_cb);
    rd_kafka_conf_set_opaque(conf, in);
    if (!(in->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        fprintf(stderr, TOOL ": %s\n", err);
        goto fail;
    }
    /* Delivery reports land on the main queue; routed to the background
     * queue they reach background_cb without anyone polling. */
    rd_kafka_queue_t *mq = rd_kafka_queue_get_main(in->rk);
    rd_kafka_queue_t *bq = rd_kafka_queue_get_background(in->rk);
    rd_kafka_queue_forward(mq, bq);
    rd_kafka_queue_destroy(mq);
    rd_kafka_queue_destroy(bq);
    in->rkt = rd_kafka_topic_new(in->rk, topic, NULL);
    return 0;
fail:
    if (!in->rk)
        rd_kafka_conf_destroy(conf);
    return -1;
}

static void print_window(struct instance *ins, int n, int64_t *win_start)
{
    int64_t count = 0, bytes = 0, sum = 0, max = 0, now = clock_mono_us();
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&ins[i].mu);
        count += ins[i].win_count;
        bytes += ins[i].win_bytes;
        sum += ins[i].win_sum_us;
        if (ins[i].win_max_us > max)
            max = ins[i].win_max_us;
        ins[i].win_count = ins[i].win_bytes = ins[i].win_sum_us = ins[i].win_max_us = 0;
        pthread_mutex_unlock(&ins[i].mu);
    }
    double secs = (double)(now - *win_start) / 1e6;
    *win_start = now;
    printf("%" PRId64 " records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, "
           "%.1f ms max latency.\n",
           count, (double)count / secs, (double)bytes / secs / (1024.0 * 1024.0),
           count ? (double)sum / (double)count / 1000.0 : 0.0, (double)max / 1000.0);
    fflush(stdout);
}

/* Sleeps until monotonic time t (µs), waking for window lines. */
static void sleep_until(int64_t t)
{
    int64_t now = clock_mono_us();
    if (t <= now)
        return;
    struct timespec ts = {.tv_sec = t / 1000000, .tv_nsec = (t % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
        ;
}

int main(int argc, char **argv)
{
    const char *topic = NULL, *config_file = NULL, *json = NULL;
    int64_t num = -1, size = -1;
    double rate = 0;
    bool have_rate = false, stamp = false;
    int ninst = 1, nprops = 0;
    char *props[MAX_PROPS];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout);
        if (!strcmp(a, "--e2e-stamp")) {
            stamp = true;
            continue;
        }
        if (!strcmp(a, "--producer-props")) {
            if (perf_take_props(argc, argv, &i, props, &nprops, MAX_PROPS, TOOL))
                return 2;
            continue;
        }
        if (!v) {
            fprintf(stderr, TOOL ": %s needs a value\n", a);
            return usage(stderr);
        }
        char *end = NULL;
        if (!strcmp(a, "--topic"))
            topic = v;
        else if (!strcmp(a, "--num-records"))
            num = strtoll(v, &end, 10);
        else if (!strcmp(a, "--record-size"))
            size = strtoll(v, &end, 10);
        else if (!strcmp(a, "--throughput"))
            rate = strtod(v, &end), have_rate = true;
        else if (!strcmp(a, "--instances"))
            ninst = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--producer.config"))
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
    if (!topic || num < 0 || size < 0 || !have_rate || (!nprops && !config_file)) {
        fprintf(stderr, TOOL ": --topic, --num-records, --record-size, --throughput and "
                        "--producer-props or --producer.config are required\n");
        return usage(stderr);
    }
    if (ninst < 1 || ninst > 10000) {
        fprintf(stderr, TOOL ": --instances must be 1..10000, not %d\n", ninst);
        return 2;
    }
    if (stamp && size < PERF_STAMP_LEN) {
        fprintf(stderr, TOOL ": --e2e-stamp needs --record-size of at least %d\n", PERF_STAMP_LEN);
        return 2;
    }

    struct instance *ins = calloc((size_t)ninst, sizeof(*ins));
    uint8_t *value = malloc((size_t)size + 1);
    if (!ins || !value) {
        fprintf(stderr, TOOL ": out of memory\n");
        return 1;
    }
    /* Kafka's payload: random upper-case letters, chosen once. */
    srand((unsigned)time(NULL));
    for (int64_t i = 0; i < size; i++)
        value[i] = (uint8_t)('A' + rand() % 26);
    for (int i = 0; i < ninst; i++)
        if (new_instance(&ins[i], topic, props, nprops, config_file))
            return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int64_t start = clock_mono_us(), win_start = start, next_window = start + 5000000;
    int64_t sent = 0;
    for (int64_t i = 0; i < num && !stop; i++) {
        if (rate > 0)
            sleep_until(start + (int64_t)((double)i * 1e6 / rate));
        int64_t now = clock_mono_us();
        if (now >= next_window) {
            print_window(ins, ninst, &win_start);
            next_window += 5000000;
        }
        struct instance *in = &ins[i % ninst];
        if (stamp)
            perf_stamp_put(value, clock_wall_us());
        for (;;) {
            if (rd_kafka_produce(in->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value,
                                 (size_t)size, NULL, 0, (void *)(intptr_t)clock_mono_us()) == 0)
                break;
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, TOOL ": produce failed: %s\n", rd_kafka_err2str(e));
                stop = 1;
                break;
            }
            /* The local queue is full: the background thread frees it as
             * deliveries come back. */
            usleep(200);
            if (stop)
                break;
        }
        if (stop)
            break;
        sent++;
    }
    for (int i = 0; i < ninst; i++) {
        int64_t deadline = clock_mono_us() + 120000000;
        while (rd_kafka_outq_len(ins[i].rk) > 0 && clock_mono_us() < deadline) {
            rd_kafka_flush(ins[i].rk, 1000);
            if (clock_mono_us() >= next_window) {
                print_window(ins, ninst, &win_start);
                next_window += 5000000;
            }
        }
    }

    struct perf_hist total;
    perf_hist_reset(&total);
    int64_t acked = 0, failed = 0, end = start;
    const char *first_error = NULL;
    for (int i = 0; i < ninst; i++) {
        pthread_mutex_lock(&ins[i].mu);
        perf_hist_merge(&total, &ins[i].hist);
        acked += ins[i].acked;
        failed += ins[i].failed;
        if (ins[i].last_ack_us > end)
            end = ins[i].last_ack_us;
        if (ins[i].failed && !first_error)
            first_error = ins[i].first_error;
        pthread_mutex_unlock(&ins[i].mu);
    }
    int64_t unacked = sent - acked - failed;
    double secs = (double)(end - start) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    perf_print_latency(stdout, "produce", &total);
    printf("%" PRId64 " records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, "
           "%.2f ms max latency, %" PRId64 " ms 50th, %" PRId64 " ms 95th, %" PRId64
           " ms 99th, %" PRId64 " ms 99.9th.\n",
           acked, (double)acked / secs, (double)acked * (double)size / secs / (1024.0 * 1024.0),
           perf_hist_mean_us(&total) / 1000.0, (double)total.max_us / 1000.0,
           perf_hist_quantile_us(&total, 0.5) / 1000, perf_hist_quantile_us(&total, 0.95) / 1000,
           perf_hist_quantile_us(&total, 0.99) / 1000, perf_hist_quantile_us(&total, 0.999) / 1000);
    fflush(stdout);
    if (json)
        perf_write_json(json, TOOL, acked, acked * size, secs, &total, failed + unacked);
    int rc = 0;
    if (failed) {
        fprintf(stderr, TOOL ": %" PRId64 " of %" PRId64 " records failed; the first: %s\n",
                failed, sent, first_error);
        rc = 1;
    }
    if (unacked > 0) {
        fprintf(stderr, TOOL ": %" PRId64 " records were never acknowledged (is the broker up?)\n",
                unacked);
        rc = 1;
    }
    if (sent < num) {
        fprintf(stderr, TOOL ": stopped after %" PRId64 " of %" PRId64 " records\n", sent, num);
        rc = 1;
    }
    for (int i = 0; i < ninst; i++) {
        /* Records still queued would keep rd_kafka_destroy() waiting for
         * message.timeout.ms: they are already counted as lost. */
        rd_kafka_purge(ins[i].rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_topic_destroy(ins[i].rkt);
        rd_kafka_destroy(ins[i].rk);
        pthread_mutex_destroy(&ins[i].mu);
    }
    free(ins);
    free(value);
    return rc;
}
