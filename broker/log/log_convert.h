/*
 * The message formats before record batches (magic 0 and 1, Kafka 0.8 to
 * 0.10) and their conversion to and from record batches (magic 2).
 *
 * Owns: parsing a message set of magic 0/1 messages as a Produce v0-2
 * request carries it (each message's offset, size, CRC-32, magic,
 * attributes, v1 timestamp, key and value; compressed wrapper messages
 * whose value is a compressed inner set), and the two conversions Kafka 2.8
 * does with message.format.version 2.x: up on append (one v2 batch holding
 * every message, offsets left for the log to assign, keys, values and
 * timestamps kept, as LogValidator.convertAndAssignOffsetsNonCompressed and
 * validateMessagesAndAssignOffsetsCompressed do) and down on fetch for
 * consumers that read only magic 0 or 1 (RecordsUtil.downConvert; headers
 * dropped, control batches skipped).
 *
 * Up-conversion keeps the producer's codec (common/compress_out.h), as
 * Kafka does. Down-conversion writes plain messages: a compressed v2 batch
 * reaches an old consumer uncompressed, where Kafka would write wrapper
 * messages of the batch's codec; the records a client reads are the same.
 *
 * Pure functions of their arguments (no log, no loop): unit-tested in
 * tests/unit/test_log_convert.c.
 */
#ifndef GREGOR_LOG_CONVERT_H
#define GREGOR_LOG_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Bytes of a magic 0 / magic 1 message before its key (offset, size, crc,
 * magic, attributes, v1 timestamp, key length). */
#define LOG_MSG_V0_OVERHEAD 26
#define LOG_MSG_V1_OVERHEAD 34

/* The magic of the first entry of a Produce partition's records, from the
 * byte that holds it in every format; -1 when the data is too short. */
int log_convert_magic(const uint8_t *data, size_t len);

/* Up-converts the magic 0/1 message set in[0..len) into one magic 2 batch
 * appended to out (caller-owned; the caller frees it), compressed with the
 * codec of the set's last wrapper message (none without one): base
 * offset 0 and leader epoch -1 (the log assigns both), CreateTime, v0
 * messages with no timestamp (-1), a v1 wrapper with LogAppendTime giving
 * its timestamp to its inner messages, no producer id. Inflated wrapper
 * values may total at most *inflate_left bytes (borrowed; reduced by what
 * was inflated, even on failure). Returns 0; GR_E_CORRUPT with a
 * reason (a bad CRC, a message or wrapper cut short, a size that does not
 * fit, an unknown magic, a compressed message inside a wrapper, a wrapper
 * that does not inflate or has no value, an empty set); GR_E_BAD_CODEC for
 * zstd or an unknown codec (Kafka refuses zstd before Produce v7:
 * UNSUPPORTED_COMPRESSION_TYPE); GR_E_POLICY past the bound; GR_E_NOMEM.
 * *records gets the number of records on success. */
int log_convert_up(const uint8_t *in, size_t len, uint64_t *inflate_left, struct buf *out,
                   int32_t *records, char *why, size_t whysz);

/* Down-converts the magic 2 batches in in[0..len) (a read of the log; a
 * batch cut off at the end is left out) into magic to_magic (0 or 1)
 * messages appended to out (caller-owned), one per record at or after
 * from_offset, with their absolute offsets, uncompressed. Stops before a
 * message that would take out past max_bytes, unless out holds no message
 * yet (the first always goes whole, as a fetch returns at least one).
 * Compressed batches inflate to at most inflate_max bytes each. *next gets
 * the offset after the last record written (from_offset when none). Returns
 * 0; GR_E_CORRUPT with a reason when a batch or record is malformed or does
 * not inflate; GR_E_NOMEM. */
int log_convert_down(const uint8_t *in, size_t len, int to_magic, int64_t from_offset,
                     size_t max_bytes, uint64_t inflate_max, struct buf *out, int64_t *next,
                     char *why, size_t whysz);

#endif
