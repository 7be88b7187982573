/*
 * Controller election and duties (see controller.h).
 */
#define LOG_COMPONENT "controller"
#include "broker/cluster/controller.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/cluster/metadata.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_controller.h"
#include "zk/zk_json.h"
#include "zk/zk_owner.h"
#include "zk/zk_topic.h"
#include "common/topic_name.h"

void controller_init(struct controller *c, struct broker *b)
{
    memset(c, 0, sizeof(*c));
    c->b = b;
    tpmap_init(&c->writing);
    strmap_init(&c->deleting);
    controller_leaders_init(c);
    controller_reassign_init(c);
}

void controller_destroy(struct controller *c)
{
    controller_reassign_destroy(c);
    controller_leaders_destroy(c);
    tpmap_destroy(&c->writing);
    strmap_destroy(&c->deleting);
}

static void resign(struct controller *c, const char *why)
{
    if (!c->active)
        return;
    LOG_INFO("no longer the controller (%s)", why);
    c->active = false;
    controller_leaders_reset(c);
    controller_reassign_reset(c);
}

void controller_session_started(struct controller *c)
{
    /* /controller was ephemeral: a new session has lost it. */
    resign(c, "the ZooKeeper session was replaced");
    c->deletes_watch = false;
    c->isr_watch = false;
    c->electing = false;
    c->reclaiming = false;
    controller_leaders_reset(c);
    controller_reassign_reset(c);
}

static void do_duties(struct controller *c, const char *topic, int32_t partition);

/* ---- election ----------------------------------------------------------- */

static void elected(const struct zk_controller_election *e, void *arg)
{
    struct controller *c = arg;
    struct broker *b = c->b;
    c->electing = false;
    if (e->rc) {
        LOG_WARN("controller election failed: %s%s%s", gr_strerror(e->rc),
                 e->why ? ": " : "", e->why ? e->why : "");
        return;
    }
    if (e->won) {
        c->active = true;
        c->epoch = e->epoch;
        c->epoch_zk_version = e->epoch_zk_version;
        LOG_INFO("broker %d is now the controller (controller epoch %d)", b->id, e->epoch);
        do_duties(c, NULL, -1);
    } else {
        LOG_INFO("broker %d is the controller", e->controller_id);
    }
}

static void stale_removed(int rc, void *arg)
{
    struct controller *c = arg;
    c->reclaiming = false;
    if (rc && rc != GR_E_NOENT && rc != GR_E_ZK_BADVERSION)
        LOG_WARN("cannot remove the stale /controller: %s", gr_strerror(rc));
}

/* /controller names this broker's id but belongs to another session. If it
 * carries our incarnation it is ours, from a session this process gave up
 * and the server has not expired yet; if it names a process of this host
 * that no longer runs, its session is merely waiting to expire. Waiting for
 * that (Kafka's behaviour) would leave the cluster without a controller for
 * zookeeper.session.timeout.ms, so remove it (at the version read). Anything
 * else may belong to another live process configured with the same
 * broker.id: it is left alone, and the /controller watch brings a new
 * election when its session ends. */
static void controller_read(int rc, const char *data, size_t len, const struct zk_stat *st,
                            void *arg)
{
    struct controller *c = arg;
    struct broker *b = c->b;
    int32_t id;
    char err[128];
    if (rc || !b->zk || zk_json_controller_decode(data, len, &id, err, sizeof(err)) ||
        id != b->id || st->ephemeral_owner == zk_client_session_id(b->zk)) {
        c->reclaiming = false;
        return;
    }
    struct zk_owner holder;
    zk_json_owner_decode(data, len, &holder);
    bool gone = zk_owner_process_gone(holder.process);
    if (holder.incarnation != b->owner->incarnation && !gone) {
        if (c->foreign_czxid != st->czxid)
            LOG_WARN("/controller names broker %d but was written by another process (session 0x%" PRIx64
                 "); leaving it until that session ends",
                     b->id, (uint64_t)st->ephemeral_owner);
        c->foreign_czxid = st->czxid;
        c->reclaiming = false;
        return;
    }
    LOG_INFO("/controller is held by %s; removing it so an election can run",
             gone ? "a process of this broker that no longer runs (same host)"
                  : "an earlier session of this process");
    if (zk_client_delete(b->zk, "/controller", st->version, stale_removed, c))
        c->reclaiming = false;
}

static void maybe_elect(struct controller *c)
{
    struct broker *b = c->b;
    if (!b->registered || c->active || c->electing)
        return;
    if (b->md->controller_id == b->id && !c->reclaiming) {
        if (!zk_client_get(b->zk, "/controller", NULL, controller_read, c))
            c->reclaiming = true;
        return;
    }
    if (b->md->controller_id != -1)
        return;
    if (zk_controller_elect(b->zk, b->id, b->owner, elected, c) == 0)
        c->electing = true;
}

/* ---- partition state writes ---------------------------------------------- */

/* One state write in flight; it holds a reference on the topic's name. */
struct write_ctx {
    struct controller *c;
    struct tp tp;
};

static void state_written(int rc, int32_t version, const char *why, void *arg)
{
    struct write_ctx *w = arg;
    struct controller *c = w->c;
    const char *topic = w->tp.topic->name;
    (void)version;
    tpmap_del(&c->writing, w->tp);
    if (rc == GR_E_NOT_CONTROLLER) {
        resign(c, "another broker became controller");
    } else if (rc && rc != GR_E_ZK_BADVERSION && rc != GR_E_EXISTS && rc != GR_E_NOENT) {
        LOG_WARN("cannot write the state of %s-%d: %s%s%s", topic, w->tp.partition,
                 gr_strerror(rc), why ? ": " : "", why ? why : "");
    }
    /* Read back what is there now (ours, or whoever won the race). */
    metadata_refresh_state(c->b->md, topic, w->tp.partition);
    tp_topic_unref(w->tp.topic);
    free(w);
}

static void write_state(struct controller *c, const struct metadata_topic *t,
                        const struct metadata_partition *mp, int32_t leader, int32_t epoch,
                        const int32_t *isr, int nisr, bool create)
{
    const char *topic = t->name;
    struct tp tp = {t->id, mp->id};
    if (tpmap_get(&c->writing, tp))
        return;
    struct write_ctx *w = malloc(sizeof(*w));
    if (!w)
        return;
    w->c = c;
    w->tp = (struct tp){tp_topic_ref(t->id), mp->id};
    struct zk_partition_state st;
    memset(&st, 0, sizeof(st));
    st.leader = leader;
    st.leader_epoch = epoch;
    st.controller_epoch = c->epoch;
    st.isr = (int32_t *)isr;
    st.n_isr = nisr;
    struct zk_client *zk = c->b->zk;
    int rc = create ? zk_controller_create_partition_state(zk, c->epoch_zk_version, topic, mp->id,
                                                           &st, state_written, w)
                    : zk_controller_set_partition_state(zk, c->epoch_zk_version, topic, mp->id,
                                                        &st, mp->state_version, state_written, w);
    if (rc) {
        tp_topic_unref(w->tp.topic);
        free(w);
        return;
    }
    tpmap_put(&c->writing, tp, w);
    char list[128] = "";
    for (int i = 0; i < nisr && strlen(list) < sizeof(list) - 12; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", i ? "," : "", isr[i]);
    LOG_INFO("%s %s-%d: leader %d, leader epoch %d, isr [%s]",
             create ? "initializing" : "updating", topic, mp->id, leader, epoch, list);
}

static bool in(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* A rewrite of /brokers/topics/<t> (by a ZooKeeper tool) that
 * drops replicas: they leave the ISR, and a dropped leader hands over to
 * the first live assigned replica in the ISR, with a new leader epoch. The
 * dropped brokers delete their logs when they see the assignment
 * (partition.c, Kafka's StopReplica); new replicas follow and join the ISR
 * once caught up. With no assigned replica in the ISR alive, nobody leads
 * (leader -1, the ISR's assigned members kept), and the usual rules
 * apply: a returning ISR member takes over, or an unclean election.
 * Returns whether the state had to change (a write was started). */
static bool drop_unassigned(struct controller *c, const struct metadata_topic *t,
                            const struct metadata_partition *mp)
{
    int32_t isr[64];
    int nisr = 0;
    for (int i = 0; i < mp->nisr && nisr < 64; i++)
        if (in(mp->replicas, mp->nreplicas, mp->isr[i]))
            isr[nisr++] = mp->isr[i];
    bool leader_dropped = mp->leader >= 0 && !in(mp->replicas, mp->nreplicas, mp->leader);
    if (nisr == mp->nisr && !leader_dropped)
        return false;
    if (nisr == 0 && mp->nisr > 0) {
        /* No replica of the new assignment holds the committed records:
         * electing one would lose them. Kafka's controller does not act on
         * such a rewrite at all; here the state stays as it is (the removed
         * replicas keep their logs, partition.c) until an assigned replica
         * is in sync or the assignment is put back. */
        LOG_RATE(LOGGER_WARN,
                 "%s-%d: no replica of the new assignment is in the ISR; leadership and ISR "
                 "stay as they are (put the assignment back, or add the new replicas beside the "
                 "in-sync ones first)",
                 t->name, mp->id);
        return true;
    }
    int32_t leader = mp->leader;
    if (leader_dropped) {
        leader = -1;
        for (int i = 0; i < mp->nreplicas && leader < 0; i++)
            if (in(isr, nisr, mp->replicas[i]) && controller_eligible(c, mp->replicas[i]))
                leader = mp->replicas[i];
    }
    if (!tpmap_get(&c->writing, (struct tp){t->id, mp->id}))
        LOG_INFO("%s-%d: replicas were removed from the assignment; leaving them out of the "
                 "leadership and the ISR",
                 t->name, mp->id);
    write_state(c, t, mp, leader, mp->leader_epoch + 1, isr, nisr, false);
    return true;
}

/* Brings one partition's state in line with the live brokers and the
 * intents (controller.h). */
static void check_partition(struct controller *c, const struct metadata_topic *t,
                            const struct metadata_partition *mp)
{
    const struct metadata *md = c->b->md;
    struct tp tp = {t->id, mp->id};
    int32_t live[64], isr[64];
    int nlive = 0, nisr = 0;
    for (int i = 0; i < mp->nreplicas && nlive < 64; i++)
        if (controller_eligible(c, mp->replicas[i]))
            live[nlive++] = mp->replicas[i];
    if (!mp->has_state) {
        /* A new partition: the first live replica leads, and every live
         * replica is in sync (all logs are empty), as Kafka starts it. */
        if (nlive)
            write_state(c, t, mp, live[0], 0, live, nlive, true);
        return;
    }
    controller_reassign_check(c, t, mp);
    if (drop_unassigned(c, t, mp))
        return;
    for (int i = 0; i < mp->nisr && nisr < 64; i++)
        if (controller_eligible(c, mp->isr[i]))
            isr[nisr++] = mp->isr[i];
    bool leader_alive = metadata_broker_alive(md, mp->leader);
    if (leader_alive && !controller_shutting(c, mp->leader)) {
        if (tpmap_get(&c->unclean, tp))
            controller_intent_done(c, tp); /* it has a leader: nothing to do */
        if (nisr < mp->nisr) {
            /* A follower died or is shutting down: it leaves the ISR. */
            write_state(c, t, mp, mp->leader, mp->leader_epoch + 1, isr, nisr, false);
            return;
        }
        if (tpmap_get(&c->preferred, tp)) {
            int32_t pref = mp->nreplicas ? mp->replicas[0] : -1;
            if (pref != mp->leader && controller_eligible(c, pref) && in(isr, nisr, pref)) {
                LOG_INFO("%s-%d: moving leadership from %d to the preferred replica %d",
                         t->name, mp->id, mp->leader, pref);
                write_state(c, t, mp, pref, mp->leader_epoch + 1, isr, nisr, false);
            } else {
                controller_intent_done(c, tp); /* met, or not possible now */
            }
        }
        return;
    }
    /* The leader is gone or shutting down: the first eligible in-sync
     * replica in assignment order takes over. */
    for (int i = 0; i < nlive; i++)
        if (in(isr, nisr, live[i])) {
            if (leader_alive)
                LOG_INFO("%s-%d: moving leadership from %d (shutting down) to %d", t->name,
                         mp->id, mp->leader, live[i]);
            write_state(c, t, mp, live[i], mp->leader_epoch + 1, isr, nisr, false);
            return;
        }
    if (leader_alive) {
        /* Shutting down, but nobody else in sync can take over: it keeps
         * leading (the ControlledShutdown answer lists it), and only dead
         * followers leave its ISR. */
        int32_t keep[64];
        int nkeep = 0;
        for (int i = 0; i < mp->nisr && nkeep < 64; i++)
            if (metadata_broker_alive(md, mp->isr[i]))
                keep[nkeep++] = mp->isr[i];
        if (nkeep < mp->nisr)
            write_state(c, t, mp, mp->leader, mp->leader_epoch + 1, keep, nkeep, false);
        return;
    }
    bool asked = tpmap_get(&c->unclean, tp) != NULL;
    if (nlive && (t->log_config.unclean_leader_election || asked)) {
        LOG_WARN("%s-%d: no in-sync replica is alive; electing %d uncleanly (%s), records may "
                 "be lost",
                 t->name, mp->id, live[0],
                 asked ? "ElectLeaders" : "unclean.leader.election.enable");
        if (asked)
            controller_intent_done(c, tp);
        write_state(c, t, mp, live[0], mp->leader_epoch + 1, live, 1, false);
        return;
    }
    if (mp->leader != -1) {
        /* Nobody can lead: record that (Kafka keeps the last ISR member so
         * it can take over cleanly when it returns). */
        const int32_t *keep = nisr ? isr : mp->isr;
        int nkeep = nisr ? nisr : (mp->nisr ? 1 : 0);
        write_state(c, t, mp, -1, mp->leader_epoch + 1, keep, nkeep, false);
    }
}

/* ---- topic deletion ----------------------------------------------------- */

/* One topic deletion in flight. */
struct delete_ctx {
    struct controller *c;
    char topic[];
};

static void topic_deleted(int rc, const char *why, void *arg)
{
    struct delete_ctx *w = arg;
    strmap_del(&w->c->deleting, w->topic);
    if (rc == GR_E_NOT_CONTROLLER)
        resign(w->c, "another broker became controller");
    else if (rc)
        LOG_WARN("cannot delete topic %s: %s%s%s", w->topic, gr_strerror(rc),
                 why ? ": " : "", why ? why : "");
    else
        LOG_INFO("deleted topic %s", w->topic);
    free(w);
}

static void delete_requests_cb(int rc, const char *const *names, int n,
                               const struct zk_stat *st, void *arg);

static void delete_watch(int event, const char *path, void *arg)
{
    struct controller *c = arg;
    (void)path;
    c->deletes_watch = false;
    if (event != ZK_EVENT_LOST && c->active)
        do_duties(c, NULL, -1);
}

static void request_dropped(int rc, void *arg)
{
    (void)arg;
    if (rc && rc != GR_E_NOENT)
        LOG_WARN("cannot remove a deletion request: %s", gr_strerror(rc));
}

static void handle_delete_request(struct controller *c, const char *name)
{
    struct broker *b = c->b;
    if (strmap_get(&c->deleting, name))
        return;
    struct delete_ctx *w = malloc(sizeof(*w) + strlen(name) + 1);
    if (!w)
        return;
    w->c = c;
    strcpy(w->topic, name);
    if (!b->cfg->delete_topic_enable) {
        /* Kafka drops requests it will not honour, so they do not linger. */
        LOG_WARN("ignoring the deletion of topic %s: delete.topic.enable is false", name);
        char path[512];
        snprintf(path, sizeof(path), "/admin/delete_topics/%s", name);
        zk_client_delete(b->zk, path, ZK_ANY_VERSION, request_dropped, NULL);
        free(w);
        return;
    }
    LOG_INFO("deleting topic %s as requested in /admin/delete_topics", name);
    if (zk_topic_delete_znodes(b->zk, c->epoch_zk_version, name, topic_deleted, w)) {
        free(w);
        return;
    }
    strmap_put(&c->deleting, name, (void *)1);
}

static void delete_requests_cb(int rc, const char *const *names, int n,
                               const struct zk_stat *st, void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc) {
        c->deletes_watch = false;
        if (rc != GR_E_CLOSING)
            LOG_WARN("cannot read /admin/delete_topics: %s", gr_strerror(rc));
        return;
    }
    for (int i = 0; c->active && i < n; i++)
        if (topic_name_valid(names[i]))
            handle_delete_request(c, names[i]);
}

/* ---- ISR change notifications -------------------------------------------- */

/* Leaders record their ISR changes as /isr_change_notification/isr_change_N
 * (partition_isr.c). Kafka's controller re-reads those partitions' states
 * and tells every broker; here every broker's cache watches the state
 * znodes already, so the controller re-reads them for its own cache (it
 * must not elect from an old ISR) and removes the notifications, which
 * would otherwise pile up in ZooKeeper. */

static void isr_watch(int event, const char *path, void *arg);

static void isr_note_removed(int rc, void *arg)
{
    (void)arg;
    if (rc && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_WARN("cannot remove an ISR change notification: %s", gr_strerror(rc));
}

static void isr_note_read(int rc, const char *data, size_t len, const struct zk_stat *st, void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc || !c->active)
        return;
    struct zk_partition_list l;
    char err[128];
    if (!zk_json_partition_list_decode(data, len, &l, err, sizeof(err))) {
        for (int i = 0; i < l.n; i++)
            metadata_refresh_state(c->b->md, l.items[i].topic, l.items[i].partition);
        zk_json_partition_list_destroy(&l);
    } else {
        LOG_WARN("ignoring an ISR change notification that cannot be read: %s", err);
    }
}

static void isr_notes_cb(int rc, const char *const *names, int n, const struct zk_stat *st,
                         void *arg)
{
    struct controller *c = arg;
    (void)st;
    if (rc) {
        c->isr_watch = false;
        return;
    }
    for (int i = 0; c->active && i < n; i++) {
        char path[256];
        snprintf(path, sizeof(path), "/isr_change_notification/%s", names[i]);
        zk_client_get(c->b->zk, path, NULL, isr_note_read, c);
        zk_client_delete(c->b->zk, path, ZK_ANY_VERSION, isr_note_removed, NULL);
    }
}

static void isr_watch(int event, const char *path, void *arg)
{
    struct controller *c = arg;
    (void)path;
    c->isr_watch = false;
    if (event != ZK_EVENT_LOST && c->active)
        do_duties(c, NULL, -1);
}

/* ---- duties ------------------------------------------------------------- */

static void check_topic(struct controller *c, const struct metadata_topic *t, int32_t partition)
{
    if (!t->have_assignment || strmap_get(&c->deleting, t->name))
        return;
    for (int i = 0; i < t->nparts; i++)
        if (partition < 0 || i == partition)
            check_partition(c, t, &t->parts[i]);
}

static void do_duties(struct controller *c, const char *topic, int32_t partition)
{
    struct broker *b = c->b;
    if (!c->active)
        return;
    controller_leaders_duties(c);
    controller_reassign_duties(c);
    if (!c->deletes_watch) {
        struct zk_watcher w = {delete_watch, c};
        if (!zk_client_get_children(b->zk, "/admin/delete_topics", &w, delete_requests_cb, c))
            c->deletes_watch = true;
    }
    if (!c->isr_watch) {
        struct zk_watcher w = {isr_watch, c};
        if (!zk_client_get_children(b->zk, "/isr_change_notification", &w, isr_notes_cb, c))
            c->isr_watch = true;
    }
    if (topic) {
        const struct metadata_topic *t = metadata_topic(b->md, topic);
        if (t)
            check_topic(c, t, partition);
        return;
    }
    size_t it = 0;
    void *v;
    while (strmap_next(&b->md->topics, &it, NULL, &v))
        check_topic(c, v, -1);
}

void controller_metadata_changed(struct controller *c, const char *topic, int32_t partition)
{
    struct broker *b = c->b;
    if (c->active && b->md->controller_id != b->id && b->md->controller_id != -1)
        resign(c, "another broker holds /controller");
    maybe_elect(c);
    /* A change of brokers can affect any topic. */
    do_duties(c, topic, partition);
}
