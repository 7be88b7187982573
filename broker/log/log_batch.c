/*
 * Record batch validation and offset assignment (see log_batch.h).
 */
#include "broker/log/log_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "broker/log/log_batch_inner.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/err.h"

void log_batch_parse(const uint8_t *p, struct log_batch_hdr *h)
{
    h->base_offset = (int64_t)be64_load(p + LOG_BATCH_OFF_BASE_OFFSET);
    h->length = (int32_t)be32_load(p + LOG_BATCH_OFF_LENGTH);
    h->leader_epoch = (int32_t)be32_load(p + LOG_BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[LOG_BATCH_OFF_MAGIC];
    h->crc = be32_load(p + LOG_BATCH_OFF_CRC);
    h->attributes = (int16_t)be16_load(p + LOG_BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = (int32_t)be32_load(p + LOG_BATCH_OFF_LAST_OFFSET_DELTA);
    h->base_timestamp = (int64_t)be64_load(p + LOG_BATCH_OFF_BASE_TIMESTAMP);
    h->max_timestamp = (int64_t)be64_load(p + LOG_BATCH_OFF_MAX_TIMESTAMP);
    h->producer_id = (int64_t)be64_load(p + LOG_BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = (int16_t)be16_load(p + 51);
    h->base_sequence = (int32_t)be32_load(p + 53);
    h->record_count = (int32_t)be32_load(p + LOG_BATCH_OFF_RECORD_COUNT);
}

#define WHY(...) (snprintf(why, whysz, __VA_ARGS__))

typedef int (*record_cb)(int32_t offset_delta, int64_t timestamp, void *ctx);
static int walk_records(const uint8_t *p, size_t size, const struct log_batch_hdr *h,
                        record_cb cb, void *ctx, char *why, size_t whysz);
struct skew_ctx {
    int64_t now, max_diff;
};
static int check_skew(int32_t delta, int64_t ts, void *arg);

/* Header structure: enough bytes, a sane Length that fits, magic 2. */
static int check_structure(const uint8_t *p, size_t avail, struct log_batch_hdr *h, char *why,
                           size_t whysz)
{
    if (avail < LOG_BATCH_HEADER_SIZE) {
        WHY("batch header needs %d bytes, only %zu remain", LOG_BATCH_HEADER_SIZE, avail);
        return GR_E_CORRUPT;
    }
    log_batch_parse(p, h);
    if (h->length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD) {
        WHY("batch length %" PRId32 " is smaller than a batch header", h->length);
        return GR_E_CORRUPT;
    }
    if ((uint64_t)log_batch_size(h) > avail) {
        WHY("batch length %" PRId32 " runs past the %zu bytes available", h->length, avail);
        return GR_E_CORRUPT;
    }
    if (h->magic != LOG_BATCH_MAGIC) {
        WHY("batch magic %d is not 2 (only the v2 record format is supported)", h->magic);
        return GR_E_UNSUPPORTED;
    }
    return 0;
}

int log_batch_check(const uint8_t *p, size_t avail, struct log_batch_hdr *h, char *why,
                    size_t whysz)
{
    int rc = check_structure(p, avail, h, why, whysz);
    if (rc)
        return rc;
    /* Records take offsets base + 0, 1, ...: more records than the batch's
     * offsets would give the last ones offsets past it (a leader's precheck
     * demands equality; compaction may leave fewer). */
    if ((int64_t)h->record_count - 1 > h->last_offset_delta) {
        WHY("batch holds %" PRId32 " records but its last offset delta is %" PRId32,
            h->record_count, h->last_offset_delta);
        return GR_E_BAD_RECORD;
    }
    return log_batch_verify(p, h, NULL, NULL, why, whysz);
}

/* Reads a zig-zag varint at *q (below end) and advances *q. Written for
 * the record walk, which runs once per record of every appended batch:
 * the one- and two-byte encodings that nearly all fields use take no loop. */
static inline bool take_varint(const uint8_t **q, const uint8_t *end, int32_t *out)
{
    const uint8_t *p = *q;
    uint32_t u;
    if (p < end && !(p[0] & 0x80)) {
        u = p[0];
        p += 1;
    } else if (p + 1 < end && !(p[1] & 0x80)) {
        u = (uint32_t)(p[0] & 0x7f) | (uint32_t)p[1] << 7;
        p += 2;
    } else {
        uint64_t w;
        size_t n = uvarint_decode(p, end, 5, &w);
        if (!n)
            return false;
        u = (uint32_t)w;
        p += n;
    }
    *out = (int32_t)((u >> 1) ^ -(u & 1));
    *q = p;
    return true;
}

static inline bool take_varlong(const uint8_t **q, const uint8_t *end, int64_t *out)
{
    size_t n = varlong_decode(*q, end, out);
    *q += n;
    return n != 0;
}

/* Skips a length-prefixed field (key, value, header key or value): a varint
 * length, -1 allowed if nullable, then that many bytes within end. */
static inline bool skip_field(const uint8_t **q, const uint8_t *end, bool nullable)
{
    int32_t v;
    if (!take_varint(q, end, &v) || v < (nullable ? -1 : 0) || v > end - *q)
        return false;
    *q += v > 0 ? v : 0;
    return true;
}

/* Walks the records of an uncompressed batch, checking that each one's
 * framing fits exactly and offset deltas run 0, 1, 2, ... The callback (may
 * be NULL) sees each record's offset delta and timestamp; a non-zero return
 * stops the walk and is returned. */
static int walk_records(const uint8_t *p, size_t size, const struct log_batch_hdr *h,
                        record_cb cb, void *ctx, char *why, size_t whysz)
{
    const uint8_t *r = p + LOG_BATCH_HEADER_SIZE, *end = p + size;
    for (int32_t i = 0; i < h->record_count; i++) {
        int32_t len, delta, nheaders;
        int64_t ts_delta;
        if (!take_varint(&r, end, &len) || len <= 0 || len > end - r) {
            WHY("record %" PRId32 " has a bad length", i);
            return GR_E_BAD_RECORD;
        }
        const uint8_t *rend = r + len, *q = r + 1; /* past the attributes byte */
        if (!take_varlong(&q, rend, &ts_delta) || !take_varint(&q, rend, &delta))
            goto bad;
        if (delta != i) {
            WHY("record %" PRId32 " has offset delta %" PRId32, i, delta);
            return GR_E_BAD_RECORD;
        }
        if (!skip_field(&q, rend, true) || !skip_field(&q, rend, true) ||
            !take_varint(&q, rend, &nheaders) || nheaders < 0)
            goto bad;
        for (int32_t k = 0; k < nheaders; k++)
            if (!skip_field(&q, rend, false) || !skip_field(&q, rend, true))
                goto bad;
        if (q != rend)
            goto bad;
        if (cb) {
            /* Both come from the client: the sum wraps, as in Kafka's Java,
             * instead of overflowing. */
            int64_t ts = (int64_t)((uint64_t)h->base_timestamp + (uint64_t)ts_delta);
            int rc = cb(delta, ts, ctx);
            if (rc)
                return rc;
        }
        r = rend;
        continue;
    bad:
        WHY("record %" PRId32 " is malformed", i);
        return GR_E_BAD_RECORD;
    }
    if (r != end) {
        WHY("%td bytes follow the last of %" PRId32 " records", end - r, h->record_count);
        return GR_E_BAD_RECORD;
    }
    return 0;
}

static int check_skew(int32_t delta, int64_t ts, void *arg)
{
    struct skew_ctx *s = arg;
    (void)delta;
    if (ts == -1)
        return 0; /* NO_TIMESTAMP (a message format v0 record): Kafka does not check it */
    /* Unsigned: a timestamp near either end of int64_t is any distance away. */
    uint64_t diff = ts > s->now ? (uint64_t)ts - (uint64_t)s->now : (uint64_t)s->now - (uint64_t)ts;
    return diff > (uint64_t)s->max_diff ? 1 : 0;
}

int log_batch_precheck(const uint8_t *p, size_t avail, const struct log_batch_limits *lim,
                       struct log_batch_hdr *h, size_t *size, char *why, size_t whysz)
{
    int rc = check_structure(p, avail, h, why, whysz);
    if (rc)
        return rc == GR_E_UNSUPPORTED ? GR_E_BAD_RECORD : rc;
    *size = (size_t)log_batch_size(h);
    if ((int64_t)*size > lim->max_bytes) {
        WHY("batch of %zu bytes exceeds max.message.bytes %" PRId32, *size, lim->max_bytes);
        return GR_E_TOO_LARGE;
    }
    if (h->record_count <= 0 || h->last_offset_delta != h->record_count - 1) {
        WHY("record count %" PRId32 " does not match last offset delta %" PRId32,
            h->record_count, h->last_offset_delta);
        return GR_E_BAD_RECORD;
    }
    if (h->attributes & LOG_BATCH_CONTROL) {
        WHY("clients may not write control batches");
        return GR_E_BAD_RECORD;
    }
    if (h->attributes & LOG_BATCH_TRANSACTIONAL) {
        WHY("transactional batches are not supported");
        return GR_E_BAD_RECORD;
    }
    if ((h->attributes & LOG_BATCH_COMPRESSION_MASK) > 4) {
        WHY("unknown compression codec %d", h->attributes & LOG_BATCH_COMPRESSION_MASK);
        return GR_E_BAD_RECORD;
    }
    /* Compressed records cannot be read here; their batch's timestamp
     * stands for them. */
    bool check_ts = !lim->log_append_time && lim->max_ts_diff_ms != INT64_MAX;
    if ((h->attributes & LOG_BATCH_COMPRESSION_MASK) && check_ts) {
        int64_t ts = h->max_timestamp, now = lim->now_ms;
        uint64_t diff = ts > now ? (uint64_t)ts - (uint64_t)now : (uint64_t)now - (uint64_t)ts;
        if (ts != -1 && diff > (uint64_t)lim->max_ts_diff_ms) {
            WHY("batch max timestamp is more than message.timestamp.difference.max.ms from the "
                "broker's clock");
            return GR_E_BAD_TIMESTAMP;
        }
    }
    return 0;
}

/* Inflates and walks a compressed batch's records within the smaller of
 * its own bound and what the request has left. */
static int verify_compressed(const uint8_t *p, size_t size, const struct log_batch_hdr *h,
                             const struct log_batch_limits *lim, int64_t *inflated, char *why,
                             size_t whysz)
{
    int64_t max = log_batch_inflate_max(lim->max_bytes);
    bool by_request = lim->request_bound && lim->inflate_left < max;
    if (by_request && lim->inflate_left <= 0) {
        WHY("the request's compressed batches already inflated to "
            "gregor.produce.inflate.max.bytes; send fewer partitions per request");
        return GR_E_POLICY;
    }
    struct log_batch_inner in = {
        .payload = p + LOG_BATCH_HEADER_SIZE,
        .len = size - LOG_BATCH_HEADER_SIZE,
        .codec = h->attributes & LOG_BATCH_COMPRESSION_MASK,
        .record_count = h->record_count,
        .base_timestamp = h->base_timestamp,
        .now_ms = lim->now_ms,
        .max_ts_diff_ms = lim->log_append_time ? INT64_MAX : lim->max_ts_diff_ms,
        .max_inflated = by_request ? lim->inflate_left : max,
    };
    int rc = log_batch_inner_verify(&in, inflated, why, whysz);
    /* The reader stops at the bound with GR_E_CORRUPT; at the request's
     * bound the batch itself may be fine, so it is refused as a policy. */
    if (rc == GR_E_CORRUPT && by_request && *inflated > in.max_inflated) {
        WHY("the request's compressed batches inflate to more than "
            "gregor.produce.inflate.max.bytes; send fewer partitions per request");
        return GR_E_POLICY;
    }
    return rc;
}

int log_batch_verify(const uint8_t *p, const struct log_batch_hdr *h,
                     const struct log_batch_limits *lim, int64_t *inflated, char *why,
                     size_t whysz)
{
    int64_t spent = 0;
    if (!inflated)
        inflated = &spent;
    *inflated = 0;
    size_t size = (size_t)log_batch_size(h);
    uint32_t crc = crc32c(0, p + LOG_BATCH_OFF_ATTRIBUTES, size - LOG_BATCH_OFF_ATTRIBUTES);
    if (crc != h->crc) {
        WHY("batch CRC mismatch: stored %08" PRIx32 ", computed %08" PRIx32, h->crc, crc);
        return GR_E_CORRUPT;
    }
    /* A leader inflates and walks the records of a compressed batch, as
     * Kafka's LogValidator does; recovery (lim NULL) trusts the CRC, as
     * Kafka's does. */
    if (h->attributes & LOG_BATCH_COMPRESSION_MASK) {
        return lim ? verify_compressed(p, size, h, lim, inflated, why, whysz) : 0;
    }
    bool check_ts = lim && !lim->log_append_time && lim->max_ts_diff_ms != INT64_MAX;
    struct skew_ctx s = {lim ? lim->now_ms : 0, lim ? lim->max_ts_diff_ms : 0};
    int rc = walk_records(p, size, h, check_ts ? check_skew : NULL, &s, why, whysz);
    if (rc == 1) {
        WHY("a record timestamp is more than message.timestamp.difference.max.ms (%" PRId64
            ") from the broker's clock",
            lim->max_ts_diff_ms);
        return GR_E_BAD_TIMESTAMP;
    }
    return rc;
}

int log_batch_validate(const uint8_t *p, size_t avail, const struct log_batch_limits *lim,
                       struct log_batch_hdr *h, size_t *size, char *why, size_t whysz)
{
    int rc = log_batch_precheck(p, avail, lim, h, size, why, whysz);
    return rc ? rc : log_batch_verify(p, h, lim, NULL, why, whysz);
}

void log_batch_assign(uint8_t *p, int64_t base_offset, int32_t leader_epoch)
{
    be64_store(p + LOG_BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
    be32_store(p + LOG_BATCH_OFF_LEADER_EPOCH, (uint32_t)leader_epoch);
}

void log_batch_set_log_append_time(uint8_t *p, int64_t now_ms)
{
    uint16_t attr = be16_load(p + LOG_BATCH_OFF_ATTRIBUTES);
    be16_store(p + LOG_BATCH_OFF_ATTRIBUTES, (uint16_t)(attr | LOG_BATCH_TIMESTAMP_LOG_APPEND));
    be64_store(p + LOG_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
    int32_t length = (int32_t)be32_load(p + LOG_BATCH_OFF_LENGTH);
    size_t size = (size_t)length + LOG_BATCH_LOG_OVERHEAD;
    be32_store(p + LOG_BATCH_OFF_CRC,
               crc32c(0, p + LOG_BATCH_OFF_ATTRIBUTES, size - LOG_BATCH_OFF_ATTRIBUTES));
}

struct ts_find {
    int64_t ts, min_offset, base_offset;
    int64_t offset, found_ts;
};

static int find_ts(int32_t delta, int64_t ts, void *arg)
{
    struct ts_find *f = arg;
    if (ts >= f->ts && f->base_offset + delta >= f->min_offset) {
        f->offset = f->base_offset + delta;
        f->found_ts = ts;
        return 1;
    }
    return 0;
}

int log_batch_find_timestamp(const uint8_t *p, size_t size, int64_t ts, int64_t min_offset,
                             int64_t *offset, int64_t *found_ts)
{
    struct log_batch_hdr h;
    char why[128];
    if (size < LOG_BATCH_HEADER_SIZE)
        return GR_E_CORRUPT;
    log_batch_parse(p, &h);
    if ((uint64_t)log_batch_size(&h) > size)
        return GR_E_CORRUPT;
    if (h.max_timestamp < ts || log_batch_last_offset(&h) < min_offset)
        return 0;
    /* LogAppendTime batches give every record the append time; compressed
     * ones can only be answered at batch granularity. */
    if ((h.attributes & LOG_BATCH_TIMESTAMP_LOG_APPEND) ||
        (h.attributes & LOG_BATCH_COMPRESSION_MASK)) {
        *offset = h.base_offset > min_offset ? h.base_offset : min_offset;
        *found_ts = h.max_timestamp;
        return 1;
    }
    struct ts_find f = {ts, min_offset, h.base_offset, -1, -1};
    int rc = walk_records(p, (size_t)log_batch_size(&h), &h, find_ts, &f, why, sizeof(why));
    if (rc == 1) {
        *offset = f.offset;
        *found_ts = f.found_ts;
        return 1;
    }
    return rc ? GR_E_CORRUPT : 0;
}
