/*
 * Crash recovery, randomized: each trial appends batches to a partition log
 * (flushing now and then, which moves the recovery point), "crashes" by
 * dropping the log without a clean shutdown, damages the files the way a
 * crash does, reopens, and checks that
 *   - exactly the longest valid prefix of the appended batches survives,
 *     byte for byte, with contiguous offsets;
 *   - every batch a read returns passes its CRC check;
 *   - the offset and time indexes agree with the log;
 *   - the log takes appends again and survives a clean restart.
 *
 * Damage only touches what a crash can touch: data after the recovery point
 * (fsynced data is not lost by a crash), except in trials where the
 * recovery-point checkpoint is missing and everything is re-validated.
 *
 * GREGOR_CRASH_TRIALS sets the number of trials (default 1200);
 * GREGOR_TEST_SEED replays a run. The trials run in /dev/shm unless TMPDIR
 * is set (see main).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

/* What the test knows about one appended batch. */
struct rec {
    int64_t base, last;   /* offsets assigned */
    int64_t seg_base;     /* base offset of the segment holding it */
    int64_t pos, size;    /* where in that segment's .log */
    uint32_t crc;         /* CRC-32C of the whole batch as written */
    int64_t max_ts;       /* its max timestamp */
};

enum damage {
    D_TORN_LAST,      /* the last batch is cut short */
    D_ZERO_EXTEND,    /* the file grew but the data never came: zeros */
    D_GARBAGE_TAIL,   /* random bytes after the last batch */
    D_ZERO_TAIL,      /* the last bytes of the file read back as zeros */
    D_FLIP_BYTE,      /* a byte inside an unflushed batch flipped */
    D_INDEX_TRUNC,    /* an index file cut short (torn) */
    D_INDEX_DELETE,   /* an index or time index file missing */
    D_EMPTY_SEGMENT,  /* a segment file created by a roll but never written */
    D_NCOUNT
};

static const char *const damage_names[] = {"torn last batch", "zero-extended tail",
                                           "garbage tail", "zeroed tail", "flipped byte",
                                           "truncated index", "deleted index", "empty new segment"};

static uint64_t rng;
static struct log_bg *bg;
static char *root;
static int failures;
static char detail[8192]; /* what the current trial did, printed on failure */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "trial %d (%s): check failed: %s: ", trial, dname, #cond);            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n    %s\n", detail);                                                  \
            CU_FAIL(#cond);                                                                        \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static uint64_t rnd(uint64_t n)
{
    return n ? test_rand(&rng) % n : 0;
}

static void seg_path(char *out, size_t outsz, const char *dir, int64_t base, const char *sfx)
{
    snprintf(out, outsz, "%s/%020lld%s", dir, (long long)base, sfx);
}

static int64_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? -1 : st.st_size;
}

static struct log *open_log(const char *dir, const struct log_config *c, int64_t rp, bool clean)
{
    struct log_open_args a = {.dir = dir, .topic = "c", .partition = 0, .config = c,
                              .recovery_point = rp, .log_start_offset = -1,
                              .clean_shutdown = clean, .bg = bg, .now_ms = 1000};
    struct log *l = NULL;
    char err[256];
    if (log_open(&a, &l, err, sizeof(err))) {
        fprintf(stderr, "log_open %s: %s\n", dir, err);
        return NULL;
    }
    return l;
}

static int count_logs(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        n += len > 4 && !strcmp(de->d_name + len - 4, ".log");
    }
    if (d)
        closedir(d);
    return n;
}

/* Checks the reopened log against the expected surviving prefix. */
static int verify(int trial, const char *dname, struct log *l, const struct rec *r, int keep,
                  const char *dir)
{
    int64_t want_end = keep ? r[keep - 1].last + 1 : 0;
    CHECK(log_end_offset(l) == want_end, "log end %lld, expected %lld (%d batches kept)",
          (long long)log_end_offset(l), (long long)want_end, keep);
    CHECK(count_logs(dir) == l->nsegs, "%d .log files for %d segments", count_logs(dir), l->nsegs);
    /* Read everything back through log_read. */
    int i = 0;
    int64_t off = 0;
    while (off < want_end) {
        struct log_read_result res;
        CHECK(log_read(l, off, 1 << 16, INT64_MAX, true, &res) == 0, "read at %lld", (long long)off);
        CHECK(res.length > 0, "empty read at %lld", (long long)off);
        uint8_t *p = malloc((size_t)res.length);
        ssize_t got = pread(res.file->fd, p, (size_t)res.length, res.position);
        log_file_unref(res.file);
        size_t pos = 0;
        while (got == res.length && pos + LOG_BATCH_HEADER_SIZE <= (size_t)res.length) {
            struct log_batch_hdr h;
            log_batch_parse(p + pos, &h);
            if (pos + (size_t)log_batch_size(&h) > (size_t)res.length)
                break;
            char why[200];
            int ok = log_batch_check(p + pos, (size_t)res.length - pos, &h, why, sizeof(why));
            uint32_t crc = crc32c(0, p + pos, (size_t)log_batch_size(&h));
            bool match = i < keep && h.base_offset == r[i].base && crc == r[i].crc;
            free(match && ok == 0 ? NULL : p);
            CHECK(ok == 0, "a returned batch fails its check: %s", why);
            CHECK(i < keep, "more batches than expected at offset %lld", (long long)h.base_offset);
            CHECK(h.base_offset == r[i].base, "batch %d at offset %lld, expected %lld", i,
                  (long long)h.base_offset, (long long)r[i].base);
            CHECK(crc == r[i].crc, "batch %d bytes differ from what was written", i);
            off = log_batch_last_offset(&h) + 1;
            pos += (size_t)log_batch_size(&h);
            i++;
        }
        free(p);
    }
    CHECK(i == keep, "read %d batches, expected %d", i, keep);
    /* Indexes agree with the log. */
    for (int s = 0; s < l->nsegs; s++) {
        struct log_segment *seg = l->segs[s];
        CHECK(log_index_sane(&seg->index, seg->next_offset, seg->size), "index of %s insane",
              seg->path);
        CHECK(log_timeindex_sane(&seg->timeindex, seg->next_offset), "time index of %s insane",
              seg->path);
        for (int32_t e = 0; e < seg->index.file.entries; e++) {
            const uint8_t *ent = log_idxfile_entry(&seg->index.file, e);
            int64_t o = seg->base_offset + be32_load(ent);
            int64_t p = be32_load(ent + 4);
            bool found = false;
            for (int k = 0; k < keep; k++)
                found |= r[k].seg_base == seg->base_offset && r[k].pos == p && r[k].last == o;
            CHECK(found, "index entry (%lld, %lld) of %s names no batch", (long long)o,
                  (long long)p, seg->path);
        }
        int64_t max_ts = -1;
        for (int k = 0; k < keep; k++)
            if (r[k].seg_base == seg->base_offset && r[k].max_ts > max_ts)
                max_ts = r[k].max_ts;
        CHECK(seg->max_timestamp == max_ts, "segment %s max timestamp %lld, expected %lld",
              seg->path, (long long)seg->max_timestamp, (long long)max_ts);
    }
    /* Random offsets translate to the batch holding them. */
    for (int t = 0; t < 5 && keep; t++) {
        int k = (int)rnd((uint64_t)keep);
        int64_t o = r[k].base + (int64_t)rnd((uint64_t)(r[k].last - r[k].base + 1));
        struct log_read_result res;
        CHECK(log_read(l, o, 1, INT64_MAX, true, &res) == 0 && res.length > 0, "read at %lld",
              (long long)o);
        CHECK(res.first_offset == r[k].base && res.position == r[k].pos,
              "offset %lld found at batch %lld pos %lld, expected %lld pos %lld", (long long)o,
              (long long)res.first_offset, (long long)res.position, (long long)r[k].base,
              (long long)r[k].pos);
        log_file_unref(res.file);
    }
    return 0;
}

static int run_trial(int trial, int *kind)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/c-%d", root, trial);
    struct log_config c = {.segment_bytes = (int32_t)(2500 + rnd(6000)),
                           .segment_ms = INT64_MAX / 2,
                           .segment_index_bytes = 1 << 16,
                           .index_interval_bytes = (int32_t)rnd(3) * (int32_t)rnd(1500),
                           .retention_ms = -1, .retention_bytes = -1,
                           .flush_messages = INT64_MAX, .flush_ms = INT64_MAX,
                           .max_message_bytes = 1 << 20,
                           .timestamp_difference_max_ms = INT64_MAX, .min_insync_replicas = 1};
    enum damage dmg = (enum damage)rnd(D_NCOUNT);
    const char *dname = damage_names[dmg];
    *kind = dmg;
    bool no_checkpoint = rnd(5) == 0;
    struct log *l = open_log(dir, &c, 0, false);
    if (!l)
        return -1;
    int n = 5 + (int)rnd(60);
    struct rec *r = calloc((size_t)n, sizeof(*r));
    int64_t ts = 1000000;
    for (int i = 0; i < n; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 1 + (int)rnd(8), .value_size = 1 + rnd(200),
                                   .key_size = rnd(10), .timestamp = ts, .ts_step = (int64_t)rnd(3),
                                   .seed = test_rand(&rng)};
        ts += (int64_t)rnd(50) - 10;
        testbatch_build(&b, &o);
        struct log_append_info info;
        char why[200];
        if (log_append_leader(l, b.data, b.len, 1, 0, &info, why, sizeof(why))) {
            fprintf(stderr, "trial %d: append failed: %s\n", trial, why);
            CU_FAIL("append");
            return -1;
        }
        struct log_segment *s = log_active(l);
        r[i] = (struct rec){info.first_offset, info.last_offset, s->base_offset,
                            s->size - (int64_t)b.len, (int64_t)b.len,
                            crc32c(0, b.data, b.len), info.max_timestamp};
        buf_destroy(&b);
        if (rnd(12) == 0) {
            log_flush(l, 0);
            log_bg_drain(bg);
        }
    }
    if (dmg == D_EMPTY_SEGMENT && rnd(2)) {
        log_roll(l, 0); /* a roll whose new file never got data */
        log_bg_drain(bg);
    }
    int64_t rp = l->recovery_point;
    log_release(l);
    log_bg_drain(bg);
    if (no_checkpoint)
        rp = 0;

    /* First batch the damage may touch: the one holding the recovery point. */
    int first_unflushed = 0;
    while (first_unflushed < n && r[first_unflushed].last < rp)
        first_unflushed++;
    int keep = n;
    char p[4096];
    detail[0] = '\0';
    struct rec *last = &r[n - 1];
    seg_path(p, sizeof(p), dir, last->seg_base, ".log");
    int64_t last_size = file_size(p);
    switch (dmg) {
    case D_TORN_LAST:
        if (first_unflushed < n) {
            CU_ASSERT_EQUAL(truncate(p, last->pos + 1 + (int64_t)rnd((uint64_t)last->size - 1)), 0);
            keep = n - 1;
        }
        break;
    case D_ZERO_EXTEND:
        CU_ASSERT_EQUAL(truncate(p, last_size + 1 + (int64_t)rnd(5000)), 0);
        break;
    case D_GARBAGE_TAIL: {
        int fd = open(p, O_WRONLY | O_APPEND);
        uint8_t junk[300];
        size_t len = 1 + rnd(sizeof(junk));
        for (size_t i = 0; i < len; i++)
            junk[i] = (uint8_t)rnd(256);
        CU_ASSERT_EQUAL(write(fd, junk, len), (ssize_t)len);
        close(fd);
        break;
    }
    case D_ZERO_TAIL:
        if (first_unflushed < n) {
            /* Zero from somewhere inside an unflushed batch of the last segment. */
            int k = n - 1;
            while (k > first_unflushed && r[k - 1].seg_base == last->seg_base && rnd(3))
                k--;
            if (r[k].seg_base != last->seg_base)
                k = n - 1;
            /* Start before the end of the CRC field so the zeroing is sure to
             * change the batch (its last bytes are often zero already). */
            int64_t from = r[k].pos + (int64_t)rnd(LOG_BATCH_OFF_ATTRIBUTES);
            int fd = open(p, O_WRONLY);
            uint8_t zeros[4096] = {0};
            for (int64_t at = from; at < last_size; at += (int64_t)sizeof(zeros)) {
                size_t len = (size_t)(last_size - at < (int64_t)sizeof(zeros) ? last_size - at
                                                                             : (int64_t)sizeof(zeros));
                CU_ASSERT_EQUAL(pwrite(fd, zeros, len, at), (ssize_t)len);
            }
            close(fd);
            keep = k;
            snprintf(detail, sizeof(detail),
                     "zeroed %s from %lld to %lld; batch %d at %lld size %lld; rp %lld",
                     p, (long long)from, (long long)last_size, k, (long long)r[k].pos,
                     (long long)r[k].size, (long long)rp);
        }
        break;
    case D_FLIP_BYTE:
        if (first_unflushed < n) {
            int k = first_unflushed + (int)rnd((uint64_t)(n - first_unflushed));
            seg_path(p, sizeof(p), dir, r[k].seg_base, ".log");
            int fd = open(p, O_RDWR);
            /* Anywhere but BaseOffset/PartitionLeaderEpoch, which the CRC
             * does not cover (a flip there would change nothing the CRC can
             * see; length, magic and CRC fields are fair game). */
            int64_t at = r[k].pos + 8 + (int64_t)rnd((uint64_t)r[k].size - 8);
            if (at >= r[k].pos + 12 && at < r[k].pos + 16)
                at = r[k].pos + 16;
            uint8_t byte;
            CU_ASSERT_EQUAL(pread(fd, &byte, 1, at), 1);
            byte ^= (uint8_t)(1 + rnd(255));
            CU_ASSERT_EQUAL(pwrite(fd, &byte, 1, at), 1);
            close(fd);
            keep = k;
        }
        break;
    case D_INDEX_TRUNC:
    case D_INDEX_DELETE: {
        int k = (int)rnd((uint64_t)n);
        seg_path(p, sizeof(p), dir, r[k].seg_base, rnd(2) ? ".index" : ".timeindex");
        if (dmg == D_INDEX_DELETE)
            unlink(p);
        else if (file_size(p) > 0)
            CU_ASSERT_EQUAL(truncate(p, (int64_t)rnd((uint64_t)file_size(p))), 0);
        break;
    }
    case D_EMPTY_SEGMENT: {
        /* If no roll happened above, create the file a roll would have. */
        seg_path(p, sizeof(p), dir, last->last + 1, ".log");
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        close(fd);
        break;
    }
    case D_NCOUNT:
        break;
    }

    l = open_log(dir, &c, rp, false);
    if (!l) {
        fprintf(stderr, "trial %d (%s): reopen failed\n", trial, dname);
        CU_FAIL("reopen");
        free(r);
        return -1;
    }
    int rc = verify(trial, dname, l, r, keep, dir);
    /* The recovered log takes appends and survives a clean restart. */
    if (!rc) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 3, .value_size = 20, .timestamp = ts};
        testbatch_build(&b, &o);
        struct log_append_info info;
        char why[200];
        int64_t end = log_end_offset(l);
        CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 1, 0, &info, why, sizeof(why)), 0);
        CU_ASSERT_EQUAL(info.first_offset, end);
        buf_destroy(&b);
        log_flush(l, 0);
        log_bg_drain(bg);
        log_release(l);
        log_bg_drain(bg);
        l = open_log(dir, &c, end + 3, true);
        CU_ASSERT_PTR_NOT_NULL(l);
        if (l)
            CU_ASSERT_EQUAL(log_end_offset(l), end + 3);
    }
    if (l)
        log_release(l);
    log_bg_drain(bg);
    fs_remove_tree(dir);
    free(r);
    return rc;
}

static void test_randomized_crashes(void)
{
    const char *env = getenv("GREGOR_CRASH_TRIALS");
    int trials = env && *env ? atoi(env) : 1200;
    rng = test_seed("test_crash_recovery");
    int by_kind[D_NCOUNT] = {0};
    for (int t = 0; t < trials && failures < 5; t++) {
        int kind;
        if (run_trial(t, &kind))
            failures++;
        by_kind[kind]++;
    }
    printf("%d trials, %d failed; by damage:", trials, failures);
    for (int k = 0; k < D_NCOUNT; k++)
        printf(" %s %d%s", damage_names[k], by_kind[k], k + 1 < D_NCOUNT ? "," : "\n");
    CU_ASSERT_EQUAL(failures, 0);
}

static int setup(void)
{
    root = test_tmpdir("crash");
    bg = log_bg_new();
    /* Recovery warns on every damaged file; a thousand trials of that
     * would bury the result. */
    logger_set_level(LOGGER_ERROR);
    return bg ? 0 : -1;
}

static int teardown(void)
{
    log_bg_free(bg);
    test_rmtree(root);
    free(root);
    return 0;
}

int main(void)
{
    /* The crashes are simulated (the log dropped, its files damaged), so
     * what fsync makes durable is not under test, yet the trials' flushes
     * fsync thousands of times: on a disk shared with other work that was
     * most of the test's time (28 s of 1200 trials, 7 s on tmpfs). */
    if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    static CU_TestInfo tests[] = {
        {"randomized crash damage recovers the longest valid prefix", test_randomized_crashes},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"crash_recovery", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_crash_recovery", suites);
}
