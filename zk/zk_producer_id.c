/*
 * Producer id blocks from /latest_producer_id_block (see zk_producer_id.h).
 * A claim reads the znode and its version, computes the block after the one
 * it names (0..999 when it is empty, as Kafka creates it) and writes it back
 * only if the version is unchanged; a lost race reads again.
 */
#define LOG_COMPONENT "producer-ids"
#include "zk/zk_producer_id.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"

/* Lost races in a row before the waiters are told: with a handful of
 * brokers claiming a block every thousand producers this is never reached;
 * it only bounds a loop that would otherwise not end. */
#define MAX_LOST_RACES 32

struct zk_producer_ids {
    struct zk_client *zc;                  /* borrowed */
    int32_t broker_id;                     /* written into the block we claim */
    int64_t next;                          /* next id to hand out */
    int64_t block_end;                     /* last id of our block; next > block_end: none */
    bool claiming;                         /* a read or conditional set is in flight */
    bool freed;                            /* zk_producer_ids_free ran during a claim */
    int lost_races;                        /* conditional sets lost in a row */
    struct zk_producer_id_wait *waiters;   /* FIFO of callers waiting for the claim */
    struct zk_producer_id_wait **tail;     /* where the next waiter goes */
};

struct zk_producer_ids *zk_producer_ids_new(struct zk_client *zc, int32_t broker_id)
{
    struct zk_producer_ids *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->zc = zc;
    a->broker_id = broker_id;
    a->next = 0;
    a->block_end = -1;
    a->tail = &a->waiters;
    return a;
}

static int claim(struct zk_producer_ids *a);

/* Ends the claim: hands ids to the waiters, or rc to all of them. A waiter's
 * callback may ask for another id; it queues behind the ones served here. */
static void claim_done(struct zk_producer_ids *a, int rc)
{
    a->claiming = false;
    struct zk_producer_id_wait *w = a->waiters;
    a->waiters = NULL;
    a->tail = &a->waiters;
    while (w) {
        struct zk_producer_id_wait *next = w->next;
        if (!rc && a->next > a->block_end) {
            /* More waiters than a block: the rest wait for the next one. */
            w->next = NULL;
            *a->tail = w;
            a->tail = &w->next;
        } else {
            w->cb(rc, rc ? -1 : a->next++, w->ctx);
        }
        w = next;
    }
    /* More waiters than the block had: claim the next one for them. */
    if (a->waiters && !a->claiming && (rc = claim(a)))
        claim_done(a, rc);
}

static void claim_set_cb(int rc, const struct zk_stat *stat, void *ctx);

static void claim_get_cb(int rc, const char *data, size_t len, const struct zk_stat *stat,
                         void *ctx)
{
    struct zk_producer_ids *a = ctx;
    if (a->freed) {
        free(a);
        return;
    }
    int64_t start = 0, end = ZK_PRODUCER_ID_BLOCK_SIZE - 1;
    char err[256] = "";
    if (!rc && len > 0) {
        int64_t last_start, last_end;
        rc = zk_json_producer_id_block_decode(data, len, &last_start, &last_end, err,
                                              sizeof(err));
        if (!rc && last_end > INT64_MAX - ZK_PRODUCER_ID_BLOCK_SIZE) {
            snprintf(err, sizeof(err), "producer ids are exhausted (last block ends at %" PRId64 ")",
                     last_end);
            rc = GR_E_RANGE;
        } else if (!rc) {
            start = last_end + 1;
            end = last_end + ZK_PRODUCER_ID_BLOCK_SIZE;
        }
    }
    char *json = NULL;
    if (!rc)
        rc = zk_json_producer_id_block_encode(a->broker_id, start, end, &json, err, sizeof(err));
    if (!rc) {
        a->next = start; /* only taken once the set succeeds (block_end still below) */
        rc = zk_client_set(a->zc, ZK_PRODUCER_ID_PATH, json, strlen(json), stat->version,
                           claim_set_cb, a);
    }
    free(json);
    if (rc) {
        LOG_ERROR("cannot claim a block of producer ids from %s: %s%s%s", ZK_PRODUCER_ID_PATH,
                  gr_strerror(rc), err[0] ? ": " : "", err);
        claim_done(a, rc);
    }
}

static void claim_set_cb(int rc, const struct zk_stat *stat, void *ctx)
{
    (void)stat;
    struct zk_producer_ids *a = ctx;
    if (a->freed) {
        free(a);
        return;
    }
    if (rc == GR_E_ZK_BADVERSION && ++a->lost_races < MAX_LOST_RACES) {
        /* Another broker claimed the block we computed: read again. */
        if ((rc = claim(a)))
            claim_done(a, rc);
        return;
    }
    if (rc) {
        LOG_ERROR("cannot claim a block of producer ids in %s: %s", ZK_PRODUCER_ID_PATH,
                  gr_strerror(rc));
        a->lost_races = 0;
        claim_done(a, rc);
        return;
    }
    a->lost_races = 0;
    a->block_end = a->next + ZK_PRODUCER_ID_BLOCK_SIZE - 1;
    LOG_INFO("claimed producer ids %" PRId64 "..%" PRId64, a->next, a->block_end);
    claim_done(a, GR_OK);
}

/* Starts a claim: 0, or the error of a read that could not start. */
static int claim(struct zk_producer_ids *a)
{
    int rc = zk_client_get(a->zc, ZK_PRODUCER_ID_PATH, NULL, claim_get_cb, a);
    a->claiming = rc == 0;
    return rc;
}

int zk_producer_ids_next(struct zk_producer_ids *a, int64_t *producer_id,
                         struct zk_producer_id_wait *w, zk_producer_id_cb cb, void *ctx)
{
    if (a->next <= a->block_end && !a->claiming) {
        *producer_id = a->next++;
        return GR_OK;
    }
    w->cb = cb;
    w->ctx = ctx;
    w->next = NULL;
    *a->tail = w;
    a->tail = &w->next;
    int rc = a->claiming ? 0 : claim(a);
    if (rc) {
        /* Only w can be queued (none wait without a claim), and its
         * callback must not run inside this call: unqueue it. */
        a->waiters = NULL;
        a->tail = &a->waiters;
        return rc;
    }
    return GR_PENDING;
}

void zk_producer_ids_free(struct zk_producer_ids *a)
{
    if (!a)
        return;
    struct zk_producer_id_wait *w = a->waiters;
    a->waiters = NULL;
    a->tail = &a->waiters;
    while (w) {
        struct zk_producer_id_wait *next = w->next;
        w->cb(GR_E_CLOSING, -1, w->ctx);
        w = next;
    }
    if (a->claiming)
        a->freed = true;
    else
        free(a);
}
