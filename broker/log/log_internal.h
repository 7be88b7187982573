/*
 * Helpers shared by log.c and log_load.c; not for use outside broker/log.
 */
#ifndef GREGOR_LOG_INTERNAL_H
#define GREGOR_LOG_INTERNAL_H

#include "broker/log/log.h"

/* Appends s to the segment list (takes ownership on success). */
int log_segs_append(struct log *l, struct log_segment *s);
/* Removes segment i: files unlinked, closed, final close on the worker. */
void log_drop_segment(struct log *l, int i);
/* Writes leader-epoch-checkpoint through the worker. */
void log_write_epochs(struct log *l);
/* Rebuilds l->producers from the newest producer snapshot at or below the
 * log end and the batch headers after it (log_producer_load.c). Returns 0,
 * or an error with the state left empty. */
int log_load_producers(struct log *l);
/* Has the worker write <log end>.snapshot (and drop the one two rolls ago). */
void log_write_producer_snapshot(struct log *l);
/* Has the worker remove every producer snapshot past offset (truncation;
 * offset -1: all of them). */
void log_drop_producer_snapshots_after(struct log *l, int64_t offset);

#endif
