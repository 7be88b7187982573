/*
 * A latency histogram for the perf tools: fixed memory, constant-time
 * record, percentiles within 1/32 (3 %) above the true value.
 *
 * Buckets are log-linear, as in HdrHistogram: values below 64 µs have a
 * bucket each; above, every power of two is split into 32 equal steps. Up to
 * about 2^40 µs (12 days), far past any latency worth measuring. Not
 * thread-safe: each thread records into its own and merges.
 */
#ifndef GREGOR_TOOLS_PERF_HIST_H
#define GREGOR_TOOLS_PERF_HIST_H

#include <stdint.h>

#define PERF_HIST_SUB 32
#define PERF_HIST_GROUPS 36
#define PERF_HIST_BUCKETS (2 * PERF_HIST_SUB + PERF_HIST_GROUPS * PERF_HIST_SUB)

struct perf_hist {
    int64_t count;                      /* values recorded */
    int64_t sum_us;                     /* their sum, for the mean */
    int64_t max_us;                     /* the largest */
    int64_t buckets[PERF_HIST_BUCKETS]; /* counts per bucket */
};

/* Empties h. */
void perf_hist_reset(struct perf_hist *h);
/* Records one latency in microseconds (negative values count as 0: clocks
 * of two processes can disagree by a little). */
void perf_hist_record(struct perf_hist *h, int64_t us);
/* Adds every value of from into into. */
void perf_hist_merge(struct perf_hist *into, const struct perf_hist *from);
/* The value at quantile q (0..1) in microseconds: the upper edge of the
 * bucket holding it, so percentiles never understate. 0 when empty. */
int64_t perf_hist_quantile_us(const struct perf_hist *h, double q);
/* Mean in microseconds (0 when empty). */
double perf_hist_mean_us(const struct perf_hist *h);

#endif
