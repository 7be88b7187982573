/*
 * gregor-replica-verification's record batch cursor: batches read whole
 * with their last offsets and checksums, a damaged byte caught by the
 * checksum check, a set cut short at every length read up to the last
 * whole batch and never past the bytes there are, and lengths or magics
 * that cannot be batches refused.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"
#include "tools/replica_verify_batch.h"

/* Two batches (offsets 0-2 and 3-4) and a cursor over them. */
struct fixture {
    struct buf b;         /* the record set */
    size_t second;        /* where the second batch starts */
    struct rv_batches it; /* over b */
    struct rv_batch x;    /* the last batch read */
    char err[160];        /* the last reason */
};

static void two_batches(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    buf_init(&f->b);
    struct testbatch_opts o = {.count = 3, .value_size = 20, .timestamp = 1000, .seed = 1};
    testbatch_build(&f->b, &o);
    o.count = 2;
    o.base_offset = 3;
    f->second = testbatch_build(&f->b, &o);
    rv_batches_init(&f->it, f->b.data, f->b.len);
}

/* The next batch of f's cursor into f->x: rv_batches_next's result. */
static int next(struct fixture *f)
{
    return rv_batches_next(&f->it, &f->x, f->err, sizeof(f->err));
}

static void test_whole_batches(void)
{
    struct fixture f;
    two_batches(&f);
    CU_ASSERT_EQUAL_FATAL(next(&f), 1);
    CU_ASSERT_EQUAL(f.x.base_offset, 0);
    CU_ASSERT_EQUAL(f.x.last_offset, 2);
    CU_ASSERT_EQUAL(f.x.magic, 2);
    CU_ASSERT(f.x.crc_ok);
    CU_ASSERT_EQUAL_FATAL(next(&f), 1);
    CU_ASSERT_EQUAL(f.x.base_offset, 3);
    CU_ASSERT_EQUAL(f.x.last_offset, 4);
    CU_ASSERT(f.x.crc_ok);
    CU_ASSERT_EQUAL(next(&f), 0);
    buf_destroy(&f.b);
}

static void test_damaged_byte(void)
{
    struct fixture f;
    two_batches(&f);
    f.b.data[f.second + 70] ^= 0x01; /* a record byte of the second batch */
    CU_ASSERT_EQUAL_FATAL(next(&f), 1);
    CU_ASSERT(f.x.crc_ok);
    CU_ASSERT_EQUAL_FATAL(next(&f), 1);
    CU_ASSERT(!f.x.crc_ok);
    CU_ASSERT_NOT_EQUAL(f.x.crc, f.x.crc_actual);
    buf_destroy(&f.b);
}

/* Each cut is copied to a buffer of exactly its length, so that a read
 * past it would be a heap overflow under the sanitizer build. */
static void test_cut_at_every_length(void)
{
    struct fixture f;
    two_batches(&f);
    for (size_t len = 0; len <= f.b.len; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, f.b.data, len);
        rv_batches_init(&f.it, cut, len);
        int n = 0, rc;
        while ((rc = next(&f)) == 1)
            n++;
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(n, len == f.b.len ? 2 : len >= f.second ? 1 : 0);
        free(cut);
    }
    buf_destroy(&f.b);
}

static void test_not_batches(void)
{
    struct fixture f;
    two_batches(&f);
    f.b.data[16] = 7; /* magic */
    CU_ASSERT_EQUAL(next(&f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err, "magic 7"));
    f.b.data[16] = 2;
    buf_patch_i32(&f.b, 8, 10); /* a length below the header's */
    rv_batches_init(&f.it, f.b.data, f.b.len);
    CU_ASSERT_EQUAL(next(&f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err, "10 bytes long"));
    buf_patch_i32(&f.b, 8, -5);
    rv_batches_init(&f.it, f.b.data, f.b.len);
    CU_ASSERT_EQUAL(next(&f), -1);
    buf_destroy(&f.b);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"whole batches: last offsets and checksums", test_whole_batches},
        {"a damaged byte fails the checksum check", test_damaged_byte},
        {"a set cut at every length reads its whole batches only", test_cut_at_every_length},
        {"bad magic and short lengths are refused", test_not_batches},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"replica_verify_batch", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_replica_verify_batch", suites);
}
