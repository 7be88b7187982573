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
 * after a warm-up and prints the best of 5 runs in ns per message, beside
 * a reference timed in the same run: the same message read or written with
 * the reader's and writer's primitives, field by field (the least any codec
 * does), and the ratio to it.
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

/* Keeps in *best the lowest ns per round of the runs after the first
 * (run 0 warms up), for a run of rounds that began at t0. */
static void keep_best(double *best, int run, double t0, long rounds)
{
    double per = (now_ns() - t0) / (double)rounds;
    if (run > 0 && (*best == 0 || per < *best))
        *best = per;
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
        keep_best(&best, run, t0, rounds);
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
        keep_best(&best, run, t0, rounds);
    }
    return best;
}

/* The reference for Produce decode, timed in the same run: the v3 request
 * walked with the reader's primitives, every field read and the records
 * taken as views, into nothing: the least any decoder of these bytes does.
 * The generated decoder also checks counts and fills arena structs. */
static double bench_produce_floor(long rounds, const struct buf *b)
{
    double best = 0;
    int64_t sink = 0;
    for (int run = 0; run < 6; run++) {
        double t0 = now_ns();
        for (long i = 0; i < rounds; i++) {
            struct proto_reader r;
            proto_reader_init(&r, b->data, b->len);
            sink += proto_reader_nullable_string(&r).len;
            sink += proto_reader_i16(&r) + proto_reader_i32(&r);
            for (int32_t t = proto_reader_i32(&r); t > 0; t--) {
                sink += proto_reader_string(&r).len;
                for (int32_t n = proto_reader_i32(&r); n > 0; n--) {
                    sink += proto_reader_i32(&r);
                    sink += proto_reader_nullable_bytes(&r).len;
                }
            }
            if (proto_reader_failed(&r)) {
                fprintf(stderr, "Produce reference walk failed\n");
                exit(1);
            }
        }
        keep_best(&best, run, t0, rounds);
    }
    if (sink == 42)
        printf(" ");
    return best;
}

/* The reference for Fetch encode: the v4 response written with the
 * writer's primitives, field by field, file ranges included. */
static double bench_fetch_floor(long rounds)
{
    double best = 0;
    for (int run = 0; run < 6; run++) {
        double t0 = now_ns();
        for (long i = 0; i < rounds; i++) {
            struct proto_out o;
            proto_out_init(&o);
            proto_out_begin_response(&o, (int32_t)i);
            proto_out_i32(&o, 0); /* throttle_time_ms */
            proto_out_i32(&o, ntopics);
            for (int t = 0; t < ntopics; t++) {
                char name[16];
                int n = snprintf(name, sizeof(name), "bench-%d", t);
                proto_out_string(&o, (struct proto_str){name, n});
                proto_out_i32(&o, npartitions);
                for (int p = 0; p < npartitions; p++) {
                    proto_out_i32(&o, p);
                    proto_out_i16(&o, 0);
                    proto_out_i64(&o, 1000000 + p);
                    proto_out_i64(&o, 1000000 + p);
                    proto_out_i32(&o, 0); /* aborted_transactions: empty */
                    proto_out_i32(&o, RECORDS);
                    proto_out_add_file(
                        &o, &(struct proto_out_file){.fd = 0, .pos = 4096, .len = RECORDS});
                }
            }
            if (proto_out_end_response(&o)) {
                fprintf(stderr, "Fetch reference encode failed\n");
                exit(1);
            }
            proto_out_destroy(&o);
        }
        keep_best(&best, run, t0, rounds);
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
    /* Each figure beside its reference from the same run (see the two
     * *_floor functions), as a ratio: 1.00 would be a codec that costs no
     * more than reading or writing the fields one by one. */
    double pf = bench_produce_floor(rounds, &b);
    printf("Produce request decode, %d topic(s) x %d partitions, ns per request (best of 5)\n",
           ntopics, npartitions);
    printf("  reference: the v3 fields read one by one  %8.1f\n", pf);
    for (int16_t v = 3; v <= 7; v++) {
        double x = bench_produce(v, rounds, &b);
        printf("  v%-2d %8.1f   ratio to reference %.2f\n", v, x, x / pf);
    }
    double ff = bench_fetch_floor(rounds);
    printf("Fetch response encode, %d topic(s) x %d partitions of file ranges, ns per response\n",
           ntopics, npartitions);
    printf("  reference: the v4 fields written one by one  %8.1f\n", ff);
    for (int16_t v = 4; v <= 11; v++) {
        double x = bench_fetch(v, rounds);
        printf("  v%-2d %8.1f   ratio to reference %.2f\n", v, x, x / ff);
    }
    buf_destroy(&b);
    return 0;
}
