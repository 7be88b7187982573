/*
 * Reading cold segment data off the loop: is a file range in the page
 * cache, and if not, a job for the log manager's reader (log_bg, kind
 * LOG_BG_READ) that brings it there.
 *
 * A Fetch answers with file ranges that the loop sends with sendfile. When
 * a range is not in the page cache, sendfile waits for the disk on the loop
 * thread, and every client and the ZooKeeper session wait with it (see
 * docs/BENCHMARKS.md §5). So the Fetch handler asks log_warm_resident()
 * first (one syscall, no copy, no mapping) and, for a cold range, lets a
 * reader thread pread it before the response is queued.
 *
 * The reader only reads the descriptor number; it never touches the loop's
 * struct log_file (whose count is not atomic). The submitter holds a
 * reference on that log_file until the job's callback has run, so the
 * descriptor stays open (and a segment deleted meanwhile stays readable)
 * without a dup() per job.
 */
#ifndef GREGOR_LOG_WARM_H
#define GREGOR_LOG_WARM_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log/log_bg.h"

struct log_file;

/* How long after a reader job on a file its readahead may still be in
 * flight, for log_warm_cached: minutes of disk time would be a device
 * slower than any the broker can serve. */
#define LOG_WARM_INFLIGHT_S 60

/* Where a read that must not wait for the disk stopped (log_read_cached,
 * log_find_offset_by_timestamp_cached in log.h): a range of a segment's
 * .log (file set: a reference) or of one of its index files (path set: an
 * owned copy of the path; the reader opens it, since index files keep no
 * descriptor open) that is not in the page cache. Both NULL: nothing cold.
 * Loop thread only. */
struct log_cold {
    struct log_file *file; /* referenced, or NULL */
    char *path;            /* owned, or NULL */
    int64_t pos;           /* the range */
    int64_t len;
};

/* Drops c's references and empties it. */
void log_cold_release(struct log_cold *c);

typedef void (*log_warm_fn)(void *ctx, int rc);

/* Has reader bring c's range into the page cache. Takes c's references (c
 * is empty afterwards, success or not). done(ctx, rc) runs once on the loop
 * (log_bg_poll of reader) with rc 0 or the read's error (a file deleted or
 * truncated meanwhile; the caller just looks again). Returns 0, or
 * GR_E_NOMEM (nothing queued, done never runs). */
int log_warm_cold(struct log_bg *reader, struct log_cold *c, log_warm_fn done, void *ctx);

/* Whether every page of [pos, pos+len) of f is in the page cache and can be
 * read now. cachestat(2) (Linux 6.5+) says whether all are present. Present
 * is not always readable: a page being read in counts as cached, and
 * sendfile would wait for it. Cold segment data is read by the log reader
 * only (the loop never reads it), so pages of f can be in flight only while
 * a reader job runs on f or, just after one, in the readahead window the
 * kernel started past the job's range. For such a file (a job running, or
 * one finished within LOG_WARM_INFLIGHT_S) one-byte RWF_NOWAIT reads every
 * 64 KiB and at the end look for pages still on their way; other files
 * (a consumer at the log end) pay the one cachestat. Where the kernel lacks
 * either call, or on any error, says true: the range is sent as before, on
 * the loop. Loop thread only. */
bool log_warm_cached(const struct log_file *f, int64_t pos, int64_t len);

/* The probe the Fetch handler calls: log_warm_cached, replaced by tests
 * only (to report ranges cold without a slow disk). Loop thread only. */
extern bool (*log_warm_resident)(const struct log_file *f, int64_t pos, int64_t len);

/* Queues a read of [pos, pos+len) of f on reader (takes its own reference
 * on f until done has run). done(ctx, rc) runs once on the loop
 * (log_bg_poll of reader) with rc 0, or GR_E_CORRUPT if the file was
 * truncated below pos+len meanwhile, or another error (the range may
 * still be cold). Returns 0, or a negative gregor error (nothing queued,
 * done never runs). */
int log_warm_submit(struct log_bg *reader, struct log_file *f, int64_t pos, int64_t len,
                    log_warm_fn done, void *ctx);

#endif
