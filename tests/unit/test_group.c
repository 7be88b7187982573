/*
 * The group coordinator's pure parts: Kafka's group-to-partition hash
 * (broker/group/group_hash.c) against values Java computes, the group
 * state machine (broker/group/group.c) on a real libev loop and delay
 * facility, its answers taken from the member keys the way a parked
 * request takes them, and the membership record a new coordinator
 * restores a group from (broker/group/group_persist.c): its JSON both
 * ways, what it refuses, and which of two records stays.
 */
#include <CUnit/CUnit.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/group/group.h"
#include "broker/group/group_hash.h"
#include "broker/group/group_persist.h"
#include "broker/proto/proto_errors.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

/* ---- the hash ------------------------------------------------------------ */

static void test_java_hash(void)
{
    /* String.hashCode() as Java returns it */
    CU_ASSERT_EQUAL(group_hash_java("", 0), 0);
    CU_ASSERT_EQUAL(group_hash_java("a", 1), 97);
    CU_ASSERT_EQUAL(group_hash_java("abc", 3), 96354);
    CU_ASSERT_EQUAL(group_hash_java("my-group", 8), -1906497762);
    CU_ASSERT_EQUAL(group_hash_java("console-consumer-12345", 22), 158455506);
    CU_ASSERT_EQUAL(group_hash_java("polygenelubricants", 18), INT32_MIN);
    /* UTF-8 decoded to UTF-16: é is one unit, U+1F600 a surrogate pair */
    CU_ASSERT_EQUAL(group_hash_java("h\xc3\xa9llo", 6), 103094734);
    CU_ASSERT_EQUAL(group_hash_java("\xf0\x9f\x98\x80", 4), 1772899);
    CU_ASSERT_EQUAL(group_hash_java("group\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", 13), 507325873);
}

static void test_partition_for(void)
{
    CU_ASSERT_EQUAL(group_hash_partition("a", 1, 50), 47);
    CU_ASSERT_EQUAL(group_hash_partition("my-group", 8, 50), 12);
    CU_ASSERT_EQUAL(group_hash_partition("console-consumer-12345", 22, 50), 6);
    /* Utils.abs(Integer.MIN_VALUE) is 0 in Kafka */
    CU_ASSERT_EQUAL(group_hash_partition("polygenelubricants", 18, 50), 0);
    CU_ASSERT_EQUAL(group_hash_partition("\xf0\x9f\x98\x80", 4, 50), 49);
    CU_ASSERT_EQUAL(group_hash_partition("abc", 3, 1), 0);
}

/* ---- the state machine ----------------------------------------------------- */

static struct ev_loop *loop;
static struct delay delay;
static struct broker_config cfg;
static struct broker broker;

static int setup(void)
{
    loop = ev_loop_new(EVFLAG_AUTO);
    delay_init(&delay, loop);
    if (broker_config_init(&cfg))
        return -1;
    cfg.group_min_session_timeout_ms = 1;
    cfg.group_initial_rebalance_delay_ms = 0;
    broker = (struct broker){.loop = loop, .cfg = &cfg, .delay = &delay};
    return 0;
}

static int teardown(void)
{
    broker_config_destroy(&cfg); /* each suite's setup makes its own */
    delay_destroy(&delay);
    ev_loop_destroy(loop);
    return 0;
}

/* A parked JoinGroup or SyncGroup: what the member's key delivered. */
struct waiter {
    struct delay_op op; /* first: the callbacks cast back */
    struct delay_watch w;
    bool answered;
    int16_t error;
    int32_t generation;
    char member_id[128];
    char leader[128];
    int nmembers;        /* in the leader's answer */
    char assignment[32]; /* SyncGroup */
    bool sync;
};

static bool w_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct waiter *t = (struct waiter *)op;
    (void)w;
    t->answered = true;
    if (t->sync) {
        const struct group_sync_result *r = arg;
        t->error = r->error;
        memcpy(t->assignment, r->assignment ? (const char *)r->assignment : "", (size_t)r->len);
        t->assignment[r->len] = 0;
    } else {
        const struct group_join_result *r = arg;
        t->error = r->error;
        t->generation = r->generation;
        strcpy(t->member_id, r->member_id);
        strcpy(t->leader, r->leader);
        t->nmembers = r->nmembers;
    }
    return true;
}

static void w_done(struct delay_op *op, bool timed_out)
{
    (void)op;
    (void)timed_out;
}

static void park(struct waiter *t, struct group_member *m, bool sync)
{
    memset(t, 0, sizeof(*t));
    t->sync = sync;
    delay_op_init(&t->op, w_ready, w_done);
    delay_watch(&delay, &t->op, &t->w, delay_key(m, sync ? DELAY_GROUP_SYNC : DELAY_GROUP_JOIN), 0);
    delay_start(&delay, &t->op, -1);
}

/* Runs the loop until cond or a second has passed. */
#define RUN_UNTIL(cond)                                                                            \
    do {                                                                                           \
        for (int spin_ = 0; spin_ < 200 && !(cond); spin_++) {                                     \
            ev_now_update(loop);                                                                   \
            ev_run(loop, EVRUN_NOWAIT);                                                            \
            struct timespec ts_ = {0, 5000000};                                                    \
            nanosleep(&ts_, NULL);                                                                 \
        }                                                                                          \
    } while (0)

static const char *proto_names[] = {"range", "roundrobin"};
static const uint8_t meta_a[] = {0, 1, 'a'}, meta_b[] = {0, 1, 'b'};
static const uint8_t *metas[] = {meta_a, meta_b};
static const int32_t lens[] = {3, 3};

static struct group_join_params params(const char *member_id, const char *instance_id)
{
    return (struct group_join_params){.member_id = member_id,
                                      .instance_id = instance_id,
                                      .client_id = "c",
                                      .client_host = "/127.0.0.1",
                                      .session_timeout_ms = 10000,
                                      .rebalance_timeout_ms = 10000,
                                      .protocol_type = "consumer",
                                      .protocol_names = proto_names,
                                      .protocol_meta = metas,
                                      .protocol_len = lens,
                                      .nprotocols = 2,
                                      .require_known_member_id = true};
}

/* Joins a new dynamic member through the KIP-394 round trip and parks its
 * JoinGroup; returns the member. */
static struct group_member *join_new(struct group *g, struct waiter *t)
{
    struct group_join_params p = params("", NULL);
    struct group_join_result res;
    struct group_member *m;
    CU_ASSERT_TRUE_FATAL(group_join(g, &p, &res, &m));
    CU_ASSERT_EQUAL_FATAL(res.error, PROTO_ERR_MEMBER_ID_REQUIRED);
    CU_ASSERT_TRUE_FATAL(res.member_id[0] == 'c' && res.member_id[1] == '-');
    char id[128];
    strcpy(id, res.member_id);
    p = params(id, NULL);
    CU_ASSERT_FALSE_FATAL(group_join(g, &p, &res, &m));
    park(t, m, false);
    group_settle(g);
    return m;
}

static void test_two_members(void)
{
    struct group *g = group_new(&broker, "g", 0);
    struct waiter j1, j2, s2;
    struct group_member *m1 = join_new(g, &j1);
    struct group_member *m2 = join_new(g, &j2);
    RUN_UNTIL(j1.answered && j2.answered);
    CU_ASSERT_TRUE_FATAL(j1.answered && j2.answered);
    CU_ASSERT_EQUAL(j1.error, 0);
    CU_ASSERT_EQUAL(j1.generation, 1);
    CU_ASSERT_EQUAL(j2.generation, 1);
    CU_ASSERT_STRING_EQUAL(j1.leader, m1->id); /* the first member leads */
    CU_ASSERT_EQUAL(j1.nmembers, 2);           /* only the leader gets the list */
    CU_ASSERT_EQUAL(j2.nmembers, 0);
    CU_ASSERT_EQUAL(g->state, GROUP_COMPLETING_REBALANCE);
    CU_ASSERT_STRING_EQUAL(g->protocol_name, "range");

    /* the follower syncs first and waits; the leader's sync answers both */
    struct group_sync_result sr;
    struct group_member *w;
    CU_ASSERT_FALSE(group_sync(g, 1, m2->id, NULL, NULL, 0, &sr, &w));
    park(&s2, w, true);
    struct group_assignment a[] = {{m1->id, (const uint8_t *)"A1", 2},
                                   {m2->id, (const uint8_t *)"A2", 2}};
    CU_ASSERT_TRUE(group_sync(g, 1, m1->id, NULL, a, 2, &sr, &w));
    CU_ASSERT_EQUAL(sr.error, 0);
    CU_ASSERT_EQUAL(sr.len, 2);
    CU_ASSERT_TRUE(s2.answered);
    CU_ASSERT_STRING_EQUAL(s2.assignment, "A2");
    CU_ASSERT_EQUAL(g->state, GROUP_STABLE);

    /* heartbeats: the right generation, a stale one, an unknown member */
    CU_ASSERT_EQUAL(group_heartbeat(g, 1, m1->id, NULL), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(group_heartbeat(g, 0, m1->id, NULL), PROTO_ERR_ILLEGAL_GENERATION);
    CU_ASSERT_EQUAL(group_heartbeat(g, 1, "nobody", NULL), PROTO_ERR_UNKNOWN_MEMBER_ID);
    CU_ASSERT_EQUAL(group_commit_check(g, 0, m1->id, NULL), PROTO_ERR_ILLEGAL_GENERATION);
    CU_ASSERT_EQUAL(group_commit_check(g, 1, m1->id, NULL), PROTO_ERR_NONE);

    /* the leader leaves: a rebalance, which the other member hears of */
    CU_ASSERT_EQUAL(group_leave(g, m1->id, NULL), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(g->state, GROUP_PREPARING_REBALANCE);
    CU_ASSERT_EQUAL(group_heartbeat(g, 1, m2->id, NULL), PROTO_ERR_REBALANCE_IN_PROGRESS);
    struct group_join_params p = params(m2->id, NULL);
    struct group_join_result res;
    CU_ASSERT_FALSE_FATAL(group_join(g, &p, &res, &w));
    park(&j2, w, false);
    group_settle(g);
    CU_ASSERT_TRUE(j2.answered);
    CU_ASSERT_EQUAL(j2.generation, 2);
    CU_ASSERT_STRING_EQUAL(j2.leader, m2->id);
    CU_ASSERT_EQUAL(j2.nmembers, 1);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

static void test_bad_joins(void)
{
    struct group *g = group_new(&broker, "bad", 0);
    struct group_join_result res;
    struct group_member *w;
    struct group_join_params p = params("", NULL);
    p.nprotocols = 0; /* no protocols */
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_INCONSISTENT_GROUP_PROTOCOL);
    p = params("", NULL);
    p.session_timeout_ms = cfg.group_max_session_timeout_ms + 1;
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_INVALID_SESSION_TIMEOUT);
    p = params("someone", NULL);
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_UNKNOWN_MEMBER_ID);
    CU_ASSERT_TRUE(group_is_idle(g));

    /* a member of another protocol type cannot join a consumer group */
    struct waiter j;
    join_new(g, &j);
    RUN_UNTIL(j.answered);
    p = params("", NULL);
    p.protocol_type = "connect";
    p.require_known_member_id = false;
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_INCONSISTENT_GROUP_PROTOCOL);
    /* nor can one whose protocols no member shares */
    const char *other[] = {"sticky"};
    p = params("", NULL);
    p.protocol_names = other;
    p.nprotocols = 1;
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_INCONSISTENT_GROUP_PROTOCOL);
    /* metadata past the limit */
    static uint8_t big[(1 << 20) + 1];
    const uint8_t *bigm[] = {big};
    const int32_t biglen[] = {sizeof(big)};
    p = params("", NULL);
    p.protocol_meta = bigm;
    p.protocol_len = biglen;
    p.nprotocols = 1;
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_INVALID_REQUEST);
    CU_ASSERT_EQUAL(g->nmembers, 1);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

static void test_static_member(void)
{
    struct group *g = group_new(&broker, "static", 0);
    struct group_join_result res;
    struct group_member *w;
    struct group_join_params p = params("", "inst-1");
    struct waiter j;
    CU_ASSERT_FALSE_FATAL(group_join(g, &p, &res, &w)); /* static: no MEMBER_ID_REQUIRED */
    park(&j, w, false);
    group_settle(g);
    RUN_UNTIL(j.answered);
    CU_ASSERT_EQUAL(j.generation, 1);
    char old[128];
    strcpy(old, j.member_id);
    struct group_sync_result sr;
    struct group_assignment a[] = {{old, (const uint8_t *)"X", 1}};
    CU_ASSERT_TRUE(group_sync(g, 1, old, "inst-1", a, 1, &sr, &w));
    CU_ASSERT_EQUAL(g->state, GROUP_STABLE);

    /* it restarts: a new member id, same generation, no rebalance */
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, 0);
    CU_ASSERT_EQUAL(res.generation, 1);
    CU_ASSERT_STRING_NOT_EQUAL(res.member_id, old);
    char new_id[128];
    strcpy(new_id, res.member_id);
    CU_ASSERT_EQUAL(g->state, GROUP_STABLE);
    /* the old incarnation is fenced; the new one syncs its old assignment */
    CU_ASSERT_EQUAL(group_heartbeat(g, 1, old, "inst-1"), PROTO_ERR_FENCED_INSTANCE_ID);
    CU_ASSERT_TRUE(group_sync(g, 1, new_id, "inst-1", NULL, 0, &sr, &w));
    CU_ASSERT_EQUAL(sr.error, 0);
    CU_ASSERT_TRUE(sr.len == 1 && sr.assignment[0] == 'X');
    /* leaving by instance id alone */
    CU_ASSERT_EQUAL(group_leave(g, "", "inst-1"), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(g->nmembers, 0);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

static void test_session_expiry(void)
{
    struct group *g = group_new(&broker, "expiry", 0);
    struct waiter j;
    struct group_member *m = join_new(g, &j);
    RUN_UNTIL(j.answered);
    struct group_sync_result sr;
    struct group_member *w;
    CU_ASSERT_TRUE(group_sync(g, 1, m->id, NULL, NULL, 0, &sr, &w));
    /* a short session the member never renews: it is removed, the group empties */
    m->session_timeout_ms = 20;
    CU_ASSERT_EQUAL(group_heartbeat(g, 1, m->id, NULL), PROTO_ERR_NONE);
    RUN_UNTIL(g->state == GROUP_EMPTY);
    CU_ASSERT_EQUAL(g->state, GROUP_EMPTY);
    CU_ASSERT_EQUAL(g->nmembers, 0);
    CU_ASSERT_EQUAL(g->generation, 2);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

/* Each member votes for its first protocol that every member supports. */
static void test_protocol_vote(void)
{
    struct group *g = group_new(&broker, "vote", 0);
    const char *rr_first[] = {"roundrobin", "range"}, *rr_only[] = {"roundrobin"};
    struct waiter j[3];
    struct group_join_result res;
    struct group_member *w;
    for (int i = 0; i < 3; i++) {
        struct group_join_params p = params("", NULL);
        p.require_known_member_id = false;
        if (i == 1)
            p.protocol_names = rr_first;
        if (i == 2) {
            p.protocol_names = rr_only;
            p.nprotocols = 1;
        }
        CU_ASSERT_FALSE_FATAL(group_join(g, &p, &res, &w));
        park(&j[i], w, false);
        group_settle(g); /* the initial delay (0) ends at the loop's next turn */
    }
    RUN_UNTIL(g->state == GROUP_COMPLETING_REBALANCE && g->nmembers == 3);
    CU_ASSERT_EQUAL(g->nmembers, 3);
    /* range is not supported by the third member: roundrobin wins */
    CU_ASSERT_PTR_NOT_NULL_FATAL(g->protocol_name);
    CU_ASSERT_STRING_EQUAL(g->protocol_name, "roundrobin");
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

static void test_max_size(void)
{
    int32_t saved = cfg.group_max_size;
    cfg.group_max_size = 1;
    struct group *g = group_new(&broker, "full", 0);
    struct waiter j;
    join_new(g, &j);
    RUN_UNTIL(j.answered);
    struct group_join_params p = params("", NULL);
    struct group_join_result res;
    struct group_member *w;
    CU_ASSERT_TRUE(group_join(g, &p, &res, &w));
    CU_ASSERT_EQUAL(res.error, PROTO_ERR_GROUP_MAX_SIZE_REACHED);
    cfg.group_max_size = saved;
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
}

/* ---- membership records ---------------------------------------------------- */

/* A Stable group of generation 1 under coordinator epoch 7: a dynamic
 * leader and a static member, each with its assignment. */
static struct group *stable_group(void)
{
    struct group *g = group_new(&broker, "rec", 3);
    g->coord_epoch = 7;
    struct waiter j1, j2;
    struct group_member *m1 = join_new(g, &j1), *m2;
    struct group_join_params p = params("", "inst-2");
    struct group_join_result res;
    CU_ASSERT_FALSE_FATAL(group_join(g, &p, &res, &m2));
    park(&j2, m2, false);
    group_settle(g);
    RUN_UNTIL(j1.answered && j2.answered);
    CU_ASSERT_TRUE_FATAL(j1.answered && j2.answered && j1.generation == 1);
    struct group_sync_result sr;
    struct group_member *w;
    struct group_assignment a[] = {{m1->id, (const uint8_t *)"\x00\x01\xff", 3},
                                   {m2->id, (const uint8_t *)"A2", 2}};
    CU_ASSERT_TRUE(group_sync(g, 1, m1->id, NULL, a, 2, &sr, &w));
    CU_ASSERT_EQUAL_FATAL(g->state, GROUP_STABLE);
    return g;
}

static void decode_ok(const char *js, struct group_record *r)
{
    char why[256];
    int rc = group_persist_decode(js, strlen(js), r, why, sizeof(why));
    if (rc)
        fprintf(stderr, "decode: %s\n", why);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_record_round_trip(void)
{
    struct group *g = stable_group();
    size_t len;
    int err;
    char *js = group_persist_encode(g, &len, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js);
    CU_ASSERT_EQUAL(len, strlen(js));
    struct group_record r;
    decode_ok(js, &r);
    CU_ASSERT_EQUAL(r.coord_epoch, 7);
    CU_ASSERT_EQUAL(r.generation, 1);
    CU_ASSERT_EQUAL(r.state, GROUP_STABLE);
    CU_ASSERT_EQUAL(r.state_since_ms, g->state_since_ms);
    CU_ASSERT_STRING_EQUAL(r.protocol_type, "consumer");
    CU_ASSERT_STRING_EQUAL(r.protocol_name, "range");
    CU_ASSERT_STRING_EQUAL(r.leader_id, g->leader_id);
    CU_ASSERT_EQUAL_FATAL(r.nmembers, 2);
    const struct group_record_member *a = &r.members[0], *b = &r.members[1];
    CU_ASSERT_STRING_EQUAL(a->member_id, g->members->id);
    CU_ASSERT_PTR_NULL(a->instance_id);
    CU_ASSERT_STRING_EQUAL(a->client_id, "c");
    CU_ASSERT_STRING_EQUAL(a->client_host, "/127.0.0.1");
    CU_ASSERT_EQUAL(a->session_timeout_ms, 10000);
    CU_ASSERT_EQUAL(a->rebalance_timeout_ms, 10000);
    /* only the chosen protocol's metadata, bytes as they were */
    CU_ASSERT_TRUE(a->meta_len == 3 && !memcmp(a->meta, meta_a, 3));
    CU_ASSERT_TRUE(a->assignment_len == 3 && !memcmp(a->assignment, "\x00\x01\xff", 3));
    CU_ASSERT_STRING_EQUAL(b->instance_id, "inst-2");
    CU_ASSERT_TRUE(b->assignment_len == 2 && !memcmp(b->assignment, "A2", 2));

    /* the new coordinator's group: the same generation, members and assignments */
    char m1[128], m2[128];
    strcpy(m1, a->member_id);
    strcpy(m2, b->member_id);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
    struct group *h = group_new(&broker, "rec", 3);
    CU_ASSERT_EQUAL_FATAL(group_restore(h, &r), 0);
    CU_ASSERT_EQUAL(group_restore(h, &r), GR_E_STATE); /* a retried load leaves it */
    group_loaded(h);
    CU_ASSERT_EQUAL(h->state, GROUP_STABLE);
    CU_ASSERT_EQUAL(h->generation, 1);
    CU_ASSERT_EQUAL(h->nmembers, 2);
    CU_ASSERT_STRING_EQUAL(h->leader_id, m1);
    CU_ASSERT_EQUAL(group_heartbeat(h, 1, m1, NULL), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(group_heartbeat(h, 0, m1, NULL), PROTO_ERR_ILLEGAL_GENERATION);
    CU_ASSERT_EQUAL(group_heartbeat(h, 1, "other", "inst-2"), PROTO_ERR_FENCED_INSTANCE_ID);
    CU_ASSERT_EQUAL(group_commit_check(h, 1, m2, "inst-2"), PROTO_ERR_NONE);
    struct group_sync_result sr;
    struct group_member *w;
    CU_ASSERT_TRUE(group_sync(h, 1, m2, "inst-2", NULL, 0, &sr, &w));
    CU_ASSERT_TRUE(sr.error == 0 && sr.len == 2 && !memcmp(sr.assignment, "A2", 2));
    /* and it writes the record it was restored from */
    h->coord_epoch = 7;
    size_t len2;
    char *js2 = group_persist_encode(h, &len2, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js2);
    CU_ASSERT_STRING_EQUAL(js2, js);
    free(js);
    free(js2);
    group_record_free(&r);
    CU_ASSERT_PTR_NULL(r.members);
    group_free(h, PROTO_ERR_NOT_COORDINATOR);
}

/* Restored members have no session until the load is done; then one that
 * never heartbeats (it died with the old coordinator) is removed a
 * session timeout later, and the group empties. The Empty group's record
 * keeps its generation and when it went Empty. */
static void test_record_sessions_and_empty(void)
{
    struct group *g = stable_group();
    size_t len;
    int err;
    char *js = group_persist_encode(g, &len, &err);
    group_free(g, PROTO_ERR_NOT_COORDINATOR);
    struct group_record r;
    decode_ok(js, &r);
    free(js);
    for (int i = 0; i < r.nmembers; i++)
        r.members[i].session_timeout_ms = r.members[i].rebalance_timeout_ms = 20;
    struct group *h = group_new(&broker, "rec", 3);
    CU_ASSERT_EQUAL_FATAL(group_restore(h, &r), 0);
    group_record_free(&r);
    for (int i = 0; i < 20; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
        ev_run(loop, EVRUN_NOWAIT);
    }
    CU_ASSERT_EQUAL(h->nmembers, 2); /* still loading: nobody expires */
    group_loaded(h);
    RUN_UNTIL(h->state == GROUP_EMPTY);
    CU_ASSERT_EQUAL_FATAL(h->state, GROUP_EMPTY);
    CU_ASSERT_EQUAL(h->generation, 2);
    CU_ASSERT_EQUAL(h->nmembers, 0);

    h->coord_epoch = 8;
    js = group_persist_encode(h, &len, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js);
    decode_ok(js, &r);
    free(js);
    CU_ASSERT_EQUAL(r.state, GROUP_EMPTY);
    CU_ASSERT_EQUAL(r.coord_epoch, 8);
    CU_ASSERT_EQUAL(r.generation, 2);
    CU_ASSERT_EQUAL(r.nmembers, 0);
    CU_ASSERT_STRING_EQUAL(r.protocol_type, "consumer");
    CU_ASSERT_PTR_NULL(r.protocol_name);
    CU_ASSERT_PTR_NULL(r.leader_id);
    CU_ASSERT_EQUAL(r.state_since_ms, h->state_since_ms);
    struct group *k = group_new(&broker, "rec", 3);
    CU_ASSERT_EQUAL(group_restore(k, &r), 0);
    CU_ASSERT_EQUAL(k->state, GROUP_EMPTY);
    CU_ASSERT_EQUAL(k->generation, 2);
    CU_ASSERT_STRING_EQUAL(k->protocol_type, "consumer");
    CU_ASSERT_EQUAL(k->state_since_ms, h->state_since_ms); /* retention counts from here */
    group_record_free(&r);
    group_free(h, PROTO_ERR_NOT_COORDINATOR);
    group_free(k, PROTO_ERR_NOT_COORDINATOR);
    /* a group in the middle of a rebalance has no record */
    struct group *m = group_new(&broker, "mid", 0);
    struct waiter j;
    join_new(m, &j);
    CU_ASSERT_PTR_NULL(group_persist_encode(m, &len, &err));
    CU_ASSERT_EQUAL(err, GR_E_STATE);
    RUN_UNTIL(j.answered);
    group_free(m, PROTO_ERR_NOT_COORDINATOR);
}

static const char valid_record[] =
    "{\"version\":1,\"coordinator_epoch\":3,\"generation\":2,\"state\":\"Stable\","
    "\"protocol_type\":\"consumer\",\"protocol\":\"range\",\"leader\":\"m1\","
    "\"current_state_timestamp\":1000,\"members\":[{\"member_id\":\"m1\","
    "\"group_instance_id\":\"i1\",\"client_id\":\"c\",\"client_host\":\"/h\","
    "\"session_timeout\":10000,\"rebalance_timeout\":10000,\"subscription\":\"AAE=\","
    "\"assignment\":\"\"}]}";
/* A second member, to append to valid_record's first. */
#define MEMBER(id, instance)                                                                       \
    ",{\"member_id\":\"" id "\",\"group_instance_id\":" instance ",\"client_id\":\"c\","           \
    "\"client_host\":\"/h\",\"session_timeout\":0,\"rebalance_timeout\":-1,"                       \
    "\"subscription\":\"/+8=\",\"assignment\":\"AA==\"}]}"
#define MEMBER2 MEMBER("m2", "null")

/* valid_record with its first from replaced by to. */
static char *with(const char *from, const char *to)
{
    static char buf[2048];
    const char *at = strstr(valid_record, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - valid_record), valid_record, to,
             at + strlen(from));
    return buf;
}

static void test_record_decode(void)
{
    struct group_record r;
    decode_ok(valid_record, &r);
    CU_ASSERT_TRUE(r.members[0].meta_len == 2 && !memcmp(r.members[0].meta, "\x00\x01", 2));
    CU_ASSERT_PTR_NULL(r.members[0].assignment);
    CU_ASSERT_EQUAL(r.members[0].assignment_len, 0);
    CU_ASSERT_STRING_EQUAL(r.members[0].instance_id, "i1");
    group_record_free(&r);
    /* a second member: every padding of base64, timeouts as odd as a JoinGroup may carry */
    decode_ok(with("}]}", "}" MEMBER2), &r);
    CU_ASSERT_EQUAL_FATAL(r.nmembers, 2);
    CU_ASSERT_TRUE(r.members[1].meta_len == 2 && !memcmp(r.members[1].meta, "\xff\xef", 2));
    CU_ASSERT_TRUE(r.members[1].assignment_len == 1 && r.members[1].assignment[0] == 0);
    CU_ASSERT_PTR_NULL(r.members[1].instance_id);
    CU_ASSERT_EQUAL(r.members[1].session_timeout_ms, 0);
    CU_ASSERT_EQUAL(r.members[1].rebalance_timeout_ms, -1);
    group_record_free(&r);
    decode_ok(with("AAE=", "AAAA"), &r);
    CU_ASSERT_EQUAL(r.members[0].meta_len, 3);
    group_record_free(&r);
}

static void test_record_malformed(void)
{
    static const struct {
        const char *from, *to, *reason; /* the reason names what is wrong */
    } bad[] = {
        {"\"version\":1", "\"version\":2", "version 2"},
        {"\"version\":1,", "", "version"},
        {"\"state\":\"Stable\"", "\"state\":\"Dead\"", "state"},
        {"\"state\":\"Stable\"", "\"state\":\"Empty\"", "Empty group with 1 members"},
        {"\"generation\":2", "\"generation\":-1", "generation"},
        {"\"generation\":2", "\"generation\":2.5", "generation"},
        {"\"generation\":2", "\"generation\":\"2\"", "generation"},
        {"\"coordinator_epoch\":3", "\"coordinator_epoch\":2147483648", "coordinator_epoch"},
        {"\"current_state_timestamp\":1000", "\"current_state_timestamp\":null", "timestamp"},
        {"\"leader\":\"m1\"", "\"leader\":\"m9\"", "leader m9"},
        {"\"protocol\":\"range\"", "\"protocol\":null", "protocol"},
        {"\"protocol\":\"range\"", "\"protocol\":\"\"", "protocol"},
        {"\"protocol_type\":\"consumer\",", "", "protocol_type"},
        {"\"members\":[", "\"members\":7,\"x\":[", "members"},
        {"\"members\":[", "\"members\":[1,", "member 1"},
        {"\"members\":[{\"member_id\":\"m1\",\"group_instance_id\":\"i1\",\"client_id\":\"c\","
         "\"client_host\":\"/h\",\"session_timeout\":10000,\"rebalance_timeout\":10000,"
         "\"subscription\":\"AAE=\",\"assignment\":\"\"}]",
         "\"members\":[]", "Stable group with 0 members"},
        {"\"member_id\":\"m1\"", "\"member_id\":\"\"", "id"},
        {"\"member_id\":\"m1\",", "", "member_id"},
        {"\"client_id\":\"c\"", "\"client_id\":5", "client_id"},
        {"\"session_timeout\":10000", "\"session_timeout\":-1", "session_timeout"},
        {"\"session_timeout\":10000", "\"session_timeout\":4294967296", "session_timeout"},
        {"\"rebalance_timeout\":10000", "\"rebalance_timeout\":-2147483649", "rebalance_timeout"},
        {"\"subscription\":\"AAE=\"", "\"subscription\":\"AAE\"", "subscription"},
        {"\"subscription\":\"AAE=\"", "\"subscription\":\"A=AE\"", "subscription"},
        {"\"subscription\":\"AAE=\"", "\"subscription\":\"AA*=\"", "subscription"},
        {"\"subscription\":\"AAE=\"", "\"subscription\":\"====\"", "subscription"},
        {"\"assignment\":\"\"", "\"assignment\":null", "assignment"},
        {"}]}", "}" MEMBER2 "x", "JSON"}, /* trailing junk */
        {"}]}", "}" MEMBER("m1", "null"), "repeats"},
        {"}]}", "}" MEMBER("m2", "\"i1\""), "repeats"}, /* the same group.instance.id */
    };
    struct group_record r;
    char why[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *js = with(bad[i].from, bad[i].to);
        memset(&r, 0x5a, sizeof(r));
        int rc = group_persist_decode(js, strlen(js), &r, why, sizeof(why));
        if (rc != GR_E_CORRUPT || !why[0] || !strstr(why, bad[i].reason))
            fprintf(stderr, "\ncase %zu: rc %d, why \"%s\"\n", i, rc, why);
        CU_ASSERT_EQUAL(rc, GR_E_CORRUPT);
        CU_ASSERT_TRUE(why[0] != 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].reason));
        CU_ASSERT_TRUE(r.members == NULL && r.nmembers == 0 && r.protocol_type == NULL);
        group_record_free(&r);
    }
    /* not a record at all */
    const char *junk[] = {"", "hello", "[]", "{}", "null", "{\"version\":1"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        CU_ASSERT_EQUAL(group_persist_decode(junk[i], strlen(junk[i]), &r, why, sizeof(why)),
                        GR_E_CORRUPT);
        CU_ASSERT_TRUE(why[0] != 0);
        group_record_free(&r);
    }
    CU_ASSERT_EQUAL(group_persist_decode(NULL, 0, &r, why, sizeof(why)), GR_E_CORRUPT);
    /* truncated anywhere */
    for (size_t n = 0; n < sizeof(valid_record) - 1; n++) {
        CU_ASSERT_NOT_EQUAL(group_persist_decode(valid_record, n, &r, why, sizeof(why)), 0);
        group_record_free(&r);
    }
    /* larger than a record may be: refused before parsing */
    size_t big = GROUP_PERSIST_BYTES_MAX + 1;
    char *huge = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
    memset(huge, ' ', big);
    CU_ASSERT_EQUAL(group_persist_decode(huge, big, &r, why, sizeof(why)), GR_E_TOO_LARGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "bytes"));
    free(huge);
    /* a small reason buffer still ends in a NUL */
    char small[8];
    const char *js = with("\"leader\":\"m1\"", "\"leader\":\"m9\"");
    CU_ASSERT_EQUAL(group_persist_decode(js, strlen(js), &r, small, sizeof(small)), GR_E_CORRUPT);
    CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
}

/* Which record stays when a write meets another coordinator's. */
static void test_record_newer_wins(void)
{
    /* a higher coordinator epoch wins, whatever the generations */
    CU_ASSERT_TRUE(group_persist_yields(6, 1, 5, 9));
    CU_ASSERT_TRUE(group_persist_yields(6, 9, 5, 1));
    CU_ASSERT_FALSE(group_persist_yields(4, 9, 5, 1));
    CU_ASSERT_FALSE(group_persist_yields(-1, 3, 0, 0));
    /* the same epoch is this coordinator's own: its memory is newer */
    CU_ASSERT_FALSE(group_persist_yields(5, 2, 5, 2));
    CU_ASSERT_FALSE(group_persist_yields(5, 9, 5, 2));
}

int main(void)
{
    CU_TestInfo hash[] = {
        {"Java String.hashCode", test_java_hash},
        {"partitionFor with Kafka's abs", test_partition_for},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo machine[] = {
        {"two members: join, sync, heartbeat, leave", test_two_members},
        {"bad joins get Kafka's errors", test_bad_joins},
        {"static member restarts without a rebalance", test_static_member},
        {"session timeout removes a member", test_session_expiry},
        {"the protocol every member supports, by vote", test_protocol_vote},
        {"group.max.size", test_max_size},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo record[] = {
        {"a Stable group's record restores it", test_record_round_trip},
        {"restored sessions start at load; an Empty record", test_record_sessions_and_empty},
        {"decoding valid records", test_record_decode},
        {"malformed records are refused with a reason", test_record_malformed},
        {"the newer coordinator's record stays", test_record_newer_wins},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"group hash", NULL, NULL, NULL, NULL, hash},
                             {"group state machine", setup, teardown, NULL, NULL, machine},
                             {"group membership records", setup, teardown, NULL, NULL, record},
                             CU_SUITE_INFO_NULL};
    return test_main("test_group", suites);
}
