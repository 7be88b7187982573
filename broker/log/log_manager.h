/*
 * The log manager: every partition log on this broker, across all log dirs.
 *
 * Owns the log dirs (locks, meta.properties, clean-shutdown markers), opens
 * every partition at start-up (recovering after a crash, with progress
 * lines), creates and deletes partition logs, runs retention and time-based
 * flushing from tick(), and checkpoints recovery points, log start offsets
 * and high watermarks. It owns the background workers (one writing, one
 * reading for Fetch) and exposes their eventfds so the broker's loop can
 * deliver completions (log_manager_poll).
 */
#ifndef GREGOR_LOG_MANAGER_H
#define GREGOR_LOG_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/log/log.h"

struct log_manager;

struct log_manager_opts {
    const char *const *dirs;            /* log.dirs, absolute paths */
    int ndirs;                          /* entries in dirs */
    int32_t broker_id;                  /* configured id; -1: take it from meta.properties */
    int64_t retention_check_interval_ms;     /* log.retention.check.interval.ms */
    int64_t recovery_checkpoint_interval_ms; /* log.flush.offset.checkpoint.interval.ms */
    int64_t start_checkpoint_interval_ms;    /* log.flush.start.offset.checkpoint.interval.ms */
    int64_t hw_checkpoint_interval_ms;       /* replica.high.watermark.checkpoint.interval.ms */
    int64_t producer_expiration_ms;          /* transactional.id.expiration.ms; 0: never */
    int64_t producer_check_interval_ms;      /* producer.id.expiration.check.interval.ms */
    const struct log_config *defaults;  /* settings for logs opened at start-up (copied) */
    bool set_umask;                     /* apply umask to the process before creating anything */
    int umask;                          /* gregor.log.umask, e.g. 077: data files 0600, dirs 0700 */
    log_flushed_fn on_flushed;          /* forwarded to every log; may be NULL */
    void *on_flushed_ctx;               /* passed to on_flushed */
};

/* Locks every dir, checks meta.properties against broker_id, and opens every
 * partition found (recovering if the last shutdown was not clean). A
 * partition whose log cannot be opened (unreadable, damaged beyond
 * recovery, I/O errors) is logged and kept offline; the others load.
 * Returns 0 or a negative error with errstr saying what is wrong and what
 * to do. */
int log_manager_open(const struct log_manager_opts *o, int64_t now_ms, struct log_manager **out,
                     char *errstr, size_t errsz);

/* clean: flush every log, write the checkpoints and the clean-shutdown
 * markers, so the next start re-validates nothing. !clean: just release
 * (what a crash would leave, for tests). Frees mgr. */
void log_manager_close(struct log_manager *mgr, bool clean);

/* The broker id found in meta.properties (or the configured one); -1 when
 * neither knows it yet. */
int32_t log_manager_broker_id(const struct log_manager *mgr);

/* Checks every dir's meta.properties against the cluster id (refusing a dir
 * that belongs to another cluster) and records broker_id and cluster_id
 * where they are missing. Blocking; call during start-up. */
int log_manager_set_identity(struct log_manager *mgr, int32_t broker_id, const char *cluster_id,
                             char *errstr, size_t errsz);

/* The log of topic-partition, or NULL. */
struct log *log_manager_get(const struct log_manager *mgr, const char *topic, int32_t partition);

/* Returns the log of topic-partition, creating it (in the dir holding the
 * fewest partitions) with config if it does not exist. */
int log_manager_create(struct log_manager *mgr, const char *topic, int32_t partition,
                       const struct log_config *config, int64_t now_ms, struct log **out,
                       char *errstr, size_t errsz);

/* Deletes the partition's log: its directory is renamed at once and removed
 * by the worker. Returns GR_E_NOENT if there is no such log. */
int log_manager_delete(struct log_manager *mgr, const char *topic, int32_t partition);

/* Whether the partition's log failed to load at start-up (it is then not
 * in the map, and log_manager_create refuses it with GR_E_OFFLINE). */
bool log_manager_offline(const struct log_manager *mgr, const char *topic, int32_t partition);

/* Iterates logs: for (size_t it = 0; (l = log_manager_next(mgr, &it));) */
struct log *log_manager_next(const struct log_manager *mgr, size_t *iter);
int log_manager_count(const struct log_manager *mgr);

/* Runs what is due: retention, time-based flushes, checkpoints. */
void log_manager_tick(struct log_manager *mgr, int64_t now_ms);
/* How often tick() should run, in ms. */
int64_t log_manager_tick_interval_ms(const struct log_manager *mgr);

/* The workers' completion eventfds (the writer's, the reader's), and the
 * call that handles completions of both. */
int log_manager_fd(const struct log_manager *mgr);
int log_manager_read_fd(const struct log_manager *mgr);
void log_manager_poll(struct log_manager *mgr);
/* The worker that reads cold file ranges for Fetch (LOG_BG_READ jobs only;
 * see log_bg.h); borrowed, lives as long as mgr. */
struct log_bg *log_manager_reader(struct log_manager *mgr);
/* Blocks until all worker jobs finished (tests, shutdown). */
void log_manager_drain(struct log_manager *mgr);

/* Writes all three checkpoints now (through the worker). */
void log_manager_checkpoint(struct log_manager *mgr);


#endif
