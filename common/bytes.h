/*
 * Big-endian loads and stores, and Kafka's zig-zag varints.
 *
 * Kafka puts every fixed-width integer on the wire and on disk in network byte
 * order; these helpers are the only place that knows it. They do no bounds
 * checking: callers check lengths first (the protocol reader in broker/proto
 * does so for every field).
 */
#ifndef GREGOR_COMMON_BYTES_H
#define GREGOR_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t be16_load(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t be32_load(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

static inline uint64_t be64_load(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static inline void be16_store(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void be32_store(void *p, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
}

static inline void be64_store(void *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}

/* Decodes an unsigned LEB128 varint of at most maxbytes (5 for 32-bit, 10 for
 * 64-bit) from [p, end). Returns the number of bytes read, or 0 if the input
 * ends early or the varint is too long. */
static inline size_t uvarint_decode(const uint8_t *p, const uint8_t *end, size_t maxbytes,
                                    uint64_t *out)
{
    /* Most varints in a record batch (lengths, deltas) fit in one or two
     * bytes; decode those without the loop. */
    if (p < end && !(*p & 0x80)) {
        *out = *p;
        return 1;
    }
    if (p + 1 < end && !(p[1] & 0x80) && maxbytes >= 2) {
        *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        return 2;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < maxbytes && p + i < end; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/* Kafka "varint"/"varlong": zig-zag encoded signed integers. Same return
 * convention as uvarint_decode. */
static inline size_t varint_decode(const uint8_t *p, const uint8_t *end, int32_t *out)
{
    uint64_t u;
    size_t n = uvarint_decode(p, end, 5, &u);
    if (n)
        *out = (int32_t)((uint32_t)(u >> 1) ^ -(uint32_t)(u & 1));
    return n;
}

static inline size_t varlong_decode(const uint8_t *p, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    size_t n = uvarint_decode(p, end, 10, &u);
    if (n)
        *out = (int64_t)((u >> 1) ^ -(u & 1));
    return n;
}

/* Encodes v as an unsigned varint into p (room for 10 bytes); returns bytes written. */
static inline size_t uvarint_encode(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t varint_encode(uint8_t *p, int32_t v)
{
    return uvarint_encode(p, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

static inline size_t varlong_encode(uint8_t *p, int64_t v)
{
    return uvarint_encode(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

#endif
