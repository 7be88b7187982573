/*
 * The leader side of replication (see partition_isr.h): followers' positions,
 * the ISR and the high watermark of the partitions led here.
 *
 * Owns the ISR changes a leader makes, as Kafka 2.8's ZooKeeper mode does:
 * a follower that reaches the high watermark joins, one that has not caught
 * up for replica.lag.time.max.ms leaves. Each change is a compare-and-set of
 * the state znode at the version our view was read at (the partition
 * epoch), then a notification under /isr_change_notification for the
 * controller. A refused write means someone (the controller) changed the
 * state: the view is stale, so the state is read again and nothing is
 * acknowledged as committed until it arrives (partition_committed).
 *
 * It does not fetch (broker/repl/ does) and does not elect leaders (the
 * controller does).
 */
#define LOG_COMPONENT "isr"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/partition_isr.h"

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/log/log.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_json.h"
#include "zk/zk_kafka.h"

static bool has(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static struct partition_replica *replica(struct partition *p, int32_t id)
{
    for (int i = 0; i < p->nreplicas; i++)
        if (p->replicas[i].id == id)
            return &p->replicas[i];
    return NULL;
}

/* Whether the followers known here are the assignment's (a reassignment
 * adds and removes replicas without a new leader epoch). */
static bool same_replicas(const struct partition *p, const struct metadata_partition *mp)
{
    int n = 0;
    for (int i = 0; i < mp->nreplicas; i++) {
        if (mp->replicas[i] == p->b->id)
            continue;
        if (!replica((struct partition *)p, mp->replicas[i]))
            return false;
        n++;
    }
    return n == p->nreplicas;
}

/* Whether id counts for the high watermark: in the ISR, or in one being
 * written (Kafka's "maximal ISR"). */
static bool counted(const struct partition *p, int32_t id)
{
    return has(p->isr, p->nisr, id) || (p->isr_next && has(p->isr_next, p->nisr_next, id));
}

int partition_isr_size(const struct partition *p)
{
    /* A shrink being written already counts: Kafka checks min.insync
     * against the smaller of the two. */
    if (p->isr_next && p->nisr_next < p->nisr)
        return p->nisr_next;
    return p->nisr;
}

bool partition_committed(const struct partition *p, int64_t offset)
{
    /* registered: the ZooKeeper session we hold is the one our broker
     * registration belongs to; after an expiry it is false until we have
     * registered again (and re-read the metadata that says who leads). A
     * disconnection alone does not count: ZooKeeper down keeps sessions,
     * and followers that left us for a new leader stop moving our high
     * watermark anyway. */
    return p->leader && !p->isr_stale && p->b->registered && p->log->high_watermark >= offset;
}

bool partition_update_hw(struct partition *p)
{
    if (!p->leader || p->isr_stale)
        return false;
    int64_t hw = log_end_offset(p->log);
    for (int i = 0; i < p->nreplicas; i++) {
        const struct partition_replica *r = &p->replicas[i];
        if (counted(p, r->id) && r->leo < hw)
            hw = r->leo;
    }
    if (hw <= p->log->high_watermark)
        return false; /* never moves back while we lead */
    log_set_high_watermark(p->log, hw);
    delay_wake(p->b->delay, delay_key(p, DELAY_DATA), p);
    return true;
}

void partition_isr_reset(struct partition *p)
{
    free(p->replicas);
    free(p->isr);
    free(p->isr_next);
    p->replicas = NULL;
    p->isr = p->isr_next = NULL;
    p->nreplicas = p->nisr = p->nisr_next = 0;
    p->isr_stale = false;
    p->isr_gen++;
}

/* Takes the assignment's followers, keeping what is known of each, and
 * keeping the ISR members it dropped until the ISR loses them too (the
 * high watermark still waits for every ISR member). */
static void refresh_replicas(struct partition *p, const struct metadata_partition *mp,
                             int64_t now_ms)
{
    struct partition_replica *reps =
        malloc(((size_t)mp->nreplicas + (size_t)p->nreplicas + 1) * sizeof(*reps));
    if (!reps) {
        LOG_ERROR("out of memory taking the replicas of %s-%d", p->tp.topic->name,
                  p->tp.partition);
        return;
    }
    int n = 0;
    for (int i = 0; i < mp->nreplicas; i++) {
        if (mp->replicas[i] == p->b->id)
            continue;
        const struct partition_replica *old = replica(p, mp->replicas[i]);
        reps[n++] = old ? *old : (struct partition_replica){mp->replicas[i], -1, now_ms, -1, -1};
    }
    for (int i = 0; i < p->nreplicas; i++) {
        bool kept = false;
        for (int k = 0; k < n && !kept; k++)
            kept = reps[k].id == p->replicas[i].id;
        if (!kept && counted(p, p->replicas[i].id))
            reps[n++] = p->replicas[i];
    }
    free(p->replicas);
    p->replicas = reps;
    p->nreplicas = n;
    partition_update_hw(p);
}

void partition_isr_adopt(struct partition *p, const struct metadata_partition *mp, bool new_epoch,
                         int64_t now_ms)
{
    if (!new_epoch && !p->isr_stale && mp->state_version <= p->state_version) {
        /* Not newer than our own view of the ISR; but a reassignment may
         * have added or removed replicas (with no new leader epoch). */
        if (!same_replicas(p, mp))
            refresh_replicas(p, mp, now_ms);
        return;
    }
    if (!new_epoch && p->isr_next)
        return; /* our write's answer comes first */
    int32_t *isr = malloc(((size_t)mp->nisr + 1) * sizeof(*isr));
    struct partition_replica *reps = malloc(((size_t)mp->nreplicas + 1) * sizeof(*reps));
    if (!isr || !reps) {
        free(isr);
        free(reps);
        LOG_ERROR("out of memory taking the ISR of %s-%d", p->tp.topic->name, p->tp.partition);
        p->isr_stale = true;
        return;
    }
    int n = 0;
    for (int i = 0; i < mp->nreplicas; i++) {
        if (mp->replicas[i] == p->b->id)
            continue;
        const struct partition_replica *old = new_epoch ? NULL : replica(p, mp->replicas[i]);
        /* Kafka: a new leader counts every follower as caught up now, so
         * none leaves the ISR before it had replica.lag.time.max.ms. */
        reps[n++] = old ? *old : (struct partition_replica){mp->replicas[i], -1, now_ms, -1, -1};
    }
    memcpy(isr, mp->isr, (size_t)mp->nisr * sizeof(*isr));
    int nisr = mp->nisr;
    partition_isr_reset(p);
    p->replicas = reps;
    p->nreplicas = n;
    p->isr = isr;
    p->nisr = nisr;
    p->state_version = mp->state_version;
    p->controller_epoch = mp->controller_epoch;
    if (new_epoch)
        p->epoch_start_offset = log_end_offset(p->log);
    partition_update_hw(p);
    delay_wake(p->b->delay, delay_key(p, DELAY_DATA), p);
}

/* ---- ISR writes ---------------------------------------------------------- */

struct isr_write {
    struct broker *b;
    struct tp tp; /* holds a reference on the name */
    uint32_t gen; /* the view the write was made from */
};

static void notified(int rc, const char *path, const char *why, void *ctx)
{
    (void)path;
    (void)ctx;
    if (rc)
        LOG_WARN("cannot record an ISR change for the controller: %s%s%s", gr_strerror(rc),
                 why ? ": " : "", why ? why : "");
}

static void written(int rc, int32_t version, const char *why, void *ctx)
{
    struct isr_write *w = ctx;
    struct broker *b = w->b;
    struct partition *p = tpmap_get(&b->parts, w->tp);
    const char *topic = w->tp.topic->name;
    if (!p || !p->leader || p->isr_gen != w->gen) {
        /* The view changed meanwhile (new epoch, or no longer leader). */
    } else if (rc) {
        LOG_WARN("%s-%d: the ISR update was refused (%s%s%s); re-reading the state, acks=all "
                 "waits",
                 topic, w->tp.partition, gr_strerror(rc), why ? ": " : "", why ? why : "");
        free(p->isr_next);
        p->isr_next = NULL;
        p->nisr_next = 0;
        p->isr_stale = true;
        p->isr_gen++;
        metadata_refresh_state(b->md, topic, w->tp.partition);
    } else {
        free(p->isr);
        p->isr = p->isr_next;
        p->nisr = p->nisr_next;
        p->isr_next = NULL;
        p->nisr_next = 0;
        p->state_version = version;
        p->isr_gen++;
        struct zk_topic_partition item = {(char *)topic, w->tp.partition};
        struct zk_partition_list l = {.items = &item, .n = 1};
        if (b->zk)
            zk_kafka_propagate_isr_changes(b->zk, &l, notified, NULL);
        partition_update_hw(p);
        /* acks=all waiters re-check the ISR size (NOT_ENOUGH_REPLICAS_AFTER_APPEND). */
        delay_wake(b->delay, delay_key(p, DELAY_DATA), p);
        metadata_refresh_state(b->md, topic, w->tp.partition);
    }
    tp_topic_unref(w->tp.topic);
    free(w);
}

/* Writes isr (n entries, borrowed) as p's new ISR. At most one write is in
 * flight per partition. */
static void write_isr(struct partition *p, const int32_t *isr, int n)
{
    struct broker *b = p->b;
    if (p->isr_next || p->isr_stale || !b->zk || !b->zk_connected)
        return;
    int32_t *next = malloc(((size_t)n + 1) * sizeof(*next));
    struct isr_write *w = malloc(sizeof(*w));
    if (!next || !w) {
        free(next);
        free(w);
        return;
    }
    memcpy(next, isr, (size_t)n * sizeof(*next));
    *w = (struct isr_write){b, {tp_topic_ref(p->tp.topic), p->tp.partition}, ++p->isr_gen};
    struct zk_partition_state st = {.leader = b->id,
                                    .leader_epoch = p->leader_epoch,
                                    .controller_epoch = p->controller_epoch,
                                    .isr = next,
                                    .n_isr = n};
    if (zk_kafka_update_partition_state(b->zk, p->tp.topic->name, p->tp.partition, &st,
                                        p->state_version, written, w)) {
        tp_topic_unref(w->tp.topic);
        free(w);
        free(next);
        return;
    }
    p->isr_next = next;
    p->nisr_next = n;
    char list[128] = "";
    for (int i = 0; i < n && strlen(list) < sizeof(list) - 12; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", i ? "," : "", isr[i]);
    LOG_INFO("%s-%d: ISR %s to [%s] (leader epoch %d, zkVersion %d)", p->tp.topic->name,
             p->tp.partition, n > p->nisr ? "expanding" : "shrinking", list, p->leader_epoch,
             p->state_version);
}

/* ---- followers ------------------------------------------------------------ */

bool partition_follower_fetched(struct partition *p, int32_t replica_id, int64_t fetch_offset,
                                int64_t now_ms)
{
    struct partition_replica *r = replica(p, replica_id);
    if (!r)
        return false;
    int64_t leo = log_end_offset(p->log);
    if (fetch_offset > leo || fetch_offset < p->log->log_start_offset)
        return true; /* out of range: the read says so, and Kafka records nothing */
    /* Kafka's rule: caught up now if it asked for our log end; else caught
     * up as of its previous fetch if it now has what we had then. */
    if (fetch_offset >= leo)
        r->caught_up_ms = now_ms;
    else if (r->fetch_leader_leo >= 0 && fetch_offset >= r->fetch_leader_leo)
        r->caught_up_ms = r->fetch_ms;
    r->leo = fetch_offset;
    r->fetch_ms = now_ms;
    r->fetch_leader_leo = leo;
    /* Kafka's rule for joining: the follower has everything below the high
     * watermark and everything the previous leaders wrote (the start of
     * this epoch), so any ISR member can take over without losing a record
     * that an earlier leader acknowledged. */
    if (!has(p->isr, p->nisr, replica_id) && fetch_offset >= p->log->high_watermark &&
        fetch_offset >= p->epoch_start_offset) {
        int32_t isr[p->nisr + 1];
        memcpy(isr, p->isr, (size_t)p->nisr * sizeof(*isr));
        isr[p->nisr] = replica_id;
        write_isr(p, isr, p->nisr + 1);
    }
    partition_update_hw(p);
    return true;
}

static void expire_one(struct partition *p, int64_t now_ms)
{
    int64_t lag = p->b->cfg->replica_lag_time_max_ms;
    int32_t keep[p->nisr + 1];
    int n = 0;
    for (int i = 0; i < p->nisr; i++) {
        const struct partition_replica *r = replica(p, p->isr[i]);
        if (r && now_ms - r->caught_up_ms > lag) {
            LOG_INFO("%s-%d: follower %d has not caught up for %" PRId64 " ms (log end %" PRId64
                     ", ours %" PRId64 ")",
                     p->tp.topic->name, p->tp.partition, r->id, now_ms - r->caught_up_ms, r->leo,
                     log_end_offset(p->log));
            continue;
        }
        keep[n++] = p->isr[i];
    }
    if (n < p->nisr && n > 0)
        write_isr(p, keep, n);
}

void partitions_isr_expire(struct broker *b, int64_t now_ms)
{
    size_t it = 0;
    void *v;
    while (tpmap_next(&b->parts, &it, NULL, &v)) {
        struct partition *p = v;
        if (p->leader && p->isr_stale) /* the re-read may have failed (no connection) */
            metadata_refresh_state(b->md, p->tp.topic->name, p->tp.partition);
        else if (p->leader && !p->log->offline)
            expire_one(p, now_ms);
    }
}
