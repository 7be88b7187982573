/*
 * A segment's .log file descriptor, shared between the segment and the
 * responses that are still sending from it with sendfile(2).
 *
 * Retention or truncation may delete a segment while a slow consumer's Fetch
 * response is still streaming from it; the unlinked file stays readable
 * through this handle until the last reference is dropped. Everything runs on
 * the loop thread, so the count needs no atomics; the background flusher
 * works on dup()ed descriptors and never touches this struct.
 */
#ifndef GREGOR_LOG_FILE_H
#define GREGOR_LOG_FILE_H

#include <stdint.h>

struct log_file {
    int fd;            /* the open .log file */
    int refs;          /* segment + in-flight readers */
    int reading;       /* log reader jobs reading it now (log_warm.h) */
    int64_t warmed_ms; /* when the last of them finished (CLOCK_MONOTONIC_COARSE), or 0 */
};

/* Wraps fd (takes ownership) with one reference. Returns NULL on ENOMEM,
 * in which case fd is closed. */
struct log_file *log_file_new(int fd);
/* Adds a reference; returns f. */
struct log_file *log_file_ref(struct log_file *f);
/* Drops a reference; the last one closes the fd and frees f. Usable as a
 * proto_out release callback (takes void *). */
void log_file_unref(void *f);

#endif
