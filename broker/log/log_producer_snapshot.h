/*
 * Kafka's producer snapshot files: <offset>.snapshot beside the segments,
 * the producer state (log_producer.h) as it was when the log ended at
 * <offset>, so that opening the log reads only the batches after it.
 *
 * Format (Kafka 2.8's ProducerStateManager, version 1), big-endian:
 *   int16 version = 1
 *   uint32 crc: CRC-32C of every byte after this field
 *   int32 count, then count entries of
 *     int64 producer_id, int16 epoch, int32 last_sequence, int64 last_offset,
 *     int32 offset_delta (last offset - first offset of the last batch),
 *     int64 timestamp (its MaxTimestamp), int32 coordinator_epoch (-1 here),
 *     int64 current_txn_first_offset (-1: gregor has no transactions)
 * Only each producer's last batch is kept, as in Kafka: after a reload a
 * retry of that batch is still a duplicate, older ones are out of sequence.
 *
 * Owns the encoding only; log_producer_load.c writes and reads the files.
 */
#ifndef GREGOR_LOG_PRODUCER_SNAPSHOT_H
#define GREGOR_LOG_PRODUCER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "broker/log/log_producer.h"

struct buf;

/* Appends the snapshot of ps to out (check buf_failed for memory). */
void log_producer_snapshot_encode(const struct log_producers *ps, struct buf *out);

/* Loads the snapshot in p[0..len) into ps (which should be empty). Returns
 * 0, GR_E_CORRUPT (short, bad CRC, unknown version, a negative id, a
 * transaction in progress) with a reason in why, or GR_E_NOMEM. */
int log_producer_snapshot_decode(struct log_producers *ps, const uint8_t *p, size_t len,
                                 char *why, size_t whysz);

#endif
