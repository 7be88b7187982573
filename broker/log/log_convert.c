/*
 * Magic 0/1 message sets to and from magic 2 record batches (log_convert.h).
 *
 * A magic 0/1 message, as Kafka 0.8-0.10 put it on the wire and on disk:
 *   Offset int64, MessageSize int32, then MessageSize bytes of
 *   Crc uint32 (CRC-32, from Magic to the end), Magic int8, Attributes int8
 *   (codec in the low three bits, LogAppendTime in bit 3 for magic 1),
 *   Timestamp int64 (magic 1 only), Key bytes (int32 length, -1 null),
 *   Value bytes (int32 length, -1 null).
 * A wrapper message has a codec and a value that inflates to a message set
 * of the same magic whose messages have none.
 */
#include "broker/log/log_convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/log/log_batch.h"
#include "common/bytes.h"
#include "common/compress.h"
#include "common/compress_out.h"
#include "common/crc32c.h"
#include "common/err.h"

#define MSG_LOG_OVERHEAD 12  /* Offset + MessageSize */
#define MSG_V0_HEADER 14     /* Crc .. Value length, magic 0, empty key and value */
#define MSG_V1_HEADER 22     /* the same with the timestamp */
#define MSG_ATTR_LOG_APPEND 0x08
#define NO_TIMESTAMP (-1)

static int fail(int rc, char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *why, size_t whysz, const char *fmt, ...)
{
    if (why && whysz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int log_convert_magic(const uint8_t *data, size_t len)
{
    /* Magic sits at byte 16 in all three formats: after Offset and
     * MessageSize/Length, then Crc (v0/v1) or PartitionLeaderEpoch (v2). */
    return data && len > LOG_BATCH_OFF_MAGIC ? (int8_t)data[LOG_BATCH_OFF_MAGIC] : -1;
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) { /* zlib takes uInt lengths */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Inflates in[0..len) (codec) into dst, at most bound bytes; *produced gets
 * what was inflated, whatever the result. Returns 0; GR_E_POLICY past the
 * bound, GR_E_CORRUPT (a reason in cwhy) or GR_E_NOMEM. */
static int inflate_all(int codec, const uint8_t *in, size_t len, uint64_t bound, struct buf *dst,
                       uint64_t *produced, char *cwhy, size_t cwhysz)
{
    struct compress_reader *r = NULL;
    *produced = 0;
    int rc = compress_reader_open(codec, in, len, bound, &r);
    if (rc)
        return rc == GR_E_NOMEM ? rc : fail(GR_E_CORRUPT, cwhy, cwhysz, "unknown codec %d", codec);
    while (!rc) {
        uint8_t *p = buf_grow(dst, 65536);
        if (!p) {
            rc = GR_E_NOMEM;
            break;
        }
        ssize_t n = compress_reader_read(r, p, 65536, cwhy, cwhysz);
        dst->len -= 65536 - (n > 0 ? (size_t)n : 0);
        if (n == 0)
            break;
        if (n < 0)
            rc = compress_reader_over_bound(r) ? GR_E_POLICY
                 : n == GR_E_NOMEM             ? GR_E_NOMEM
                                               : GR_E_CORRUPT;
    }
    *produced = compress_reader_produced(r);
    compress_reader_free(r);
    return rc;
}

/* ---- up: magic 0/1 -> one magic 2 batch ---- */

struct up {
    struct buf *out;
    size_t start;          /* where the batch header is in out */
    int32_t count;         /* records written */
    int64_t base_ts;       /* the first record's timestamp */
    int64_t max_ts;        /* the largest timestamp (NO_TIMESTAMP if none) */
    uint64_t inflate_left; /* what wrappers may still inflate to */
    int codec;             /* the last wrapper's codec: the batch's (0: none) */
    char *why;
    size_t whysz;
};

static size_t varint_size(int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}

static int up_record(struct up *u, int64_t ts, const uint8_t *key, int32_t klen,
                     const uint8_t *val, int32_t vlen)
{
    if (u->count == INT32_MAX)
        return fail(GR_E_CORRUPT, u->why, u->whysz, "too many messages");
    if (u->count == 0)
        u->base_ts = ts;
    if (ts > u->max_ts)
        u->max_ts = ts;
    /* Wraps rather than overflows for absurd timestamps; Kafka's builder
     * takes the same difference. */
    int64_t delta = (int64_t)((uint64_t)ts - (uint64_t)u->base_ts);
    uint64_t body = 1 + varint_size(delta) + varint_size(u->count) + varint_size(klen) +
                    (klen > 0 ? (uint64_t)klen : 0) + varint_size(vlen) +
                    (vlen > 0 ? (uint64_t)vlen : 0) + 1;
    if (body > INT32_MAX)
        return fail(GR_E_CORRUPT, u->why, u->whysz, "message too large");
    buf_put_varint(u->out, (int32_t)body);
    buf_put_i8(u->out, 0);
    buf_put_varlong(u->out, delta);
    buf_put_varint(u->out, u->count);
    buf_put_varint(u->out, klen);
    if (klen > 0)
        buf_append(u->out, key, (size_t)klen);
    buf_put_varint(u->out, vlen);
    if (vlen > 0)
        buf_append(u->out, val, (size_t)vlen);
    buf_put_varint(u->out, 0); /* no headers */
    if (buf_failed(u->out))
        return GR_E_NOMEM;
    u->count++;
    return 0;
}

/* xxHash32 with seed 0 of fewer than 16 bytes (an LZ4 frame descriptor). */
static uint32_t xxh32_short(const uint8_t *p, size_t n)
{
    const uint32_t P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u,
                   P5 = 374761393u;
    uint32_t h = P5 + (uint32_t)n;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        h += w * P3;
        h = ((h << 17) | (h >> 15)) * P4;
    }
    for (; i < n; i++) {
        h += p[i] * P5;
        h = ((h << 11) | (h >> 21)) * P1;
    }
    h ^= h >> 15;
    h *= P2;
    h ^= h >> 13;
    h *= P3;
    h ^= h >> 16;
    return h;
}

/* Kafka before 0.10 wrote the LZ4 frame descriptor's checksum over the
 * frame's magic number too (KAFKA-3160), and Kafka still ignores that byte in
 * magic 0 wrappers; liblz4 checks it. Rewrites it in p (a copy) to the value
 * liblz4 expects, so the rest of the frame is checked as usual. */
static void lz4_fix_header_checksum(uint8_t *p, size_t n)
{
    if (n < 7 || !(p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4D && p[3] == 0x18))
        return;
    uint8_t flg = p[4];
    size_t dlen = 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
    if (n < 4 + dlen + 1)
        return;
    p[4 + dlen] = (uint8_t)(xxh32_short(p + 4, dlen) >> 8);
}

static int up_set(struct up *u, const uint8_t *p, size_t len, int wrapper_magic,
                  int64_t wrapper_ts);

/* Inflates a wrapper's value and adds its inner messages. */
static int up_wrapper(struct up *u, int magic, int codec, int64_t ts, bool log_append,
                      const uint8_t *val, size_t vlen)
{
    if (codec == COMPRESS_ZSTD || codec > COMPRESS_ZSTD)
        return fail(GR_E_BAD_CODEC, u->why, u->whysz, "%s compression is not allowed in "
                    "message format v%d", codec == COMPRESS_ZSTD ? "zstd" : "unknown", magic);
    u->codec = codec; /* Kafka keeps the producer's codec: the last wrapper's */
    uint8_t *fixed = NULL;
    if (codec == COMPRESS_LZ4 && magic == 0) {
        fixed = malloc(vlen ? vlen : 1);
        if (!fixed)
            return GR_E_NOMEM;
        memcpy(fixed, val, vlen);
        lz4_fix_header_checksum(fixed, vlen);
        val = fixed;
    }
    struct buf inner;
    buf_init(&inner);
    uint64_t produced = 0;
    char cwhy[160] = "";
    int rc = inflate_all(codec, val, vlen, u->inflate_left, &inner, &produced, cwhy,
                         sizeof(cwhy));
    u->inflate_left -= produced;
    free(fixed);
    if (rc == GR_E_POLICY)
        fail(rc, u->why, u->whysz, "a compressed message inflates past the request's bound");
    else if (rc == GR_E_CORRUPT)
        fail(rc, u->why, u->whysz, "%s wrapper message: %s", compress_codec_name(codec), cwhy);
    if (!rc)
        rc = up_set(u, inner.data, inner.len, magic, log_append ? ts : -2);
    buf_destroy(&inner);
    return rc;
}

/* Adds the messages of one set. wrapper_magic is -1 for the outer set, else
 * the wrapper's magic; wrapper_ts (>= -1) is the timestamp a LogAppendTime
 * wrapper gives its inner messages, -2 when they keep their own. */
static int up_set(struct up *u, const uint8_t *p, size_t len, int wrapper_magic,
                  int64_t wrapper_ts)
{
    const char *where = wrapper_magic < 0 ? "message" : "inner message";
    if (len == 0)
        return fail(GR_E_CORRUPT, u->why, u->whysz, "%s", wrapper_magic < 0 ?
                    "empty message set" : "a compressed message holds no messages");
    size_t pos = 0;
    while (pos < len) {
        if (len - pos < MSG_LOG_OVERHEAD + MSG_V0_HEADER)
            return fail(GR_E_CORRUPT, u->why, u->whysz, "%s at byte %zu is cut short", where,
                        pos);
        int32_t size = (int32_t)be32_load(p + pos + 8);
        const uint8_t *m = p + pos + MSG_LOG_OVERHEAD;
        int magic = (int8_t)m[4];
        size_t hdr = magic == 1 ? MSG_V1_HEADER : MSG_V0_HEADER;
        if (magic != 0 && magic != 1)
            return fail(GR_E_CORRUPT, u->why, u->whysz, "%s at byte %zu has magic %d", where, pos,
                        magic);
        if (size < (int32_t)hdr || (size_t)size > len - pos - MSG_LOG_OVERHEAD)
            return fail(GR_E_CORRUPT, u->why, u->whysz,
                        "%s at byte %zu: size %d does not fit the %zu bytes left", where, pos,
                        size, len - pos - MSG_LOG_OVERHEAD);
        uint32_t crc = be32_load(m);
        if (crc32_ieee(m + 4, (size_t)size - 4) != crc)
            return fail(GR_E_CORRUPT, u->why, u->whysz, "%s at byte %zu fails its CRC", where,
                        pos);
        int attr = m[5];
        int64_t ts = NO_TIMESTAMP;
        size_t q = 6;
        if (magic == 1) {
            ts = (int64_t)be64_load(m + 6);
            q = 14;
        }
        int32_t klen = (int32_t)be32_load(m + q);
        q += 4;
        if (klen < -1 || (klen > 0 && (size_t)klen > (size_t)size - q - 4))
            return fail(GR_E_CORRUPT, u->why, u->whysz, "%s at byte %zu: bad key length %d",
                        where, pos, klen);
        const uint8_t *key = m + q;
        q += klen > 0 ? (size_t)klen : 0;
        int32_t vlen = (int32_t)be32_load(m + q);
        q += 4;
        if (vlen < -1 || (size_t)(vlen > 0 ? vlen : 0) != (size_t)size - q)
            return fail(GR_E_CORRUPT, u->why, u->whysz,
                        "%s at byte %zu: key and value do not fill its size", where, pos);
        const uint8_t *val = m + q;
        int codec = attr & LOG_BATCH_COMPRESSION_MASK;
        int rc;
        if (wrapper_magic >= 0) {
            /* LogValidator: a wrapper's messages are never compressed. */
            if (codec)
                return fail(GR_E_CORRUPT, u->why, u->whysz,
                            "a compressed message holds a compressed message");
            if (magic != wrapper_magic)
                return fail(GR_E_CORRUPT, u->why, u->whysz,
                            "a magic %d wrapper holds a magic %d message", wrapper_magic, magic);
            rc = up_record(u, wrapper_ts >= -1 ? wrapper_ts : ts, key, klen, val, vlen);
        } else if (!codec) {
            rc = up_record(u, ts, key, klen, val, vlen);
        } else if (vlen < 0) {
            rc = fail(GR_E_CORRUPT, u->why, u->whysz, "a compressed message has no value");
        } else {
            rc = up_wrapper(u, magic, codec, ts, magic == 1 && (attr & MSG_ATTR_LOG_APPEND), val,
                            (size_t)vlen);
        }
        if (rc)
            return rc;
        pos += MSG_LOG_OVERHEAD + (size_t)size;
    }
    return 0;
}

int log_convert_up(const uint8_t *in, size_t len, uint64_t *inflate_left, struct buf *out,
                   int32_t *records, char *why, size_t whysz)
{
    struct up u = {out, out->len, 0, NO_TIMESTAMP, NO_TIMESTAMP, *inflate_left, 0, why, whysz};
    if (!buf_grow(out, LOG_BATCH_HEADER_SIZE))
        return GR_E_NOMEM;
    int rc = up_set(&u, in, len, -1, -2);
    *inflate_left = u.inflate_left;
    if (rc) {
        out->len = u.start;
        return rc;
    }
    if (u.codec) {
        /* Re-compressed with the producer's codec, as Kafka stores it. */
        struct buf z;
        buf_init(&z);
        size_t recs = u.start + LOG_BATCH_HEADER_SIZE;
        rc = compress_out(u.codec, out->data + recs, out->len - recs, &z);
        if (!rc) {
            out->len = recs;
            buf_append(out, z.data, z.len);
            rc = buf_failed(out) ? GR_E_NOMEM : 0;
        }
        buf_destroy(&z);
        if (rc) {
            out->len = u.start;
            return rc == GR_E_NOMEM ? rc : fail(GR_E_BAD_CODEC, why, whysz, "codec %d", u.codec);
        }
    }
    size_t total = out->len - u.start;
    if (total - LOG_BATCH_LOG_OVERHEAD > INT32_MAX) {
        out->len = u.start;
        return fail(GR_E_CORRUPT, why, whysz, "converted batch too large");
    }
    uint8_t *h = out->data + u.start;
    be64_store(h + LOG_BATCH_OFF_BASE_OFFSET, 0);
    be32_store(h + LOG_BATCH_OFF_LENGTH, (uint32_t)(total - LOG_BATCH_LOG_OVERHEAD));
    be32_store(h + LOG_BATCH_OFF_LEADER_EPOCH, (uint32_t)-1);
    h[LOG_BATCH_OFF_MAGIC] = LOG_BATCH_MAGIC;
    be16_store(h + LOG_BATCH_OFF_ATTRIBUTES, (uint16_t)u.codec);
    be32_store(h + LOG_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(u.count - 1));
    be64_store(h + LOG_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)u.base_ts);
    be64_store(h + LOG_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)u.max_ts);
    be64_store(h + LOG_BATCH_OFF_PRODUCER_ID, (uint64_t)-1);
    be16_store(h + LOG_BATCH_OFF_PRODUCER_ID + 8, (uint16_t)-1);  /* ProducerEpoch */
    be32_store(h + LOG_BATCH_OFF_PRODUCER_ID + 10, (uint32_t)-1); /* BaseSequence */
    be32_store(h + LOG_BATCH_OFF_RECORD_COUNT, (uint32_t)u.count);
    be32_store(h + LOG_BATCH_OFF_CRC,
               crc32c(0, h + LOG_BATCH_OFF_ATTRIBUTES, total - LOG_BATCH_OFF_ATTRIBUTES));
    *records = u.count;
    return 0;
}

/* ---- down: magic 2 batches -> magic 0/1 messages ---- */

struct down {
    struct buf *out;
    size_t start;     /* out->len at the call */
    size_t max_bytes;
    int magic;        /* to write */
    int64_t from;     /* first offset wanted */
    int64_t *next;
    bool full;        /* stopped at max_bytes */
    char *why;
    size_t whysz;
};

/* Writes one message; sets d->full instead when it would not fit. */
static int down_message(struct down *d, int64_t offset, int64_t ts, bool log_append,
                        const uint8_t *key, int32_t klen, const uint8_t *val, int32_t vlen)
{
    size_t size = (d->magic ? MSG_V1_HEADER : MSG_V0_HEADER) + (size_t)(klen > 0 ? klen : 0) +
                  (size_t)(vlen > 0 ? vlen : 0);
    if (size > INT32_MAX)
        return fail(GR_E_CORRUPT, d->why, d->whysz, "record at offset %lld is too large",
                    (long long)offset);
    if (d->out->len > d->start && d->out->len - d->start + MSG_LOG_OVERHEAD + size > d->max_bytes) {
        d->full = true;
        return 0;
    }
    buf_put_i64(d->out, offset);
    buf_put_i32(d->out, (int32_t)size);
    size_t crc_at = buf_put_i32(d->out, 0);
    buf_put_i8(d->out, (int8_t)d->magic);
    buf_put_i8(d->out, d->magic && log_append ? MSG_ATTR_LOG_APPEND : 0);
    if (d->magic)
        buf_put_i64(d->out, ts);
    buf_put_i32(d->out, klen);
    if (klen > 0)
        buf_append(d->out, key, (size_t)klen);
    buf_put_i32(d->out, vlen);
    if (vlen > 0)
        buf_append(d->out, val, (size_t)vlen);
    if (buf_failed(d->out))
        return GR_E_NOMEM;
    buf_patch_i32(d->out, crc_at, (int32_t)crc32_ieee(d->out->data + crc_at + 4, size - 4));
    *d->next = offset + 1;
    return 0;
}

/* Reads a signed varint at *p below end into *v; false if malformed. */
static bool rd_varint(const uint8_t **p, const uint8_t *end, int32_t *v)
{
    size_t n = varint_decode(*p, end, v);
    *p += n;
    return n != 0;
}

static bool rd_varlong(const uint8_t **p, const uint8_t *end, int64_t *v)
{
    size_t n = varlong_decode(*p, end, v);
    *p += n;
    return n != 0;
}

/* Writes the records of one batch (records[0..len) are its uncompressed
 * records). */
static int down_records(struct down *d, const struct log_batch_hdr *h, const uint8_t *rec,
                        size_t len)
{
    const uint8_t *p = rec, *end = rec + len;
    bool log_append = h->attributes & LOG_BATCH_TIMESTAMP_LOG_APPEND;
    for (int32_t i = 0; i < h->record_count && !d->full; i++) {
        int32_t rlen, odelta, klen, vlen;
        int64_t tdelta;
        int8_t attr;
        if (!rd_varint(&p, end, &rlen) || rlen < 1 || (size_t)rlen > (size_t)(end - p))
            goto bad;
        const uint8_t *r = p, *rend = p + rlen;
        p = rend;
        attr = (int8_t)*r++;
        (void)attr;
        if (!rd_varlong(&r, rend, &tdelta) || !rd_varint(&r, rend, &odelta) ||
            !rd_varint(&r, rend, &klen) || klen < -1 || (klen > 0 && klen > rend - r))
            goto bad;
        const uint8_t *key = r;
        r += klen > 0 ? klen : 0;
        if (!rd_varint(&r, rend, &vlen) || vlen < -1 || (vlen > 0 && vlen > rend - r))
            goto bad;
        const uint8_t *val = r;
        /* Headers follow; magic 0/1 cannot carry them, so they are dropped
         * unread, as Kafka drops them. */
        int64_t offset = h->base_offset + odelta;
        if (odelta < 0 || offset < d->from)
            continue;
        int64_t ts = log_append ? h->max_timestamp
                                : (int64_t)((uint64_t)h->base_timestamp + (uint64_t)tdelta);
        int rc = down_message(d, offset, ts, log_append, key, klen, val, vlen);
        if (rc)
            return rc;
    }
    return 0;
bad:
    return fail(GR_E_CORRUPT, d->why, d->whysz, "malformed record in the batch at offset %lld",
                (long long)h->base_offset);
}

int log_convert_down(const uint8_t *in, size_t len, int to_magic, int64_t from_offset,
                     size_t max_bytes, uint64_t inflate_max, struct buf *out, int64_t *next,
                     char *why, size_t whysz)
{
    struct down d = {out, out->len, max_bytes, to_magic, from_offset, next, false, why, whysz};
    *next = from_offset;
    size_t pos = 0;
    while (!d.full && len - pos >= LOG_BATCH_HEADER_SIZE) {
        struct log_batch_hdr h;
        log_batch_parse(in + pos, &h);
        if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD || h.magic != LOG_BATCH_MAGIC)
            return fail(GR_E_CORRUPT, why, whysz, "malformed batch at byte %zu", pos);
        size_t size = (size_t)log_batch_size(&h);
        if (size > len - pos)
            break; /* cut off by the read's limit */
        const uint8_t *payload = in + pos + LOG_BATCH_HEADER_SIZE;
        size_t plen = size - LOG_BATCH_HEADER_SIZE;
        pos += size;
        /* Old consumers know no control batches (transaction markers). */
        if ((h.attributes & LOG_BATCH_CONTROL) || log_batch_last_offset(&h) < from_offset)
            continue;
        int codec = h.attributes & LOG_BATCH_COMPRESSION_MASK;
        if (!codec) {
            int rc = down_records(&d, &h, payload, plen);
            if (rc)
                return rc;
            continue;
        }
        struct buf recs;
        buf_init(&recs);
        uint64_t produced;
        char cwhy[160] = "";
        int rc = inflate_all(codec, payload, plen, inflate_max, &recs, &produced, cwhy,
                             sizeof(cwhy));
        if (rc && rc != GR_E_NOMEM)
            rc = fail(GR_E_CORRUPT, why, whysz, "batch at offset %lld: %s",
                      (long long)h.base_offset, cwhy);
        if (!rc)
            rc = down_records(&d, &h, recs.data, recs.len);
        buf_destroy(&recs);
        if (rc)
            return rc;
    }
    return 0;
}
