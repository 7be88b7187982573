/* Log-linear latency histogram; see perf_hist.h. */
#include "tools/perf_hist.h"

#include <string.h>

/* Bucket of v: values below 2*SUB map to themselves; above, the power of
 * two above SUB picks a group and the next five bits the step in it. */
static int bucket_of(int64_t v)
{
    if (v < 2 * PERF_HIST_SUB)
        return (int)v;
    int msb = 63 - __builtin_clzll((unsigned long long)v); /* >= 6 */
    int group = msb - 5;                                    /* 1.. */
    int step = (int)((v >> (msb - 5)) & (PERF_HIST_SUB - 1));
    int b = 2 * PERF_HIST_SUB + (group - 1) * PERF_HIST_SUB + step;
    return b < PERF_HIST_BUCKETS ? b : PERF_HIST_BUCKETS - 1;
}

/* The largest value that falls in bucket b. */
static int64_t upper_of(int b)
{
    if (b < 2 * PERF_HIST_SUB)
        return b;
    int group = (b - 2 * PERF_HIST_SUB) / PERF_HIST_SUB + 1;
    int step = (b - 2 * PERF_HIST_SUB) % PERF_HIST_SUB;
    int shift = group;
    int64_t lo = ((int64_t)(PERF_HIST_SUB + step)) << shift;
    return lo + ((int64_t)1 << shift) - 1;
}

void perf_hist_reset(struct perf_hist *h)
{
    memset(h, 0, sizeof(*h));
}

void perf_hist_record(struct perf_hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    h->count++;
    h->sum_us += us;
    if (us > h->max_us)
        h->max_us = us;
    h->buckets[bucket_of(us)]++;
}

void perf_hist_merge(struct perf_hist *into, const struct perf_hist *from)
{
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (int i = 0; i < PERF_HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
}

int64_t perf_hist_quantile_us(const struct perf_hist *h, double q)
{
    if (!h->count)
        return 0;
    /* The rank of the value wanted, 1-based, as Kafka's percentiles take
     * the element at index (int)(n * q) of the sorted latencies. */
    int64_t rank = (int64_t)((double)h->count * q) + 1;
    if (rank > h->count)
        rank = h->count;
    int64_t seen = 0;
    for (int b = 0; b < PERF_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            int64_t u = upper_of(b);
            return u < h->max_us ? u : h->max_us;
        }
    }
    return h->max_us;
}

double perf_hist_mean_us(const struct perf_hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}
