/*
 * Dumping a segment's .index and .timeindex for gregor-dump-log (see
 * dump_log.h): Kafka 2.8's DumpLogSegments.dumpIndex and dumpTimeIndex, with
 * OffsetIndex/TimeIndex's entry counting, lookup and sanity checks. The
 * index files are read whole (they are small: 10 MiB at most by default)
 * with a bounded read; nothing is mapped or created.
 */
#include "tools/dump_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/bytes.h"

#define CORRUPT_INDEX "kafka.log.CorruptIndexException"
#define WARM_BYTES    8192 /* AbstractIndex._warmEntries is 8192 / entrySize */

struct idx {
    uint8_t *bytes;
    int64_t length;  /* the file's size */
    int32_t entries; /* whole entries in it */
    int entry_size;
    int64_t base;
};

static void idx_load(struct idx *x, const char *path, int entry_size, int64_t base)
{
    struct dl_file f;
    dl_open(&f, path);
    if (f.size > INT32_MAX)
        dl_die("java.io.IOException", NULL, "%s: %" PRId64 " bytes, larger than an index can be",
               path, f.size);
    x->length = f.size;
    x->entry_size = entry_size;
    x->entries = (int32_t)(f.size / entry_size);
    x->base = base;
    x->bytes = malloc(f.size ? (size_t)f.size : 1);
    if (!x->bytes)
        dl_die("java.lang.OutOfMemoryError", NULL, "reading %s", path);
    dl_read(&f, 0, x->bytes, (size_t)f.size);
    dl_close(&f);
}

/* Entry n: offset index (offset, position); time index (timestamp, offset).
 * Relative offsets are Java ints, added to the base as Kafka does. */
static int64_t off_key(const struct idx *x, int32_t n)
{
    return x->base + (int32_t)be32_load(x->bytes + (size_t)n * 8);
}

static int32_t off_pos(const struct idx *x, int32_t n)
{
    return (int32_t)be32_load(x->bytes + (size_t)n * 8 + 4);
}

static int64_t ts_key(const struct idx *x, int32_t n)
{
    return (int64_t)be64_load(x->bytes + (size_t)n * 12);
}

static int64_t ts_off(const struct idx *x, int32_t n)
{
    return x->base + (int32_t)be32_load(x->bytes + (size_t)n * 12 + 8);
}

/* AbstractIndex.indexSlotRangeFor(...)._1 on the offset index: the warm
 * section first, then the rest, so that a damaged index answers as Kafka's
 * does. */
static int32_t off_slot(const struct idx *x, int64_t target)
{
    if (x->entries == 0)
        return -1;
    int32_t warm = WARM_BYTES / x->entry_size;
    int32_t first_hot = x->entries - 1 - warm > 0 ? x->entries - 1 - warm : 0;
    int32_t lo, hi;
    if (off_key(x, first_hot) < target) {
        lo = first_hot;
        hi = x->entries - 1;
    } else {
        if (off_key(x, 0) > target)
            return -1;
        lo = 0;
        hi = first_hot;
    }
    while (lo < hi) {
        int32_t mid = (int32_t)(((uint32_t)lo + (uint32_t)hi + 1) >> 1);
        int64_t k = off_key(x, mid);
        if (k > target)
            hi = mid - 1;
        else if (k < target)
            lo = mid;
        else
            return mid;
    }
    return lo;
}

/* The first batch of at most max_message bytes at pos (FileRecords.slice
 * then batches.iterator.next()), as dumpIndex checks it. */
static int64_t first_batch_last_offset(const struct dl_file *log, int32_t pos, int32_t max_message)
{
    if (pos < 0)
        dl_die("java.lang.IllegalArgumentException", NULL,
               "Invalid position: %" PRId32 " in read from %s", pos, log->path);
    if (pos > log->size)
        dl_die("java.lang.IllegalArgumentException", NULL,
               "Slice from position %" PRId32 " exceeds end position of %s", pos, log->path);
    int64_t end = (int64_t)pos + max_message < log->size ? (int64_t)pos + max_message : log->size;
    struct dl_batch b;
    if (!dl_next_batch(log, pos, end, &b)) {
        char detail[200];
        snprintf(detail, sizeof(detail),
                 "(no whole batch of at most --max-message-size %" PRId32
                 " bytes starts at position %" PRId32 " of %s)",
                 max_message, pos, log->path);
        dl_die("java.util.NoSuchElementException", detail, "%s", "");
    }
    return b.last_offset;
}

void dl_dump_index(const char *path, const struct dl_opts *o)
{
    int64_t base = dl_base_offset(path);
    char *log_path = dl_sibling(path, ".log");
    struct dl_file log;
    dl_open(&log, log_path);
    struct idx x;
    idx_load(&x, path, 8, base);
    char *abs = dl_abs(path);
    if (x.entries == 0) {
        printf("%s is empty.\n", path);
        goto out;
    }
    if (o->sanity_only) {
        int64_t last = off_key(&x, x.entries - 1);
        if (last < base)
            dl_die(CORRUPT_INDEX, NULL,
                   "Corrupt index found, index file (%s) has non-zero size but the last offset "
                   "is %" PRId64 " which is less than the base offset %" PRId64 ".",
                   abs, last, base);
        if (x.length % 8)
            dl_die(CORRUPT_INDEX, NULL,
                   "Index file %s is corrupt, found %" PRId64
                   " bytes which is neither positive nor a multiple of 8.",
                   abs, x.length);
        printf("%s passed sanity check.\n", path);
        goto out;
    }
    for (int32_t i = 0; i < x.entries; i++) {
        int64_t off = off_key(&x, i);
        int32_t pos = off_pos(&x, i);
        /* Kafka: a zero entry after the first ends a sparse file. */
        if (off == base && i > 0)
            break;
        int64_t last = first_batch_last_offset(&log, pos, o->max_message);
        if (last != off)
            dl_report_add(DL_INDEX_MISMATCH, abs, off, last);
        if (!o->verify_only)
            printf("offset: %" PRId64 " position: %" PRId32 "\n", off, pos);
    }
out:
    free(abs);
    free(x.bytes);
    free(log_path);
    dl_close(&log);
}

static void max_ts(const struct dl_batch *b, const struct dl_record *r, void *arg)
{
    (void)b;
    int64_t *m = arg;
    if (r->timestamp > *m)
        *m = r->timestamp;
}

void dl_dump_time_index(const char *path, const struct dl_opts *o)
{
    int64_t base = dl_base_offset(path);
    char *log_path = dl_sibling(path, ".log");
    char *index_path = dl_sibling(path, ".index");
    struct dl_file log;
    dl_open(&log, log_path);
    struct idx x, t;
    idx_load(&x, index_path, 8, base);
    idx_load(&t, path, 12, base);
    char *abs = dl_abs(path);
    if (o->sanity_only) {
        int64_t last_ts = t.entries ? ts_key(&t, t.entries - 1) : -1;
        int64_t last_off = t.entries ? ts_off(&t, t.entries - 1) : base;
        if (t.entries && last_ts < ts_key(&t, 0))
            dl_die(CORRUPT_INDEX, NULL,
                   "Corrupt time index found, time index file (%s) has non-zero size but the "
                   "last timestamp is %" PRId64 " which is less than the first timestamp %" PRId64,
                   abs, last_ts, ts_key(&t, 0));
        if (t.entries && last_off < base)
            dl_die(CORRUPT_INDEX, NULL,
                   "Corrupt time index found, time index file (%s) has non-zero size but the "
                   "last offset is %" PRId64 " which is less than the first offset %" PRId64,
                   abs, last_off, base);
        if (t.length % 12)
            dl_die(CORRUPT_INDEX, NULL,
                   "Time index file %s is corrupt, found %" PRId64
                   " bytes which is neither positive nor a multiple of 12.",
                   abs, t.length);
        printf("%s passed sanity check.\n", path);
        goto out;
    }
    int64_t prev = -1;
    for (int32_t i = 0; i < t.entries; i++) {
        int64_t ts = ts_key(&t, i), off = ts_off(&t, i);
        if (off == base && i > 0)
            break;
        int32_t slot = off_slot(&x, off);
        int32_t pos = slot < 0 ? 0 : off_pos(&x, slot);
        if (pos < 0 || pos > log.size)
            dl_die("java.lang.IllegalArgumentException", NULL,
                   "Slice from position %" PRId32 " exceeds end position of %s", pos, log.path);
        /* The first batch from pos whose last offset reaches the entry's. */
        struct dl_batch b;
        int found = 0;
        for (int64_t at = pos; (found = dl_next_batch(&log, at, log.size, &b)); at += b.size)
            if (b.last_offset >= off)
                break;
        if (!found) {
            dl_report_add(DL_TIME_NOT_FOUND, abs, off, -1);
        } else if (b.last_offset != off) {
            dl_report_add(DL_TIME_NOT_FOUND, abs, off, b.last_offset);
        } else {
            int64_t m = -1;
            dl_records(&log, &b, o->max_message, max_ts, &m);
            if (m != ts)
                dl_report_add(DL_TIME_MISMATCH, abs, ts, m);
            if (prev >= ts)
                dl_report_add(DL_TIME_OUT_OF_ORDER, abs, ts, prev);
        }
        if (!o->verify_only)
            printf("timestamp: %" PRId64 " offset: %" PRId64 "\n", ts, off);
        prev = ts;
    }
out:
    free(abs);
    free(x.bytes);
    free(t.bytes);
    free(index_path);
    free(log_path);
    dl_close(&log);
}
