/*
 * Kafka's producer snapshot format (see log_producer_snapshot.h).
 */
#include "broker/log/log_producer_snapshot.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/err.h"

#define SNAPSHOT_VERSION 1
#define HEAD 6         /* version + crc */
#define ENTRY_SIZE 46  /* 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8 */

void log_producer_snapshot_encode(const struct log_producers *ps, struct buf *out)
{
    size_t start = out->len;
    uint8_t head[HEAD + 4];
    be16_store(head, SNAPSHOT_VERSION);
    be32_store(head + 2, 0); /* the CRC, once the rest is written */
    be32_store(head + HEAD, ps->count);
    buf_append(out, head, sizeof(head));
    for (uint32_t i = 0; i < ps->cap; i++) {
        const struct log_producer *e = &ps->slots[i];
        if (e->producer_id < 0 || !e->nbatches)
            continue;
        const struct log_producer_batch *b =
            &e->batches[(e->head + e->nbatches - 1) % LOG_PRODUCER_BATCHES];
        uint8_t x[ENTRY_SIZE];
        be64_store(x, (uint64_t)e->producer_id);
        be16_store(x + 8, (uint16_t)e->epoch);
        be32_store(x + 10, (uint32_t)b->last_seq);
        be64_store(x + 14, (uint64_t)b->last_offset);
        be32_store(x + 22, (uint32_t)(b->last_offset - b->first_offset));
        be64_store(x + 26, (uint64_t)e->last_timestamp);
        be32_store(x + 34, (uint32_t)-1);
        be64_store(x + 38, (uint64_t)-1);
        buf_append(out, x, sizeof(x));
    }
    if (buf_failed(out))
        return;
    /* Producers without a batch (none today) are left out: fix the count. */
    uint32_t n = (uint32_t)((out->len - start - HEAD - 4) / ENTRY_SIZE);
    be32_store(out->data + start + HEAD, n);
    be32_store(out->data + start + 2, crc32c(0, out->data + start + HEAD, out->len - start - HEAD));
}

int log_producer_snapshot_decode(struct log_producers *ps, const uint8_t *p, size_t len,
                                 char *why, size_t whysz)
{
    if (len < HEAD + 4) {
        snprintf(why, whysz, "%zu bytes, shorter than the header", len);
        return GR_E_CORRUPT;
    }
    if (be16_load(p) != SNAPSHOT_VERSION) {
        snprintf(why, whysz, "unknown version %u", (unsigned)be16_load(p));
        return GR_E_CORRUPT;
    }
    if (be32_load(p + 2) != crc32c(0, p + HEAD, len - HEAD)) {
        snprintf(why, whysz, "CRC mismatch");
        return GR_E_CORRUPT;
    }
    uint32_t n = be32_load(p + HEAD);
    if ((uint64_t)n * ENTRY_SIZE != len - HEAD - 4) {
        snprintf(why, whysz, "%" PRIu32 " entries do not fill %zu bytes", n, len);
        return GR_E_CORRUPT;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *x = p + HEAD + 4 + (size_t)i * ENTRY_SIZE;
        int32_t delta = (int32_t)be32_load(x + 22);
        struct log_batch_hdr h = {
            .producer_id = (int64_t)be64_load(x),
            .producer_epoch = (int16_t)be16_load(x + 8),
            .last_offset_delta = delta,
            .max_timestamp = (int64_t)be64_load(x + 26),
        };
        int32_t last_seq = (int32_t)be32_load(x + 10);
        int64_t last_offset = (int64_t)be64_load(x + 14);
        if (h.producer_id < 0 || delta < 0 || last_offset < delta ||
            (int64_t)be64_load(x + 38) != -1) {
            snprintf(why, whysz, "entry %" PRIu32 " (producer %" PRId64 ") is not a finished "
                     "idempotent batch", i, h.producer_id);
            return GR_E_CORRUPT;
        }
        h.base_offset = last_offset - delta;
        /* The first sequence, unwrapped as Kafka's decrementSequence does. */
        h.base_sequence = last_seq >= delta ? last_seq - delta : INT32_MAX - (delta - last_seq) + 1;
        h.record_count = delta + 1;
        if (log_producers_record(ps, &h))
            return GR_E_NOMEM;
    }
    return 0;
}
