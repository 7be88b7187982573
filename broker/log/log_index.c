/*
 * Offset index lookups and maintenance (see log_index.h).
 */
#include "broker/log/log_index.h"

#include <stddef.h>

#include "common/bytes.h"
#include "common/err.h"

static int64_t entry_offset(const struct log_index *x, int32_t i)
{
    return x->base_offset + be32_load(log_idxfile_entry(&x->file, i));
}

static uint32_t entry_position(const struct log_index *x, int32_t i)
{
    return be32_load(log_idxfile_entry(&x->file, i) + 4);
}

int log_index_open(struct log_index *x, const char *path, int64_t base_offset, size_t max_bytes)
{
    x->base_offset = base_offset;
    return log_idxfile_open(&x->file, path, LOG_INDEX_ENTRY_SIZE, max_bytes);
}

void log_index_close(struct log_index *x)
{
    log_idxfile_close(&x->file);
}

int log_index_append(struct log_index *x, int64_t offset, uint32_t position)
{
    int64_t rel = offset - x->base_offset;
    if (rel < 0 || rel > INT32_MAX ||
        (x->file.entries && offset <= entry_offset(x, x->file.entries - 1)))
        return GR_E_INVALID;
    if (!x->file.writable || log_index_full(x))
        return GR_E_FULL;
    uint8_t e[LOG_INDEX_ENTRY_SIZE];
    be32_store(e, (uint32_t)rel);
    be32_store(e + 4, position);
    return log_idxfile_append(&x->file, e); /* on error the caller skips the entry */
}

static int cmp_offset(const struct log_idxfile *f, int32_t i, const void *target)
{
    const struct log_index *x =
        (const struct log_index *)(const void *)((const char *)f -
                                                 offsetof(struct log_index, file));
    int64_t o = entry_offset(x, i), t = *(const int64_t *)target;
    return o < t ? -1 : o > t;
}

/* Index of the last entry with offset <= target, -1 if none, or -2 when
 * cold_pos is set and a page it needs is not in memory. */
static int32_t slot_for(const struct log_index *x, int64_t target, int64_t *cold_pos)
{
    return log_idxfile_search(&x->file, cmp_offset, &target, cold_pos);
}

static void answer(const struct log_index *x, int32_t i, int64_t *offset, uint32_t *position)
{
    *offset = i < 0 ? x->base_offset : entry_offset(x, i);
    *position = i < 0 ? 0 : entry_position(x, i);
}

bool log_index_lookup(const struct log_index *x, int64_t target, int64_t *offset,
                      uint32_t *position)
{
    int32_t i = slot_for(x, target, NULL);
    answer(x, i, offset, position);
    return i >= 0;
}

int log_index_lookup_cached(const struct log_index *x, int64_t target, int64_t *offset,
                            uint32_t *position, int64_t *cold_pos)
{
    int32_t i = slot_for(x, target, cold_pos);
    if (i == -2)
        return GR_E_AGAIN;
    answer(x, i, offset, position);
    return 0;
}

void log_index_truncate_to(struct log_index *x, int64_t offset)
{
    int32_t i = slot_for(x, offset, NULL);
    /* Keep entries strictly below offset. */
    int32_t keep = i < 0 ? 0 : (entry_offset(x, i) == offset ? i : i + 1);
    log_idxfile_truncate(&x->file, keep);
}

int64_t log_index_last_offset(const struct log_index *x)
{
    return x->file.entries ? entry_offset(x, x->file.entries - 1) : x->base_offset;
}

bool log_index_sane(const struct log_index *x, int64_t next_offset, int64_t log_size)
{
    int64_t prev_off = x->base_offset - 1;
    int64_t prev_pos = -1;
    for (int32_t i = 0; i < x->file.entries; i++) {
        int64_t o = entry_offset(x, i), p = entry_position(x, i);
        if (o <= prev_off || o >= next_offset || p <= prev_pos || p >= log_size)
            return false;
        prev_off = o;
        prev_pos = p;
    }
    return true;
}
