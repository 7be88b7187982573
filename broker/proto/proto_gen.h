/*
 * The field types of the message descriptions (broker/proto/proto_*.def) and
 * how each one is read, written and sized.
 *
 * Owns: for every type name a .def may use (INT8 ... RECORDS), its C type
 * (PROTO_CT_<T>), its reader (PROTO_GET_<T>, and PROTO_RD_<T> for the types
 * an array may hold), its writer (PROTO_WR_<T>), its
 * smallest encoding (PROTO_MIN_<T>, for the array-count check), an equality
 * test (PROTO_SAME_<T>, a tagged field equal to its default is not written)
 * and what to do with a value an encoder skips (PROTO_DROP_<T>: a file range
 * must still be released). Every macro takes flex (compact encodings) and
 * nullable as plain bools: in the generated code both are expressions of
 * constants and the version, so the compiler folds them where it can.
 *
 * Does not know any message: proto_gen_decl.h and proto_gen_impl.h expand
 * a .def with these macros (docs/PROTOCOL-DESCRIPTIONS.md).
 */
#ifndef GREGOR_BROKER_PROTO_GEN_H
#define GREGOR_BROKER_PROTO_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "broker/proto/proto_str.h"
#include "common/err.h"

struct arena;

#define PROTO_BYTES_EMPTY ((struct proto_bytes){(const uint8_t *)"", 0})

/* True if lo <= v <= hi: every version test in generated code is this. A
 * function rather than a macro so that a bound of INT16_MAX draws no
 * "always true" warning; inlined, it folds just the same. */
static inline bool proto_gen_in(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}
#define PROTO_IN(v, lo, hi) proto_gen_in(v, lo, hi)

/* A Kafka UUID (16 bytes, as on the wire). */
struct proto_uuid {
    uint8_t b[16]; /* big-endian most then least significant 64 bits */
};

enum proto_records_kind {
    PROTO_RECORDS_MEM = 0, /* bytes in memory; a zeroed struct is an empty record set */
    PROTO_RECORDS_FILE,    /* a range of a segment file */
    PROTO_RECORDS_NULL,    /* a null record set (length -1) */
};

/* A RECORDS field: a view of record batches, never parsed by the codec.
 * Decoding gives MEM (a view into the frame) or NULL. Encoding copies MEM
 * and hands FILE to the proto_out as a file chunk, so the connection can
 * sendfile(2) it; the encoder takes ownership of the range's owner. */
struct proto_records {
    enum proto_records_kind kind; /* which of the two below applies */
    /* One or the other, so that a decoded Produce partition stays small:
     * its arena array is allocated per request. */
    union {
        struct proto_bytes mem;     /* MEM: borrowed, copied by the encoder; NULL ptr = empty */
        struct proto_out_file file; /* FILE: the range; its owner passes to the out */
    };
};

/* Writes a RECORDS value; takes ownership of a FILE range's owner. Inline:
 * it runs once per partition of every Fetch response. */
static inline void proto_gen_write_records(struct proto_out *o, const struct proto_records *rs,
                                           bool flex, bool nullable)
{
    switch (rs->kind) {
    case PROTO_RECORDS_MEM:
        /* A NULL ptr here means empty, never null. */
        if (rs->mem.len < 0 || (!rs->mem.ptr && rs->mem.len != 0))
            proto_out_fail(o, GR_E_INVALID);
        else if (flex)
            proto_out_compact_bytes(o, rs->mem.ptr ? rs->mem : PROTO_BYTES_EMPTY, false);
        else if (rs->mem.ptr)
            proto_out_nullable_bytes(o, rs->mem);
        else
            proto_out_i32(o, 0);
        return;
    case PROTO_RECORDS_FILE:
        if (flex)
            proto_out_uvarint(o, rs->file.len < 0 ? 0 : (uint32_t)rs->file.len + 1);
        else
            proto_out_i32(o, rs->file.len);
        /* Refuses a negative length, and releases the owner on any failure. */
        proto_out_add_file(o, &rs->file);
        return;
    case PROTO_RECORDS_NULL:
        if (!nullable)
            proto_out_fail(o, GR_E_INVALID);
        else if (flex)
            proto_out_uvarint(o, 0);
        else
            proto_out_i32(o, -1);
        return;
    }
    proto_out_fail(o, GR_E_INVALID);
}

/* Releases a FILE range's owner that an encoder does not write. */
static inline void proto_gen_drop_records(const struct proto_records *rs)
{
    if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
        rs->file.release(rs->file.owner);
}

/* An array count (proto_out_count()), with the common case inline. */
static inline void proto_gen_write_count(struct proto_out *o, bool flex, bool nullable,
                                         int32_t count, const void *items)
{
    if (!flex && count >= 0 && (count == 0 || items))
        proto_out_i32(o, count);
    else
        proto_out_count(o, flex, nullable, count, items);
}

static inline struct proto_str proto_gen_read_string(struct proto_reader *r, bool flex,
                                                     bool nullable)
{
    if (flex)
        return nullable ? proto_reader_compact_nullable_string(r) : proto_reader_compact_string(r);
    return nullable ? proto_reader_nullable_string(r) : proto_reader_string(r);
}

static inline void proto_gen_write_string(struct proto_out *o, struct proto_str s, bool flex,
                                          bool nullable)
{
    if (flex)
        proto_out_compact_string(o, s, nullable);
    else if (nullable)
        proto_out_nullable_string(o, s);
    else
        proto_out_string(o, s);
}

static inline struct proto_bytes proto_gen_read_bytes(struct proto_reader *r, bool flex,
                                                      bool nullable)
{
    if (flex)
        return nullable ? proto_reader_compact_nullable_bytes(r) : proto_reader_compact_bytes(r);
    return nullable ? proto_reader_nullable_bytes(r) : proto_reader_bytes(r);
}

static inline void proto_gen_write_bytes(struct proto_out *o, struct proto_bytes b, bool flex,
                                         bool nullable)
{
    if (flex)
        proto_out_compact_bytes(o, b, nullable);
    else if (nullable)
        proto_out_nullable_bytes(o, b);
    else
        proto_out_bytes(o, b);
}

/* Reads RECORDS into *rs (kind and mem only: a decoded value is never a file
 * range). Writes the fields in place rather than returning the struct: a
 * struct built on the stack and copied costs a store-forwarding stall per
 * partition on the Produce path. */
static inline void proto_gen_read_records(struct proto_reader *r, struct proto_records *rs,
                                          bool flex, bool nullable)
{
    rs->mem = proto_gen_read_bytes(r, flex, nullable);
    rs->kind = rs->mem.ptr ? PROTO_RECORDS_MEM : PROTO_RECORDS_NULL;
}

static inline struct proto_uuid proto_gen_read_uuid(struct proto_reader *r)
{
    struct proto_uuid u;
    proto_reader_uuid(r, u.b);
    return u;
}

/* An array count; -1 is null (only when nullable). min is the smallest
 * encoding of one element. */
static inline int32_t proto_gen_read_count(struct proto_reader *r, bool flex, bool nullable,
                                           size_t min)
{
    if (flex)
        return proto_reader_compact_array(r, min, nullable);
    return nullable ? proto_reader_nullable_array(r, min) : proto_reader_array(r, min);
}

/* True if an array the caller gave can be walked (count >= 0, items present):
 * an encoder never dereferences an array it has refused. */
static inline bool proto_gen_walkable(int32_t count, const void *items)
{
    return count >= 0 && (count == 0 || items);
}

static inline bool proto_gen_same_str(struct proto_str a, struct proto_str b)
{
    if (!a.ptr || !b.ptr)
        return !a.ptr && !b.ptr;
    return a.len == b.len && memcmp(a.ptr, b.ptr, (size_t)a.len) == 0;
}

static inline bool proto_gen_same_bytes(struct proto_bytes a, struct proto_bytes b)
{
    if (!a.ptr || !b.ptr)
        return !a.ptr && !b.ptr;
    return a.len == b.len && memcmp(a.ptr, b.ptr, (size_t)a.len) == 0;
}

#define PROTO_CT_INT8    int8_t
#define PROTO_CT_INT16   int16_t
#define PROTO_CT_INT32   int32_t
#define PROTO_CT_INT64   int64_t
#define PROTO_CT_BOOL    bool
#define PROTO_CT_VARINT  int32_t
#define PROTO_CT_VARLONG int64_t
#define PROTO_CT_UUID    struct proto_uuid
#define PROTO_CT_STRING  struct proto_str
#define PROTO_CT_BYTES   struct proto_bytes
#define PROTO_CT_RECORDS struct proto_records

#define PROTO_RD_INT8(r, flex, nullable)    proto_reader_i8(r)
#define PROTO_RD_INT16(r, flex, nullable)   proto_reader_i16(r)
#define PROTO_RD_INT32(r, flex, nullable)   proto_reader_i32(r)
#define PROTO_RD_INT64(r, flex, nullable)   proto_reader_i64(r)
#define PROTO_RD_BOOL(r, flex, nullable)    proto_reader_bool(r)
#define PROTO_RD_VARINT(r, flex, nullable)  proto_reader_varint(r)
#define PROTO_RD_VARLONG(r, flex, nullable) proto_reader_varlong(r)
#define PROTO_RD_UUID(r, flex, nullable)    proto_gen_read_uuid(r)
#define PROTO_RD_STRING(r, flex, nullable)  proto_gen_read_string(r, flex, nullable)
#define PROTO_RD_BYTES(r, flex, nullable)   proto_gen_read_bytes(r, flex, nullable)

/* Reads a field into *dst. */
#define PROTO_GET_INT8(r, dst, flex, nullable)    (*(dst) = PROTO_RD_INT8(r, flex, nullable))
#define PROTO_GET_INT16(r, dst, flex, nullable)   (*(dst) = PROTO_RD_INT16(r, flex, nullable))
#define PROTO_GET_INT32(r, dst, flex, nullable)   (*(dst) = PROTO_RD_INT32(r, flex, nullable))
#define PROTO_GET_INT64(r, dst, flex, nullable)   (*(dst) = PROTO_RD_INT64(r, flex, nullable))
#define PROTO_GET_BOOL(r, dst, flex, nullable)    (*(dst) = PROTO_RD_BOOL(r, flex, nullable))
#define PROTO_GET_VARINT(r, dst, flex, nullable)  (*(dst) = PROTO_RD_VARINT(r, flex, nullable))
#define PROTO_GET_VARLONG(r, dst, flex, nullable) (*(dst) = PROTO_RD_VARLONG(r, flex, nullable))
#define PROTO_GET_UUID(r, dst, flex, nullable)    (*(dst) = PROTO_RD_UUID(r, flex, nullable))
#define PROTO_GET_STRING(r, dst, flex, nullable)  (*(dst) = PROTO_RD_STRING(r, flex, nullable))
#define PROTO_GET_BYTES(r, dst, flex, nullable)   (*(dst) = PROTO_RD_BYTES(r, flex, nullable))
#define PROTO_GET_RECORDS(r, dst, flex, nullable) proto_gen_read_records(r, dst, flex, nullable)

#define PROTO_WR_INT8(o, v, flex, nullable)    proto_out_i8(o, v)
#define PROTO_WR_INT16(o, v, flex, nullable)   proto_out_i16(o, v)
#define PROTO_WR_INT32(o, v, flex, nullable)   proto_out_i32(o, v)
#define PROTO_WR_INT64(o, v, flex, nullable)   proto_out_i64(o, v)
#define PROTO_WR_BOOL(o, v, flex, nullable)    proto_out_bool(o, v)
#define PROTO_WR_VARINT(o, v, flex, nullable)  proto_out_varint(o, v)
#define PROTO_WR_VARLONG(o, v, flex, nullable) proto_out_varlong(o, v)
#define PROTO_WR_UUID(o, v, flex, nullable)    proto_out_uuid(o, (v).b)
#define PROTO_WR_STRING(o, v, flex, nullable)  proto_gen_write_string(o, v, flex, nullable)
#define PROTO_WR_BYTES(o, v, flex, nullable)   proto_gen_write_bytes(o, v, flex, nullable)
#define PROTO_WR_RECORDS(o, v, flex, nullable) proto_gen_write_records(o, &(v), flex, nullable)

/* Smallest encoding in bytes (a null or empty value, a one-byte varint). */
#define PROTO_MIN_INT8(flex)    1
#define PROTO_MIN_INT16(flex)   2
#define PROTO_MIN_INT32(flex)   4
#define PROTO_MIN_INT64(flex)   8
#define PROTO_MIN_BOOL(flex)    1
#define PROTO_MIN_VARINT(flex)  1
#define PROTO_MIN_VARLONG(flex) 1
#define PROTO_MIN_UUID(flex)    16
#define PROTO_MIN_STRING(flex)  ((flex) ? 1 : 2)
#define PROTO_MIN_BYTES(flex)   ((flex) ? 1 : 4)
#define PROTO_MIN_RECORDS(flex) ((flex) ? 1 : 4)

#define PROTO_SAME_INT8(a, b)    ((a) == (b))
#define PROTO_SAME_INT16(a, b)   ((a) == (b))
#define PROTO_SAME_INT32(a, b)   ((a) == (b))
#define PROTO_SAME_INT64(a, b)   ((a) == (b))
#define PROTO_SAME_BOOL(a, b)    ((a) == (b))
#define PROTO_SAME_VARINT(a, b)  ((a) == (b))
#define PROTO_SAME_VARLONG(a, b) ((a) == (b))
#define PROTO_SAME_UUID(x, y)    (memcmp((x).b, (y).b, 16) == 0)
#define PROTO_SAME_STRING(a, b)  proto_gen_same_str(a, b)
#define PROTO_SAME_BYTES(a, b)   proto_gen_same_bytes(a, b)

#define PROTO_DROP_INT8(v)    ((void)0)
#define PROTO_DROP_INT16(v)   ((void)0)
#define PROTO_DROP_INT32(v)   ((void)0)
#define PROTO_DROP_INT64(v)   ((void)0)
#define PROTO_DROP_BOOL(v)    ((void)0)
#define PROTO_DROP_VARINT(v)  ((void)0)
#define PROTO_DROP_VARLONG(v) ((void)0)
#define PROTO_DROP_UUID(v)    ((void)0)
#define PROTO_DROP_STRING(v)  ((void)0)
#define PROTO_DROP_BYTES(v)   ((void)0)
#define PROTO_DROP_RECORDS(v) proto_gen_drop_records(&(v))

/* Defaults a .def may name. */
#define PROTO_STR_EMPTY     ((struct proto_str){"", 0})
#define PROTO_UUID_ZERO     ((struct proto_uuid){{0}})
#define PROTO_RECORDS_EMPTY ((struct proto_records){.kind = PROTO_RECORDS_MEM})

#endif
