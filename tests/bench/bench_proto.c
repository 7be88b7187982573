/*
 * Codec micro-benchmark: Produce request decode (v3-7) and Fetch response
 * encode (v4-11), the two codec paths on the broker's W1/W2 hot path.
 *
 *   bench_proto [--rounds N] [--topics T] [--partitions P]
 *
 * The same source builds against the generated codecs (broker/proto/
 * proto_msg.h) and against the hand-written ones they replaced (commit
 * 1d349ec, with proto_produce.h and proto_fetch.h), so before and after are
 * timed by one program; docs/PROTOCOL-DESCRIPTIONS.md says how.
 *
 * The Produce request names T topics (default 1) of P partitions (default
 * 64: the shape of the W1/W2 workloads of tools/gregor-bench) with 1 KiB of
 * records each (records are views, never copied); the Fetch response has
 * the same shape with file-range records (the sendfile path), so the figure
 * is codec overhead, not memcpy. Each case runs N rounds (default 100000)
 * after a warm-up and prints the best of 5 runs in ns per message.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include("broker/proto/proto_msg.h")
#include "broker/proto/proto_msg.h"
#else
#include "broker/proto/proto_fetch.h"
#include "broker/proto/proto_produce.h"
#endif
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/buf.h"

#define MAX_TOPICS     16
#define MAX_PARTITIONS 1024
#define RECORDS        1024

static int ntopics = 1, npartitions = 64;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A Produce request body (v3-7 share one layout). */
static void build_produce(struct buf *b)
{
    static uint8_t records[RECORDS];
    buf_put_i16(b, -1); /* transactional_id: null */
    buf_put_i16(b, -1); /* acks */
    buf_put_i32(b, 30000);
    buf_put_i32(b, ntopics);
    for (int t = 0; t < ntopics; t++) {
        char name[16];
        int n = snprintf(name, sizeof(name), "bench-%d", t);
        buf_put_i16(b, (int16_t)n);
        buf_append(b, name, (size_t)n);
        buf_put_i32(b, npartitions);
        for (int p = 0; p < npartitions; p++) {
            buf_put_i32(b, p);
            buf_put_i32(b, RECORDS);
            buf_append(b, records, RECORDS);
        }
    }
}

static double bench_produce(int16_t version, long rounds, const struct buf *b)
{
    struct arena a;
    struct proto_ProduceRequest req;
    double best = 0;
    for (int run = 0; run < 6; run++) {
        double t0 = now_ns();
        for (long i = 0; i < rounds; i++) {
            struct proto_reader r;
            arena_init(&a);
            proto_reader_init(&r, b->data, b->len);
            if (proto_decode_Produce(&r, version, &a, &req) || req.topic_data_count != ntopics) {
                fprintf(stderr, "Produce v%d decode failed\n", version);
                exit(1);
            }
            arena_destroy(&a);
        }
        double per = (now_ns() - t0) / (double)rounds;
        if (run > 0 && (best == 0 || per < best)) /* run 0 warms up */
            best = per;
    }
    return best;
}

static double bench_fetch(int16_t version, long rounds)
{
    static struct proto_FetchablePartitionResponse parts[MAX_TOPICS][MAX_PARTITIONS];
    static struct proto_FetchableTopicResponse topics[MAX_TOPICS];
    static char names[MAX_TOPICS][16];
    for (int t = 0; t < ntopics; t++) {
        int n = snprintf(names[t], sizeof(names[t]), "bench-%d", t);
        for (int p = 0; p < npartitions; p++) {
            struct proto_FetchablePartitionResponse *o = &parts[t][p];
            memset(o, 0, sizeof(*o));
            o->partition = p;
            o->high_watermark = o->last_stable_offset = 1000000 + p;
            o->log_start_offset = 0;
            o->preferred_read_replica = -1;
            o->record_set.kind = PROTO_RECORDS_FILE;
            o->record_set.file = (struct proto_out_file){.fd = 0, .pos = 4096, .len = RECORDS};
        }
        topics[t].topic = (struct proto_str){names[t], n};
        topics[t].partition_responses_count = npartitions;
        topics[t].partition_responses = parts[t];
    }
    struct proto_FetchResponse resp = {.responses_count = ntopics, .responses = topics};
    double best = 0;
    for (int run = 0; run < 6; run++) {
        double t0 = now_ns();
        for (long i = 0; i < rounds; i++) {
            struct proto_out o;
            proto_out_init(&o);
            if (proto_encode_FetchResponse(&o, version, (int32_t)i, &resp)) {
                fprintf(stderr, "Fetch v%d encode failed\n", version);
                exit(1);
            }
            proto_out_destroy(&o);
        }
        double per = (now_ns() - t0) / (double)rounds;
        if (run > 0 && (best == 0 || per < best))
            best = per;
    }
    return best;
}

int main(int argc, char **argv)
{
    long rounds = 100000;
    static const struct option opts[] = {{"rounds", required_argument, NULL, 'r'},
                                         {"topics", required_argument, NULL, 't'},
                                         {"partitions", required_argument, NULL, 'p'},
                                         {0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            rounds = atol(optarg);
        else if (c == 't')
            ntopics = atoi(optarg);
        else if (c == 'p')
            npartitions = atoi(optarg);
        else
            rounds = 0;
    }
    if (rounds <= 0 || ntopics < 1 || ntopics > MAX_TOPICS || npartitions < 1 ||
        npartitions > MAX_PARTITIONS) {
        fprintf(stderr, "usage: bench_proto [--rounds N] [--topics 1-%d] [--partitions 1-%d]\n",
                MAX_TOPICS, MAX_PARTITIONS);
        return 2;
    }
    struct buf b;
    buf_init(&b);
    build_produce(&b);
    printf("Produce request decode, %d topic(s) x %d partitions, ns per request (best of 5)\n",
           ntopics, npartitions);
    for (int16_t v = 3; v <= 7; v++)
        printf("  v%-2d %8.1f\n", v, bench_produce(v, rounds, &b));
    printf("Fetch response encode, %d topic(s) x %d partitions of file ranges, ns per response\n",
           ntopics, npartitions);
    for (int16_t v = 4; v <= 11; v++)
        printf("  v%-2d %8.1f\n", v, bench_fetch(v, rounds));
    buf_destroy(&b);
    return 0;
}
