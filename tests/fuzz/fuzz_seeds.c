/*
 * Writes the seed corpora of the framing, recovery, checkpoint, ZooKeeper
 * JSON and batch fuzz targets, from gregor's own code and the codec
 * libraries: znodes from the zk_json encoders, checkpoint files from the
 * checkpoint writers, segments and their indexes from a real log the log
 * layer wrote, frames from the request header encoder, and batches from the
 * test batch builders (tests/unit/testbatch.h, testcompress.h). Run by tests/fuzz/make-seeds, which commits the result to
 * tests/fuzz/seeds/<target>/.
 *
 *   tests/fuzz/fuzz_seeds OUT_DIR
 *
 * Each file is one input in the layout its target's header comment
 * describes. The output is deterministic except for the timestamps inside
 * meta.properties' comment line.
 */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "broker/log/log_checkpoint.h"
#include "broker/log/log_dir.h"
#include "broker/log/log_epoch.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_header.h"
#include "common/buf.h"
#include "common/compress.h"
#include "common/bytes.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testcompress.h"
#include "zk/zk_json.h"

static const char *out_dir;

/* Writes OUT_DIR/<target>/<name>: the byte prefix (if any), then data. */
static void seed(const char *target, const char *name, const void *prefix, size_t plen,
                 const void *data, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", out_dir, target);
    if (fs_mkdirs(p))
        fuzz_fail("cannot create %s", p);
    struct buf b;
    buf_init(&b);
    buf_append(&b, prefix, plen);
    buf_append(&b, data, len);
    snprintf(p, sizeof(p), "%s/%s/%s", out_dir, target, name);
    if (buf_failed(&b) || fs_write_file_atomic(p, b.data, b.len, false))
        fuzz_fail("cannot write %s", p);
    buf_destroy(&b);
}

/* A ZooKeeper seed: the decoder's selector byte, then the znode. */
static void zk_seed(uint8_t which, const char *name, int rc, char *json)
{
    if (rc)
        fuzz_fail("encoding the %s seed failed", name);
    seed("fuzz_zk_json", name, &which, 1, json, strlen(json));
    free(json);
}

static void zk_seeds(void)
{
    char *j = NULL, err[256];
    int rc;
    struct zk_endpoint eps[] = {{"PLAINTEXT", "PLAINTEXT", "broker1.example", 9092},
                                {"INTERNAL", "SASL_SSL", "::1", 9093}};
    struct zk_broker_info b = {.jmx_port = -1, .timestamp_ms = 1700000000000, .endpoints = eps,
                               .n_endpoints = 2, .rack = "r1",
                               .incarnation = 0x0123456789abcdefull,
                               .process = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/4026531836/42/7"};
    rc = zk_json_broker_encode(&b, &j, err, sizeof(err));
    zk_seed(0, "broker", rc, j);

    int32_t r0[] = {1, 2, 3}, r1[] = {2, 3, 4}, add[] = {4}, rem[] = {1};
    struct zk_partition_replicas parts[] = {
        {.partition = 0, .replicas = r0, .n_replicas = 3},
        {.partition = 1, .replicas = r1, .n_replicas = 3, .adding = add, .n_adding = 1,
         .removing = rem, .n_removing = 1}};
    struct zk_topic_assignment t = {.partitions = parts, .n_partitions = 2};
    rc = zk_json_topic_encode(&t, &j, err, sizeof(err));
    zk_seed(1, "topic-v2", rc, j);
    t.topic_id = "AAAAAAAAAAAAAAAAAAAAAA";
    rc = zk_json_topic_encode(&t, &j, err, sizeof(err));
    zk_seed(1, "topic-v3", rc, j);

    struct zk_partition_state s = {.leader = 1, .leader_epoch = 4, .controller_epoch = 2,
                                   .isr = r0, .n_isr = 3};
    rc = zk_json_partition_state_encode(&s, &j, err, sizeof(err));
    zk_seed(2, "partition-state", rc, j);
    struct zk_owner own = {.incarnation = 0x0123456789abcdefull,
                           .process = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/4026531836/42/7"};
    rc = zk_json_controller_encode(1, 1700000000000, &own, &j, err, sizeof(err));
    zk_seed(3, "controller", rc, j);
    rc = zk_json_controller_encode(2, 1700000000000, &own, &j, err, sizeof(err));
    zk_seed(12, "owner", rc, j);

    char num[32];
    zk_json_controller_epoch_encode(7, num, sizeof(num));
    seed("fuzz_zk_json", "controller-epoch", (uint8_t[]){4}, 1, num, strlen(num));
    zk_json_consumer_offset_encode(123456789012, num, sizeof(num));
    seed("fuzz_zk_json", "consumer-offset", (uint8_t[]){5}, 1, num, strlen(num));

    rc = zk_json_cluster_id_encode("q5IRcYxuS3uOmkYnSKVkxA", &j, err, sizeof(err));
    zk_seed(6, "cluster-id", rc, j);
    struct zk_config_entry ce[] = {{"retention.ms", "86400000"}, {"cleanup.policy", "delete"}};
    struct zk_config c = {.entries = ce, .n = 2};
    rc = zk_json_config_encode(&c, &j, err, sizeof(err));
    zk_seed(7, "config", rc, j);
    rc = zk_json_config_change_encode("topics/t", &j, err, sizeof(err));
    zk_seed(8, "config-change", rc, j);

    struct zk_topic_partition tps[] = {{"t", 0}, {"u", 3}};
    struct zk_partition_list pl = {.items = tps, .n = 2};
    rc = zk_json_partition_list_encode(&pl, &j, err, sizeof(err));
    zk_seed(9, "partition-list", rc, j);
    struct zk_reassignment_entry re[] = {{"t", 0, r0, 3}, {"t", 1, r1, 2}};
    struct zk_reassignment ra = {.items = re, .n = 2};
    rc = zk_json_reassignment_encode(&ra, &j, err, sizeof(err));
    zk_seed(10, "reassignment", rc, j);
    const char *ep = "INTERNAL://[fe80::1%eth0]:9093";
    seed("fuzz_zk_json", "endpoint", (uint8_t[]){11}, 1, ep, strlen(ep));
}

static void checkpoint_seeds(const char *scratch)
{
    struct buf b;
    buf_init(&b);
    log_checkpoint_header(&b, 3);
    log_checkpoint_topic_line(&b, "t", 0, 42);
    log_checkpoint_topic_line(&b, "t", 1, 17);
    log_checkpoint_topic_line(&b, "u", 0, 0);
    seed("fuzz_checkpoint", "topics", (uint8_t[]){0}, 1, b.data, b.len);
    /* The same file as each of the three offset checkpoints of a log dir,
     * and once after a clean shutdown. */
    seed("fuzz_checkpoint", "recovery-point", (uint8_t[]){2}, 1, b.data, b.len);
    seed("fuzz_checkpoint", "log-start", (uint8_t[]){6}, 1, b.data, b.len);
    seed("fuzz_checkpoint", "high-watermark", (uint8_t[]){10}, 1, b.data, b.len);
    seed("fuzz_checkpoint", "recovery-point-clean", (uint8_t[]){14}, 1, b.data, b.len);

    struct log_epoch e;
    log_epoch_init(&e);
    log_epoch_assign(&e, 1, 0);
    log_epoch_assign(&e, 3, 10);
    log_epoch_assign(&e, 4, 25);
    buf_reset(&b);
    log_epoch_format(&e, &b);
    seed("fuzz_checkpoint", "leader-epochs", (uint8_t[]){1}, 1, b.data, b.len);
    log_epoch_destroy(&e);

    struct log_dir d;
    char err[256];
    if (fs_mkdirs(scratch) || log_dir_open(&d, scratch, err, sizeof(err)) ||
        log_dir_write_meta(&d, 1, "q5IRcYxuS3uOmkYnSKVkxA"))
        fuzz_fail("cannot write meta.properties in %s", scratch);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof(p), "%s/%s", scratch, LOG_DIR_META);
    buf_reset(&b);
    if (fs_read_file(p, &b, 1 << 20))
        fuzz_fail("cannot read %s", p);
    seed("fuzz_checkpoint", "meta-properties", (uint8_t[]){3}, 1, b.data, b.len);
    log_dir_close(&d);
    buf_destroy(&b);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends "<sep><file>" for a file of dir (nothing but the separator if it
 * is missing). */
static void add_file(struct buf *b, const char *dir, const char *name, bool sep)
{
    char p[PATH_MAX];
    struct buf f;
    buf_init(&f);
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    if (sep)
        buf_append(b, "|SEG|", 5);
    if (fs_exists(p) && fs_read_file(p, &f, 1 << 20) == 0)
        buf_append(b, f.data, f.len);
    buf_destroy(&f);
}

static void recovery_seeds(const char *dir)
{
    struct log_bg *bg = log_bg_new();
    struct log_config cfg = fuzz_log_config();
    cfg.segment_bytes = 1200; /* three segments of a few batches */
    cfg.index_interval_bytes = 256;
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = &cfg,
                              .log_start_offset = -1, .bg = bg, .now_ms = 1000000};
    struct log *l;
    char err[256];
    if (!bg || log_open(&a, &l, err, sizeof(err)))
        fuzz_fail("cannot open a log in %s: %s", dir, err);
    for (int i = 0; i < 12; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 1 + i % 4, .key_size = i % 3, .value_size = 40 + i * 7,
                                   .timestamp = 1000000 + i * 100, .ts_step = 10,
                                   .seed = (uint64_t)i};
        testbatch_build(&b, &o);
        struct log_append_info info;
        if (log_append_leader(l, b.data, b.len, 1 + i / 5, 1000000 + i, &info, err, sizeof(err)))
            fuzz_fail("cannot append: %s", err);
        buf_destroy(&b);
    }
    log_flush(l, 1000000);
    log_bg_drain(bg);
    log_release(l);
    log_bg_drain(bg);

    /* The segment files, in order of their names. */
    DIR *dp = opendir(dir);
    char *names[64];
    int n = 0;
    struct dirent *de;
    while (dp && (de = readdir(dp)) && n < 64)
        if (strlen(de->d_name) == 24 && !strcmp(de->d_name + 20, ".log"))
            names[n++] = strdup(de->d_name);
    if (dp)
        closedir(dp);
    qsort(names, (size_t)n, sizeof(char *), cmp_name);

    /* flags, recovery point, log start; see fuzz_recovery.c. */
    static const struct {
        const char *name;
        uint8_t opt[3];
    } variants[] = {
        {"unclean-from-0", {0x00 | 0x10 | 0x08, 0, 255}},
        {"unclean-from-10", {0x00 | 0x10 | 0x08 | 0x80, 10, 255}},
        {"clean", {0x01 | 0x10 | 0x08 | 0x80, 255, 255}},
        {"clean-append", {0x01 | 0x20 | 0x10 | 0x08 | 0x80, 255, 3}},
        {"unclean-fixcrc-append", {0x02 | 0x20 | 0x10 | 0x04, 4, 2}},
    };
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        struct buf b;
        buf_init(&b);
        add_file(&b, dir, "leader-epoch-checkpoint", false);
        for (int i = 0; i < n && i < 4; i++) {
            char base[24];
            snprintf(base, sizeof(base), "%.20s", names[i]);
            char idx[48], tidx[48];
            snprintf(idx, sizeof(idx), "%s.index", base);
            snprintf(tidx, sizeof(tidx), "%s.timeindex", base);
            add_file(&b, dir, names[i], true);
            add_file(&b, dir, idx, true);
            add_file(&b, dir, tidx, true);
        }
        seed("fuzz_recovery", variants[v].name, variants[v].opt, 3, b.data, b.len);
        buf_destroy(&b);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    log_bg_free(bg);
}

/* A request frame: size, request header (v2 for ApiVersions v3, the one
 * flexible request here; else v1), then body bytes. */
static void add_frame(struct buf *b, int16_t key, int16_t version, int32_t corr,
                      const char *client_id, size_t body)
{
    struct buf f;
    buf_init(&f);
    int8_t hv = key == PROTO_API_API_VERSIONS && version >= 3 ? 2 : 1;
    struct proto_RequestHeader h = {.request_api_key = key, .request_api_version = version,
                                    .correlation_id = corr, .header_version = hv};
    if (client_id)
        h.client_id = (struct proto_str){client_id, (int32_t)strlen(client_id)};
    if (proto_header_encode_request(&f, &h))
        fuzz_fail("cannot encode a request header");
    for (size_t i = 0; i < body; i++)
        buf_put_i8(&f, (int8_t)(i & 0x7f));
    buf_put_i32(b, (int32_t)f.len);
    buf_append(b, f.data, f.len);
    buf_destroy(&f);
}

static void frame_seeds(void)
{
    /* limit selector, flags, tape length, tape, then the payload. */
    struct buf b;
    buf_init(&b);
    uint8_t opt[] = {9, 0x02, 4, 5, 0, 130, 1};
    add_frame(&b, PROTO_API_API_VERSIONS, 3, 1, "rdkafka", 0);
    add_frame(&b, PROTO_API_METADATA, 4, 2, "rdkafka", 12);
    add_frame(&b, PROTO_API_PRODUCE, 7, 3, NULL, 100);
    seed("fuzz_frame", "three-frames", opt, sizeof(opt), b.data, b.len);
    /* The same and a frame too short for a header, which closes the link
     * from the frame callback. */
    buf_append(&b, "\0\0\0\3abc", 7);
    uint8_t opt2[] = {9, 0x07, 2, 3, 200};
    seed("fuzz_frame", "pause-close", opt2, sizeof(opt2), b.data, b.len);

    /* One frame per copy of a 1024-byte payload, 32 copies. */
    buf_reset(&b);
    add_frame(&b, PROTO_API_FETCH, 11, 4, "kcat", 1024 - 4 - 18);
    uint8_t opt3[] = {12, 0x02 | (31 << 3), 3, 255, 17, 0};
    seed("fuzz_frame", "repeated-frames", opt3, sizeof(opt3), b.data, b.len);

    /* One frame larger than the staging buffer: 32 copies of 2048 bytes
     * hold a frame of 65532 bytes, read in by the big-frame path. */
    buf_reset(&b);
    buf_put_i32(&b, 64 * 1024 - 4);
    while (b.len < 2048)
        buf_put_i8(&b, 0x11);
    uint8_t opt4[] = {11, 0x02 | (31 << 3), 2, 255, 7};
    seed("fuzz_frame", "big-frame", opt4, sizeof(opt4), b.data, b.len);
    buf_destroy(&b);
}

/* Produced batches: uncompressed ones as librdkafka sends them, and one per
 * codec (and snappy in xerial framing). */
static void batch_seeds(void)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 3; i++) {
        struct testbatch_opts o = {.count = 1 + 2 * i, .key_size = (size_t)i, .value_size = 20,
                                   .timestamp = 1700000000000LL, .ts_step = 5,
                                   .seed = (uint64_t)i};
        testbatch_build(&b, &o);
    }
    seed("fuzz_batch", "plain", (uint8_t[]){0}, 1, b.data, b.len);
    seed("fuzz_batch", "plain-limits", (uint8_t[]){0x0e}, 1, b.data, b.len);
    buf_destroy(&b);
    static const struct {
        int codec;
        const char *name;
    } codecs[] = {{COMPRESS_GZIP, "gzip"},
                  {COMPRESS_SNAPPY, "snappy"},
                  {TESTCOMPRESS_XERIAL, "snappy-xerial"},
                  {COMPRESS_LZ4, "lz4"},
                  {COMPRESS_ZSTD, "zstd"}};
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        testcompress_batch(&b, codecs[i].codec, 4, 30);
        seed("fuzz_batch", codecs[i].name, (uint8_t[]){0}, 1, b.data, b.len);
        buf_destroy(&b);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    logger_set_level(LOGGER_WARN);
    char scratch[PATH_MAX - 64], p[PATH_MAX];
    fuzz_tmpdir("seeds", scratch, sizeof(scratch));
    zk_seeds();
    snprintf(p, sizeof(p), "%s/dir", scratch);
    checkpoint_seeds(p);
    snprintf(p, sizeof(p), "%s/t-0", scratch);
    recovery_seeds(p);
    frame_seeds();
    batch_seeds();
    return 0;
}
