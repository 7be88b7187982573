/*
 * Delayed operations (broker/core/delay.c) on a real libev loop: wakes reach
 * only the operations watching the key, deadlines fire once, cancellation
 * calls nothing, and completion callbacks may cancel, start and free
 * operations, including ones found ready in the same wake.
 */
#include <CUnit/CUnit.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/delay.h"
#include "tests/unit/testutil.h"

/* A test operation: counts its calls; ready() says yes once *go is set. */
struct top {
    struct delay_op op;           /* first: the callbacks cast back */
    struct delay_watch w[4];      /* its watches */
    int ready_calls;              /* how often ready() ran */
    int completed;                /* how often complete() ran */
    bool timed_out;               /* the last complete()'s argument */
    bool go;                      /* ready() answers this */
    void *last_arg;               /* the last wake's arg */
    struct top *cancel_on_done;   /* complete() cancels this one */
    struct top *start_on_done;    /* complete() starts this one on key 1 */
    struct delay *d;              /* for the two above */
};

static int keyobj[8]; /* addresses to build keys from */

static struct keymap_key K(int i)
{
    return delay_key(&keyobj[i], DELAY_DATA);
}

static bool t_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct top *t = (struct top *)op;
    (void)w;
    t->ready_calls++;
    t->last_arg = arg;
    return t->go;
}

static void t_complete(struct delay_op *op, bool timed_out)
{
    struct top *t = (struct top *)op;
    t->completed++;
    t->timed_out = timed_out;
    if (t->cancel_on_done)
        delay_cancel(t->d, &t->cancel_on_done->op);
    if (t->start_on_done) {
        struct top *n = t->start_on_done;
        delay_op_init(&n->op, t_ready, t_complete);
        delay_watch(t->d, &n->op, &n->w[0], K(1), 0);
        delay_start(t->d, &n->op, -1);
    }
}

static void setup(struct delay *d, struct top *t, int n)
{
    for (int i = 0; i < n; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].d = d;
        delay_op_init(&t[i].op, t_ready, t_complete);
    }
}

static void test_wake_reaches_only_watchers(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[3];
    setup(&d, t, 3);
    CU_ASSERT_EQUAL(delay_watch(&d, &t[0].op, &t[0].w[0], K(0), 0), 0);
    CU_ASSERT_EQUAL(delay_watch(&d, &t[1].op, &t[1].w[0], K(1), 0), 0);
    CU_ASSERT_EQUAL(delay_watch(&d, &t[2].op, &t[2].w[0], K(1), 0), 0);
    for (int i = 0; i < 3; i++)
        delay_start(&d, &t[i].op, -1);
    CU_ASSERT_EQUAL(d.nwaiting, 3);
    CU_ASSERT_EQUAL(d.nwatches, 3);

    /* Not ready yet: asked, not completed; the other key's op is not asked. */
    int arg = 7;
    delay_wake(&d, K(1), &arg);
    CU_ASSERT_EQUAL(t[0].ready_calls, 0);
    CU_ASSERT_EQUAL(t[1].ready_calls, 1);
    CU_ASSERT_EQUAL(t[2].ready_calls, 1);
    CU_ASSERT_PTR_EQUAL(t[1].last_arg, &arg);
    CU_ASSERT_EQUAL(t[1].completed + t[2].completed, 0);

    /* A key nobody watches asks nobody. */
    delay_wake(&d, K(5), NULL);
    CU_ASSERT_EQUAL(t[0].ready_calls + t[1].ready_calls + t[2].ready_calls, 2);

    t[1].go = true;
    delay_wake(&d, K(1), NULL);
    CU_ASSERT_EQUAL(t[1].completed, 1);
    CU_ASSERT_FALSE(t[1].timed_out);
    CU_ASSERT_EQUAL(t[2].completed, 0);
    CU_ASSERT_EQUAL(d.nwaiting, 2);
    CU_ASSERT_EQUAL(d.nwatches, 2);

    /* A finished operation is not asked again. */
    delay_wake(&d, K(1), NULL);
    CU_ASSERT_EQUAL(t[1].ready_calls, 2);
    CU_ASSERT_EQUAL(t[1].completed, 1);

    delay_cancel(&d, &t[0].op);
    delay_cancel(&d, &t[2].op);
    CU_ASSERT_EQUAL(d.nwaiting, 0);
    CU_ASSERT_EQUAL(d.nwatches, 0);
    CU_ASSERT_EQUAL(d.keys.count, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

static void test_deadline_fires_once(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[2];
    setup(&d, t, 2);
    delay_watch(&d, &t[0].op, &t[0].w[0], K(0), 0);
    delay_watch(&d, &t[0].op, &t[0].w[1], K(1), 1);
    delay_start(&d, &t[0].op, 20);
    delay_watch(&d, &t[1].op, &t[1].w[0], K(0), 0);
    delay_start(&d, &t[1].op, 60000); /* far away: must not fire */
    ev_tstamp start = ev_time();
    while (!t[0].completed && ev_time() - start < 5)
        ev_run(loop, EVRUN_ONCE);
    CU_ASSERT_EQUAL(t[0].completed, 1);
    CU_ASSERT_TRUE(t[0].timed_out);
    CU_ASSERT_EQUAL(t[1].completed, 0);
    /* Its two watches are gone: waking either key reaches only t[1]. */
    CU_ASSERT_EQUAL(d.nwatches, 1);
    t[0].go = true;
    delay_wake(&d, K(1), NULL);
    CU_ASSERT_EQUAL(t[0].ready_calls, 0);
    delay_cancel(&d, &t[1].op);
    CU_ASSERT_EQUAL(d.nwaiting, 0);
    /* A cancelled operation's deadline never fires. */
    ev_run(loop, EVRUN_NOWAIT);
    CU_ASSERT_EQUAL(t[1].completed, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

static void test_cancel_calls_nothing(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[1];
    setup(&d, t, 1);
    delay_watch(&d, &t[0].op, &t[0].w[0], K(0), 0);
    delay_start(&d, &t[0].op, 0);
    delay_cancel(&d, &t[0].op);
    delay_cancel(&d, &t[0].op); /* twice is harmless */
    t[0].go = true;
    delay_wake(&d, K(0), NULL);
    ev_run(loop, EVRUN_NOWAIT);
    CU_ASSERT_EQUAL(t[0].ready_calls, 0);
    CU_ASSERT_EQUAL(t[0].completed, 0);
    /* Watched but never started: cancel still unlinks the watches. */
    setup(&d, t, 1);
    delay_watch(&d, &t[0].op, &t[0].w[0], K(0), 0);
    delay_cancel(&d, &t[0].op);
    CU_ASSERT_EQUAL(d.nwatches, 0);
    CU_ASSERT_EQUAL(d.nwaiting, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

/* Two operations become ready in one wake; the first's completion cancels
 * the second, which must then never complete. */
static void test_completion_cancels_a_ready_sibling(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[2];
    setup(&d, t, 2);
    for (int i = 0; i < 2; i++) {
        delay_watch(&d, &t[i].op, &t[i].w[0], K(0), 0);
        delay_start(&d, &t[i].op, -1);
        t[i].go = true;
    }
    /* Whichever completes first cancels the other. */
    t[0].cancel_on_done = &t[1];
    t[1].cancel_on_done = &t[0];
    delay_wake(&d, K(0), NULL);
    CU_ASSERT_EQUAL(t[0].ready_calls, 1);
    CU_ASSERT_EQUAL(t[1].ready_calls, 1);
    CU_ASSERT_EQUAL(t[0].completed + t[1].completed, 1);
    CU_ASSERT_EQUAL(d.nwaiting, 0);
    CU_ASSERT_EQUAL(d.nwatches, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

/* A completion that starts a new operation on the woken key: the new one is
 * not asked in the same wake, and is woken by the next. */
static void test_completion_starts_another(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[2];
    setup(&d, t, 2);
    delay_watch(&d, &t[0].op, &t[0].w[0], K(1), 0);
    delay_start(&d, &t[0].op, -1);
    t[0].go = true;
    t[0].start_on_done = &t[1];
    delay_wake(&d, K(1), NULL);
    CU_ASSERT_EQUAL(t[0].completed, 1);
    CU_ASSERT_EQUAL(t[1].ready_calls, 0);
    CU_ASSERT_EQUAL(d.nwaiting, 1);
    t[1].go = true;
    delay_wake(&d, K(1), NULL);
    CU_ASSERT_EQUAL(t[1].completed, 1);
    CU_ASSERT_EQUAL(d.nwaiting, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

/* One operation watching the same key twice (a Fetch naming a partition
 * twice) completes once. */
static void test_same_key_twice(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top t[1];
    setup(&d, t, 1);
    delay_watch(&d, &t[0].op, &t[0].w[0], K(2), 0);
    delay_watch(&d, &t[0].op, &t[0].w[1], K(2), 1);
    delay_start(&d, &t[0].op, -1);
    t[0].go = true;
    delay_wake(&d, K(2), NULL);
    CU_ASSERT_EQUAL(t[0].ready_calls, 1);
    CU_ASSERT_EQUAL(t[0].completed, 1);
    CU_ASSERT_EQUAL(d.nwatches, 0);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

/* Many operations on many keys: a wake costs the watchers of its key only. */
static void test_many_keys(void)
{
    enum { N = 20000 };
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct delay d;
    delay_init(&d, loop);
    struct top *t = calloc(N, sizeof(*t));
    int *objs = calloc(N, sizeof(int));
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(objs);
    setup(&d, t, N);
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(delay_watch(&d, &t[i].op, &t[i].w[0],
                                          delay_key(&objs[i], DELAY_DATA), 0),
                              0);
        delay_start(&d, &t[i].op, -1);
    }
    CU_ASSERT_EQUAL(d.keys.count, N);
    delay_wake(&d, delay_key(&objs[N / 2], DELAY_DATA), NULL);
    /* The flush key of the same object is another key. */
    delay_wake(&d, delay_key(&objs[N / 3], DELAY_FLUSH), NULL);
    int asked = 0;
    for (int i = 0; i < N; i++)
        asked += t[i].ready_calls;
    CU_ASSERT_EQUAL(asked, 1);
    CU_ASSERT_EQUAL(t[N / 2].ready_calls, 1);
    for (int i = 0; i < N; i++)
        delay_cancel(&d, &t[i].op);
    CU_ASSERT_EQUAL(d.keys.count, 0);
    free(t);
    free(objs);
    delay_destroy(&d);
    ev_loop_destroy(loop);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"a wake reaches only the watchers of its key", test_wake_reaches_only_watchers},
        {"a deadline fires once and unlinks every watch", test_deadline_fires_once},
        {"cancel calls nothing", test_cancel_calls_nothing},
        {"a completion may cancel a sibling found ready", test_completion_cancels_a_ready_sibling},
        {"a completion may start another operation", test_completion_starts_another},
        {"one operation on the same key twice completes once", test_same_key_twice},
        {"20,000 keys: a wake asks one operation", test_many_keys},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"delay", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_delay", suites);
}
