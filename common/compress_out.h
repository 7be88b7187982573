/*
 * Compressing record payloads as Kafka's own writers do, for the records the
 * broker itself writes: an up-converted message set (broker/log/
 * log_convert.h) is stored with the codec its producer used, as Kafka's
 * LogValidator re-compresses it.
 *
 * Owns the output framing of each codec: gzip (a gzip member, as
 * java.util.zip.GZIPOutputStream writes), snappy in snappy-java's xerial
 * framing (what the Java client and Kafka write; every client reads it), and
 * LZ4 frames with independent 64 KiB blocks (what Kafka's
 * KafkaLZ4BlockOutputStream writes and its reader requires). zstd is not
 * needed (old message formats cannot carry it) and is refused.
 * common/compress.h reads all of them back. Thread-safe (no shared state).
 */
#ifndef GREGOR_COMMON_COMPRESS_OUT_H
#define GREGOR_COMMON_COMPRESS_OUT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Appends in[0..n) compressed with codec (COMPRESS_GZIP, _SNAPPY, _LZ4 of
 * common/compress.h) to out (caller-owned). Returns 0, GR_E_UNSUPPORTED for
 * another codec, or GR_E_NOMEM (out may then hold part of the output: the
 * caller discards it). */
int compress_out(int codec, const uint8_t *in, size_t n, struct buf *out);

#endif
