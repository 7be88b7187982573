/*
 * The protocol read cursor, the request header, and the API/error tables.
 *
 * Every malformed case reads from an exact-size heap copy, so a read one byte
 * past the end would be reported by AddressSanitizer in the ASan build.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/err.h"
#include "tests/unit/proto_build.h"
#include "tests/unit/testutil.h"

/* A reader over an exact-size heap copy of n bytes; free with done(). */
static uint8_t *copy;

static struct proto_reader over(const void *p, size_t n)
{
    free(copy);
    copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    struct proto_reader r;
    proto_reader_init(&r, copy, n);
    return r;
}

static void done(void)
{
    free(copy);
    copy = NULL;
}

static void test_fixed_ints_are_big_endian(void)
{
    static const uint8_t in[] = {0xfe, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 0x01, 0x02,
                                 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x02};
    struct proto_reader r = over(in, sizeof(in));
    CU_ASSERT_EQUAL(proto_reader_i8(&r), -2);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), 0x0102);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), -2);
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 0x0102030405060708LL);
    CU_ASSERT_FALSE(proto_reader_bool(&r));
    CU_ASSERT_TRUE(proto_reader_bool(&r)); /* any non-zero byte is true */
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r), "");
    done();
}

static void test_short_fixed_ints_fail_and_stick(void)
{
    static const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7};
    /* Each width, one byte short. */
    struct proto_reader r = over(in, 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_status(&r), GR_E_CORRUPT);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r), "at offset 0: int16 needs 2 bytes, 1 remain");
    r = over(in, 3);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over(in, 7);
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over(in, 0);
    CU_ASSERT_EQUAL(proto_reader_i8(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* After a failure even reads that would fit return zero, and the first
     * reason is kept. */
    r = over(in, 7);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), 0x0102);
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i8(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r), "at offset 2: int64 needs 8 bytes, 5 remain");
    done();
}

static void test_null_frame_reads_as_empty(void)
{
    struct proto_reader r;
    proto_reader_init(&r, NULL, 100);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i8(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
}

static void test_varints(void)
{
    /* 300 as an unsigned varint; -1 and 150 zig-zag; INT64_MIN as a varlong. */
    static const uint8_t in[] = {0xac, 0x02, 0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f};
    struct proto_reader r = over(in, sizeof(in));
    CU_ASSERT_EQUAL(proto_reader_uvarint(&r), 300);
    CU_ASSERT_EQUAL(proto_reader_varint(&r), -1);
    CU_ASSERT_EQUAL(proto_reader_varint(&r), 150);
    CU_ASSERT_EQUAL(proto_reader_varlong(&r), INT64_MIN);
    CU_ASSERT_EQUAL(proto_reader_uvarint(&r), UINT32_MAX);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    done();
}

static void test_bad_varints_fail(void)
{
    static const uint8_t truncated[] = {0x80, 0x80};
    struct proto_reader r = over(truncated, sizeof(truncated));
    CU_ASSERT_EQUAL(proto_reader_varint(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_status(&r), GR_E_CORRUPT);

    /* Six bytes for a 32-bit varint. */
    static const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    r = over(too_long, sizeof(too_long));
    CU_ASSERT_EQUAL(proto_reader_uvarint(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* Five bytes, but the value needs 35 bits. */
    static const uint8_t too_big[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    r = over(too_big, sizeof(too_big));
    CU_ASSERT_EQUAL(proto_reader_uvarint(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* Eleven bytes for a varlong. */
    static const uint8_t long_varlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x80, 0x01};
    r = over(long_varlong, sizeof(long_varlong));
    CU_ASSERT_EQUAL(proto_reader_varlong(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    r = over(truncated, 0);
    CU_ASSERT_EQUAL(proto_reader_varlong(&r), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    done();
}

static void test_strings_are_views(void)
{
    struct buf b;
    buf_init(&b);
    pb_str(&b, "topic");
    pb_str(&b, "");
    pb_str(&b, NULL);
    struct proto_reader r = over(b.data, b.len);
    struct proto_str s = proto_reader_string(&r);
    CU_ASSERT_EQUAL(s.len, 5);
    CU_ASSERT_PTR_EQUAL(s.ptr, (const char *)copy + 2); /* a view, not a copy */
    CU_ASSERT_TRUE(proto_str_eq(s, "topic"));
    s = proto_reader_string(&r);
    CU_ASSERT_FALSE(proto_str_is_null(s));
    CU_ASSERT_EQUAL(s.len, 0);
    s = proto_reader_nullable_string(&r);
    CU_ASSERT_TRUE(proto_str_is_null(s));
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    buf_destroy(&b);
    done();
}

static void test_bad_strings_fail(void)
{
    /* Length -1 where the string is not nullable. */
    static const uint8_t null_str[] = {0xff, 0xff, 'x'};
    struct proto_reader r = over(null_str, sizeof(null_str));
    struct proto_str s = proto_reader_string(&r);
    CU_ASSERT_EQUAL(proto_reader_status(&r), GR_E_CORRUPT);
    CU_ASSERT_FALSE(proto_str_is_null(s)); /* empty, not a null to misread */
    CU_ASSERT_EQUAL(s.len, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(proto_reader_reason(&r), "not nullable"));

    /* -2 is never a valid length, even where null is allowed. */
    static const uint8_t minus2[] = {0xff, 0xfe, 'x', 'y'};
    r = over(minus2, sizeof(minus2));
    proto_reader_nullable_string(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    CU_ASSERT_PTR_NOT_NULL(strstr(proto_reader_reason(&r), "negative"));

    /* Longer than what remains. */
    uint8_t longer[14] = {0x13, 0x88}; /* 5000 */
    r = over(longer, sizeof(longer));
    s = proto_reader_string(&r);
    CU_ASSERT_EQUAL(s.len, 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r),
                           "at offset 2: string length 5000 exceeds the 12 bytes remaining");

    /* One byte short, and a length prefix that is itself cut. */
    static const uint8_t short_by_one[] = {0x00, 0x03, 'a', 'b'};
    r = over(short_by_one, sizeof(short_by_one));
    proto_reader_string(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over(short_by_one, 1);
    proto_reader_nullable_string(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    done();
}

static void test_bytes(void)
{
    struct buf b;
    buf_init(&b);
    pb_bytes(&b, "\x01\x02\x03", 3);
    pb_bytes(&b, NULL, 0);
    pb_bytes(&b, "", 0);
    struct proto_reader r = over(b.data, b.len);
    struct proto_bytes v = proto_reader_bytes(&r);
    CU_ASSERT_EQUAL(v.len, 3);
    CU_ASSERT_PTR_EQUAL(v.ptr, copy + 4);
    v = proto_reader_nullable_bytes(&r);
    CU_ASSERT_PTR_NULL(v.ptr);
    v = proto_reader_bytes(&r);
    CU_ASSERT_PTR_NOT_NULL(v.ptr);
    CU_ASSERT_EQUAL(v.len, 0);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    buf_destroy(&b);

    static const uint8_t null_bytes[] = {0xff, 0xff, 0xff, 0xff};
    r = over(null_bytes, sizeof(null_bytes));
    proto_reader_bytes(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    static const uint8_t negative[] = {0x80, 0x00, 0x00, 0x00};
    r = over(negative, sizeof(negative));
    proto_reader_nullable_bytes(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0x00};
    r = over(huge, sizeof(huge));
    v = proto_reader_nullable_bytes(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    CU_ASSERT_EQUAL(v.len, 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r),
                           "at offset 4: bytes length 2147483647 exceeds the 1 bytes remaining");
    done();
}

static void test_compact_strings_and_bytes(void)
{
    /* "ab" (length 2 stored as 3), null (0), empty (1), bytes {9}. */
    static const uint8_t in[] = {0x03, 'a', 'b', 0x00, 0x01, 0x02, 0x09};
    struct proto_reader r = over(in, sizeof(in));
    CU_ASSERT_TRUE(proto_str_eq(proto_reader_compact_string(&r), "ab"));
    CU_ASSERT_TRUE(proto_str_is_null(proto_reader_compact_nullable_string(&r)));
    struct proto_str s = proto_reader_compact_string(&r);
    CU_ASSERT_FALSE(proto_str_is_null(s));
    CU_ASSERT_EQUAL(s.len, 0);
    struct proto_bytes v = proto_reader_compact_bytes(&r);
    CU_ASSERT_EQUAL(v.len, 1);
    CU_ASSERT_EQUAL(v.ptr[0], 9);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);

    /* Null where not nullable. */
    r = over("\x00", 1);
    proto_reader_compact_string(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over("\x00", 1);
    CU_ASSERT_PTR_NULL(proto_reader_compact_nullable_bytes(&r).ptr);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    r = over("\x00", 1);
    proto_reader_compact_bytes(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* Length beyond the end, and the largest length a varint can state. */
    r = over("\x05zz", 3);
    proto_reader_compact_nullable_string(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over("\xff\xff\xff\xff\x0f", 5);
    proto_reader_compact_bytes(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    done();
}

static void test_tagged_fields(void)
{
    /* Two fields: tag 0 with 2 bytes, tag 5 with 0 bytes; then an int8. */
    static const uint8_t in[] = {0x02, 0x00, 0x02, 0xaa, 0xbb, 0x05, 0x00, 0x7f};
    struct proto_reader r = over(in, sizeof(in));
    proto_reader_skip_tagged_fields(&r);
    CU_ASSERT_EQUAL(proto_reader_i8(&r), 0x7f);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);

    r = over("\x00", 1);
    proto_reader_skip_tagged_fields(&r);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);

    /* A field whose size runs past the end. */
    r = over("\x01\x00\x09\x00", 4);
    proto_reader_skip_tagged_fields(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* A count no input could hold is refused before looping over it. */
    r = over("\xff\xff\xff\xff\x0f\x00\x00", 7);
    proto_reader_skip_tagged_fields(&r);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    CU_ASSERT_PTR_NOT_NULL(strstr(proto_reader_reason(&r), "tagged fields cannot fit"));
    done();
}

static void test_array_counts(void)
{
    struct arena a;
    arena_init(&a);
    /* count 2 of 4-byte elements, exactly backed. */
    static const uint8_t two[] = {0, 0, 0, 2, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xf9};
    struct proto_reader r = over(two, sizeof(two));
    int32_t n = proto_reader_array(&r, 4);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    int32_t *v = proto_reader_alloc(&r, &a, n, sizeof(*v));
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 7);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), -7);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);

    /* The same count with one byte missing fails on the count itself. */
    size_t before = a.total;
    r = over(two, sizeof(two) - 1);
    CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r),
                           "at offset 4: array count 2 needs at least 8 bytes, 7 remain");

    /* A huge count is refused before anything is allocated. */
    static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    r = over(huge, sizeof(huge));
    n = proto_reader_array(&r, 4);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(proto_reader_alloc(&r, &a, n, sizeof(*v)));
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    CU_ASSERT_EQUAL(a.total, before);

    /* -1: null only where nullable; below -1 never. */
    static const uint8_t minus1[] = {0xff, 0xff, 0xff, 0xff};
    r = over(minus1, sizeof(minus1));
    CU_ASSERT_EQUAL(proto_reader_nullable_array(&r, 4), -1);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    r = over(minus1, sizeof(minus1));
    CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 0);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r),
                           "at offset 4: null array where the array is not nullable");
    static const uint8_t minus2[] = {0xff, 0xff, 0xff, 0xfe};
    r = over(minus2, sizeof(minus2));
    CU_ASSERT_EQUAL(proto_reader_nullable_array(&r, 4), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* The compact form (flexible versions): count + 1, 0 for null. */
    r = over("\x03\0\0", 3);
    CU_ASSERT_EQUAL(proto_reader_compact_array(&r, 1, false), 2);
    r = over("\x00", 1);
    CU_ASSERT_EQUAL(proto_reader_compact_array(&r, 1, true), -1);
    CU_ASSERT_EQUAL(proto_reader_status(&r), 0);
    r = over("\x00", 1);
    CU_ASSERT_EQUAL(proto_reader_compact_array(&r, 1, false), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));
    r = over("\x03\0", 2);
    CU_ASSERT_EQUAL(proto_reader_compact_array(&r, 1, false), 0);
    CU_ASSERT_TRUE(proto_reader_failed(&r));

    /* Nothing is allocated for an empty array. */
    before = a.total;
    r = over("\0\0\0\0", 4);
    n = proto_reader_array(&r, 2);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(proto_reader_alloc(&r, &a, n, sizeof(struct proto_str)));
    CU_ASSERT_EQUAL(a.total, before);
    arena_destroy(&a);
    done();
}

static void test_fail_keeps_first_reason(void)
{
    struct proto_reader r = over("\0\0", 2);
    proto_reader_fail(&r, GR_E_UNSUPPORTED, "first %d", 1);
    proto_reader_fail(&r, GR_E_NOMEM, "second");
    CU_ASSERT_EQUAL(proto_reader_status(&r), GR_E_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(proto_reader_reason(&r), "at offset 0: first 1");
    done();
}

/* Header of one request, built from RequestHeader.json. */
static void header_bytes(struct buf *b, int16_t key, int16_t version, int32_t corr,
                         const char *client_id, int with_client_id, int tagged)
{
    pb_i16(b, key);
    pb_i16(b, version);
    pb_i32(b, corr);
    if (with_client_id)
        pb_str(b, client_id);
    if (tagged)
        pb_i8(b, 0); /* no tagged fields */
}

static void test_header_v1(void)
{
    struct buf b;
    buf_init(&b);
    header_bytes(&b, PROTO_API_PRODUCE, 7, 0x01020304, "rdkafka", 1, 0);
    pb_i16(&b, 0x7777); /* first body byte */
    struct proto_reader r = over(b.data, b.len);
    struct proto_RequestHeader h;
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.request_api_key, 0);
    CU_ASSERT_EQUAL(h.request_api_version, 7);
    CU_ASSERT_EQUAL(h.correlation_id, 0x01020304);
    CU_ASSERT_TRUE(proto_str_eq(h.client_id, "rdkafka"));
    CU_ASSERT_EQUAL(h.header_version, 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), 0x7777);

    /* A null client id is allowed. */
    buf_reset(&b);
    header_bytes(&b, PROTO_API_METADATA, 0, 5, NULL, 1, 0);
    r = over(b.data, b.len);
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_TRUE(proto_str_is_null(h.client_id));
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    buf_destroy(&b);
    done();
}

static void test_header_v2_and_v0(void)
{
    /* ApiVersions v3 as librdkafka 2.x sends it: header v2 keeps the int16
     * client id, then tagged fields; the body follows. */
    struct buf b;
    buf_init(&b);
    header_bytes(&b, PROTO_API_API_VERSIONS, 3, 1, "rdkafka", 1, 1);
    pb_i8(&b, 0x08); /* body: compact string "librdk" starts here */
    struct proto_reader r = over(b.data, b.len);
    struct proto_RequestHeader h;
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.header_version, 2);
    CU_ASSERT_TRUE(proto_str_eq(h.client_id, "rdkafka"));
    CU_ASSERT_EQUAL(proto_reader_i8(&r), 0x08);

    /* ControlledShutdown v0 has no client id at all. */
    buf_reset(&b);
    header_bytes(&b, PROTO_API_CONTROLLED_SHUTDOWN, 0, 9, NULL, 0, 0);
    pb_i32(&b, 3); /* body: broker id */
    r = over(b.data, b.len);
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.header_version, 0);
    CU_ASSERT_TRUE(proto_str_is_null(h.client_id));
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 3);
    buf_destroy(&b);
    done();
}

static void test_header_above_max_still_yields_correlation_id(void)
{
    /* A Metadata version far above anything defined: flexible, header v2. */
    struct buf b;
    buf_init(&b);
    header_bytes(&b, PROTO_API_METADATA, 99, 4242, "c", 1, 1);
    struct proto_reader r = over(b.data, b.len);
    struct proto_RequestHeader h;
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.correlation_id, 4242);
    CU_ASSERT_EQUAL(h.header_version, 2);

    /* A cut header still has its correlation id once 8 bytes are there. */
    r = over(b.data, 9);
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), GR_E_CORRUPT);
    CU_ASSERT_EQUAL(h.request_api_key, PROTO_API_METADATA);
    CU_ASSERT_EQUAL(h.correlation_id, 4242);
    r = over(b.data, 5);
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), GR_E_CORRUPT);

    /* A key Kafka does not define is read as header v1. */
    buf_reset(&b);
    header_bytes(&b, 1000, 0, 77, "x", 1, 0);
    r = over(b.data, b.len);
    CU_ASSERT_EQUAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.correlation_id, 77);
    CU_ASSERT_EQUAL(h.header_version, 1);
    buf_destroy(&b);
    done();
}

static void test_api_table(void)
{
    /* First flexible versions from each request schema's flexibleVersions. */
    static const struct {
        int16_t key, version;
        int header;
    } cases[] = {
        {PROTO_API_PRODUCE, 8, 1},
        {PROTO_API_PRODUCE, 9, 2},
        {PROTO_API_FETCH, 11, 1},
        {PROTO_API_FETCH, 12, 2},
        {PROTO_API_LIST_OFFSETS, 5, 1},
        {PROTO_API_LIST_OFFSETS, 6, 2},
        {PROTO_API_METADATA, 8, 1},
        {PROTO_API_METADATA, 9, 2},
        {PROTO_API_API_VERSIONS, 2, 1},
        {PROTO_API_API_VERSIONS, 3, 2},
        {PROTO_API_CREATE_TOPICS, 4, 1},
        {PROTO_API_CREATE_TOPICS, 5, 2},
        {PROTO_API_DELETE_TOPICS, 3, 1},
        {PROTO_API_DELETE_TOPICS, 4, 2},
        {PROTO_API_DELETE_RECORDS, 1, 1},
        {PROTO_API_DELETE_RECORDS, 2, 2},
        {PROTO_API_DESCRIBE_CONFIGS, 3, 1},
        {PROTO_API_DESCRIBE_CONFIGS, 4, 2},
        {PROTO_API_CREATE_PARTITIONS, 1, 1},
        {PROTO_API_CREATE_PARTITIONS, 2, 2},
        {PROTO_API_SASL_HANDSHAKE, 1, 1},
        {PROTO_API_OFFSET_DELETE, 0, 1},
        {PROTO_API_CONTROLLED_SHUTDOWN, 0, 0},
        {PROTO_API_CONTROLLED_SHUTDOWN, 1, 1},
        {PROTO_API_DESCRIBE_CLUSTER, 0, 2},
        {-1, 0, -1},
        {88, 0, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CU_ASSERT_EQUAL(proto_api_request_header_version(cases[i].key, cases[i].version),
                        cases[i].header);
    CU_ASSERT_STRING_EQUAL(proto_api_name(PROTO_API_API_VERSIONS), "ApiVersions");
    CU_ASSERT_STRING_EQUAL(proto_api_name(37), "CreatePartitions");
    CU_ASSERT_PTR_NULL(proto_api_name(500));
    CU_ASSERT_EQUAL(PROTO_API_DESCRIBE_CONFIGS, 32);
}

static void test_error_codes(void)
{
    /* The numbers the compatibility contract names, by Kafka's names. */
    CU_ASSERT_EQUAL(PROTO_ERR_OFFSET_OUT_OF_RANGE, 1);
    CU_ASSERT_EQUAL(PROTO_ERR_CORRUPT_MESSAGE, 2);
    CU_ASSERT_EQUAL(PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION, 3);
    CU_ASSERT_EQUAL(PROTO_ERR_NOT_LEADER_FOR_PARTITION, 6);
    CU_ASSERT_EQUAL(PROTO_ERR_REQUEST_TIMED_OUT, 7);
    CU_ASSERT_EQUAL(PROTO_ERR_MESSAGE_TOO_LARGE, 10);
    CU_ASSERT_EQUAL(PROTO_ERR_NOT_COORDINATOR, 16);
    CU_ASSERT_EQUAL(PROTO_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20);
    CU_ASSERT_EQUAL(PROTO_ERR_REBALANCE_IN_PROGRESS, 27);
    CU_ASSERT_EQUAL(PROTO_ERR_UNSUPPORTED_VERSION, 35);
    CU_ASSERT_EQUAL(PROTO_ERR_NOT_CONTROLLER, 41);
    CU_ASSERT_EQUAL(PROTO_ERR_INVALID_REQUEST, 42);
    CU_ASSERT_EQUAL(PROTO_ERR_KAFKA_STORAGE_ERROR, 56);
    CU_ASSERT_EQUAL(PROTO_ERR_MEMBER_ID_REQUIRED, 79);
    CU_ASSERT_EQUAL(PROTO_ERR_INVALID_RECORD, 87);
    CU_ASSERT_EQUAL(PROTO_ERR_INCONSISTENT_CLUSTER_ID, 104);
    CU_ASSERT_STRING_EQUAL(proto_error_name(-1), "UNKNOWN_SERVER_ERROR");
    CU_ASSERT_STRING_EQUAL(proto_error_name(6), "NOT_LEADER_OR_FOLLOWER");
    CU_ASSERT_STRING_EQUAL(proto_error_name(35), "UNSUPPORTED_VERSION");
    CU_ASSERT_STRING_EQUAL(proto_error_name(99), "UNKNOWN_ERROR_CODE");
}

int main(void)
{
    static CU_TestInfo reader[] = {
        {"fixed ints are big-endian", test_fixed_ints_are_big_endian},
        {"short fixed ints fail and the failure sticks", test_short_fixed_ints_fail_and_stick},
        {"a NULL frame reads as empty", test_null_frame_reads_as_empty},
        {"varints", test_varints},
        {"bad varints fail", test_bad_varints_fail},
        {"strings are views", test_strings_are_views},
        {"bad strings fail", test_bad_strings_fail},
        {"bytes", test_bytes},
        {"compact strings and bytes", test_compact_strings_and_bytes},
        {"tagged fields", test_tagged_fields},
        {"array counts", test_array_counts},
        {"the first failure reason is kept", test_fail_keeps_first_reason},
        CU_TEST_INFO_NULL};
    static CU_TestInfo header[] = {{"request header v1", test_header_v1},
                                   {"request header v2 and v0", test_header_v2_and_v0},
                                   {"above-max versions yield a correlation id",
                                    test_header_above_max_still_yields_correlation_id},
                                   {"API key table", test_api_table},
                                   {"error codes", test_error_codes},
                                   CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto_reader", NULL, NULL, NULL, NULL, reader},
                                    {"proto_header", NULL, NULL, NULL, NULL, header},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_reader", suites);
}
