/*
 * One consumer group's state machine (see group.h). The names of the
 * static functions follow Kafka 2.8's GroupCoordinator, so each can be
 * held against its counterpart there.
 */
#define LOG_COMPONENT "group"
#include "broker/group/group.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/group/group_member.h"
#include "broker/group/group_members.h"
#include "broker/group/group_owners.h"
#include "broker/group/group_persist.h"
#include "broker/proto/proto_errors.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"

/* How long a new member may wait in its first join phase before it is
 * dropped (Kafka's GroupCoordinator.NewMemberJoinTimeoutMs). */
#define NEW_MEMBER_JOIN_TIMEOUT_MS 300000

#define OWNER(ptr, type, field) ((type *)(void *)((char *)(ptr)-offsetof(type, field)))

static struct delay *delay_of(const struct group *g)
{
    return g->b->delay;
}

static const struct broker_config *cfg_of(const struct group *g)
{
    return g->b->cfg;
}

const char *group_state_name(enum group_state s)
{
    switch (s) {
    case GROUP_EMPTY: return "Empty";
    case GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
    case GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
    case GROUP_STABLE: return "Stable";
    case GROUP_DEAD: return "Dead";
    }
    return "Unknown";
}

static void transition(struct group *g, enum group_state s)
{
    g->state = s;
    g->state_since_ms = clock_wall_ms();
}

static void join_ended(struct delay_op *op, bool timed_out);
static bool join_ready(struct delay_op *op, struct delay_watch *w, void *arg);
static void session_ended(struct delay_op *op, bool timed_out);

struct group *group_new(struct broker *b, const char *id, int32_t partition)
{
    struct group *g = calloc(1, sizeof(*g));
    if (!g || !(g->id = strdup(id))) {
        free(g);
        return NULL;
    }
    g->b = b;
    g->partition = partition;
    g->state = GROUP_EMPTY;
    g->state_since_ms = clock_wall_ms();
    g->coord_epoch = -1;
    delay_op_init(&g->join, join_ready, join_ended);
    group_offsets_init(&g->offsets);
    group_members_init(g);
    strmap_init(&g->owners);
    return g;
}

/* Answers m's parked JoinGroup (if any is still watching). */
static void answer_join(struct group *g, struct group_member *m, const struct group_join_result *r)
{
    group_members_set_awaiting_join(g, m, false);
    delay_wake(delay_of(g), delay_key(m, DELAY_GROUP_JOIN), (void *)r);
}

static void answer_sync(struct group *g, struct group_member *m, const struct group_sync_result *r)
{
    m->awaiting_sync = false;
    delay_wake(delay_of(g), delay_key(m, DELAY_GROUP_SYNC), (void *)r);
}

static void join_error(struct group_join_result *r, int16_t error, const char *member_id)
{
    *r = (struct group_join_result){.error = error,
                                    .generation = -1,
                                    .protocol_name = "",
                                    .leader = "",
                                    .member_id = member_id};
}

/* Answers whatever m waits for with error and frees it. */
static void member_drop(struct group *g, struct group_member *m, int16_t error)
{
    if (m->awaiting_join) {
        struct group_join_result r;
        join_error(&r, error, "");
        answer_join(g, m, &r);
    }
    if (m->awaiting_sync)
        answer_sync(g, m, &(struct group_sync_result){.error = error});
    delay_cancel(delay_of(g), &m->session);
    group_member_free(m);
}

static void list_free(struct group *g, struct group_member *list, int16_t error)
{
    while (list) {
        struct group_member *next = list->next;
        member_drop(g, list, error);
        list = next;
    }
}

void group_free(struct group *g, int16_t error)
{
    if (!g)
        return;
    delay_cancel(delay_of(g), &g->join);
    g->state = GROUP_DEAD;
    struct group_member *members = g->members, *pending = g->pending;
    g->members = g->pending = NULL;
    g->nmembers = g->npending = 0;
    list_free(g, members, error);
    list_free(g, pending, error);
    group_members_destroy(g);
    group_owners_clear(g);
    group_persist_detach(g);
    strmap_destroy(&g->owners);
    group_offsets_destroy(&g->offsets);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    free(g->prev_leader);
    free(g->scratch);
    free(g);
}

struct group_member *group_member_find(const struct group *g, const char *member_id)
{
    return group_members_find(g, member_id);
}

static bool set_str(char **dst, const char *src)
{
    char *c = src ? strdup(src) : NULL;
    if (src && !c)
        return false;
    free(*dst);
    *dst = c;
    return true;
}

/* Kafka's isStaticMemberFenced: instance_id belongs to another member id. */
static bool fenced(const struct group *g, const char *member_id, const char *instance_id)
{
    struct group_member *s = group_members_find_static(g, instance_id);
    return s && strcmp(s->id, member_id);
}

static int16_t validate_current_member(const struct group *g, const char *member_id,
                                       const char *instance_id)
{
    if (fenced(g, member_id, instance_id))
        return PROTO_ERR_FENCED_INSTANCE_ID;
    if (!group_member_find(g, member_id))
        return PROTO_ERR_UNKNOWN_MEMBER_ID;
    return PROTO_ERR_NONE;
}

static void schedule_session(struct group *g, struct group_member *m, int64_t ms)
{
    delay_cancel(delay_of(g), &m->session);
    delay_start(delay_of(g), &m->session, ms);
}

static int32_t rebalance_timeout(const struct group *g)
{
    int32_t t = 0;
    for (struct group_member *m = g->members; m; m = m->next)
        if (m->rebalance_timeout_ms > t)
            t = m->rebalance_timeout_ms;
    return t;
}

/* Starts (or restarts) the join phase's delayed operation. */
static void start_join(struct group *g, bool initial, int64_t ms)
{
    struct delay *d = delay_of(g);
    delay_cancel(d, &g->join);
    delay_op_init(&g->join, join_ready, join_ended);
    g->join_initial = initial;
    if (delay_watch(d, &g->join, &g->join_watch, delay_key(g, DELAY_GROUP_REBALANCE), 0))
        LOG_WARN("group %s: out of memory watching its join phase; it ends at its timeout", g->id);
    delay_start(d, &g->join, ms);
}

static void reset_and_propagate_assignment_error(struct group *g, int16_t error)
{
    for (struct group_member *m = g->members; m; m = m->next) {
        group_member_set_assignment(m, NULL, 0);
        if (m->awaiting_sync)
            answer_sync(g, m, &(struct group_sync_result){.error = error});
    }
}

static void prepare_rebalance(struct group *g, const char *reason)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        reset_and_propagate_assignment_error(g, PROTO_ERR_REBALANCE_IN_PROGRESS);
    if (g->state == GROUP_EMPTY) {
        int64_t delay = cfg_of(g)->group_initial_rebalance_delay_ms;
        int64_t left = rebalance_timeout(g) - delay;
        g->join_remaining_ms = left > 0 ? left : 0;
        start_join(g, true, delay);
    } else {
        start_join(g, false, rebalance_timeout(g));
    }
    LOG_INFO("group %s: preparing to rebalance in state %s with old generation %d (%s)", g->id,
             group_state_name(g->state), g->generation, reason);
    transition(g, GROUP_PREPARING_REBALANCE);
}

static void maybe_prepare_rebalance(struct group *g, const char *reason)
{
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE ||
        g->state == GROUP_EMPTY)
        prepare_rebalance(g, reason);
}

void group_settle(struct group *g)
{
    if (g->state == GROUP_PREPARING_REBALANCE)
        delay_wake(delay_of(g), delay_key(g, DELAY_GROUP_REBALANCE), NULL);
}

/* Removes a failed or leaving member (Kafka's removeMemberAndUpdateGroup);
 * the caller settles the group afterwards. */
static void remove_member_and_update(struct group *g, struct group_member *m, const char *reason)
{
    group_members_del(g, m);
    if (g->leader_id && !strcmp(g->leader_id, m->id))
        set_str(&g->leader_id, g->members ? g->members->id : NULL);
    LOG_INFO("group %s: member %s removed (%s)", g->id, m->id, reason);
    member_drop(g, m, PROTO_ERR_UNKNOWN_MEMBER_ID);
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE)
        maybe_prepare_rebalance(g, reason);
}

static void session_ended(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    struct group_member *m = OWNER(op, struct group_member, session);
    struct group *g = m->g;
    if (m->pending) {
        group_members_del_pending(g, m);
        LOG_INFO("group %s: pending member %s did not join in time", g->id, m->id);
        group_member_free(m);
        group_settle(g);
        return;
    }
    /* Members waiting for a rebalance have satisfied their heartbeats;
     * new ones had NEW_MEMBER_JOIN_TIMEOUT_MS to get through it. */
    if (!m->is_new && (m->awaiting_join || m->awaiting_sync))
        return;
    remove_member_and_update(g, m, "session timeout expired");
    group_settle(g);
}

static bool all_joined(const struct group *g)
{
    return g->nawaiting == g->nmembers && g->npending == 0;
}

static bool join_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    (void)arg;
    struct group *g = OWNER(op, struct group, join);
    return !g->join_initial && all_joined(g);
}

/* The protocol every member supports that most members prefer (Kafka's
 * selectProtocol: each member votes for its first protocol that every
 * member supports); ties go to the first member's preference. NULL when
 * there is none. One pass over the members. */
static const char *select_protocol(const struct group *g)
{
    struct strmap votes;
    strmap_init(&votes);
    for (struct group_member *m = g->members; m; m = m->next)
        for (int k = 0; k < m->nprotocols; k++) {
            const char *name = m->protocols[k].name;
            if (group_members_supporting(g, name) == g->nmembers) {
                strmap_put(&votes, name, (char *)strmap_get(&votes, name) + 1);
                break;
            }
        }
    const char *best = NULL;
    uintptr_t best_votes = 0;
    const struct group_member *first = g->members;
    for (int i = 0; first && i < first->nprotocols; i++) {
        uintptr_t v = (uintptr_t)strmap_get(&votes, first->protocols[i].name);
        if (v > best_votes) {
            best = first->protocols[i].name;
            best_votes = v;
        }
    }
    strmap_destroy(&votes);
    return best;
}

/* The leader's list of members with their metadata for the chosen
 * protocol, in g->scratch (valid until the next call). */
static const struct group_join_member *member_list(struct group *g, int *n)
{
    free(g->scratch);
    g->scratch = calloc((size_t)g->nmembers + 1, sizeof(*g->scratch));
    *n = 0;
    for (struct group_member *m = g->members; g->scratch && m; m = m->next) {
        const struct group_protocol *p = group_member_protocol(m, g->protocol_name);
        g->scratch[(*n)++] =
            (struct group_join_member){m->id, m->instance_id, p ? p->meta : NULL, p ? p->len : 0};
    }
    return g->scratch;
}

static void current_join_result(struct group *g, struct group_member *m, bool with_members,
                                const char *leader, struct group_join_result *r)
{
    *r = (struct group_join_result){.error = PROTO_ERR_NONE,
                                    .generation = g->generation,
                                    .protocol_name = g->protocol_name ? g->protocol_name : "",
                                    .leader = leader ? leader : "",
                                    .member_id = m->id};
    if (with_members)
        r->members = member_list(g, &r->nmembers);
}

/* True when a member awaiting join leads (electing one if the leader has
 * not rejoined); Kafka's maybeElectNewJoinedLeader. */
static bool elect_joined_leader(struct group *g)
{
    if (!g->leader_id)
        return false;
    struct group_member *l = group_member_find(g, g->leader_id);
    if (l && l->awaiting_join)
        return true;
    for (struct group_member *m = g->members; m; m = m->next)
        if (m->awaiting_join)
            return set_str(&g->leader_id, m->id);
    return false;
}

static void on_complete_join(struct group *g)
{
    /* dynamic members that did not rejoin are gone; static ones stay */
    for (struct group_member *m = g->members, *next; m; m = next) {
        next = m->next;
        if (!m->awaiting_join && !m->instance_id) {
            group_members_del(g, m);
            if (g->leader_id && !strcmp(g->leader_id, m->id))
                set_str(&g->leader_id, g->members ? g->members->id : NULL);
            LOG_INFO("group %s: member %s did not rejoin in time", g->id, m->id);
            member_drop(g, m, PROTO_ERR_UNKNOWN_MEMBER_ID);
        }
    }
    if (g->state == GROUP_DEAD)
        return;
    if (!elect_joined_leader(g) && g->members) {
        LOG_WARN("group %s: no member rejoined; waiting another rebalance timeout", g->id);
        start_join(g, false, rebalance_timeout(g));
        return;
    }
    g->generation++;
    if (!g->members) {
        set_str(&g->protocol_name, NULL);
        transition(g, GROUP_EMPTY);
        group_owners_clear(g);
        group_persist_save(g);
        LOG_INFO("group %s with generation %d is now empty", g->id, g->generation);
        return;
    }
    set_str(&g->protocol_name, select_protocol(g));
    transition(g, GROUP_COMPLETING_REBALANCE);
    LOG_INFO("group %s: generation %d with %d members (protocol %s, leader %s)", g->id,
             g->generation, g->nmembers, g->protocol_name ? g->protocol_name : "-",
             g->leader_id ? g->leader_id : "-");
    for (struct group_member *m = g->members; m; m = m->next) {
        struct group_join_result r;
        bool leader = g->leader_id && !strcmp(g->leader_id, m->id);
        current_join_result(g, m, leader, g->leader_id, &r);
        if (m->awaiting_join)
            answer_join(g, m, &r);
        schedule_session(g, m, m->session_timeout_ms);
        m->is_new = false;
    }
}

static void join_ended(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    struct group *g = OWNER(op, struct group, join);
    if (g->join_initial && g->new_member_added && g->join_remaining_ms > 0) {
        /* InitialDelayedJoin: members keep arriving; wait once more */
        int64_t delay = cfg_of(g)->group_initial_rebalance_delay_ms;
        if (delay > g->join_remaining_ms)
            delay = g->join_remaining_ms;
        g->join_remaining_ms -= delay;
        g->new_member_added = false;
        start_join(g, true, delay);
        return;
    }
    on_complete_join(g);
}

static bool supports_protocols(const struct group *g, const struct group_join_params *p)
{
    if (g->state == GROUP_EMPTY)
        return p->protocol_type[0] && p->nprotocols > 0;
    if (!g->protocol_type || strcmp(g->protocol_type, p->protocol_type))
        return false;
    for (int i = 0; i < p->nprotocols; i++)
        if (group_members_supporting(g, p->protocol_names[i]) == g->nmembers)
            return true;
    return false;
}

static bool accept_joining(const struct group *g, const char *member_id)
{
    int64_t max = cfg_of(g)->group_max_size;
    struct group_member *m = group_member_find(g, member_id);
    switch (g->state) {
    case GROUP_EMPTY:
    case GROUP_DEAD: return true;
    case GROUP_PREPARING_REBALANCE: return (m && m->awaiting_join) || g->nawaiting < max;
    default: return m || g->nmembers < max;
    }
}

static bool add_member_and_rebalance(struct group *g, char *id, const struct group_join_params *p,
                                     struct group_join_result *res, struct group_member **wait_on)
{
    struct group_member *m = group_member_new(g, id, p, session_ended);
    if (!m) {
        free(id);
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return true;
    }
    if (!g->members && !set_str(&g->protocol_type, p->protocol_type)) {
        group_member_free(m);
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return true;
    }
    m->is_new = true;
    m->awaiting_join = true;
    if (group_members_add(g, m)) {
        group_member_free(m);
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return true;
    }
    if (g->state == GROUP_PREPARING_REBALANCE && g->generation == 0)
        g->new_member_added = true;
    if (!g->leader_id)
        set_str(&g->leader_id, m->id);
    schedule_session(g, m, NEW_MEMBER_JOIN_TIMEOUT_MS);
    maybe_prepare_rebalance(g, "a new member joined");
    *wait_on = m;
    return false;
}

static bool update_member_and_rebalance(struct group *g, struct group_member *m,
                                        const struct group_join_params *p,
                                        struct group_join_result *res,
                                        struct group_member **wait_on)
{
    if (group_members_set_protocols(g, m, p)) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return true;
    }
    group_members_set_awaiting_join(g, m, true);
    maybe_prepare_rebalance(g, "a member rejoined");
    *wait_on = m;
    return false;
}

/* A static member joins again under a new member id: the old id is fenced
 * and, if nothing else changed, the group carries on without a rebalance
 * (Kafka's updateStaticMemberAndRebalance). Takes ownership of new_id. */
static bool update_static_member(struct group *g, struct group_member *m, char *new_id,
                                 const struct group_join_params *p, struct group_join_result *res,
                                 struct group_member **wait_on)
{
    set_str(&g->prev_leader, g->leader_id);
    if (m->awaiting_join) {
        struct group_join_result r;
        join_error(&r, PROTO_ERR_FENCED_INSTANCE_ID, m->id);
        answer_join(g, m, &r);
    }
    if (m->awaiting_sync)
        answer_sync(g, m, &(struct group_sync_result){.error = PROTO_ERR_FENCED_INSTANCE_ID});
    bool leader = g->leader_id && !strcmp(g->leader_id, m->id);
    LOG_INFO("group %s: static member %s rejoined as %s", g->id, m->id, new_id);
    if (group_members_rename(g, m, new_id)) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, "");
        return true;
    }
    if (leader)
        set_str(&g->leader_id, m->id);
    schedule_session(g, m, p->session_timeout_ms);
    if (group_members_set_protocols(g, m, p)) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, m->id);
        return true;
    }
    group_members_set_awaiting_join(g, m, true);
    switch (g->state) {
    case GROUP_STABLE: {
        const char *next = select_protocol(g);
        if (next && g->protocol_name && !strcmp(next, g->protocol_name)) {
            /* The old leader id keeps the current leader from assigning in
             * a stable group (Kafka returns it for the same reason). */
            group_members_set_awaiting_join(g, m, false);
            current_join_result(g, m, false, g->prev_leader, res);
            group_owners_publish(g);
            group_persist_save(g); /* the new member id, or a move fences the member */
            return true;
        }
        maybe_prepare_rebalance(g, "a static member rejoined with other protocols");
        break;
    }
    case GROUP_COMPLETING_REBALANCE:
        maybe_prepare_rebalance(g, "a static member rejoined while the group was syncing");
        break;
    default: break;
    }
    *wait_on = m;
    return false;
}

static bool unknown_member_join(struct group *g, const struct group_join_params *p,
                                struct group_join_result *res, struct group_member **wait_on)
{
    if (g->state == GROUP_DEAD) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, "");
        return true;
    }
    if (!supports_protocols(g, p)) {
        join_error(res, PROTO_ERR_INCONSISTENT_GROUP_PROTOCOL, "");
        return true;
    }
    char *id = group_member_new_id(p->client_id);
    if (!id) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, "");
        return true;
    }
    if (p->instance_id) {
        struct group_member *old = group_members_find_static(g, p->instance_id);
        if (old)
            return update_static_member(g, old, id, p, res, wait_on);
        return add_member_and_rebalance(g, id, p, res, wait_on);
    }
    if (p->require_known_member_id) {
        struct group_member *m = group_member_new(g, id, p, session_ended);
        if (!m) {
            free(id);
            join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, "");
            return true;
        }
        if (group_members_add_pending(g, m)) {
            group_member_free(m);
            join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, "");
            return true;
        }
        schedule_session(g, m, p->session_timeout_ms);
        join_error(res, PROTO_ERR_MEMBER_ID_REQUIRED, m->id);
        return true;
    }
    return add_member_and_rebalance(g, id, p, res, wait_on);
}

static bool current_member_join(struct group *g, const struct group_join_params *p,
                                struct group_join_result *res, struct group_member **wait_on)
{
    if (g->state == GROUP_DEAD) {
        join_error(res, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return true;
    }
    if (!supports_protocols(g, p)) {
        join_error(res, PROTO_ERR_INCONSISTENT_GROUP_PROTOCOL, p->member_id);
        return true;
    }
    struct group_member *pm = group_members_find_pending(g, p->member_id);
    if (pm) {
        group_members_del_pending(g, pm);
        delay_cancel(delay_of(g), &pm->session);
        char *id = pm->id;
        pm->id = NULL;
        group_member_free(pm);
        return add_member_and_rebalance(g, id, p, res, wait_on);
    }
    int16_t err = validate_current_member(g, p->member_id, p->instance_id);
    if (err) {
        join_error(res, err, p->member_id);
        return true;
    }
    struct group_member *m = group_member_find(g, p->member_id);
    bool leader = g->leader_id && !strcmp(g->leader_id, m->id);
    switch (g->state) {
    case GROUP_PREPARING_REBALANCE: return update_member_and_rebalance(g, m, p, res, wait_on);
    case GROUP_COMPLETING_REBALANCE:
        if (group_member_matches(m, p)) {
            /* it missed the answer of this generation's join: send it again */
            current_join_result(g, m, leader, g->leader_id, res);
            return true;
        }
        return update_member_and_rebalance(g, m, p, res, wait_on);
    case GROUP_STABLE:
        if (leader || !group_member_matches(m, p))
            return update_member_and_rebalance(g, m, p, res, wait_on);
        current_join_result(g, m, false, g->leader_id, res);
        return true;
    default: join_error(res, PROTO_ERR_UNKNOWN_MEMBER_ID, p->member_id); return true;
    }
}

bool group_join(struct group *g, const struct group_join_params *p, struct group_join_result *res,
                struct group_member **wait_on)
{
    const struct broker_config *c = cfg_of(g);
    *wait_on = NULL;
    if (p->session_timeout_ms < c->group_min_session_timeout_ms ||
        p->session_timeout_ms > c->group_max_session_timeout_ms) {
        join_error(res, PROTO_ERR_INVALID_SESSION_TIMEOUT, p->member_id);
        return true;
    }
    int64_t bytes = 0;
    for (int i = 0; i < p->nprotocols; i++)
        bytes += p->protocol_len[i] > 0 ? p->protocol_len[i] : 0;
    if (bytes > GROUP_MEMBER_BYTES_MAX) {
        LOG_RATE(LOGGER_WARN, "group %s: refused a JoinGroup with %lld bytes of metadata", g->id,
                 (long long)bytes);
        join_error(res, PROTO_ERR_INVALID_REQUEST, p->member_id);
        return true;
    }
    if (!accept_joining(g, p->member_id)) {
        struct group_member *m = group_member_find(g, p->member_id);
        if (m) {
            remove_member_and_update(g, m, "the group is full");
            group_settle(g);
        }
        join_error(res, PROTO_ERR_GROUP_MAX_SIZE_REACHED, "");
        return true;
    }
    if (!p->member_id[0])
        return unknown_member_join(g, p, res, wait_on);
    return current_member_join(g, p, res, wait_on);
}

bool group_sync(struct group *g, int32_t generation, const char *member_id, const char *instance_id,
                const struct group_assignment *a, int n, struct group_sync_result *res,
                struct group_member **wait_on)
{
    *res = (struct group_sync_result){0};
    *wait_on = NULL;
    if (g->state == GROUP_DEAD) {
        res->error = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
        return true;
    }
    if ((res->error = validate_current_member(g, member_id, instance_id)))
        return true;
    if (generation != g->generation) {
        res->error = PROTO_ERR_ILLEGAL_GENERATION;
        return true;
    }
    struct group_member *m = group_member_find(g, member_id);
    switch (g->state) {
    case GROUP_EMPTY: res->error = PROTO_ERR_UNKNOWN_MEMBER_ID; return true;
    case GROUP_PREPARING_REBALANCE: res->error = PROTO_ERR_REBALANCE_IN_PROGRESS; return true;
    case GROUP_STABLE:
        schedule_session(g, m, m->session_timeout_ms);
        res->assignment = m->assignment;
        res->len = m->assignment_len;
        return true;
    default: break;
    }
    if (!g->leader_id || strcmp(g->leader_id, m->id)) {
        m->awaiting_sync = true;
        *wait_on = m;
        return false;
    }
    /* the leader: every member gets its assignment (none named: empty) */
    for (int i = 0; i < n; i++)
        if (a[i].len > GROUP_MEMBER_BYTES_MAX) {
            LOG_RATE(LOGGER_WARN, "group %s: leader %s sent an assignment of %d bytes", g->id,
                     m->id, a[i].len);
            reset_and_propagate_assignment_error(g, PROTO_ERR_INVALID_REQUEST);
            maybe_prepare_rebalance(g, "the leader's assignment was too large");
            res->error = PROTO_ERR_INVALID_REQUEST;
            return true;
        }
    struct strmap by_member; /* the last assignment named for each member id */
    strmap_init(&by_member);
    bool nomem = false;
    for (int i = 0; i < n; i++)
        nomem |= strmap_put(&by_member, a[i].member_id, (void *)&a[i]) != 0;
    for (struct group_member *o = g->members; o; o = o->next) {
        const struct group_assignment *found = strmap_get(&by_member, o->id);
        if (nomem ||
            group_member_set_assignment(o, found ? found->data : NULL, found ? found->len : 0)) {
            strmap_destroy(&by_member);
            reset_and_propagate_assignment_error(g, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
            maybe_prepare_rebalance(g, "out of memory storing assignments");
            res->error = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
            return true;
        }
    }
    strmap_destroy(&by_member);
    transition(g, GROUP_STABLE);
    LOG_INFO("group %s: generation %d is stable", g->id, g->generation);
    group_owners_publish(g);
    group_persist_save(g);
    for (struct group_member *o = g->members; o; o = o->next)
        if (o != m && o->awaiting_sync)
            answer_sync(
                g, o,
                &(struct group_sync_result){.assignment = o->assignment, .len = o->assignment_len});
    res->assignment = m->assignment;
    res->len = m->assignment_len;
    return true;
}

int16_t group_heartbeat(struct group *g, int32_t generation, const char *member_id,
                        const char *instance_id)
{
    if (g->state == GROUP_DEAD)
        return PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    int16_t err = validate_current_member(g, member_id, instance_id);
    if (err)
        return err;
    if (generation != g->generation)
        return PROTO_ERR_ILLEGAL_GENERATION;
    struct group_member *m = group_member_find(g, member_id);
    switch (g->state) {
    case GROUP_EMPTY: return PROTO_ERR_UNKNOWN_MEMBER_ID;
    case GROUP_PREPARING_REBALANCE:
        schedule_session(g, m, m->session_timeout_ms);
        return PROTO_ERR_REBALANCE_IN_PROGRESS;
    default: schedule_session(g, m, m->session_timeout_ms); return PROTO_ERR_NONE;
    }
}

int16_t group_leave(struct group *g, const char *member_id, const char *instance_id)
{
    if (g->state == GROUP_DEAD)
        return PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    if (!member_id[0] && instance_id) {
        struct group_member *s = group_members_find_static(g, instance_id);
        if (!s)
            return PROTO_ERR_UNKNOWN_MEMBER_ID;
        member_id = s->id;
    }
    struct group_member *pm = group_members_find_pending(g, member_id);
    if (pm) {
        group_members_del_pending(g, pm);
        member_drop(g, pm, PROTO_ERR_UNKNOWN_MEMBER_ID);
        group_settle(g);
        return PROTO_ERR_NONE;
    }
    if (fenced(g, member_id, instance_id))
        return PROTO_ERR_FENCED_INSTANCE_ID;
    struct group_member *m = group_member_find(g, member_id);
    if (!m)
        return PROTO_ERR_UNKNOWN_MEMBER_ID;
    remove_member_and_update(g, m, "it left the group");
    group_settle(g);
    return PROTO_ERR_NONE;
}

int16_t group_commit_check(struct group *g, int32_t generation, const char *member_id,
                           const char *instance_id)
{
    if (g->state == GROUP_DEAD)
        return PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    if (fenced(g, member_id, instance_id))
        return PROTO_ERR_FENCED_INSTANCE_ID;
    if (generation < 0 && g->state == GROUP_EMPTY)
        return PROTO_ERR_NONE; /* the group only stores offsets */
    struct group_member *m = group_member_find(g, member_id);
    if (!m)
        return PROTO_ERR_UNKNOWN_MEMBER_ID;
    if (generation != g->generation)
        return PROTO_ERR_ILLEGAL_GENERATION;
    if (g->state == GROUP_COMPLETING_REBALANCE)
        return PROTO_ERR_REBALANCE_IN_PROGRESS;
    schedule_session(g, m, m->session_timeout_ms);
    return PROTO_ERR_NONE;
}

bool group_subscribed_to(const struct group *g, const char *topic)
{
    if (!g->protocol_type || strcmp(g->protocol_type, "consumer"))
        return true;
    for (struct group_member *m = g->members; m; m = m->next) {
        const struct group_protocol *p =
            g->protocol_name ? group_member_protocol(m, g->protocol_name) : NULL;
        if (!p && m->nprotocols)
            p = &m->protocols[0];
        if (p && group_member_subscribes(p->meta, p->len, topic) != 0)
            return true;
    }
    return false;
}

bool group_is_idle(const struct group *g)
{
    return g->state == GROUP_EMPTY && !g->members && !g->pending &&
           group_offsets_count(&g->offsets) == 0;
}

/* One restored member: its record's metadata as its only protocol (the
 * chosen one, all Kafka keeps), its assignment, no session yet. */
static int restore_member(struct group *g, const struct group_record *r,
                          const struct group_record_member *rm)
{
    const char *names[] = {r->protocol_name};
    const uint8_t *meta[] = {rm->meta};
    const int32_t len[] = {rm->meta_len};
    struct group_join_params p = {.instance_id = rm->instance_id,
                                  .client_id = rm->client_id,
                                  .client_host = rm->client_host,
                                  .session_timeout_ms = rm->session_timeout_ms,
                                  .rebalance_timeout_ms = rm->rebalance_timeout_ms,
                                  .protocol_names = names,
                                  .protocol_meta = meta,
                                  .protocol_len = len,
                                  .nprotocols = 1};
    char *id = strdup(rm->member_id);
    struct group_member *m = id ? group_member_new(g, id, &p, session_ended) : NULL;
    if (!m) {
        free(id);
        return GR_E_NOMEM;
    }
    if (group_member_set_assignment(m, rm->assignment, rm->assignment_len) ||
        group_members_add(g, m)) {
        group_member_free(m);
        return GR_E_NOMEM;
    }
    return 0;
}

int group_restore(struct group *g, const struct group_record *r)
{
    if (g->state != GROUP_EMPTY || g->generation || g->members || g->pending || g->protocol_type)
        return GR_E_STATE;
    bool stable = r->state == GROUP_STABLE;
    int rc = set_str(&g->protocol_type, r->protocol_type) &&
                     set_str(&g->protocol_name, stable ? r->protocol_name : NULL) &&
                     set_str(&g->leader_id, stable ? r->leader_id : NULL)
                 ? 0
                 : GR_E_NOMEM;
    for (int i = 0; !rc && stable && i < r->nmembers; i++)
        rc = restore_member(g, r, &r->members[i]);
    if (rc) {
        while (g->members) {
            struct group_member *m = g->members;
            group_members_del(g, m);
            member_drop(g, m, PROTO_ERR_NONE);
        }
        set_str(&g->protocol_type, NULL);
        set_str(&g->protocol_name, NULL);
        set_str(&g->leader_id, NULL);
        return rc;
    }
    g->generation = r->generation;
    g->state = r->state;
    g->state_since_ms = r->state_since_ms;
    return 0;
}

void group_loaded(struct group *g)
{
    for (struct group_member *m = g->members; m; m = m->next)
        schedule_session(g, m, m->session_timeout_ms);
    if (g->state == GROUP_STABLE)
        group_owners_publish(g);
}
