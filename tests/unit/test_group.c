/*
 * The group coordinator's pure parts: Kafka's group-to-partition hash
 * (broker/group/group_hash.c) against values Java computes, and the group
 * state machine (broker/group/group.c) on a real libev loop and delay
 * facility, its answers taken from the member keys the way a parked
 * request takes them.
 */
#include <CUnit/CUnit.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/group/group.h"
#include "broker/group/group_hash.h"
#include "broker/proto/proto_errors.h"
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
    CU_SuiteInfo suites[] = {{"group hash", NULL, NULL, NULL, NULL, hash},
                             {"group state machine", setup, teardown, NULL, NULL, machine},
                             CU_SUITE_INFO_NULL};
    return test_main("test_group", suites);
}
