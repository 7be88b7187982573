/*
 * Background disk workers (see log_bg.h).
 *
 * Two queues under one mutex: todo (owner -> workers) and done (workers ->
 * owner). Workers signal completions through an eventfd so the owner's event
 * loop wakes without polling.
 *
 * Several workers, because an fdatasync mostly waits for the device and the
 * device can serve several at once: with flush.messages=1 a produce request
 * for 64 partitions submits 64 syncs, which one thread would run end to end
 * (W4 in docs/BENCHMARKS.md). Syncs of different logs are independent (a log
 * has at most one in flight), so they may run in any order and overlap.
 * Reads (for Fetch, on the reader instance) are independent in the same way.
 * Every other job is a barrier: it starts when everything submitted before
 * it has finished and nothing submitted after it starts before it finishes,
 * so checkpoint writes and removals keep the submission order they had with
 * a single thread.
 */
#define LOG_COMPONENT "log"
#include "broker/log/log_bg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"

#define LOG_BG_WORKERS 4

struct log_bg {
    pthread_t threads[LOG_BG_WORKERS]; /* the workers */
    int nthreads;              /* started */
    int running;               /* jobs being run (guarded by lock) */
    bool barrier;              /* a non-sync job is running (guarded by lock) */
    pthread_mutex_t lock;      /* guards the queues and stop */
    pthread_cond_t work;       /* workers wait here: a job may start, or stop */
    pthread_cond_t done_cond;  /* log_bg_drain waits here: a job completed */
    struct log_bg_job *todo;   /* head of pending jobs */
    struct log_bg_job **todo_tail;
    struct log_bg_job *done;   /* head of completed jobs */
    struct log_bg_job **done_tail;
    bool stop;                 /* set by log_bg_free */
    int efd;                   /* eventfd: completions waiting */
    int pending;               /* submitted, callback not yet run (owner thread only) */
};

struct log_bg_job *log_bg_job_new(enum log_bg_kind kind)
{
    struct log_bg_job *j = calloc(1, sizeof(*j));
    if (j)
        j->kind = kind;
    return j;
}

int log_bg_job_add_fd(struct log_bg_job *j, int fd)
{
    int *fds = realloc(j->fds, (size_t)(j->nfds + 1) * sizeof(int));
    if (!fds) {
        close(fd);
        return GR_E_NOMEM;
    }
    j->fds = fds;
    j->fds[j->nfds++] = fd;
    return 0;
}

int log_bg_job_add_dir(struct log_bg_job *j, const char *dir)
{
    for (int i = 0; i < j->ndirs; i++)
        if (!strcmp(j->dirs[i], dir))
            return 0;
    char **dirs = realloc(j->dirs, (size_t)(j->ndirs + 1) * sizeof(char *));
    if (!dirs)
        return GR_E_NOMEM;
    j->dirs = dirs;
    if (!(j->dirs[j->ndirs] = strdup(dir)))
        return GR_E_NOMEM;
    j->ndirs++;
    return 0;
}

void log_bg_job_free(struct log_bg_job *j)
{
    if (!j)
        return;
    for (int i = 0; i < j->nfds; i++)
        if (j->fds[i] >= 0)
            close(j->fds[i]);
    for (int i = 0; i < j->ndirs; i++)
        free(j->dirs[i]);
    free(j->fds);
    free(j->dirs);
    free(j->path);
    free(j->data);
    free(j);
}

static void fail(struct log_bg_job *j, int rc)
{
    if (!j->rc) {
        j->rc = rc;
        j->err_no = errno;
    }
}

/* Chunk of one pread of LOG_BG_READ: bounded, so a 50 MB warm-up does not
 * need 50 MB of memory; large enough that a disk sees few requests. */
#define READ_CHUNK (256 * 1024)

/* Reads [off, off+len) of fd into a scratch buffer: a plain pread, not
 * posix_fadvise(WILLNEED), which returns before the data is there on some
 * file systems and is only a hint on others. */
static void read_range(struct log_bg_job *j, int fd)
{
    uint8_t *scratch = malloc(READ_CHUNK);
    if (!scratch) {
        fail(j, GR_E_NOMEM);
        return;
    }
    int64_t pos = j->off, end = j->off + (int64_t)j->len;
    while (pos < end) {
        size_t want = end - pos < READ_CHUNK ? (size_t)(end - pos) : READ_CHUNK;
        ssize_t n = pread(fd, scratch, want, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(j, gr_err_from_errno(errno));
            break;
        }
        if (n == 0) {
            fail(j, GR_E_CORRUPT); /* truncated under us: the range is gone */
            break;
        }
        pos += n;
    }
    free(scratch);
}

/* Starts the disk writes of a range the log just appended, so dirty pages
 * never pile up until the kernel's dirty limits stall the loop's pwrite
 * (balance_dirty_pages), and, when asked, drops an older range that is on
 * disk by now from the page cache so the pages are reused for the next
 * appends instead of new memory (docs/BENCHMARKS.md §11). Only starting
 * writes and dropping clean pages: a failure loses nothing (fdatasync
 * reports write errors, sync_file_range without WAIT_AFTER does not
 * consume them). */
static void writeback_range(struct log_bg_job *j)
{
    if (j->len && sync_file_range(j->rfd, (off_t)j->off, (off_t)j->len, SYNC_FILE_RANGE_WRITE))
        fail(j, gr_err_from_errno(errno));
    if (!j->drop_len)
        return;
    /* Pages still being written are skipped by DONTNEED: wait for those
     * writes (started by an earlier job) first. */
    if (sync_file_range(j->rfd, (off_t)j->drop_off, (off_t)j->drop_len,
                        SYNC_FILE_RANGE_WAIT_BEFORE))
        fail(j, gr_err_from_errno(errno));
    int rc = posix_fadvise(j->rfd, (off_t)j->drop_off, (off_t)j->drop_len, POSIX_FADV_DONTNEED);
    if (rc) {
        errno = rc;
        fail(j, gr_err_from_errno(rc));
    }
}

static void run_job(struct log_bg_job *j)
{
    switch (j->kind) {
    case LOG_BG_SYNC:
        for (int i = 0; i < j->nfds; i++)
            if (fdatasync(j->fds[i]))
                fail(j, gr_err_from_errno(errno));
        for (int i = 0; i < j->ndirs; i++) {
            int rc = fs_fsync_dir(j->dirs[i]);
            if (rc)
                fail(j, rc);
        }
        break;
    case LOG_BG_WRITE_FILE: {
        int rc = fs_write_file_atomic(j->path, j->data, j->len, true);
        if (rc)
            fail(j, rc);
        break;
    }
    case LOG_BG_REMOVE: {
        int rc = fs_remove_tree(j->path);
        if (rc)
            fail(j, rc);
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", j->path);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = '\0';
            if ((rc = fs_fsync_dir(parent)))
                fail(j, rc);
        }
        break;
    }
    case LOG_BG_CLOSE:
        break; /* the descriptors are closed below, like every job's */
    case LOG_BG_WRITEBACK:
        writeback_range(j);
        break;
    case LOG_BG_READ:
        if (j->rfd >= 0) {
            read_range(j, j->rfd);
        } else {
            int fd = open(j->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                fail(j, gr_err_from_errno(errno));
                break;
            }
            read_range(j, fd);
            close(fd);
        }
        break;
    }
    for (int i = 0; i < j->nfds; i++) {
        close(j->fds[i]);
        j->fds[i] = -1;
    }
}

/* Kinds that run beside others; the rest are barriers. */
static bool concurrent(enum log_bg_kind kind)
{
    return kind == LOG_BG_SYNC || kind == LOG_BG_READ || kind == LOG_BG_WRITEBACK;
}

/* Whether the head job may start now (see the ordering rule above). */
static bool can_start(const struct log_bg *bg)
{
    const struct log_bg_job *j = bg->todo;
    if (!j || bg->barrier)
        return false;
    return concurrent(j->kind) || bg->running == 0;
}

static void *worker(void *arg)
{
    struct log_bg *bg = arg;
    pthread_mutex_lock(&bg->lock);
    for (;;) {
        while (!can_start(bg) && !(bg->stop && !bg->todo))
            pthread_cond_wait(&bg->work, &bg->lock);
        if (!bg->todo)
            break; /* stop, and nothing left to do */
        struct log_bg_job *j = bg->todo;
        bg->todo = j->next;
        if (!bg->todo)
            bg->todo_tail = &bg->todo;
        bool barrier = !concurrent(j->kind);
        bg->running++;
        bg->barrier = barrier;
        /* Workers are woken one at a time (a broadcast per job would wake
         * them all for one fsync, and those wakeups cost more than the
         * overlap gains on a small machine); a worker that takes a job
         * passes the wakeup on if the next one may start too. */
        if (can_start(bg))
            pthread_cond_signal(&bg->work);
        pthread_mutex_unlock(&bg->lock);

        run_job(j);

        pthread_mutex_lock(&bg->lock);
        bg->running--;
        if (barrier)
            bg->barrier = false;
        j->next = NULL;
        *bg->done_tail = j;
        bg->done_tail = &j->next;
        if (can_start(bg))
            pthread_cond_signal(&bg->work); /* a barrier may have been waiting for us */
        pthread_cond_broadcast(&bg->done_cond);
        uint64_t one = 1;
        (void)!write(bg->efd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&bg->lock);
    return NULL;
}

struct log_bg *log_bg_new(void)
{
    struct log_bg *bg = calloc(1, sizeof(*bg));
    if (!bg)
        return NULL;
    bg->todo_tail = &bg->todo;
    bg->done_tail = &bg->done;
    bg->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bg->efd < 0) {
        free(bg);
        return NULL;
    }
    pthread_mutex_init(&bg->lock, NULL);
    pthread_cond_init(&bg->work, NULL);
    pthread_cond_init(&bg->done_cond, NULL);
    for (int i = 0; i < LOG_BG_WORKERS; i++) {
        int rc = pthread_create(&bg->threads[i], NULL, worker, bg);
        if (rc && i == 0) {
            close(bg->efd);
            pthread_mutex_destroy(&bg->lock);
            pthread_cond_destroy(&bg->work);
            pthread_cond_destroy(&bg->done_cond);
            free(bg);
            errno = rc;
            return NULL;
        }
        if (rc)
            break; /* fewer workers only means fewer syncs at once */
        bg->nthreads++;
    }
    return bg;
}

void log_bg_submit(struct log_bg *bg, struct log_bg_job *j)
{
    j->next = NULL;
    j->rc = 0;
    bg->pending++;
    pthread_mutex_lock(&bg->lock);
    *bg->todo_tail = j;
    bg->todo_tail = &j->next;
    if (can_start(bg))
        pthread_cond_signal(&bg->work);
    pthread_mutex_unlock(&bg->lock);
}

int log_bg_fd(const struct log_bg *bg)
{
    return bg->efd;
}

int log_bg_pending(const struct log_bg *bg)
{
    return bg->pending;
}

int log_bg_poll(struct log_bg *bg)
{
    uint64_t n;
    (void)!read(bg->efd, &n, sizeof(n));
    pthread_mutex_lock(&bg->lock);
    struct log_bg_job *list = bg->done;
    bg->done = NULL;
    bg->done_tail = &bg->done;
    pthread_mutex_unlock(&bg->lock);
    int count = 0;
    while (list) {
        struct log_bg_job *j = list;
        list = j->next;
        bg->pending--;
        if (j->done)
            j->done(j, j->ctx);
        log_bg_job_free(j);
        count++;
    }
    return count;
}

void log_bg_drain(struct log_bg *bg)
{
    while (bg->pending > 0) {
        pthread_mutex_lock(&bg->lock);
        while (!bg->done)
            pthread_cond_wait(&bg->done_cond, &bg->lock);
        pthread_mutex_unlock(&bg->lock);
        log_bg_poll(bg);
    }
}

void log_bg_free(struct log_bg *bg)
{
    if (!bg)
        return;
    log_bg_drain(bg);
    pthread_mutex_lock(&bg->lock);
    bg->stop = true;
    pthread_cond_broadcast(&bg->work);
    pthread_mutex_unlock(&bg->lock);
    for (int i = 0; i < bg->nthreads; i++)
        pthread_join(bg->threads[i], NULL);
    log_bg_poll(bg);
    close(bg->efd);
    pthread_mutex_destroy(&bg->lock);
    pthread_cond_destroy(&bg->work);
    pthread_cond_destroy(&bg->done_cond);
    free(bg);
}
