/*
 * A log segment: append, lookup, truncation and recovery (see log_segment.h).
 *
 * Index rule, as Kafka's: before appending a batch, if more than
 * index.interval.bytes have been appended since the last entry, add an
 * offset index entry (batch last offset -> batch position) and a time index
 * entry for the largest timestamp so far. Recovery rebuilds with the same
 * rule, so a recovered index equals the one appends would have built.
 */
#define LOG_COMPONENT "log"
#include "broker/log/log_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/err.h"
#include "common/logger.h"

/* Bytes read at once when walking batch headers: enough for several
 * headers of small batches, little waste on big ones (a walk reads headers,
 * not data). Recovery reads whole batches in bigger chunks. */
#define SCAN_CHUNK 1024
#define RECOVER_CHUNK (1024 * 1024)

static int file_path(char *out, size_t outsz, const struct log_segment *s, const char *suffix)
{
    int n = snprintf(out, outsz, "%s%s", s->path, suffix);
    return n < 0 || (size_t)n >= outsz ? GR_E_INVALID : 0;
}

int64_t log_segment_pread(const struct log_segment *s, void *buf, size_t n, int64_t pos)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(s->file->fd, (char *)buf + done, n - done, (off_t)(pos + (int64_t)done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return gr_err_from_errno(errno);
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

/* How much of a cold segment or index file one warm-up reads (see
 * cold_at): two of Linux's default readahead windows, so that a walk that
 * goes on past the first page usually finds the next ones warm. */
#define COLD_CHUNK (256 * 1024)

/* Set once RWF_NOWAIT proved unsupported (EOPNOTSUPP: a file system without
 * non-blocking buffered reads): such reads wait for the disk, as before. */
static bool no_nowait;

/* Records [pos, pos + COLD_CHUNK) of the .log (or at least want bytes;
 * never past the end) as the range a read must wait for. */
static int cold_at(const struct log_segment *s, int64_t pos, int64_t want, struct log_cold *cold)
{
    int64_t len = want > COLD_CHUNK ? want : COLD_CHUNK;
    if (len > s->size - pos)
        len = s->size - pos;
    *cold = (struct log_cold){log_file_ref(s->file), NULL, pos, len > 0 ? len : 1};
    return GR_E_AGAIN;
}

/* The same for a page of an index file (whose descriptor is not kept). */
static int cold_index_at(const struct log_idxfile *f, int64_t pos, struct log_cold *cold)
{
    int64_t end = (int64_t)f->entries * (int64_t)f->entry_size;
    int64_t len = end - pos < COLD_CHUNK ? end - pos : COLD_CHUNK;
    char *path = strdup(f->path);
    if (!path)
        return GR_E_NOMEM;
    *cold = (struct log_cold){NULL, path, pos, len > 0 ? len : 1};
    return GR_E_AGAIN;
}

/* log_segment_pread, except that with cold set it never waits for the
 * disk: bytes not in the page cache end it with GR_E_AGAIN and *cold set
 * to where they start (preadv2 with RWF_NOWAIT fails, or stops short, at
 * the first page that is not there). */
static int64_t seg_read(const struct log_segment *s, void *buf, size_t n, int64_t pos,
                        struct log_cold *cold)
{
    if (!cold || no_nowait)
        return log_segment_pread(s, buf, n, pos);
    size_t done = 0;
    while (done < n) {
        struct iovec v = {(char *)buf + done, n - done};
        ssize_t r = preadv2(s->file->fd, &v, 1, (off_t)(pos + (int64_t)done), RWF_NOWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return cold_at(s, pos + (int64_t)done, (int64_t)(n - done), cold);
        if (r < 0 && errno == EOPNOTSUPP) {
            no_nowait = true;
            LOG_INFO("this file system has no non-blocking reads (RWF_NOWAIT): offset lookups "
                     "read cold segment data on the event loop");
            int64_t rest = log_segment_pread(s, (char *)buf + done, n - done, pos + (int64_t)done);
            return rest < 0 ? rest : (int64_t)done + rest;
        }
        if (r < 0)
            return gr_err_from_errno(errno);
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

static struct log_segment *segment_alloc(const char *dir, int64_t base_offset,
                                         int32_t index_interval, size_t index_max_bytes,
                                         int64_t now_ms)
{
    struct log_segment *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base_offset = base_offset;
    s->next_offset = base_offset;
    s->max_timestamp = -1;
    s->offset_of_max_timestamp = base_offset;
    s->rolling_timestamp = -1;
    s->created_ms = now_ms;
    s->index_interval = index_interval;
    s->index_max_bytes = index_max_bytes;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%020" PRId64, dir, base_offset);
    s->path = strdup(p);
    if (!s->path) {
        free(s);
        return NULL;
    }
    return s;
}

static int open_log_file(struct log_segment *s, bool create)
{
    char p[PATH_MAX];
    int rc = file_path(p, sizeof(p), s, ".log");
    if (rc)
        return rc;
    int fd = open(p, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666);
    if (fd < 0)
        return gr_err_from_errno(errno);
    struct stat st;
    if (fstat(fd, &st)) {
        rc = gr_err_from_errno(errno);
        close(fd);
        return rc;
    }
    s->size = st.st_size;
    s->file = log_file_new(fd);
    return s->file ? 0 : GR_E_NOMEM;
}

static int open_indexes(struct log_segment *s, bool writable, bool *rebuilt)
{
    char p[PATH_MAX];
    size_t max = writable ? s->index_max_bytes : 0;
    int rc = file_path(p, sizeof(p), s, ".index");
    if (rc)
        return rc;
    if (rebuilt && access(p, F_OK))
        *rebuilt = true;
    rc = log_index_open(&s->index, p, s->base_offset, max);
    if (rc == GR_E_CORRUPT && rebuilt) {
        /* Not a whole number of entries: a torn index; start it over. */
        unlink(p);
        *rebuilt = true;
        rc = log_index_open(&s->index, p, s->base_offset, max);
    }
    if (rc)
        return rc;
    if ((rc = file_path(p, sizeof(p), s, ".timeindex")))
        return rc;
    if (rebuilt && access(p, F_OK))
        *rebuilt = true;
    rc = log_timeindex_open(&s->timeindex, p, s->base_offset, max);
    if (rc == GR_E_CORRUPT && rebuilt) {
        unlink(p);
        *rebuilt = true;
        rc = log_timeindex_open(&s->timeindex, p, s->base_offset, max);
    }
    return rc;
}

struct log_segment *log_segment_create(const char *dir, int64_t base_offset,
                                       int32_t index_interval, size_t index_max_bytes,
                                       int64_t now_ms, int *err)
{
    struct log_segment *s = segment_alloc(dir, base_offset, index_interval, index_max_bytes, now_ms);
    if (!s) {
        *err = GR_E_NOMEM;
        return NULL;
    }
    int rc = open_log_file(s, true);
    if (!rc && s->size) {
        LOG_ERROR("cannot create segment %s.log: the file already holds %" PRId64 " bytes",
                  s->path, s->size);
        rc = GR_E_EXISTS;
    }
    if (!rc) {
        /* Leftover index files of a segment that was never written are stale. */
        char p[PATH_MAX];
        if (!file_path(p, sizeof(p), s, ".index"))
            unlink(p);
        if (!file_path(p, sizeof(p), s, ".timeindex"))
            unlink(p);
        rc = open_indexes(s, true, NULL);
    }
    if (rc) {
        /* A half-created segment (an empty .log, say, when the disk filled
         * up before its index) would be found at the next start inside the
         * segment the log went on appending to: remove what was made. A
         * .log that could not be opened, or already held data, is not ours
         * to remove. */
        if (s->file && s->size == 0)
            (void)log_segment_unlink(s);
        log_segment_close(s);
        *err = rc;
        return NULL;
    }
    s->active = true;
    return s;
}

struct log_segment *log_segment_open(const char *dir, int64_t base_offset, int32_t index_interval,
                                     size_t index_max_bytes, int64_t now_ms, bool *needs_rebuild,
                                     int *err)
{
    struct log_segment *s = segment_alloc(dir, base_offset, index_interval, index_max_bytes, now_ms);
    if (!s) {
        *err = GR_E_NOMEM;
        return NULL;
    }
    *needs_rebuild = false;
    int rc = open_log_file(s, false);
    if (!rc)
        rc = open_indexes(s, false, needs_rebuild);
    if (rc) {
        log_segment_close(s);
        *err = rc;
        return NULL;
    }
    return s;
}

/* Walks batch headers from pos to the end of the file, reading in chunks.
 * Calls fn for each header; stops early when fn returns non-zero (and
 * returns that). Returns GR_E_CORRUPT if a header is malformed or a batch
 * runs past the end, 0 at a clean end. *end_pos gets where the walk stopped. */
typedef int (*header_fn)(const struct log_batch_hdr *h, int64_t pos, void *ctx);

static int walk_headers(struct log_segment *s, int64_t pos, header_fn fn, void *ctx,
                        int64_t *end_pos, struct log_cold *cold)
{
    uint8_t buf[SCAN_CHUNK];
    while (pos < s->size) {
        int64_t want = s->size - pos < SCAN_CHUNK ? s->size - pos : SCAN_CHUNK;
        int64_t n = seg_read(s, buf, (size_t)want, pos, cold);
        if (n < 0)
            return (int)n;
        int64_t i = 0;
        while (i + LOG_BATCH_HEADER_SIZE <= n) {
            struct log_batch_hdr h;
            log_batch_parse(buf + i, &h);
            int64_t size = log_batch_size(&h);
            if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD ||
                h.magic != LOG_BATCH_MAGIC || pos + i + size > s->size ||
                !log_batch_offsets_ok(&h)) {
                *end_pos = pos + i;
                return GR_E_CORRUPT;
            }
            int rc = fn(&h, pos + i, ctx);
            if (rc) {
                *end_pos = pos + i;
                return rc;
            }
            i += size;
        }
        if (i == 0) {
            /* Fewer than a header's bytes before the end of the file. */
            *end_pos = pos;
            return GR_E_CORRUPT;
        }
        pos += i;
    }
    *end_pos = pos;
    return 0;
}

struct tail_scan {
    struct log_segment *s;
    int64_t expect_last;   /* first batch must end at this offset (index entry), or -1 */
    bool first;            /* no batch seen yet */
    int64_t next_offset;   /* after the last batch seen */
    int64_t max_ts, max_ts_offset;
};

static int tail_fn(const struct log_batch_hdr *h, int64_t pos, void *ctx)
{
    struct tail_scan *t = ctx;
    (void)pos;
    if (t->first && t->expect_last >= 0 && log_batch_last_offset(h) != t->expect_last)
        return GR_E_CORRUPT;
    if (h->base_offset < t->next_offset && !t->first)
        return GR_E_CORRUPT;
    t->first = false;
    t->next_offset = log_batch_last_offset(h) + 1;
    if (h->max_timestamp > t->max_ts) {
        t->max_ts = h->max_timestamp;
        t->max_ts_offset = log_batch_last_offset(h);
    }
    return 0;
}

/* Recomputes next_offset and the largest timestamp from the last index
 * entries and the batches after them. */
static int scan_tail(struct log_segment *s)
{
    int64_t idx_off, ts, ts_off, end;
    uint32_t idx_pos;
    /* Start from the batch of the time index's last entry (or the last
     * offset index entry, if that comes first): every batch after it may
     * hold a larger timestamp than the time index knows, and every batch
     * after the last offset index entry is needed to find the end. */
    log_timeindex_last(&s->timeindex, &ts, &ts_off);
    bool found = log_index_lookup(&s->index, ts_off, &idx_off, &idx_pos);
    struct tail_scan t = {s, found ? idx_off : -1, true, s->base_offset, ts, ts_off};
    if ((int64_t)idx_pos > s->size)
        return GR_E_CORRUPT;
    int rc = walk_headers(s, idx_pos, tail_fn, &t, &end, NULL);
    if (rc)
        return rc;
    if (s->size > 0 && t.first)
        return GR_E_CORRUPT; /* the index points at the end: nothing to learn from */
    s->next_offset = t.next_offset;
    s->max_timestamp = t.max_ts;
    s->offset_of_max_timestamp = t.max_ts_offset;
    s->rolling_timestamp = -1;
    if (s->size >= LOG_BATCH_HEADER_SIZE) {
        uint8_t hdr[LOG_BATCH_HEADER_SIZE];
        if (log_segment_pread(s, hdr, sizeof(hdr), 0) == LOG_BATCH_HEADER_SIZE) {
            struct log_batch_hdr h;
            log_batch_parse(hdr, &h);
            s->rolling_timestamp = h.max_timestamp;
        }
    }
    return 0;
}

int log_segment_load_tail(struct log_segment *s)
{
    int rc = scan_tail(s);
    if (rc)
        return rc;
    if (!log_index_sane(&s->index, s->next_offset, s->size) ||
        !log_timeindex_sane(&s->timeindex, s->next_offset))
        return GR_E_CORRUPT;
    /* Bytes since the last index entry, so appends keep the same spacing. */
    int64_t o;
    uint32_t p;
    log_index_lookup(&s->index, INT64_MAX, &o, &p);
    s->bytes_since_index = (int32_t)(s->size - p);
    return 0;
}

int log_segment_recover(struct log_segment *s, log_segment_batch_cb cb, void *ctx,
                        int64_t *truncated)
{
    /* Rebuild into writable indexes, whatever state they were in. */
    int rc = log_idxfile_resize(&s->index.file, s->index_max_bytes);
    if (!rc)
        rc = log_idxfile_resize(&s->timeindex.file, s->index_max_bytes);
    if (rc)
        return rc;
    log_idxfile_truncate(&s->index.file, 0);
    log_idxfile_truncate(&s->timeindex.file, 0);
    s->max_timestamp = -1;
    s->offset_of_max_timestamp = s->base_offset;
    s->rolling_timestamp = -1;

    size_t cap = RECOVER_CHUNK;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return GR_E_NOMEM;
    int64_t valid = 0, last_index_pos = 0, next = s->base_offset;
    int64_t win_pos = 0, win_len = 0; /* buf holds file bytes [win_pos, win_pos+win_len) */
    char why[200] = "";
    rc = 0;
    while (valid < s->size) {
        int64_t need = LOG_BATCH_HEADER_SIZE;
        if (valid + need > s->size) {
            snprintf(why, sizeof(why), "%" PRId64 " trailing bytes are too short for a batch",
                     s->size - valid);
            break;
        }
        /* Make sure the header, then the whole batch, is in the window. */
        for (int pass = 0; pass < 2; pass++) {
            if (valid + need > win_pos + win_len) {
                if ((size_t)need > cap) {
                    uint8_t *nb = realloc(buf, (size_t)need);
                    if (!nb) {
                        rc = GR_E_NOMEM;
                        goto out;
                    }
                    buf = nb;
                    cap = (size_t)need;
                }
                int64_t n = log_segment_pread(s, buf, cap, valid);
                if (n < 0) {
                    rc = (int)n;
                    goto out;
                }
                win_pos = valid;
                win_len = n;
            }
            if (pass == 0) {
                int32_t length = (int32_t)be32_load(buf + (valid - win_pos) + LOG_BATCH_OFF_LENGTH);
                int64_t size = (int64_t)length + LOG_BATCH_LOG_OVERHEAD;
                if (length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD ||
                    valid + size > s->size) {
                    snprintf(why, sizeof(why), "batch length %" PRId32 " is impossible", length);
                    goto stop;
                }
                need = size;
            }
        }
        struct log_batch_hdr h;
        const uint8_t *p = buf + (valid - win_pos);
        if (log_batch_check(p, (size_t)(win_pos + win_len - valid), &h, why, sizeof(why)))
            break;
        if (!log_batch_offsets_ok(&h)) {
            snprintf(why, sizeof(why), "batch offsets %" PRId64 " + %" PRId32 " are impossible",
                     h.base_offset, h.last_offset_delta);
            break;
        }
        if (h.base_offset < next || log_batch_last_offset(&h) - s->base_offset > INT32_MAX) {
            snprintf(why, sizeof(why), "batch offsets %" PRId64 "..%" PRId64 " do not follow %" PRId64,
                     h.base_offset, log_batch_last_offset(&h), next);
            break;
        }
        if (h.max_timestamp > s->max_timestamp) {
            s->max_timestamp = h.max_timestamp;
            s->offset_of_max_timestamp = log_batch_last_offset(&h);
        }
        if (valid == 0)
            s->rolling_timestamp = h.max_timestamp;
        if (valid - last_index_pos > s->index_interval) {
            log_index_append(&s->index, log_batch_last_offset(&h), (uint32_t)valid);
            log_timeindex_maybe_append(&s->timeindex, s->max_timestamp, s->offset_of_max_timestamp);
            last_index_pos = valid;
        }
        if (cb)
            cb(&h, ctx);
        next = log_batch_last_offset(&h) + 1;
        valid += log_batch_size(&h);
    }
stop:
    *truncated = s->size - valid;
    if (valid < s->size) {
        LOG_WARN("found invalid data in %s.log at byte %" PRId64 " (%s); cutting %" PRId64
                 " bytes",
                 s->path, valid, why[0] ? why : "unreadable", s->size - valid);
        if (ftruncate(s->file->fd, (off_t)valid)) {
            rc = gr_err_from_errno(errno);
            goto out;
        }
        s->size = valid;
    }
    s->next_offset = next;
    s->bytes_since_index = (int32_t)(valid - last_index_pos);
    log_timeindex_maybe_append(&s->timeindex, s->max_timestamp, s->offset_of_max_timestamp);
    if (!s->active) {
        rc = log_idxfile_resize(&s->index.file, 0);
        if (!rc)
            rc = log_idxfile_resize(&s->timeindex.file, 0);
    }
out:
    free(buf);
    return rc;
}

int log_segment_write(struct log_segment *s, const uint8_t *data, size_t len)
{
    int64_t start = s->size;
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(s->file->fd, data + done, len - done, (off_t)(start + (int64_t)done));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int rc = gr_err_from_errno(errno);
            /* Take back a partial write so the file ends on a batch boundary. */
            if (done && ftruncate(s->file->fd, (off_t)start))
                LOG_ERROR("cannot cut %s.log back to %" PRId64 " bytes after a failed write: %s",
                          s->path, start, strerror(errno));
            return rc;
        }
        done += (size_t)w;
    }
    return 0;
}

int log_segment_rollback(struct log_segment *s)
{
    if (ftruncate(s->file->fd, (off_t)s->size)) {
        LOG_ERROR("cannot cut %s.log back to %" PRId64 " bytes: %s", s->path, s->size,
                  strerror(errno));
        return gr_err_from_errno(errno);
    }
    return 0;
}

void log_segment_commit(struct log_segment *s, const uint8_t *data, size_t len)
{
    int64_t start = s->size;
    for (size_t i = 0; i < len;) {
        struct log_batch_hdr h;
        log_batch_parse(data + i, &h);
        int64_t pos = start + (int64_t)i;
        if (pos == 0)
            s->rolling_timestamp = h.max_timestamp;
        if (h.max_timestamp > s->max_timestamp) {
            s->max_timestamp = h.max_timestamp;
            s->offset_of_max_timestamp = log_batch_last_offset(&h);
        }
        if (s->bytes_since_index > s->index_interval) {
            /* A full index just means a sparser one until the next roll. */
            if (!log_index_append(&s->index, log_batch_last_offset(&h), (uint32_t)pos))
                log_timeindex_maybe_append(&s->timeindex, s->max_timestamp,
                                           s->offset_of_max_timestamp);
            s->bytes_since_index = 0;
        }
        s->bytes_since_index += (int32_t)log_batch_size(&h);
        s->next_offset = log_batch_last_offset(&h) + 1;
        i += (size_t)log_batch_size(&h);
    }
    s->size += (int64_t)len;
}

int log_segment_append(struct log_segment *s, const uint8_t *data, size_t len)
{
    int rc = log_segment_write(s, data, len);
    if (!rc)
        log_segment_commit(s, data, len);
    return rc;
}

bool log_segment_should_roll(const struct log_segment *s, size_t len, int64_t last_offset,
                             int64_t max_timestamp, int64_t now_ms, int32_t segment_bytes,
                             int64_t segment_ms, int64_t jitter_ms)
{
    /* An empty segment never rolls: a new one would be just as empty. */
    if (s->size == 0)
        return false;
    if (s->size > (int64_t)segment_bytes - (int64_t)len)
        return true;
    /* Age is measured in record time when the first batch has a timestamp,
     * as Kafka does, so replayed old data still rolls by its own clock. */
    int64_t waited = s->rolling_timestamp >= 0 ? max_timestamp - s->rolling_timestamp
                                               : now_ms - s->created_ms;
    if (waited > segment_ms - jitter_ms)
        return true;
    return log_index_full(&s->index) || log_timeindex_full(&s->timeindex) ||
           last_offset - s->base_offset > INT32_MAX;
}

struct translate_ctx {
    int64_t target;
    int64_t position;
    struct log_batch_hdr *h;
    int64_t prev_last; /* last offset of the batch walked before *h, or -1 */
};

static int translate_fn(const struct log_batch_hdr *h, int64_t pos, void *ctx)
{
    struct translate_ctx *t = ctx;
    if (log_batch_last_offset(h) >= t->target) {
        t->position = pos;
        *t->h = *h;
        return 1;
    }
    t->prev_last = log_batch_last_offset(h);
    return 0;
}


/* log_segment_translate; *prev_last is also set: the last offset of the
 * batch before *h if the walk saw it, else -1. */
static int translate_prev(struct log_segment *s, int64_t offset, int64_t *position,
                          struct log_batch_hdr *h, struct log_cold *cold, int64_t *prev_last)
{
    int64_t idx_off, end, cold_pos;
    uint32_t idx_pos;
    if (!cold)
        log_index_lookup(&s->index, offset, &idx_off, &idx_pos);
    else if (log_index_lookup_cached(&s->index, offset, &idx_off, &idx_pos, &cold_pos))
        return cold_index_at(&s->index.file, cold_pos, cold);
    struct translate_ctx t = {offset, -1, h, -1};
    int rc = walk_headers(s, idx_pos, translate_fn, &t, &end, cold);
    *prev_last = t.prev_last;
    if (rc == 1) {
        *position = t.position;
        return 0;
    }
    return rc ? rc : GR_E_RANGE;
}

int log_segment_translate(struct log_segment *s, int64_t offset, int64_t *position,
                          struct log_batch_hdr *h, struct log_cold *cold)
{
    int64_t prev_last;
    return translate_prev(s, offset, position, h, cold, &prev_last);
}

int log_segment_find_timestamp(struct log_segment *s, int64_t ts, int64_t min_offset,
                               int64_t *offset, int64_t *found_ts, struct log_cold *cold)
{
    int64_t entry_ts, entry_off, idx_off, pos, cold_pos;
    uint32_t idx_pos;
    if (!cold) {
        log_timeindex_lookup(&s->timeindex, ts, &entry_ts, &entry_off);
        log_index_lookup(&s->index, entry_off > min_offset ? entry_off : min_offset, &idx_off,
                         &idx_pos);
    } else {
        if (log_timeindex_lookup_cached(&s->timeindex, ts, &entry_ts, &entry_off, &cold_pos))
            return cold_index_at(&s->timeindex.file, cold_pos, cold);
        if (log_index_lookup_cached(&s->index, entry_off > min_offset ? entry_off : min_offset,
                                    &idx_off, &idx_pos, &cold_pos))
            return cold_index_at(&s->index.file, cold_pos, cold);
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (pos = idx_pos; pos < s->size;) {
        uint8_t hdr[LOG_BATCH_HEADER_SIZE];
        int64_t n = seg_read(s, hdr, sizeof(hdr), pos, cold);
        if (n != LOG_BATCH_HEADER_SIZE) {
            rc = n == GR_E_AGAIN ? GR_E_AGAIN : GR_E_CORRUPT;
            break;
        }
        struct log_batch_hdr h;
        log_batch_parse(hdr, &h);
        int64_t size = log_batch_size(&h);
        if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD || pos + size > s->size ||
            !log_batch_offsets_ok(&h)) {
            rc = GR_E_CORRUPT;
            break;
        }
        if (h.max_timestamp >= ts && log_batch_last_offset(&h) >= min_offset) {
            if ((size_t)size > cap) {
                uint8_t *nb = realloc(buf, (size_t)size);
                if (!nb) {
                    rc = GR_E_NOMEM;
                    break;
                }
                buf = nb;
                cap = (size_t)size;
            }
            if ((n = seg_read(s, buf, (size_t)size, pos, cold)) != size) {
                rc = n == GR_E_AGAIN ? GR_E_AGAIN : GR_E_CORRUPT;
                break;
            }
            rc = log_batch_find_timestamp(buf, (size_t)size, ts, min_offset, offset, found_ts);
            if (rc)
                break;
        }
        pos += size;
    }
    free(buf);
    return rc;
}

int log_segment_truncate_to(struct log_segment *s, int64_t offset)
{
    int64_t pos, prev_last;
    struct log_batch_hdr h;
    int rc = translate_prev(s, offset, &pos, &h, NULL, &prev_last);
    if (rc == GR_E_RANGE)
        return 0; /* nothing at or after offset */
    if (rc)
        return rc;
    /* Index entries name batch last offsets, so those below offset all
     * belong to batches that stay. Time index entries may name any offset of
     * the removed batch h, which goes whole. */
    log_index_truncate_to(&s->index, offset);
    log_timeindex_truncate_to(&s->timeindex, h.base_offset);
    if (ftruncate(s->file->fd, (off_t)pos))
        return gr_err_from_errno(errno);
    s->size = pos;
    if (pos == 0) {
        s->next_offset = s->base_offset;
        s->max_timestamp = s->rolling_timestamp = -1;
        s->offset_of_max_timestamp = s->base_offset;
    } else if (prev_last >= 0 && s->offset_of_max_timestamp <= prev_last) {
        /* The batch with the largest timestamp stays, so the largest
         * timestamp does not change, and the walk saw the new last batch:
         * nothing more to read. */
        s->next_offset = prev_last + 1;
    } else if ((rc = scan_tail(s))) {
        return rc;
    }
    int64_t o;
    uint32_t p;
    log_index_lookup(&s->index, INT64_MAX, &o, &p);
    s->bytes_since_index = (int32_t)(s->size - p);
    return 0;
}

int log_segment_deactivate(struct log_segment *s)
{
    if (!s->active)
        return 0;
    if (s->max_timestamp >= 0)
        log_timeindex_maybe_append(&s->timeindex, s->max_timestamp, s->offset_of_max_timestamp);
    int rc = log_idxfile_resize(&s->index.file, 0);
    if (!rc)
        rc = log_idxfile_resize(&s->timeindex.file, 0);
    if (!rc)
        s->active = false; /* else still active: log_segment_activate restores both maps */
    return rc;
}

int log_segment_activate(struct log_segment *s)
{
    int rc = log_idxfile_resize(&s->index.file, s->index_max_bytes);
    if (!rc)
        rc = log_idxfile_resize(&s->timeindex.file, s->index_max_bytes);
    if (!rc)
        s->active = true;
    return rc;
}

int64_t log_segment_largest_timestamp(const struct log_segment *s)
{
    if (s->max_timestamp >= 0)
        return s->max_timestamp;
    struct stat st;
    if (fstat(s->file->fd, &st))
        return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

int log_segment_unlink(struct log_segment *s)
{
    static const char *const suffixes[] = {".log", ".index", ".timeindex"};
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        char p[PATH_MAX];
        if (file_path(p, sizeof(p), s, suffixes[i]))
            continue;
        if (unlink(p) && errno != ENOENT && !rc)
            rc = gr_err_from_errno(errno);
    }
    return rc;
}

void log_segment_close(struct log_segment *s)
{
    if (!s)
        return;
    if (s->active && s->max_timestamp >= 0)
        log_timeindex_maybe_append(&s->timeindex, s->max_timestamp, s->offset_of_max_timestamp);
    log_index_close(&s->index);
    log_timeindex_close(&s->timeindex);
    log_file_unref(s->file);
    free(s->path);
    free(s);
}
