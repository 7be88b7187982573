/*
 * The response buffer: frame size prefixes, file chunks for sendfile(2),
 * release of file owners, and the sticky failures encoders rely on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/proto/proto_out.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

/* Counts release calls per owner. */
static void count_release(void *owner)
{
    (*(int *)owner)++;
}

/* A temporary file holding "0123456789"; returns its fd (unlinked already). */
static int digits_file(void)
{
    char *dir = test_tmpdir("proto-out");
    char path[4096];
    snprintf(path, sizeof(path), "%s/seg", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, "0123456789", 10) == 10);
    test_rmtree(dir);
    free(dir);
    return fd;
}

static void test_frame_has_size_and_correlation_id(void)
{
    struct proto_out o;
    proto_out_init(&o);
    proto_out_begin_response(&o, 0x11223344);
    proto_out_i16(&o, 35);
    CU_ASSERT_EQUAL(proto_out_end_response(&o), 0);
    static const uint8_t want[] = {0, 0, 0, 6, 0x11, 0x22, 0x33, 0x44, 0, 35};
    CU_ASSERT_EQUAL(proto_out_size(&o), sizeof(want));
    const struct proto_out_chunk *c;
    CU_ASSERT_EQUAL_FATAL(proto_out_chunks(&o, &c), 1);
    CU_ASSERT_EQUAL(c[0].kind, PROTO_OUT_MEM);
    CU_ASSERT_EQUAL_FATAL(c[0].len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(proto_out_chunk_mem(&o, &c[0]), want, sizeof(want)), 0);
    proto_out_destroy(&o);
}

/* A request body the broker's client sends is encoded without a frame:
 * copying it must include the bytes no chunk has closed yet. */
static void test_copy_of_unframed_body(void)
{
    struct proto_out o;
    struct buf b;
    proto_out_init(&o);
    buf_init(&b);
    proto_out_i16(&o, 0x0102);
    proto_out_i32(&o, 0x03040506);
    CU_ASSERT_EQUAL(proto_out_copy_to(&o, &b), 0);
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6};
    CU_ASSERT_EQUAL_FATAL(b.len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(b.data, want, sizeof(want)), 0);
    buf_destroy(&b);
    proto_out_destroy(&o);
}

static void test_file_range_between_memory(void)
{
    int fd = digits_file();
    int released = 0;
    struct proto_out o;
    proto_out_init(&o);
    proto_out_begin_response(&o, 7);
    proto_out_i32(&o, 4); /* a records length, as Fetch writes it */
    struct proto_out_file f = {
        .fd = fd, .pos = 3, .len = 4, .owner = &released, .release = count_release};
    proto_out_add_file(&o, &f);
    proto_out_i16(&o, -1);
    CU_ASSERT_EQUAL(proto_out_end_response(&o), 0);

    /* The size prefix counts the 4 file bytes: 4 (corr) + 4 + 4 + 2. */
    CU_ASSERT_EQUAL(proto_out_size(&o), 4 + 14);
    CU_ASSERT_EQUAL(be32_load(o.buf.data), 14);
    const struct proto_out_chunk *c;
    CU_ASSERT_EQUAL_FATAL(proto_out_chunks(&o, &c), 3);
    CU_ASSERT_EQUAL(c[0].kind, PROTO_OUT_MEM);
    CU_ASSERT_EQUAL(c[0].len, 12);
    CU_ASSERT_EQUAL(c[1].kind, PROTO_OUT_FILE);
    CU_ASSERT_EQUAL(c[1].len, 4);
    CU_ASSERT_EQUAL(c[1].file.fd, fd);
    CU_ASSERT_EQUAL(c[1].file.pos, 3);
    CU_ASSERT_EQUAL(c[2].kind, PROTO_OUT_MEM);
    CU_ASSERT_EQUAL(c[2].len, 2);

    struct buf flat;
    buf_init(&flat);
    CU_ASSERT_EQUAL(proto_out_copy_to(&o, &flat), 0);
    static const uint8_t want[] = {0, 0, 0, 14,  0,   0,   0,   7,    0,
                                   0, 0, 4, '3', '4', '5', '6', 0xff, 0xff};
    CU_ASSERT_EQUAL_FATAL(flat.len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(flat.data, want, sizeof(want)), 0);
    buf_destroy(&flat);

    CU_ASSERT_EQUAL(released, 0); /* still needed until the out is gone */
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 1);
    close(fd);
}

static void test_two_frames_and_adjacent_files(void)
{
    int fd = digits_file();
    int released = 0;
    struct proto_out o;
    proto_out_init(&o);
    proto_out_begin_response(&o, 1);
    struct proto_out_file f = {
        .fd = fd, .pos = 0, .len = 2, .owner = &released, .release = count_release};
    proto_out_add_file(&o, &f);
    f.pos = 8;
    proto_out_add_file(&o, &f); /* two file chunks in a row */
    CU_ASSERT_EQUAL(proto_out_end_response(&o), 0);
    proto_out_begin_response(&o, 2);
    proto_out_i8(&o, 9);
    CU_ASSERT_EQUAL(proto_out_end_response(&o), 0);

    const struct proto_out_chunk *c;
    CU_ASSERT_EQUAL_FATAL(proto_out_chunks(&o, &c), 4);
    CU_ASSERT_EQUAL(c[0].kind, PROTO_OUT_MEM);
    CU_ASSERT_EQUAL(c[1].kind, PROTO_OUT_FILE);
    CU_ASSERT_EQUAL(c[2].kind, PROTO_OUT_FILE);
    /* The second frame's bytes follow on as one memory chunk. */
    CU_ASSERT_EQUAL(c[3].kind, PROTO_OUT_MEM);
    CU_ASSERT_EQUAL(c[3].len, 4 + 4 + 1);

    struct buf flat;
    buf_init(&flat);
    CU_ASSERT_EQUAL(proto_out_copy_to(&o, &flat), 0);
    static const uint8_t want[] = {0,   0, 0, 8, 0, 0, 0, 1, '0', '1', '8',
                                   '9', 0, 0, 0, 5, 0, 0, 0, 2,   9};
    CU_ASSERT_EQUAL_FATAL(flat.len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(flat.data, want, sizeof(want)), 0);
    CU_ASSERT_EQUAL(proto_out_size(&o), (int64_t)sizeof(want));
    buf_destroy(&flat);
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 2);
    close(fd);
}

static void test_invalid_values_fail(void)
{
    char *big = malloc(32768);
    memset(big, 'x', 32768);
    struct proto_out o;

    proto_out_init(&o);
    proto_out_string(&o, (struct proto_str){big, 32767});
    CU_ASSERT_EQUAL(proto_out_status(&o), 0);
    proto_out_string(&o, (struct proto_str){big, 32768});
    CU_ASSERT_EQUAL(proto_out_status(&o), GR_E_INVALID);
    proto_out_destroy(&o);

    proto_out_init(&o);
    proto_out_string(&o, PROTO_STR_NULL);
    CU_ASSERT_EQUAL(proto_out_status(&o), GR_E_INVALID);
    proto_out_destroy(&o);

    proto_out_init(&o);
    proto_out_nullable_string(&o, PROTO_STR_NULL);
    proto_out_nullable_bytes(&o, PROTO_BYTES_NULL);
    CU_ASSERT_EQUAL(proto_out_status(&o), 0);
    static const uint8_t nulls[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CU_ASSERT_EQUAL_FATAL(o.buf.len, sizeof(nulls));
    CU_ASSERT_EQUAL(memcmp(o.buf.data, nulls, sizeof(nulls)), 0);
    proto_out_destroy(&o);

    proto_out_init(&o);
    proto_out_array(&o, -1, NULL);
    CU_ASSERT_EQUAL(proto_out_status(&o), GR_E_INVALID);
    proto_out_destroy(&o);

    proto_out_init(&o);
    proto_out_array(&o, 3, NULL); /* elements promised but none given */
    CU_ASSERT_EQUAL(proto_out_status(&o), GR_E_INVALID);
    proto_out_destroy(&o);
    free(big);
}

static void test_file_owner_released_on_failure(void)
{
    int released = 0;
    struct proto_out o;
    proto_out_init(&o);
    /* A bad range is refused and its owner released at once. */
    struct proto_out_file bad = {.fd = -1, .len = 1, .owner = &released, .release = count_release};
    proto_out_add_file(&o, &bad);
    CU_ASSERT_EQUAL(proto_out_status(&o), GR_E_INVALID);
    CU_ASSERT_EQUAL(released, 1);
    /* After a failure a good range is released at once too. */
    struct proto_out_file good = {.fd = 0, .len = 1, .owner = &released, .release = count_release};
    proto_out_add_file(&o, &good);
    CU_ASSERT_EQUAL(released, 2);
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 2); /* never twice */
}

static void test_frame_above_2gib_fails(void)
{
    int released = 0;
    struct proto_out o;
    proto_out_init(&o);
    proto_out_begin_response(&o, 1);
    struct proto_out_file f = {
        .fd = 0, .len = INT32_MAX, .owner = &released, .release = count_release};
    proto_out_add_file(&o, &f);
    CU_ASSERT_EQUAL(proto_out_end_response(&o), GR_E_TOO_LARGE);
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 1);
}

static void test_copy_of_short_file_fails(void)
{
    int fd = digits_file();
    struct proto_out o;
    proto_out_init(&o);
    proto_out_begin_response(&o, 1);
    struct proto_out_file f = {.fd = fd, .pos = 8, .len = 5};
    proto_out_add_file(&o, &f);
    CU_ASSERT_EQUAL(proto_out_end_response(&o), 0);
    struct buf flat;
    buf_init(&flat);
    CU_ASSERT_EQUAL(proto_out_copy_to(&o, &flat), GR_E_IO);
    buf_destroy(&flat);
    proto_out_destroy(&o);
    close(fd);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"frame has size and correlation id", test_frame_has_size_and_correlation_id},
        {"an unframed body is copied whole", test_copy_of_unframed_body},
        {"file range between memory chunks", test_file_range_between_memory},
        {"two frames and adjacent file ranges", test_two_frames_and_adjacent_files},
        {"invalid values fail", test_invalid_values_fail},
        {"file owners are released on failure", test_file_owner_released_on_failure},
        {"a frame above 2 GiB fails", test_frame_above_2gib_fails},
        {"copying a range past the end of file fails", test_copy_of_short_file_fails},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto_out", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_out", suites);
}
