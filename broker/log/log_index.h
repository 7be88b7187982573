/*
 * The offset index of one segment (.index): sparse entries mapping an offset
 * to the file position of the batch that ends at it.
 *
 * Entries are Kafka's: u32 offset relative to the segment's base offset and
 * u32 file position, big-endian. An entry (o, p) says "the batch at position
 * p has last offset o", so the batch holding any offset > o starts at or after
 * p. Offsets in the index strictly increase.
 */
#ifndef GREGOR_LOG_INDEX_H
#define GREGOR_LOG_INDEX_H

#include "broker/log/log_idxfile.h"

#define LOG_INDEX_ENTRY_SIZE 8

struct log_index {
    struct log_idxfile file; /* the mapped .index file */
    int64_t base_offset;     /* the segment's base offset */
};

/* Opens path (see log_idxfile_open for max_bytes). */
int log_index_open(struct log_index *x, const char *path, int64_t base_offset, size_t max_bytes);
void log_index_close(struct log_index *x);

/* Adds (offset, position). offset must exceed the last entry's and fit in
 * 32 bits relative to the base. Returns 0, GR_E_FULL or GR_E_INVALID. */
int log_index_append(struct log_index *x, int64_t offset, uint32_t position);

/* Finds the last entry whose offset is <= target and returns true. With
 * none, answers the base offset and position 0 and returns false. */
bool log_index_lookup(const struct log_index *x, int64_t target, int64_t *offset,
                      uint32_t *position);

/* log_index_lookup that never waits for the disk: returns GR_E_AGAIN with
 * *cold_pos the position in the index file of a page it needs that is not
 * in memory (see log_idxfile_search), else 0 with the lookup's answer. */
int log_index_lookup_cached(const struct log_index *x, int64_t target, int64_t *offset,
                            uint32_t *position, int64_t *cold_pos);

/* Removes every entry whose offset is >= offset. */
void log_index_truncate_to(struct log_index *x, int64_t offset);

/* Offset of the last entry, or the base offset when empty. */
int64_t log_index_last_offset(const struct log_index *x);

static inline bool log_index_full(const struct log_index *x)
{
    return x->file.entries >= log_idxfile_capacity(&x->file);
}

/* Checks what a crash could have broken: offsets strictly increase and lie
 * below next_offset, positions increase and lie below log_size. */
bool log_index_sane(const struct log_index *x, int64_t next_offset, int64_t log_size);

#endif
