/*
 * Idempotent producer state (see log_producer.h): an open-addressing hash
 * table keyed by producer id, each entry a ring of its last five batches.
 */
#include "broker/log/log_producer.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define NO_SEQUENCE (-1) /* Kafka's RecordBatch.NO_SEQUENCE: before the first */

void log_producers_init(struct log_producers *ps)
{
    memset(ps, 0, sizeof(*ps));
}

void log_producers_destroy(struct log_producers *ps)
{
    free(ps->slots);
    memset(ps, 0, sizeof(*ps));
}

void log_producers_clear(struct log_producers *ps)
{
    log_producers_destroy(ps);
}

/* Producer ids are handed out in runs of 1000 per broker: mix the bits so
 * consecutive ids do not crowd into neighbouring slots. */
static uint32_t slot_of(int64_t producer_id, uint32_t cap)
{
    uint64_t x = (uint64_t)producer_id + 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    x ^= x >> 31;
    return (uint32_t)x & (cap - 1);
}

static struct log_producer *lookup(const struct log_producers *ps, int64_t producer_id)
{
    if (!ps->cap)
        return NULL;
    for (uint32_t i = slot_of(producer_id, ps->cap);; i = (i + 1) & (ps->cap - 1)) {
        struct log_producer *e = &ps->slots[i];
        if (e->producer_id == producer_id)
            return e;
        if (e->producer_id < 0)
            return NULL;
    }
}

const struct log_producer *log_producers_find(const struct log_producers *ps,
                                              int64_t producer_id)
{
    return producer_id < 0 ? NULL : lookup(ps, producer_id);
}

/* Moves every entry into a new table of cap slots, dropping (and counting
 * in *dropped) those whose last batch is expiration_ms older than now_ms
 * when expiration_ms >= 0. Returns 0 or GR_E_NOMEM (the table is unchanged
 * then). */
static int rehash(struct log_producers *ps, uint32_t cap, int64_t now_ms, int64_t expiration_ms,
                  int *dropped)
{
    struct log_producer *slots = malloc((size_t)cap * sizeof(*slots));
    if (!slots)
        return GR_E_NOMEM;
    for (uint32_t i = 0; i < cap; i++)
        slots[i].producer_id = -1;
    uint32_t count = 0;
    for (uint32_t i = 0; i < ps->cap; i++) {
        const struct log_producer *e = &ps->slots[i];
        if (e->producer_id < 0)
            continue;
        if (expiration_ms >= 0 && now_ms - e->last_timestamp >= expiration_ms) {
            (*dropped)++;
            continue;
        }
        uint32_t j = slot_of(e->producer_id, cap);
        while (slots[j].producer_id >= 0)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
        count++;
    }
    free(ps->slots);
    ps->slots = slots;
    ps->cap = cap;
    ps->count = count;
    return 0;
}

/* The producer's entry, created empty (epoch -1) if new. NULL: no memory. */
static struct log_producer *insert(struct log_producers *ps, int64_t producer_id)
{
    struct log_producer *e = lookup(ps, producer_id);
    if (e)
        return e;
    int dropped = 0;
    /* At most three quarters full, so a probe always ends. */
    if ((ps->count + 1) * 4 > ps->cap * 3 && rehash(ps, ps->cap ? ps->cap * 2 : 16, 0, -1, &dropped))
        return NULL;
    uint32_t i = slot_of(producer_id, ps->cap);
    while (ps->slots[i].producer_id >= 0)
        i = (i + 1) & (ps->cap - 1);
    e = &ps->slots[i];
    memset(e, 0, sizeof(*e));
    e->producer_id = producer_id;
    e->epoch = -1;
    ps->count++;
    return e;
}

static const struct log_producer_batch *batch_at(const struct log_producer *e, int i)
{
    return &e->batches[(e->head + i) % LOG_PRODUCER_BATCHES];
}

/* BaseSequence + delta, wrapping to 0 after INT32_MAX as Kafka's
 * DefaultRecordBatch.incrementSequence does. */
static int32_t seq_add(int32_t seq, int32_t delta)
{
    if (seq > INT32_MAX - delta)
        return delta - (INT32_MAX - seq) - 1;
    return seq + delta;
}

static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

int log_producers_check(const struct log_producers *ps, const struct log_batch_hdr *h,
                        struct log_producer_batch *dup, char *why, size_t whysz)
{
    if (h->base_sequence < 0) {
        snprintf(why, whysz, "producer %" PRId64 " sent sequence %" PRId32, h->producer_id,
                 h->base_sequence);
        return GR_E_BAD_RECORD;
    }
    if (h->producer_epoch < 0) {
        snprintf(why, whysz, "producer %" PRId64 " sent epoch %d", h->producer_id,
                 (int)h->producer_epoch);
        return GR_E_PRODUCER_EPOCH;
    }
    const struct log_producer *e = lookup(ps, h->producer_id);
    if (!e || e->epoch < 0)
        return LOG_PRODUCER_APPEND; /* unknown: any sequence starts it (KIP-360) */
    int32_t last_seq = seq_add(h->base_sequence, h->last_offset_delta);
    if (h->producer_epoch == e->epoch) {
        for (int i = 0; i < e->nbatches; i++) {
            const struct log_producer_batch *b = batch_at(e, i);
            if (b->first_seq == h->base_sequence && b->last_seq == last_seq) {
                *dup = *b;
                return LOG_PRODUCER_DUPLICATE;
            }
        }
    }
    if (h->producer_epoch < e->epoch) {
        snprintf(why, whysz, "producer %" PRId64 " sent epoch %d, older than its epoch %d",
                 h->producer_id, (int)h->producer_epoch, (int)e->epoch);
        return GR_E_PRODUCER_EPOCH;
    }
    if (h->producer_epoch != e->epoch) {
        if (h->base_sequence != 0) {
            snprintf(why, whysz,
                     "producer %" PRId64 " began epoch %d at sequence %" PRId32 ", not 0",
                     h->producer_id, (int)h->producer_epoch, h->base_sequence);
            return GR_E_OUT_OF_SEQUENCE;
        }
        return LOG_PRODUCER_APPEND;
    }
    int32_t expect_after = e->nbatches ? batch_at(e, e->nbatches - 1)->last_seq : NO_SEQUENCE;
    if (!in_sequence(expect_after, h->base_sequence)) {
        snprintf(why, whysz,
                 "producer %" PRId64 " sent sequence %" PRId32 " after sequence %" PRId32,
                 h->producer_id, h->base_sequence, expect_after);
        return GR_E_OUT_OF_SEQUENCE;
    }
    return LOG_PRODUCER_APPEND;
}

int log_producers_record(struct log_producers *ps, const struct log_batch_hdr *h)
{
    if (h->producer_id < 0)
        return 0;
    struct log_producer *e = insert(ps, h->producer_id);
    if (!e)
        return GR_E_NOMEM;
    if (e->epoch != h->producer_epoch) {
        e->epoch = h->producer_epoch;
        e->nbatches = 0;
        e->head = 0;
    }
    struct log_producer_batch *b;
    if (e->nbatches < LOG_PRODUCER_BATCHES) {
        b = &e->batches[(e->head + e->nbatches) % LOG_PRODUCER_BATCHES];
        e->nbatches++;
    } else {
        b = &e->batches[e->head];
        e->head = (int16_t)((e->head + 1) % LOG_PRODUCER_BATCHES);
    }
    b->first_seq = h->base_sequence;
    b->last_seq = seq_add(h->base_sequence, h->last_offset_delta);
    b->first_offset = h->base_offset;
    b->last_offset = log_batch_last_offset(h);
    e->last_timestamp = h->max_timestamp;
    return 0;
}

int log_producers_expire(struct log_producers *ps, int64_t now_ms, int64_t expiration_ms)
{
    int dropped = 0;
    if (!ps->count)
        return 0;
    /* Without memory for a new table nothing expires now; the next call
     * tries again. */
    if (rehash(ps, ps->cap, now_ms, expiration_ms, &dropped))
        return 0;
    if (!ps->count)
        log_producers_clear(ps);
    return dropped;
}
