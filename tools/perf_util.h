/*
 * What the librdkafka perf tools share: client properties from the command
 * line and from files, the end-to-end timestamp stamped into record values,
 * and the machine-readable summary the benchmark driver reads.
 */
#ifndef GREGOR_TOOLS_PERF_UTIL_H
#define GREGOR_TOOLS_PERF_UTIL_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/perf_hist.h"

/* Takes the k=v arguments after argv[*i] (up to the next "--option") into
 * props (pointers borrowed from argv), advancing *i past them; -1 after a
 * message if more than max. */
int perf_take_props(int argc, char **argv, int *i, char **props, int *nprops, int max,
                    const char *tool);
/* Sets "key=value" (borrowed) on conf. On failure prints a message naming
 * the tool, the key and librdkafka's reason to stderr and returns -1. */
int perf_conf_set_kv(rd_kafka_conf_t *conf, const char *tool, const char *kv);
/* Sets every key of the .properties file at path on conf; -1 after a
 * message naming the file, line and key. */
int perf_conf_load(rd_kafka_conf_t *conf, const char *tool, const char *path);

/* The end-to-end stamp: 16 bytes at the start of a value, a magic number and
 * the wall-clock microsecond the producer handed the record over. */
#define PERF_STAMP_LEN 16
/* Writes a stamp into value (at least PERF_STAMP_LEN bytes, borrowed). */
void perf_stamp_put(uint8_t *value, int64_t wall_us);
/* Reads the stamp of value (len bytes, borrowed); 0 and *wall_us if there
 * is one, -1 if the value carries none. */
int perf_stamp_get(const uint8_t *value, size_t len, int64_t *wall_us);

/* Writes the summary as one JSON object line to path ("-" is stdout):
 * records, bytes, seconds, rates, latency percentiles in ms with
 * microsecond precision, failures, and the tool's own CPU seconds. h may be NULL (no latencies). */
int perf_write_json(const char *path, const char *tool, int64_t records, int64_t bytes,
                    double seconds, const struct perf_hist *h, int64_t failed);

/* Prints "<what> latency ms: avg A, p50 B, p95 C, p99 D, p99.9 E, max F"
 * with three decimals: Kafka's own line rounds to whole milliseconds, too
 * coarse for a broker that answers in a fraction of one. */
void perf_print_latency(FILE *f, const char *what, const struct perf_hist *h);

#endif
