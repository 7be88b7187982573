/*
 * What one request may make the broker do (issue 9): repeated names found
 * in linear time (broker/api/dedupe.c), and the partition limits of topic
 * creation (broker/cluster/admin.c: gregor.create.partitions.max per
 * request, gregor.broker.partitions.max per live broker, manual assignments
 * no wider than the live brokers, name collisions by one lookup), checked
 * with validate_only against a hand-filled metadata cache, so no ZooKeeper
 * is needed. The same limits on the wire are in tests/integration/suite_req.py.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "broker/api/dedupe.h"
#include "broker/cluster/admin.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "common/arena.h"
#include "common/err.h"
#include "common/tp.h"
#include "tests/unit/testbroker.h"
#include "tests/unit/testutil.h"

/* ---- repeats ------------------------------------------------------------ */

struct entry {
    const char *name; /* NULL: a null string */
    size_t len;       /* bytes of name */
    int32_t num;
};

static void entry_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    const struct entry *e = &((const struct entry *)ctx)[i];
    *name = (struct proto_str){e->name, (int32_t)e->len};
    *num = e->num;
}

static void test_dedupe_first(void)
{
    struct arena a;
    arena_init(&a);
    const struct entry e[] = {
        {"t", 1, 0}, {"t", 1, 1}, {"t", 1, 0},      /* a repeat of entry 0 */
        {"t\0x", 3, 0},                            /* not "t": the bytes differ */
        {NULL, 0, 0}, {"", 0, 0}, {NULL, 0, 0},    /* null and empty differ */
        {"u", 1, 1}, {"t", 1, 1},
    };
    const int32_t want[] = {0, 1, 0, 3, 4, 5, 4, 7, 1};
    int32_t *first = dedupe_first(&a, 9, entry_key, e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    for (int i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(first[i], want[i]);
    CU_ASSERT_PTR_NOT_NULL(dedupe_first(&a, 0, entry_key, e));
    arena_destroy(&a);
}

static void test_dedupe_many(void)
{
    /* 200,000 entries naming 1,000 distinct partitions: each maps to the
     * first of its kind. */
    enum { N = 200000, DISTINCT = 1000 };
    struct entry *e = calloc(N, sizeof(*e));
    for (int i = 0; i < N; i++)
        e[i] = (struct entry){"topic", 5, i % DISTINCT};
    struct arena a;
    arena_init(&a);
    int32_t *first = dedupe_first(&a, N, entry_key, e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += first[i] != i % DISTINCT;
    CU_ASSERT_EQUAL(bad, 0);
    arena_destroy(&a);
    free(e);
}

/* ---- creation limits ---------------------------------------------------- */

#define ME 1

static void fx_init(struct testbroker *t)
{
    static const char *const config[] = {"gregor.create.partitions.max", "10",
                                         "gregor.broker.partitions.max", "30",
                                         "num.partitions", "4", NULL};
    testbroker_init(t, "reqlimits", ME, config);
    struct metadata *md = &t->md;
    md->brokers = calloc(1, sizeof(*md->brokers));
    md->brokers[0].id = ME;
    md->nbrokers = 1;
}

/* A cached topic of n one-replica partitions, counted as metadata.c counts. */
static void add_topic(struct testbroker *t, const char *name, int n)
{
    struct metadata_topic *mt = calloc(1, sizeof(*mt));
    mt->name = strdup(name);
    mt->id = tp_topic_intern(name, strlen(name));
    mt->nparts = n;
    mt->parts = calloc((size_t)n, sizeof(*mt->parts));
    for (int i = 0; i < n; i++) {
        mt->parts[i].id = i;
        mt->parts[i].nreplicas = 1;
        mt->parts[i].replicas = malloc(sizeof(int32_t));
        mt->parts[i].replicas[0] = ME;
        mt->parts[i].has_state = true;
        mt->parts[i].leader = ME;
    }
    mt->have_assignment = mt->have_config = true;
    CU_ASSERT_EQUAL_FATAL(strmap_put(&t->md.topics, name, mt), 0);
    t->md.nreplicas += n;
}

static int create(struct testbroker *t, const char *name, int32_t parts, struct admin_budget *bud,
                  char *msg)
{
    struct admin_topic_spec spec = {.name = name, .num_partitions = parts,
                                    .replication_factor = -1};
    return admin_create_topic(&t->b, &spec, true, bud, NULL, NULL, msg, 512);
}

static void test_partitions_per_request(void)
{
    struct testbroker t;
    fx_init(&t);
    struct admin_budget bud;
    char msg[512];
    admin_budget_init(&t.b, &bud);
    CU_ASSERT_EQUAL(create(&t, "a", 6, &bud, msg), GR_OK);
    /* 6 + 6 > 10: refused, naming the key; the refused 6 are not taken. */
    CU_ASSERT_EQUAL(create(&t, "b", 6, &bud, msg), GR_E_POLICY);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "gregor.create.partitions.max"));
    CU_ASSERT_EQUAL(create(&t, "c", 4, &bud, msg), GR_OK);
    CU_ASSERT_EQUAL(bud.partitions_left, 0);
    /* A new request starts again. */
    admin_budget_init(&t.b, &bud);
    CU_ASSERT_EQUAL(create(&t, "d", 10, &bud, msg), GR_OK);
    /* Auto-creation (num.partitions = 4) past the budget waits for a later
     * request, without a write. */
    bud.partitions_left = 3;
    CU_ASSERT_EQUAL(admin_auto_create(&t.b, "auto", &bud), GR_E_AGAIN);
    testbroker_destroy(&t);
}

static void test_partitions_per_broker(void)
{
    struct testbroker t;
    fx_init(&t);
    struct admin_budget bud;
    char msg[512];
    add_topic(&t, "full", 25);
    admin_budget_init(&t.b, &bud);
    /* 25 + 6 > 30 replicas on the one live broker. */
    CU_ASSERT_EQUAL(create(&t, "more", 6, &bud, msg), GR_E_POLICY);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "gregor.broker.partitions.max"));
    CU_ASSERT_EQUAL(bud.partitions_left, 10);
    CU_ASSERT_EQUAL(create(&t, "fits", 5, &bud, msg), GR_OK);
    /* Writes still under way count too. */
    t.b.admin_pending_replicas = 5;
    CU_ASSERT_EQUAL(create(&t, "fits2", 1, &bud, msg), GR_E_POLICY);
    t.b.admin_pending_replicas = 0;
    /* CreatePartitions: growing "full" from 25 to 31 passes 30. */
    CU_ASSERT_EQUAL(admin_create_partitions(&t.b, "full", 31, NULL, 0, true, &bud, NULL, NULL, msg,
                                            sizeof(msg)),
                    GR_E_POLICY);
    CU_ASSERT_EQUAL(admin_create_partitions(&t.b, "full", 27, NULL, 0, true, &bud, NULL, NULL, msg,
                                            sizeof(msg)),
                    GR_OK);
    testbroker_destroy(&t);
}

static void test_manual_assignment_bounds(void)
{
    struct testbroker t;
    fx_init(&t);
    struct admin_budget bud;
    char msg[512];
    admin_budget_init(&t.b, &bud);
    const int32_t two[] = {ME, 7};
    struct admin_replicas wide = {0, two, 2};
    struct admin_topic_spec spec = {.name = "m", .num_partitions = -1, .replication_factor = -1,
                                    .manual = &wide, .nmanual = 1};
    /* Two replicas, one live broker. */
    CU_ASSERT_EQUAL(admin_create_topic(&t.b, &spec, true, &bud, NULL, NULL, msg, sizeof(msg)),
                    GR_E_BAD_ASSIGNMENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "alive"));
    /* 100,000 partitions by hand: refused by the budget before the rows
     * are allocated. */
    enum { N = 100000 };
    const int32_t one[] = {ME};
    struct admin_replicas *rows = calloc(N, sizeof(*rows));
    for (int i = 0; i < N; i++)
        rows[i] = (struct admin_replicas){i, one, 1};
    spec.manual = rows;
    spec.nmanual = N;
    CU_ASSERT_EQUAL(admin_create_topic(&t.b, &spec, true, &bud, NULL, NULL, msg, sizeof(msg)),
                    GR_E_POLICY);
    spec.nmanual = 3;
    CU_ASSERT_EQUAL(admin_create_topic(&t.b, &spec, true, &bud, NULL, NULL, msg, sizeof(msg)),
                    GR_OK);
    free(rows);
    testbroker_destroy(&t);
}

static void test_name_collision(void)
{
    struct testbroker t;
    fx_init(&t);
    struct admin_budget bud;
    char msg[512];
    add_topic(&t, "a.b", 1);
    CU_ASSERT_EQUAL(strmap_put(&t.md.collide, "a_b", metadata_topic(&t.md, "a.b")), 0);
    admin_budget_init(&t.b, &bud);
    CU_ASSERT_EQUAL(create(&t, "a_b", 1, &bud, msg), GR_E_BAD_TOPIC);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "collides with existing topic: a.b"));
    CU_ASSERT_EQUAL(create(&t, "a.b", 1, &bud, msg), GR_E_TOPIC_EXISTS);
    CU_ASSERT_EQUAL(create(&t, "a_c", 1, &bud, msg), GR_OK);
    testbroker_destroy(&t);
}

int main(void)
{
    CU_TestInfo dedupe[] = {
        {"repeats map to their first entry", test_dedupe_first},
        {"200,000 entries, 1,000 distinct", test_dedupe_many},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo limits[] = {
        {"partitions per request", test_partitions_per_request},
        {"replicas per broker", test_partitions_per_broker},
        {"manual assignments are bounded", test_manual_assignment_bounds},
        {"name collisions by one lookup", test_name_collision},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        {"dedupe", NULL, NULL, NULL, NULL, dedupe},
        {"admin limits", NULL, NULL, NULL, NULL, limits},
        CU_SUITE_INFO_NULL,
    };
    return test_main("test_req_limits", suites);
}
