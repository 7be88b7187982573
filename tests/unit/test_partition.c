/*
 * The hosted partitions (broker/cluster/partition.c) against real logs on
 * disk and a real libev loop: the hosted set follows the metadata cache,
 * partition_lead() names why a partition cannot be used, and every change
 * wakes exactly the delayed operations waiting on that partition, which see
 * the change (role, removal) when they look.
 *
 * The metadata cache is filled by hand here, as its ZooKeeper reads would
 * fill it; metadata.c itself is exercised against a real ZooKeeper by the
 * integration tests.
 */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/core/delay.h"
#include "broker/log/log.h"
#include "broker/log/log_manager.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/tp.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testbroker.h"
#include "tests/unit/testutil.h"

#define ME    1 /* this broker */
#define OTHER 2 /* another live broker */
#define DEAD  3 /* a broker that is not registered */

struct fixture {
    struct testbroker t;
};

static void fx_init(struct fixture *f)
{
    testbroker_init(&f->t, "partition", ME, NULL);
    /* Live brokers: ME and OTHER (sorted, as the cache keeps them). */
    f->t.md.brokers = calloc(2, sizeof(*f->t.md.brokers));
    f->t.md.brokers[0].id = ME;
    f->t.md.brokers[1].id = OTHER;
    f->t.md.nbrokers = 2;
}

static void fx_destroy(struct fixture *f)
{
    testbroker_destroy(&f->t);
}

/* Adds a topic to the cache as ZooKeeper would describe it: partition i is
 * assigned to replicas[i][0..1] and led by leaders[i] at epoch 5. */
static struct metadata_topic *add_topic(struct fixture *f, const char *name, int n,
                                        const int32_t (*replicas)[2], const int32_t *leaders)
{
    struct metadata_topic *t = calloc(1, sizeof(*t));
    t->name = strdup(name);
    t->id = tp_topic_intern(name, strlen(name));
    t->parts = calloc((size_t)n, sizeof(*t->parts));
    t->nparts = n;
    for (int i = 0; i < n; i++) {
        struct metadata_partition *mp = &t->parts[i];
        mp->id = i;
        mp->nreplicas = 2;
        mp->replicas = malloc(2 * sizeof(int32_t));
        memcpy(mp->replicas, replicas[i], 2 * sizeof(int32_t));
        mp->has_state = true;
        mp->leader = leaders[i];
        mp->leader_epoch = 5;
        mp->isr = malloc(sizeof(int32_t));
        mp->isr[0] = leaders[i];
        mp->nisr = 1;
    }
    t->have_assignment = t->have_config = true;
    broker_config_log_defaults(&f->t.cfg, &t->log_config);
    CU_ASSERT_EQUAL_FATAL(strmap_put(&f->t.md.topics, name, t), 0);
    return t;
}

/* Frees a topic made by add_topic that is no longer in the cache. */
static void free_topic(struct metadata_topic *t)
{
    for (int i = 0; i < t->nparts; i++) {
        free(t->parts[i].replicas);
        free(t->parts[i].isr);
    }
    free(t->parts);
    tp_topic_unref(t->id);
    free(t->name);
    free(t);
}

static struct tp tp_of(const char *topic, int32_t partition)
{
    return (struct tp){tp_topic_find(topic, strlen(topic)), partition};
}

/* A delayed operation that watches one key and records what it saw. */
struct watcher {
    struct delay_op op;   /* first: callbacks cast back */
    struct delay_watch w; /* its one watch */
    int asked;            /* ready() calls */
    int completed;        /* complete() calls */
    bool saw_leader;      /* p->leader at the last ready() */
    bool saw_going;       /* p->going at the last ready() */
};

static bool w_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct watcher *x = (struct watcher *)op;
    struct partition *p = arg;
    (void)w;
    x->asked++;
    x->saw_leader = p->leader;
    x->saw_going = p->going;
    return p->going || !p->leader; /* as real waiters do: give up on a role change */
}

static void w_complete(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    ((struct watcher *)op)->completed++;
}

static void watch(struct fixture *f, struct watcher *x, struct partition *p, enum delay_event ev)
{
    memset(x, 0, sizeof(*x));
    delay_op_init(&x->op, w_ready, w_complete);
    CU_ASSERT_EQUAL_FATAL(delay_watch(&f->t.delay, &x->op, &x->w, partition_key(p, ev), 0), 0);
    delay_start(&f->t.delay, &x->op, -1);
}

static void test_hosted_set_follows_metadata(void)
{
    struct fixture f;
    fx_init(&f);
    /* p0 led here, p1 a follower here, p2 not assigned here. */
    const int32_t reps[3][2] = {{ME, OTHER}, {OTHER, ME}, {OTHER, DEAD}};
    const int32_t leaders[3] = {ME, OTHER, OTHER};
    add_topic(&f, "orders", 3, reps, leaders);
    partitions_sync(&f.t.b, NULL, -1);
    struct partition *p0 = partition_get(&f.t.b, tp_of("orders", 0));
    struct partition *p1 = partition_get(&f.t.b, tp_of("orders", 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
    CU_ASSERT_PTR_NULL(partition_get(&f.t.b, tp_of("orders", 2)));
    CU_ASSERT_EQUAL(tpmap_count(&f.t.b.parts), 2);
    CU_ASSERT_TRUE(p0->leader);
    CU_ASSERT_EQUAL(p0->leader_epoch, 5);
    CU_ASSERT_FALSE(p1->leader);
    /* The logs exist on disk, in Kafka's <topic>-<partition> directories. */
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/orders-0", f.t.dir);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/orders-2", f.t.dir);
    CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
    fx_destroy(&f);
}

static void test_lead_says_why_not(void)
{
    struct fixture f;
    fx_init(&f);
    const int32_t reps[3][2] = {{ME, OTHER}, {OTHER, ME}, {DEAD, ME}};
    const int32_t leaders[3] = {ME, OTHER, DEAD};
    add_topic(&f, "orders", 3, reps, leaders);
    partitions_sync(&f.t.b, NULL, -1);
    struct partition *p;
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 0), -1, &p), GR_OK);
    CU_ASSERT_PTR_EQUAL(p, partition_get(&f.t.b, tp_of("orders", 0)));
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 0), 5, &p), GR_OK);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 0), 4, &p), GR_E_FENCED_EPOCH);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 0), 6, &p), GR_E_UNKNOWN_EPOCH);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 1), -1, &p), GR_E_NOT_LEADER);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 2), -1, &p), GR_E_NO_LEADER);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("orders", 3), -1, &p), GR_E_NOENT);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("nope", 0), -1, &p), GR_E_NOENT);
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, (struct tp){NULL, 0}, -1, &p), GR_E_NOENT);
    fx_destroy(&f);
}

/* Appends a batch of count records to p's log as its leader and tells p. */
static void append_records(struct partition *p, int count)
{
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = count, .value_size = 10, .timestamp = clock_wall_ms()};
    testbatch_build(&b, &o);
    struct log_append_info info;
    char why[256];
    CU_ASSERT_EQUAL_FATAL(log_append_leader(p->log, b.data, b.len, p->leader_epoch, clock_wall_ms(),
                                            &info, why, sizeof(why)),
                          0);
    buf_destroy(&b);
    partition_appended(p);
}

static void test_changes_wake_their_partition_only(void)
{
    struct fixture f;
    fx_init(&f);
    const int32_t reps[2][2] = {{ME, OTHER}, {ME, OTHER}};
    const int32_t leaders[2] = {ME, ME};
    struct metadata_topic *t = add_topic(&f, "events", 2, reps, leaders);
    partitions_sync(&f.t.b, NULL, -1);
    struct partition *p0 = partition_get(&f.t.b, tp_of("events", 0));
    struct partition *p1 = partition_get(&f.t.b, tp_of("events", 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
    struct watcher data0, data1, flush0;
    watch(&f, &data0, p0, DELAY_DATA);
    watch(&f, &data1, p1, DELAY_DATA);
    watch(&f, &flush0, p0, DELAY_FLUSH);

    /* An append to p0 asks p0's data watcher only; the high watermark moves. */
    append_records(p0, 3);
    CU_ASSERT_EQUAL(partition_high_watermark(p0), 3);
    CU_ASSERT_EQUAL(data0.asked, 1);
    CU_ASSERT_TRUE(data0.saw_leader);
    CU_ASSERT_EQUAL(data1.asked, 0);
    CU_ASSERT_EQUAL(flush0.asked, 0);

    /* A flush of p0 asks its flush watcher only. */
    partition_log_flushed(p0->log, 3, NULL);
    CU_ASSERT_EQUAL(flush0.asked, 1);
    CU_ASSERT_EQUAL(data0.asked, 1);

    /* Leadership of p0 moves away: both its watchers see it and give up;
     * p1's watcher is not asked. */
    t->parts[0].leader = OTHER;
    t->parts[0].leader_epoch = 6;
    partitions_sync(&f.t.b, "events", 0);
    CU_ASSERT_FALSE(p0->leader);
    CU_ASSERT_EQUAL(p0->leader_epoch, 6);
    CU_ASSERT_EQUAL(data0.completed, 1);
    CU_ASSERT_FALSE(data0.saw_leader);
    CU_ASSERT_EQUAL(flush0.completed, 1);
    CU_ASSERT_EQUAL(data1.asked, 0);
    struct partition *p;
    CU_ASSERT_EQUAL(partition_lead(&f.t.b, tp_of("events", 0), -1, &p), GR_E_NOT_LEADER);

    /* The topic is deleted: p1's watcher sees the partition going, the
     * partitions are no longer hosted, and their logs are deleted. */
    CU_ASSERT_PTR_EQUAL(strmap_del(&f.t.md.topics, "events"), t);
    partitions_sync(&f.t.b, "events", -1);
    CU_ASSERT_EQUAL(data1.completed, 1);
    CU_ASSERT_TRUE(data1.saw_going);
    CU_ASSERT_EQUAL(tpmap_count(&f.t.b.parts), 0);
    CU_ASSERT_PTR_NULL(log_manager_get(f.t.b.logs, "events", 0));
    CU_ASSERT_EQUAL(f.t.delay.nwaiting, 0);
    CU_ASSERT_EQUAL(f.t.delay.nwatches, 0);
    free_topic(t); /* taken out of the cache above */
    fx_destroy(&f);
}

/* Whether dir holds an entry whose name starts with prefix. */
static bool dir_has(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool found = false;
    while (d && !found && (de = readdir(d)))
        found = !strncmp(de->d_name, prefix, strlen(prefix));
    if (d)
        closedir(d);
    return found;
}

static void test_reassignment_away_deletes_the_log(void)
{
    struct fixture f;
    fx_init(&f);
    const int32_t reps[2][2] = {{ME, OTHER}, {OTHER, DEAD}};
    const int32_t leaders[2] = {ME, OTHER};
    struct metadata_topic *t = add_topic(&f, "moves", 2, reps, leaders);
    /* moves-1 is not assigned here, but a log of it is on disk: it was
     * moved away while this broker was down. */
    struct log *stray;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(log_manager_create(f.t.b.logs, "moves", 1, &t->log_config,
                                             clock_wall_ms(), &stray, err, sizeof(err)),
                          0);
    partitions_sync(&f.t.b, NULL, -1);
    CU_ASSERT_PTR_NULL(log_manager_get(f.t.b.logs, "moves", 1));
    struct partition *p0 = partition_get(&f.t.b, tp_of("moves", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p0);
    struct watcher data0;
    watch(&f, &data0, p0, DELAY_DATA);
    t->parts[0].replicas[0] = OTHER;
    t->parts[0].replicas[1] = DEAD;
    /* First the new assignment alone (the state still names us, the only
     * in-sync replica): the partition is no longer served, but its log is
     * the only copy of what was committed and stays. */
    partitions_sync(&f.t.b, "moves", 0);
    CU_ASSERT_PTR_NULL(partition_get(&f.t.b, tp_of("moves", 0)));
    CU_ASSERT_EQUAL(data0.completed, 1);
    CU_ASSERT_TRUE(data0.saw_going);
    CU_ASSERT_PTR_NOT_NULL(log_manager_get(f.t.b.logs, "moves", 0));
    /* Then the state the controller writes: OTHER leads from the ISR. */
    t->parts[0].leader = OTHER;
    t->parts[0].isr[0] = OTHER;
    partitions_sync(&f.t.b, "moves", 0);
    /* Deleted as Kafka's StopReplica does: renamed at once, removed by the
     * worker. */
    CU_ASSERT_PTR_NULL(log_manager_get(f.t.b.logs, "moves", 0));
    log_manager_drain(f.t.b.logs);
    CU_ASSERT_FALSE(dir_has(f.t.dir, "moves-0"));
    CU_ASSERT_FALSE(dir_has(f.t.dir, "moves-1"));
    fx_destroy(&f);
}

/* Reads dir/topic-0/leader-epoch-checkpoint into out (size n). */
static void read_epochs(const char *dir, const char *topic, char *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s-0/leader-epoch-checkpoint", dir, topic);
    FILE *fp = fopen(path, "r");
    size_t got = fp ? fread(out, 1, n - 1, fp) : 0;
    out[got] = 0;
    if (fp)
        fclose(fp);
}

/* A leader records its epoch at its log end when it becomes leader, before
 * any append (Kafka's makeLeader); a follower's epochs come from the
 * batches it fetches. */
static void test_leader_records_its_epoch(void)
{
    struct fixture f;
    fx_init(&f);
    const int32_t reps[1][2] = {{ME, OTHER}};
    const int32_t leaders[1] = {ME};
    struct metadata_topic *t = add_topic(&f, "ep", 1, reps, leaders);
    partitions_sync(&f.t.b, NULL, -1);
    struct partition *p = partition_get(&f.t.b, tp_of("ep", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->log->epochs.n, 1);
    append_records(p, 3);
    /* Another broker leads at epoch 6, and this one again at epoch 7. */
    t->parts[0].leader = OTHER;
    t->parts[0].leader_epoch = 6;
    partitions_sync(&f.t.b, "ep", 0);
    t->parts[0].leader = ME;
    t->parts[0].leader_epoch = 7;
    partitions_sync(&f.t.b, "ep", 0);
    append_records(p, 2);
    log_manager_drain(f.t.b.logs);
    char text[256];
    read_epochs(f.t.dir, "ep", text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "0\n2\n5 0\n7 3\n");
    fx_destroy(&f);
}

/* The leader's high watermark is the minimum log end offset over the ISR:
 * it waits for an in-sync follower's fetch, never moves back, ignores a
 * follower outside the ISR, and a fetch from a broker that is not a
 * replica records nothing. acks=all counts nothing as committed after the
 * ZooKeeper session expired, until the broker has registered again. */
static void test_high_watermark_is_min_over_isr(void)
{
    struct fixture f;
    fx_init(&f);
    const int32_t reps[1][2] = {{ME, OTHER}};
    const int32_t leaders[1] = {ME};
    struct metadata_topic *t = add_topic(&f, "hw", 1, reps, leaders);
    t->parts[0].isr = realloc(t->parts[0].isr, 2 * sizeof(int32_t));
    t->parts[0].isr[1] = OTHER;
    t->parts[0].nisr = 2;
    partitions_sync(&f.t.b, NULL, -1);
    struct partition *p = partition_get(&f.t.b, tp_of("hw", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(partition_isr_size(p), 2);
    append_records(p, 4);
    CU_ASSERT_EQUAL(partition_high_watermark(p), 0); /* OTHER has not fetched */
    int64_t now = clock_wall_ms();
    CU_ASSERT_TRUE(partition_follower_fetched(p, OTHER, 2, now));
    CU_ASSERT_EQUAL(partition_high_watermark(p), 2);
    CU_ASSERT_FALSE(partition_follower_fetched(p, DEAD, 4, now)); /* not a replica */
    CU_ASSERT_EQUAL(partition_high_watermark(p), 2);
    CU_ASSERT_TRUE(partition_follower_fetched(p, OTHER, 4, now));
    CU_ASSERT_EQUAL(partition_high_watermark(p), 4);
    CU_ASSERT_TRUE(partition_follower_fetched(p, OTHER, 1, now)); /* it truncated */
    CU_ASSERT_EQUAL(partition_high_watermark(p), 4);              /* never back */
    f.t.b.registered = false; /* the session expired: not registered again yet */
    CU_ASSERT_FALSE(partition_committed(p, 4));
    f.t.b.registered = true;
    CU_ASSERT_TRUE(partition_committed(p, 4));
    CU_ASSERT_FALSE(partition_committed(p, 5));

    /* Alone in the ISR (the controller's new state), the leader's log end
     * is the high watermark. */
    t->parts[0].nisr = 1;
    t->parts[0].state_version++;
    partitions_sync(&f.t.b, NULL, -1);
    CU_ASSERT_EQUAL(partition_isr_size(p), 1);
    append_records(p, 4);
    CU_ASSERT_EQUAL(partition_high_watermark(p), 8);
    fx_destroy(&f);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"the hosted set follows the metadata", test_hosted_set_follows_metadata},
        {"partition_lead says why a partition cannot be used", test_lead_says_why_not},
        {"appends, flushes and role changes wake their partition only",
         test_changes_wake_their_partition_only},
        {"a replica moved away is dropped, its log deleted once another replica leads in sync",
         test_reassignment_away_deletes_the_log},
        {"a leader records its epoch when it begins", test_leader_records_its_epoch},
        {"the high watermark is the minimum over the ISR", test_high_watermark_is_min_over_isr},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"partition", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_partition", suites);
}
