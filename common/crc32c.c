/*
 * CRC-32C: hardware (SSE4.2) and software (slicing-by-8) implementations.
 *
 * The polynomial is Castagnoli's, reflected (0x82F63B78), with the usual
 * initial and final inversion, so crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * Why three streams: the crc32 instruction has a latency of three cycles but
 * can start one per cycle, so one dependent chain uses a third of it. Long
 * inputs are cut into three consecutive blocks of L bytes whose CRCs run
 * interleaved; the block CRCs are then joined with the identity
 *   crc(A || B) = zeros_L(crc(A)) ^ crc(B)     (raw CRC state, |B| = L)
 * where zeros_L, "feed L zero bytes", is linear over GF(2) and so is four
 * 256-entry tables, built once at start-up.
 */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define CRC32C_HAVE_X86 1
#endif

#define CRC32C_POLY 0x82F63B78u

static uint32_t crc_table[8][256];
static bool crc_use_hw;

/* Block lengths for the three-stream path, and their zeros_L tables. */
#define CRC_LONG 8192
#define CRC_SHORT 256
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];

/* Feeds n zero bytes to a raw CRC state, one bit at a time (init only). */
static uint32_t feed_zeros_slow(uint32_t c, size_t n)
{
    for (size_t i = 0; i < n * 8; i++)
        c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
    return c;
}

static void build_zeros(uint32_t t[4][256], size_t len)
{
    uint32_t bit[32];
    for (int k = 0; k < 32; k++)
        bit[k] = feed_zeros_slow(1u << k, len);
    for (int j = 0; j < 4; j++)
        for (int b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int k = 0; k < 8; k++)
                if (b & (1 << k))
                    v ^= bit[8 * j + k];
            t[j][b] = v;
        }
}

static inline uint32_t shift(const uint32_t t[4][256], uint32_t c)
{
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
}
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
#ifdef CRC32C_HAVE_X86
    __builtin_cpu_init();
    crc_use_hw = __builtin_cpu_supports("sse4.2");
#endif
    build_zeros(zeros_long, CRC_LONG);
    build_zeros(zeros_short, CRC_SHORT);
}

bool crc32c_hw_available(void)
{
    pthread_once(&crc_once, crc32c_init);
    return crc_use_hw;
}

uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc32c_init);
    const uint8_t *b = p;
    crc = ~crc;
    while (n && ((uintptr_t)b & 7)) {
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *b++) & 0xff];
        n--;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        w ^= crc; /* little-endian: the low 4 bytes take the running crc */
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
              crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
              crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        b += 8;
        n -= 8;
    }
#endif
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *b++) & 0xff];
    return ~crc;
}

#ifdef CRC32C_HAVE_X86
/* Runs three interleaved chains over blocks of len bytes while at least
 * 3 * len remain; returns the joined raw state. */
__attribute__((target("sse4.2"))) static inline uint64_t
three_way(uint64_t c, const uint8_t **bp, size_t *np, size_t len, const uint32_t t[4][256])
{
    const uint8_t *b = *bp;
    size_t n = *np;
    while (n >= 3 * len) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = b + len;
        do {
            uint64_t w0, w1, w2;
            memcpy(&w0, b, 8);
            memcpy(&w1, b + len, 8);
            memcpy(&w2, b + 2 * len, 8);
            c = _mm_crc32_u64(c, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
            b += 8;
        } while (b < end);
        c = shift(t, shift(t, (uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        b += 2 * len;
        n -= 3 * len;
    }
    *bp = b;
    *np = n;
    return c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc32c_init);
    const uint8_t *b = p;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)b & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *b++);
        n--;
    }
    c = three_way(c, &b, &n, CRC_LONG, zeros_long);
    c = three_way(c, &b, &n, CRC_SHORT, zeros_short);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        c = _mm_crc32_u64(c, w);
        b += 8;
        n -= 8;
    }
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *b++);
    return ~(uint32_t)c;
}
#else
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    return crc32c_sw(crc, p, n);
}
#endif

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc32c_init);
    return crc_use_hw ? crc32c_hw(crc, p, n) : crc32c_sw(crc, p, n);
}
