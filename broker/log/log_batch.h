/*
 * Record batches (magic 2) as Kafka stores them on disk and sends them on the
 * wire: header parsing, validation on append, and offset assignment.
 *
 * Owns the rules a leader applies before a batch may enter the log (size,
 * magic, CRC, record count against LastOffsetDelta, record framing of
 * uncompressed batches, no control batches from clients) and the in-place
 * rewrite of BaseOffset and PartitionLeaderEpoch, which lie outside the CRC so
 * the CRC stays valid. A leader's check of a compressed batch inflates and
 * walks its records (log_batch_inner.h); the batch is stored as it came.
 */
#ifndef GREGOR_LOG_BATCH_H
#define GREGOR_LOG_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_BATCH_HEADER_SIZE 61 /* bytes up to and including RecordCount */
#define LOG_BATCH_LOG_OVERHEAD 12 /* BaseOffset + Length: bytes not counted in Length */
#define LOG_BATCH_MAGIC 2

/* Attribute bits. */
#define LOG_BATCH_COMPRESSION_MASK 0x07
#define LOG_BATCH_TIMESTAMP_LOG_APPEND 0x08
#define LOG_BATCH_TRANSACTIONAL 0x10
#define LOG_BATCH_CONTROL 0x20

/* Field offsets inside the header. */
#define LOG_BATCH_OFF_BASE_OFFSET 0
#define LOG_BATCH_OFF_LENGTH 8
#define LOG_BATCH_OFF_LEADER_EPOCH 12
#define LOG_BATCH_OFF_MAGIC 16
#define LOG_BATCH_OFF_CRC 17
#define LOG_BATCH_OFF_ATTRIBUTES 21
#define LOG_BATCH_OFF_LAST_OFFSET_DELTA 23
#define LOG_BATCH_OFF_BASE_TIMESTAMP 27
#define LOG_BATCH_OFF_MAX_TIMESTAMP 35
#define LOG_BATCH_OFF_PRODUCER_ID 43
#define LOG_BATCH_OFF_RECORD_COUNT 57

struct log_batch_hdr {
    int64_t base_offset;       /* first offset in the batch */
    int32_t length;            /* bytes after the Length field */
    int32_t leader_epoch;      /* PartitionLeaderEpoch */
    int8_t magic;              /* must be 2 */
    uint32_t crc;              /* CRC-32C from Attributes to the end */
    int16_t attributes;        /* compression, timestamp type, txn, control */
    int32_t last_offset_delta; /* last offset - base offset */
    int64_t base_timestamp;    /* first record's timestamp */
    int64_t max_timestamp;     /* largest record timestamp (or append time) */
    int64_t producer_id;       /* -1 unless idempotent/transactional */
    int16_t producer_epoch;    /* producer epoch */
    int32_t base_sequence;     /* first sequence number */
    int32_t record_count;      /* records in the batch */
};

/* Decodes the header at p, which must hold LOG_BATCH_HEADER_SIZE bytes. */
void log_batch_parse(const uint8_t *p, struct log_batch_hdr *h);

/* Size of the whole batch on disk (Length + 12). */
static inline int64_t log_batch_size(const struct log_batch_hdr *h)
{
    return (int64_t)h->length + LOG_BATCH_LOG_OVERHEAD;
}

static inline int64_t log_batch_last_offset(const struct log_batch_hdr *h)
{
    return h->base_offset + h->last_offset_delta;
}

/* True when the batch's offsets can be computed with: BaseOffset >= 0,
 * LastOffsetDelta >= 0, and the offset after the batch fits in int64_t.
 * Headers read from disk are checked with it before any offset arithmetic. */
static inline bool log_batch_offsets_ok(const struct log_batch_hdr *h)
{
    return h->base_offset >= 0 && h->last_offset_delta >= 0 &&
           h->base_offset < INT64_MAX - h->last_offset_delta;
}

/* Checks one batch that claims to start at p with avail bytes available:
 * the header fits, Length is sane and fits, magic is 2, RecordCount does not
 * exceed LastOffsetDelta + 1, the CRC matches, and for uncompressed batches
 * every record's framing and offset delta. This is
 * what recovery and followers check. Returns 0, GR_E_CORRUPT,
 * GR_E_UNSUPPORTED (magic) or GR_E_BAD_RECORD (records), with a reason. */
int log_batch_check(const uint8_t *p, size_t avail, struct log_batch_hdr *h, char *why,
                    size_t whysz);

/* Limits a leader enforces on a batch from a client. */
struct log_batch_limits {
    int32_t max_bytes;        /* max.message.bytes */
    int64_t now_ms;           /* broker clock, for the timestamp checks */
    int64_t max_ts_diff_ms;   /* message.timestamp.difference.max.ms (CreateTime) */
    bool log_append_time;     /* message.timestamp.type=LogAppendTime */
    /* A Produce request's budget for inflating compressed batches
     * (gregor.produce.inflate.max.bytes), shared by all its batches: one
     * batch alone may inflate to log_batch_inflate_max(), but a request
     * carries one per partition. */
    bool request_bound;       /* false: only the per-batch bound applies */
    int64_t inflate_left;     /* what the request may still inflate */
};

/* A leader's cheap checks, from the header alone: structure, size within
 * max_bytes (GR_E_TOO_LARGE), RecordCount == LastOffsetDelta + 1 > 0, no
 * control or transactional batch, a known codec, and for compressed batches
 * the timestamp skew (GR_E_BAD_TIMESTAMP); the rest fail with GR_E_BAD_RECORD.
 * *size gets the batch size. */
int log_batch_precheck(const uint8_t *p, size_t avail, const struct log_batch_limits *lim,
                       struct log_batch_hdr *h, size_t *size, char *why, size_t whysz);

/* The expensive checks of a batch whose header h passed the precheck: the
 * CRC, and each record's framing, consecutive offset deltas and (CreateTime,
 * when lim limits it) timestamps. lim may be NULL (recovery): then the
 * records of a compressed batch are not inflated; with lim they are
 * (log_batch_inner_verify(), which adds GR_E_CORRUPT for a payload that does
 * not inflate, and GR_E_POLICY for one that would inflate past what the
 * request has left, lim->inflate_left). *inflated (may be NULL) gets the
 * bytes inflated, to be charged to the request. Reads only from the Length field on, skipping BaseOffset and
 * PartitionLeaderEpoch (which a leader may rewrite meanwhile), so it can run
 * on another thread while the batch is being written. */
int log_batch_verify(const uint8_t *p, const struct log_batch_hdr *h,
                     const struct log_batch_limits *lim, int64_t *inflated, char *why,
                     size_t whysz);

/* precheck + verify. */
int log_batch_validate(const uint8_t *p, size_t avail, const struct log_batch_limits *lim,
                       struct log_batch_hdr *h, size_t *size, char *why, size_t whysz);

/* Rewrites BaseOffset and PartitionLeaderEpoch in place; the CRC does not
 * cover them. */
void log_batch_assign(uint8_t *p, int64_t base_offset, int32_t leader_epoch);

/* Switches a batch to LogAppendTime: sets the attribute bit and MaxTimestamp
 * to now_ms and recomputes the CRC (both lie inside it). */
void log_batch_set_log_append_time(uint8_t *p, int64_t now_ms);

/* For uncompressed batches: finds the first record whose timestamp is >= ts
 * and whose offset is >= min_offset. Returns 1 and fills *offset and *found_ts,
 * 0 if none, GR_E_CORRUPT on bad framing. Compressed batches answer with
 * the first offset >= min_offset and the batch's max timestamp when that is
 * >= ts (gregor does not decompress). */
int log_batch_find_timestamp(const uint8_t *p, size_t size, int64_t ts, int64_t min_offset,
                             int64_t *offset, int64_t *found_ts);

#endif
