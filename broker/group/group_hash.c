/*
 * Kafka's group-to-partition rule (see group_hash.h).
 */
#include "broker/group/group_hash.h"

/* The next code point of UTF-8 text, or U+FFFD for a byte that does not
 * start a valid sequence (consuming that one byte, as Java's decoder
 * replaces each malformed byte). */
static uint32_t next_code_point(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    unsigned c = *p;
    int n = c < 0x80             ? 0
            : (c & 0xE0) == 0xC0 ? 1
            : (c & 0xF0) == 0xE0 ? 2
            : (c & 0xF8) == 0xF0 ? 3
                                 : -1;
    uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    if (n < 0 || end - p <= n) {
        *pp = p + 1;
        return n == 0 ? c : 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *pp = p + 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *pp = p + 1;
        return 0xFFFD;
    }
    *pp = p + n + 1;
    return cp;
}

int32_t group_hash_java(const char *id, size_t len)
{
    /* Java: h = 31 * h + c over UTF-16 code units, in 32-bit two's complement */
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)id, *end = p + len;
    while (p < end) {
        uint32_t cp = next_code_point(&p, end);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            h = 31 * h + (0xDC00 + (cp & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
    }
    return (int32_t)h;
}

int32_t group_hash_partition(const char *id, size_t len, int32_t nparts)
{
    int32_t h = group_hash_java(id, len);
    /* Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 */
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return nparts > 0 ? a % nparts : 0;
}
