/*
 * Record batch headers (replica_verify_batch.h). The layouts are Kafka's:
 * every format starts with offset (int64) and size (int32, the bytes after
 * it); magic 2 then has partitionLeaderEpoch (int32), magic (int8), crc
 * (uint32, CRC-32C of everything after it) and attributes (int16) and
 * lastOffsetDelta (int32); magic 0 and 1 have crc (uint32) then magic.
 */
#include <stdio.h>

#include "broker/proto/proto_reader.h"
#include "common/crc32c.h"
#include "tools/replica_verify_batch.h"

#define LOG_OVERHEAD 12 /* offset and size, before every format's size counts */
#define V2_HEADER    61 /* the whole magic 2 batch header */
#define V2_CRC_START 21 /* attributes: where the magic 2 checksum starts */
#define LEGACY_MIN   14 /* crc, magic, attributes, key length, value length */

int rv_batches_next(struct rv_batches *it, struct rv_batch *b, char *errstr, size_t errsz)
{
    size_t left = it->len - it->pos;
    if (left < LOG_OVERHEAD + 5) /* up to the magic of either layout */
        return 0;
    const uint8_t *p = it->p + it->pos;
    struct proto_reader r;
    proto_reader_init(&r, p, left);
    int64_t offset = proto_reader_i64(&r);
    int32_t size = proto_reader_i32(&r);
    int8_t magic = p[16]; /* the same place in every layout */
    if (magic < 0 || magic > 2) {
        snprintf(errstr, errsz, "unknown record batch magic %d at offset %lld", magic,
                 (long long)offset);
        return -1;
    }
    int32_t min = magic == 2 ? V2_HEADER - LOG_OVERHEAD : LEGACY_MIN;
    if (size < min) {
        snprintf(errstr, errsz,
                 "record batch at offset %lld is %d bytes long, below the %d of its header",
                 (long long)offset, size, min);
        return -1;
    }
    if ((size_t)size > left - LOG_OVERHEAD)
        return 0; /* cut short by the fetch's byte limit */
    size_t whole = LOG_OVERHEAD + (size_t)size;
    b->base_offset = b->last_offset = offset;
    b->magic = magic;
    if (magic == 2) {
        proto_reader_i32(&r); /* partitionLeaderEpoch */
        proto_reader_i8(&r);  /* magic */
        b->crc = (uint32_t)proto_reader_i32(&r);
        proto_reader_i16(&r); /* attributes */
        b->last_offset = offset + proto_reader_i32(&r);
        b->crc_actual = crc32c(0, p + V2_CRC_START, whole - V2_CRC_START);
    } else {
        b->crc = (uint32_t)proto_reader_i32(&r);
        b->crc_actual = b->crc;
    }
    b->crc_ok = b->crc == b->crc_actual;
    if (proto_reader_failed(&r)) { /* cannot happen: the sizes were checked above */
        snprintf(errstr, errsz, "record batch at offset %lld: %s", (long long)offset,
                 proto_reader_reason(&r));
        return -1;
    }
    it->pos += whole;
    return 1;
}
