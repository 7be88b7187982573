/*
 * Magic 0/1 message sets and record batches (broker/log/log_convert.h): an
 * up-converted set is a valid batch with the messages' keys, values and
 * timestamps, and down-converting it gives back the very bytes that went in;
 * compressed wrappers of each codec give the same records as plain
 * messages; bad sets are refused with the error a client sees; the
 * down-conversion honours its start offset and byte limit, and skips control
 * batches.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/log/log_batch.h"
#include "broker/log/log_convert.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/compress.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testcompress.h"
#include "tests/unit/testutil.h"

static const struct log_batch_limits lim = {1048588, 1700000000000LL, INT64_MAX, false, false, 0};

/* Appends one magic 0/1 message (offset, attr, ts for magic 1); key or value
 * NULL is null. */
static void put_msg(struct buf *b, int magic, int64_t offset, int attr, int64_t ts,
                    const char *key, const uint8_t *val, int32_t vlen)
{
    buf_put_i64(b, offset);
    size_t size_at = buf_put_i32(b, 0);
    size_t crc_at = buf_put_i32(b, 0);
    buf_put_i8(b, (int8_t)magic);
    buf_put_i8(b, (int8_t)attr);
    if (magic)
        buf_put_i64(b, ts);
    buf_put_i32(b, key ? (int32_t)strlen(key) : -1);
    if (key)
        buf_append(b, key, strlen(key));
    buf_put_i32(b, val ? vlen : -1);
    if (val && vlen)
        buf_append(b, val, (size_t)vlen);
    buf_patch_i32(b, size_at, (int32_t)(b->len - crc_at));
    uLong c = crc32(0L, b->data + crc_at + 4, (uInt)(b->len - crc_at - 4));
    buf_patch_i32(b, crc_at, (int32_t)(uint32_t)c);
}

/* A set of n plain messages with offsets 0..n-1. */
static void plain_set(struct buf *b, int magic, int n)
{
    buf_init(b);
    for (int i = 0; i < n; i++) {
        char key[16], val[64];
        snprintf(key, sizeof(key), "k%d", i);
        int vlen = snprintf(val, sizeof(val), "value %d %.*s", i, i % 20, "xxxxxxxxxxxxxxxxxxxx");
        put_msg(b, magic, i, 0, 1700000000000LL + i * 7, i % 3 ? key : NULL,
                i % 5 ? (const uint8_t *)val : NULL, vlen);
    }
}

static int up(const struct buf *in, struct buf *out, int32_t *n)
{
    uint64_t left = 1 << 20;
    char why[200] = "";
    buf_init(out);
    int rc = log_convert_up(in->data, in->len, &left, out, n, why, sizeof(why));
    if (rc && rc != GR_E_CORRUPT && rc != GR_E_BAD_CODEC)
        fprintf(stderr, "up: %s\n", why);
    return rc;
}

static void test_round_trip(void)
{
    for (int magic = 0; magic <= 1; magic++) {
        struct buf set, batch, back;
        int32_t n = 0;
        plain_set(&set, magic, 25);
        CU_ASSERT_EQUAL_FATAL(up(&set, &batch, &n), 0);
        CU_ASSERT_EQUAL(n, 25);
        struct log_batch_hdr h;
        char why[200] = "";
        CU_ASSERT_EQUAL(log_batch_check(batch.data, batch.len, &h, why, sizeof(why)), 0);
        CU_ASSERT_EQUAL(h.record_count, 25);
        CU_ASSERT_EQUAL(h.last_offset_delta, 24);
        CU_ASSERT_EQUAL(h.producer_id, -1);
        CU_ASSERT_EQUAL(h.max_timestamp, magic ? 1700000000000LL + 24 * 7 : -1);
        CU_ASSERT_EQUAL((size_t)log_batch_size(&h), batch.len);
        /* Down to the same magic: the bytes that went in. */
        int64_t next = -5;
        buf_init(&back);
        CU_ASSERT_EQUAL(log_convert_down(batch.data, batch.len, magic, 0, 1 << 20, 1 << 20,
                                         &back, &next, why, sizeof(why)),
                        0);
        CU_ASSERT_EQUAL(next, 25);
        CU_ASSERT_EQUAL(back.len, set.len);
        CU_ASSERT_TRUE(back.len == set.len && !memcmp(back.data, set.data, set.len));
        buf_destroy(&set);
        buf_destroy(&batch);
        buf_destroy(&back);
    }
}

static void test_down_to_magic0_drops_timestamps(void)
{
    struct buf set1, set0, batch, back;
    int32_t n;
    plain_set(&set1, 1, 10);
    plain_set(&set0, 0, 10);
    CU_ASSERT_EQUAL_FATAL(up(&set1, &batch, &n), 0);
    buf_init(&back);
    int64_t next;
    char why[200];
    CU_ASSERT_EQUAL(log_convert_down(batch.data, batch.len, 0, 0, 1 << 20, 1 << 20, &back, &next,
                                     why, sizeof(why)),
                    0);
    CU_ASSERT_TRUE(back.len == set0.len && !memcmp(back.data, set0.data, set0.len));
    buf_destroy(&set1);
    buf_destroy(&set0);
    buf_destroy(&batch);
    buf_destroy(&back);
}

static void test_wrappers_of_each_codec(void)
{
    int codecs[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, TESTCOMPRESS_XERIAL, COMPRESS_LZ4};
    for (int magic = 0; magic <= 1; magic++) {
        struct buf plain, want;
        int32_t n;
        plain_set(&plain, magic, 30);
        CU_ASSERT_EQUAL_FATAL(up(&plain, &want, &n), 0);
        for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
            struct buf z, set, got;
            buf_init(&z);
            testcompress_into(codecs[i], &z, plain.data, plain.len);
            buf_init(&set);
            int attr = codecs[i] == TESTCOMPRESS_XERIAL ? COMPRESS_SNAPPY : codecs[i];
            put_msg(&set, magic, 29, attr, 1700000000000LL, NULL, z.data, (int32_t)z.len);
            CU_ASSERT_EQUAL_FATAL(up(&set, &got, &n), 0);
            CU_ASSERT_EQUAL(n, 30);
            /* Stored with the producer's codec, a batch the leader accepts
             * (its records inflated and walked)... */
            struct log_batch_hdr h;
            size_t size;
            char why[200] = "";
            CU_ASSERT_EQUAL(log_batch_validate(got.data, got.len, &lim, &h, &size, why,
                                               sizeof(why)),
                            0);
            CU_ASSERT_EQUAL(h.attributes, attr);
            CU_ASSERT_EQUAL(h.record_count, 30);
            CU_ASSERT_TRUE(got.len < want.len); /* the values repeat: it compresses */
            /* ...whose records read back as the plain messages. */
            struct buf back;
            int64_t next;
            buf_init(&back);
            CU_ASSERT_EQUAL(log_convert_down(got.data, got.len, magic, 0, 1 << 20, 1 << 20, &back,
                                             &next, why, sizeof(why)),
                            0);
            CU_ASSERT_TRUE(back.len == plain.len && !memcmp(back.data, plain.data, plain.len));
            buf_destroy(&back);
            buf_destroy(&z);
            buf_destroy(&set);
            buf_destroy(&got);
        }
        buf_destroy(&plain);
        buf_destroy(&want);
    }
}

static void test_log_append_time_wrapper(void)
{
    struct buf inner, z, set, batch;
    int32_t n;
    buf_init(&inner);
    put_msg(&inner, 1, 0, 0, 5, "a", (const uint8_t *)"1", 1);
    put_msg(&inner, 1, 1, 0, 6, "b", (const uint8_t *)"2", 1);
    buf_init(&z);
    testcompress_into(COMPRESS_GZIP, &z, inner.data, inner.len);
    buf_init(&set);
    put_msg(&set, 1, 1, COMPRESS_GZIP | 0x08, 4242, NULL, z.data, (int32_t)z.len);
    CU_ASSERT_EQUAL_FATAL(up(&set, &batch, &n), 0);
    struct log_batch_hdr h;
    log_batch_parse(batch.data, &h);
    CU_ASSERT_EQUAL(h.base_timestamp, 4242);
    CU_ASSERT_EQUAL(h.max_timestamp, 4242);
    buf_destroy(&inner);
    buf_destroy(&z);
    buf_destroy(&set);
    buf_destroy(&batch);
}

static void test_bad_sets(void)
{
    struct buf good, b, out;
    int32_t n;
    plain_set(&good, 0, 3);

    /* A bad CRC in the last message: nothing converted. */
    buf_init(&b);
    buf_append(&b, good.data, good.len);
    b.data[b.len - 1] ^= 1;
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    CU_ASSERT_EQUAL(out.len, 0);
    buf_destroy(&out);

    /* Cut short, at every length. */
    for (size_t cut = 1; cut < good.len; cut += 3) {
        b.len = 0;
        buf_append(&b, good.data, good.len - cut);
        CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
        buf_destroy(&out);
    }

    /* Empty. */
    b.len = 0;
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* A key length past the message. */
    b.len = 0;
    put_msg(&b, 0, 0, 0, 0, "key", (const uint8_t *)"v", 1);
    be32_store(b.data + 12 + 6, 100);
    uLong c = crc32(0L, b.data + 16, (uInt)(b.len - 16));
    be32_store(b.data + 12, (uint32_t)c);
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* A truncated wrapper (its CRC right: the payload does not inflate). */
    struct buf z, z2;
    buf_init(&z);
    testcompress_into(COMPRESS_GZIP, &z, good.data, good.len);
    b.len = 0;
    put_msg(&b, 0, 0, COMPRESS_GZIP, 0, NULL, z.data, (int32_t)z.len - 5);
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* A wrapper inside a wrapper. */
    struct buf w;
    buf_init(&w);
    put_msg(&w, 0, 0, COMPRESS_GZIP, 0, NULL, z.data, (int32_t)z.len);
    buf_init(&z2);
    testcompress_into(COMPRESS_GZIP, &z2, w.data, w.len);
    b.len = 0;
    put_msg(&b, 0, 0, COMPRESS_GZIP, 0, NULL, z2.data, (int32_t)z2.len);
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* A magic 1 wrapper of magic 0 messages. */
    b.len = 0;
    put_msg(&b, 1, 0, COMPRESS_GZIP, 0, NULL, z.data, (int32_t)z.len);
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* A wrapper with no value. */
    b.len = 0;
    put_msg(&b, 0, 0, COMPRESS_GZIP, 0, NULL, NULL, 0);
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    /* zstd, and an unknown codec: refused as Kafka refuses them. */
    for (int codec = COMPRESS_ZSTD; codec <= 7; codec += 3) {
        b.len = 0;
        put_msg(&b, 1, 0, codec, 0, NULL, z.data, (int32_t)z.len);
        CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_BAD_CODEC);
        buf_destroy(&out);
    }

    /* Magic 2 in a message set. */
    b.len = 0;
    buf_append(&b, good.data, good.len);
    b.data[16] = 2;
    CU_ASSERT_EQUAL(up(&b, &out, &n), GR_E_CORRUPT);
    buf_destroy(&out);

    buf_destroy(&z);
    buf_destroy(&z2);
    buf_destroy(&w);
    buf_destroy(&b);
    buf_destroy(&good);
}

static void test_inflate_bound(void)
{
    static uint8_t zeros[1 << 20];
    struct buf inner, z, set, out;
    buf_init(&inner);
    put_msg(&inner, 0, 0, 0, 0, NULL, zeros, (int32_t)sizeof(zeros));
    buf_init(&z);
    testcompress_into(COMPRESS_GZIP, &z, inner.data, inner.len);
    buf_init(&set);
    put_msg(&set, 0, 0, COMPRESS_GZIP, 0, NULL, z.data, (int32_t)z.len);
    uint64_t left = 100000;
    int32_t n;
    char why[200];
    buf_init(&out);
    CU_ASSERT_EQUAL(log_convert_up(set.data, set.len, &left, &out, &n, why, sizeof(why)),
                    GR_E_POLICY);
    CU_ASSERT_TRUE(left < 100000); /* what was inflated is spent */
    buf_destroy(&out);
    left = 2 << 20;
    buf_init(&out);
    CU_ASSERT_EQUAL(log_convert_up(set.data, set.len, &left, &out, &n, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(left, (2 << 20) - inner.len);
    buf_destroy(&out);
    buf_destroy(&inner);
    buf_destroy(&z);
    buf_destroy(&set);
}

static void test_down_limits(void)
{
    struct buf set, batch, back;
    int32_t n;
    int64_t next;
    char why[200];
    plain_set(&set, 1, 10);
    CU_ASSERT_EQUAL_FATAL(up(&set, &batch, &n), 0);
    /* The batch as stored at base offset 100. */
    be64_store(batch.data, 100);
    /* From inside the batch. */
    buf_init(&back);
    CU_ASSERT_EQUAL(log_convert_down(batch.data, batch.len, 1, 104, 1 << 20, 1 << 20, &back,
                                     &next, why, sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(next, 110);
    CU_ASSERT_EQUAL(be64_load(back.data), 104);
    /* A limit of one byte: still the first message, whole, and no more. */
    back.len = 0;
    CU_ASSERT_EQUAL(log_convert_down(batch.data, batch.len, 0, 100, 1, 1 << 20, &back, &next, why,
                                     sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(next, 101);
    CU_ASSERT_EQUAL(back.len, 12 + be32_load(back.data + 8));
    /* A limit of two messages and a half. */
    size_t one = back.len;
    back.len = 0;
    CU_ASSERT_EQUAL(log_convert_down(batch.data, batch.len, 0, 100, 2 * one + one / 2, 1 << 20,
                                     &back, &next, why, sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(next, 102);
    /* A batch cut off at the end is left out; a control batch is skipped. */
    struct buf two;
    buf_init(&two);
    buf_append(&two, batch.data, batch.len);
    buf_append(&two, batch.data, batch.len);
    be64_store(two.data + batch.len, 110);
    back.len = 0;
    CU_ASSERT_EQUAL(log_convert_down(two.data, two.len - 1, 0, 0, 1 << 20, 1 << 20, &back, &next,
                                     why, sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(next, 110);
    be16_store(two.data + LOG_BATCH_OFF_ATTRIBUTES, LOG_BATCH_CONTROL);
    testbatch_fix_crc(two.data);
    back.len = 0;
    CU_ASSERT_EQUAL(log_convert_down(two.data, two.len, 0, 0, 1 << 20, 1 << 20, &back, &next, why,
                                     sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(next, 120);
    CU_ASSERT_EQUAL(be64_load(back.data), 110);
    buf_destroy(&two);
    buf_destroy(&set);
    buf_destroy(&batch);
    buf_destroy(&back);
}

static void test_down_compressed_batch(void)
{
    int codecs[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, COMPRESS_LZ4, COMPRESS_ZSTD};
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        struct buf b, back;
        int64_t next;
        char why[200];
        testcompress_batch(&b, codecs[i], 20, 33);
        buf_init(&back);
        CU_ASSERT_EQUAL(log_convert_down(b.data, b.len, 1, 0, 1 << 20, 1 << 20, &back, &next, why,
                                         sizeof(why)),
                        0);
        CU_ASSERT_EQUAL(next, 20);
        size_t pos = 0;
        int count = 0;
        while (pos + 12 <= back.len) {
            CU_ASSERT_EQUAL(be64_load(back.data + pos), count);
            pos += 12 + be32_load(back.data + pos + 8);
            count++;
        }
        CU_ASSERT_EQUAL(pos, back.len);
        CU_ASSERT_EQUAL(count, 20);
        /* Garbled payload: CORRUPT. */
        b.data[b.len - 3] ^= 0x55;
        back.len = 0;
        int rc = log_convert_down(b.data, b.len, 1, 0, 1 << 20, 1 << 20, &back, &next, why,
                                  sizeof(why));
        CU_ASSERT_TRUE(rc == GR_E_CORRUPT || rc == 0);
        buf_destroy(&b);
        buf_destroy(&back);
    }
}

/* Garbled input of every kind returns an error or a valid result, never
 * reads out of bounds (the ASan build runs this too). */
static void test_garbled_input(void)
{
    struct buf plain, z, set, batch;
    int32_t n;
    plain_set(&plain, 1, 8);
    buf_init(&z);
    testcompress_into(COMPRESS_GZIP, &z, plain.data, plain.len);
    buf_init(&set);
    buf_append(&set, plain.data, plain.len);
    put_msg(&set, 1, 8, COMPRESS_GZIP, 0, NULL, z.data, (int32_t)z.len);
    CU_ASSERT_EQUAL_FATAL(up(&set, &batch, &n), 0);
    uint64_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        struct buf in, out;
        buf_init(&in);
        const struct buf *src = i % 2 ? &set : &batch;
        buf_append(&in, src->data, src->len);
        for (int k = 0; k < 1 + i % 4; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            in.data[(seed >> 33) % in.len] ^= (uint8_t)(1u << ((seed >> 20) % 8));
        }
        size_t len = i % 7 ? in.len : in.len - (seed >> 40) % in.len;
        buf_init(&out);
        uint64_t left = 1 << 20;
        int64_t next;
        char why[200];
        int rc = i % 2 ? log_convert_up(in.data, len, &left, &out, &n, why, sizeof(why))
                       : log_convert_down(in.data, len, (int)(seed % 2), 0, 1 << 20, 1 << 20, &out,
                                          &next, why, sizeof(why));
        CU_ASSERT_TRUE(rc == 0 || rc == GR_E_CORRUPT || rc == GR_E_BAD_CODEC ||
                       rc == GR_E_POLICY);
        if (rc == 0 && i % 2) {
            struct log_batch_hdr h;
            CU_ASSERT_EQUAL(log_batch_check(out.data, out.len, &h, why, sizeof(why)), 0);
        }
        buf_destroy(&out);
        buf_destroy(&in);
    }
    buf_destroy(&plain);
    buf_destroy(&z);
    buf_destroy(&set);
    buf_destroy(&batch);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"up then down gives back the message set (magic 0 and 1)", test_round_trip},
        {"down to magic 0 drops the timestamps", test_down_to_magic0_drops_timestamps},
        {"wrappers of each codec keep it and read back as the messages", test_wrappers_of_each_codec},
        {"a LogAppendTime wrapper gives its timestamp", test_log_append_time_wrapper},
        {"bad sets are refused (CRC, cut short, nested, zstd...)", test_bad_sets},
        {"wrappers inflate within the budget", test_inflate_bound},
        {"down: start offset, byte limit, cut batch, control batch", test_down_limits},
        {"down: compressed batches of each codec", test_down_compressed_batch},
        {"garbled input is refused or converted, never misread", test_garbled_input},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {{"log_convert", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_log_convert", suites);
}
