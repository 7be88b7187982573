/*
 * Offset and timestamp lookups that never wait for the disk
 * (log_read_cached, log_find_offset_by_timestamp_cached): with the pages of
 * a segment's index, time index and batches evicted from the page cache,
 * a lookup answers GR_E_AGAIN and names the range to read; once the log
 * reader has read it, the lookup goes on, and after a few rounds answers
 * exactly what the waiting lookup answers.
 *
 * The pages are evicted for real: fsync, then posix_fadvise(DONTNEED) on
 * the files (and madvise(DONTNEED) on the index mappings first, since
 * mapped pages are not dropped). That needs a disk-backed file system under
 * TMPDIR (tmpfs keeps every page); the test says so if eviction did not
 * happen.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "broker/log/log_warm.h"
#include "common/buf.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static char *root;
static struct log_bg *bg;

static int setup(void)
{
    root = test_tmpdir("cold");
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

/* A log of several segments, each with multi-page indexes: 200-byte
 * batches, one index entry per batch, 4 records a batch with timestamps
 * 1000 + offset. */
static struct log *build(void)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 512 * 1024;
    c.index_interval_bytes = 1;
    struct log_open_args a = {.dir = root,
                              .topic = "t",
                              .partition = 0,
                              .config = &c,
                              .recovery_point = 0,
                              .log_start_offset = -1,
                              .clean_shutdown = false,
                              .bg = bg,
                              .now_ms = 1000};
    struct log *l = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(log_open(&a, &l, err, sizeof(err)), 0);
    for (int i = 0; i < 12000; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 4,
                                   .value_size = 20,
                                   .timestamp = 1000 + 4 * i,
                                   .ts_step = 1,
                                   .seed = (uint64_t)i + 1};
        testbatch_build(&b, &o);
        struct log_append_info info;
        char why[200];
        CU_ASSERT_EQUAL_FATAL(log_append_leader(l, b.data, b.len, 0, 1000, &info, why, sizeof(why)),
                              0);
        buf_destroy(&b);
    }
    CU_ASSERT_TRUE_FATAL(l->nsegs >= 3);
    CU_ASSERT_TRUE_FATAL(l->segs[0]->index.file.entries * 8 > 3 * 4096);
    return l;
}

static void evict_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(fsync(fd), 0);
    CU_ASSERT_EQUAL(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    close(fd);
}

static void evict_index(struct log_idxfile *f)
{
    log_idxfile_store(f); /* waiting entries live in the heap, never cold */
    CU_ASSERT_EQUAL(msync(f->map, f->map_len, MS_SYNC), 0);
    CU_ASSERT_EQUAL(madvise(f->map, f->map_len, MADV_DONTNEED), 0);
    evict_path(f->path);
}

/* Drops every page of the log's files from the page cache, and checks that
 * it worked for the first segment's data. */
static void evict(struct log *l)
{
    for (int i = 0; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        evict_index(&s->index.file);
        evict_index(&s->timeindex.file);
        CU_ASSERT_EQUAL(fsync(s->file->fd), 0);
        CU_ASSERT_EQUAL(posix_fadvise(s->file->fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    }
    if (log_warm_cached(l->segs[0]->file, 0, l->segs[0]->size))
        fprintf(stderr, "test_log_cold: pages stayed in memory after POSIX_FADV_DONTNEED; "
                        "run with TMPDIR on a disk-backed file system\n");
    CU_ASSERT_FALSE_FATAL(log_warm_cached(l->segs[0]->file, 0, l->segs[0]->size));
}

static void warmed(void *ctx, int rc)
{
    int *out = ctx;
    *out = rc;
}

/* Has the reader read c's range, and waits for it. */
static void warm(struct log_cold *c)
{
    int rc = 1;
    CU_ASSERT_TRUE(c->file != NULL || c->path != NULL);
    CU_ASSERT_TRUE(c->len > 0);
    CU_ASSERT_EQUAL_FATAL(log_warm_cold(bg, c, warmed, &rc), 0);
    CU_ASSERT_PTR_NULL(c->file);
    CU_ASSERT_PTR_NULL(c->path);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(rc, 0);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void test_read_cold(void)
{
    struct log *l = build();
    int64_t target = l->segs[1]->base_offset + 4 * 777 + 2; /* mid second segment */
    struct log_read_result want, got;
    CU_ASSERT_EQUAL_FATAL(log_read(l, target, 1000, INT64_MAX, true, &want), 0);
    evict(l);
    int rounds = 0, index_cold = 0, data_cold = 0, rc;
    struct log_cold c;
    while ((rc = log_read_cached(l, target, 1000, INT64_MAX, true, &got, &c)) == GR_E_AGAIN) {
        CU_ASSERT_PTR_NULL(got.file); /* nothing to release */
        if (c.path) {
            CU_ASSERT_TRUE(ends_with(c.path, ".index"));
            index_cold++;
        } else {
            CU_ASSERT_PTR_EQUAL(c.file, l->segs[1]->file);
            data_cold++;
        }
        warm(&c);
        CU_ASSERT_TRUE_FATAL(++rounds < 20);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    /* The index lookup came first, then the header walk. */
    CU_ASSERT_TRUE(index_cold >= 1);
    CU_ASSERT_TRUE(data_cold >= 1);
    CU_ASSERT_PTR_EQUAL(got.file, want.file);
    CU_ASSERT_EQUAL(got.position, want.position);
    CU_ASSERT_EQUAL(got.length, want.length);
    CU_ASSERT_EQUAL(got.first_offset, want.first_offset);
    /* Now warm: answered at once. */
    log_file_unref(got.file);
    CU_ASSERT_EQUAL(log_read_cached(l, target, 1000, INT64_MAX, true, &got, &c), 0);
    CU_ASSERT_EQUAL(got.position, want.position);
    log_file_unref(got.file);
    log_file_unref(want.file);
    /* A cold answer that is given up on owns nothing. */
    evict(l);
    CU_ASSERT_EQUAL(log_read_cached(l, target, 1000, INT64_MAX, true, &got, &c), GR_E_AGAIN);
    log_cold_release(&c);
    CU_ASSERT_PTR_NULL(c.file);
    CU_ASSERT_PTR_NULL(c.path);
    log_release(l);
    test_rmtree(root);
    CU_ASSERT_EQUAL(mkdir(root, 0700), 0);
}

static void test_timestamp_cold(void)
{
    struct log *l = build();
    int64_t ts = 1000 + l->segs[1]->base_offset + 4 * 555 + 1, want_off, want_ts, off, found;
    CU_ASSERT_EQUAL_FATAL(log_find_offset_by_timestamp(l, ts, &want_off, &want_ts), 1);
    CU_ASSERT_EQUAL(want_off, ts - 1000);
    evict(l);
    int rounds = 0, time_cold = 0, rc;
    struct log_cold c;
    while ((rc = log_find_offset_by_timestamp_cached(l, ts, &off, &found, &c)) == GR_E_AGAIN) {
        if (c.path && ends_with(c.path, ".timeindex"))
            time_cold++;
        warm(&c);
        CU_ASSERT_TRUE_FATAL(++rounds < 40);
    }
    CU_ASSERT_EQUAL(rc, 1);
    CU_ASSERT_TRUE(time_cold >= 1);
    CU_ASSERT_EQUAL(off, want_off);
    CU_ASSERT_EQUAL(found, want_ts);
    log_release(l);
    test_rmtree(root);
    CU_ASSERT_EQUAL(mkdir(root, 0700), 0);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"offset lookup in a cold segment reads nothing on the caller's thread", test_read_cold},
        {"timestamp lookup in a cold segment reads nothing on the caller's thread",
         test_timestamp_cold},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"log_cold", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_log_cold", suites);
}
