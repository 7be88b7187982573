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

/* Whether every page of [pos, pos+len) of fd is in the page cache. Uses
 * cachestat(2) (Linux 6.5+); where the kernel lacks it, or on any error,
 * says true: the range is sent as before, on the loop. */
bool log_warm_cached(int fd, int64_t pos, int64_t len);

/* The probe the Fetch handler calls: log_warm_cached, replaced by tests
 * only (to report ranges cold without a slow disk). Loop thread only. */
extern bool (*log_warm_resident)(int fd, int64_t pos, int64_t len);

/* Queues a read of [pos, pos+len) of fd (borrowed: keep it open, e.g. by a
 * log_file reference, until done has run) on reader.
 * done runs once on the loop (log_bg_poll of reader) with job->rc 0, or
 * GR_E_CORRUPT if the file was truncated below pos+len meanwhile, or
 * another error (the range may still be cold). Returns 0, or a negative
 * gregor error (nothing queued, done never runs). */
int log_warm_submit(struct log_bg *reader, int fd, int64_t pos, int64_t len, log_bg_done_fn done,
                    void *ctx);

#endif
