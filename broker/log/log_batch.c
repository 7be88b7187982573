/*
 * Record batch validation and offset assignment (see log_batch.h).
 */
#include "broker/log/log_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

int log_batch_check(const uint8_t *p, size_t avail, struct log_batch_hdr *h, char *why,
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
    uint32_t crc = crc32c(0, p + LOG_BATCH_OFF_ATTRIBUTES,
                          (size_t)log_batch_size(h) - LOG_BATCH_OFF_ATTRIBUTES);
    if (crc != h->crc) {
        WHY("batch CRC mismatch: stored %08" PRIx32 ", computed %08" PRIx32, h->crc, crc);
        return GR_E_CORRUPT;
    }
    return 0;
}

/* Walks the records of an uncompressed batch, checking that each one's
 * framing fits exactly and offset deltas run 0, 1, 2, ... The callback (may
 * be NULL) sees each record's offset delta and timestamp; a non-zero return
 * stops the walk and is returned. */
typedef int (*record_cb)(int32_t offset_delta, int64_t timestamp, void *ctx);

static int walk_records(const uint8_t *p, size_t size, const struct log_batch_hdr *h,
                        record_cb cb, void *ctx, char *why, size_t whysz)
{
    const uint8_t *r = p + LOG_BATCH_HEADER_SIZE, *end = p + size;
    for (int32_t i = 0; i < h->record_count; i++) {
        int32_t len, v, delta;
        int64_t ts_delta;
        size_t n = varint_decode(r, end, &len);
        if (!n || len < 0 || len > end - r - (ptrdiff_t)n) {
            WHY("record %" PRId32 " has a bad length", i);
            return GR_E_INVALID;
        }
        r += n;
        const uint8_t *rend = r + len, *q = r;
        if (q >= rend) {
            WHY("record %" PRId32 " is empty", i);
            return GR_E_INVALID;
        }
        q++; /* attributes */
        if (!(n = varlong_decode(q, rend, &ts_delta)))
            goto bad;
        q += n;
        if (!(n = varint_decode(q, rend, &delta)))
            goto bad;
        q += n;
        if (delta != i) {
            WHY("record %" PRId32 " has offset delta %" PRId32, i, delta);
            return GR_E_INVALID;
        }
        for (int field = 0; field < 2; field++) { /* key, value */
            if (!(n = varint_decode(q, rend, &v)) || v < -1 || v > rend - q - (ptrdiff_t)n)
                goto bad;
            q += n + (v > 0 ? v : 0);
        }
        int32_t nheaders;
        if (!(n = varint_decode(q, rend, &nheaders)) || nheaders < 0)
            goto bad;
        q += n;
        for (int32_t k = 0; k < nheaders; k++) {
            for (int field = 0; field < 2; field++) { /* header key (not null), value */
                if (!(n = varint_decode(q, rend, &v)) || v < (field ? -1 : 0) ||
                    v > rend - q - (ptrdiff_t)n)
                    goto bad;
                q += n + (v > 0 ? v : 0);
            }
        }
        if (q != rend)
            goto bad;
        if (cb) {
            int rc = cb(delta, h->base_timestamp + ts_delta, ctx);
            if (rc)
                return rc;
        }
        r = rend;
        continue;
    bad:
        WHY("record %" PRId32 " is malformed", i);
        return GR_E_INVALID;
    }
    if (r != end) {
        WHY("%td bytes follow the last of %" PRId32 " records", end - r, h->record_count);
        return GR_E_INVALID;
    }
    return 0;
}

struct skew_ctx {
    int64_t now, max_diff;
};

static int check_skew(int32_t delta, int64_t ts, void *arg)
{
    struct skew_ctx *s = arg;
    (void)delta;
    int64_t diff = ts > s->now ? ts - s->now : s->now - ts;
    return diff > s->max_diff ? 1 : 0;
}

int log_batch_validate(const uint8_t *p, size_t avail, const struct log_batch_limits *lim,
                       struct log_batch_hdr *h, size_t *size, char *why, size_t whysz)
{
    /* Check the size before the CRC so an oversized batch gets the error the
     * client can act on (MESSAGE_TOO_LARGE), not a corruption report. */
    if (avail >= LOG_BATCH_HEADER_SIZE) {
        int32_t length = (int32_t)be32_load(p + LOG_BATCH_OFF_LENGTH);
        if (length > 0 && (int64_t)length + LOG_BATCH_LOG_OVERHEAD > lim->max_bytes &&
            (size_t)length + LOG_BATCH_LOG_OVERHEAD <= avail) {
            WHY("batch of %" PRId64 " bytes exceeds max.message.bytes %" PRId32,
                (int64_t)length + LOG_BATCH_LOG_OVERHEAD, lim->max_bytes);
            return GR_E_TOO_LARGE;
        }
    }
    int rc = log_batch_check(p, avail, h, why, whysz);
    if (rc)
        return rc == GR_E_UNSUPPORTED ? GR_E_INVALID : rc;
    *size = (size_t)log_batch_size(h);
    if (h->record_count <= 0 || h->last_offset_delta != h->record_count - 1) {
        WHY("record count %" PRId32 " does not match last offset delta %" PRId32,
            h->record_count, h->last_offset_delta);
        return GR_E_INVALID;
    }
    if (h->attributes & LOG_BATCH_CONTROL) {
        WHY("clients may not write control batches");
        return GR_E_INVALID;
    }
    if (h->attributes & LOG_BATCH_TRANSACTIONAL) {
        WHY("transactional batches are not supported");
        return GR_E_INVALID;
    }
    if ((h->attributes & LOG_BATCH_COMPRESSION_MASK) > 4) {
        WHY("unknown compression codec %d", h->attributes & LOG_BATCH_COMPRESSION_MASK);
        return GR_E_INVALID;
    }
    bool check_ts = !lim->log_append_time && lim->max_ts_diff_ms != INT64_MAX;
    if ((h->attributes & LOG_BATCH_COMPRESSION_MASK) == 0) {
        struct skew_ctx s = {lim->now_ms, lim->max_ts_diff_ms};
        rc = walk_records(p, *size, h, check_ts ? check_skew : NULL, &s, why, whysz);
        if (rc == 1) {
            WHY("a record timestamp is more than message.timestamp.difference.max.ms (%" PRId64
                ") from the broker's clock",
                lim->max_ts_diff_ms);
            return GR_E_INVALID;
        }
        if (rc)
            return rc;
    } else if (check_ts) {
        int64_t diff = h->max_timestamp - lim->now_ms;
        if (diff < 0)
            diff = -diff;
        if (diff > lim->max_ts_diff_ms) {
            WHY("batch max timestamp is more than message.timestamp.difference.max.ms from the "
                "broker's clock");
            return GR_E_INVALID;
        }
    }
    return 0;
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
