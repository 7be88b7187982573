/*
 * Growable buffer, arena and the varint/endian helpers.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "tests/unit/testutil.h"

static void test_buf_writes_big_endian_and_patches(void)
{
    struct buf b;
    buf_init(&b);
    size_t o16 = buf_put_i16(&b, 0x0102);
    size_t o32 = buf_put_i32(&b, -2);
    buf_put_i64(&b, 0x0102030405060708LL);
    buf_put_i8(&b, -1);
    CU_ASSERT_EQUAL(o16, 0);
    CU_ASSERT_EQUAL(o32, 2);
    CU_ASSERT_EQUAL(b.len, 15);
    static const uint8_t want[] = {1, 2, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 0xff};
    CU_ASSERT_EQUAL(memcmp(b.data, want, sizeof(want)), 0);
    buf_patch_i32(&b, o32, 7);
    CU_ASSERT_EQUAL(be32_load(b.data + 2), 7);
    buf_patch_i32(&b, 14, 7); /* past the end: ignored, no overflow */
    CU_ASSERT_EQUAL(b.len, 15);
    buf_printf(&b, "%s-%d", "x", 42);
    CU_ASSERT_EQUAL(b.len, 19);
    CU_ASSERT_EQUAL(memcmp(b.data + 15, "x-42", 4), 0);
    CU_ASSERT_FALSE(buf_failed(&b));
    size_t len;
    uint8_t *p = buf_steal(&b, &len);
    CU_ASSERT_EQUAL(len, 19);
    CU_ASSERT_EQUAL(b.len, 0);
    free(p);
    buf_destroy(&b);
}

static void test_buf_grows_large(void)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 100000; i++)
        buf_put_i32(&b, i);
    CU_ASSERT_EQUAL_FATAL(b.len, 400000);
    CU_ASSERT_EQUAL(be32_load(b.data + 4 * 99999), 99999);
    buf_reset(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_TRUE(b.cap >= 400000);
    buf_destroy(&b);
}

static void test_buf_failure_is_sticky(void)
{
    struct buf b;
    buf_init(&b);
    buf_put_i32(&b, 1);
    CU_ASSERT_NOT_EQUAL(buf_reserve(&b, SIZE_MAX - 2), 0);
    CU_ASSERT_TRUE(buf_failed(&b));
    buf_put_i32(&b, 2);
    CU_ASSERT_EQUAL(b.len, 4);
    size_t len = 99;
    CU_ASSERT_PTR_NULL(buf_steal(&b, &len));
    CU_ASSERT_EQUAL(len, 0);
    buf_destroy(&b);
}

static void test_varints(void)
{
    /* Values and encodings from Kafka's ByteUtils tests and the protocol guide. */
    static const struct {
        int32_t v;
        uint8_t enc[5];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},  {-1, {0x01}, 1}, {1, {0x02}, 1}, {63, {0x7e}, 1}, {-64, {0x7f}, 1},
        {64, {0x80, 0x01}, 2}, {-65, {0x81, 0x01}, 2},
        {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5}, {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t t[10];
        int32_t back;
        CU_ASSERT_EQUAL(varint_encode(t, cases[i].v), cases[i].n);
        CU_ASSERT_EQUAL(memcmp(t, cases[i].enc, cases[i].n), 0);
        CU_ASSERT_EQUAL(varint_decode(t, t + cases[i].n, &back), cases[i].n);
        CU_ASSERT_EQUAL(back, cases[i].v);
        /* One byte short must fail, not read past the end. */
        CU_ASSERT_EQUAL(varint_decode(t, t + cases[i].n - 1, &back), 0);
    }
    uint8_t t[10];
    int64_t l;
    CU_ASSERT_EQUAL(varlong_encode(t, INT64_MIN), 10);
    CU_ASSERT_EQUAL(varlong_decode(t, t + 10, &l), 10);
    CU_ASSERT_EQUAL(l, INT64_MIN);
    /* An over-long encoding is rejected. */
    static const uint8_t too_long[6] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    int32_t v;
    CU_ASSERT_EQUAL(varint_decode(too_long, too_long + 6, &v), 0);
}

static void test_arena(void)
{
    struct arena a;
    arena_init(&a);
    char *p[1000];
    for (int i = 0; i < 1000; i++) {
        p[i] = arena_alloc(&a, (size_t)(i % 37) + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
        CU_ASSERT_EQUAL(((uintptr_t)p[i]) % sizeof(long double) == 0 ||
                            ((uintptr_t)p[i]) % 16 == 0, 1);
        memset(p[i], i & 0xff, (size_t)(i % 37) + 1);
    }
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL((unsigned char)p[i][0], (unsigned char)(i & 0xff));
    void *big = arena_alloc(&a, 1 << 20);
    CU_ASSERT_PTR_NOT_NULL(big);
    CU_ASSERT_PTR_NULL(arena_calloc(&a, SIZE_MAX / 2, 4));
    int *z = arena_calloc(&a, 10, sizeof(int));
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(z[i], 0);
    arena_destroy(&a);
}

/* fs_read_text: a whole file as a C string, the bound, a missing file. */
static void test_fs_read_text(void)
{
    char *dir = test_tmpdir("readtext");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/f.json", dir);
    size_t n = 200000;
    char *data = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    CU_ASSERT_EQUAL(fs_write_file_atomic(path, data, n, false), 0);
    char *text = NULL;
    CU_ASSERT_EQUAL(fs_read_text(path, &text, 1 << 20, NULL, 0), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(strlen(text), n);
    CU_ASSERT(memcmp(text, data, n) == 0);
    free(text);
    CU_ASSERT_EQUAL(fs_read_text(path, &text, 1000, NULL, 0), GR_E_TOO_LARGE);
    CU_ASSERT_PTR_NULL(text);
    snprintf(path, sizeof(path), "%s/missing", dir);
    char err[600] = "";
    CU_ASSERT_NOT_EQUAL(fs_read_text(path, &text, 1000, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path)); /* the message names the file */
    free(data);
    test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"fs_read_text", test_fs_read_text},
        {"big-endian writes and patching", test_buf_writes_big_endian_and_patches},
        {"grows to large sizes", test_buf_grows_large},
        {"allocation failure is sticky", test_buf_failure_is_sticky},
        {"zig-zag varints", test_varints},
        {"arena allocation", test_arena},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"buf", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_buf", suites);
}
