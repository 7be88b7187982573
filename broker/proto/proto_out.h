/*
 * An encoded response, ready for writev(2) and sendfile(2).
 *
 * Owns: a byte buffer with everything the encoders write, and a list of
 * chunks in send order. A chunk is either a range of that buffer or a range of
 * a file (Fetch record data read straight from a segment file), so the
 * connection layer can send record data with sendfile(2) without copying it
 * through user space. A file range also carries an owner reference (what keeps
 * the segment and its fd alive); the out calls release(owner) exactly once for
 * each range it was given, when it is destroyed.
 *
 * Does not send anything, and does not know any message layout: the per-API
 * encoders write through the proto_out_* writers below, and the connection
 * layer walks the chunks. Writers never fail one call at a time: the first
 * failure is kept (sticky, like struct buf) and returned by
 * proto_out_end_response() and proto_out_status().
 *
 * One out may hold several response frames one after another (pipelined
 * responses for one connection); each frame is written between
 * proto_out_begin_response() and proto_out_end_response().
 */
#ifndef GREGOR_BROKER_PROTO_OUT_H
#define GREGOR_BROKER_PROTO_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"
#include "common/buf.h"
#include "common/err.h"

/* A range of an open file to be sent as part of a response. */
struct proto_out_file {
    int fd;                       /* file to read from; kept open by owner */
    int64_t pos;                  /* offset of the first byte in the file */
    int32_t len;                  /* bytes to send (>= 0) */
    void *owner;                  /* reference that keeps fd valid; handed to release */
    void (*release)(void *owner); /* called once when the out is done; may be NULL */
};

enum proto_out_chunk_kind {
    PROTO_OUT_MEM,  /* bytes of the out's buffer */
    PROTO_OUT_FILE, /* a file range */
};

struct proto_out_chunk {
    enum proto_out_chunk_kind kind; /* which of the two below applies */
    size_t off;                     /* MEM: where the bytes start in the out's buffer */
    size_t len;                     /* MEM: byte count; FILE: equals file.len */
    struct proto_out_file file;     /* FILE: the range and its owner */
};

struct proto_out {
    struct buf buf;                 /* every byte that is not a file range */
    struct proto_out_chunk *chunks; /* closed chunks in send order; owned */
    size_t nchunks;                 /* chunks in use */
    size_t cap;                     /* chunks allocated */
    size_t mem_start;               /* buffer offset where the open MEM chunk starts */
    int64_t file_bytes;             /* total length of all FILE chunks */
    size_t frame_start;             /* buffer offset of the open frame's size prefix */
    int64_t frame_file_bytes;       /* file_bytes when the open frame began */
    int err;                        /* 0 or the first gregor error */
};

/* Initialises a caller-allocated out (no allocation until the first write). */
void proto_out_init(struct proto_out *o);
/* Calls release for every file range the out was given, then frees its
 * memory. The struct may be reused after proto_out_init(). */
void proto_out_destroy(struct proto_out *o);

/* Returns 0 or the first error: GR_E_NOMEM, GR_E_INVALID (a value that cannot
 * be encoded, such as a string longer than 32767 bytes), GR_E_TOO_LARGE (a
 * frame above 2^31-1 bytes) or GR_E_UNSUPPORTED (an encoder was asked for a
 * version it does not implement). */
static inline int proto_out_status(const struct proto_out *o)
{
    return o->err ? o->err : buf_failed(&o->buf) ? GR_E_NOMEM : 0;
}
/* Records err as the out's failure unless one is already recorded. */
void proto_out_fail(struct proto_out *o, int err);

/* Starts a response frame: an int32 size (patched by end) and the response
 * header v0 (the correlation id). A flexible version's header v1 adds an
 * empty tagged-field section, which the generated encoder writes next. */
void proto_out_begin_response(struct proto_out *o, int32_t correlation_id);
/* Ends the frame: patches its size prefix, which counts file bytes too.
 * Returns proto_out_status(). */
int proto_out_end_response(struct proto_out *o);

/* Writers for the field types of the non-flexible protocol. */
void proto_out_i8(struct proto_out *o, int8_t v);
void proto_out_i16(struct proto_out *o, int16_t v);
void proto_out_i32(struct proto_out *o, int32_t v);
void proto_out_i64(struct proto_out *o, int64_t v);
void proto_out_bool(struct proto_out *o, bool v);
/* STRING: a null view or one longer than 32767 bytes fails with GR_E_INVALID. */
void proto_out_string(struct proto_out *o, struct proto_str s);
/* NULLABLE_STRING: a null view is written as length -1. */
void proto_out_nullable_string(struct proto_out *o, struct proto_str s);
/* NULLABLE_BYTES: copies the bytes (borrowed) into the buffer; null is -1. */
void proto_out_nullable_bytes(struct proto_out *o, struct proto_bytes b);
/* ARRAY count: count must be >= 0 (GR_E_INVALID otherwise), and items, the
 * element array the caller is about to write, must be non-NULL if count > 0. */
void proto_out_array(struct proto_out *o, int32_t count, const void *items);
/* Writers for the flexible versions and the newer types. */
void proto_out_uvarint(struct proto_out *o, uint32_t v);
void proto_out_varint(struct proto_out *o, int32_t v);
void proto_out_varlong(struct proto_out *o, int64_t v);
/* UUID: the 16 bytes at v (borrowed). */
void proto_out_uuid(struct proto_out *o, const uint8_t v[16]);
/* BYTES: a null view fails with GR_E_INVALID. Copies the bytes (borrowed). */
void proto_out_bytes(struct proto_out *o, struct proto_bytes b);
/* COMPACT_(NULLABLE_)STRING / BYTES: unsigned varint length + 1, 0 for null
 * (allowed only with nullable; GR_E_INVALID otherwise). Copies (borrowed). */
void proto_out_compact_string(struct proto_out *o, struct proto_str s, bool nullable);
void proto_out_compact_bytes(struct proto_out *o, struct proto_bytes b, bool nullable);
/* An array count in any form: int32 or compact (unsigned varint count + 1),
 * -1 (null) allowed only with nullable. Otherwise as proto_out_array(). */
void proto_out_count(struct proto_out *o, bool compact, bool nullable, int32_t count,
                     const void *items);
/* Appends the bytes written to from (borrowed; memory only, no frames and no
 * file ranges, else GR_E_INVALID), or from's failure. For tagged fields,
 * whose size is written before them. */
void proto_out_append_mem(struct proto_out *o, const struct proto_out *from);

/* Appends a file range at the current position. Takes ownership of the
 * owner reference: release(owner) is called exactly once, by
 * proto_out_destroy(), or before this returns if the out has already failed
 * or this call fails. A range with len < 0 or fd < 0 fails with GR_E_INVALID. */
void proto_out_add_file(struct proto_out *o, const struct proto_out_file *f);

/* Total bytes of every frame written so far, file bytes included. */
static inline int64_t proto_out_size(const struct proto_out *o)
{
    return (int64_t)o->buf.len + o->file_bytes;
}
/* Points *chunks at the chunk array (borrowed from o; valid until the next
 * write) and returns its length. Complete only after proto_out_end_response()
 * and only if proto_out_status() is 0. */
size_t proto_out_chunks(const struct proto_out *o, const struct proto_out_chunk **chunks);
/* Returns the bytes of a MEM chunk (borrowed from o, same validity). */
static inline const uint8_t *proto_out_chunk_mem(const struct proto_out *o,
                                                 const struct proto_out_chunk *c)
{
    return o->buf.data + c->off;
}
/* Appends every byte of the out to dst (closed chunks and bytes written
 * since), reading file ranges with pread(2):
 * for tests, and for a connection that cannot use sendfile(2). Returns 0,
 * GR_E_IO if a file range cannot be read in full, or GR_E_NOMEM. */
int proto_out_copy_to(const struct proto_out *o, struct buf *dst);

#endif
