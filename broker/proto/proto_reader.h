/*
 * A bounds-checked, sticky-failing read cursor over one request frame.
 *
 * Owns: the position and the first failure. Every read checks that its bytes
 * are there; the first failure is recorded with a reason a person can read
 * ("at offset 14: string length 5000 exceeds the 12 bytes remaining") and every
 * later read returns zero or an empty view, so a decoder reads field after
 * field like the schema and checks once at the end (librdkafka's rd_kafka_buf
 * works the same way, with a goto instead of a flag).
 *
 * Does not own or copy the bytes: strings and bytes come back as views into
 * the frame, which the caller keeps alive as long as the views are used. Does
 * not know any message layout; the per-API decoders do.
 *
 * Kafka's rules enforced here: a length or count of -1 is accepted only where
 * the field is nullable; a declared length must fit in the bytes that remain;
 * an array count is rejected when count x (smallest encoding of one element)
 * exceeds what remains, before anything is allocated for it.
 */
#ifndef GREGOR_BROKER_PROTO_READER_H
#define GREGOR_BROKER_PROTO_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/proto/proto_str.h"

struct arena;

struct proto_reader {
    const uint8_t *base; /* first byte of the frame; borrowed */
    size_t len;          /* frame length in bytes */
    size_t pos;          /* offset of the next byte to read */
    int err;             /* 0, or the gregor error (common/err.h) of the first failure */
    char reason[128];    /* what failed first, "" while err is 0 */
};

/* Starts reading the len bytes at data (borrowed; must outlive the reader and
 * every view it returns). */
void proto_reader_init(struct proto_reader *r, const void *data, size_t len);

/* Bytes left to read (0 after a failure). */
static inline size_t proto_reader_remaining(const struct proto_reader *r)
{
    return r->err ? 0 : r->len - r->pos;
}
static inline bool proto_reader_failed(const struct proto_reader *r)
{
    return r->err != 0;
}
/* Returns 0 or the gregor error of the first failure. */
static inline int proto_reader_status(const struct proto_reader *r)
{
    return r->err;
}
/* Returns the reason of the first failure (borrowed from r; "" if none). */
static inline const char *proto_reader_reason(const struct proto_reader *r)
{
    return r->reason;
}

/* Records a failure found by a decoder (an unsupported version, an arena
 * failure). Only the first failure is kept; later calls are ignored. */
void proto_reader_fail(struct proto_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fixed-width big-endian integers; 0 after a failure. */
int8_t proto_reader_i8(struct proto_reader *r);
int16_t proto_reader_i16(struct proto_reader *r);
int32_t proto_reader_i32(struct proto_reader *r);
int64_t proto_reader_i64(struct proto_reader *r);
/* Kafka BOOLEAN: one byte, any non-zero value is true. */
bool proto_reader_bool(struct proto_reader *r);

/* UNSIGNED_VARINT (at most 5 bytes, must fit 32 bits). */
uint32_t proto_reader_uvarint(struct proto_reader *r);
/* VARINT / VARLONG: zig-zag encoded, at most 5 / 10 bytes. */
int32_t proto_reader_varint(struct proto_reader *r);
int64_t proto_reader_varlong(struct proto_reader *r);

/* STRING / NULLABLE_STRING: int16 length, then the bytes. Each returns a view
 * borrowed from the frame (empty, not null, after a failure); the same holds
 * for the BYTES and COMPACT_* readers below. */
struct proto_str proto_reader_string(struct proto_reader *r);
struct proto_str proto_reader_nullable_string(struct proto_reader *r);
/* BYTES / NULLABLE_BYTES (and Kafka's "records" type): int32 length. */
struct proto_bytes proto_reader_bytes(struct proto_reader *r);
struct proto_bytes proto_reader_nullable_bytes(struct proto_reader *r);
/* COMPACT_* forms of flexible versions: unsigned varint length + 1 (0 = null). */
struct proto_str proto_reader_compact_string(struct proto_reader *r);
struct proto_str proto_reader_compact_nullable_string(struct proto_reader *r);
struct proto_bytes proto_reader_compact_bytes(struct proto_reader *r);
struct proto_bytes proto_reader_compact_nullable_bytes(struct proto_reader *r);
/* Skips a tagged-field section (count, then tag, size, data for each). */
void proto_reader_skip_tagged_fields(struct proto_reader *r);

/* ARRAY count (int32). min_elem_size is the smallest number of bytes one
 * element can take on the wire (at least 1); a count the remaining bytes
 * cannot back fails here. Returns the count, or 0 after a failure. */
int32_t proto_reader_array(struct proto_reader *r, size_t min_elem_size);
/* Same for a nullable array: returns -1 for null. */
int32_t proto_reader_nullable_array(struct proto_reader *r, size_t min_elem_size);

/* COMPACT_ARRAY count (unsigned varint count + 1, 0 = null): same checks as
 * proto_reader_array(); returns -1 for null when nullable. */
int32_t proto_reader_compact_array(struct proto_reader *r, size_t min_elem_size, bool nullable);

/* UUID: 16 raw bytes into out (zeroes after a failure). */
void proto_reader_uuid(struct proto_reader *r, uint8_t out[16]);

/* Tagged fields of flexible versions, for decoders that know some tags:
 * proto_reader_tagged_count() reads the section's field count (checked
 * against what remains); proto_reader_tagged_field() reads one tag and size,
 * moves r past the field's data and points sub at that data (a field is
 * decoded from sub, so it can never read beyond its declared size, and an
 * unknown tag is skipped by not reading sub at all). Return the count / tag,
 * 0 after a failure. proto_reader_tagged_field_end() copies a failure of sub
 * to r. */
uint32_t proto_reader_tagged_count(struct proto_reader *r);
uint32_t proto_reader_tagged_field(struct proto_reader *r, struct proto_reader *sub);
void proto_reader_tagged_field_end(struct proto_reader *r, const struct proto_reader *sub);

/* Returns zeroed arena memory (owned by a) for count elements of size bytes.
 * Returns NULL, without failing, for count <= 0 or after an earlier failure;
 * fails the reader with GR_E_NOMEM if the arena cannot allocate. */
void *proto_reader_alloc(struct proto_reader *r, struct arena *a, int32_t count, size_t size);

#endif
