/*
 * One segment: appends and their index entries, offset translation, reopen,
 * recovery rebuilding the same indexes, truncation and the roll rule.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_segment.h"
#include "common/buf.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static char *dir;

static int setup(void)
{
    dir = test_tmpdir("segment");
    return 0;
}

static int teardown(void)
{
    test_rmtree(dir);
    free(dir);
    return 0;
}

/* Appends n batches of 5 records (~600 bytes) at offsets base, base+5, ... */
static void fill(struct log_segment *s, int n, int64_t ts0)
{
    for (int i = 0; i < n; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 5, .value_size = 100, .timestamp = ts0 + i * 10,
                                   .ts_step = 1, .base_offset = s->next_offset, .seed = (uint64_t)i};
        testbatch_build(&b, &o);
        CU_ASSERT_EQUAL_FATAL(log_segment_append(s, b.data, b.len), 0);
        buf_destroy(&b);
    }
}

static void test_append_translate_reopen(void)
{
    int err;
    struct log_segment *s = log_segment_create(dir, 100, 4096, 1 << 20, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    fill(s, 100, 1000);
    CU_ASSERT_EQUAL(s->next_offset, 600);
    CU_ASSERT_EQUAL(s->max_timestamp, 1000 + 99 * 10 + 4);
    CU_ASSERT_EQUAL(s->offset_of_max_timestamp, 599);
    CU_ASSERT_TRUE(s->index.file.entries > 5);
    int64_t batch_size = s->size / 100;

    int64_t pos;
    struct log_batch_hdr h;
    for (int64_t off = 100; off < 600; off += 7) {
        CU_ASSERT_EQUAL_FATAL(log_segment_translate(s, off, &pos, &h, NULL), 0);
        CU_ASSERT_TRUE(h.base_offset <= off && off <= log_batch_last_offset(&h));
        CU_ASSERT_EQUAL(pos, (h.base_offset - 100) / 5 * batch_size);
    }
    CU_ASSERT_EQUAL(log_segment_translate(s, 600, &pos, &h, NULL), GR_E_RANGE);
    CU_ASSERT_EQUAL(log_segment_translate(s, 0, &pos, &h, NULL), 0);
    CU_ASSERT_EQUAL(pos, 0);

    int64_t off, ts;
    CU_ASSERT_EQUAL(log_segment_find_timestamp(s, 1503, 0, &off, &ts, NULL), 1);
    CU_ASSERT_EQUAL(ts, 1503);
    CU_ASSERT_EQUAL(off, 100 + 50 * 5 + 3);
    CU_ASSERT_EQUAL(log_segment_find_timestamp(s, 99999, 0, &off, &ts, NULL), 0);

    int32_t entries = s->index.file.entries;
    int64_t size = s->size;
    log_segment_close(s);

    bool rebuild;
    s = log_segment_open(dir, 100, 4096, 1 << 20, 0, &rebuild, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_FALSE(rebuild);
    CU_ASSERT_EQUAL(s->size, size);
    CU_ASSERT_EQUAL(s->index.file.entries, entries);
    CU_ASSERT_EQUAL(log_segment_load_tail(s), 0);
    CU_ASSERT_EQUAL(s->next_offset, 600);
    CU_ASSERT_EQUAL(s->max_timestamp, 1994);
    CU_ASSERT_EQUAL(s->rolling_timestamp, 1004);
    log_segment_unlink(s);
    log_segment_close(s);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A segment keeps one descriptor (its .log) whether active or not: the
 * indexes are mapped and their files closed, as Kafka does, so that thousands
 * of partitions fit under the open-file limit. The indexes still work, reopen
 * intact and can be resized afterwards. */
static void test_one_descriptor_per_segment(void)
{
    int err, before = open_fds();
    struct log_segment *s = log_segment_create(dir, 5000, 1000, 1 << 20, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(open_fds(), before + 1);
    fill(s, 50, 1000);
    CU_ASSERT_EQUAL(log_segment_deactivate(s), 0);
    CU_ASSERT_EQUAL(open_fds(), before + 1);
    int32_t entries = s->index.file.entries;
    CU_ASSERT_TRUE(entries > 5);
    log_segment_close(s);
    CU_ASSERT_EQUAL(open_fds(), before);
    bool rebuild;
    s = log_segment_open(dir, 5000, 1000, 1 << 20, 0, &rebuild, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_FALSE(rebuild);
    CU_ASSERT_EQUAL(s->index.file.entries, entries);
    CU_ASSERT_EQUAL(open_fds(), before + 1);
    int64_t pos;
    struct log_batch_hdr h;
    CU_ASSERT_EQUAL(log_segment_translate(s, 5000 + 123, &pos, &h, NULL), 0);
    CU_ASSERT_TRUE(h.base_offset <= 5123 && 5123 <= log_batch_last_offset(&h));
    log_segment_unlink(s);
    log_segment_close(s);
    CU_ASSERT_EQUAL(open_fds(), before);
}

static void test_recover_rebuilds_same_index(void)
{
    int err;
    struct log_segment *s = log_segment_create(dir, 0, 1000, 1 << 20, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    fill(s, 60, 5000);
    int32_t n = s->index.file.entries, tn = s->timeindex.file.entries;
    log_idxfile_store(&s->index.file); /* compare what the files hold */
    log_idxfile_store(&s->timeindex.file);
    uint8_t *idx = malloc((size_t)n * 8), *tidx = malloc((size_t)tn * 12);
    memcpy(idx, s->index.file.map, (size_t)n * 8);
    memcpy(tidx, s->timeindex.file.map, (size_t)tn * 12);
    int64_t next = s->next_offset, size = s->size;

    int64_t truncated = -1;
    CU_ASSERT_EQUAL(log_segment_recover(s, NULL, NULL, &truncated), 0);
    CU_ASSERT_EQUAL(truncated, 0);
    CU_ASSERT_EQUAL(s->next_offset, next);
    CU_ASSERT_EQUAL(s->size, size);
    CU_ASSERT_EQUAL_FATAL(s->index.file.entries, n);
    log_idxfile_store(&s->index.file);
    log_idxfile_store(&s->timeindex.file);
    CU_ASSERT_EQUAL(memcmp(idx, s->index.file.map, (size_t)n * 8), 0);
    CU_ASSERT_EQUAL(memcmp(tidx, s->timeindex.file.map, (size_t)tn * 12), 0);

    /* Garbage after the last batch is cut off. */
    char junk[100];
    memset(junk, 0x5a, sizeof(junk));
    CU_ASSERT_EQUAL(pwrite(s->file->fd, junk, sizeof(junk), s->size), (ssize_t)sizeof(junk));
    s->size += sizeof(junk);
    CU_ASSERT_EQUAL(log_segment_recover(s, NULL, NULL, &truncated), 0);
    CU_ASSERT_EQUAL(truncated, 100);
    CU_ASSERT_EQUAL(s->size, size);
    CU_ASSERT_EQUAL(lseek(s->file->fd, 0, SEEK_END), size);

    /* A flipped byte in batch 30 cuts the segment there. */
    int64_t bsize = size / 60, p30 = 30 * bsize;
    char byte;
    CU_ASSERT_EQUAL(pread(s->file->fd, &byte, 1, p30 + 100), 1);
    byte ^= 1;
    CU_ASSERT_EQUAL(pwrite(s->file->fd, &byte, 1, p30 + 100), 1);
    CU_ASSERT_EQUAL(log_segment_recover(s, NULL, NULL, &truncated), 0);
    CU_ASSERT_EQUAL(s->size, p30);
    CU_ASSERT_EQUAL(s->next_offset, 150);
    CU_ASSERT_TRUE(log_index_sane(&s->index, s->next_offset, s->size));
    CU_ASSERT_TRUE(log_index_last_offset(&s->index) < 150);
    free(idx);
    free(tidx);
    log_segment_unlink(s);
    log_segment_close(s);
}

static void test_truncate(void)
{
    int err;
    struct log_segment *s = log_segment_create(dir, 0, 500, 1 << 20, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    fill(s, 40, 0);
    int64_t bsize = s->size / 40;
    /* Offset 52 lies inside batch 10 (50..54): the whole batch goes. */
    CU_ASSERT_EQUAL(log_segment_truncate_to(s, 52), 0);
    CU_ASSERT_EQUAL(s->next_offset, 50);
    CU_ASSERT_EQUAL(s->size, 10 * bsize);
    CU_ASSERT_EQUAL(s->max_timestamp, 94);
    CU_ASSERT_TRUE(log_index_last_offset(&s->index) < 50);
    CU_ASSERT_TRUE(log_index_sane(&s->index, 50, s->size));
    CU_ASSERT_TRUE(log_timeindex_sane(&s->timeindex, 50));
    /* Appends continue after the cut and are indexed. */
    fill(s, 10, 1000);
    CU_ASSERT_EQUAL(s->next_offset, 100);
    int64_t pos;
    struct log_batch_hdr h;
    CU_ASSERT_EQUAL(log_segment_translate(s, 77, &pos, &h, NULL), 0);
    CU_ASSERT_EQUAL(h.base_offset, 75);
    CU_ASSERT_EQUAL(log_segment_truncate_to(s, 500), 0); /* past the end: nothing */
    CU_ASSERT_EQUAL(s->next_offset, 100);
    CU_ASSERT_EQUAL(log_segment_truncate_to(s, 0), 0);
    CU_ASSERT_EQUAL(s->size, 0);
    CU_ASSERT_EQUAL(s->next_offset, 0);
    CU_ASSERT_EQUAL(s->index.file.entries, 0);
    log_segment_unlink(s);
    log_segment_close(s);
}

static void test_should_roll(void)
{
    int err;
    struct log_segment *s = log_segment_create(dir, 0, 4096, 80, 1000, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    /* Empty: never rolls, whatever the batch. */
    CU_ASSERT_FALSE(log_segment_should_roll(s, 1 << 30, 10, 0, 1000, 100, 10, 0));
    fill(s, 1, 100000);
    int64_t sz = s->size;
    CU_ASSERT_FALSE(log_segment_should_roll(s, 10, 5, 100000, 1000, (int32_t)(sz + 10), 1000, 0));
    CU_ASSERT_TRUE(log_segment_should_roll(s, 11, 5, 100000, 1000, (int32_t)(sz + 10), 1000, 0));
    /* Age: measured from the first batch's timestamp, minus jitter. */
    CU_ASSERT_FALSE(log_segment_should_roll(s, 10, 5, 100004 + 1000, 1000, 1 << 30, 1000, 0));
    CU_ASSERT_TRUE(log_segment_should_roll(s, 10, 5, 100004 + 1001, 1000, 1 << 30, 1000, 0));
    CU_ASSERT_TRUE(log_segment_should_roll(s, 10, 5, 100004 + 901, 1000, 1 << 30, 1000, 100));
    /* Offsets beyond 32 bits from the base. */
    CU_ASSERT_TRUE(log_segment_should_roll(s, 10, 0x80000000LL, 0, 1000, 1 << 30, 1LL << 40, 0));
    /* A full index (80 bytes = 10 entries). */
    while (s->index.file.entries < 10)
        fill(s, 10, 100000);
    CU_ASSERT_TRUE(log_segment_should_roll(s, 10, s->next_offset + 5, 100000, 1000, 1 << 30,
                                           1LL << 40, 0));
    log_segment_unlink(s);
    log_segment_close(s);
}

/* A cut that keeps the batch with the largest timestamp learns the new end
 * from its walk to the cut (no scan of the tail); one that removes it scans
 * the tail. Either way the segment then says what a reopened one says. */
static void test_truncate_keeps_or_rescans_max_timestamp(void)
{
    int err;
    struct log_segment *s = log_segment_create(dir, 0, 500, 1 << 20, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    fill(s, 10, 5000); /* offsets 0..49, timestamps up to 5094 */
    fill(s, 30, 0);    /* offsets 50..199, timestamps below: the maximum is early */
    CU_ASSERT_EQUAL(s->offset_of_max_timestamp, 49);
    CU_ASSERT_EQUAL(log_segment_truncate_to(s, 152), 0);
    CU_ASSERT_EQUAL(s->next_offset, 150);
    CU_ASSERT_EQUAL(s->max_timestamp, 5094);
    CU_ASSERT_EQUAL(s->offset_of_max_timestamp, 49);
    CU_ASSERT_EQUAL(log_segment_truncate_to(s, 30), 0); /* the maximum goes */
    CU_ASSERT_EQUAL(s->next_offset, 30);
    CU_ASSERT_EQUAL(s->max_timestamp, 5054);
    CU_ASSERT_EQUAL(s->offset_of_max_timestamp, 29);
    fill(s, 4, 9000);
    int64_t next = s->next_offset, max_ts = s->max_timestamp, max_off = s->offset_of_max_timestamp;
    CU_ASSERT_EQUAL(log_segment_deactivate(s), 0);
    log_segment_close(s);
    bool rebuild;
    s = log_segment_open(dir, 0, 500, 1 << 20, 0, &rebuild, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(log_segment_load_tail(s), 0);
    CU_ASSERT_EQUAL(s->next_offset, next);
    CU_ASSERT_EQUAL(s->max_timestamp, max_ts);
    CU_ASSERT_EQUAL(s->offset_of_max_timestamp, max_off);
    log_segment_unlink(s);
    log_segment_close(s);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"append, translate, find by time, reopen", test_append_translate_reopen},
        {"one descriptor per segment, indexes mapped", test_one_descriptor_per_segment},
        {"recovery rebuilds identical indexes and cuts bad tails", test_recover_rebuilds_same_index},
        {"truncation removes whole batches and keeps indexes right", test_truncate},
        {"truncation keeps or rescans the largest timestamp",
         test_truncate_keeps_or_rescans_max_timestamp},
        {"roll rule: size, age, jitter, offset range, full index", test_should_roll},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"segment", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_segment", suites);
}
