/*
 * Offset index and time index: appends, lookups, truncation, capacity, and
 * what survives a close and reopen (the file is trimmed to its entries).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_index.h"
#include "broker/log/log_timeindex.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

static char *dir;

static int setup(void)
{
    dir = test_tmpdir("index");
    return 0;
}

static int teardown(void)
{
    test_rmtree(dir);
    free(dir);
    return 0;
}

static void path(char *out, const char *name)
{
    snprintf(out, 4096, "%s/%s", dir, name);
}

static void test_offset_index(void)
{
    char p[4096];
    struct log_index x;
    path(p, "a.index");
    CU_ASSERT_EQUAL_FATAL(log_index_open(&x, p, 1000, 80), 0);
    CU_ASSERT_EQUAL(log_idxfile_capacity(&x.file), 10);
    int64_t off;
    uint32_t pos;
    log_index_lookup(&x, 5000, &off, &pos);
    CU_ASSERT_EQUAL(off, 1000);
    CU_ASSERT_EQUAL(pos, 0);
    for (int i = 1; i <= 10; i++)
        CU_ASSERT_EQUAL(log_index_append(&x, 1000 + i * 10, (uint32_t)i * 100), 0);
    CU_ASSERT_TRUE(log_index_full(&x));
    CU_ASSERT_EQUAL(log_index_append(&x, 2000, 5000), GR_E_FULL);
    log_index_lookup(&x, 1055, &off, &pos);
    CU_ASSERT_EQUAL(off, 1050);
    CU_ASSERT_EQUAL(pos, 500);
    log_index_lookup(&x, 1050, &off, &pos);
    CU_ASSERT_EQUAL(off, 1050);
    log_index_lookup(&x, 1009, &off, &pos);
    CU_ASSERT_EQUAL(off, 1000);
    CU_ASSERT_EQUAL(pos, 0);
    CU_ASSERT_EQUAL(log_index_last_offset(&x), 1100);
    CU_ASSERT_TRUE(log_index_sane(&x, 1101, 1001));
    CU_ASSERT_FALSE(log_index_sane(&x, 1100, 1001)); /* entry at the next offset */
    CU_ASSERT_FALSE(log_index_sane(&x, 1101, 1000)); /* position past the log */
    log_index_truncate_to(&x, 1050);
    CU_ASSERT_EQUAL(x.file.entries, 4);
    log_index_truncate_to(&x, 1031);
    CU_ASSERT_EQUAL(x.file.entries, 3);
    CU_ASSERT_EQUAL(log_index_append(&x, 1030, 999), GR_E_INVALID); /* not increasing */
    CU_ASSERT_EQUAL(log_index_append(&x, 1000 + 0x100000000LL, 999), GR_E_INVALID);
    log_index_close(&x);

    struct stat st;
    CU_ASSERT_EQUAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 3 * 8); /* trimmed to its entries */
    CU_ASSERT_EQUAL_FATAL(log_index_open(&x, p, 1000, 0), 0);
    CU_ASSERT_EQUAL(x.file.entries, 3);
    log_index_lookup(&x, 1025, &off, &pos);
    CU_ASSERT_EQUAL(off, 1020);
    CU_ASSERT_EQUAL(pos, 200);
    CU_ASSERT_EQUAL(log_index_append(&x, 2000, 1), GR_E_FULL); /* read-only mapping */
    log_index_close(&x);

    /* A torn file (not a whole number of entries) is refused. */
    FILE *f = fopen(p, "ab");
    fputc(1, f);
    fclose(f);
    CU_ASSERT_EQUAL(log_index_open(&x, p, 1000, 0), GR_E_CORRUPT);
}

static void test_time_index(void)
{
    char p[4096];
    struct log_timeindex x;
    path(p, "a.timeindex");
    CU_ASSERT_EQUAL_FATAL(log_timeindex_open(&x, p, 100, 12 * 5), 0);
    int64_t ts, off;
    log_timeindex_last(&x, &ts, &off);
    CU_ASSERT_EQUAL(ts, -1);
    CU_ASSERT_EQUAL(off, 100);
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 5000, 110), 0);
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 5000, 120), 0); /* not larger: skipped */
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 4000, 130), 0); /* smaller: skipped */
    CU_ASSERT_EQUAL(x.file.entries, 1);
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 7000, 140), 0);
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 9000, 150), 0);
    CU_ASSERT_EQUAL(log_timeindex_maybe_append(&x, 9500, 145), GR_E_INVALID);
    CU_ASSERT_EQUAL(x.file.entries, 3);
    log_timeindex_lookup(&x, 8000, &ts, &off);
    CU_ASSERT_EQUAL(ts, 7000);
    CU_ASSERT_EQUAL(off, 140);
    log_timeindex_lookup(&x, 100, &ts, &off);
    CU_ASSERT_EQUAL(ts, -1);
    CU_ASSERT_EQUAL(off, 100);
    log_timeindex_last(&x, &ts, &off);
    CU_ASSERT_EQUAL(ts, 9000);
    CU_ASSERT_TRUE(log_timeindex_sane(&x, 151));
    CU_ASSERT_FALSE(log_timeindex_sane(&x, 150));
    log_timeindex_truncate_to(&x, 145);
    CU_ASSERT_EQUAL(x.file.entries, 2);
    for (int i = 0; i < 5; i++)
        log_timeindex_maybe_append(&x, 10000 + i, 200 + i);
    CU_ASSERT_TRUE(log_timeindex_full(&x));
    CU_ASSERT_EQUAL(x.file.entries, 5);
    log_timeindex_close(&x);
    CU_ASSERT_EQUAL_FATAL(log_timeindex_open(&x, p, 100, 0), 0);
    CU_ASSERT_EQUAL(x.file.entries, 5);
    log_timeindex_last(&x, &ts, &off);
    CU_ASSERT_EQUAL(ts, 10002);
    CU_ASSERT_EQUAL(off, 202);
    log_timeindex_close(&x);
}

/* Reads entry i of the file at p from the disk side (pread), big-endian
 * relative offset; -1 when the file is too short. */
static int64_t file_entry_offset(const char *p, int32_t i)
{
    uint8_t e[8];
    int fd = open(p, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : pread(fd, e, sizeof(e), (off_t)i * 8);
    if (fd >= 0)
        close(fd);
    return n == 8 ? (int64_t)be32_load(e) : -1;
}

/* Entries wait in the heap until a batch is full, a sync, a resize or a
 * close; readers see them all along, and truncation across the boundary
 * between stored and waiting entries keeps the right ones. */
static void test_waiting_entries(void)
{
    char p[4096];
    struct log_index x;
    path(p, "w.index");
    CU_ASSERT_EQUAL_FATAL(log_index_open(&x, p, 0, 8 * 1000), 0);
    const int32_t n = LOG_IDXFILE_PEND + 10;
    for (int32_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(log_index_append(&x, 10 * (i + 1), (uint32_t)(100 * (i + 1))), 0);
    CU_ASSERT_EQUAL(x.file.entries, n);
    /* The first batch was stored when the 65th entry came; 10 wait. */
    CU_ASSERT_EQUAL(x.file.stored, LOG_IDXFILE_PEND);
    CU_ASSERT_EQUAL(file_entry_offset(p, LOG_IDXFILE_PEND - 1), 10 * LOG_IDXFILE_PEND);
    CU_ASSERT_EQUAL(file_entry_offset(p, LOG_IDXFILE_PEND), 0); /* allocated, not written */
    int64_t off, cold = -1;
    uint32_t pos;
    log_index_lookup(&x, 10 * n + 5, &off, &pos); /* the last, waiting entry */
    CU_ASSERT_EQUAL(off, 10 * n);
    CU_ASSERT_EQUAL(pos, 100 * n);
    CU_ASSERT_EQUAL(log_index_lookup_cached(&x, 10 * (n - 3), &off, &pos, &cold), 0);
    CU_ASSERT_EQUAL(off, 10 * (n - 3));
    CU_ASSERT_EQUAL(cold, -1);
    CU_ASSERT_EQUAL(log_index_last_offset(&x), 10 * n);
    CU_ASSERT_TRUE(log_index_sane(&x, 10 * n + 1, 100 * n + 1));

    /* A sync stores them first. */
    int fd = log_idxfile_open_for_sync(&x.file);
    CU_ASSERT_TRUE(fd >= 0);
    if (fd >= 0)
        close(fd);
    CU_ASSERT_EQUAL(x.file.stored, n);
    CU_ASSERT_EQUAL(file_entry_offset(p, n - 1), 10 * n);

    /* Truncate into the stored entries, append again, truncate into the
     * waiting ones: the survivors are stored at close. */
    log_index_truncate_to(&x, 10 * 50 + 1); /* keeps entries 10..500 */
    CU_ASSERT_EQUAL(x.file.entries, 50);
    CU_ASSERT_EQUAL(x.file.stored, 50);
    for (int32_t i = 50; i < 60; i++)
        CU_ASSERT_EQUAL(log_index_append(&x, 10 * (i + 1) + 1, (uint32_t)(100 * (i + 1))), 0);
    CU_ASSERT_EQUAL(x.file.stored, 50);
    log_index_truncate_to(&x, 10 * 55 + 1); /* keeps 54 of them */
    CU_ASSERT_EQUAL(x.file.entries, 54);
    CU_ASSERT_EQUAL(log_index_append(&x, 10 * 55 + 1, 5555), 0);
    log_index_close(&x);
    struct stat st;
    CU_ASSERT_EQUAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 55 * 8);
    CU_ASSERT_EQUAL(file_entry_offset(p, 50), 10 * 51 + 1);
    CU_ASSERT_EQUAL(file_entry_offset(p, 54), 10 * 55 + 1);
    CU_ASSERT_EQUAL_FATAL(log_index_open(&x, p, 0, 0), 0);
    log_index_lookup(&x, 10 * 55 + 1, &off, &pos);
    CU_ASSERT_EQUAL(pos, 5555);
    log_index_lookup(&x, 10 * 53 + 1, &off, &pos);
    CU_ASSERT_EQUAL(pos, 5300);
    log_index_close(&x);

    /* Resizing to read-only (a roll) stores them too. */
    struct log_timeindex t;
    path(p, "w.timeindex");
    CU_ASSERT_EQUAL_FATAL(log_timeindex_open(&t, p, 0, 12 * 1000), 0);
    for (int32_t i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(log_timeindex_maybe_append(&t, 1000 + i, i), 0);
    CU_ASSERT_EQUAL(t.file.stored, 0);
    CU_ASSERT_EQUAL(log_idxfile_resize(&t.file, 0), 0);
    CU_ASSERT_EQUAL(t.file.stored, 3);
    CU_ASSERT_PTR_NULL(t.file.pend);
    int64_t ts;
    log_timeindex_lookup(&t, 1001, &ts, &off);
    CU_ASSERT_EQUAL(ts, 1001);
    CU_ASSERT_EQUAL(off, 1);
    CU_ASSERT_EQUAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 3 * 12);
    log_timeindex_close(&t);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"offset index: append, lookup, truncate, full, reopen", test_offset_index},
        {"time index: growing timestamps only, lookup, truncate, reopen", test_time_index},
        {"entries wait in memory until a batch, sync, resize or close", test_waiting_entries},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"index", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_index", suites);
}
