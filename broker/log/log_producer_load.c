/*
 * Rebuilding a partition's producer state (log_producer.h) from its log, and
 * the snapshot files that bound that work (log_producer_snapshot.h).
 *
 * A snapshot is written at every roll (named by the new segment's base: the
 * state when the log ended there) and at a clean close (named by the log
 * end), as Kafka does; older ones are removed, the last two kept. Opening,
 * and a truncation that may have removed remembered batches, load the
 * newest snapshot at or below the log end and read the batch headers after
 * it, front to back in chunks, recording every batch with a producer id as
 * Kafka's replication origin does. Without a usable snapshot the whole log
 * is read. A snapshot past the log end (an unclean shutdown lost the tail
 * it describes, or a truncation cut it) describes batches that are gone:
 * it is removed, through the worker so that it follows any queued write.
 */
#define LOG_COMPONENT "log"
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_bg.h"
#include "broker/log/log_internal.h"
#include "broker/log/log_producer_snapshot.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"

#define CHUNK (64 * 1024)          /* bytes read at a time; a header never spans two reads */
#define SNAPSHOT_MAX (64 << 20)    /* a larger snapshot is not believed */
#define SNAPSHOTS_KEPT 2           /* snapshots at or below the log end kept on open */

static void snapshot_path(const struct log *l, int64_t offset, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s/%020" PRId64 ".snapshot", l->dir, offset);
}

/* Has the worker remove the snapshot at offset (after any queued write of it). */
static void remove_snapshot(struct log *l, int64_t offset)
{
    char path[PATH_MAX];
    snapshot_path(l, offset, path, sizeof(path));
    struct log_bg_job *j = log_bg_job_new(LOG_BG_REMOVE);
    if (!j || !(j->path = strdup(path))) {
        log_bg_job_free(j);
        LOG_WARN("out of memory removing %s", path);
        return;
    }
    log_bg_submit(l->bg, j);
}

/* The offsets of the snapshot files in l's directory, ascending, in *out
 * (caller frees). Returns the count, or -1 if the directory is unreadable. */
static int list_snapshots(const struct log *l, int64_t **out)
{
    *out = NULL;
    DIR *d = opendir(l->dir);
    if (!d)
        return -1;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        const char *name = de->d_name;
        if (strlen(name) != 29 || strcmp(name + 20, ".snapshot"))
            continue;
        long long v = strtoll(name, &end, 10);
        if (end != name + 20 || v < 0)
            continue;
        if (n == cap) {
            int64_t *g = realloc(*out, (size_t)(cap = cap ? cap * 2 : 8) * sizeof(*g));
            if (!g)
                break;
            *out = g;
        }
        (*out)[n++] = v;
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* a handful of files: insertion sort */
        for (int k = i; k > 0 && (*out)[k - 1] > (*out)[k]; k--) {
            int64_t t = (*out)[k];
            (*out)[k] = (*out)[k - 1];
            (*out)[k - 1] = t;
        }
    return n;
}

void log_write_producer_snapshot(struct log *l)
{
    int64_t offset = log_end_offset(l);
    struct buf b;
    buf_init(&b);
    log_producer_snapshot_encode(&l->producers, &b);
    char path[PATH_MAX];
    snapshot_path(l, offset, path, sizeof(path));
    struct log_bg_job *j = log_bg_job_new(LOG_BG_WRITE_FILE);
    if (!j || buf_failed(&b) || !(j->path = strdup(path))) {
        LOG_WARN("out of memory writing %s; the next open reads more of the log", path);
        log_bg_job_free(j);
        buf_destroy(&b);
        return;
    }
    j->data = buf_steal(&b, &j->len);
    log_bg_submit(l->bg, j);
    /* Keep this one and the one at the previous roll. */
    if (l->nsegs >= 3)
        remove_snapshot(l, l->segs[l->nsegs - 3]->base_offset);
}

void log_drop_producer_snapshots_after(struct log *l, int64_t offset)
{
    for (int i = 0; i < l->nsegs; i++)
        if (l->segs[i]->base_offset > offset)
            remove_snapshot(l, l->segs[i]->base_offset);
    int64_t *offs;
    int n = list_snapshots(l, &offs);
    for (int i = 0; i < n; i++)
        if (offs[i] > offset)
            remove_snapshot(l, offs[i]);
    free(offs);
}

/* Records the batches of s at or after from. */
static int scan_segment(struct log *l, struct log_segment *s, int64_t from, uint8_t *buf,
                        int64_t *found)
{
    int64_t pos = 0, have_from = 0, have = 0;
    while (pos + LOG_BATCH_HEADER_SIZE <= s->size) {
        if (pos < have_from || pos + LOG_BATCH_HEADER_SIZE > have_from + have) {
            int64_t want = s->size - pos < CHUNK ? s->size - pos : CHUNK;
            int64_t n = log_segment_pread(s, buf, (size_t)want, pos);
            if (n < 0)
                return (int)n;
            if (n < LOG_BATCH_HEADER_SIZE)
                return GR_E_CORRUPT;
            have_from = pos;
            have = n;
        }
        struct log_batch_hdr h;
        log_batch_parse(buf + (pos - have_from), &h);
        if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD || !log_batch_offsets_ok(&h))
            return GR_E_CORRUPT; /* recovery or the tail check would have cut it */
        if (h.producer_id >= 0 && h.base_offset >= from && !(h.attributes & LOG_BATCH_CONTROL)) {
            if (log_producers_record(&l->producers, &h))
                return GR_E_NOMEM;
            (*found)++;
        }
        pos += log_batch_size(&h);
    }
    return 0;
}

/* Loads the newest usable snapshot at or below the log end into the
 * (empty) state. Returns its offset, or the log's first offset when there
 * is none (the whole log is read then). Removes the snapshots past the log
 * end and all but the newest SNAPSHOTS_KEPT below it. */
static int64_t load_snapshot(struct log *l)
{
    int64_t leo = log_end_offset(l), from = l->segs[0]->base_offset;
    int64_t *offs;
    int n = list_snapshots(l, &offs);
    int kept = 0;
    for (int i = n - 1; i >= 0; i--) {
        if (offs[i] > leo || kept >= SNAPSHOTS_KEPT) {
            remove_snapshot(l, offs[i]);
            continue;
        }
        kept++;
        if (kept > 1 || offs[i] < from)
            continue; /* only the newest is read; one below the log start is no help */
        char path[PATH_MAX], why[200] = "";
        snapshot_path(l, offs[i], path, sizeof(path));
        struct buf b;
        buf_init(&b);
        int rc = fs_read_file(path, &b, SNAPSHOT_MAX);
        if (!rc)
            rc = log_producer_snapshot_decode(&l->producers, b.data, b.len, why, sizeof(why));
        buf_destroy(&b);
        if (rc) {
            LOG_WARN("cannot use %s: %s%s%s; reading the whole log instead", path,
                     gr_strerror(rc), why[0] ? ": " : "", why);
            log_producers_clear(&l->producers);
        } else {
            from = offs[i];
        }
    }
    free(offs);
    return from;
}

int log_load_producers(struct log *l)
{
    log_producers_clear(&l->producers);
    int64_t from = load_snapshot(l);
    uint8_t *buf = malloc(CHUNK);
    if (!buf) {
        log_producers_clear(&l->producers);
        return GR_E_NOMEM;
    }
    int64_t found = 0;
    int rc = 0;
    for (int i = 0; i < l->nsegs && !rc; i++) {
        if (l->segs[i]->next_offset <= from)
            continue;
        rc = scan_segment(l, l->segs[i], from, buf, &found);
        if (rc)
            /* Without the state, retries are appended again and gaps pass:
             * the log itself is fine, so it stays online. */
            LOG_WARN("cannot rebuild the producer state of %s-%d from %s.log: %s", l->topic,
                     l->partition, l->segs[i]->path, gr_strerror(rc));
    }
    free(buf);
    if (rc)
        log_producers_clear(&l->producers);
    else if (l->producers.count)
        LOG_DEBUG("%s-%d: %u producer(s), %" PRId64 " batch(es) read after offset %" PRId64,
                  l->topic, l->partition, l->producers.count, found, from);
    return rc;
}
