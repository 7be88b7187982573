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
#include "broker/log/log_manager.h"
#include "broker/cluster/metadata.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"

static void key_of(char *out, size_t n, const char *topic, int32_t id)
{
    snprintf(out, n, "%s-%" PRId32, topic, id);
}

struct partition *partition_get(const struct broker *b, const char *topic, int32_t id)
{
    char key[300];
    key_of(key, sizeof(key), topic, id);
    return strmap_get(&b->parts, key);
}

int partition_lead(struct broker *b, const char *topic, int32_t id, int32_t current_epoch,
                   struct partition **out)
{
    struct partition *p = partition_get(b, topic, id);
    *out = NULL;
    if (!p || !p->leader) {
        const struct metadata_partition *mp = metadata_partition(b->md, topic, id);
        if (!mp)
            return GR_E_NOENT;
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

void partition_wait(struct partition *p, struct partition_waiter *w, bool flush)
{
    struct partition_waiter **head = flush ? &p->flush_waiters : &p->data_waiters;
    w->p = p;
    w->head = head;
    w->prev = NULL;
    w->next = *head;
    if (*head)
        (*head)->prev = w;
    *head = w;
}

void partition_unwait(struct partition_waiter *w)
{
    if (!w->head)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        *w->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->p = NULL;
    w->head = NULL;
    w->prev = w->next = NULL;
}

/* Wakes every waiter of a list. The list moves to a local head first, and
 * each waiter points there, so a woken waiter can re-register on the
 * partition (it joins the new list, not this one) or unlink others that
 * are still waiting to be woken. */
static void wake_all(struct partition *p, struct partition_waiter **head)
{
    struct partition_waiter *waking = *head;
    *head = NULL;
    for (struct partition_waiter *w = waking; w; w = w->next)
        w->head = &waking;
    while (waking) {
        struct partition_waiter *w = waking;
        partition_unwait(w);
        w->wake(w, p);
    }
}

void partition_appended(struct partition *p)
{
    log_set_high_watermark(p->log, log_end_offset(p->log));
    wake_all(p, &p->data_waiters);
}

void partition_log_flushed(struct log *l, int64_t offset, void *ctx)
{
    struct partition *p = l->owner;
    (void)offset;
    (void)ctx;
    if (p)
        wake_all(p, &p->flush_waiters);
}

static void partition_free(struct partition *p, bool delete_log)
{
    p->going = true;
    wake_all(p, &p->flush_waiters);
    wake_all(p, &p->data_waiters);
    if (p->log) {
        p->log->owner = NULL;
        if (delete_log)
            log_manager_delete(p->b->logs, p->topic, p->id);
    }
    free(p->topic);
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
static void sync_one(struct broker *b, const struct metadata_topic *t,
                     const struct metadata_partition *mp)
{
    char key[300], err[512];
    key_of(key, sizeof(key), t->name, mp->id);
    struct partition *p = strmap_get(&b->parts, key);
    if (!is_replica(mp, b->id)) {
        if (p) {
            LOG_INFO("%s is no longer assigned to this broker", key);
            strmap_del(&b->parts, key);
            partition_free(p, false);
        }
        return;
    }
    if (!p) {
        struct log *l;
        int64_t now = clock_wall_ms();
        if (log_manager_create(b->logs, t->name, mp->id, &t->log_config, now, &l, err,
                               sizeof(err))) {
            LOG_ERROR("cannot open the log of %s: %s", key, err);
            return;
        }
        p = calloc(1, sizeof(*p));
        if (!p || !(p->topic = strdup(t->name)) || strmap_put(&b->parts, key, p)) {
            if (p)
                free(p->topic);
            free(p);
            LOG_ERROR("out of memory hosting %s", key);
            return;
        }
        p->b = b;
        p->id = mp->id;
        p->log = l;
        l->owner = p;
        p->leader_epoch = -1;
    }
    /* Settings may have changed (AlterConfigs or zkCli on /config/topics);
     * keep the log's jitter, which was drawn once. */
    int64_t jitter = p->log->config.roll_jitter_ms;
    p->log->config = t->log_config;
    p->log->config.roll_jitter_ms = jitter;

    bool lead = mp->has_state && mp->leader == b->id;
    if (lead && (!p->leader || p->leader_epoch != mp->leader_epoch)) {
        LOG_INFO("%s: leader at epoch %d (log end offset %" PRId64 ")", key, mp->leader_epoch,
                 log_end_offset(p->log));
        p->leader = true;
        p->leader_epoch = mp->leader_epoch;
        log_set_high_watermark(p->log, log_end_offset(p->log));
        wake_all(p, &p->data_waiters);
    } else if (!lead && p->leader) {
        LOG_INFO("%s: no longer the leader (leader is now %d)", key, mp->leader);
        p->leader = false;
        p->leader_epoch = mp->has_state ? mp->leader_epoch : -1;
        wake_all(p, &p->data_waiters);
        wake_all(p, &p->flush_waiters);
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
    const char *key;
    void *v;
    char **gone = calloc(b->parts.count + 1, sizeof(char *));
    int ngone = 0;
    while (gone && strmap_next(&b->parts, &it, &key, &v)) {
        struct partition *p = v;
        if ((!topic || !strcmp(topic, p->topic)) && !metadata_topic(b->md, p->topic))
            gone[ngone++] = strdup(key);
    }
    for (int i = 0; i < ngone; i++) {
        struct partition *p = gone[i] ? strmap_del(&b->parts, gone[i]) : NULL;
        if (p) {
            LOG_INFO("deleting the log of %s: its topic was deleted", gone[i]);
            partition_free(p, true);
        }
        free(gone[i]);
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
    while (strmap_next(&b->parts, &it, NULL, &v))
        partition_free(v, false);
    strmap_destroy(&b->parts);
    strmap_init(&b->parts);
}
