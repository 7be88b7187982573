/*
 * The comparison of one partition's replicas (replica_verify.h), the way
 * Kafka's ReplicaVerificationTool does it: walk every replica's batches in
 * step, one batch each per step, and stop at the first replica whose next
 * batch is missing (not fetched yet) or reaches its own high watermark
 * (not committed there yet). Within a step every batch must end at the
 * same offset and carry the same checksum. On top of Kafka's check, each
 * batch's checksum must match its bytes: a copy damaged on one replica
 * after it was written keeps the stored checksum of the original.
 *
 * Prints what differs; does not decide the exit status.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "tools/replica_verify.h"
#include "tools/replica_verify_batch.h"

void rv_time_string(char *out, size_t n)
{
    int64_t ms = clock_wall_ms();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&s, &tm);
    char base[24];
    strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s,%03d", base, (int)(ms % 1000));
}


/* The first replica's batch of a step, that the others must match. */
struct first {
    int32_t broker;    /* whose */
    struct rv_batch b; /* its batch */
};

/* Walks p's replicas with the cursors it (one per replica). */
static bool walk(struct rv_part *p, struct rv_batches *it)
{
    char ts[32], err[160];
    bool ok = true;
    for (;;) {
        bool all = true;
        bool have_first = false;
        struct first f = {0};
        for (int i = 0; i < p->nrep; i++) {
            const struct rv_replica *r = &p->rep[i];
            struct rv_batch b;
            int rc = rv_batches_next(&it[i], &b, err, sizeof(err));
            if (rc < 0) {
                rv_time_string(ts, sizeof(ts));
                printf("%s: partition [%s,%d]: replica %d returned bad data at offset %" PRId64
                       ": %s\n",
                       ts, p->topic, p->partition, r->broker, p->offset, err);
                return false;
            }
            if (rc == 0 || b.last_offset >= r->hw) { /* only verify up to the high watermark */
                all = false;
                continue;
            }
            if (!b.crc_ok) {
                rv_time_string(ts, sizeof(ts));
                printf("%s: partition [%s,%d] has a corrupt batch at offset %" PRId64
                       " on replica %d: its stored checksum %" PRIu32
                       " does not match its bytes (checksum %" PRIu32 ")\n",
                       ts, p->topic, p->partition, b.last_offset, r->broker, b.crc, b.crc_actual);
                ok = false;
            }
            if (!have_first) {
                f = (struct first){r->broker, b};
                have_first = true;
                continue;
            }
            if (f.b.last_offset != b.last_offset) {
                rv_time_string(ts, sizeof(ts));
                printf("%s: partition [%s,%d]: replica %d's offset %" PRId64
                       " doesn't match replica %d's offset %" PRId64 "\n",
                       ts, p->topic, p->partition, f.broker, f.b.last_offset, r->broker,
                       b.last_offset);
                return false; /* out of step: nothing after this compares */
            }
            if (f.b.crc != b.crc) {
                rv_time_string(ts, sizeof(ts));
                printf("%s: partition [%s,%d] has unmatched checksum at offset %" PRId64
                       "; replica %d's checksum %" PRIu32 "; replica %d's checksum %" PRIu32 "\n",
                       ts, p->topic, p->partition, b.last_offset, f.broker, f.b.crc, r->broker,
                       b.crc);
                ok = false;
            }
        }
        if (!all || !have_first || !ok)
            return ok;
        p->offset = f.b.last_offset + 1;
    }
}

bool rv_check_partition(struct rv_part *p)
{
    struct rv_batches *it = calloc((size_t)p->nrep + 1, sizeof(*it));
    if (!it) {
        fprintf(stderr, "%s: out of memory\n", RV_TOOL);
        return false;
    }
    for (int i = 0; i < p->nrep; i++)
        rv_batches_init(&it[i], p->rep[i].records, p->rep[i].len);
    bool ok = walk(p, it);
    free(it);
    return ok;
}
