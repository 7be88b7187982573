/*
 * Time index lookups and maintenance (see log_timeindex.h).
 */
#include "broker/log/log_timeindex.h"

#include <stddef.h>

#include "common/bytes.h"
#include "common/err.h"

static int64_t entry_ts(const struct log_timeindex *x, int32_t i)
{
    return (int64_t)be64_load(log_idxfile_entry(&x->file, i));
}

static int64_t entry_offset(const struct log_timeindex *x, int32_t i)
{
    return x->base_offset + be32_load(log_idxfile_entry(&x->file, i) + 8);
}

int log_timeindex_open(struct log_timeindex *x, const char *path, int64_t base_offset,
                       size_t max_bytes)
{
    x->base_offset = base_offset;
    return log_idxfile_open(&x->file, path, LOG_TIMEINDEX_ENTRY_SIZE, max_bytes);
}

void log_timeindex_close(struct log_timeindex *x)
{
    log_idxfile_close(&x->file);
}

void log_timeindex_last(const struct log_timeindex *x, int64_t *ts, int64_t *offset)
{
    if (!x->file.entries) {
        *ts = -1;
        *offset = x->base_offset;
    } else {
        *ts = entry_ts(x, x->file.entries - 1);
        *offset = entry_offset(x, x->file.entries - 1);
    }
}

int log_timeindex_maybe_append(struct log_timeindex *x, int64_t timestamp, int64_t offset)
{
    int64_t rel = offset - x->base_offset;
    if (rel < 0 || rel > INT32_MAX)
        return GR_E_INVALID;
    /* An empty index behaves as if its last entry were (-1, base), as in
     * Kafka, so "no timestamp" (-1) is never recorded. */
    int64_t last_ts, last_off;
    log_timeindex_last(x, &last_ts, &last_off);
    if (x->file.entries && offset < last_off)
        return GR_E_INVALID;
    if (timestamp <= last_ts)
        return 0;
    if (!x->file.writable || log_timeindex_full(x))
        return 0;
    uint8_t e[LOG_TIMEINDEX_ENTRY_SIZE];
    be64_store(e, (uint64_t)timestamp);
    be32_store(e + 8, (uint32_t)rel);
    (void)log_idxfile_append(&x->file, e); /* no room on disk: the index is only sparser */
    return 0;
}

static int cmp_ts(const struct log_idxfile *f, int32_t i, const void *target)
{
    const struct log_timeindex *x =
        (const struct log_timeindex *)(const void *)((const char *)f -
                                                     offsetof(struct log_timeindex, file));
    int64_t ts = entry_ts(x, i), t = *(const int64_t *)target;
    return ts < t ? -1 : ts > t;
}

int log_timeindex_lookup_cached(const struct log_timeindex *x, int64_t ts, int64_t *found_ts,
                                int64_t *offset, int64_t *cold_pos)
{
    int32_t found = log_idxfile_search(&x->file, cmp_ts, &ts, cold_pos);
    if (found == -2)
        return GR_E_AGAIN;
    if (found < 0) {
        *found_ts = -1;
        *offset = x->base_offset;
    } else {
        *found_ts = entry_ts(x, found);
        *offset = entry_offset(x, found);
    }
    return 0;
}

void log_timeindex_lookup(const struct log_timeindex *x, int64_t ts, int64_t *found_ts,
                          int64_t *offset)
{
    log_timeindex_lookup_cached(x, ts, found_ts, offset, NULL);
}

void log_timeindex_truncate_to(struct log_timeindex *x, int64_t offset)
{
    int32_t n = x->file.entries;
    while (n > 0 && entry_offset(x, n - 1) >= offset)
        n--;
    log_idxfile_truncate(&x->file, n);
}

bool log_timeindex_sane(const struct log_timeindex *x, int64_t next_offset)
{
    for (int32_t i = 0; i < x->file.entries; i++) {
        int64_t o = entry_offset(x, i);
        if (o >= next_offset)
            return false;
        if (i && (entry_ts(x, i) <= entry_ts(x, i - 1) || o < entry_offset(x, i - 1)))
            return false;
    }
    return true;
}
