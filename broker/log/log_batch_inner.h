/*
 * The records inside a compressed batch, checked as a leader takes the batch
 * from a client (Kafka 2.8's LogValidator.validateMessagesAndAssignOffsets-
 * Compressed).
 *
 * Owns the inner-record rules: the payload inflates (common/compress.h), to
 * at most a bound; it holds exactly RecordCount records; each record's
 * framing (length, attributes, timestamp delta, offset delta, key, value,
 * headers) fills its length exactly; offset deltas run 0, 1, 2, ...; and,
 * when the limits say so, each timestamp is within
 * message.timestamp.difference.max.ms. It does not keep the inflated bytes:
 * the records are walked as they stream out through a small window, so a
 * batch costs at most the bound in CPU and a fixed amount of memory, and the
 * batch is stored as the client compressed it. Recovery and followers do not
 * come here (Kafka does not inflate there either).
 *
 * Thread-safe: it touches only its arguments, so the verifier thread may run
 * it (log_verify.h).
 */
#ifndef GREGOR_LOG_BATCH_INNER_H
#define GREGOR_LOG_BATCH_INNER_H

#include <stddef.h>
#include <stdint.h>

/* A compressed batch may inflate to this many times max.message.bytes (at
 * least LOG_BATCH_INFLATE_MIN): far above what clients produce (librdkafka
 * caps a batch at 1 MB before compression, the Java client at batch.size
 * after it), far below what a "zip bomb" claims. */
#define LOG_BATCH_INFLATE_FACTOR 32
#define LOG_BATCH_INFLATE_MIN    (32 * 1024 * 1024)

/* The bound for a topic whose max.message.bytes is max_bytes. */
int64_t log_batch_inflate_max(int32_t max_bytes);

/* What the walk needs of a batch (log_batch.c fills it from the header and
 * the leader's limits; this file does not know the header's layout). */
struct log_batch_inner {
    const uint8_t *payload; /* the compressed records (after the header); borrowed */
    size_t len;             /* their size */
    int codec;              /* the batch's codec (common/compress.h), not 0 */
    int32_t record_count;   /* RecordCount */
    int64_t base_timestamp; /* BaseTimestamp */
    int64_t now_ms;         /* broker clock */
    int64_t max_ts_diff_ms; /* CreateTime skew allowed; INT64_MAX: not checked */
    int64_t max_inflated;   /* the bound */
};

/* Checks the records of one compressed batch. Borrows b. *inflated gets the
 * bytes inflated, whatever the result (a request's budget is charged with
 * them, log_batch.h), or max_inflated + 1 when the payload goes past the
 * bound. Returns 0;
 * GR_E_CORRUPT when the payload does not inflate (garbled, cut short, bytes
 * after the stream's end, or larger than the bound: Kafka's
 * CORRUPT_MESSAGE); GR_E_BAD_RECORD when the records do not match
 * RecordCount or are malformed, or the codec is unknown (Kafka's
 * INVALID_RECORD); GR_E_BAD_TIMESTAMP; GR_E_NOMEM. why says which record and
 * what. */
int log_batch_inner_verify(const struct log_batch_inner *b, int64_t *inflated, char *why,
                           size_t whysz);

#endif
