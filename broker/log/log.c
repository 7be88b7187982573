/*
 * The partition log: append, read, roll, retention, truncation, flushing
 * (see log.h). Opening and recovery live in log_load.c.
 */
#define LOG_COMPONENT "log"
#include "broker/log/log.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_bg.h"
#include "broker/log/log_internal.h"
#include "broker/log/log_verify.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/logger.h"

int log_segs_append(struct log *l, struct log_segment *s)
{
    if (l->nsegs == l->segs_cap) {
        int cap = l->segs_cap ? l->segs_cap * 2 : 8;
        struct log_segment **segs = realloc(l->segs, (size_t)cap * sizeof(*segs));
        if (!segs)
            return GR_E_NOMEM;
        l->segs = segs;
        l->segs_cap = cap;
    }
    l->segs[l->nsegs++] = s;
    return 0;
}

/* Index of the last segment whose base offset is <= offset, or -1. */
static int segment_for(const struct log *l, int64_t offset)
{
    int lo = 0, hi = l->nsegs - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (l->segs[mid]->base_offset <= offset) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

int64_t log_size(const struct log *l)
{
    int64_t n = 0;
    for (int i = 0; i < l->nsegs; i++)
        n += l->segs[i]->size;
    return n;
}

static void log_free(struct log *l)
{
    for (int i = 0; i < l->nsegs; i++)
        log_segment_close(l->segs[i]);
    free(l->segs);
    log_epoch_destroy(&l->epochs);
    log_producers_destroy(&l->producers);
    free(l->dir);
    free(l->topic);
    free(l);
}

void log_release(struct log *l)
{
    if (!l)
        return;
    /* Worker jobs hold their own descriptors, so the files can close now;
     * only the struct must outlive the callbacks that name it. */
    for (int i = 0; i < l->nsegs; i++)
        log_segment_close(l->segs[i]);
    l->nsegs = 0;
    l->closing = true;
    if (!l->pending_bg)
        log_free(l);
}

/* A worker job that refers to l finished: drop its hold. Returns true if
 * the log was freed. */
static bool bg_done(struct log *l)
{
    l->pending_bg--;
    if (l->closing && !l->pending_bg) {
        log_free(l);
        return true;
    }
    return false;
}

static void epoch_written(struct log_bg_job *j, void *ctx)
{
    struct log *l = ctx;
    if (j->rc && !l->closing) {
        /* The cache in memory is right; only the file is stale. */
        if (!l->epochs_unwritten)
            LOG_WARN("cannot write %s: %s; retrying every few seconds", j->path,
                     strerror(j->err_no));
        l->epochs_unwritten = true;
    } else if (!j->rc && l->epochs_unwritten && !l->closing) {
        LOG_INFO("wrote %s after earlier failures", j->path);
        l->epochs_unwritten = false;
    }
    bg_done(l);
}

void log_write_epochs(struct log *l)
{
    struct buf b;
    buf_init(&b);
    log_epoch_format(&l->epochs, &b);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", l->dir);
    struct log_bg_job *j = log_bg_job_new(LOG_BG_WRITE_FILE);
    if (!j || buf_failed(&b) || !(j->path = strdup(path))) {
        LOG_ERROR("out of memory writing the leader epoch checkpoint of %s", l->dir);
        log_bg_job_free(j);
        buf_destroy(&b);
        return;
    }
    j->data = buf_steal(&b, &j->len);
    j->done = epoch_written;
    j->ctx = l;
    l->pending_bg++;
    log_bg_submit(l->bg, j);
}

/* Removes segment i from the log: unlinks its files and closes it. The
 * final close of the unlinked file (which frees its blocks) happens on the
 * worker, through a dup()ed descriptor. */
void log_drop_segment(struct log *l, int i)
{
    struct log_segment *s = l->segs[i];
    int rc = log_segment_unlink(s);
    if (rc)
        LOG_WARN("cannot delete the files of segment %s: %s", s->path, gr_strerror(rc));
    int fd = dup(s->file->fd);
    if (fd >= 0) {
        struct log_bg_job *j = log_bg_job_new(LOG_BG_CLOSE);
        if (j && !log_bg_job_add_fd(j, fd))
            log_bg_submit(l->bg, j);
        else
            log_bg_job_free(j);
    }
    log_segment_close(s);
    memmove(&l->segs[i], &l->segs[i + 1], (size_t)(l->nsegs - i - 1) * sizeof(*l->segs));
    l->nsegs--;
    l->dirs_dirty = true;
}

int log_roll(struct log *l, int64_t now_ms)
{
    struct log_segment *active = log_active(l);
    if (active->size == 0)
        return 0;
    int64_t base = active->next_offset;
    int rc = log_segment_deactivate(active);
    if (rc) {
        /* The index mappings stay as they were; appends go on here. */
        log_segment_activate(active);
        LOG_ERROR("cannot close segment %s: %s", active->path, gr_strerror(rc));
        return rc;
    }
    struct log_segment *s = log_segment_create(l->dir, base, l->config.index_interval_bytes,
                                               (size_t)l->config.segment_index_bytes, now_ms, &rc);
    if (!s || log_segs_append(l, s)) {
        log_segment_close(s);
        log_segment_activate(active);
        LOG_ERROR("cannot create segment %020" PRId64 " in %s: %s", base, l->dir,
                  gr_strerror(rc ? rc : GR_E_NOMEM));
        return rc ? rc : GR_E_NOMEM;
    }
    l->dirs_dirty = true;
    LOG_DEBUG("rolled %s-%d to a new segment at offset %" PRId64, l->topic, l->partition, base);
    /* As Kafka does, so that opening the log reads only the new segment's
     * batches to rebuild the producer state. */
    log_write_producer_snapshot(l);
    /* As Kafka does: the closed segment is made durable right away, so the
     * recovery point can move past it and recovery never rescans it. */
    log_flush(l, now_ms);
    return 0;
}

bool log_error_is_temporary(int rc)
{
    return rc == GR_E_NOSPACE || rc == GR_E_NOFILES || rc == GR_E_NOMEM;
}

/* Rolls first if the batches would not fit the active segment. A roll that
 * fails for space or descriptors leaves the old segment active and the log
 * online: this append is refused (KAFKA_STORAGE_ERROR) and the next one
 * tries again. */
static int roll_if_needed(struct log *l, size_t len, int64_t last_offset, int64_t max_ts,
                          int64_t now_ms, char *why, size_t whysz)
{
    if (!log_segment_should_roll(log_active(l), len, last_offset, max_ts, now_ms,
                                 l->config.segment_bytes, l->config.segment_ms,
                                 l->config.roll_jitter_ms))
        return 0;
    int rc = log_roll(l, now_ms);
    if (rc) {
        snprintf(why, whysz, "cannot roll a new segment: %s%s", gr_strerror(rc),
                 log_error_is_temporary(rc) ? " (the next append tries again)" : "");
        if (!log_error_is_temporary(rc)) {
            l->offline = true;
            LOG_ERROR("%s-%d goes offline: %s", l->topic, l->partition, why);
        }
    }
    return rc;
}

/* A failed write: the segment cut the bytes back, so only a full disk
 * leaves the log usable. */
static int write_failed(struct log *l, int rc, char *why, size_t whysz)
{
    snprintf(why, whysz, "write to %s.log failed: %s", log_active(l)->path, strerror(errno));
    if (rc != GR_E_NOSPACE) {
        l->offline = true;
        LOG_ERROR("%s-%d goes offline: %s", l->topic, l->partition, why);
    }
    return rc;
}

#define DROP_ALIGN (2 << 20)

static void writeback_done(struct log_bg_job *j, void *ctx)
{
    struct log *l = ctx;
    if (j->rc && !l->wb_warned && !l->closing) {
        LOG_WARN("cannot start writing %s-%d to disk ahead of its flush: %s; fsync still "
                 "decides what is durable", l->topic, l->partition, strerror(j->err_no));
        l->wb_warned = true;
    }
    log_file_unref(l->wb_file);
    l->wb_file = NULL;
    bg_done(l);
}

/* Once gregor.log.writeback.bytes more are in the active segment, has the
 * worker start writing them to disk and, with
 * gregor.log.page.cache.behind.bytes set, drop what lies further behind the
 * log end from the page cache (log_bg.h, LOG_BG_WRITEBACK). One job at a
 * time per log: a slow disk makes the ranges longer, never the queue. */
static void writeback_if_due(struct log *l)
{
    int64_t every = l->config.writeback_bytes;
    struct log_segment *s = log_active(l);
    if (every <= 0 || l->wb_file || l->closing)
        return;
    if (s->base_offset != l->wb_base) {
        l->wb_base = s->base_offset; /* rolled: the old segment's tail goes with its flush */
        l->wb_pos = l->drop_pos = 0;
    }
    if (l->wb_pos > s->size) /* truncated */
        l->wb_pos = s->size;
    if (l->drop_pos > s->size)
        l->drop_pos = s->size & ~(int64_t)(DROP_ALIGN - 1);
    if (s->size - l->wb_pos < every)
        return;
    struct log_bg_job *j = log_bg_job_new(LOG_BG_WRITEBACK);
    if (!j)
        return; /* a hint: the next append asks again */
    j->rfd = s->file->fd;
    j->off = l->wb_pos;
    j->len = (size_t)(s->size - l->wb_pos);
    /* Dropped in 2 MiB-aligned pieces: the page cache holds file data in
     * folios of up to 2 MiB, aligned to their size, and DONTNEED leaves a
     * folio that reaches past the range, which the next range would then
     * start behind. */
    int64_t keep = l->config.cache_behind_bytes;
    int64_t upto = keep >= 0 ? (s->size - keep) & ~(int64_t)(DROP_ALIGN - 1) : 0;
    if (upto > l->drop_pos) {
        j->drop_off = l->drop_pos;
        j->drop_len = upto - l->drop_pos;
        l->drop_pos = upto;
    }
    l->wb_pos = s->size;
    l->wb_file = log_file_ref(s->file);
    j->done = writeback_done;
    j->ctx = l;
    l->pending_bg++;
    log_bg_submit(l->bg, j);
}

/* Common tail of both appends: roll, write. */
static int append_checked(struct log *l, const uint8_t *data, size_t len, int64_t last_offset,
                          int64_t max_ts, int64_t now_ms, char *why, size_t whysz)
{
    int rc = roll_if_needed(l, len, last_offset, max_ts, now_ms, why, whysz);
    if (!rc && (rc = log_segment_append(log_active(l), data, len)))
        return write_failed(l, rc, why, whysz);
    return rc;
}

/* Common end of every successful append (the parallel-verified one writes
 * without append_checked). */
static void account(struct log *l, struct log_append_info *info, int64_t now_ms)
{
    writeback_if_due(l);
    l->unflushed_records += info->records;
    info->flush_requested = false;
    if (l->unflushed_records >= l->config.flush_messages) {
        log_flush(l, now_ms);
        info->flush_requested = true;
    }
}

/* Refuses appends to an offline log and appends no segment could hold. */
static int appendable(const struct log *l, size_t len, char *why, size_t whysz)
{
    if (l->offline) {
        snprintf(why, whysz, "the log of %s-%d is offline after an I/O error", l->topic,
                 l->partition);
        return GR_E_IO;
    }
    if (len > (size_t)l->config.segment_bytes) {
        snprintf(why, whysz, "%zu bytes exceed segment.bytes %" PRId32, len,
                 l->config.segment_bytes);
        return GR_E_BATCH_OVER_SEGMENT;
    }
    return 0;
}

/* Batches per append whose headers are kept for a parallel verification;
 * a Produce request carries one batch per partition. */
#define PARALLEL_MAX_BATCHES 8

/* Records a batch now in the log in the producer state. Out of memory only
 * costs deduplication of that batch's retries, so the append stands. */
static void producer_record(struct log *l, const struct log_batch_hdr *h)
{
    if (log_producers_record(&l->producers, h))
        LOG_RATE(LOGGER_WARN, "out of memory recording producer %" PRId64 " of %s-%d",
                 h->producer_id, l->topic, l->partition);
}

/* The producer state's verdict on the one idempotent batch of a leader
 * append (hdrs[0..n)): 0 to append it, LOG_PRODUCER_DUPLICATE with info
 * set to the original's offsets, or an error. */
static int producer_check(struct log *l, const struct log_batch_hdr *hdrs, int n,
                          struct log_append_info *info, char *why, size_t whysz)
{
    if (n != 1) {
        /* Produce v3+ carries one batch per partition; nothing else sends
         * idempotent batches, and Kafka's rules for several in one append
         * would need a staged copy of the state. */
        snprintf(why, whysz, "%d batches in one append, one with a producer id", n);
        return GR_E_BAD_RECORD;
    }
    struct log_producer_batch dup;
    int rc = log_producers_check(&l->producers, &hdrs[0], &dup, why, whysz);
    if (rc == LOG_PRODUCER_DUPLICATE) {
        info->duplicate = true;
        info->first_offset = dup.first_offset;
        info->last_offset = dup.last_offset;
        info->records = 0;
        info->batches = 0;
        info->log_append_time = -1;
    }
    return rc;
}

int log_append_leader(struct log *l, uint8_t *data, size_t len, int32_t leader_epoch,
                      int64_t now_ms, struct log_append_info *info, char *why, size_t whysz)
{
    return log_append_leader_budget(l, data, len, leader_epoch, now_ms, NULL, info, why, whysz);
}

int log_append_leader_budget(struct log *l, uint8_t *data, size_t len, int32_t leader_epoch,
                             int64_t now_ms, int64_t *inflate_left, struct log_append_info *info,
                             char *why, size_t whysz)
{
    int rc = appendable(l, len, why, whysz);
    if (rc)
        return rc;
    struct log_batch_limits lim = {l->config.max_message_bytes, now_ms,
                                   l->config.timestamp_difference_max_ms,
                                   l->config.log_append_time, inflate_left != NULL,
                                   inflate_left ? *inflate_left : 0};
    struct log_batch_hdr hdrs[PARALLEL_MAX_BATCHES];
    memset(info, 0, sizeof(*info));
    info->max_timestamp = -1;
    info->log_append_time = l->config.log_append_time ? now_ms : -1;
    int n = 0, idempotent = 0;
    for (size_t off = 0; off < len; n++) {
        struct log_batch_hdr h;
        size_t size;
        rc = log_batch_precheck(data + off, len - off, &lim, &h, &size, why, whysz);
        if (rc)
            return rc;
        if (n < PARALLEL_MAX_BATCHES)
            hdrs[n] = h;
        idempotent += h.producer_id >= 0;
        info->records += h.record_count;
        off += size;
    }
    info->batches = n;
    if (idempotent && (rc = producer_check(l, hdrs, n, info, why, whysz)))
        return rc == LOG_PRODUCER_DUPLICATE ? 0 : rc;
    /* Large appends are verified on the verifier thread while this one
     * writes them (LogAppendTime rewrites bytes the verifier reads, so it
     * stays in sequence). */
    bool parallel = l->verifier && len >= LOG_VERIFY_PARALLEL_MIN && n <= PARALLEL_MAX_BATCHES &&
                    !l->config.log_append_time;
    if (parallel) {
        log_verifier_start(l->verifier, data, hdrs, n, &lim);
    } else {
        for (size_t off = 0; off < len;) {
            struct log_batch_hdr h;
            int64_t k;
            log_batch_parse(data + off, &h);
            rc = log_batch_verify(data + off, &h, &lim, &k, why, whysz);
            lim.inflate_left -= k;
            if (inflate_left)
                *inflate_left -= k;
            if (rc)
                return rc;
            off += (size_t)log_batch_size(&h);
        }
    }
    int64_t next = log_end_offset(l);
    info->first_offset = next;
    for (size_t off = 0; off < len;) {
        struct log_batch_hdr h;
        log_batch_parse(data + off, &h);
        log_batch_assign(data + off, next, leader_epoch);
        if (l->config.log_append_time)
            log_batch_set_log_append_time(data + off, now_ms);
        int64_t ts = l->config.log_append_time ? now_ms : h.max_timestamp;
        if (ts > info->max_timestamp)
            info->max_timestamp = ts;
        next += h.record_count;
        off += (size_t)log_batch_size(&h);
    }
    info->last_offset = next - 1;
    if (!parallel) {
        rc = append_checked(l, data, len, info->last_offset, info->max_timestamp, now_ms, why,
                            whysz);
    } else {
        rc = roll_if_needed(l, len, info->last_offset, info->max_timestamp, now_ms, why, whysz);
        struct log_segment *s = log_active(l);
        int wrc = rc ? rc : log_segment_write(s, data, len);
        /* Always collect the verdict: the verifier reads the request's bytes. */
        char vwhy[256];
        int64_t k;
        int vrc = log_verifier_wait(l->verifier, &k, vwhy, sizeof(vwhy));
        if (inflate_left)
            *inflate_left -= k;
        if (!rc && wrc) {
            rc = write_failed(l, wrc, why, whysz);
        } else if (!rc && vrc) {
            snprintf(why, whysz, "%s", vwhy);
            rc = vrc;
            if (log_segment_rollback(s)) {
                l->offline = true;
                LOG_ERROR("%s-%d goes offline: a rejected batch could not be cut back",
                          l->topic, l->partition);
            }
        } else if (!rc) {
            log_segment_commit(s, data, len);
        }
    }
    if (rc)
        return rc;
    if (idempotent) {
        hdrs[0].base_offset = info->first_offset;
        producer_record(l, &hdrs[0]);
    }
    if (leader_epoch >= 0 && log_epoch_assign(&l->epochs, leader_epoch, info->first_offset) == 1)
        log_write_epochs(l);
    account(l, info, now_ms);
    return 0;
}

int log_append_follower(struct log *l, const uint8_t *data, size_t len, int64_t now_ms,
                        struct log_append_info *info, char *why, size_t whysz)
{
    int rc = appendable(l, len, why, whysz);
    if (rc)
        return rc;
    memset(info, 0, sizeof(*info));
    info->max_timestamp = -1;
    info->log_append_time = -1;
    int64_t expect = log_end_offset(l);
    for (size_t off = 0; off < len;) {
        struct log_batch_hdr h;
        rc = log_batch_check(data + off, len - off, &h, why, whysz);
        if (rc)
            return rc == GR_E_UNSUPPORTED ? GR_E_BAD_RECORD : rc;
        if (h.base_offset < expect || h.last_offset_delta < 0) {
            snprintf(why, whysz, "batch at offset %" PRId64 " does not follow offset %" PRId64,
                     h.base_offset, expect - 1);
            return GR_E_BAD_RECORD;
        }
        if (!info->batches)
            info->first_offset = h.base_offset;
        expect = log_batch_last_offset(&h) + 1;
        if (h.max_timestamp > info->max_timestamp)
            info->max_timestamp = h.max_timestamp;
        info->records += h.record_count;
        info->batches++;
        off += (size_t)log_batch_size(&h);
    }
    if (!info->batches)
        return 0;
    info->last_offset = expect - 1;
    rc = append_checked(l, data, len, info->last_offset, info->max_timestamp, now_ms, why,
                            whysz);
    if (rc)
        return rc;
    bool epochs_changed = false;
    for (size_t off = 0; off < len;) {
        struct log_batch_hdr h;
        log_batch_parse(data + off, &h);
        if (h.leader_epoch > log_epoch_latest(&l->epochs))
            epochs_changed |= log_epoch_assign(&l->epochs, h.leader_epoch, h.base_offset) == 1;
        if (h.producer_id >= 0)
            producer_record(l, &h);
        off += (size_t)log_batch_size(&h);
    }
    if (epochs_changed)
        log_write_epochs(l);
    account(l, info, now_ms);
    return 0;
}

/* Position just past the last batch below max_offset in segment s (or the
 * segment's end when max_offset lies beyond it). */
static int max_position(struct log_segment *s, int64_t max_offset, int64_t *pos,
                        struct log_cold *cold)
{
    if (max_offset >= s->next_offset) {
        *pos = s->size;
        return 0;
    }
    struct log_batch_hdr h;
    int rc = log_segment_translate(s, max_offset, pos, &h, cold);
    if (rc == GR_E_RANGE) {
        *pos = s->size;
        return 0;
    }
    return rc;
}

int log_read(struct log *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
             bool min_one_batch, struct log_read_result *out)
{
    return log_read_cached(l, offset, max_bytes, max_offset, min_one_batch, out, NULL);
}

int log_read_cached(struct log *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
                    bool min_one_batch, struct log_read_result *out, struct log_cold *cold)
{
    memset(out, 0, sizeof(*out));
    int64_t leo = log_end_offset(l);
    if (offset < l->log_start_offset || offset > leo)
        return GR_E_RANGE;
    if (max_offset > leo)
        max_offset = leo;
    if (offset >= max_offset)
        return 0;
    int i = segment_for(l, offset);
    if (i < 0)
        i = 0;
    for (; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        if (s->base_offset >= max_offset)
            return 0;
        int64_t pos, maxpos;
        struct log_batch_hdr h;
        int rc = log_segment_translate(s, offset, &pos, &h, cold);
        if (rc == GR_E_RANGE)
            continue; /* offset lies past this segment's last batch */
        if (rc)
            return rc;
        if (h.base_offset >= max_offset)
            return 0;
        if ((rc = max_position(s, max_offset, &maxpos, cold)))
            return rc;
        int64_t want = max_bytes;
        if (min_one_batch && log_batch_size(&h) > want)
            want = log_batch_size(&h);
        int64_t len = maxpos - pos < want ? maxpos - pos : want;
        if (len <= 0)
            return 0;
        out->file = log_file_ref(s->file);
        out->position = pos;
        out->length = (int32_t)len;
        out->first_offset = h.base_offset;
        out->first_batch_size = (int32_t)log_batch_size(&h);
        return 0;
    }
    return 0;
}

int log_find_offset_by_timestamp(struct log *l, int64_t ts, int64_t *offset, int64_t *found_ts)
{
    return log_find_offset_by_timestamp_cached(l, ts, offset, found_ts, NULL);
}

int log_find_offset_by_timestamp_cached(struct log *l, int64_t ts, int64_t *offset,
                                        int64_t *found_ts, struct log_cold *cold)
{
    for (int i = 0; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        if (s->max_timestamp < ts || s->next_offset <= l->log_start_offset)
            continue;
        int64_t min = s->base_offset > l->log_start_offset ? s->base_offset : l->log_start_offset;
        int rc = log_segment_find_timestamp(s, ts, min, offset, found_ts, cold);
        if (rc)
            return rc;
    }
    return 0;
}

/* The invariant the recovery point keeps (see log.h). */
static void check_recovery_point(const struct log *l)
{
    assert(l->recovery_point <= log_end_offset(l));
    assert(l->log_start_offset <= log_end_offset(l));
}

static void after_truncation(struct log *l)
{
    int64_t leo = log_end_offset(l);
    l->truncations++;
    if (l->recovery_point > leo)
        l->recovery_point = leo;
    if (l->log_start_offset > leo)
        l->log_start_offset = leo;
    if (l->high_watermark > leo)
        l->high_watermark = leo;
    if (log_epoch_truncate_from_end(&l->epochs, leo))
        log_write_epochs(l);
    check_recovery_point(l);
}

int log_begin_epoch(struct log *l, int32_t epoch)
{
    if (l->offline)
        return 0; /* it serves nothing, and its disk may be gone */
    int rc = log_epoch_assign(&l->epochs, epoch, log_end_offset(l));
    if (rc == 1)
        log_write_epochs(l);
    return rc < 0 ? rc : 0;
}

int log_truncate_to(struct log *l, int64_t offset)
{
    if (offset >= log_end_offset(l))
        return 0;
    if (offset < l->segs[0]->base_offset)
        return log_truncate_fully(l, offset, l->segs[0]->created_ms);
    LOG_INFO("truncating %s-%d to offset %" PRId64 " (log end was %" PRId64 ")", l->topic,
             l->partition, offset, log_end_offset(l));
    log_drop_producer_snapshots_after(l, offset);
    while (l->nsegs > 1 && log_active(l)->base_offset > offset)
        log_drop_segment(l, l->nsegs - 1);
    struct log_segment *s = log_active(l);
    int rc = log_segment_truncate_to(s, offset);
    if (!rc && !s->active)
        rc = log_segment_activate(s);
    if (rc) {
        l->offline = true;
        LOG_ERROR("%s-%d goes offline: truncation to %" PRId64 " failed: %s", l->topic,
                  l->partition, offset, gr_strerror(rc));
        return rc;
    }
    l->dirs_dirty = true;
    after_truncation(l);
    /* The state may remember batches that are gone: read it again. */
    if (l->producers.count)
        log_load_producers(l);
    return 0;
}

int log_truncate_fully(struct log *l, int64_t offset, int64_t now_ms)
{
    LOG_INFO("truncating %s-%d fully and starting at offset %" PRId64, l->topic, l->partition,
             offset);
    int rc;
    struct log_segment *s = NULL;
    log_drop_producer_snapshots_after(l, -1);
    /* Drop everything, including a segment already named by offset, before
     * creating the new one so the file names cannot collide. */
    while (l->nsegs)
        log_drop_segment(l, l->nsegs - 1);
    s = log_segment_create(l->dir, offset, l->config.index_interval_bytes,
                           (size_t)l->config.segment_index_bytes, now_ms, &rc);
    if (!s || log_segs_append(l, s)) {
        log_segment_close(s);
        l->offline = true;
        LOG_ERROR("%s-%d goes offline: cannot create a segment at %" PRId64, l->topic,
                  l->partition, offset);
        return s ? GR_E_NOMEM : rc;
    }
    l->log_start_offset = offset;
    l->recovery_point = offset;
    l->high_watermark = offset;
    l->truncations++;
    l->epochs.n = 0;
    log_write_epochs(l);
    log_producers_clear(&l->producers);
    return 0;
}

int log_advance_start(struct log *l, int64_t offset)
{
    if (offset > log_end_offset(l))
        return GR_E_RANGE;
    if (offset <= l->log_start_offset)
        return 0;
    l->log_start_offset = offset;
    if (log_epoch_truncate_from_start(&l->epochs, offset))
        log_write_epochs(l);
    while (l->nsegs > 1 && l->segs[1]->base_offset <= offset)
        log_drop_segment(l, 0);
    check_recovery_point(l);
    return 0;
}

int log_apply_retention(struct log *l, int64_t now_ms)
{
    int deleted = 0;
    while (l->nsegs > 1 && l->segs[1]->base_offset <= l->log_start_offset) {
        log_drop_segment(l, 0);
        deleted++;
    }
    if (l->config.retention_ms >= 0) {
        while (l->nsegs > 1 &&
               now_ms - log_segment_largest_timestamp(l->segs[0]) > l->config.retention_ms) {
            LOG_INFO("deleting segment %s.log of %s-%d: older than retention.ms %" PRId64,
                     l->segs[0]->path, l->topic, l->partition, l->config.retention_ms);
            log_drop_segment(l, 0);
            deleted++;
        }
    }
    if (l->config.retention_bytes >= 0) {
        int64_t size = log_size(l);
        while (l->nsegs > 1 && size - l->segs[0]->size >= l->config.retention_bytes) {
            LOG_INFO("deleting segment %s.log of %s-%d: the log exceeds retention.bytes %" PRId64,
                     l->segs[0]->path, l->topic, l->partition, l->config.retention_bytes);
            size -= l->segs[0]->size;
            log_drop_segment(l, 0);
            deleted++;
        }
    }
    if (deleted && l->segs[0]->base_offset > l->log_start_offset) {
        l->log_start_offset = l->segs[0]->base_offset;
        if (log_epoch_truncate_from_start(&l->epochs, l->log_start_offset))
            log_write_epochs(l);
    }
    return deleted;
}

/* A flush could not be prepared or completed for want of descriptors: not
 * a reason to go offline. The tick retries it; say so once per episode. */
static void flush_postponed(struct log *l, int rc)
{
    if (!l->flush_retry)
        LOG_WARN("cannot flush %s-%d now: %s; retrying every tick (raise the open-file limit, "
                 "ulimit -n, if this persists)",
                 l->topic, l->partition, gr_strerror(rc));
    l->flush_retry = true;
}

static void flush_done(struct log_bg_job *j, void *ctx)
{
    struct log *l = ctx;
    l->flush_in_flight = false;
    if (l->closing) {
        bg_done(l);
        return;
    }
    int64_t again = l->flush_target;
    l->flush_target = -1;
    if (j->rc == GR_E_NOFILES) {
        /* Only opening a directory to sync it can fail so (the files'
         * descriptors were taken before): nothing was lost, try again. */
        l->dirs_dirty = true;
        flush_postponed(l, j->rc);
        again = -1; /* the tick retries; resubmitting now would spin */
    } else if (j->rc) {
        /* After a failed fsync the page cache may have dropped the data, so
         * what was appended cannot be trusted to reach the disk (the lesson
         * of PostgreSQL's fsyncgate). Like Kafka, which takes the whole log
         * dir offline, the log stops serving: appends and reads get
         * KAFKA_STORAGE_ERROR until a restart recovers it from what the
         * disk really holds. */
        l->offline = true;
        LOG_ERROR("fsync of %s-%d failed: %s; the log goes offline: produce and fetch get "
                  "KAFKA_STORAGE_ERROR until a restart recovers it from disk (data not yet "
                  "acknowledged may be lost)",
                  l->topic, l->partition, strerror(j->err_no));
    } else if (l->flush_truncations != l->truncations) {
        /* Truncated while the sync ran: the offsets it covered may now
         * name other, unsynced records. The truncation already lowered the
         * recovery point; sync again from there. */
        again = log_end_offset(l);
    } else if (j->tag > l->recovery_point) {
        int64_t leo = log_end_offset(l);
        l->recovery_point = j->tag < leo ? j->tag : leo;
    }
    check_recovery_point(l);
    /* Waiters are told of failures too: an offline log answers them with
     * KAFKA_STORAGE_ERROR instead of leaving them to their timeout. */
    if (l->on_flushed)
        l->on_flushed(l, l->recovery_point, l->on_flushed_ctx);
    if (bg_done(l))
        return;
    if (again > l->recovery_point && !l->offline)
        log_flush(l, l->last_flush_ms);
}

/* Adds a duplicate of fd to a sync job. */
static int add_dup(struct log_bg_job *j, int fd)
{
    int d = dup(fd);
    return d < 0 ? gr_err_from_errno(errno) : log_bg_job_add_fd(j, d);
}

/* Adds an index file (which keeps no descriptor open) to a sync job. */
static int add_index(struct log_bg_job *j, struct log_idxfile *f)
{
    int fd = log_idxfile_open_for_sync(f);
    return fd < 0 ? fd : log_bg_job_add_fd(j, fd);
}

void log_flush(struct log *l, int64_t now_ms)
{
    if (l->offline || l->closing)
        return;
    int64_t target = log_end_offset(l);
    l->unflushed_records = 0;
    l->last_flush_ms = now_ms;
    if (target <= l->recovery_point && !l->dirs_dirty && !l->parent_dirty) {
        l->flush_retry = false;
        return;
    }
    if (l->flush_in_flight) {
        if (target > l->flush_target)
            l->flush_target = target;
        return;
    }
    struct log_bg_job *j = log_bg_job_new(LOG_BG_SYNC);
    if (!j) {
        LOG_ERROR("out of memory flushing %s-%d", l->topic, l->partition);
        return;
    }
    int first = segment_for(l, l->recovery_point);
    int rc = 0;
    for (int i = first < 0 ? 0 : first; i < l->nsegs && !rc; i++) {
        struct log_segment *s = l->segs[i];
        rc = add_dup(j, s->file->fd);
        if (!s->active && !rc)
            rc = add_index(j, &s->index.file);
        if (!s->active && !rc)
            rc = add_index(j, &s->timeindex.file);
    }
    if (l->dirs_dirty && !rc)
        rc = log_bg_job_add_dir(j, l->dir);
    if (l->parent_dirty && !rc) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", l->dir);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = '\0';
            rc = log_bg_job_add_dir(j, parent);
        }
    }
    if (rc) {
        /* Without a descriptor for every file the flush would claim
         * durability it cannot give. Out of descriptors (or memory) is
         * passing: wait and retry, the recovery point stays. Anything else
         * (the file is gone) means the log cannot be made durable. */
        log_bg_job_free(j);
        if (log_error_is_temporary(rc)) {
            if (target > l->flush_target)
                l->flush_target = target;
            flush_postponed(l, rc);
            return;
        }
        l->offline = true;
        LOG_ERROR("%s-%d goes offline: cannot prepare an fsync: %s", l->topic, l->partition,
                  gr_strerror(rc));
        if (l->on_flushed)
            l->on_flushed(l, l->recovery_point, l->on_flushed_ctx);
        return;
    }
    if (l->flush_retry)
        LOG_INFO("flushing %s-%d again after running out of descriptors", l->topic,
                 l->partition);
    l->flush_retry = false;
    l->flush_truncations = l->truncations;
    l->dirs_dirty = l->parent_dirty = false;
    j->tag = target;
    j->done = flush_done;
    j->ctx = l;
    l->flush_in_flight = true;
    l->flush_target = -1;
    l->pending_bg++;
    log_bg_submit(l->bg, j);
}

void log_flush_if_due(struct log *l, int64_t now_ms)
{
    if (l->epochs_unwritten && !l->offline && !l->closing)
        log_write_epochs(l);
    if (l->flush_retry) {
        log_flush(l, now_ms);
        return;
    }
    if (l->config.flush_ms == INT64_MAX || log_end_offset(l) <= l->recovery_point)
        return;
    if (now_ms - l->last_flush_ms >= l->config.flush_ms)
        log_flush(l, now_ms);
}

void log_set_high_watermark(struct log *l, int64_t hw)
{
    /* Kafka's updateHighWatermark bounds: a damaged
     * replication-offset-checkpoint must not hand out a negative one. */
    int64_t leo = log_end_offset(l);
    l->high_watermark = hw > leo ? leo : hw < l->log_start_offset ? l->log_start_offset : hw;
}

int log_delete(struct log *l, const char *new_dir)
{
    if (rename(l->dir, new_dir)) {
        int rc = gr_err_from_errno(errno);
        LOG_ERROR("cannot rename %s to %s for deletion: %s", l->dir, new_dir, strerror(errno));
        return rc;
    }
    struct log_bg_job *j = log_bg_job_new(LOG_BG_REMOVE);
    if (j && (j->path = strdup(new_dir)))
        log_bg_submit(l->bg, j);
    else
        log_bg_job_free(j);
    log_release(l);
    return 0;
}
