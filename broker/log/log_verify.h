/*
 * A second thread that verifies a large append while the loop writes it.
 *
 * Verifying a batch (CRC-32C and every record's framing) reads all of it and
 * costs about as much CPU as copying it into the page cache, so a large
 * append done in sequence spends half its time verifying. With a verifier
 * the loop hands over the batches, writes them to the segment meanwhile
 * (uncommitted: beyond the segment's size, invisible to readers), then waits
 * and either commits or cuts the write back. A crash in between leaves the
 * bytes past the recovery point, where recovery verifies them again.
 *
 * It owns no broker state: only a pointer to the batch bytes for the length
 * of one job. log_batch_verify() reads nothing the loop rewrites meanwhile.
 */
#ifndef GREGOR_LOG_VERIFY_H
#define GREGOR_LOG_VERIFY_H

#include <stddef.h>

#include "broker/log/log_batch.h"

/* Appends at least this large are worth the thread handoff. */
#define LOG_VERIFY_PARALLEL_MIN (128 * 1024)

struct log_verifier;

/* Starts the thread. Returns new or NULL. */
struct log_verifier *log_verifier_new(void);
/* Stops the thread (no job may be pending) and frees. */
void log_verifier_free(struct log_verifier *v);

/* Starts verifying n batches: data holds them back to back, hdrs their
 * prechecked headers. All are borrowed until log_verifier_wait() returns;
 * lim is copied. One job at a time. */
void log_verifier_start(struct log_verifier *v, const uint8_t *data,
                        const struct log_batch_hdr *hdrs, int n,
                        const struct log_batch_limits *lim);
/* Waits for the job's result: 0 or the first batch's error, with its
 * reason in why. *inflated gets the bytes its compressed batches inflated
 * (log_batch_verify()). */
int log_verifier_wait(struct log_verifier *v, int64_t *inflated, char *why, size_t whysz);

#endif
