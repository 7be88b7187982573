/*
 * The time index of one segment (.timeindex): sparse entries mapping a
 * timestamp to the offset from which it was reached.
 *
 * Entries are Kafka's: i64 timestamp and u32 offset relative to the base,
 * big-endian. Timestamps strictly increase from entry to entry: an entry is
 * added only when the segment's largest timestamp so far has grown, so the
 * last entry is the segment's largest timestamp, which retention reads.
 */
#ifndef GREGOR_LOG_TIMEINDEX_H
#define GREGOR_LOG_TIMEINDEX_H

#include "broker/log/log_idxfile.h"

#define LOG_TIMEINDEX_ENTRY_SIZE 12

struct log_timeindex {
    struct log_idxfile file; /* the mapped .timeindex file */
    int64_t base_offset;     /* the segment's base offset */
};

int log_timeindex_open(struct log_timeindex *x, const char *path, int64_t base_offset,
                       size_t max_bytes);
void log_timeindex_close(struct log_timeindex *x);

/* Appends (timestamp, offset) if timestamp is larger than the last entry's
 * (or the index is empty) and there is room; otherwise does nothing.
 * Returns GR_E_INVALID if offset is below the last entry's offset. */
int log_timeindex_maybe_append(struct log_timeindex *x, int64_t timestamp, int64_t offset);

/* Finds the last entry with timestamp <= ts. With none, answers (-1, base). */
void log_timeindex_lookup(const struct log_timeindex *x, int64_t ts, int64_t *found_ts,
                          int64_t *offset);
/* The same, never waiting for the disk: GR_E_AGAIN with *cold_pos the
 * position in the file of a page it needs that is not in memory (see
 * log_idxfile_search), else 0. */
int log_timeindex_lookup_cached(const struct log_timeindex *x, int64_t ts, int64_t *found_ts,
                                int64_t *offset, int64_t *cold_pos);

/* The last entry, or (-1, base) when empty. */
void log_timeindex_last(const struct log_timeindex *x, int64_t *ts, int64_t *offset);

/* Removes every entry whose offset is >= offset. */
void log_timeindex_truncate_to(struct log_timeindex *x, int64_t offset);

static inline bool log_timeindex_full(const struct log_timeindex *x)
{
    return x->file.entries >= log_idxfile_capacity(&x->file);
}

/* Timestamps and offsets strictly/weakly increase, offsets below next_offset. */
bool log_timeindex_sane(const struct log_timeindex *x, int64_t next_offset);

#endif
