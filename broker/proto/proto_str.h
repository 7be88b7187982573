/*
 * Views of Kafka STRING and BYTES fields.
 *
 * Owns nothing: a view points into a request buffer (or any memory the caller
 * keeps alive) and is never NUL-terminated. Decoders hand out views instead of
 * copies so a 1 MiB Produce costs no copy; encoders take views so a handler can
 * echo a topic name from the request without copying it either.
 *
 * Null is ptr == NULL, so a zeroed response struct has Kafka's "default": "null"
 * in every nullable field; an empty non-null value has a non-NULL ptr.
 */
#ifndef GREGOR_BROKER_PROTO_STR_H
#define GREGOR_BROKER_PROTO_STR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct proto_str {
    const char *ptr; /* first byte, or NULL when the field is null; borrowed */
    int32_t len;     /* byte count (0 when null) */
};

struct proto_bytes {
    const uint8_t *ptr; /* first byte, or NULL when the field is null; borrowed */
    int32_t len;        /* byte count (0 when null) */
};

#define PROTO_STR_NULL   ((struct proto_str){NULL, 0})
#define PROTO_BYTES_NULL ((struct proto_bytes){NULL, 0})

static inline bool proto_str_is_null(struct proto_str s)
{
    return s.ptr == NULL;
}

/* Returns a view of the NUL-terminated s (borrowed; NULL gives a null view).
 * Strings longer than INT32_MAX are not representable and give a null view. */
static inline struct proto_str proto_str_cstr(const char *s)
{
    if (!s)
        return PROTO_STR_NULL;
    size_t n = strlen(s);
    return n > INT32_MAX ? PROTO_STR_NULL : (struct proto_str){s, (int32_t)n};
}

/* True if the view holds exactly the NUL-terminated s (borrows both). */
static inline bool proto_str_eq(struct proto_str a, const char *s)
{
    if (!a.ptr || !s)
        return !a.ptr && !s;
    return strlen(s) == (size_t)a.len && memcmp(a.ptr, s, (size_t)a.len) == 0;
}

#endif
