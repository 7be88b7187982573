/*
 * Idempotent producer state of one partition (KIP-98), the rules of Kafka
 * 2.8's ProducerStateManager for non-transactional producers: per producer
 * id, its epoch and the sequence and offset ranges of its last five batches.
 *
 * Owns a hash table of producer id -> entry and the rules a leader applies
 * to a client's batch before it enters the log:
 *   - a batch whose epoch and sequence range equal one of the last five of
 *     that epoch is a duplicate (a retry whose answer was lost): it is
 *     answered with the original offsets and not appended again;
 *   - an epoch below the producer's is fenced (INVALID_PRODUCER_EPOCH);
 *   - a new epoch must start at sequence 0, unless the producer is unknown;
 *   - the same epoch must continue at last sequence + 1 (wrapping after
 *     INT32_MAX) or it is OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - an unknown producer (never seen, or its batches expired or deleted)
 *     may start at any sequence: Kafka 2.8 (KIP-360) no longer answers
 *     UNKNOWN_PRODUCER_ID here, it accepts the batch.
 * Replicated and reloaded batches are recorded without the checks, as
 * Kafka's replication origin does. It does not read the log (log_load.c
 * rebuilds the state from it) and does not know transactions: a
 * transactional batch never reaches it (log_batch_precheck refuses them).
 *
 * Threading: the log's owner, like the rest of struct log.
 */
#ifndef GREGOR_LOG_PRODUCER_H
#define GREGOR_LOG_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "broker/log/log_batch.h"

#define LOG_PRODUCER_BATCHES 5 /* Kafka's NumBatchesToRetain */

/* One batch a producer wrote. */
struct log_producer_batch {
    int32_t first_seq;    /* BaseSequence */
    int32_t last_seq;     /* BaseSequence + LastOffsetDelta, wrapped */
    int64_t first_offset; /* offset given to its first record */
    int64_t last_offset;  /* offset given to its last record */
};

/* What the partition knows of one producer id. */
struct log_producer {
    int64_t producer_id;     /* -1: the slot is free */
    int16_t epoch;           /* the epoch of the batches below */
    int16_t nbatches;        /* batches held, 0..LOG_PRODUCER_BATCHES */
    int16_t head;            /* index of the oldest in the ring */
    int64_t last_timestamp;  /* MaxTimestamp of its last batch (expiry) */
    struct log_producer_batch batches[LOG_PRODUCER_BATCHES]; /* a ring, oldest at head */
};

/* Every producer of a partition. */
struct log_producers {
    struct log_producer *slots; /* open addressing; owned; NULL while empty */
    uint32_t cap;               /* slots allocated (a power of two, or 0) */
    uint32_t count;             /* slots in use */
};

/* What log_producers_check decided. */
enum log_producer_verdict {
    LOG_PRODUCER_APPEND = 0,    /* append it */
    LOG_PRODUCER_DUPLICATE = 1, /* already in the log: answer with *dup */
};

void log_producers_init(struct log_producers *ps);
void log_producers_destroy(struct log_producers *ps);
/* Forgets every producer (the log was emptied or is rebuilt). */
void log_producers_clear(struct log_producers *ps);

/* The producer's entry, or NULL. Borrowed; valid until the next change. */
const struct log_producer *log_producers_find(const struct log_producers *ps,
                                              int64_t producer_id);

/* A leader's check of a client batch with header h (producer_id >= 0).
 * Returns LOG_PRODUCER_APPEND, LOG_PRODUCER_DUPLICATE with *dup the original
 * batch, GR_E_PRODUCER_EPOCH (an epoch below the producer's, or a negative
 * one), GR_E_OUT_OF_SEQUENCE, or GR_E_BAD_RECORD (a negative BaseSequence,
 * which Kafka's validator refuses as an invalid record), with a reason in
 * why. Changes nothing. */
int log_producers_check(const struct log_producers *ps, const struct log_batch_hdr *h,
                        struct log_producer_batch *dup, char *why, size_t whysz);

/* Records a batch that is now in the log, h carrying its offsets
 * (BaseOffset set). Batches without a producer id are ignored. A new epoch
 * replaces the producer's batches. Returns 0 or GR_E_NOMEM (the state then
 * misses this batch: a retry of it would be appended again). */
int log_producers_record(struct log_producers *ps, const struct log_batch_hdr *h);

/* Forgets the producers whose last batch is older than expiration_ms before
 * now_ms (transactional.id.expiration.ms, which Kafka 2.8 uses for producer
 * ids too). Returns how many were forgotten. */
int log_producers_expire(struct log_producers *ps, int64_t now_ms, int64_t expiration_ms);

#endif
