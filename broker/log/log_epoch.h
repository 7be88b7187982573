/*
 * The leader epoch cache of one partition (Kafka's LeaderEpochFileCache):
 * which leader epoch began at which offset, stored in the partition directory
 * as leader-epoch-checkpoint.
 *
 * Replication uses it to answer OffsetForLeaderEpoch so a follower can cut its
 * log back to the point where it and the leader agree (KIP-101). Invariant:
 * entries are ordered with both epoch and start offset strictly increasing.
 * It only keeps the list; the partition log decides when to write the file.
 */
#ifndef GREGOR_LOG_EPOCH_H
#define GREGOR_LOG_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

struct log_epoch_entry {
    int32_t epoch;        /* leader epoch */
    int64_t start_offset; /* first offset written in that epoch */
};

struct log_epoch {
    struct log_epoch_entry *e; /* owned array */
    int n, cap;                /* entries, allocated */
};

void log_epoch_init(struct log_epoch *c);
void log_epoch_destroy(struct log_epoch *c);

/* Records that epoch starts at start_offset. Entries with an epoch >= epoch
 * or a start offset >= start_offset are replaced. Returns 1 if the cache
 * changed, 0 if not (epoch not newer), GR_E_NOMEM. */
int log_epoch_assign(struct log_epoch *c, int32_t epoch, int64_t start_offset);

/* Latest epoch, or -1 when empty. */
int32_t log_epoch_latest(const struct log_epoch *c);

/* For OffsetForLeaderEpoch: the largest epoch <= epoch we know and the offset
 * at which it ended (the next epoch's start, or log_end for the latest).
 * Answers (-1, -1) when epoch is older than everything we know. */
void log_epoch_end_offset(const struct log_epoch *c, int32_t epoch, int64_t log_end,
                          int32_t *found_epoch, int64_t *end_offset);

/* Drops entries starting at or after offset (log truncated to offset).
 * Returns true if anything changed. */
bool log_epoch_truncate_from_end(struct log_epoch *c, int64_t offset);
/* Log start moved to offset: drops entries wholly below it and moves the
 * start of the one containing it. Returns true if anything changed. */
bool log_epoch_truncate_from_start(struct log_epoch *c, int64_t offset);

/* Checkpoint text of the cache. */
void log_epoch_format(const struct log_epoch *c, struct buf *b);
/* Replaces the cache with the parsed checkpoint. Returns 0 or GR_E_CORRUPT
 * (cache left empty). */
int log_epoch_parse(struct log_epoch *c, const char *text, size_t len);

#endif
