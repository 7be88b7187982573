/*
 * libFuzzer target for the record batches of a Produce request as the
 * leader validates them (broker/log/log_batch.c, and for compressed batches
 * log_batch_inner.c over common/compress*.c: gzip, snappy, lz4 and zstd
 * inflating a client's bytes).
 *
 * Input: one option byte, then the batches as a Produce request carries
 * them.
 *   bit 0: recompute the CRC of every batch whose framing fits, so that
 *          mutations reach past the CRC into the records and the codecs;
 *   bit 1: message.timestamp.type=LogAppendTime;
 *   bit 2: message.timestamp.difference.max.ms of one hour (else unlimited);
 *   bit 3: max.message.bytes of 1 KiB (else 1 MiB).
 *
 * Beyond what the sanitizers catch, it aborts when a batch the leader
 * accepts would not survive recovery (log_batch_check refuses it: a stored,
 * acknowledged batch would be cut at the next unclean start), when an
 * accepted batch's size is not its Length + 12 or passes the input, or when
 * a timestamp search in an accepted batch answers outside its offsets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_batch.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/testbatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1700000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    size_t n = size - 1;
    uint8_t *p = fuzz_exact_copy(data + 1, n);
    if (!p)
        return 0;
    if (opt & 1)
        testbatch_fix_crcs(p, n);
    struct log_batch_limits lim = {.max_bytes = opt & 8 ? 1024 : 1 << 20,
                                   .now_ms = NOW_MS,
                                   .max_ts_diff_ms = opt & 4 ? 3600000 : INT64_MAX,
                                   .log_append_time = opt & 2};
    for (size_t off = 0; off < n;) {
        struct log_batch_hdr h, h2;
        size_t bsize = 0;
        char why[256];
        int rc = log_batch_validate(p + off, n - off, &lim, &h, &bsize, why, sizeof(why));
        if (rc)
            break; /* the produce is refused with why */
        if (bsize != (size_t)log_batch_size(&h) || bsize > n - off)
            fuzz_fail("an accepted batch of %zu bytes says Length %d", bsize, (int)h.length);
        if (log_batch_check(p + off, n - off, &h2, why, sizeof(why)))
            fuzz_fail("a batch the leader accepts fails recovery's check: %s", why);
        /* The leader gives the batch its offsets; a client's may be anything. */
        if (log_batch_offsets_ok(&h)) {
            int64_t found = -1, ts;
            int64_t min = h.base_offset + (h.last_offset_delta > 0 ? 1 : 0);
            if (log_batch_find_timestamp(p + off, bsize, h.base_timestamp, min, &found, &ts) == 1 &&
                (found < min || found > log_batch_last_offset(&h)))
                fuzz_fail("a timestamp search in batch %lld..%lld answered %lld",
                          (long long)h.base_offset, (long long)log_batch_last_offset(&h),
                          (long long)found);
        }
        off += bsize;
    }
    free(p);
    return 0;
}
