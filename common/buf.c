/*
 * Growable byte buffer (see buf.h for the sticky-failure contract).
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/err.h"

void buf_init(struct buf *b)
{
    memset(b, 0, sizeof(*b));
}

void buf_destroy(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->failed = false;
}

uint8_t *buf_steal(struct buf *b, size_t *len)
{
    uint8_t *p = NULL;
    if (!b->failed && b->len) {
        p = b->data;
        *len = b->len;
        buf_init(b);
    } else {
        *len = 0;
        buf_destroy(b);
    }
    return p;
}

int buf_reserve(struct buf *b, size_t n)
{
    if (b->failed)
        return GR_E_NOMEM;
    if (n <= b->cap - b->len)
        return 0;
    size_t need = b->len + n;
    if (need < b->len) { /* overflow */
        b->failed = true;
        return GR_E_NOMEM;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return GR_E_NOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

uint8_t *buf_grow(struct buf *b, size_t n)
{
    if (buf_reserve(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

size_t buf_append(struct buf *b, const void *p, size_t n)
{
    size_t off = b->len;
    uint8_t *dst = buf_grow(b, n);
    if (dst && n)
        memcpy(dst, p, n);
    return off;
}

size_t buf_put_i8(struct buf *b, int8_t v)
{
    return buf_append(b, &v, 1);
}

size_t buf_put_i16(struct buf *b, int16_t v)
{
    uint8_t t[2];
    be16_store(t, (uint16_t)v);
    return buf_append(b, t, 2);
}

size_t buf_put_i32(struct buf *b, int32_t v)
{
    uint8_t t[4];
    be32_store(t, (uint32_t)v);
    return buf_append(b, t, 4);
}

size_t buf_put_i64(struct buf *b, int64_t v)
{
    uint8_t t[8];
    be64_store(t, (uint64_t)v);
    return buf_append(b, t, 8);
}

size_t buf_put_varint(struct buf *b, int32_t v)
{
    uint8_t t[10];
    return buf_append(b, t, varint_encode(t, v));
}

size_t buf_put_varlong(struct buf *b, int64_t v)
{
    uint8_t t[10];
    return buf_append(b, t, varlong_encode(t, v));
}

size_t buf_put_uvarint(struct buf *b, uint64_t v)
{
    uint8_t t[10];
    return buf_append(b, t, uvarint_encode(t, v));
}

size_t buf_printf(struct buf *b, const char *fmt, ...)
{
    size_t off = b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return off;
    }
    /* vsnprintf needs room for the NUL it always writes. */
    if (buf_reserve(b, (size_t)n + 1))
        return off;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return off;
}

void buf_patch_i16(struct buf *b, size_t off, int16_t v)
{
    if (!b->failed && off + 2 <= b->len)
        be16_store(b->data + off, (uint16_t)v);
}

void buf_patch_i32(struct buf *b, size_t off, int32_t v)
{
    if (!b->failed && off + 4 <= b->len)
        be32_store(b->data + off, (uint32_t)v);
}

void buf_patch_i64(struct buf *b, size_t off, int64_t v)
{
    if (!b->failed && off + 8 <= b->len)
        be64_store(b->data + off, (uint64_t)v);
}
