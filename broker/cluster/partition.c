/*
 * Hosted partitions (see partition.h).
 */
#define LOG_COMPONENT "partition"
#include "broker/cluster/partition.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/log/log_manager.h"
#include "broker/cluster/metadata.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"

struct partition *partition_get(const struct broker *b, struct tp tp)
{
    return tpmap_get(&b->parts, tp);
}

bool partition_offline_here(const struct broker *b, struct tp tp)
{
    if (!tp.topic)
        return false;
    const struct partition *p = partition_get(b, tp);
    return p ? p->log->offline : log_manager_offline(b->logs, tp.topic->name, tp.partition);
}

int partition_lead(struct broker *b, struct tp tp, int32_t current_epoch, struct partition **out)
{
    struct partition *p = partition_get(b, tp);
    *out = NULL;
    /* An offline log (failed fsync or write, or not loadable at start-up)
     * answers KAFKA_STORAGE_ERROR, as Kafka 2.8 does for a replica in an
     * offline log dir (HostedPartition.Offline). */
    if (p && p->log->offline)
        return GR_E_OFFLINE;
    if (!p || !p->leader) {
        const struct metadata_partition *mp =
            tp.topic ? metadata_partition(b->md, tp.topic->name, tp.partition) : NULL;
        if (!mp)
            return GR_E_NOENT;
        if (!p && log_manager_offline(b->logs, tp.topic->name, tp.partition))
            return GR_E_OFFLINE;
        if (!mp->has_state || !metadata_broker_alive(b->md, mp->leader))
            return GR_E_NO_LEADER;
        return GR_E_NOT_LEADER;
    }
    if (current_epoch >= 0 && current_epoch != p->leader_epoch)
        return current_epoch < p->leader_epoch ? GR_E_FENCED_EPOCH : GR_E_UNKNOWN_EPOCH;
    *out = p;
    return GR_OK;
}

int64_t partition_high_watermark(const struct partition *p)
{
    return p->log->high_watermark;
}

/* Wakes the operations waiting on one of p's events. */
static void wake(struct partition *p, enum delay_event ev)
{
    delay_wake(p->b->delay, partition_key(p, ev), p);
}

void partition_appended(struct partition *p)
{
    if (!partition_update_hw(p)) /* else it woke them */
        wake(p, DELAY_DATA);
}

void partition_log_flushed(struct log *l, int64_t offset, void *ctx)
{
    struct partition *p = l->owner;
    (void)offset;
    (void)ctx;
    if (p)
        wake(p, DELAY_FLUSH);
}

/* Frees p, which is already out of the map. Every operation waiting on it
 * sees p->going and gives up before the memory (whose address is its keys)
 * can be reused. */
static void partition_free(struct partition *p, bool delete_log)
{
    p->going = true;
    wake(p, DELAY_FLUSH);
    wake(p, DELAY_DATA);
    if (p->b->follow_changed)
        p->b->follow_changed(p->b, p);
    partition_isr_reset(p);
    if (p->log) {
        p->log->owner = NULL;
        if (delete_log)
            log_manager_delete(p->b->logs, p->tp.topic->name, p->tp.partition);
    }
    tp_topic_unref(p->tp.topic);
    free(p);
}

static bool is_replica(const struct metadata_partition *mp, int32_t id)
{
    for (int i = 0; i < mp->nreplicas; i++)
        if (mp->replicas[i] == id)
            return true;
    return false;
}

/* Brings one hosted partition in line with its metadata. */
/* Whether another live broker of mp's assignment leads it from the ISR,
 * so its log holds every committed record of the partition. */
static bool held_elsewhere(const struct broker *b, const struct metadata_partition *mp)
{
    if (!mp->has_state || mp->leader < 0 || mp->leader == b->id ||
        !metadata_broker_alive(b->md, mp->leader) || !is_replica(mp, mp->leader))
        return false;
    for (int i = 0; i < mp->nisr; i++)
        if (mp->isr[i] == mp->leader)
            return true;
    return false;
}

static void sync_one(struct broker *b, const struct metadata_topic *t,
                     const struct metadata_partition *mp)
{
    char err[512];
    struct tp tp = {t->id, mp->id};
    struct partition *p = partition_get(b, tp);
    if (!is_replica(mp, b->id)) {
        /* Removed from the assignment: stop following or leading it and
         * delete the log, as Kafka's StopReplica with delete does. A log
         * with no hosted partition is one removed while this broker was
         * down. The directory is renamed here (one cheap call) and removed
         * by the log worker, off the loop. The log goes only once a live
         * replica of the new assignment leads from the ISR, so it holds
         * every committed record: a rewrite that leaves out every in-sync
         * replica (which Kafka's controller would not act on) must not
         * delete the only copies. Until then the log is kept unserved, and
         * the next state change decides again. */
        bool safe = held_elsewhere(b, mp);
        if (p) {
            LOG_INFO("%s-%d is no longer assigned to this broker: %s", t->name, mp->id,
                     safe ? "deleting its log" : "keeping its log until a replica of the new "
                                                 "assignment leads from the ISR");
            tpmap_del(&b->parts, tp);
            partition_free(p, safe);
        } else if (safe && log_manager_get(b->logs, t->name, mp->id)) {
            LOG_INFO("deleting the log of %s-%d: it was unassigned from this broker while it "
                     "was down",
                     t->name, mp->id);
            log_manager_delete(b->logs, t->name, mp->id);
        }
        return;
    }
    if (!p) {
        struct log *l;
        int64_t now = clock_wall_ms();
        if (log_manager_create(b->logs, t->name, mp->id, &t->log_config, now, &l, err,
                               sizeof(err))) {
            LOG_ERROR("cannot open the log of %s-%d: %s", t->name, mp->id, err);
            return;
        }
        p = calloc(1, sizeof(*p));
        if (!p || tpmap_put(&b->parts, tp, p)) {
            free(p);
            LOG_ERROR("out of memory hosting %s-%d", t->name, mp->id);
            return;
        }
        p->b = b;
        p->tp = (struct tp){tp_topic_ref(t->id), mp->id};
        p->log = l;
        l->owner = p;
        p->leader_epoch = -1;
        p->leader_id = -1;
    }
    /* Settings may have changed (AlterConfigs or zkCli on /config/topics);
     * keep the log's jitter, which was drawn once. */
    int64_t jitter = p->log->config.roll_jitter_ms;
    p->log->config = t->log_config;
    p->log->config.roll_jitter_ms = jitter;

    bool lead = mp->has_state && mp->leader == b->id;
    int64_t now = clock_wall_ms();
    if (lead && (!p->leader || p->leader_epoch != mp->leader_epoch)) {
        LOG_INFO("%s-%d: leader at epoch %d (log end offset %" PRId64 ", high watermark %" PRId64
                 ")",
                 t->name, mp->id, mp->leader_epoch, log_end_offset(p->log), p->log->high_watermark);
        bool was_following = !p->leader;
        p->leader = true;
        p->leader_epoch = mp->leader_epoch;
        p->leader_id = b->id;
        if (log_begin_epoch(p->log, mp->leader_epoch))
            LOG_ERROR("%s-%d: out of memory recording leader epoch %d; it is recorded at the "
                      "first append",
                      t->name, mp->id, mp->leader_epoch);
        /* The high watermark stays where it was: it moves once the ISR's
         * followers have fetched (the minimum over the ISR). */
        partition_isr_adopt(p, mp, true, now);
        wake(p, DELAY_DATA);
        if (was_following && b->follow_changed)
            b->follow_changed(b, p);
    } else if (lead) {
        partition_isr_adopt(p, mp, false, now);
    } else {
        int32_t leader = mp->has_state ? mp->leader : -1;
        int32_t epoch = mp->has_state ? mp->leader_epoch : -1;
        bool changed = p->leader || leader != p->leader_id || epoch != p->leader_epoch ||
                       (!p->follow && leader >= 0);
        if (p->leader) {
            LOG_INFO("%s-%d: no longer the leader (leader is now %d)", t->name, mp->id, leader);
            p->leader = false;
            partition_isr_reset(p);
            wake(p, DELAY_DATA);
            wake(p, DELAY_FLUSH);
        }
        p->leader_id = leader;
        p->leader_epoch = epoch;
        if (changed) {
            /* Before following a (new) leader, the fetcher finds where our
             * log diverges from its (OffsetForLeaderEpoch) and cuts there. */
            p->truncating = true;
            p->out_of_range = false;
            if (b->follow_changed)
                b->follow_changed(b, p);
        }
    }
}

void partitions_sync(struct broker *b, const char *topic, int32_t partition)
{
    if (b->id < 0 || !b->md->loaded)
        return;
    if (topic && partition >= 0) {
        struct metadata_topic *t = metadata_topic(b->md, topic);
        if (metadata_topic_ready(t) && partition < t->nparts)
            sync_one(b, t, &t->parts[partition]);
        return;
    }
    /* Hosted partitions whose topic is gone: the topic was deleted. */
    size_t it = 0;
    void *v;
    struct partition **gone = calloc(tpmap_count(&b->parts) + 1, sizeof(*gone));
    int ngone = 0;
    while (gone && tpmap_next(&b->parts, &it, NULL, &v)) {
        struct partition *p = v;
        const char *name = p->tp.topic->name;
        if ((!topic || !strcmp(topic, name)) && !metadata_topic(b->md, name))
            gone[ngone++] = p;
    }
    for (int i = 0; i < ngone; i++) {
        struct partition *p = gone[i];
        LOG_INFO("deleting the log of %s-%d: its topic was deleted", p->tp.topic->name,
                 p->tp.partition);
        tpmap_del(&b->parts, p->tp);
        partition_free(p, true);
    }
    free(gone);
    if (topic) {
        struct metadata_topic *t = metadata_topic(b->md, topic);
        if (metadata_topic_ready(t))
            for (int i = 0; i < t->nparts; i++)
                sync_one(b, t, &t->parts[i]);
        return;
    }
    for (it = 0; strmap_next(&b->md->topics, &it, NULL, &v);) {
        struct metadata_topic *t = v;
        if (metadata_topic_ready(t))
            for (int i = 0; i < t->nparts; i++)
                sync_one(b, t, &t->parts[i]);
    }
}

void partitions_clear(struct broker *b)
{
    size_t it = 0;
    void *v;
    while (tpmap_next(&b->parts, &it, NULL, &v)) {
        struct partition *p = v;
        tpmap_del(&b->parts, p->tp);
        partition_free(p, false);
    }
    tpmap_destroy(&b->parts);
    tpmap_init(&b->parts);
}
