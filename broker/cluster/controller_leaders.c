/*
 * The controller's intents (see controller.h): controlled shutdown and
 * leader elections asked for by ElectLeaders, /admin/preferred_replica_election
 * and the leader-imbalance check.
 *
 * Nothing here writes partition state. An intent is recorded, and the
 * partition is checked again (controller_metadata_changed); check_partition
 * in controller.c decides with the intent in view and writes the state with
 * the controller's fence, the same way it handles a dead broker. This keeps
 * one place that chooses leaders and ISRs, so a controlled shutdown and a
 * broker's death can never pick differently.
 */
#define LOG_COMPONENT "controller"
#include "broker/cluster/controller.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"

#define PREFERRED_ELECTION_PATH "/admin/preferred_replica_election"

static void rebalance_cb(struct ev_loop *loop, ev_timer *w, int revents);

void controller_leaders_init(struct controller *c)
{
    tpmap_init(&c->preferred);
    tpmap_init(&c->unclean);
    ev_timer_init(&c->rebalance, rebalance_cb, 0, 0);
    c->rebalance.data = c;
}

/* Drops every intent of map m (their topic references with them). */
static void drop_all(struct tpmap *m)
{
    size_t it = 0;
    struct tp tp;
    while (tpmap_next(m, &it, &tp, NULL))
        tp_topic_unref(tp.topic);
    tpmap_destroy(m);
    tpmap_init(m);
}

void controller_leaders_reset(struct controller *c)
{
    free(c->shutting);
    c->shutting = NULL;
    c->nshutting = 0;
    drop_all(&c->preferred);
    drop_all(&c->unclean);
    c->preferred_watch = false;
    if (c->b && c->b->loop)
        ev_timer_stop(c->b->loop, &c->rebalance);
}

void controller_leaders_destroy(struct controller *c)
{
    controller_leaders_reset(c);
    tpmap_destroy(&c->preferred);
    tpmap_destroy(&c->unclean);
}

static void intent_add(struct tpmap *m, struct tp tp)
{
    if (tpmap_get(m, tp))
        return;
    tp.topic = tp_topic_ref(tp.topic);
    if (tpmap_put(m, tp, (void *)1))
        tp_topic_unref(tp.topic);
}

/* tp.topic is the interned name, the same pointer the map's key holds a
 * reference on. */
static void intent_drop(struct tpmap *m, struct tp tp)
{
    if (!tpmap_get(m, tp))
        return;
    tpmap_del(m, tp);
    tp_topic_unref(tp.topic);
}

void controller_intent_done(struct controller *c, struct tp tp)
{
    intent_drop(&c->preferred, tp);
    intent_drop(&c->unclean, tp);
}

bool controller_shutting(const struct controller *c, int32_t id)
{
    for (int i = 0; i < c->nshutting; i++)
        if (c->shutting[i].id == id)
            return true;
    return false;
}

static bool in_isr(const struct metadata_partition *mp, int32_t id)
{
    for (int i = 0; i < mp->nisr; i++)
        if (mp->isr[i] == id)
            return true;
    return false;
}

bool controller_eligible(const struct controller *c, int32_t id)
{
    return metadata_broker_alive(c->b->md, id) && !controller_shutting(c, id);
}

/* ---- controlled shutdown ------------------------------------------------- */

int controller_shutdown_broker(struct controller *c, int32_t id, int64_t epoch)
{
    if (!c->active)
        return GR_E_NOT_CONTROLLER;
    const struct metadata_broker *mb = metadata_broker(c->b->md, id);
    if (!mb)
        return GR_E_NOENT;
    if (epoch >= 0 && epoch != mb->epoch)
        return GR_E_STATE;
    if (!controller_shutting(c, id)) {
        struct ctl_shutting *n = realloc(c->shutting, (size_t)(c->nshutting + 1) * sizeof(*n));
        if (!n)
            return GR_E_NOMEM;
        c->shutting = n;
        c->shutting[c->nshutting++] = (struct ctl_shutting){id, mb->epoch};
        LOG_INFO("broker %d is shutting down: moving its leaderships to other in-sync replicas",
                 id);
    }
    controller_metadata_changed(c, NULL, -1);
    return 0;
}

int controller_led_by(const struct controller *c, int32_t id,
                      void (*fn)(void *arg, const char *topic, int32_t partition, bool movable),
                      void *arg)
{
    const struct metadata *md = c->b->md;
    size_t it = 0;
    void *v;
    int movable = 0;
    while (strmap_next(&md->topics, &it, NULL, &v)) {
        const struct metadata_topic *t = v;
        for (int i = 0; i < t->nparts; i++) {
            const struct metadata_partition *mp = &t->parts[i];
            if (!mp->has_state || mp->leader != id || mp->nreplicas < 2)
                continue;
            bool can = false;
            for (int k = 0; k < mp->nisr && !can; k++)
                can = mp->isr[k] != id && controller_eligible(c, mp->isr[k]);
            movable += can;
            if (fn)
                fn(arg, t->name, mp->id, can);
        }
    }
    return movable;
}

/* Brokers that asked and have gone (or registered anew) are forgotten. */
static void sweep_shutting(struct controller *c)
{
    int k = 0;
    for (int i = 0; i < c->nshutting; i++) {
        const struct metadata_broker *mb = metadata_broker(c->b->md, c->shutting[i].id);
        if (mb && mb->epoch == c->shutting[i].epoch)
            c->shutting[k++] = c->shutting[i];
    }
    c->nshutting = k;
}

/* ---- elections ------------------------------------------------------------ */

static const struct metadata_partition *find(const struct controller *c, const char *topic,
                                             int32_t partition, const struct metadata_topic **t)
{
    *t = metadata_topic(c->b->md, topic);
    if (!*t || !(*t)->have_assignment || partition < 0 || partition >= (*t)->nparts)
        return NULL;
    return &(*t)->parts[partition];
}

enum controller_elect_result controller_elect(struct controller *c,
                                              enum controller_election type, const char *topic,
                                              int32_t partition, char *msg, size_t msgsz)
{
    msg[0] = '\0';
    if (!c->active) {
        snprintf(msg, msgsz, "This is not the correct controller for this cluster.");
        return CONTROLLER_ELECT_NOT_CONTROLLER;
    }
    const struct metadata_topic *t;
    const struct metadata_partition *mp = find(c, topic, partition, &t);
    if (!mp) {
        snprintf(msg, msgsz, "The partition does not exist.");
        return CONTROLLER_ELECT_UNKNOWN;
    }
    struct tp tp = {t->id, mp->id};
    if (type == CONTROLLER_ELECT_PREFERRED) {
        int32_t pref = mp->nreplicas ? mp->replicas[0] : -1;
        if (mp->has_state && mp->leader == pref) {
            snprintf(msg, msgsz, "Leader election not needed for topic partition.");
            return CONTROLLER_ELECT_NOT_NEEDED;
        }
        if (!mp->has_state || !controller_eligible(c, pref) || !in_isr(mp, pref)) {
            snprintf(msg, msgsz,
                     "Failed to elect leader for partition %s-%d under strategy "
                     "PreferredReplicaPartitionLeaderElectionStrategy",
                     topic, partition);
            return CONTROLLER_ELECT_NOT_AVAILABLE;
        }
        intent_add(&c->preferred, tp);
    } else {
        if (mp->has_state && metadata_broker_alive(c->b->md, mp->leader)) {
            snprintf(msg, msgsz, "Leader election not needed for topic partition.");
            return CONTROLLER_ELECT_NOT_NEEDED;
        }
        bool any = false;
        for (int i = 0; i < mp->nreplicas && !any; i++)
            any = controller_eligible(c, mp->replicas[i]);
        if (!mp->has_state || !any) {
            snprintf(msg, msgsz,
                     "Failed to elect leader for partition %s-%d under strategy "
                     "OfflinePartitionLeaderElectionStrategy(true)",
                     topic, partition);
            return CONTROLLER_ELECT_NOT_AVAILABLE;
        }
        intent_add(&c->unclean, tp);
    }
    controller_metadata_changed(c, topic, partition);
    return CONTROLLER_ELECT_STARTED;
}

bool controller_elected(const struct controller *c, enum controller_election type,
                        const char *topic, int32_t partition)
{
    const struct metadata_topic *t;
    const struct metadata_partition *mp = find(c, topic, partition, &t);
    if (!mp || !mp->has_state)
        return false;
    if (type == CONTROLLER_ELECT_PREFERRED)
        return mp->nreplicas && mp->leader == mp->replicas[0];
    return metadata_broker_alive(c->b->md, mp->leader);
}

/* Intents for partitions that no longer exist are dropped (a deleted topic
 * is never checked again). */
static void sweep_intents(struct controller *c, struct tpmap *m)
{
    size_t it = 0;
    struct tp tp;
    struct tp gone[32];
    int ngone = 0;
    while (tpmap_next(m, &it, &tp, NULL) && ngone < 32) {
        const struct metadata_topic *t;
        if (!find(c, tp.topic->name, tp.partition, &t))
            gone[ngone++] = tp;
    }
    for (int i = 0; i < ngone; i++)
        intent_drop(m, gone[i]);
}

/* ---- /admin/preferred_replica_election ------------------------------------ */

static void preferred_watch_cb(int event, const char *path, void *arg)
{
    struct controller *c = arg;
    (void)path;
    c->preferred_watch = false;
    if (event != ZK_EVENT_LOST && c->active)
        controller_metadata_changed(c, NULL, -1);
}

static void request_removed(int rc, void *arg)
{
    (void)arg;
    if (rc && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_WARN("cannot remove " PREFERRED_ELECTION_PATH ": %s", gr_strerror(rc));
}

static void preferred_read(int rc, const char *data, size_t len, const struct zk_stat *st,
                           void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc || !c->active)
        return;
    struct zk_partition_list l;
    char err[256];
    if (zk_json_partition_list_decode(data, len, &l, err, sizeof(err))) {
        /* Kafka drops a request it cannot read, so it does not block the
         * next one. */
        LOG_WARN("ignoring " PREFERRED_ELECTION_PATH ", which cannot be read: %s", err);
    } else {
        LOG_INFO("preferred replica election requested in " PREFERRED_ELECTION_PATH
                 " for %d partition(s)",
                 l.n);
        for (int i = 0; i < l.n; i++) {
            const struct metadata_topic *t;
            if (find(c, l.items[i].topic, l.items[i].partition, &t))
                intent_add(&c->preferred, (struct tp){t->id, l.items[i].partition});
            else
                LOG_WARN("preferred replica election: %s-%d does not exist", l.items[i].topic,
                         l.items[i].partition);
        }
        zk_json_partition_list_destroy(&l);
    }
    zk_client_delete(c->b->zk, PREFERRED_ELECTION_PATH, ZK_ANY_VERSION, request_removed, NULL);
    controller_metadata_changed(c, NULL, -1);
}

static void preferred_exists(int rc, const struct zk_stat *st, void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc == GR_E_NOENT)
        return; /* the watch stays armed for its creation */
    if (rc) {
        c->preferred_watch = false;
        return;
    }
    if (c->active)
        zk_client_get(c->b->zk, PREFERRED_ELECTION_PATH, NULL, preferred_read, c);
}

/* ---- the leader-imbalance check -------------------------------------------- */

/* Over the partitions broker id prefers (it is their first replica):
 * counts them in *preferred and those led elsewhere in *elsewhere, and
 * with mark, records a preferred election for each of the latter that id
 * may take (it is in the ISR). */
static void preferred_of(struct controller *c, int32_t id, bool mark, int64_t *preferred,
                         int64_t *elsewhere)
{
    const struct metadata *md = c->b->md;
    size_t it = 0;
    void *v;
    *preferred = *elsewhere = 0;
    while (strmap_next(&md->topics, &it, NULL, &v)) {
        const struct metadata_topic *t = v;
        for (int i = 0; i < t->nparts; i++) {
            const struct metadata_partition *mp = &t->parts[i];
            if (!mp->has_state || !mp->nreplicas || mp->replicas[0] != id)
                continue;
            (*preferred)++;
            if (mp->leader == id)
                continue;
            (*elsewhere)++;
            if (mark && in_isr(mp, id))
                intent_add(&c->preferred, (struct tp){t->id, mp->id});
        }
    }
}

/* Kafka's checkAndTriggerAutoLeaderRebalance: for each broker, the share
 * of the partitions it prefers that another broker leads; above
 * leader.imbalance.per.broker.percentage, those it may lead are handed
 * back. */
static void rebalance_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct controller *c = w->data;
    const struct broker_config *cfg = c->b->cfg;
    (void)loop;
    (void)revents;
    if (!c->active || !cfg->auto_leader_rebalance_enable)
        return;
    const struct metadata *md = c->b->md;
    bool any = false;
    for (int k = 0; k < md->nbrokers; k++) {
        int32_t id = md->brokers[k].id;
        int64_t preferred, elsewhere;
        if (controller_shutting(c, id))
            continue;
        preferred_of(c, id, false, &preferred, &elsewhere);
        if (!elsewhere ||
            elsewhere * 100 <= (int64_t)cfg->leader_imbalance_per_broker_percentage * preferred)
            continue;
        LOG_INFO("leader imbalance of broker %d is %" PRId64 "/%" PRId64
                 " (above leader.imbalance.per.broker.percentage=%d): electing its preferred "
                 "leaderships",
                 id, elsewhere, preferred, cfg->leader_imbalance_per_broker_percentage);
        preferred_of(c, id, true, &preferred, &elsewhere);
        any = true;
    }
    if (any)
        controller_metadata_changed(c, NULL, -1);
}

/* ---- duties ------------------------------------------------------------- */

void controller_leaders_duties(struct controller *c)
{
    struct broker *b = c->b;
    sweep_shutting(c);
    sweep_intents(c, &c->preferred);
    sweep_intents(c, &c->unclean);
    if (!c->preferred_watch && b->zk) {
        struct zk_watcher w = {preferred_watch_cb, c};
        if (!zk_client_exists(b->zk, PREFERRED_ELECTION_PATH, &w, preferred_exists, c))
            c->preferred_watch = true;
    }
    if (b->cfg->auto_leader_rebalance_enable && !ev_is_active(&c->rebalance)) {
        double every = (double)b->cfg->leader_imbalance_check_interval_seconds;
        ev_timer_set(&c->rebalance, every, every);
        ev_timer_start(b->loop, &c->rebalance);
    }
}
