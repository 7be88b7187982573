/*
 * Kafka's checkpoint file format, shared by recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint (lines
 * "topic partition offset") and leader-epoch-checkpoint ("epoch offset"):
 *
 *   0          <- format version
 *   2          <- number of entries
 *   t 0 42
 *   t 1 17
 *
 * Only formats and parses text; writing it durably is the caller's job
 * (through the background worker, never on the loop).
 */
#ifndef GREGOR_LOG_CHECKPOINT_H
#define GREGOR_LOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Appends the header for count entries. */
void log_checkpoint_header(struct buf *b, size_t count);
/* Appends one "topic partition offset" line. */
void log_checkpoint_topic_line(struct buf *b, const char *topic, int32_t partition,
                               int64_t offset);

/* Called per "topic partition offset" line; topic is NUL-terminated and valid
 * during the call. */
typedef void (*log_checkpoint_topic_cb)(const char *topic, int32_t partition, int64_t offset,
                                        void *ctx);
/* Called per "a b" line (leader epochs). */
typedef void (*log_checkpoint_pair_cb)(int64_t a, int64_t b, void *ctx);

/* Parse len bytes of text (borrowed). Returns 0, or GR_E_CORRUPT if the
 * version is not 0, the count does not match the lines, or a line is
 * malformed — callers then treat the file as absent, as Kafka does. Entries
 * are delivered only when the whole file is valid. */
int log_checkpoint_parse_topics(const char *text, size_t len, log_checkpoint_topic_cb cb,
                                void *ctx);
int log_checkpoint_parse_pairs(const char *text, size_t len, log_checkpoint_pair_cb cb,
                               void *ctx);

#endif
