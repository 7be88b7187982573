/*
 * Dynamic broker configs (broker/core/broker_dynamic.c): which keys may
 * change, the checks a new set gets, and the precedence of
 * /config/brokers/<id> over <default> over the properties file over the
 * built-in default, including going back when a dynamic key is deleted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/core/broker_config.h"
#include "broker/core/broker_dynamic.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

static struct broker_config cfg;
static struct broker_dynamic dyn;

static void setup_cfg(void)
{
    char err[256];
    memset(&dyn, 0, sizeof(dyn));
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&cfg), 0);
    /* As if from the properties file. */
    CU_ASSERT_EQUAL(broker_config_set(&cfg, "message.max.bytes", "500000", CONFIG_SRC_FILE, err,
                                      sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_set(&cfg, "log.retention.hours", "24", CONFIG_SRC_FILE, err,
                                      sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_derive_log(&cfg, err, sizeof(err)), 0);
}

static void teardown_cfg(void)
{
    broker_dynamic_destroy(&dyn);
    broker_config_destroy(&cfg);
}

static const struct config_def *def(const char *k)
{
    return broker_config_find(k);
}

static void test_scope(void)
{
    CU_ASSERT_EQUAL(broker_dynamic_scope("log.retention.ms"), BROKER_DYNAMIC_CLUSTER);
    CU_ASSERT_EQUAL(broker_dynamic_scope("message.max.bytes"), BROKER_DYNAMIC_CLUSTER);
    CU_ASSERT_EQUAL(broker_dynamic_scope("min.insync.replicas"), BROKER_DYNAMIC_CLUSTER);
    CU_ASSERT_EQUAL(broker_dynamic_scope("broker.id"), BROKER_DYNAMIC_NO);
    CU_ASSERT_EQUAL(broker_dynamic_scope("zookeeper.connect"), BROKER_DYNAMIC_NO);
    CU_ASSERT_EQUAL(broker_dynamic_scope("no.such.key"), BROKER_DYNAMIC_NO);
    /* Dynamic keys are keys the broker's table knows. */
    const char *probe[] = {"log.segment.bytes", "log.flush.interval.ms", "num.io.threads", NULL};
    for (const char **k = probe; *k; k++)
        CU_ASSERT_PTR_NOT_NULL(broker_config_find(*k));
}

static void test_validate(void)
{
    char err[512];
    setup_cfg();
    const char *k1[] = {"log.retention.ms", "message.max.bytes"}, *v1[] = {"1000", "3000"};
    struct broker_dynamic_set ok = {k1, v1, 2};
    CU_ASSERT_EQUAL(broker_dynamic_validate(&cfg, &ok, err, sizeof(err)), 0);

    const char *k2[] = {"broker.id"}, *v2[] = {"5"};
    struct broker_dynamic_set stat = {k2, v2, 1};
    CU_ASSERT_EQUAL(broker_dynamic_validate(&cfg, &stat, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "Cannot update these configs dynamically: broker.id"));

    const char *k3[] = {"message.max.bytes"}, *v3[] = {"lots"};
    struct broker_dynamic_set bad = {k3, v3, 1};
    CU_ASSERT_EQUAL(broker_dynamic_validate(&cfg, &bad, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"lots\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "message.max.bytes"));

    /* The cross-key rule sees the values that would be in force. */
    const char *k4[] = {"log.roll.ms", "log.roll.jitter.ms"}, *v4[] = {"1000", "5000"};
    struct broker_dynamic_set jitter = {k4, v4, 2};
    CU_ASSERT_EQUAL(broker_dynamic_validate(&cfg, &jitter, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.roll.jitter.ms"));

    /* Validation changes nothing. */
    CU_ASSERT_EQUAL(cfg.message_max_bytes, 500000);
    teardown_cfg();
}

static void test_precedence_and_revert(void)
{
    char err[512];
    setup_cfg();
    const char *dk[] = {"message.max.bytes", "log.retention.ms"}, *dv[] = {"3000", "60000"};
    const char *mk[] = {"message.max.bytes"}, *mv[] = {"9000"};
    struct broker_dynamic_set dflt = {dk, dv, 2}, mine = {mk, mv, 1};

    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &dflt, NULL, err, sizeof(err)), 2);
    CU_ASSERT_EQUAL(cfg.message_max_bytes, 3000);
    CU_ASSERT_EQUAL(cfg.eff_log_retention_ms, 60000);
    CU_ASSERT_EQUAL(broker_config_source(&cfg, def("message.max.bytes")),
                    CONFIG_SRC_DYNAMIC_DEFAULT);

    /* The broker's own value wins over the default. */
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &dflt, &mine, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(cfg.message_max_bytes, 9000);
    CU_ASSERT_EQUAL(broker_config_source(&cfg, def("message.max.bytes")),
                    CONFIG_SRC_DYNAMIC_BROKER);

    /* Applying the same layers again changes nothing. */
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &dflt, &mine, err, sizeof(err)), 0);

    /* Both layers gone: the file's values, with their source, come back;
     * log.retention.ms goes back to no value, so hours count again. */
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, NULL, NULL, err, sizeof(err)), 2);
    CU_ASSERT_EQUAL(cfg.message_max_bytes, 500000);
    CU_ASSERT_EQUAL(broker_config_source(&cfg, def("message.max.bytes")), CONFIG_SRC_FILE);
    CU_ASSERT_EQUAL(cfg.log_retention_ms, CONFIG_UNSET);
    CU_ASSERT_EQUAL(cfg.eff_log_retention_ms, 24LL * 3600000);
    CU_ASSERT_EQUAL(broker_config_source(&cfg, def("log.retention.ms")), CONFIG_SRC_DEFAULT);
    teardown_cfg();
}

static void test_bad_entries_skipped(void)
{
    char err[512];
    setup_cfg();
    /* A static key and a bad value are skipped; a bad value in the
     * broker's layer falls through to the default's. */
    const char *dk[] = {"message.max.bytes", "broker.id"}, *dv[] = {"3000", "9"};
    const char *mk[] = {"message.max.bytes"}, *mv[] = {"-5"};
    struct broker_dynamic_set dflt = {dk, dv, 2}, mine = {mk, mv, 1};
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &dflt, &mine, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(cfg.message_max_bytes, 3000);
    CU_ASSERT_EQUAL(cfg.broker_id, -1);
    teardown_cfg();
}

static void test_inconsistent_set_keeps_values(void)
{
    char err[512];
    setup_cfg();
    const char *ok_k[] = {"log.roll.ms"}, *ok_v[] = {"100000"};
    struct broker_dynamic_set ok = {ok_k, ok_v, 1};
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &ok, NULL, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(cfg.eff_log_roll_ms, 100000);
    const char *k[] = {"log.roll.ms", "log.roll.jitter.ms"}, *v[] = {"1000", "5000"};
    struct broker_dynamic_set bad = {k, v, 2};
    CU_ASSERT_EQUAL(broker_dynamic_apply(&dyn, &cfg, &bad, NULL, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.roll.jitter.ms"));
    CU_ASSERT_EQUAL(cfg.eff_log_roll_ms, 100000);
    CU_ASSERT_EQUAL(cfg.eff_log_roll_jitter_ms, 0);
    CU_ASSERT_EQUAL(broker_config_source(&cfg, def("log.roll.ms")), CONFIG_SRC_DYNAMIC_DEFAULT);
    teardown_cfg();
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"which keys may change at run time", test_scope},
        {"a new set is checked key by key and as a whole", test_validate},
        {"broker over default over file; deleting goes back", test_precedence_and_revert},
        {"static keys and bad values in ZooKeeper are skipped", test_bad_entries_skipped},
        {"an inconsistent set leaves the values in force", test_inconsistent_set_keeps_values},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"broker_dynamic", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_broker_dynamic", suites);
}
