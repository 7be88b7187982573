/*
 * The record batches of one fetched record set, as
 * gregor-replica-verification compares them: by last offset and checksum,
 * as Kafka's ReplicaVerificationTool does, plus a check that a batch's
 * checksum matches its bytes (a replica whose copy was damaged after it was
 * written keeps the leader's stored checksum, so comparing stored checksums
 * alone would not see it).
 *
 * Owns only the parsing of batch headers, every length checked against the
 * bytes there are. Does not decompress or look at records.
 */
#ifndef GREGOR_TOOLS_REPLICA_VERIFY_BATCH_H
#define GREGOR_TOOLS_REPLICA_VERIFY_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rv_batch {
    int64_t base_offset; /* first offset */
    int64_t last_offset; /* last offset (the batch's only offset before magic 2) */
    int8_t magic;        /* 0, 1 or 2 */
    uint32_t crc;        /* the stored checksum */
    bool crc_ok;         /* the stored checksum matches the bytes (always true before magic 2) */
    uint32_t crc_actual; /* the checksum of the bytes (magic 2), else crc */
};

/* A cursor over a record set (borrowed: it must outlive the cursor). */
struct rv_batches {
    const uint8_t *p; /* the record set */
    size_t len;       /* its length */
    size_t pos;       /* where the next batch starts */
};

static inline void rv_batches_init(struct rv_batches *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->pos = 0;
}

/* Reads the next whole batch into *b: 1, or 0 at the end of the set (a last
 * batch cut short, as a fetch may return it, counts as the end), or -1 when
 * the bytes are not record batches (a length below the header's size, an
 * unknown magic), with the reason in errstr. */
int rv_batches_next(struct rv_batches *it, struct rv_batch *b, char *errstr, size_t errsz);

#endif
