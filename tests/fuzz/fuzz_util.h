/*
 * Helpers the libFuzzer targets of the log and ZooKeeper layers share: a
 * failure report that libFuzzer records as a crash, a scratch directory that
 * disappears with the process, and log settings small enough that a run
 * creates thousands of logs a second.
 */
#ifndef GREGOR_TESTS_FUZZ_UTIL_H
#define GREGOR_TESTS_FUZZ_UTIL_H

#include <stddef.h>

#include "broker/log/log_config.h"

/* Prints "fuzz invariant broken: <message>" and aborts (libFuzzer saves the
 * input as a crash). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A malloc'd copy of the n bytes at p, allocated to exactly their size (at
 * least 1), so that ASan sees any read past the end; NULL when out of
 * memory. The caller frees it. */
void *fuzz_exact_copy(const void *p, size_t n);

/* Creates a fresh directory for tag under $TMPDIR (else /dev/shm, else
 * /tmp) into out; it is removed with its contents when the process exits.
 * Aborts if it cannot. */
void fuzz_tmpdir(const char *tag, char *out, size_t outsz);

/* Log settings for fuzzing: no roll, no retention, no flushing by count or
 * time, 4 KiB offset indexes with an entry every 256 bytes. */
struct log_config fuzz_log_config(void);

#endif
