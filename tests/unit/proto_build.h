/*
 * Helpers for laying out Kafka bytes by hand in the protocol tests.
 *
 * Tests build request bodies and expected responses field by field from the
 * schemas with these, instead of with the codec under test, so an encoder or
 * decoder that drifts from the schema disagrees with the test. Owns nothing
 * beyond the struct buf the caller passes; header-only because only the
 * proto test programs use it.
 */
#ifndef GREGOR_TESTS_PROTO_BUILD_H
#define GREGOR_TESTS_PROTO_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static inline void pb_i8(struct buf *b, int8_t v)
{
    buf_put_i8(b, v);
}
static inline void pb_i16(struct buf *b, int16_t v)
{
    buf_put_i16(b, v);
}
static inline void pb_i32(struct buf *b, int32_t v)
{
    buf_put_i32(b, v);
}
static inline void pb_i64(struct buf *b, int64_t v)
{
    buf_put_i64(b, v);
}

/* STRING / NULLABLE_STRING: NULL is written as length -1. */
static inline void pb_str(struct buf *b, const char *s)
{
    if (!s) {
        buf_put_i16(b, -1);
        return;
    }
    buf_put_i16(b, (int16_t)strlen(s));
    buf_append(b, s, strlen(s));
}

/* BYTES / NULLABLE_BYTES: NULL is written as length -1. */
static inline void pb_bytes(struct buf *b, const void *p, int32_t n)
{
    buf_put_i32(b, p ? n : -1);
    if (p)
        buf_append(b, p, (size_t)n);
}

/* Returns a malloc'd copy of exactly the bytes of b (caller frees), so that
 * AddressSanitizer reports any read one byte past the end. */
static inline uint8_t *pb_exact_copy(const struct buf *b)
{
    uint8_t *p = malloc(b->len ? b->len : 1);
    if (p && b->len)
        memcpy(p, b->data, b->len);
    return p;
}

/* Wraps body in a response frame: int32 size, int32 correlation id, body. */
static inline void pb_frame(struct buf *out, int32_t correlation_id, const struct buf *body)
{
    buf_put_i32(out, (int32_t)(body->len + 4));
    buf_put_i32(out, correlation_id);
    buf_append(out, body->data, body->len);
}

#endif
