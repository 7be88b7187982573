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
 *
 * Why carry-less folding on top: one crc32 per cycle is the instruction's
 * ceiling. On CPUs with VPCLMULQDQ, inputs of 512 bytes and more are folded
 * 256 bytes per iteration: a 128-bit block X at distance N bits before a
 * block Y is replaced by X * x^N mod P, which is congruent and fits in 96
 * bits, and XORed into Y. In the reflected bit order of this CRC the first
 * (low) qword of X holds the higher degrees, and PCLMULQDQ of reflected
 * operands yields the product shifted down one degree, so the constants are
 * x^(63+N) mod P for the low qword and x^(N-1) mod P for the high one,
 * bit-reflected into 64 bits. What is left at the end, 16 bytes congruent
 * to everything folded, goes through the crc32 instruction.
 */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
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
static bool crc_use_fold; /* VPCLMULQDQ with AVX-512 */
/* Folding constants {low qword, high qword} for distances of 128, 256,
 * 384, 512 and 2048 bits. */
static uint64_t fold_128[2], fold_256[2], fold_384[2], fold_512[2], fold_2048[2];

/* x^n mod P (normal bit order: bit d is x^d), bit-reflected into 64 bits
 * (x^d lands on bit 63 - d). */
static uint64_t xpow_reflected(unsigned n)
{
    uint64_t r = 1;
    for (unsigned i = 0; i < n; i++) {
        r <<= 1;
        if (r & (1ULL << 32))
            r ^= 0x11EDC6F41ULL;
    }
    uint64_t out = 0;
    for (int d = 0; d < 32; d++)
        if (r >> d & 1)
            out |= 1ULL << (63 - d);
    return out;
}

static void fold_constants(uint64_t k[2], unsigned bits)
{
    k[0] = xpow_reflected(63 + bits);
    k[1] = xpow_reflected(bits - 1);
}

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
    crc_use_fold = crc_use_hw && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq") &&
                   __builtin_cpu_supports("pclmul");
#endif
    fold_constants(fold_128, 128);
    fold_constants(fold_256, 256);
    fold_constants(fold_384, 384);
    fold_constants(fold_512, 512);
    fold_constants(fold_2048, 2048);
    build_zeros(zeros_long, CRC_LONG);
    build_zeros(zeros_short, CRC_SHORT);
}

bool crc32c_hw_available(void)
{
    pthread_once(&crc_once, crc32c_init);
    return crc_use_hw;
}

bool crc32c_fold_available(void)
{
    pthread_once(&crc_once, crc32c_init);
    return crc_use_fold;
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

#define FOLD_TARGET __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))

FOLD_TARGET static inline __m512i fold512(__m512i x, __m512i k, __m512i y)
{
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                     _mm512_clmulepi64_epi128(x, k, 0x11), y, 0x96);
}

FOLD_TARGET static inline __m128i fold128(__m128i x, const uint64_t k[2], __m128i y)
{
    __m128i kk = _mm_set_epi64x((long long)k[1], (long long)k[0]);
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, kk, 0x00),
                                       _mm_clmulepi64_si128(x, kk, 0x11)),
                         y);
}

FOLD_TARGET static inline __m512i broadcast(const uint64_t k[2])
{
    return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k[1], (long long)k[0]));
}

/* Folds whole 16-byte blocks while at least 256 bytes remain (needs n >=
 * 512 on entry): the raw CRC state c goes into the first 4 bytes, and the
 * raw state after the consumed bytes comes back. */
FOLD_TARGET static uint64_t fold(uint64_t c, const uint8_t **bp, size_t *np)
{
    const uint8_t *b = *bp;
    size_t n = *np;
    __m512i x0 = _mm512_loadu_si512(b), x1 = _mm512_loadu_si512(b + 64);
    __m512i x2 = _mm512_loadu_si512(b + 128), x3 = _mm512_loadu_si512(b + 192);
    x0 = _mm512_xor_si512(x0, _mm512_castsi128_si512(_mm_cvtsi32_si128((int)(uint32_t)c)));
    b += 256;
    n -= 256;
    __m512i k2048 = broadcast(fold_2048);
    while (n >= 256) {
        x0 = fold512(x0, k2048, _mm512_loadu_si512(b));
        x1 = fold512(x1, k2048, _mm512_loadu_si512(b + 64));
        x2 = fold512(x2, k2048, _mm512_loadu_si512(b + 128));
        x3 = fold512(x3, k2048, _mm512_loadu_si512(b + 192));
        b += 256;
        n -= 256;
    }
    /* Four accumulators 64 bytes apart into one, then its four lanes 16
     * bytes apart into one 128-bit block. */
    __m512i k512 = broadcast(fold_512);
    x1 = fold512(x0, k512, x1);
    x2 = fold512(x1, k512, x2);
    x3 = fold512(x2, k512, x3);
    __m128i acc = _mm512_extracti32x4_epi32(x3, 3);
    acc = fold128(_mm512_extracti32x4_epi32(x3, 0), fold_384, acc);
    acc = fold128(_mm512_extracti32x4_epi32(x3, 1), fold_256, acc);
    acc = fold128(_mm512_extracti32x4_epi32(x3, 2), fold_128, acc);
    while (n >= 16) {
        acc = fold128(acc, fold_128, _mm_loadu_si128((const __m128i *)b));
        b += 16;
        n -= 16;
    }
    /* 16 bytes congruent to all of it: their CRC from a zero state is the
     * state after everything consumed. */
    uint64_t r = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(acc));
    r = _mm_crc32_u64(r, (uint64_t)_mm_extract_epi64(acc, 1));
    *bp = b;
    *np = n;
    return r;
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
    if (crc_use_fold && n >= 512)
        c = fold(c, &b, &n);
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
