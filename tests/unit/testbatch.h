/*
 * Builds Kafka v2 record batches for tests and benchmarks, byte for byte as a
 * producer would (uncompressed records, CRC-32C over the right range).
 */
#ifndef GREGOR_TESTS_TESTBATCH_H
#define GREGOR_TESTS_TESTBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "broker/log/log_config.h"

struct buf;

struct testbatch_opts {
    int count;          /* records in the batch (>= 1) */
    size_t key_size;    /* 0 = null key */
    size_t value_size;  /* bytes per value */
    int64_t timestamp;  /* first record's timestamp */
    int64_t ts_step;    /* added per record */
    int64_t base_offset;/* written into BaseOffset (a leader rewrites it) */
    int16_t attributes; /* e.g. a compression codec; payload is then opaque */
    uint64_t seed;      /* value bytes are derived from it */
};

/* Appends one batch to b. Returns the offset in b where it starts. */
size_t testbatch_build(struct buf *b, const struct testbatch_opts *o);

/* Log settings for tests: one huge segment, no roll by age, no retention,
 * no flushing by count or time, 1 MiB batches; tests change what they test. */
struct log_config testbatch_log_config(void);

/* Recomputes the CRC of the batch at p (after a test edited it). */
void testbatch_fix_crc(uint8_t *p);
/* Recomputes the CRC of each batch in the n bytes at p, in order, while
 * their Length fields make whole batches (for fuzzing past the CRC). */
void testbatch_fix_crcs(uint8_t *p, size_t n);

#endif
