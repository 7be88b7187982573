/*
 * Replication throttles (see throttle.h).
 */
#include "broker/cluster/throttle.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/log/log_config.h"

bool throttle_bucket_empty(struct throttle_bucket *bk, int64_t rate, int64_t now_ms)
{
    if (!bk->last_ms) {
        bk->allowance = rate;
    } else if (now_ms > bk->last_ms) {
        /* In floating point: rate times the time passed may not fit. */
        double add = (double)rate * (double)(now_ms - bk->last_ms) / 1000.0;
        bk->allowance = add >= (double)rate - (double)bk->allowance ? rate
                                                                     : bk->allowance + (int64_t)add;
    }
    bk->last_ms = now_ms;
    return bk->allowance <= 0;
}

void throttle_bucket_take(struct throttle_bucket *bk, int64_t bytes)
{
    bk->allowance -= bytes;
}

/* The override of key on p's topic, or NULL. */
static const char *topic_list(const struct broker *b, const struct partition *p, const char *key)
{
    const struct metadata_topic *t = metadata_topic(b->md, p->tp.topic->name);
    for (int i = 0; t && i < t->nconfig; i++)
        if (!strcmp(t->config_keys[i], key))
            return t->config_values[i];
    return NULL;
}

static bool has(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

bool throttle_leader_applies(const struct broker *b, const struct partition *p, int32_t replica_id)
{
    if (b->cfg->leader_replication_throttled_rate == INT64_MAX || has(p->isr, p->nisr, replica_id))
        return false;
    const char *list = topic_list(b, p, "leader.replication.throttled.replicas");
    bool found = false;
    return list && log_config_throttled_lookup(list, p->tp.partition, b->id, &found) && found;
}

bool throttle_follower_applies(const struct broker *b, const struct partition *p)
{
    if (b->cfg->follower_replication_throttled_rate == INT64_MAX)
        return false;
    const struct metadata_topic *t = metadata_topic(b->md, p->tp.topic->name);
    if (!t || p->tp.partition >= t->nparts)
        return false;
    const struct metadata_partition *mp = &t->parts[p->tp.partition];
    if (has(mp->isr, mp->nisr, b->id))
        return false;
    const char *list = topic_list(b, p, "follower.replication.throttled.replicas");
    bool found = false;
    return list && log_config_throttled_lookup(list, p->tp.partition, b->id, &found) && found;
}
