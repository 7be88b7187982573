/*
 * CRC-32C: both implementations against published vectors (RFC 3720 B.4 and
 * the "123456789" check value), and against each other on random input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "tests/unit/testutil.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
    uint8_t b[48];
    CU_ASSERT_EQUAL(f(0, "123456789", 9), 0xE3069283u);
    CU_ASSERT_EQUAL(f(0, "", 0), 0u);
    memset(b, 0, 32);
    CU_ASSERT_EQUAL(f(0, b, 32), 0x8A9136AAu);
    memset(b, 0xff, 32);
    CU_ASSERT_EQUAL(f(0, b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    CU_ASSERT_EQUAL(f(0, b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    CU_ASSERT_EQUAL(f(0, b, 32), 0x113FDB5Cu);
    /* RFC 3720 B.4: an iSCSI read command PDU. */
    static const uint8_t pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CU_ASSERT_EQUAL(f(0, pdu, 48), 0xD9963A56u);
}

static void test_sw_vectors(void)
{
    check_vectors(crc32c_sw);
}

static void test_hw_vectors(void)
{
    if (!crc32c_hw_available()) {
        /* Nothing to check on this CPU; say so rather than pass silently. */
        fprintf(stderr, "note: no SSE4.2 on this CPU, hardware CRC not exercised\n");
        return;
    }
    check_vectors(crc32c_hw);
}

static void test_dispatch_vectors(void)
{
    check_vectors(crc32c);
}

/* Every alignment and length up to 300, and large random buffers, agree
 * between the implementations; a CRC computed in pieces equals one-shot. */
static void test_hw_equals_sw_and_chaining(void)
{
    uint64_t seed = test_seed("crc32c");
    size_t n = 1 << 16;
    uint8_t *b = malloc(n + 16);
    for (size_t i = 0; i < n + 16; i++)
        b[i] = (uint8_t)test_rand(&seed);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len < 300; len++)
            CU_ASSERT_EQUAL_FATAL(crc32c(0, b + off, len), crc32c_sw(0, b + off, len));
    for (int round = 0; round < 50; round++) {
        size_t off = test_rand(&seed) % 16, len = test_rand(&seed) % n;
        uint32_t whole = crc32c_sw(0, b + off, len);
        CU_ASSERT_EQUAL(crc32c(0, b + off, len), whole);
        size_t cut = len ? test_rand(&seed) % len : 0;
        uint32_t part = crc32c(0, b + off, cut);
        CU_ASSERT_EQUAL(crc32c(part, b + off + cut, len - cut), whole);
    }
    free(b);
}

/* Every length around the folding path (>= 512 bytes), at every
 * alignment, and split at random points, agrees with the software CRC. */
static void test_fold_path(void)
{
    if (!crc32c_hw_available()) {
        fprintf(stderr, "note: no SSE4.2 on this CPU, hardware CRC not exercised\n");
        return;
    }
    if (!crc32c_fold_available())
        fprintf(stderr, "note: no VPCLMULQDQ/AVX-512 on this CPU, the folding path is not "
                        "exercised (the crc32-instruction path is)\n");
    uint64_t seed = test_seed("crc32c fold");
    size_t max = 4200;
    uint8_t *b = malloc(max + 8);
    for (size_t i = 0; i < max + 8; i++)
        b[i] = (uint8_t)test_rand(&seed);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= max; len++)
            CU_ASSERT_EQUAL_FATAL(crc32c_hw(0x12345678u, b + off, len),
                                  crc32c_sw(0x12345678u, b + off, len));
    for (int round = 0; round < 200; round++) {
        size_t len = 512 + test_rand(&seed) % (max - 512), cut = test_rand(&seed) % len;
        uint32_t whole = crc32c_sw(0, b, len);
        CU_ASSERT_EQUAL(crc32c_hw(crc32c_hw(0, b, cut), b + cut, len - cut), whole);
    }
    free(b);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"software implementation matches published vectors", test_sw_vectors},
        {"SSE4.2 implementation matches published vectors", test_hw_vectors},
        {"dispatching crc32c matches published vectors", test_dispatch_vectors},
        {"hardware equals software at every alignment; chaining", test_hw_equals_sw_and_chaining},
        {"the folding path equals software at every length and alignment", test_fold_path},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"crc32c", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_crc32c", suites);
}
