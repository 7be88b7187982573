/*
 * Compressed batches on produce: each codec's payloads as clients write them
 * validate; a wrong inner record count, a truncated or garbled payload and a
 * "zip bomb" are refused with the error a client sees (CORRUPT_MESSAGE for
 * what does not inflate, INVALID_RECORD for records that do not match the
 * header); recovery never inflates.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_batch.h"
#include "broker/log/log_batch_inner.h"
#include "broker/log/log_verify.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/compress.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testcompress.h"
#include "tests/unit/testutil.h"

static const struct log_batch_limits lim = {1048588, 1700000000000LL, INT64_MAX, false, false, 0};
static const int codecs[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, COMPRESS_LZ4, COMPRESS_ZSTD};
#define XERIAL TESTCOMPRESS_XERIAL

static int validate(struct buf *b, char *why)
{
    struct log_batch_hdr h;
    size_t size;
    return log_batch_validate(b->data, b->len, &lim, &h, &size, why, 200);
}

static void set_count(struct buf *b, int32_t count)
{
    be32_store(b->data + LOG_BATCH_OFF_RECORD_COUNT, (uint32_t)count);
    be32_store(b->data + LOG_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(count - 1));
    testbatch_fix_crc(b->data);
}

static void test_each_codec_validates(void)
{
    int all[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, XERIAL, COMPRESS_LZ4, COMPRESS_ZSTD};
    char why[200] = "";
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        struct buf b;
        testcompress_batch(&b, all[i], 50, 300);
        int rc = validate(&b, why);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc)
            fprintf(stderr, "codec %d: %s\n", all[i], why);
        buf_destroy(&b);
    }
}

static void test_wrong_inner_count(void)
{
    char why[200];
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        struct buf b;
        testcompress_batch(&b, codecs[i], 10, 50);
        set_count(&b, 11); /* claims one more than there are */
        CU_ASSERT_EQUAL(validate(&b, why), GR_E_BAD_RECORD);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "end after 10 of 11"));
        set_count(&b, 9); /* one is left over */
        CU_ASSERT_EQUAL(validate(&b, why), GR_E_BAD_RECORD);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "more records follow"));
        buf_destroy(&b);
    }
}

static void test_truncated_and_garbled(void)
{
    char why[200];
    int all[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, XERIAL, COMPRESS_LZ4, COMPRESS_ZSTD};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        struct buf b;
        testcompress_batch(&b, all[i], 10, 50);
        /* The compressed stream cut short by 5 bytes. */
        b.len -= 5;
        be32_store(b.data + LOG_BATCH_OFF_LENGTH, (uint32_t)(b.len - LOG_BATCH_LOG_OVERHEAD));
        testbatch_fix_crc(b.data);
        CU_ASSERT_EQUAL(validate(&b, why), GR_E_CORRUPT);
        buf_destroy(&b);
        /* Its body overwritten (the CRC fixed, as an attacker would). */
        testcompress_batch(&b, all[i], 10, 50);
        /* Kept: gzip's and lz4's magic, zstd's frame header, snappy's
         * length (a garbled snappy literal is still snappy; a garbled tag
         * is not). */
        size_t keep = LOG_BATCH_HEADER_SIZE + (all[i] == XERIAL            ? 16 + 4 + 1
                                               : all[i] == COMPRESS_SNAPPY ? 2
                                                                           : 6);
        memset(b.data + keep, 0xff, b.len - keep);
        testbatch_fix_crc(b.data);
        int rc = validate(&b, why);
        CU_ASSERT_EQUAL(rc, GR_E_CORRUPT);
        if (rc != GR_E_CORRUPT)
            fprintf(stderr, "garbled codec %d: %d %s\n", all[i], rc, why);
        buf_destroy(&b);
    }
}

/* One record whose value is vsize zero bytes: a few KB compressed. */
static void bomb(struct buf *b, int codec, int32_t vsize)
{
    struct buf r, rec;
    buf_init(&r);
    buf_init(&rec);
    buf_put_i8(&rec, 0);      /* attributes */
    buf_put_varlong(&rec, 0); /* timestamp delta */
    buf_put_varint(&rec, 0);  /* offset delta */
    buf_put_varint(&rec, -1); /* null key */
    buf_put_varint(&rec, vsize);
    uint8_t *v = buf_grow(&rec, (size_t)vsize);
    memset(v, 0, (size_t)vsize);
    buf_put_varint(&rec, 0); /* headers */
    buf_put_varint(&r, (int32_t)rec.len);
    buf_append(&r, rec.data, rec.len);
    testcompress_wrap(b, codec, r.data, r.len, 1);
    buf_destroy(&r);
    buf_destroy(&rec);
}

/* Found by fuzz_batch: with message.timestamp.difference.max.ms set, a
 * record timestamp near INT64_MIN made "now - timestamp" overflow (undefined;
 * in the gcc build it wrapped negative and the batch was accepted), and so
 * did BaseTimestamp + TimestampDelta and a compressed batch's MaxTimestamp.
 * Every such batch is now BAD_TIMESTAMP. */
static void test_extreme_timestamps_refused(void)
{
    static const struct log_batch_limits hour = {
        .max_bytes = 1048588, .now_ms = 1700000000000LL, .max_ts_diff_ms = 3600000};
    struct log_batch_hdr h;
    size_t size;
    char why[200];
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 2, .value_size = 10, .timestamp = INT64_MIN + 5};
    testbatch_build(&b, &o);
    CU_ASSERT_EQUAL(log_batch_validate(b.data, b.len, &hour, &h, &size, why, sizeof(why)),
                    GR_E_BAD_TIMESTAMP);
    buf_destroy(&b);
    /* Compressed: the header's MaxTimestamp, then a record's timestamp. */
    for (int k = 0; k < 2; k++) {
        testcompress_batch(&b, COMPRESS_ZSTD, 3, 10);
        be64_store(b.data + (k ? LOG_BATCH_OFF_BASE_TIMESTAMP : LOG_BATCH_OFF_MAX_TIMESTAMP),
                   (uint64_t)(INT64_MIN + 5));
        testbatch_fix_crc(b.data);
        CU_ASSERT_EQUAL(log_batch_validate(b.data, b.len, &hour, &h, &size, why, sizeof(why)),
                        GR_E_BAD_TIMESTAMP);
        buf_destroy(&b);
    }
}

static void test_zip_bomb_stops_at_the_bound(void)
{
    char why[200];
    int64_t bound = log_batch_inflate_max(lim.max_bytes);
    CU_ASSERT_EQUAL(bound, LOG_BATCH_INFLATE_FACTOR * (int64_t)lim.max_bytes);
    /* snappy cannot shrink data more than about 21 times, so its bomb is a
     * block that claims more than the bound: refused before allocating. */
    static const uint8_t claim[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00};
    struct buf sb;
    struct testbatch_opts o = {.count = 1, .timestamp = 1700000000000LL};
    buf_init(&sb);
    testbatch_build(&sb, &o);
    sb.len = LOG_BATCH_HEADER_SIZE;
    buf_append(&sb, claim, sizeof(claim));
    be32_store(sb.data + LOG_BATCH_OFF_LENGTH, (uint32_t)(sb.len - LOG_BATCH_LOG_OVERHEAD));
    be16_store(sb.data + LOG_BATCH_OFF_ATTRIBUTES, COMPRESS_SNAPPY);
    testbatch_fix_crc(sb.data);
    CU_ASSERT_EQUAL(validate(&sb, why), GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "more than"));
    buf_destroy(&sb);

    int real[] = {COMPRESS_GZIP, COMPRESS_LZ4, COMPRESS_ZSTD};
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
        struct buf b;
        bomb(&b, real[i], (int32_t)bound + 1024);
        CU_ASSERT_TRUE(b.len < (size_t)lim.max_bytes); /* passes the size limit */
        CU_ASSERT_EQUAL(validate(&b, why), GR_E_CORRUPT);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "more than"));
        buf_destroy(&b);
        /* Just under the bound it is a valid (if silly) batch. */
        bomb(&b, real[i], (int32_t)bound - 64);
        CU_ASSERT_EQUAL(validate(&b, why), 0);
        buf_destroy(&b);
    }
}

/* Large appends are verified on the verifier thread: it inflates too. */
static void test_on_the_verifier_thread(void)
{
    struct log_verifier *v = log_verifier_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    struct buf b;
    char why[256];
    int64_t k;
    testcompress_batch(&b, COMPRESS_ZSTD, 2000, 100); /* random values: barely shrinks */
    CU_ASSERT_TRUE_FATAL(b.len >= LOG_VERIFY_PARALLEL_MIN);
    struct log_batch_hdr h;
    size_t size;
    CU_ASSERT_EQUAL_FATAL(log_batch_precheck(b.data, b.len, &lim, &h, &size, why, sizeof(why)), 0);
    log_verifier_start(v, b.data, &h, 1, &lim);
    CU_ASSERT_EQUAL(log_verifier_wait(v, &k, why, sizeof(why)), 0);
    set_count(&b, 2001);
    CU_ASSERT_EQUAL_FATAL(log_batch_precheck(b.data, b.len, &lim, &h, &size, why, sizeof(why)), 0);
    log_verifier_start(v, b.data, &h, 1, &lim);
    CU_ASSERT_EQUAL(log_verifier_wait(v, &k, why, sizeof(why)), GR_E_BAD_RECORD);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "end after 2000 of 2001"));
    buf_destroy(&b);
    log_verifier_free(v);
}

/* A Produce request's batches share one inflation budget: a legal batch
 * that would pass what the request has left is POLICY_VIOLATION, on the
 * loop and on the verifier thread, and the work done is charged. */
static void test_request_budget(void)
{
    char why[256];
    struct log_batch_hdr h[2];
    size_t size;
    int64_t k;
    struct buf b, two;
    bomb(&b, COMPRESS_ZSTD, 2 << 20); /* a legal batch: 2 MiB of zeros */
    struct log_batch_limits rl = lim;
    rl.request_bound = true;
    rl.inflate_left = 3 << 20;
    CU_ASSERT_EQUAL_FATAL(log_batch_precheck(b.data, b.len, &rl, &h[0], &size, why, sizeof(why)),
                          0);
    CU_ASSERT_EQUAL(log_batch_verify(b.data, &h[0], &rl, &k, why, sizeof(why)), 0);
    CU_ASSERT_TRUE(k > 2 << 20 && k < (2 << 20) + 64);
    rl.inflate_left -= k;
    /* The second copy stops at the request's bound, not the batch's. */
    CU_ASSERT_EQUAL(log_batch_verify(b.data, &h[0], &rl, &k, why, sizeof(why)), GR_E_POLICY);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "gregor.produce.inflate.max.bytes"));
    CU_ASSERT_EQUAL(k, rl.inflate_left + 1); /* charged as over */
    /* Spent: refused without inflating anything. */
    rl.inflate_left = 0;
    CU_ASSERT_EQUAL(log_batch_verify(b.data, &h[0], &rl, &k, why, sizeof(why)), GR_E_POLICY);
    CU_ASSERT_EQUAL(k, 0);
    /* Without a request bound the batch is fine however often it comes. */
    rl.request_bound = false;
    CU_ASSERT_EQUAL(log_batch_verify(b.data, &h[0], &rl, &k, why, sizeof(why)), 0);

    /* On the verifier thread: two copies back to back share the budget. */
    buf_init(&two);
    buf_append(&two, b.data, b.len);
    buf_append(&two, b.data, b.len);
    h[1] = h[0];
    rl.request_bound = true;
    rl.inflate_left = 3 << 20;
    struct log_verifier *v = log_verifier_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    log_verifier_start(v, two.data, h, 2, &rl);
    CU_ASSERT_EQUAL(log_verifier_wait(v, &k, why, sizeof(why)), GR_E_POLICY);
    CU_ASSERT_TRUE(k > 3 << 20);
    rl.inflate_left = 5 << 20;
    log_verifier_start(v, two.data, h, 2, &rl);
    CU_ASSERT_EQUAL(log_verifier_wait(v, &k, why, sizeof(why)), 0);
    CU_ASSERT_TRUE(k > 4 << 20);
    log_verifier_free(v);
    buf_destroy(&two);
    buf_destroy(&b);
}

/* Recovery trusts the CRC and never inflates (Kafka's recovery does not). */
static void test_recovery_does_not_inflate(void)
{
    struct buf b;
    char why[200];
    struct log_batch_hdr h;
    testcompress_batch(&b, COMPRESS_ZSTD, 5, 10);
    set_count(&b, 6);
    CU_ASSERT_EQUAL(log_batch_check(b.data, b.len, &h, why, sizeof(why)), 0);
    buf_destroy(&b);
}

/* The reader on its own: gzip members one after another, raw bytes after a
 * zstd frame, and the sticky error. */
static void test_reader(void)
{
    const char text[] = "hello, hello, hello";
    struct buf g;
    buf_init(&g);
    testcompress_into(COMPRESS_GZIP, &g, (const uint8_t *)text, 7);
    testcompress_into(COMPRESS_GZIP, &g, (const uint8_t *)text + 7, sizeof(text) - 7);
    struct compress_reader *r;
    CU_ASSERT_EQUAL_FATAL(compress_reader_open(COMPRESS_GZIP, g.data, g.len, 1000, &r), 0);
    uint8_t out[64];
    char why[160];
    size_t got = 0;
    ssize_t k;
    while ((k = compress_reader_read(r, out + got, 3, why, sizeof(why))) > 0)
        got += (size_t)k;
    CU_ASSERT_EQUAL(k, 0);
    CU_ASSERT_EQUAL(got, sizeof(text));
    CU_ASSERT_EQUAL(memcmp(out, text, sizeof(text)), 0);
    compress_reader_free(r);

    /* The bound: one byte short of the text. */
    CU_ASSERT_EQUAL_FATAL(compress_reader_open(COMPRESS_GZIP, g.data, g.len, sizeof(text) - 1, &r),
                          0);
    got = 0;
    while ((k = compress_reader_read(r, out + got, 64 - got, why, sizeof(why))) > 0)
        got += (size_t)k;
    CU_ASSERT_EQUAL(k, GR_E_CORRUPT);
    CU_ASSERT_EQUAL(compress_reader_read(r, out, 1, why, sizeof(why)), GR_E_CORRUPT);
    CU_ASSERT_TRUE(compress_reader_produced(r) <= sizeof(text) - 1);
    compress_reader_free(r);
    buf_destroy(&g);

    struct buf z;
    buf_init(&z);
    testcompress_into(COMPRESS_ZSTD, &z, (const uint8_t *)text, sizeof(text));
    buf_put_i32(&z, 0x01020304);
    CU_ASSERT_EQUAL_FATAL(compress_reader_open(COMPRESS_ZSTD, z.data, z.len, 1000, &r), 0);
    while ((k = compress_reader_read(r, out, sizeof(out), why, sizeof(why))) > 0)
        ;
    CU_ASSERT_EQUAL(k, GR_E_CORRUPT);
    compress_reader_free(r);
    buf_destroy(&z);

    CU_ASSERT_EQUAL(compress_reader_open(7, NULL, 0, 10, &r), GR_E_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(compress_codec_name(COMPRESS_LZ4), "lz4");
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"each codec's payload validates (gzip, snappy raw and xerial, lz4, zstd)",
         test_each_codec_validates},
        {"a wrong inner record count is INVALID_RECORD", test_wrong_inner_count},
        {"a truncated or garbled payload is CORRUPT_MESSAGE", test_truncated_and_garbled},
        {"timestamps near INT64_MIN are refused, not overflowed", test_extreme_timestamps_refused},
        {"a zip bomb stops at the inflate bound", test_zip_bomb_stops_at_the_bound},
        {"recovery does not inflate", test_recovery_does_not_inflate},
        {"the verifier thread inflates large batches", test_on_the_verifier_thread},
        {"a request's batches share one inflation budget (POLICY_VIOLATION)", test_request_budget},
        {"the stream reader: gzip members, trailing bytes, bound, sticky error", test_reader},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {{"compress", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_compress", suites);
}
