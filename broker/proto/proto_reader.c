/*
 * Bounds-checked read cursor (see proto_reader.h for the rules it enforces).
 *
 * Every read goes through take(), the one place that compares a length with
 * what remains, so no other function can read past the end.
 */
#include "broker/proto/proto_reader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/bytes.h"
#include "common/err.h"

/* A non-NULL empty view: an empty non-null value must not read as null. */
static const char empty[1] = "";

void proto_reader_init(struct proto_reader *r, const void *data, size_t len)
{
    /* A NULL frame reads as an empty one; base is never NULL, so pointer
     * arithmetic on it is always defined. */
    r->base = data ? data : (const uint8_t *)empty;
    r->len = data ? len : 0;
    r->pos = 0;
    r->err = 0;
    r->reason[0] = '\0';
}

void proto_reader_fail(struct proto_reader *r, int err, const char *fmt, ...)
{
    if (r->err)
        return;
    r->err = err;
    int n = snprintf(r->reason, sizeof(r->reason), "at offset %zu: ", r->pos);
    if (n < 0 || (size_t)n >= sizeof(r->reason))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason + n, sizeof(r->reason) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Returns a pointer to the next n bytes and moves past them, or NULL (and
 * fails the reader) if fewer than n remain. */
static const uint8_t *take(struct proto_reader *r, size_t n, const char *what)
{
    if (r->err)
        return NULL;
    if (n > r->len - r->pos) {
        proto_reader_fail(r, GR_E_CORRUPT, "%s needs %zu bytes, %zu remain", what, n,
                          r->len - r->pos);
        return NULL;
    }
    const uint8_t *p = r->base + r->pos;
    r->pos += n;
    return p;
}

int8_t proto_reader_i8(struct proto_reader *r)
{
    const uint8_t *p = take(r, 1, "int8");
    return p ? (int8_t)p[0] : 0;
}

int16_t proto_reader_i16(struct proto_reader *r)
{
    const uint8_t *p = take(r, 2, "int16");
    return p ? (int16_t)be16_load(p) : 0;
}

int32_t proto_reader_i32(struct proto_reader *r)
{
    const uint8_t *p = take(r, 4, "int32");
    return p ? (int32_t)be32_load(p) : 0;
}

int64_t proto_reader_i64(struct proto_reader *r)
{
    const uint8_t *p = take(r, 8, "int64");
    return p ? (int64_t)be64_load(p) : 0;
}

bool proto_reader_bool(struct proto_reader *r)
{
    return proto_reader_i8(r) != 0;
}

/* Reads an unsigned varint of at most maxbytes whose value must not exceed max. */
static uint64_t read_uvarint(struct proto_reader *r, size_t maxbytes, uint64_t max,
                             const char *what)
{
    if (r->err)
        return 0;
    uint64_t v;
    size_t n = uvarint_decode(r->base + r->pos, r->base + r->len, maxbytes, &v);
    if (!n) {
        proto_reader_fail(r, GR_E_CORRUPT, "%s is truncated or longer than %zu bytes", what,
                          maxbytes);
        return 0;
    }
    if (v > max) {
        proto_reader_fail(r, GR_E_CORRUPT, "%s value %" PRIu64 " does not fit", what, v);
        return 0;
    }
    r->pos += n;
    return v;
}

uint32_t proto_reader_uvarint(struct proto_reader *r)
{
    return (uint32_t)read_uvarint(r, 5, UINT32_MAX, "unsigned varint");
}

int32_t proto_reader_varint(struct proto_reader *r)
{
    uint32_t u = (uint32_t)read_uvarint(r, 5, UINT32_MAX, "varint");
    return (int32_t)((u >> 1) ^ -(u & 1));
}

int64_t proto_reader_varlong(struct proto_reader *r)
{
    uint64_t u = read_uvarint(r, 10, UINT64_MAX, "varlong");
    return (int64_t)((u >> 1) ^ -(u & 1));
}

/* Takes a length-prefixed value whose length (already read) is len; -1 means
 * null and is allowed only if nullable. Returns the bytes, NULL for null or on
 * failure (*is_null tells which). */
static const uint8_t *take_sized(struct proto_reader *r, int64_t len, bool nullable,
                                 const char *what, bool *is_null)
{
    *is_null = false;
    if (r->err)
        return NULL;
    if (len == -1 && nullable) {
        *is_null = true;
        return NULL;
    }
    if (len < 0) {
        if (len == -1)
            proto_reader_fail(r, GR_E_CORRUPT, "null %s where the field is not nullable", what);
        else
            proto_reader_fail(r, GR_E_CORRUPT, "%s length %" PRId64 " is negative", what, len);
        return NULL;
    }
    if ((uint64_t)len > r->len - r->pos) {
        proto_reader_fail(r, GR_E_CORRUPT, "%s length %" PRId64 " exceeds the %zu bytes remaining",
                          what, len, r->len - r->pos);
        return NULL;
    }
    const uint8_t *p = r->base + r->pos;
    r->pos += (size_t)len;
    return p;
}

static struct proto_str make_str(const uint8_t *p, int64_t len, bool is_null)
{
    if (is_null)
        return PROTO_STR_NULL;
    if (!p)
        return (struct proto_str){empty, 0};
    return (struct proto_str){(const char *)p, (int32_t)len};
}

static struct proto_bytes make_bytes(const uint8_t *p, int64_t len, bool is_null)
{
    if (is_null)
        return PROTO_BYTES_NULL;
    if (!p)
        return (struct proto_bytes){(const uint8_t *)empty, 0};
    return (struct proto_bytes){p, (int32_t)len};
}

static struct proto_str read_string(struct proto_reader *r, bool nullable)
{
    bool is_null;
    int16_t len = proto_reader_i16(r);
    const uint8_t *p = take_sized(r, len, nullable, "string", &is_null);
    return make_str(p, len, is_null);
}

struct proto_str proto_reader_string(struct proto_reader *r)
{
    return read_string(r, false);
}

struct proto_str proto_reader_nullable_string(struct proto_reader *r)
{
    return read_string(r, true);
}

static struct proto_bytes read_bytes(struct proto_reader *r, bool nullable)
{
    bool is_null;
    int32_t len = proto_reader_i32(r);
    const uint8_t *p = take_sized(r, len, nullable, "bytes", &is_null);
    return make_bytes(p, len, is_null);
}

struct proto_bytes proto_reader_bytes(struct proto_reader *r)
{
    return read_bytes(r, false);
}

struct proto_bytes proto_reader_nullable_bytes(struct proto_reader *r)
{
    return read_bytes(r, true);
}

/* Compact lengths are stored plus one, so 0 is null and the largest value a
 * 32-bit varint holds maps to a length beyond INT32_MAX, which take_sized
 * rejects because no frame is that long. */
static int64_t read_compact_len(struct proto_reader *r, const char *what)
{
    return (int64_t)read_uvarint(r, 5, UINT32_MAX, what) - 1;
}

struct proto_str proto_reader_compact_string(struct proto_reader *r)
{
    bool is_null;
    int64_t len = read_compact_len(r, "compact string length");
    const uint8_t *p = take_sized(r, len, false, "compact string", &is_null);
    return make_str(p, len, is_null);
}

struct proto_str proto_reader_compact_nullable_string(struct proto_reader *r)
{
    bool is_null;
    int64_t len = read_compact_len(r, "compact string length");
    const uint8_t *p = take_sized(r, len, true, "compact string", &is_null);
    return make_str(p, len, is_null);
}

struct proto_bytes proto_reader_compact_bytes(struct proto_reader *r)
{
    bool is_null;
    int64_t len = read_compact_len(r, "compact bytes length");
    const uint8_t *p = take_sized(r, len, false, "compact bytes", &is_null);
    return make_bytes(p, len, is_null);
}

struct proto_bytes proto_reader_compact_nullable_bytes(struct proto_reader *r)
{
    bool is_null;
    int64_t len = read_compact_len(r, "compact bytes length");
    const uint8_t *p = take_sized(r, len, true, "compact bytes", &is_null);
    return make_bytes(p, len, is_null);
}

void proto_reader_skip_tagged_fields(struct proto_reader *r)
{
    uint32_t count = proto_reader_uvarint(r);
    /* Each field takes at least two bytes (tag, size): a larger count is a lie,
     * and checking it up front keeps a hostile count from spinning here. */
    if (count > proto_reader_remaining(r) / 2) {
        proto_reader_fail(r, GR_E_CORRUPT, "%" PRIu32 " tagged fields cannot fit in %zu bytes",
                          count, proto_reader_remaining(r));
        return;
    }
    for (uint32_t i = 0; i < count && !r->err; i++) {
        proto_reader_uvarint(r); /* the tag: gregor knows no tagged fields */
        uint32_t size = proto_reader_uvarint(r);
        take(r, size, "tagged field");
    }
}

/* Fails r unless count elements of at least min_elem_size bytes each can
 * fit in what remains. n < 2^32 and min_elem_size is a small constant: the
 * product fits 64 bits. */
static int32_t check_count(struct proto_reader *r, int64_t n, size_t min_elem_size)
{
    if (min_elem_size == 0)
        min_elem_size = 1;
    uint64_t need = (uint64_t)n * min_elem_size;
    if (need > r->len - r->pos) {
        proto_reader_fail(r, GR_E_CORRUPT,
                          "array count %" PRId64 " needs at least %" PRIu64 " bytes, %zu remain", n,
                          need, r->len - r->pos);
        return 0;
    }
    return (int32_t)n;
}

static int32_t read_array(struct proto_reader *r, size_t min_elem_size, bool nullable)
{
    int32_t n = proto_reader_i32(r);
    if (r->err)
        return 0;
    if (n == -1 && nullable)
        return -1;
    if (n < 0) {
        if (n == -1)
            proto_reader_fail(r, GR_E_CORRUPT, "null array where the array is not nullable");
        else
            proto_reader_fail(r, GR_E_CORRUPT, "array count %" PRId32 " is negative", n);
        return 0;
    }
    return check_count(r, n, min_elem_size);
}

int32_t proto_reader_compact_array(struct proto_reader *r, size_t min_elem_size, bool nullable)
{
    uint32_t n = proto_reader_uvarint(r);
    if (r->err)
        return 0;
    if (n == 0) {
        if (nullable)
            return -1;
        proto_reader_fail(r, GR_E_CORRUPT, "null array where the array is not nullable");
        return 0;
    }
    /* n - 1 < 2^32 - 1 but a count must fit int32, as in the non-compact form. */
    if (n - 1 > INT32_MAX) {
        proto_reader_fail(r, GR_E_CORRUPT, "array count %" PRIu32 " is too large", n - 1);
        return 0;
    }
    return check_count(r, (int64_t)n - 1, min_elem_size);
}

void proto_reader_uuid(struct proto_reader *r, uint8_t out[16])
{
    const uint8_t *p = take(r, 16, "uuid");
    if (p)
        memcpy(out, p, 16);
    else
        memset(out, 0, 16);
}

uint32_t proto_reader_tagged_field(struct proto_reader *r, struct proto_reader *sub)
{
    uint32_t tag = proto_reader_uvarint(r);
    uint32_t size = proto_reader_uvarint(r);
    const uint8_t *p = take(r, size, "tagged field");
    proto_reader_init(sub, p, p ? size : 0);
    return tag;
}

void proto_reader_tagged_field_end(struct proto_reader *r, const struct proto_reader *sub)
{
    if (sub->err)
        proto_reader_fail(r, sub->err, "in a tagged field: %s", sub->reason);
}

uint32_t proto_reader_tagged_count(struct proto_reader *r)
{
    uint32_t count = proto_reader_uvarint(r);
    /* Each field takes at least two bytes (tag, size). */
    if (count > proto_reader_remaining(r) / 2) {
        proto_reader_fail(r, GR_E_CORRUPT, "%" PRIu32 " tagged fields cannot fit in %zu bytes",
                          count, proto_reader_remaining(r));
        return 0;
    }
    return count;
}

int32_t proto_reader_array(struct proto_reader *r, size_t min_elem_size)
{
    return read_array(r, min_elem_size, false);
}

int32_t proto_reader_nullable_array(struct proto_reader *r, size_t min_elem_size)
{
    return read_array(r, min_elem_size, true);
}

void *proto_reader_alloc(struct proto_reader *r, struct arena *a, int32_t count, size_t size)
{
    if (r->err || count <= 0)
        return NULL;
    void *p = arena_calloc(a, (size_t)count, size);
    if (!p)
        proto_reader_fail(r, GR_E_NOMEM, "cannot allocate %" PRId32 " elements of %zu bytes", count,
                          size);
    return p;
}
