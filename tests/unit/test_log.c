/*
 * The partition log: rolls, reads by offset and by time, retention,
 * truncation, follower appends, flushing and reopening.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "broker/log/log_verify.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static char *root;
static struct log_bg *bg;
static int dirno;

static int setup(void)
{
    root = test_tmpdir("log");
    bg = log_bg_new();
    return bg ? 0 : -1;
}

static int teardown(void)
{
    log_bg_free(bg);
    test_rmtree(root);
    free(root);
    return 0;
}

static struct log *open_log(const struct log_config *c, const char *dir, int64_t rp, bool clean)
{
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = c,
                              .recovery_point = rp, .log_start_offset = -1,
                              .clean_shutdown = clean, .bg = bg, .now_ms = 1000};
    struct log *l = NULL;
    char err[256];
    int rc = log_open(&a, &l, err, sizeof(err));
    if (rc)
        fprintf(stderr, "log_open: %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    return l;
}

static char *new_dir(void)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/t-%d", root, dirno++);
    return strdup(p);
}

/* Appends n batches of `count` records, timestamps ts, ts+1, ... */
static void append(struct log *l, int n, int count, int64_t ts)
{
    for (int i = 0; i < n; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = count, .value_size = 100, .timestamp = ts + i,
                                   .seed = (uint64_t)i + 1};
        testbatch_build(&b, &o);
        struct log_append_info info;
        char why[200];
        int rc = log_append_leader(l, b.data, b.len, 3, ts + i, &info, why, sizeof(why));
        if (rc)
            fprintf(stderr, "append: %s\n", why);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        buf_destroy(&b);
    }
}

/* Reads every batch from offset 0 through log_read and checks offsets run
 * contiguously from start to end and every CRC holds. */
static void check_readable(struct log *l)
{
    int64_t off = l->log_start_offset;
    while (off < log_end_offset(l)) {
        struct log_read_result r;
        CU_ASSERT_EQUAL_FATAL(log_read(l, off, 1 << 20, INT64_MAX, true, &r), 0);
        CU_ASSERT_TRUE_FATAL(r.length > 0);
        uint8_t *p = malloc((size_t)r.length);
        CU_ASSERT_EQUAL_FATAL(pread(r.file->fd, p, (size_t)r.length, r.position), r.length);
        size_t i = 0;
        while (i + LOG_BATCH_HEADER_SIZE <= (size_t)r.length) {
            struct log_batch_hdr h;
            char why[200];
            log_batch_parse(p + i, &h);
            if (i + (size_t)log_batch_size(&h) > (size_t)r.length)
                break; /* partial trailing batch */
            CU_ASSERT_EQUAL_FATAL(log_batch_check(p + i, (size_t)r.length - i, &h, why, sizeof(why)), 0);
            if (i == 0) {
                CU_ASSERT_TRUE(h.base_offset <= off && off <= log_batch_last_offset(&h));
            } else {
                CU_ASSERT_EQUAL(h.base_offset, off);
            }
            off = log_batch_last_offset(&h) + 1;
            i += (size_t)log_batch_size(&h);
        }
        free(p);
        log_file_unref(r.file);
    }
    CU_ASSERT_EQUAL(off, log_end_offset(l));
}

static void test_roll_by_size_and_read_across(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 4000; /* about 6 batches of 5 records */
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 50, 5, 1000);
    CU_ASSERT_EQUAL(log_end_offset(l), 250);
    CU_ASSERT_TRUE(l->nsegs >= 8);
    CU_ASSERT_EQUAL(test_count_files(d, ".log"), l->nsegs);
    for (int i = 0; i < l->nsegs; i++)
        CU_ASSERT_TRUE(l->segs[i]->size <= 4000);
    for (int i = 1; i < l->nsegs; i++)
        CU_ASSERT_EQUAL(l->segs[i]->base_offset, l->segs[i - 1]->next_offset);
    check_readable(l);
    log_release(l);
    free(d);
}

static void test_roll_by_time(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_ms = 100;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 1, 1, 10000);
    append(l, 1, 1, 10050);
    CU_ASSERT_EQUAL(l->nsegs, 1);
    append(l, 1, 1, 10101); /* 101 ms after the segment's first batch */
    CU_ASSERT_EQUAL(l->nsegs, 2);
    CU_ASSERT_EQUAL(log_active(l)->base_offset, 2);
    log_release(l);
    free(d);
}

static void test_reads(void)
{
    struct log_config c = testbatch_log_config();
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 10, 10, 5000);
    int64_t bsize = log_active(l)->size / 10;
    struct log_read_result r;
    /* From inside a batch: the whole batch from its start. */
    CU_ASSERT_EQUAL(log_read(l, 23, 1 << 20, INT64_MAX, false, &r), 0);
    CU_ASSERT_EQUAL(r.position, 2 * bsize);
    CU_ASSERT_EQUAL(r.length, 8 * bsize);
    CU_ASSERT_EQUAL(r.first_offset, 20);
    log_file_unref(r.file);
    /* max_bytes cuts (a partial trailing batch is allowed, as in Kafka). */
    CU_ASSERT_EQUAL(log_read(l, 0, (int32_t)(bsize + 10), INT64_MAX, false, &r), 0);
    CU_ASSERT_EQUAL(r.length, bsize + 10);
    log_file_unref(r.file);
    /* Smaller than one batch: nothing, unless min_one_batch. */
    CU_ASSERT_EQUAL(log_read(l, 0, 10, INT64_MAX, false, &r), 0);
    CU_ASSERT_EQUAL(r.length, 10);
    log_file_unref(r.file);
    CU_ASSERT_EQUAL(log_read(l, 0, 10, INT64_MAX, true, &r), 0);
    CU_ASSERT_EQUAL(r.length, bsize);
    log_file_unref(r.file);
    /* The high watermark bounds what is returned. */
    CU_ASSERT_EQUAL(log_read(l, 0, 1 << 20, 40, false, &r), 0);
    CU_ASSERT_EQUAL(r.length, 4 * bsize);
    log_file_unref(r.file);
    CU_ASSERT_EQUAL(log_read(l, 40, 1 << 20, 40, false, &r), 0);
    CU_ASSERT_EQUAL(r.length, 0);
    CU_ASSERT_PTR_NULL(r.file);
    /* At the log end: empty; past it or before the start: out of range. */
    CU_ASSERT_EQUAL(log_read(l, 100, 1 << 20, INT64_MAX, false, &r), 0);
    CU_ASSERT_EQUAL(r.length, 0);
    CU_ASSERT_EQUAL(log_read(l, 101, 1 << 20, INT64_MAX, false, &r), GR_E_RANGE);
    CU_ASSERT_EQUAL(log_advance_start(l, 30), 0);
    CU_ASSERT_EQUAL(log_read(l, 29, 1 << 20, INT64_MAX, false, &r), GR_E_RANGE);
    CU_ASSERT_EQUAL(log_advance_start(l, 101), GR_E_RANGE);
    log_release(l);
    free(d);
}

static void test_find_by_timestamp(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 3000;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    for (int i = 0; i < 20; i++)
        append(l, 1, 4, 100000 + i * 100); /* records at t, t+0 (ts_step 0) */
    CU_ASSERT_TRUE(l->nsegs > 2);
    int64_t off, ts;
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 100950, &off, &ts), 1);
    CU_ASSERT_EQUAL(off, 40);
    CU_ASSERT_EQUAL(ts, 101000);
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 0, &off, &ts), 1);
    CU_ASSERT_EQUAL(off, 0);
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 200000, &off, &ts), 0);
    log_release(l);
    free(d);
}

static void test_retention(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 3000;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 40, 4, 1000000); /* timestamps 1000000..1000039 */
    int nsegs = l->nsegs;
    CU_ASSERT_TRUE(nsegs > 5);
    /* Nothing is old enough. */
    l->config.retention_ms = 100000;
    CU_ASSERT_EQUAL(log_apply_retention(l, 1000050), 0);
    /* Everything is, but the active segment stays. */
    CU_ASSERT_EQUAL(log_apply_retention(l, 5000000), nsegs - 1);
    CU_ASSERT_EQUAL(l->nsegs, 1);
    CU_ASSERT_EQUAL(l->log_start_offset, log_active(l)->base_offset);
    check_readable(l);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(test_count_files(d, ".log"), 1);
    CU_ASSERT_EQUAL(test_count_files(d, ".index"), 1);

    /* By size: keep the newest segments within retention.bytes. */
    l->config.retention_ms = -1;
    append(l, 40, 4, 2000000);
    int64_t total = log_size(l);
    l->config.retention_bytes = total / 2;
    CU_ASSERT_TRUE(log_apply_retention(l, 0) > 0);
    CU_ASSERT_TRUE(log_size(l) <= total / 2 + 3000);
    CU_ASSERT_TRUE(log_size(l) > total / 2 - 3000);
    check_readable(l);

    /* By log start offset (DeleteRecords). */
    l->config.retention_bytes = -1;
    int64_t target = log_active(l)->base_offset - 1;
    CU_ASSERT_EQUAL(log_advance_start(l, target), 0);
    CU_ASSERT_EQUAL(l->log_start_offset, target);
    CU_ASSERT_EQUAL(l->nsegs, 2);
    check_readable(l);
    log_release(l);
    free(d);
}

static void test_truncation(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 3000;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 30, 4, 1000); /* 120 records */
    l->high_watermark = 120;
    int before = l->nsegs;
    CU_ASSERT_EQUAL(log_truncate_to(l, 42), 0); /* inside batch 40..43 */
    CU_ASSERT_EQUAL(log_end_offset(l), 40);
    CU_ASSERT_TRUE(l->nsegs < before);
    CU_ASSERT_EQUAL(l->high_watermark, 40);
    CU_ASSERT_TRUE(log_active(l)->active);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(test_count_files(d, ".log"), l->nsegs);
    append(l, 5, 4, 2000);
    CU_ASSERT_EQUAL(log_end_offset(l), 60);
    check_readable(l);
    CU_ASSERT_EQUAL(log_truncate_fully(l, 500, 0), 0);
    CU_ASSERT_EQUAL(l->nsegs, 1);
    CU_ASSERT_EQUAL(log_end_offset(l), 500);
    CU_ASSERT_EQUAL(l->log_start_offset, 500);
    append(l, 2, 4, 3000);
    CU_ASSERT_EQUAL(log_end_offset(l), 508);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(test_count_files(d, ".log"), 1);
    check_readable(l);
    log_release(l);
    free(d);
}

static void test_follower_append_and_epochs(void)
{
    struct log_config c = testbatch_log_config();
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 3, .value_size = 10, .timestamp = 1, .base_offset = 0};
    size_t a1 = testbatch_build(&b, &o);
    o.base_offset = 3;
    size_t a2 = testbatch_build(&b, &o);
    log_batch_assign(b.data + a1, 0, 5);
    log_batch_assign(b.data + a2, 3, 7);
    struct log_append_info info;
    char why[200];
    CU_ASSERT_EQUAL(log_append_follower(l, b.data, b.len, 0, &info, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(info.first_offset, 0);
    CU_ASSERT_EQUAL(info.last_offset, 5);
    CU_ASSERT_EQUAL(log_end_offset(l), 6);
    CU_ASSERT_EQUAL(l->epochs.n, 2);
    CU_ASSERT_EQUAL(log_epoch_latest(&l->epochs), 7);
    int32_t e;
    int64_t end;
    log_epoch_end_offset(&l->epochs, 5, log_end_offset(l), &e, &end);
    CU_ASSERT_EQUAL(e, 5);
    CU_ASSERT_EQUAL(end, 3);
    /* Overlapping offsets are refused, nothing is written. */
    CU_ASSERT_EQUAL(log_append_follower(l, b.data + a2, b.len - a2, 0, &info, why, sizeof(why)),
                    GR_E_BAD_RECORD);
    CU_ASSERT_EQUAL(log_end_offset(l), 6);
    /* A bad CRC is refused. */
    b.data[b.len - 1] ^= 1;
    log_batch_assign(b.data + a2, 10, 7);
    CU_ASSERT_EQUAL(log_append_follower(l, b.data + a2, b.len - a2, 0, &info, why, sizeof(why)),
                    GR_E_CORRUPT);
    buf_destroy(&b);
    /* Epochs survive a reopen through leader-epoch-checkpoint. */
    log_bg_drain(bg);
    log_release(l);
    l = open_log(&c, d, 6, true);
    CU_ASSERT_EQUAL(l->epochs.n, 2);
    CU_ASSERT_EQUAL(log_epoch_latest(&l->epochs), 7);
    CU_ASSERT_EQUAL(log_end_offset(l), 6);
    log_release(l);
    free(d);
}

static int64_t flushed_to = -1;
static void on_flushed(struct log *l, int64_t offset, void *ctx)
{
    (void)l;
    (void)ctx;
    flushed_to = offset;
}

static void test_flush_policy_and_recovery_point(void)
{
    struct log_config c = testbatch_log_config();
    c.flush_messages = 10;
    c.segment_bytes = 3000;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    l->on_flushed = on_flushed;
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 4, .value_size = 10, .timestamp = 1};
    testbatch_build(&b, &o);
    struct log_append_info info;
    char why[200];
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    CU_ASSERT_FALSE(info.flush_requested);
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    CU_ASSERT_FALSE(info.flush_requested);
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    CU_ASSERT_TRUE(info.flush_requested); /* 12 >= 10 */
    CU_ASSERT_EQUAL(l->recovery_point, 0); /* not until the worker is done */
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(l->recovery_point, 12);
    CU_ASSERT_EQUAL(flushed_to, 12);
    /* Appends while a flush is in flight coalesce into one more flush. */
    l->config.flush_messages = 1;
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
    CU_ASSERT_EQUAL(flushed_to, log_end_offset(l));
    /* Time-based flushing. */
    l->config.flush_messages = INT64_MAX;
    l->config.flush_ms = 100;
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    int64_t last = l->last_flush_ms;
    log_flush_if_due(l, last + 50);
    log_bg_drain(bg);
    CU_ASSERT_TRUE(l->recovery_point < log_end_offset(l));
    log_flush_if_due(l, last + 100);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
    buf_destroy(&b);
    log_release(l);
    free(d);
}

/* Index entries of the active segment wait in memory (log_idxfile.h), so a
 * crash loses them even below the recovery point. The unclean start rebuilds
 * them, and lookups by offset and by time land where they did before. */
static void test_crash_loses_waiting_index_entries(void)
{
    struct log_config c = testbatch_log_config();
    c.index_interval_bytes = 1; /* an entry per batch: 100 entries, 64 at a time */
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 100, 4, 1000); /* batch i: offsets 4i..4i+3, timestamp 1000+i */
    log_flush(l, 0);
    log_bg_drain(bg);
    int64_t rp = l->recovery_point, leo = log_end_offset(l);
    CU_ASSERT_EQUAL(rp, leo);
    struct log_segment *s = log_active(l);
    int32_t n = s->index.file.entries, tn = s->timeindex.file.entries;
    CU_ASSERT_TRUE(s->index.file.stored < n);
    CU_ASSERT_TRUE(s->timeindex.file.stored < tn);
    /* What a SIGKILL leaves on disk: the stored entries only. */
    s->index.file.entries = s->index.file.stored;
    s->timeindex.file.entries = s->timeindex.file.stored;
    log_release(l);

    l = open_log(&c, d, rp, false);
    s = log_active(l);
    CU_ASSERT_EQUAL(log_end_offset(l), leo);
    CU_ASSERT_EQUAL(s->index.file.entries, n);
    CU_ASSERT_EQUAL(s->timeindex.file.entries, tn);
    int64_t off = -1, ts = -1;
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 1000 + 90, &off, &ts), 1);
    CU_ASSERT_EQUAL(off, 4 * 90);
    CU_ASSERT_EQUAL(ts, 1000 + 90);
    struct log_read_result r;
    CU_ASSERT_EQUAL_FATAL(log_read(l, 4 * 95 + 2, 1 << 20, INT64_MAX, true, &r), 0);
    uint8_t hdr[LOG_BATCH_HEADER_SIZE];
    CU_ASSERT_EQUAL_FATAL(pread(r.file->fd, hdr, sizeof(hdr), r.position), (ssize_t)sizeof(hdr));
    struct log_batch_hdr h;
    log_batch_parse(hdr, &h);
    CU_ASSERT_EQUAL(h.base_offset, 4 * 95);
    log_file_unref(r.file);
    check_readable(l);
    log_release(l);
    free(d);
}

static void test_reopen_unclean_recovers_from_recovery_point(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 3000;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    append(l, 30, 4, 1000);
    log_flush(l, 0);
    log_bg_drain(bg);
    int64_t rp = l->recovery_point, leo = log_end_offset(l);
    CU_ASSERT_EQUAL(rp, leo);
    append(l, 5, 4, 2000);
    /* Tear the last batch, as a crash during a write would. */
    struct log_segment *s = log_active(l);
    CU_ASSERT_EQUAL(ftruncate(s->file->fd, s->size - 7), 0);
    log_release(l);
    l = open_log(&c, d, rp, false);
    CU_ASSERT_EQUAL(log_end_offset(l), leo + 16);
    CU_ASSERT_EQUAL(l->recovery_point, rp);
    check_readable(l);
    log_release(l);
    free(d);
}

/* Writes len bytes as the segment file <dir>/<base>.log, as a crash or a
 * damaged disk could have left it. */
static void write_segment(const char *dir, int64_t base, const void *data, size_t len)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/%020lld.log", dir, (long long)base);
    CU_ASSERT_EQUAL_FATAL(fs_write_file_atomic(p, data, len, false), 0);
}

/* Found by fuzz_recovery: a batch on disk whose BaseOffset + LastOffsetDelta
 * overflows int64_t: undefined behaviour, which the UBSan build (build-asan)
 * aborts on. Recovery cuts it. (In a segment named at the batch's base,
 * which the next test's check now refuses, the gcc build kept the batch and
 * ended the log at a negative offset.) */
static void test_batch_offsets_overflow_on_disk(void)
{
    struct log_config c = testbatch_log_config();
    const int64_t base = INT64_MAX - 10, seg = INT64_MAX - UINT32_MAX;
    for (int clean = 0; clean < 2; clean++) {
        char *dir = new_dir();
        CU_ASSERT_EQUAL_FATAL(fs_mkdirs(dir), 0);
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 21, .value_size = 10, .timestamp = 1000,
                                   .base_offset = base};
        testbatch_build(&b, &o);
        /* In the highest segment name allowed (higher ones are refused). */
        write_segment(dir, seg, b.data, b.len);
        buf_destroy(&b);
        struct log *l = open_log(&c, dir, 0, clean);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l);
        CU_ASSERT_EQUAL(log_end_offset(l), seg);
        CU_ASSERT_EQUAL(log_size(l), 0);
        log_release(l);
        log_bg_drain(bg);
        free(dir);
    }
}

/* Found by fuzz_recovery: a batch whose RecordCount (3) exceeds
 * LastOffsetDelta + 1 (2), CRC intact. Recovery kept it, so its third record
 * had the offset after the log end, and a timestamp search answered the log
 * end itself. Recovery now cuts the log before it. */
static void test_recovery_cuts_records_past_last_offset(void)
{
    struct log_config c = testbatch_log_config();
    char *dir = new_dir();
    CU_ASSERT_EQUAL_FATAL(fs_mkdirs(dir), 0);
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 2, .value_size = 10, .timestamp = 1000};
    testbatch_build(&b, &o);
    o = (struct testbatch_opts){.count = 3, .value_size = 10, .timestamp = 2000, .base_offset = 2};
    size_t second = testbatch_build(&b, &o);
    be32_store(b.data + second + LOG_BATCH_OFF_LAST_OFFSET_DELTA, 1);
    testbatch_fix_crc(b.data + second);
    write_segment(dir, 0, b.data, b.len);
    struct log *l = open_log(&c, dir, 0, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(log_end_offset(l), 2);
    CU_ASSERT_EQUAL(log_size(l), (int64_t)second);
    int64_t off = -1, ts;
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 2000, &off, &ts), 0);
    log_release(l);
    log_bg_drain(bg);
    buf_destroy(&b);
    free(dir);
}

/* Found by fuzz_recovery: a segment named near INT64_MAX made the index
 * lookups overflow (base + a 32-bit relative offset). Such a log is refused
 * with a reason naming the file (the caller takes it offline). */
static void test_segment_named_past_offset_space(void)
{
    struct log_config c = testbatch_log_config();
    char *dir = new_dir();
    CU_ASSERT_EQUAL_FATAL(fs_mkdirs(dir), 0);
    write_segment(dir, INT64_MAX - 1000, "", 0);
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = &c,
                              .log_start_offset = -1, .clean_shutdown = true, .bg = bg,
                              .now_ms = 1000};
    struct log *l = NULL;
    char err[512] = "";
    CU_ASSERT_EQUAL(log_open(&a, &l, err, sizeof(err)), GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "09223372036854774807.log"));
    if (l)
        log_release(l);
    log_bg_drain(bg);
    free(dir);
}

/* Found by fuzz_checkpoint: a log-start-offset-checkpoint entry near
 * INT64_MAX started a new log there, and its first append overflowed the
 * offsets. Such a start is ignored (with a warning). */
static void test_checkpointed_start_past_offset_space(void)
{
    struct log_config c = testbatch_log_config();
    char *dir = new_dir();
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = &c,
                              .log_start_offset = INT64_MAX - 1, .bg = bg, .now_ms = 1000};
    struct log *l = NULL;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(log_open(&a, &l, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(log_end_offset(l), 0);
    CU_ASSERT_EQUAL(l->log_start_offset, 0);
    append(l, 1, 3, 1000);
    CU_ASSERT_EQUAL(log_end_offset(l), 3);
    log_release(l);
    log_bg_drain(bg);
    free(dir);
}

static void test_bad_appends_leave_log_unchanged(void)
{
    struct log_config c = testbatch_log_config();
    c.max_message_bytes = 500;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 2, .value_size = 10, .timestamp = 1};
    testbatch_build(&b, &o);
    size_t good = b.len;
    o.value_size = 1000;
    testbatch_build(&b, &o); /* too large */
    struct log_append_info info;
    char why[200];
    /* A valid batch followed by a bad one: nothing at all is written. */
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)),
                    GR_E_TOO_LARGE);
    CU_ASSERT_EQUAL(log_end_offset(l), 0);
    CU_ASSERT_EQUAL(log_active(l)->size, 0);
    b.data[good - 1] ^= 1;
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, good, 0, 1, &info, why, sizeof(why)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(log_end_offset(l), 0);
    buf_destroy(&b);
    log_release(l);
    free(d);
}

static void test_log_append_time(void)
{
    struct log_config c = testbatch_log_config();
    c.log_append_time = true;
    char *d = new_dir();
    struct log *l = open_log(&c, d, 0, false);
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 2, .value_size = 10, .timestamp = 5};
    testbatch_build(&b, &o);
    struct log_append_info info;
    char why[200];
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 777777, &info, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(info.log_append_time, 777777);
    CU_ASSERT_EQUAL(log_active(l)->max_timestamp, 777777);
    check_readable(l); /* CRC still valid after the rewrite */
    buf_destroy(&b);
    log_release(l);
    free(d);
}

/* Appends of at least LOG_VERIFY_PARALLEL_MIN bytes are verified on the
 * verifier thread while being written: a valid one commits, a bad one is
 * cut back to the byte and leaves the log as it was. */
static void test_parallel_verification(void)
{
    struct log_config c = testbatch_log_config();
    char *d = new_dir();
    struct log_verifier *v = log_verifier_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    struct log_open_args a = {.dir = d, .topic = "t", .partition = 0, .config = &c,
                              .recovery_point = 0, .log_start_offset = -1,
                              .clean_shutdown = false, .bg = bg, .verifier = v, .now_ms = 1000};
    struct log *l = NULL;
    char err[256], why[256];
    CU_ASSERT_EQUAL_FATAL(log_open(&a, &l, err, sizeof(err)), 0);
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 2000, .value_size = 100, .timestamp = 7, .seed = 5};
    testbatch_build(&b, &o);
    CU_ASSERT_TRUE_FATAL(b.len >= LOG_VERIFY_PARALLEL_MIN);
    struct log_append_info info;
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(info.last_offset, 1999);
    int64_t size = log_active(l)->size;
    CU_ASSERT_EQUAL(size, (int64_t)b.len);

    /* A flipped byte: CORRUPT, and not one byte of it stays in the file. */
    b.data[b.len / 2] ^= 0x10;
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)),
                    GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "CRC"));
    CU_ASSERT_EQUAL(log_end_offset(l), 2000);
    CU_ASSERT_EQUAL(log_active(l)->size, size);
    CU_ASSERT_EQUAL(lseek(log_active(l)->file->fd, 0, SEEK_END), size);
    b.data[b.len / 2] ^= 0x10;

    /* Broken record framing under a valid CRC: INVALID, cut back too. */
    be32_store(b.data + LOG_BATCH_OFF_RECORD_COUNT, 1999);
    be32_store(b.data + LOG_BATCH_OFF_LAST_OFFSET_DELTA, 1998);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)),
                    GR_E_BAD_RECORD);
    CU_ASSERT_EQUAL(lseek(log_active(l)->file->fd, 0, SEEK_END), size);
    buf_destroy(&b);

    /* The log goes on from where it was. */
    buf_init(&b);
    testbatch_build(&b, &o);
    CU_ASSERT_EQUAL(log_append_leader(l, b.data, b.len, 0, 1, &info, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(info.first_offset, 2000);
    check_readable(l);
    buf_destroy(&b);
    log_release(l);
    log_verifier_free(v);
    free(d);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"rolls by size; reads run across segments", test_roll_by_size_and_read_across},
        {"rolls by age of the first record", test_roll_by_time},
        {"reads: batch starts, byte limits, high watermark, range", test_reads},
        {"finds offsets by timestamp across segments", test_find_by_timestamp},
        {"retention by time, size and log start offset", test_retention},
        {"truncation and full truncation", test_truncation},
        {"follower appends keep offsets; epochs persist", test_follower_append_and_epochs},
        {"flush.messages, coalesced and timed flushes", test_flush_policy_and_recovery_point},
        {"unclean reopen recovers from the recovery point", test_reopen_unclean_recovers_from_recovery_point},
        {"a crash loses waiting index entries; the unclean start rebuilds them", test_crash_loses_waiting_index_entries},
        {"batch offsets that overflow on disk are cut, not computed",
         test_batch_offsets_overflow_on_disk},
        {"recovery cuts a batch whose records pass its last offset",
         test_recovery_cuts_records_past_last_offset},
        {"a segment named past the offset space is refused", test_segment_named_past_offset_space},
        {"a checkpointed log start past the offset space is ignored",
         test_checkpointed_start_past_offset_space},
        {"a rejected append writes nothing", test_bad_appends_leave_log_unchanged},
        {"LogAppendTime rewrites timestamps with a valid CRC", test_log_append_time},
        {"large appends verified in parallel commit or cut back", test_parallel_verification},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"log", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_log", suites);
}
