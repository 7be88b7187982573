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
/* Rebuilds l->producers from the batch headers of the whole log
 * (log_producer_load.c). Returns 0, or an error with the state left empty. */
int log_load_producers(struct log *l);

#endif
