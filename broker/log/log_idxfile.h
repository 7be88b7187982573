/*
 * A memory-mapped file of fixed-size entries: the storage under the offset
 * index (.index, 8-byte entries) and the time index (.timeindex, 12 bytes).
 *
 * Like Kafka's AbstractIndex: while its segment is active the file is mapped
 * read-write at the configured maximum, so an append is a store into memory;
 * when the segment becomes inactive, and on close, the file is trimmed to
 * exactly its entries so that a later open can count them from the file
 * size. It knows nothing about what the entries mean.
 *
 * Unlike Kafka's, the file under the mapping is never sparse: it is
 * allocated (posix_fallocate) a block at a time, ahead of the entries
 * written into it, so a full disk shows up as ENOSPC from
 * log_idxfile_append (or from creating the file) and never as SIGBUS from
 * a store into an unallocated page. Allocating the whole maximum up front
 * would reserve 2 x segment.index.bytes (20 MiB by default) per partition.
 *
 * Appended entries wait in a small heap buffer and reach the mapping a
 * batch at a time (log_idxfile_store): when the buffer fills, before the
 * file is fsynced, resized or closed. A store into a mapped page costs far
 * more than one into the heap when thousands of partitions each append to
 * their own index (a TLB miss and, on a virtual machine with shadow page
 * tables, a trip to the hypervisor per store: 11-18 % of the broker's CPU at
 * 2,048 partitions, see docs/BENCHMARKS.md). The entries still waiting when
 * the process dies are lost, which is safe: they only exist for an active
 * segment, and after an unclean shutdown recovery rebuilds the index of
 * every segment from the one holding the recovery point, which always
 * includes the active one. Readers see the waiting entries as usual, through
 * log_idxfile_entry.
 *
 * No descriptor stays open: like Kafka's, the file is opened only to resize
 * and map it. A partition then holds one descriptor per segment (its .log)
 * instead of three, which is what lets a broker with a default hard limit
 * of a few tens of thousands host thousands of partitions.
 */
#ifndef GREGOR_LOG_IDXFILE_H
#define GREGOR_LOG_IDXFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appended entries kept in the heap before they are stored in the mapping:
 * 768 bytes of time index entries, 512 of offset index entries per active
 * segment. */
#define LOG_IDXFILE_PEND 64

struct log_idxfile {
    uint8_t *map;      /* mapping of map_len bytes, NULL if map_len is 0 */
    size_t map_len;    /* bytes mapped (the maximum when writable) */
    size_t file_len;   /* bytes of the file, all allocated; <= map_len */
    size_t entry_size; /* 8 or 12 */
    int32_t entries;   /* valid entries: [0, stored) in the map, the rest in pend */
    int32_t stored;    /* entries written into the mapping */
    uint8_t *pend;     /* owned: room for LOG_IDXFILE_PEND entries [stored, entries), or NULL */
    bool writable;     /* grown to max and mapped for writing */
    bool unlinked;     /* deleted: close must not trim by path (a new file may have the name) */
    char *path;        /* owned */
};

/* Opens (creating if absent) the file at path. Entries are counted from the
 * file size, which must be a multiple of entry_size (else GR_E_CORRUPT). If
 * max_bytes > 0 the file is grown to max_bytes (rounded down to whole
 * entries) and mapped for writing; its first block is allocated now, so a
 * full disk fails here with GR_E_NOSPACE. Returns 0 or a negative gregor
 * error. */
int log_idxfile_open(struct log_idxfile *f, const char *path, size_t entry_size,
                     size_t max_bytes);
/* Unmaps, trims a writable file to its entries and closes. */
void log_idxfile_close(struct log_idxfile *f);

/* Pointer to entry i (0 <= i < entries), in the mapping or still waiting in
 * the heap. Valid until the next append, store, resize or close. */
static inline uint8_t *log_idxfile_entry(const struct log_idxfile *f, int32_t i)
{
    return i < f->stored ? f->map + (size_t)i * f->entry_size
                         : f->pend + (size_t)(i - f->stored) * f->entry_size;
}

/* Adds one entry of entry_size bytes (copied from entry) after the others.
 * Returns 0, GR_E_FULL at the maximum or when read-only, GR_E_NOMEM, or the
 * error of allocating the file ahead (GR_E_NOSPACE on a full disk,
 * GR_E_NOFILES): the caller then skips the entry, which only makes the index
 * sparser. The file is allocated for the entry before it is accepted, so a
 * later store into the mapping never touches an unallocated page. */
int log_idxfile_append(struct log_idxfile *f, const uint8_t *entry);

/* Writes the waiting entries into the mapping (a no-op when none wait). */
void log_idxfile_store(struct log_idxfile *f);

/* Orders entry i against a target: <= 0 when the entry's key is at or below
 * it, > 0 above. */
typedef int (*log_idxfile_cmp_fn)(const struct log_idxfile *f, int32_t i, const void *target);

/* Index of the last entry whose key is at or below target (entries are
 * sorted by key), or -1 when there is none.
 *
 * With cold_pos NULL the search reads the mapping as it is, and a page that
 * is not in memory is read from the disk by the page fault, on the calling
 * thread. With cold_pos set it first asks mincore(2) which pages of the
 * entries are in memory (one call) and stops before touching one that is
 * not: it returns -2 with *cold_pos the file position of that page. The
 * loop uses this so that a lookup in a cold index never waits for the disk
 * (see log_read_cached in log.h). When mincore fails, or no memory is left
 * for its answer, every page counts as in memory. */
int32_t log_idxfile_search(const struct log_idxfile *f, log_idxfile_cmp_fn cmp, const void *target,
                           int64_t *cold_pos);

/* Entries the current mapping can hold. */
static inline int32_t log_idxfile_capacity(const struct log_idxfile *f)
{
    return (int32_t)(f->map_len / f->entry_size);
}

/* Maps the file for writing with room for max_bytes (rounded down to
 * entries, never fewer than the valid entries; max_bytes > 0), or trims it
 * to the valid entries and maps it read-only (max_bytes == 0). Opening for
 * writing does not fail on a full disk: entries are skipped until
 * log_idxfile_append finds space again. */
int log_idxfile_resize(struct log_idxfile *f, size_t max_bytes);

/* Keeps only the first n entries (the bytes after them are not cleared). */
void log_idxfile_truncate(struct log_idxfile *f, int32_t n);

/* Deletes the file (it stays usable until closed). */
int log_idxfile_unlink(struct log_idxfile *f);

/* Stores the waiting entries, then returns a new read-only descriptor of the
 * file for an fsync (the caller owns and closes it), or a negative gregor
 * error. */
int log_idxfile_open_for_sync(struct log_idxfile *f);

/* Renames the file (used when a partition directory is renamed). */
int log_idxfile_set_path(struct log_idxfile *f, const char *path);

#endif
