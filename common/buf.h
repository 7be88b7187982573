/*
 * A growable byte buffer for building responses, files and test data.
 *
 * Writers never fail one call at a time: an allocation failure sets a sticky
 * flag, later writes become no-ops, and the caller checks buf_failed() once at
 * the end (the way librdkafka's rd_buf and Redis' sds are used). Every append
 * returns the offset it wrote at, so lengths and counts can be patched in
 * after the fact with buf_patch_*().
 *
 * It does not read: decoding lives in broker/proto's bounds-checked cursor.
 */
#ifndef GREGOR_COMMON_BUF_H
#define GREGOR_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data; /* owned; NULL until the first write */
    size_t len;    /* bytes written */
    size_t cap;    /* bytes allocated */
    bool failed;   /* an allocation failed; contents are incomplete */
};

/* Initialises a caller-allocated buffer (no allocation until first write). */
void buf_init(struct buf *b);
/* Frees the buffer's memory; the struct may be reused after buf_init(). */
void buf_destroy(struct buf *b);
/* Empties the buffer but keeps its memory. Clears the failed flag. */
void buf_reset(struct buf *b);
/* Takes the bytes out of the buffer: returns them (caller frees) and leaves
 * the buffer empty. Returns NULL if nothing was written or it failed. */
uint8_t *buf_steal(struct buf *b, size_t *len);

static inline bool buf_failed(const struct buf *b) { return b->failed; }

/* Makes room for n more bytes. Returns 0, or GR_E_NOMEM (and sets failed). */
int buf_reserve(struct buf *b, size_t n);
/* Reserves n bytes at the end and returns a pointer to them (valid until the
 * next write), or NULL on failure. The bytes count as written. */
uint8_t *buf_grow(struct buf *b, size_t n);

/* Appends; each returns the offset the value starts at. */
size_t buf_append(struct buf *b, const void *p, size_t n);
size_t buf_put_i8(struct buf *b, int8_t v);
size_t buf_put_i16(struct buf *b, int16_t v);
size_t buf_put_i32(struct buf *b, int32_t v);
size_t buf_put_i64(struct buf *b, int64_t v);
size_t buf_put_varint(struct buf *b, int32_t v);
size_t buf_put_varlong(struct buf *b, int64_t v);
size_t buf_put_uvarint(struct buf *b, uint64_t v);
/* printf into the buffer (no terminating NUL is counted in len). */
size_t buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Overwrites earlier bytes at off (which must lie inside what was written). */
void buf_patch_i16(struct buf *b, size_t off, int16_t v);
void buf_patch_i32(struct buf *b, size_t off, int32_t v);
void buf_patch_i64(struct buf *b, size_t off, int64_t v);

#endif
