/*
 * Producer ids for idempotent producers (KIP-98), handed out as Kafka 2.8's
 * ZooKeeper mode does (ProducerIdManager): a broker claims a block of 1000
 * ids by rewriting /latest_producer_id_block with a conditional set on the
 * version it read, so two brokers never claim the same block, and hands ids
 * out of its block until it is used up. Ids of a block a broker claimed
 * and did not use before it stopped are never handed out again, as in Kafka.
 *
 * Owns the current block, the claim in flight and the queue of callers
 * waiting for it. It does not know Kafka requests (broker/api/
 * handle_init_producer_id.c answers those) and retries only a lost race
 * (another broker claimed meanwhile); any other failure goes to the waiters.
 *
 * Threading: the owner's loop, as the zk_client it borrows.
 */
#ifndef GREGOR_ZK_ZK_PRODUCER_ID_H
#define GREGOR_ZK_ZK_PRODUCER_ID_H

#include <stdint.h>

struct zk_client;
struct zk_producer_ids;

#define ZK_PRODUCER_ID_BLOCK_SIZE 1000 /* Kafka's PidBlockSize */
#define ZK_PRODUCER_ID_PATH "/latest_producer_id_block"

/* rc is GR_OK with a new producer id, or the error of the claim
 * (GR_E_CORRUPT for a malformed znode, GR_E_RANGE when ids ran out,
 * GR_E_CLOSING when the allocator or the client is freed, a ZooKeeper
 * error otherwise). */
typedef void (*zk_producer_id_cb)(int rc, int64_t producer_id, void *ctx);

/* A caller waiting for a claim; caller-allocated, it must stay valid until
 * its callback has run. */
struct zk_producer_id_wait {
    zk_producer_id_cb cb;              /* called once */
    void *ctx;                         /* passed to cb */
    struct zk_producer_id_wait *next;  /* the queue; the allocator's */
};

/* Borrows zc, which must outlive the allocator or be freed first (its
 * callbacks then fail the waiters with GR_E_CLOSING). Returns NULL when out
 * of memory. */
struct zk_producer_ids *zk_producer_ids_new(struct zk_client *zc, int32_t broker_id);

/* Every waiter's callback runs with GR_E_CLOSING, inside this call. A claim
 * in flight frees the memory when it completes. NULL is ignored. */
void zk_producer_ids_free(struct zk_producer_ids *a);

/* A new producer id: GR_OK with *producer_id set at once when the block has
 * one left; otherwise GR_PENDING, and w's callback runs exactly once, later,
 * from the loop (never inside this call). w (borrowed) is filled in here. */
int zk_producer_ids_next(struct zk_producer_ids *a, int64_t *producer_id,
                         struct zk_producer_id_wait *w, zk_producer_id_cb cb, void *ctx);

#endif
