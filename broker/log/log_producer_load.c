/*
 * Rebuilding a partition's producer state (log_producer.h) from its log:
 * on open, and after a truncation removed batches the state remembers.
 *
 * Reads only batch headers, front to back, in chunks, and records every
 * batch with a producer id, as Kafka's replication origin would. The whole
 * log is read: Kafka bounds this with <offset>.snapshot files, which gregor
 * does not write yet, so opening a large log with idempotent producers
 * costs a read of its headers (for small batches, of the log).
 */
#define LOG_COMPONENT "log"
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "broker/log/log_internal.h"
#include "common/err.h"
#include "common/logger.h"

#define CHUNK (64 * 1024) /* bytes read at a time; a header never spans two reads */

static int scan_segment(struct log *l, struct log_segment *s, uint8_t *buf, int64_t *found)
{
    int64_t pos = 0, have_from = 0, have = 0;
    while (pos + LOG_BATCH_HEADER_SIZE <= s->size) {
        if (pos < have_from || pos + LOG_BATCH_HEADER_SIZE > have_from + have) {
            int64_t want = s->size - pos < CHUNK ? s->size - pos : CHUNK;
            int64_t n = log_segment_pread(s, buf, (size_t)want, pos);
            if (n < 0)
                return (int)n;
            if (n < LOG_BATCH_HEADER_SIZE)
                return GR_E_CORRUPT;
            have_from = pos;
            have = n;
        }
        struct log_batch_hdr h;
        log_batch_parse(buf + (pos - have_from), &h);
        if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD || !log_batch_offsets_ok(&h))
            return GR_E_CORRUPT; /* recovery or the tail check would have cut it */
        if (h.producer_id >= 0 && !(h.attributes & LOG_BATCH_CONTROL)) {
            if (log_producers_record(&l->producers, &h))
                return GR_E_NOMEM;
            (*found)++;
        }
        pos += log_batch_size(&h);
    }
    return 0;
}

int log_load_producers(struct log *l)
{
    log_producers_clear(&l->producers);
    uint8_t buf[CHUNK];
    int64_t found = 0;
    for (int i = 0; i < l->nsegs; i++) {
        int rc = scan_segment(l, l->segs[i], buf, &found);
        if (rc) {
            /* Without the state, retries are appended again and gaps pass:
             * the log itself is fine, so it stays online. */
            LOG_WARN("cannot rebuild the producer state of %s-%d from %s.log: %s", l->topic,
                     l->partition, l->segs[i]->path, gr_strerror(rc));
            log_producers_clear(&l->producers);
            return rc;
        }
    }
    if (l->producers.count)
        LOG_DEBUG("%s-%d: %u producer(s) from %" PRId64 " batch(es)", l->topic, l->partition,
                  l->producers.count, found);
    return 0;
}
