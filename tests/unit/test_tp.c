/*
 * Topic-partition identities (common/tp.c) and the map under them
 * (common/keymap.c): one interned name per distinct topic, names that differ
 * in any byte (an embedded NUL included) never alias, references free the
 * name exactly when the last holder lets go, and a map keyed by identity
 * survives growth, deletion during iteration and a hundred thousand keys.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "common/keymap.h"
#include "common/tp.h"
#include "tests/unit/testutil.h"

static void test_intern_is_unique_and_counted(void)
{
    size_t base = tp_topic_count();
    const struct tp_topic *a = tp_topic_intern("orders", 6);
    const struct tp_topic *b = tp_topic_intern("orders", 6);
    const struct tp_topic *c = tp_topic_intern("orders2", 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_EQUAL(a, b);
    CU_ASSERT_PTR_NOT_EQUAL(a, c);
    CU_ASSERT_STRING_EQUAL(a->name, "orders");
    CU_ASSERT_EQUAL(tp_topic_count(), base + 2);
    /* A view that is a prefix, or has an embedded NUL, is another name. */
    CU_ASSERT_PTR_EQUAL(tp_topic_find("orders2xyz", 7), c);
    CU_ASSERT_PTR_NULL(tp_topic_find("orders\0x", 8));
    CU_ASSERT_PTR_NULL(tp_topic_find("order", 5));
    CU_ASSERT_PTR_NULL(tp_topic_find(NULL, 0));
    tp_topic_unref(a);
    CU_ASSERT_PTR_EQUAL(tp_topic_find("orders", 6), b); /* b still holds it */
    tp_topic_unref(b);
    CU_ASSERT_PTR_NULL(tp_topic_find("orders", 6));
    tp_topic_unref(c);
    CU_ASSERT_EQUAL(tp_topic_count(), base);
}

static void test_tpmap_holds_references(void)
{
    size_t base = tp_topic_count();
    struct tpmap m;
    tpmap_init(&m);
    const struct tp_topic *t = tp_topic_intern("events", 6);
    int v1, v2;
    CU_ASSERT_EQUAL(tpmap_put(&m, (struct tp){t, 0}, &v1), 0);
    CU_ASSERT_EQUAL(tpmap_put(&m, (struct tp){t, 1}, &v2), 0);
    CU_ASSERT_EQUAL(tpmap_put(&m, (struct tp){t, 1}, &v1), 0); /* replaces */
    tp_topic_unref(t); /* the map keeps the name alive */
    const struct tp_topic *found = tp_topic_find("events", 6);
    CU_ASSERT_PTR_EQUAL_FATAL(found, t);
    CU_ASSERT_PTR_EQUAL(tpmap_get(&m, (struct tp){found, 1}), &v1);
    CU_ASSERT_PTR_NULL(tpmap_get(&m, (struct tp){found, 2}));
    CU_ASSERT_PTR_NULL(tpmap_get(&m, (struct tp){NULL, 0}));
    CU_ASSERT_EQUAL(tpmap_count(&m), 2);
    CU_ASSERT_PTR_EQUAL(tpmap_del(&m, (struct tp){found, 0}), &v1);
    CU_ASSERT_PTR_NULL(tpmap_del(&m, (struct tp){found, 0}));
    CU_ASSERT_PTR_NOT_NULL(tp_topic_find("events", 6));
    tpmap_destroy(&m);
    CU_ASSERT_PTR_NULL(tp_topic_find("events", 6));
    CU_ASSERT_EQUAL(tp_topic_count(), base);
}

static void test_tpmap_many_and_delete_while_iterating(void)
{
    enum { TOPICS = 100, PARTS = 1000 };
    size_t base = tp_topic_count();
    struct tpmap m;
    tpmap_init(&m);
    static int marker;
    char name[32];
    for (int i = 0; i < TOPICS; i++) {
        int n = snprintf(name, sizeof(name), "topic.%d", i);
        const struct tp_topic *t = tp_topic_intern(name, (size_t)n);
        for (int p = 0; p < PARTS; p++)
            CU_ASSERT_EQUAL_FATAL(tpmap_put(&m, (struct tp){t, p}, &marker), 0);
        tp_topic_unref(t);
    }
    CU_ASSERT_EQUAL(tpmap_count(&m), TOPICS * PARTS);
    CU_ASSERT_EQUAL(tp_topic_count(), base + TOPICS);
    const struct tp_topic *t42 = tp_topic_find("topic.42", 8);
    CU_ASSERT_PTR_EQUAL(tpmap_get(&m, (struct tp){t42, 999}), &marker);
    /* Delete every odd partition while iterating; every even one stays. */
    size_t it = 0;
    struct tp tp;
    while (tpmap_next(&m, &it, &tp, NULL))
        if (tp.partition % 2)
            tpmap_del(&m, tp);
    CU_ASSERT_EQUAL(tpmap_count(&m), TOPICS * PARTS / 2);
    CU_ASSERT_PTR_NULL(tpmap_get(&m, (struct tp){t42, 999}));
    CU_ASSERT_PTR_EQUAL(tpmap_get(&m, (struct tp){t42, 998}), &marker);
    /* Refill after the deletions: slots of deleted keys are reused. */
    for (int p = 1; p < PARTS; p += 2)
        CU_ASSERT_EQUAL(tpmap_put(&m, (struct tp){t42, p}, &marker), 0);
    CU_ASSERT_EQUAL(tpmap_count(&m), TOPICS * PARTS / 2 + PARTS / 2);
    tpmap_destroy(&m);
    CU_ASSERT_EQUAL(tp_topic_count(), base);
}

static void test_keymap_basics(void)
{
    struct keymap m;
    keymap_init(&m);
    int a, b;
    struct keymap_key ka = {&a, 1}, kb = {&a, 2}, kc = {&b, 1};
    CU_ASSERT_PTR_NULL(keymap_get(&m, ka));
    CU_ASSERT_PTR_NULL(keymap_del(&m, ka));
    CU_ASSERT_EQUAL(keymap_put(&m, ka, &a), 0);
    CU_ASSERT_EQUAL(keymap_put(&m, kb, &b), 0);
    CU_ASSERT_EQUAL(keymap_put(&m, kc, &b), 0);
    CU_ASSERT_PTR_EQUAL(keymap_get(&m, ka), &a);
    CU_ASSERT_PTR_EQUAL(keymap_get(&m, kb), &b);
    CU_ASSERT_PTR_EQUAL(keymap_del(&m, kb), &b);
    CU_ASSERT_PTR_NULL(keymap_get(&m, kb));
    CU_ASSERT_PTR_EQUAL(keymap_get(&m, kc), &b);
    /* Insert and delete many times: deleted slots must not fill the table. */
    for (int round = 0; round < 100000; round++) {
        struct keymap_key k = {&b, 1000 + round};
        CU_ASSERT_EQUAL_FATAL(keymap_put(&m, k, &a), 0);
        CU_ASSERT_PTR_EQUAL_FATAL(keymap_del(&m, k), &a);
    }
    CU_ASSERT_EQUAL(m.count, 2);
    CU_ASSERT_TRUE(m.cap <= 64);
    keymap_destroy(&m);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"interned names are unique, exact and counted", test_intern_is_unique_and_counted},
        {"a tpmap holds references on its names", test_tpmap_holds_references},
        {"100,000 keys, deletion while iterating", test_tpmap_many_and_delete_while_iterating},
        {"keymap put, get, delete, churn", test_keymap_basics},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"tp", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_tp", suites);
}
