/*
 * Compressed record batches for tests and fuzz seeds, made with the codec
 * libraries themselves, byte for byte as producers make them (gzip, raw
 * snappy as librdkafka writes it, snappy in the Java client's xerial
 * framing, lz4 frames, zstd). Aborts if a library fails.
 */
#ifndef GREGOR_TESTS_TESTCOMPRESS_H
#define GREGOR_TESTS_TESTCOMPRESS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* A test-only "codec": snappy in the Java client's xerial framing (stored
 * with the snappy attribute, 2). */
#define TESTCOMPRESS_XERIAL 5

/* Appends the n bytes at p compressed with codec (common/compress.h's
 * COMPRESS_*, or TESTCOMPRESS_XERIAL) to out. */
void testcompress_into(int codec, struct buf *out, const uint8_t *p, size_t n);
/* Initialises b with a batch of count records whose records (the bytes
 * after a batch header, n of them at records) are compressed with codec, as
 * a producer would send it (CRC set). */
void testcompress_wrap(struct buf *b, int codec, const uint8_t *records, size_t n, int count);
/* Initialises b with a batch of count records (values of vsize bytes)
 * compressed with codec. */
void testcompress_batch(struct buf *b, int codec, int count, size_t vsize);

#endif
