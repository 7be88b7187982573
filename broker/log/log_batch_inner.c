/*
 * Walking the records of a compressed batch as they inflate (see
 * log_batch_inner.h). A byte source over a compress_reader with a window on
 * the stack; every read is limited to what is left of the current record, so
 * a field can never reach into the next one and a huge declared length costs
 * nothing until its bytes actually arrive.
 */
#include "broker/log/log_batch_inner.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/compress.h"
#include "common/err.h"

#define WINDOW   (16 * 1024)
#define WHY(...) (snprintf(why, whysz, __VA_ARGS__))

struct src {
    struct compress_reader *r; /* the inflating stream */
    uint8_t *buf;              /* the window */
    size_t pos, len;           /* unread bytes are buf[pos..len) */
    int64_t left;              /* bytes the current record may still use */
    int err;                   /* 0; 1 at the stream's end; or the reader's error */
    char *why;                 /* the reader's reason goes here */
    size_t whysz;              /* its size */
};

static bool refill(struct src *s)
{
    if (s->err)
        return false;
    ssize_t k = compress_reader_read(s->r, s->buf, WINDOW, s->why, s->whysz);
    if (k <= 0) {
        s->err = k < 0 ? (int)k : 1;
        return false;
    }
    s->pos = 0;
    s->len = (size_t)k;
    return true;
}

static inline bool take_byte(struct src *s, uint8_t *b)
{
    if (s->left <= 0 || (s->pos == s->len && !refill(s)))
        return false;
    s->left--;
    *b = s->buf[s->pos++];
    return true;
}

/* A zig-zag varint of at most maxbytes bytes (5 for int32, 10 for int64). */
static bool take_zigzag(struct src *s, int maxbytes, int64_t *out)
{
    uint64_t u = 0;
    for (int i = 0; i < maxbytes; i++) {
        uint8_t b;
        if (!take_byte(s, &b))
            return false;
        u |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return true;
        }
    }
    return false;
}

static bool take_int32(struct src *s, int32_t *out)
{
    int64_t v;
    if (!take_zigzag(s, 5, &v) || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

static bool skip(struct src *s, int64_t n)
{
    if (n > s->left)
        return false;
    while (n > 0) {
        if (s->pos == s->len && !refill(s))
            return false;
        size_t k = s->len - s->pos < (uint64_t)n ? s->len - s->pos : (size_t)n;
        s->pos += k;
        s->left -= (int64_t)k;
        n -= (int64_t)k;
    }
    return true;
}

/* A length-prefixed field: key, value, header key or value. */
static bool skip_field(struct src *s, bool nullable)
{
    int32_t v;
    return take_int32(s, &v) && v >= (nullable ? -1 : 0) && skip(s, v > 0 ? v : 0);
}

/* One record's body after its length: false if it is malformed. */
static bool take_record(struct src *s, int32_t *delta, int64_t *ts_delta)
{
    uint8_t attributes;
    int32_t nheaders;
    if (!take_byte(s, &attributes) || !take_zigzag(s, 10, ts_delta) || !take_int32(s, delta) ||
        !skip_field(s, true) || !skip_field(s, true) || !take_int32(s, &nheaders) || nheaders < 0)
        return false;
    for (int32_t k = 0; k < nheaders; k++)
        if (!skip_field(s, false) || !skip_field(s, true))
            return false;
    return s->left == 0;
}

int64_t log_batch_inflate_max(int32_t max_bytes)
{
    int64_t m = (int64_t)max_bytes * LOG_BATCH_INFLATE_FACTOR;
    return m > LOG_BATCH_INFLATE_MIN ? m : LOG_BATCH_INFLATE_MIN;
}

/* Why the walk stopped at record i: the reader's error, the stream's end,
 * or the record itself. */
static int stopped(struct src *s, int32_t i, int32_t count, char *why, size_t whysz)
{
    if (s->err < 0)
        return s->err; /* the reader wrote why */
    if (s->err == 1) {
        WHY("the compressed records end after %" PRId32 " of %" PRId32 " records", i, count);
        return GR_E_BAD_RECORD;
    }
    WHY("compressed record %" PRId32 " is malformed", i);
    return GR_E_BAD_RECORD;
}

static int walk(struct src *s, const struct log_batch_inner *b, char *why, size_t whysz)
{
    bool check_ts = b->max_ts_diff_ms != INT64_MAX;
    for (int32_t i = 0; i < b->record_count; i++) {
        int32_t len, delta;
        int64_t ts_delta;
        s->left = 5;
        if (!take_int32(s, &len) || len <= 0)
            return stopped(s, i, b->record_count, why, whysz);
        s->left = len;
        if (!take_record(s, &delta, &ts_delta))
            return stopped(s, i, b->record_count, why, whysz);
        if (delta != i) {
            WHY("compressed record %" PRId32 " has offset delta %" PRId32, i, delta);
            return GR_E_BAD_RECORD;
        }
        /* Client values: the timestamp wraps as in Kafka's Java, and its
         * distance from the clock is taken unsigned, so neither overflows. */
        int64_t ts = (int64_t)((uint64_t)b->base_timestamp + (uint64_t)ts_delta);
        uint64_t diff = ts > b->now_ms ? (uint64_t)ts - (uint64_t)b->now_ms
                                       : (uint64_t)b->now_ms - (uint64_t)ts;
        if (check_ts && ts != -1 && diff > (uint64_t)b->max_ts_diff_ms) {
            WHY("compressed record %" PRId32 "'s timestamp is more than "
                "message.timestamp.difference.max.ms (%" PRId64 ") from the broker's clock",
                i, b->max_ts_diff_ms);
            return GR_E_BAD_TIMESTAMP;
        }
    }
    /* Exactly RecordCount: nothing may follow the last record. */
    s->left = 1;
    uint8_t extra;
    if (take_byte(s, &extra)) {
        WHY("more records follow the %" PRId32 " the batch header declares", b->record_count);
        return GR_E_BAD_RECORD;
    }
    return s->err < 0 ? s->err : 0;
}

int log_batch_inner_verify(const struct log_batch_inner *b, int64_t *inflated, char *why,
                           size_t whysz)
{
    *inflated = 0;
    uint8_t window[WINDOW];
    char rwhy[160] = "";
    struct src s = {.buf = window, .why = rwhy, .whysz = sizeof(rwhy)};
    int rc = compress_reader_open(b->codec, b->payload, b->len, (uint64_t)b->max_inflated, &s.r);
    if (rc == GR_E_NOMEM)
        return rc;
    if (rc) {
        WHY("unknown compression codec %d", b->codec);
        return GR_E_BAD_RECORD;
    }
    rc = walk(&s, b, why, whysz);
    if (rc == GR_E_CORRUPT || rc == GR_E_NOMEM)
        WHY("%s payload: %s", compress_codec_name(b->codec), rwhy);
    /* Stopped at the bound: the payload inflates to more than it. */
    *inflated = compress_reader_over_bound(s.r) ? b->max_inflated + 1
                                                : (int64_t)compress_reader_produced(s.r);
    compress_reader_free(s.r);
    return rc;
}
