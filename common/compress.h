/*
 * Inflating Kafka's compressed record payloads, as a stream with a bound.
 *
 * Owns: reading the bytes of one compressed batch's records back out of
 * gzip, snappy (Kafka's xerial framing as the Java client and librdkafka's
 * consumer read it, and raw snappy as librdkafka writes it), lz4 (the LZ4
 * frame format of Kafka's KafkaLZ4BlockOutputStream) and zstd, through the
 * Debian libraries, a piece at a time, never producing more than the caller's
 * bound: a small payload that claims gigabytes (a "zip bomb") stops with an
 * error at the bound, having cost at most the bound in CPU and a fixed window
 * of memory. It does not compress (compress_out.h does, for the one case the
 * broker writes compressed records itself) and knows nothing of records (broker/log/log_batch_inner.c walks them).
 *
 * A reader borrows its input for its lifetime and may be used by one thread
 * at a time; readers share nothing, so several threads may each use their own.
 */
#ifndef GREGOR_COMMON_COMPRESS_H
#define GREGOR_COMMON_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Kafka's codec ids (the low three bits of a batch's attributes). */
enum compress_codec {
    COMPRESS_NONE = 0,
    COMPRESS_GZIP = 1,
    COMPRESS_SNAPPY = 2,
    COMPRESS_LZ4 = 3,
    COMPRESS_ZSTD = 4,
};

struct compress_reader;

/* Kafka's name of codec ("gzip", ...), "unknown" for others. */
const char *compress_codec_name(int codec);

/* Opens a reader over in[0..len) compressed with codec that yields at most
 * max_out bytes. Borrows in until compress_reader_free(). Returns 0 and a new
 * reader in *out; GR_E_UNSUPPORTED for COMPRESS_NONE or an unknown codec,
 * GR_E_NOMEM. */
int compress_reader_open(int codec, const uint8_t *in, size_t len, uint64_t max_out,
                         struct compress_reader **out);

/* Reads up to n (> 0) inflated bytes into buf. Returns the number read (> 0),
 * 0 at the end of a stream that ended properly, or a negative error with a
 * reason in why: GR_E_CORRUPT (malformed or truncated data, bytes after the
 * end of the stream, or more than max_out bytes), GR_E_NOMEM. After an error
 * every further read returns it again. */
ssize_t compress_reader_read(struct compress_reader *r, uint8_t *buf, size_t n, char *why,
                             size_t whysz);

/* Total bytes produced so far. */
uint64_t compress_reader_produced(const struct compress_reader *r);

/* Whether the reader failed because the stream goes past max_out (not
 * because it is malformed): a caller with a smaller bound than the data's
 * own may tell "too much for now" from "corrupt". */
bool compress_reader_over_bound(const struct compress_reader *r);

/* Frees r (NULL allowed). */
void compress_reader_free(struct compress_reader *r);

#endif
