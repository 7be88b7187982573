/*
 * Response buffer with file ranges (see proto_out.h).
 *
 * The MEM chunks are not written as the encoders go: the bytes between two
 * file ranges form one chunk, closed when the next file range arrives or the
 * frame ends. Offsets rather than pointers are stored because the buffer
 * moves when it grows.
 */
#include "broker/proto/proto_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void proto_out_init(struct proto_out *o)
{
    memset(o, 0, sizeof(*o));
    buf_init(&o->buf);
}

void proto_out_destroy(struct proto_out *o)
{
    for (size_t i = 0; i < o->nchunks; i++) {
        struct proto_out_file *f = &o->chunks[i].file;
        if (o->chunks[i].kind == PROTO_OUT_FILE && f->release)
            f->release(f->owner);
    }
    free(o->chunks);
    buf_destroy(&o->buf);
    proto_out_init(o);
}

void proto_out_fail(struct proto_out *o, int err)
{
    if (!o->err)
        o->err = err;
}

static bool failed(const struct proto_out *o)
{
    return proto_out_status(o) != 0;
}

static bool push_chunk(struct proto_out *o, const struct proto_out_chunk *c)
{
    if (o->nchunks == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        struct proto_out_chunk *p = realloc(o->chunks, cap * sizeof(*p));
        if (!p) {
            proto_out_fail(o, GR_E_NOMEM);
            return false;
        }
        o->chunks = p;
        o->cap = cap;
    }
    o->chunks[o->nchunks++] = *c;
    return true;
}

/* Closes the open MEM chunk (the bytes written since the last file range),
 * merging it into the previous chunk when that one is MEM and adjacent. */
static void close_mem(struct proto_out *o)
{
    size_t end = o->buf.len;
    if (end == o->mem_start || failed(o))
        return;
    struct proto_out_chunk *last = o->nchunks ? &o->chunks[o->nchunks - 1] : NULL;
    if (last && last->kind == PROTO_OUT_MEM && last->off + last->len == o->mem_start) {
        last->len += end - o->mem_start;
    } else {
        struct proto_out_chunk c = {
            .kind = PROTO_OUT_MEM, .off = o->mem_start, .len = end - o->mem_start};
        if (!push_chunk(o, &c))
            return;
    }
    o->mem_start = end;
}

void proto_out_begin_response(struct proto_out *o, int32_t correlation_id)
{
    o->frame_start = o->buf.len;
    o->frame_file_bytes = o->file_bytes;
    buf_put_i32(&o->buf, 0); /* size, patched by proto_out_end_response() */
    buf_put_i32(&o->buf, correlation_id);
}

int proto_out_end_response(struct proto_out *o)
{
    /* The size prefix counts itself out but the file bytes in. */
    int64_t size =
        (int64_t)(o->buf.len - o->frame_start) - 4 + (o->file_bytes - o->frame_file_bytes);
    if (size > INT32_MAX)
        proto_out_fail(o, GR_E_TOO_LARGE);
    if (!failed(o))
        buf_patch_i32(&o->buf, o->frame_start, (int32_t)size);
    close_mem(o);
    return proto_out_status(o);
}

void proto_out_i8(struct proto_out *o, int8_t v)
{
    buf_put_i8(&o->buf, v);
}

void proto_out_i16(struct proto_out *o, int16_t v)
{
    buf_put_i16(&o->buf, v);
}

void proto_out_i32(struct proto_out *o, int32_t v)
{
    buf_put_i32(&o->buf, v);
}

void proto_out_i64(struct proto_out *o, int64_t v)
{
    buf_put_i64(&o->buf, v);
}

void proto_out_bool(struct proto_out *o, bool v)
{
    buf_put_i8(&o->buf, v ? 1 : 0);
}

/* True if s can be written as a (non-null) STRING; fails o otherwise. */
static bool encodable_string(struct proto_out *o, struct proto_str s)
{
    if (!s.ptr || s.len < 0 || s.len > INT16_MAX) {
        proto_out_fail(o, GR_E_INVALID);
        return false;
    }
    return true;
}

void proto_out_string(struct proto_out *o, struct proto_str s)
{
    if (!encodable_string(o, s))
        return;
    buf_put_i16(&o->buf, (int16_t)s.len);
    buf_append(&o->buf, s.ptr, (size_t)s.len);
}

void proto_out_nullable_string(struct proto_out *o, struct proto_str s)
{
    if (!s.ptr)
        buf_put_i16(&o->buf, -1);
    else
        proto_out_string(o, s);
}

void proto_out_nullable_bytes(struct proto_out *o, struct proto_bytes b)
{
    if (!b.ptr) {
        buf_put_i32(&o->buf, -1);
        return;
    }
    if (b.len < 0) {
        proto_out_fail(o, GR_E_INVALID);
        return;
    }
    buf_put_i32(&o->buf, b.len);
    buf_append(&o->buf, b.ptr, (size_t)b.len);
}

void proto_out_array(struct proto_out *o, int32_t count, const void *items)
{
    if (count < 0 || (count > 0 && !items)) {
        proto_out_fail(o, GR_E_INVALID);
        return;
    }
    buf_put_i32(&o->buf, count);
}

void proto_out_uvarint(struct proto_out *o, uint32_t v)
{
    buf_put_uvarint(&o->buf, v);
}

void proto_out_varint(struct proto_out *o, int32_t v)
{
    buf_put_varint(&o->buf, v);
}

void proto_out_varlong(struct proto_out *o, int64_t v)
{
    buf_put_varlong(&o->buf, v);
}

void proto_out_uuid(struct proto_out *o, const uint8_t v[16])
{
    buf_append(&o->buf, v, 16);
}

void proto_out_bytes(struct proto_out *o, struct proto_bytes b)
{
    if (!b.ptr) {
        proto_out_fail(o, GR_E_INVALID);
        return;
    }
    proto_out_nullable_bytes(o, b);
}

/* The COMPACT_ forms: length + 1, 0 for null. valid says whether a non-null
 * value may be written. */
static void put_compact(struct proto_out *o, const void *ptr, int32_t len, bool valid,
                        bool nullable)
{
    if (!ptr && nullable) {
        buf_put_uvarint(&o->buf, 0);
        return;
    }
    if (!ptr || !valid) {
        proto_out_fail(o, GR_E_INVALID);
        return;
    }
    buf_put_uvarint(&o->buf, (uint64_t)len + 1);
    buf_append(&o->buf, ptr, (size_t)len);
}

void proto_out_compact_string(struct proto_out *o, struct proto_str s, bool nullable)
{
    put_compact(o, s.ptr, s.len, s.len >= 0 && s.len <= INT16_MAX, nullable);
}

void proto_out_compact_bytes(struct proto_out *o, struct proto_bytes b, bool nullable)
{
    put_compact(o, b.ptr, b.len, b.len >= 0, nullable);
}

void proto_out_count(struct proto_out *o, bool compact, bool nullable, int32_t count,
                     const void *items)
{
    if (count == -1 && nullable) {
        if (compact)
            buf_put_uvarint(&o->buf, 0);
        else
            buf_put_i32(&o->buf, -1);
        return;
    }
    if (!compact) {
        proto_out_array(o, count, items);
    } else if (count < 0 || (count > 0 && !items)) {
        proto_out_fail(o, GR_E_INVALID);
    } else {
        buf_put_uvarint(&o->buf, (uint64_t)count + 1);
    }
}

void proto_out_append_mem(struct proto_out *o, const struct proto_out *from)
{
    if (proto_out_status(from))
        proto_out_fail(o, proto_out_status(from));
    else if (from->nchunks || from->file_bytes)
        proto_out_fail(o, GR_E_INVALID);
    else
        buf_append(&o->buf, from->buf.data, from->buf.len);
}

void proto_out_add_file(struct proto_out *o, const struct proto_out_file *f)
{
    if (f->len < 0 || f->fd < 0)
        proto_out_fail(o, GR_E_INVALID);
    close_mem(o);
    struct proto_out_chunk c = {.kind = PROTO_OUT_FILE, .len = (size_t)f->len, .file = *f};
    if (failed(o) || !push_chunk(o, &c)) {
        if (f->release)
            f->release(f->owner);
        return;
    }
    o->file_bytes += f->len;
}

size_t proto_out_chunks(const struct proto_out *o, const struct proto_out_chunk **chunks)
{
    *chunks = o->chunks;
    return o->nchunks;
}

/* Reads len bytes at pos of fd into dst, retrying short reads. */
static int read_file_range(const struct proto_out_file *f, struct buf *dst)
{
    if (f->len == 0)
        return 0;
    uint8_t *p = buf_grow(dst, (size_t)f->len);
    if (!p)
        return GR_E_NOMEM;
    size_t done = 0;
    while (done < (size_t)f->len) {
        ssize_t n = pread(f->fd, p + done, (size_t)f->len - done, (off_t)(f->pos + (int64_t)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return GR_E_IO;
        done += (size_t)n;
    }
    return 0;
}

int proto_out_copy_to(const struct proto_out *o, struct buf *dst)
{
    for (size_t i = 0; i < o->nchunks; i++) {
        const struct proto_out_chunk *c = &o->chunks[i];
        if (c->kind == PROTO_OUT_MEM) {
            buf_append(dst, proto_out_chunk_mem(o, c), c->len);
        } else {
            int rc = read_file_range(&c->file, dst);
            if (rc)
                return rc;
        }
    }
    /* Bytes after the last chunk: a body encoded without a frame (a
     * request body the broker's client sends) has no closed chunk yet. */
    if (o->buf.len > o->mem_start)
        buf_append(dst, o->buf.data + o->mem_start, o->buf.len - o->mem_start);
    return buf_failed(dst) ? GR_E_NOMEM : 0;
}
