/*
 * The log of one partition: an ordered list of segments in
 * <log.dir>/<topic>-<partition>/, the last of which takes appends.
 *
 * Owns its segments, the offsets that describe it (log start, log end,
 * recovery point), the leader epoch cache, the roll policy, retention of old
 * segments, truncation and the flush policy. Replication state (high
 * watermark, ISR) belongs to the layer above; the log only stores the high
 * watermark it is given so the log manager can checkpoint it.
 *
 * Threading: every function runs on the owner's thread (the broker's loop).
 * Blocking disk work (fsync, checkpoint writes, removing deleted files) goes
 * to the background worker (log_bg); completions come back through
 * log_bg_poll() on the owner's thread.
 *
 * Invariants: segments are sorted by base offset and do not overlap; the
 * last segment is the only active (writable) one; log_start_offset <=
 * log end offset; recovery_point <= log end offset, and everything below the
 * recovery point has been fsynced.
 */
#ifndef GREGOR_LOG_H
#define GREGOR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/log/log_batch.h"
#include "broker/log/log_config.h"
#include "broker/log/log_epoch.h"
#include "broker/log/log_file.h"
#include "broker/log/log_producer.h"
#include "broker/log/log_segment.h"

struct log_bg;
struct log_verifier;
struct log;

/* Called on the owner's thread when an fsync completed: everything below
 * offset is durable. */
typedef void (*log_flushed_fn)(struct log *l, int64_t offset, void *ctx);

struct log {
    char *dir;                    /* the partition directory; owned */
    char *topic;                  /* owned */
    int32_t partition;            /* partition number */
    struct log_config config;     /* settings in force */
    struct log_segment **segs;    /* sorted by base offset; owned */
    int nsegs;                    /* segments in use */
    int segs_cap;                 /* allocated slots */
    int64_t log_start_offset;     /* first offset a reader may ask for */
    int64_t recovery_point;       /* everything below is fsynced */
    int64_t high_watermark;       /* set by replication, checkpointed by the manager */
    int64_t unflushed_records;    /* appended since the last flush was requested */
    int64_t last_flush_ms;        /* when the last flush was requested */
    int64_t flush_target;         /* log end wanted by the next flush, or -1 */
    bool flush_in_flight;         /* a sync job is with the worker */
    bool dirs_dirty;              /* files created or removed since the last flush */
    bool parent_dirty;            /* the partition directory itself is new */
    bool offline;                 /* a write or fsync failed: no more appends */
    bool flush_retry;             /* a flush could not be prepared (descriptors): tick retries */
    bool epochs_unwritten;        /* leader-epoch-checkpoint failed to write: tick retries */
    uint32_t truncations;         /* counts truncations, to spot one during a flush */
    uint32_t flush_truncations;   /* truncations when the flush in flight was prepared */
    bool closing;                 /* freed when pending_bg drops to 0 */
    int pending_bg;               /* worker jobs whose callback refers to this log */
    int64_t wb_base;              /* base offset of the segment wb_pos and drop_pos refer to */
    int64_t wb_pos;               /* its bytes whose writeback was started */
    int64_t drop_pos;             /* its bytes dropped from the page cache */
    struct log_file *wb_file;     /* referenced while a writeback job runs, else NULL */
    bool wb_warned;               /* a writeback job failed (logged once) */
    struct log_epoch epochs;      /* leader epoch cache */
    struct log_producers producers; /* idempotent producers' last batches (log_producer.h) */
    struct log_bg *bg;            /* the background worker; borrowed */
    struct log_verifier *verifier; /* verifies large appends in parallel; borrowed, may be NULL */
    log_flushed_fn on_flushed;    /* completion hook; may be NULL */
    void *on_flushed_ctx;         /* passed to on_flushed */
    void *owner;                  /* for the layer above (e.g. its partition) */
};

/* What an append did. */
struct log_append_info {
    int64_t first_offset;     /* offset given to the first record */
    int64_t last_offset;      /* offset given to the last record */
    int64_t max_timestamp;    /* largest batch MaxTimestamp */
    int64_t log_append_time;  /* broker time used for LogAppendTime, else -1 */
    int32_t records;          /* records appended */
    int32_t batches;          /* batches appended */
    bool flush_requested;     /* flush.messages was reached: the data is not durable
                                 until the recovery point passes last_offset */
    bool duplicate;           /* an idempotent producer's retry of a batch already in
                                 the log: nothing was written, the offsets are the
                                 original's */
};

/* What a read found: a byte range of a segment file, suitable for sendfile. */
struct log_read_result {
    struct log_file *file;    /* referenced: the caller calls log_file_unref; NULL when empty */
    int64_t position;         /* start of the range in the file */
    int32_t length;           /* bytes in the range; 0 when there is nothing to return */
    int64_t first_offset;     /* base offset of the first batch returned */
    int32_t first_batch_size; /* size of the first batch (may exceed length) */
};

/* How to open a partition directory. */
struct log_open_args {
    const char *dir;              /* the partition directory */
    const char *topic;            /* topic name */
    int32_t partition;            /* partition number */
    const struct log_config *config; /* settings (copied) */
    int64_t recovery_point;       /* from the checkpoint; 0 if unknown */
    int64_t log_start_offset;     /* from the checkpoint; -1 if unknown */
    bool clean_shutdown;          /* the log dir had the clean-shutdown marker */
    struct log_bg *bg;            /* background worker (borrowed) */
    struct log_verifier *verifier; /* parallel verification of large appends (borrowed, may be NULL) */
    int64_t now_ms;               /* wall clock */
};

/* Whether a failure with gregor error rc is one that passes (a full disk,
 * no descriptors, no memory): the operation is refused or retried later,
 * and the log stays online. Any other I/O error takes the log offline. */
bool log_error_is_temporary(int rc);

/* Opens (or, if the directory is missing or empty, creates) a partition log,
 * recovering it if the shutdown was not clean: every batch from the segment
 * holding the recovery point on is re-validated, the log is cut at the first
 * bad batch, later segments are removed and damaged indexes are rebuilt.
 * Returns 0 with *out set (caller frees with log_release) or a negative
 * error with errstr saying what failed. */
int log_open(const struct log_open_args *a, struct log **out, char *errstr, size_t errsz);

/* Closes the log's files and frees it once no background job refers to it.
 * Does not flush: call log_flush() and drain the worker first for a clean
 * shutdown. */
void log_release(struct log *l);

static inline int64_t log_end_offset(const struct log *l)
{
    return l->segs[l->nsegs - 1]->next_offset;
}

static inline struct log_segment *log_active(const struct log *l)
{
    return l->segs[l->nsegs - 1];
}

/* Total bytes of all segments. */
int64_t log_size(const struct log *l);

/* Leader append: validates every batch in data (len bytes, modified in
 * place), assigns offsets from the log end and the leader epoch, switches to
 * LogAppendTime if configured, rolls if needed and writes. Nothing is
 * written unless every batch is valid. Returns 0, GR_E_CORRUPT (CRC or
 * batch framing), GR_E_TOO_LARGE (batch over max.message.bytes),
 * GR_E_BATCH_OVER_SEGMENT (appends over segment.bytes), GR_E_BAD_RECORD
 * (record count, record framing, control or transactional batch, offsets),
 * GR_E_BAD_TIMESTAMP (outside message.timestamp.difference.max.ms),
 * GR_E_NOSPACE or GR_E_IO (the log goes offline), with a reason in why.
 * A batch with a producer id is checked against the producer state first
 * (log_producer.h): one such batch per append (more: GR_E_BAD_RECORD);
 * GR_E_OUT_OF_SEQUENCE and GR_E_PRODUCER_EPOCH refuse it, and a duplicate
 * returns 0 with info->duplicate and the original offsets, writing nothing. */
int log_append_leader(struct log *l, uint8_t *data, size_t len, int32_t leader_epoch,
                      int64_t now_ms, struct log_append_info *info, char *why, size_t whysz);

/* The same, for one batch of a Produce request whose compressed batches
 * share an inflation budget: *inflate_left (borrowed) is what the request
 * may still inflate and is reduced by what this append inflated, even when
 * it fails; a batch that would pass it gets GR_E_POLICY and is not written.
 * Without a budget (inflate_left NULL) each batch has only its own bound. */
int log_append_leader_budget(struct log *l, uint8_t *data, size_t len, int32_t leader_epoch,
                             int64_t now_ms, int64_t *inflate_left, struct log_append_info *info,
                             char *why, size_t whysz);

/* Follower append: batches already carry their offsets, which must start at
 * or after the log end and increase. CRCs are checked. Same returns.
 * Batches with a producer id are recorded in the producer state unchecked,
 * as the leader checked them. */
int log_append_follower(struct log *l, const uint8_t *data, size_t len, int64_t now_ms,
                        struct log_append_info *info, char *why, size_t whysz);

/* Reads from the batch holding offset up to max_bytes, never past max_offset
 * (exclusive; pass the high watermark, or the log end). With min_one_batch
 * the first batch is returned whole even if larger than max_bytes. Returns 0
 * (result possibly empty), GR_E_RANGE if offset is below the log start or
 * above the log end, or an I/O error. */
int log_read(struct log *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
             bool min_one_batch, struct log_read_result *out);

/* log_read for the event loop: it never waits for the disk. Finding where
 * offset is reads the segment's offset index (a mapping) and the batch
 * headers after the entry it finds; when a page of either is not in the
 * page cache it returns GR_E_AGAIN, with *cold (owned by the caller, who
 * passes it to log_warm_cold or log_cold_release) the range to bring in
 * before trying again. Nothing in *out is set then. With cold NULL it is
 * log_read. The data range of the answer is not read here at all (it is
 * sent with sendfile; see log_warm.h for its warm-up). */
int log_read_cached(struct log *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
                    bool min_one_batch, struct log_read_result *out, struct log_cold *cold);

/* This replica leads at leader epoch epoch from its log end on: records
 * that in the leader epoch cache (and its checkpoint) now, not at the first
 * append, as Kafka's Partition.makeLeader does, so the new leader answers
 * OffsetForLeaderEpoch for every epoch a follower may hold with the offset
 * where its own log parted from it. Returns 0 or GR_E_NOMEM. */
int log_begin_epoch(struct log *l, int32_t epoch);

/* Finds the first offset whose record timestamp is >= ts. Returns 1 with
 * *offset and *found_ts, 0 if no record is that recent, or a negative error. */
int log_find_offset_by_timestamp(struct log *l, int64_t ts, int64_t *offset, int64_t *found_ts);
/* The same for the event loop, never waiting for the disk: GR_E_AGAIN with
 * *cold set, as log_read_cached. */
int log_find_offset_by_timestamp_cached(struct log *l, int64_t ts, int64_t *offset,
                                        int64_t *found_ts, struct log_cold *cold);

/* Removes every offset >= offset (whole batches; replication). Returns 0 or
 * an error. A target at or past the log end does nothing. Segments past the
 * target are unlinked (their close goes to the worker); the one holding it
 * is cut with bounded reads (log_segment_truncate_to says which), which
 * the loop may wait for when they are cold: the target is near the end of
 * what this replica last wrote, the part most likely still cached. */
int log_truncate_to(struct log *l, int64_t offset);

/* Deletes every segment and starts an empty log at offset. */
int log_truncate_fully(struct log *l, int64_t offset, int64_t now_ms);

/* Moves the log start offset forward (DeleteRecords); offset must not pass
 * the log end (GR_E_RANGE). Whole segments below it are deleted. */
int log_advance_start(struct log *l, int64_t offset);

/* Closes the active segment and starts a new one at the log end (no-op if
 * the active one is empty). */
int log_roll(struct log *l, int64_t now_ms);

/* Deletes old segments by retention.ms and retention.bytes, and those wholly
 * below the log start offset. Never deletes the active segment. Returns the
 * number of segments deleted or a negative error. */
int log_apply_retention(struct log *l, int64_t now_ms);

/* Asks the worker to fsync everything up to the current log end (coalescing
 * with a flush in flight). */
void log_flush(struct log *l, int64_t now_ms);
/* Flushes if flush.ms has passed since the last flush and data is unflushed,
 * and retries what failed for a passing reason (a flush that could not be
 * prepared, the leader epoch checkpoint). */
void log_flush_if_due(struct log *l, int64_t now_ms);

/* Sets the stored high watermark (clamped to [log start, log end]). */
void log_set_high_watermark(struct log *l, int64_t hw);

/* Renames the partition directory (to "<topic>-<p>.<id>-delete"), closes
 * the log and has the worker remove the files. The log is freed. */
int log_delete(struct log *l, const char *new_dir);

#endif
