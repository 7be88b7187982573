/*
 * One segment of a partition log: NNNNNNNNNNNNNNNNNNNN.log with its .index and
 * .timeindex, named by the base offset (20 digits).
 *
 * Owns the three files and the facts about them (size, next offset, largest
 * timestamp), and knows how to append batches, find the batch holding an
 * offset or a timestamp, truncate, and recover (re-validate every batch and
 * rebuild the indexes). It does not decide when to roll, flush or delete:
 * the partition log (log.c) does.
 */
#ifndef GREGOR_LOG_SEGMENT_H
#define GREGOR_LOG_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log/log_batch.h"
#include "broker/log/log_file.h"
#include "broker/log/log_index.h"
#include "broker/log/log_timeindex.h"
#include "broker/log/log_warm.h"

struct log_segment {
    int64_t base_offset;             /* offset in the file names; <= first offset inside */
    int64_t next_offset;             /* offset after the last batch; base_offset when empty */
    int64_t size;                    /* bytes of whole batches in the .log file */
    struct log_file *file;           /* the .log descriptor, shared with sendfile readers */
    struct log_index index;          /* .index */
    struct log_timeindex timeindex;  /* .timeindex */
    int64_t max_timestamp;           /* largest batch MaxTimestamp seen; -1 if none */
    int64_t offset_of_max_timestamp; /* last offset of the batch that had it */
    int64_t rolling_timestamp;       /* first batch's MaxTimestamp (segment.ms); -1 unknown */
    int64_t created_ms;              /* wall clock when created or opened (no timestamps) */
    int32_t bytes_since_index;       /* bytes appended since the last index entry */
    int32_t index_interval;          /* index.interval.bytes */
    size_t index_max_bytes;          /* segment.index.bytes, for re-activation */
    bool active;                     /* the last segment: indexes mapped for writing */
    char *path;                      /* "<dir>/<20-digit base>" without suffix; owned */
};

/* Creates an empty, active segment in dir (files must not hold data).
 * Returns new (caller frees with log_segment_close) or NULL with *err set. */
struct log_segment *log_segment_create(const char *dir, int64_t base_offset,
                                       int32_t index_interval, size_t index_max_bytes,
                                       int64_t now_ms, int *err);

/* Opens an existing segment without reading its batches. Indexes that are
 * missing or not a whole number of entries are recreated empty and
 * *needs_rebuild is set. next_offset is unknown (base_offset) until
 * log_segment_load_tail() or log_segment_recover() runs. */
struct log_segment *log_segment_open(const char *dir, int64_t base_offset, int32_t index_interval,
                                     size_t index_max_bytes, int64_t now_ms, bool *needs_rebuild,
                                     int *err);

/* Finds next_offset and the largest timestamp of a trusted segment (one
 * below the recovery point or after a clean shutdown) by reading the batch
 * headers after the last index entry, and checks the indexes against the
 * file. Returns 0, or GR_E_CORRUPT when the indexes or the tail do not add
 * up (the caller then recovers the segment). */
int log_segment_load_tail(struct log_segment *s);

/* Called for each valid batch found during recovery (leader epoch cache). */
typedef void (*log_segment_batch_cb)(const struct log_batch_hdr *h, void *ctx);

/* Re-validates every batch (size, magic, CRC, offsets increasing), rebuilds
 * both indexes, and cuts the file at the first bad batch. *truncated gets the
 * number of bytes cut. Returns 0 or an I/O error. */
int log_segment_recover(struct log_segment *s, log_segment_batch_cb cb, void *ctx,
                        int64_t *truncated);

/* Appends len bytes of whole, already validated batches with offsets
 * assigned, at the end of the file, and indexes them. On a failed write the
 * file is cut back to its previous size. Returns 0 or a negative error
 * (GR_E_NOSPACE for a full disk). Same as write + commit. */
int log_segment_append(struct log_segment *s, const uint8_t *data, size_t len);

/* The two halves of an append, for writing while the batches are still
 * being verified: write puts the bytes in the file after the segment's
 * committed size (readers see nothing of them; a failed write is cut back),
 * commit then makes them part of the segment and indexes them, or rollback
 * cuts the file back to the committed size. */
int log_segment_write(struct log_segment *s, const uint8_t *data, size_t len);
void log_segment_commit(struct log_segment *s, const uint8_t *data, size_t len);
int log_segment_rollback(struct log_segment *s);

/* Would appending a batch of len bytes with the given last offset and max
 * timestamp need a new segment first? */
bool log_segment_should_roll(const struct log_segment *s, size_t len, int64_t last_offset,
                             int64_t max_timestamp, int64_t now_ms, int32_t segment_bytes,
                             int64_t segment_ms, int64_t jitter_ms);

/* Finds the first batch whose last offset is >= offset, searching from the
 * index. Returns 0 with its position and header, GR_E_RANGE if no batch in
 * the segment reaches offset, or an I/O error. cold NULL: pages not in
 * memory are read on the calling thread. cold set: returns GR_E_AGAIN, with
 * *cold the range to bring in first (log_warm_cold), instead of waiting for
 * the disk. */
int log_segment_translate(struct log_segment *s, int64_t offset, int64_t *position,
                          struct log_batch_hdr *h, struct log_cold *cold);

/* Finds the first record with timestamp >= ts and offset >= min_offset.
 * Returns 1 with *offset and *found_ts, 0 if none, or a negative error;
 * cold as for log_segment_translate. */
int log_segment_find_timestamp(struct log_segment *s, int64_t ts, int64_t min_offset,
                               int64_t *offset, int64_t *found_ts, struct log_cold *cold);

/* Removes every batch holding an offset >= offset (a batch straddling it is
 * removed whole). Returns 0 or a negative error.
 * What it reads, on the calling thread (the page cache may have to fetch
 * it): a binary search of each index (a few pages) and the batch headers
 * from the offset index entry below offset to the batch holding it (at
 * most index.interval.bytes of data plus one batch), as Kafka's
 * LogSegment.truncateTo. When the batch with the largest timestamp is cut
 * too, the new largest timestamp is found by reading the headers from the
 * time index's last entry to the new end: one index interval while
 * timestamps grow, more when they stalled over a long stretch. */
int log_segment_truncate_to(struct log_segment *s, int64_t offset);

/* The segment stops being the last one: records its largest timestamp in the
 * time index and trims both indexes to their entries. */
int log_segment_deactivate(struct log_segment *s);
/* The segment becomes the last one again (after truncation): indexes are
 * grown and mapped for writing. */
int log_segment_activate(struct log_segment *s);

/* Largest timestamp for retention: the largest record timestamp if any,
 * else the file's modification time. */
int64_t log_segment_largest_timestamp(const struct log_segment *s);

/* Unlinks the three files; readers holding the log_file keep reading. */
int log_segment_unlink(struct log_segment *s);

/* Closes the segment (indexes trimmed) and frees it. The .log descriptor
 * stays open while readers hold references. */
void log_segment_close(struct log_segment *s);

/* Reads up to n bytes at pos into buf; returns bytes read or a negative error. */
int64_t log_segment_pread(const struct log_segment *s, void *buf, size_t n, int64_t pos);

#endif
