/*
 * gregor-mock-cluster: librdkafka's in-memory mock cluster (rdkafka_mock.h)
 * as a standalone process, the Kafka peer gregor is measured against.
 *
 *   gregor-mock-cluster [--brokers N] [--topic T --partitions P]...
 *
 * Prints "bootstrap.servers=HOST:PORT,..." on stdout once it listens on
 * loopback, then serves until SIGINT or SIGTERM. Topics named with --topic
 * exist from the start (replication factor 1); others are created on first
 * use, as a broker with auto.create.topics.enable does. The mock keeps only
 * the newest few MiB of each partition: a benchmark must stay under that.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOOL "gregor-mock-cluster"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(FILE *f)
{
    fprintf(f, "usage: " TOOL " [--brokers N] [--topic T --partitions P]...\n");
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    int brokers = 1;
    const char *topics[64];
    int parts[64], ntopics = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout);
        if (!v) {
            fprintf(stderr, TOOL ": %s needs a value\n", a);
            return usage(stderr);
        }
        char *end;
        if (!strcmp(a, "--brokers")) {
            brokers = (int)strtol(v, &end, 10);
            if (*end || brokers < 1 || brokers > 64) {
                fprintf(stderr, TOOL ": --brokers must be 1..64, not \"%s\"\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--topic")) {
            if (ntopics == 64) {
                fprintf(stderr, TOOL ": at most 64 topics\n");
                return 2;
            }
            topics[ntopics] = v;
            parts[ntopics++] = 1;
        } else if (!strcmp(a, "--partitions")) {
            long p = strtol(v, &end, 10);
            if (!ntopics || *end || p < 1 || p > 100000) {
                fprintf(stderr, TOOL ": --partitions P (1..100000) follows a --topic\n");
                return 2;
            }
            parts[ntopics - 1] = (int)p;
        } else {
            fprintf(stderr, TOOL ": unknown option %s\n", a);
            return usage(stderr);
        }
        i++;
    }
    /* The mock lives inside a client handle; this one never sends. */
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, TOOL ": %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, TOOL ": cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], parts[i], 1);
        if (e) {
            fprintf(stderr, TOOL ": topic %s: %s\n", topics[i], rd_kafka_err2str(e));
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 1;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("bootstrap.servers=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop)
        pause();
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
