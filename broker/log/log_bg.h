/*
 * The log's background workers: the threads that run the blocking disk work
 * the event loop must never wait for — fsync of segments and directories,
 * durable checkpoint writes, removal of deleted partitions, and the final
 * close of deleted segment files (which frees their blocks).
 *
 * They own no broker state. Jobs are handed over complete (descriptors are
 * dup()ed, data copied) and come back to the owner's thread through
 * log_bg_poll(), which the loop calls when the eventfd from log_bg_fd()
 * becomes readable. Every submitted job's callback runs exactly once, on the
 * owner's thread. Syncs (LOG_BG_SYNC), reads (LOG_BG_READ) and writebacks
 * (LOG_BG_WRITEBACK) may run concurrently and complete in any order; every other job runs alone, after
 * everything submitted before it and before everything submitted after it.
 *
 * The log manager runs two of them: one for writes (the kinds above but
 * LOG_BG_READ) and one that only reads, so a read of cold data for a Fetch
 * never waits behind fsyncs on the same device, and an fsync never waits
 * behind a slow read.
 */
#ifndef GREGOR_LOG_BG_H
#define GREGOR_LOG_BG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_bg_kind {
    LOG_BG_SYNC,       /* fdatasync fds[], then fsync the dirs in dirs[] */
    LOG_BG_WRITE_FILE, /* atomically replace path with data (write, fsync, rename, fsync dir) */
    LOG_BG_REMOVE,     /* remove the tree at path, then fsync its parent */
    LOG_BG_CLOSE,      /* close fds[] (last references to deleted files) */
    LOG_BG_READ,       /* read [off, off+len) of rfd (or, when rfd < 0, of the file at path)
                        * and drop the bytes: brings the range into the page cache; rc
                        * GR_E_CORRUPT if the file ends first */
    LOG_BG_WRITEBACK   /* start writing [off, off+len) of rfd to disk (no wait, no fsync);
                        * then wait for [drop_off, drop_off+drop_len) to be written and
                        * drop it from the page cache. A hint: rc is the first failure,
                        * but durability stays fdatasync's job (LOG_BG_SYNC) */
};

struct log_bg_job;
typedef void (*log_bg_done_fn)(struct log_bg_job *job, void *ctx);

struct log_bg_job {
    enum log_bg_kind kind;    /* what to do */
    int *fds;                 /* owned descriptors; closed by the worker */
    int nfds;                 /* entries in fds */
    char **dirs;              /* owned directory paths to fsync after the fds */
    int ndirs;                /* entries in dirs */
    char *path;               /* owned: file to write, tree to remove, or file to read */
    uint8_t *data;            /* owned: bytes to write */
    size_t len;               /* bytes in data; for LOG_BG_READ, bytes to read */
    int64_t off;              /* LOG_BG_READ: where in rfd the range starts */
    int64_t drop_off;         /* LOG_BG_WRITEBACK: range to drop from the page cache */
    int64_t drop_len;         /* LOG_BG_WRITEBACK: 0 drops nothing */
    int rfd;                  /* LOG_BG_READ, LOG_BG_WRITEBACK: borrowed (the submitter keeps it open until done),
                               * or -1 to open path for the read */
    int64_t tag;              /* for the submitter (e.g. the offset a flush covers) */
    int rc;                   /* result, set by the worker: 0 or a negative gregor error */
    int err_no;               /* errno of the failure */
    log_bg_done_fn done;      /* runs on the owner's thread; may be NULL */
    void *ctx;                /* passed to done */
    struct log_bg_job *next;  /* queue link */
};

struct log_bg;

/* Starts the worker thread. Returns new or NULL (errno set). */
struct log_bg *log_bg_new(void);
/* Runs every queued job, delivers their callbacks, stops the thread, frees. */
void log_bg_free(struct log_bg *bg);

/* Allocates a zeroed job of the given kind. Returns new or NULL. */
struct log_bg_job *log_bg_job_new(enum log_bg_kind kind);
/* Adds a descriptor (taken) or a directory path (copied) to a job. Returns
 * 0 or GR_E_NOMEM (the fd is closed then). */
int log_bg_job_add_fd(struct log_bg_job *job, int fd);
int log_bg_job_add_dir(struct log_bg_job *job, const char *dir);
/* Frees a job that was never submitted (closes its fds). */
void log_bg_job_free(struct log_bg_job *job);

/* Queues job (takes ownership). Its callback runs later from log_bg_poll. */
void log_bg_submit(struct log_bg *bg, struct log_bg_job *job);

/* Descriptor that becomes readable when completed jobs are waiting. */
int log_bg_fd(const struct log_bg *bg);
/* Runs the callbacks of completed jobs and frees them. Returns how many. */
int log_bg_poll(struct log_bg *bg);
/* Blocks until every job submitted so far has completed and its callback has
 * run (shutdown, start-up and tests). */
void log_bg_drain(struct log_bg *bg);
/* Jobs submitted whose callbacks have not run yet. */
int log_bg_pending(const struct log_bg *bg);

#endif
