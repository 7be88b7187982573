/*
 * Page-cache residency and warm-up jobs (see log_warm.h).
 */
#define LOG_COMPONENT "log"
#include "broker/log/log_warm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/log_file.h"
#include "common/err.h"
#include "common/logger.h"

/* cachestat(2), by hand: glibc 2.36 has no wrapper and the installed
 * kernel headers predate it. The number is the same on every
 * architecture (the unified syscall table). */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct warm_cachestat_range {
    uint64_t off;
    uint64_t len;
};

struct warm_cachestat {
    uint64_t nr_cache;
    uint64_t nr_dirty;
    uint64_t nr_writeback;
    uint64_t nr_evicted;
    uint64_t nr_recently_evicted;
};

/* Set once cachestat proved missing (ENOSYS, or a seccomp filter's EPERM):
 * every range counts as cached from then on, which is the old behaviour. */
static bool no_cachestat;

/* Distance between the one-byte probes of log_warm_cached: half of Linux's
 * default readahead window, so an in-flight window cannot hide between two
 * probes. */
#define PROBE_STEP (64 * 1024)

/* Set once RWF_NOWAIT proved unsupported: present pages count as readable. */
static bool no_nowait;

/* A cheap monotonic clock in milliseconds (vDSO, no syscall). */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the byte at `at` can be read without waiting for the disk. */
static bool readable_now(int fd, int64_t at)
{
    char b;
    struct iovec v = {&b, 1};
    for (;;) {
        if (preadv2(fd, &v, 1, (off_t)at, RWF_NOWAIT) >= 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return false;
        if (errno == EOPNOTSUPP)
            no_nowait = true;
        return true; /* an error sendfile will meet and report, or no way to tell */
    }
}

bool log_warm_cached(const struct log_file *f, int64_t pos, int64_t len)
{
    if (no_cachestat || len <= 0 || pos < 0)
        return true;
    int fd = f->fd;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    int64_t first = pos / page, last = (pos + len - 1) / page;
    struct warm_cachestat_range r = {(uint64_t)pos, (uint64_t)len};
    struct warm_cachestat cs = {0};
    if (syscall(__NR_cachestat, fd, &r, &cs, 0) != 0) {
        if (errno == ENOSYS || errno == EPERM) {
            no_cachestat = true;
            LOG_INFO("cachestat(2) is not available (%s): Fetch sends cold segment data from the "
                     "event loop, as before",
                     strerror(errno));
        }
        return true;
    }
    if (cs.nr_cache < (uint64_t)(last - first + 1))
        return false;
    /* Present is not yet readable while a reader job, or the readahead it
     * started, may be bringing pages of f in (see log_warm.h). Pages in
     * flight come in runs of at least a readahead window, so a one-byte
     * non-blocking read every PROBE_STEP and at the end finds them. Each
     * costs a syscall (about 2 us here, 37 us for a 1 MiB range), which is
     * why files the reader has not touched lately are spared. */
    bool maybe_inflight =
        f->reading > 0 || (f->warmed_ms && now_ms() - f->warmed_ms < LOG_WARM_INFLIGHT_S * 1000);
    for (int64_t at = pos; maybe_inflight && !no_nowait; at += PROBE_STEP) {
        if (at >= pos + len - 1)
            return readable_now(fd, pos + len - 1);
        if (!readable_now(fd, at))
            return false;
    }
    return true;
}

bool (*log_warm_resident)(const struct log_file *f, int64_t pos, int64_t len) = log_warm_cached;

int log_warm_submit(struct log_bg *reader, struct log_file *f, int64_t pos, int64_t len,
                    log_warm_fn done, void *ctx)
{
    struct log_cold c = {log_file_ref(f), NULL, pos, len};
    return log_warm_cold(reader, &c, done, ctx);
}

void log_cold_release(struct log_cold *c)
{
    if (c->file)
        log_file_unref(c->file);
    free(c->path);
    *c = (struct log_cold){0};
}

/* What a cold read's job carries back to the loop. */
struct cold_job {
    struct log_file *file; /* held until the job is done (keeps the descriptor open) */
    log_warm_fn done;
    void *ctx;
};

static void cold_done(struct log_bg_job *j, void *ctx)
{
    struct cold_job *cj = ctx;
    if (cj->file) {
        cj->file->reading--;
        cj->file->warmed_ms = now_ms();
        log_file_unref(cj->file);
    }
    cj->done(cj->ctx, j->rc);
    free(cj);
}

int log_warm_cold(struct log_bg *reader, struct log_cold *c, log_warm_fn done, void *ctx)
{
    struct cold_job *cj = calloc(1, sizeof(*cj));
    struct log_bg_job *j = cj ? log_bg_job_new(LOG_BG_READ) : NULL;
    if (!j) {
        free(cj);
        log_cold_release(c);
        return GR_E_NOMEM;
    }
    *cj = (struct cold_job){c->file, done, ctx};
    if (c->file)
        c->file->reading++;
    j->rfd = c->file ? c->file->fd : -1;
    j->path = c->path; /* the job owns it now; freed with the job */
    j->off = c->pos;
    j->len = (size_t)c->len;
    j->done = cold_done;
    j->ctx = cj;
    *c = (struct log_cold){0};
    log_bg_submit(reader, j);
    return 0;
}
