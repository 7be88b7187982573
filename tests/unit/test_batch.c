/*
 * Record batch validation: what a leader accepts, what it refuses and with
 * which error, and that offset assignment keeps the CRC valid.
 */
#include <string.h>

#include "broker/log/log_batch.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static const struct log_batch_limits lim = {1048588, 1700000000000LL, INT64_MAX, false, false, 0};

static void build(struct buf *b, int count, size_t value_size)
{
    struct testbatch_opts o = {.count = count, .value_size = value_size, .key_size = 3,
                               .timestamp = 1700000000000LL, .ts_step = 1, .seed = 7};
    buf_init(b);
    testbatch_build(b, &o);
}

static int validate(struct buf *b, const struct log_batch_limits *l, char *why)
{
    struct log_batch_hdr h;
    size_t size;
    return log_batch_validate(b->data, b->len, l, &h, &size, why, 200);
}

static void test_valid_batch(void)
{
    struct buf b;
    char why[200];
    struct log_batch_hdr h;
    size_t size;
    build(&b, 10, 100);
    CU_ASSERT_EQUAL_FATAL(log_batch_validate(b.data, b.len, &lim, &h, &size, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(size, b.len);
    CU_ASSERT_EQUAL(h.record_count, 10);
    CU_ASSERT_EQUAL(h.last_offset_delta, 9);
    CU_ASSERT_EQUAL(h.max_timestamp, 1700000000009LL);
    CU_ASSERT_EQUAL(h.magic, 2);
    buf_destroy(&b);
}

static void test_crc_mismatch_is_corrupt(void)
{
    struct buf b;
    char why[200];
    build(&b, 3, 20);
    b.data[b.len - 5] ^= 0x40;
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "CRC"));
    buf_destroy(&b);
}

static void test_too_large(void)
{
    struct buf b;
    char why[200];
    build(&b, 5, 1000);
    struct log_batch_limits small = lim;
    small.max_bytes = 1000;
    CU_ASSERT_EQUAL(validate(&b, &small, why), GR_E_TOO_LARGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "max.message.bytes"));
    buf_destroy(&b);
}

static void test_truncated_and_bad_length(void)
{
    struct buf b;
    char why[200];
    build(&b, 3, 20);
    struct log_batch_hdr h;
    size_t size;
    CU_ASSERT_EQUAL(log_batch_validate(b.data, b.len - 1, &lim, &h, &size, why, sizeof(why)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(log_batch_validate(b.data, 30, &lim, &h, &size, why, sizeof(why)), GR_E_CORRUPT);
    be32_store(b.data + LOG_BATCH_OFF_LENGTH, 10);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_CORRUPT);
    be32_store(b.data + LOG_BATCH_OFF_LENGTH, (uint32_t)-5);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_CORRUPT);
    buf_destroy(&b);
}

static void test_count_mismatch_is_invalid(void)
{
    struct buf b;
    char why[200];
    build(&b, 4, 10);
    be32_store(b.data + LOG_BATCH_OFF_LAST_OFFSET_DELTA, 2);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "count"));
    /* Count agrees with the delta but not with the records inside. */
    be32_store(b.data + LOG_BATCH_OFF_LAST_OFFSET_DELTA, 4);
    be32_store(b.data + LOG_BATCH_OFF_RECORD_COUNT, 5);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    /* Zero records. */
    be32_store(b.data + LOG_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)-1);
    be32_store(b.data + LOG_BATCH_OFF_RECORD_COUNT, 0);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    buf_destroy(&b);
}

static void test_control_and_magic(void)
{
    struct buf b;
    char why[200];
    build(&b, 1, 10);
    be16_store(b.data + LOG_BATCH_OFF_ATTRIBUTES, LOG_BATCH_CONTROL);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    buf_destroy(&b);
    build(&b, 1, 10);
    b.data[LOG_BATCH_OFF_MAGIC] = 1;
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "magic"));
    buf_destroy(&b);
}

static void test_record_framing(void)
{
    struct buf b;
    char why[200];
    build(&b, 3, 10);
    /* First record: length varint at 61, attributes, ts delta 0, offset delta
     * 0 at 64. Make the second record claim offset delta 5. */
    size_t second = LOG_BATCH_HEADER_SIZE + 1 + b.data[LOG_BATCH_HEADER_SIZE] / 2;
    CU_ASSERT_EQUAL_FATAL(b.data[second + 3], 2); /* zig-zag 1 */
    b.data[second + 3] = 10;
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "offset delta"));
    buf_destroy(&b);
    /* A value length running past its record. */
    build(&b, 1, 10);
    b.data[b.len - 12] = 100; /* value length varint (zig-zag 50) */
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    buf_destroy(&b);
}

/* Recovery (log_batch_check) trusts a compressed payload's CRC, as Kafka's
 * does; a leader inflates it (test_compress.c has the codecs). */
static void test_compressed_inflated_only_by_leader(void)
{
    struct buf b;
    char why[200];
    struct testbatch_opts o = {.count = 5, .value_size = 10, .timestamp = 1, .attributes = 2};
    buf_init(&b);
    testbatch_build(&b, &o);
    memset(b.data + LOG_BATCH_HEADER_SIZE, 0xee, b.len - LOG_BATCH_HEADER_SIZE);
    testbatch_fix_crc(b.data);
    struct log_batch_hdr h;
    CU_ASSERT_EQUAL(log_batch_check(b.data, b.len, &h, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_CORRUPT);
    be16_store(b.data + LOG_BATCH_OFF_ATTRIBUTES, 7);
    testbatch_fix_crc(b.data);
    CU_ASSERT_EQUAL(validate(&b, &lim, why), GR_E_BAD_RECORD);
    buf_destroy(&b);
}

static void test_timestamp_skew(void)
{
    struct buf b;
    char why[200];
    build(&b, 3, 10);
    struct log_batch_limits l = lim;
    l.max_ts_diff_ms = 1000;
    l.now_ms = 1700000000000LL + 500;
    CU_ASSERT_EQUAL(validate(&b, &l, why), 0);
    l.now_ms = 1700000000000LL + 5000;
    CU_ASSERT_EQUAL(validate(&b, &l, why), GR_E_BAD_TIMESTAMP);
    buf_destroy(&b);
    /* NO_TIMESTAMP (-1, what an up-converted magic 0 message has) is not
     * checked, as in Kafka; -2 is. */
    buf_init(&b);
    testbatch_build(&b, &(struct testbatch_opts){.count = 3, .value_size = 10, .timestamp = -1});
    CU_ASSERT_EQUAL(validate(&b, &l, why), 0);
    buf_destroy(&b);
    buf_init(&b);
    testbatch_build(&b, &(struct testbatch_opts){.count = 1, .value_size = 10, .timestamp = -2});
    CU_ASSERT_EQUAL(validate(&b, &l, why), GR_E_BAD_TIMESTAMP);
    buf_destroy(&b);
}

static void test_assign_keeps_crc(void)
{
    struct buf b;
    char why[200];
    build(&b, 3, 10);
    log_batch_assign(b.data, 123456789, 7);
    struct log_batch_hdr h;
    CU_ASSERT_EQUAL(log_batch_check(b.data, b.len, &h, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(h.base_offset, 123456789);
    CU_ASSERT_EQUAL(h.leader_epoch, 7);
    log_batch_set_log_append_time(b.data, 42);
    CU_ASSERT_EQUAL(log_batch_check(b.data, b.len, &h, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(h.max_timestamp, 42);
    CU_ASSERT_TRUE(h.attributes & LOG_BATCH_TIMESTAMP_LOG_APPEND);
    buf_destroy(&b);
}

static void test_find_timestamp(void)
{
    struct buf b;
    struct testbatch_opts o = {.count = 10, .value_size = 5, .timestamp = 1000, .ts_step = 10,
                               .base_offset = 50};
    buf_init(&b);
    testbatch_build(&b, &o);
    int64_t off, ts;
    CU_ASSERT_EQUAL(log_batch_find_timestamp(b.data, b.len, 1035, 0, &off, &ts), 1);
    CU_ASSERT_EQUAL(off, 54);
    CU_ASSERT_EQUAL(ts, 1040);
    CU_ASSERT_EQUAL(log_batch_find_timestamp(b.data, b.len, 0, 57, &off, &ts), 1);
    CU_ASSERT_EQUAL(off, 57);
    CU_ASSERT_EQUAL(log_batch_find_timestamp(b.data, b.len, 1091, 0, &off, &ts), 0);
    buf_destroy(&b);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"a well-formed batch passes", test_valid_batch},
        {"a CRC mismatch is CORRUPT", test_crc_mismatch_is_corrupt},
        {"a batch over max.message.bytes is TOO_LARGE", test_too_large},
        {"short input and impossible lengths are CORRUPT", test_truncated_and_bad_length},
        {"record count must match LastOffsetDelta and the records", test_count_mismatch_is_invalid},
        {"control batches and magic != 2 are refused", test_control_and_magic},
        {"record framing and offset deltas are checked", test_record_framing},
        {"compressed payloads: recovery trusts the CRC, a leader inflates",
         test_compressed_inflated_only_by_leader},
        {"timestamps beyond the allowed skew are refused", test_timestamp_skew},
        {"offset assignment and LogAppendTime keep the CRC valid", test_assign_keeps_crc},
        {"finding a timestamp inside a batch", test_find_timestamp},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"batch", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_batch", suites);
}
