/*
 * server.properties: the .properties syntax, Kafka's defaults and key
 * precedence, and the errors a person gets for a bad value.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker_config.h"
#include "common/err.h"
#include "common/props.h"
#include "tests/unit/testutil.h"

struct kv {
    char key[8][64];
    char val[8][128];
    int line[8];
    int n;
};

static int collect(const char *k, const char *v, int line, void *ctx)
{
    struct kv *kv = ctx;
    if (kv->n == 8)
        return -99;
    snprintf(kv->key[kv->n], 64, "%s", k);
    snprintf(kv->val[kv->n], 128, "%s", v);
    kv->line[kv->n++] = line;
    return 0;
}

static void test_props_syntax(void)
{
    const char *text = "# comment\n"
                       "! also a comment\n"
                       "\n"
                       "a=1\n"
                       "  b : two words  \n"
                       "c three\n"
                       "d=first \\\n"
                       "    second\n"
                       "e=tab\\there\\u00e9\n"
                       "f=\n"
                       "g==x\r\n"
                       "h";
    struct kv kv = {0};
    CU_ASSERT_EQUAL_FATAL(props_parse(text, strlen(text), collect, &kv), 0);
    CU_ASSERT_EQUAL_FATAL(kv.n, 8);
    CU_ASSERT_STRING_EQUAL(kv.key[0], "a");
    CU_ASSERT_STRING_EQUAL(kv.val[0], "1");
    CU_ASSERT_EQUAL(kv.line[0], 4);
    CU_ASSERT_STRING_EQUAL(kv.key[1], "b");
    CU_ASSERT_STRING_EQUAL(kv.val[1], "two words");
    CU_ASSERT_STRING_EQUAL(kv.key[2], "c");
    CU_ASSERT_STRING_EQUAL(kv.val[2], "three");
    CU_ASSERT_STRING_EQUAL(kv.val[3], "first second");
    CU_ASSERT_STRING_EQUAL(kv.val[4], "tab\there\xc3\xa9");
    CU_ASSERT_STRING_EQUAL(kv.key[5], "f");
    CU_ASSERT_STRING_EQUAL(kv.val[5], "");
    CU_ASSERT_STRING_EQUAL(kv.val[6], "=x");
    CU_ASSERT_EQUAL(kv.line[6], 11);
    CU_ASSERT_STRING_EQUAL(kv.key[7], "h");
    CU_ASSERT_STRING_EQUAL(kv.val[7], "");
}

static void test_kafka_defaults(void)
{
    struct broker_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL_FATAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.zookeeper_session_timeout_ms, 18000);
    CU_ASSERT_EQUAL(c.num_partitions, 1);
    CU_ASSERT_EQUAL(c.default_replication_factor, 1);
    CU_ASSERT_EQUAL(c.log_segment_bytes, 1073741824);
    CU_ASSERT_EQUAL(c.eff_log_retention_ms, 168LL * 3600 * 1000);
    CU_ASSERT_EQUAL(c.eff_log_roll_ms, 168LL * 3600 * 1000);
    CU_ASSERT_EQUAL(c.log_retention_bytes, -1);
    CU_ASSERT_EQUAL(c.log_index_interval_bytes, 4096);
    CU_ASSERT_EQUAL(c.log_index_size_max_bytes, 10485760);
    CU_ASSERT_EQUAL(c.log_flush_interval_messages, INT64_MAX);
    CU_ASSERT_EQUAL(c.eff_log_flush_interval_ms, INT64_MAX);
    CU_ASSERT_EQUAL(c.message_max_bytes, 1048588);
    CU_ASSERT_EQUAL(c.socket_request_max_bytes, 104857600);
    CU_ASSERT_EQUAL(c.replica_lag_time_max_ms, 30000);
    CU_ASSERT_EQUAL(c.group_initial_rebalance_delay_ms, 3000);
    CU_ASSERT_EQUAL(c.offsets_retention_minutes, 10080);
    CU_ASSERT_TRUE(c.auto_create_topics_enable);
    CU_ASSERT_TRUE(c.delete_topic_enable);
    CU_ASSERT_FALSE(c.unclean_leader_election_enable);
    CU_ASSERT_EQUAL_FATAL(c.n_listeners, 1);
    CU_ASSERT_STRING_EQUAL(c.listener[0].name, "PLAINTEXT");
    CU_ASSERT_STRING_EQUAL(c.listener[0].host, "");
    CU_ASSERT_EQUAL(c.listener[0].port, 9092);
    CU_ASSERT_EQUAL_FATAL(c.n_log_dirs, 1);
    CU_ASSERT_STRING_EQUAL(c.log_dir_list[0], "/tmp/kafka-logs");
    CU_ASSERT_EQUAL(c.eff_zookeeper_connection_timeout_ms, 18000);
    broker_config_destroy(&c);
}

/* Kafka 2.8's config/server.properties, comments removed. */
static const char *kafka_stock =
    "broker.id=0\nnum.network.threads=3\nnum.io.threads=8\nsocket.send.buffer.bytes=102400\n"
    "socket.receive.buffer.bytes=102400\nsocket.request.max.bytes=104857600\n"
    "log.dirs=/tmp/kafka-logs\nnum.partitions=1\nnum.recovery.threads.per.data.dir=1\n"
    "offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n"
    "transaction.state.log.min.isr=1\nlog.retention.hours=168\nlog.segment.bytes=1073741824\n"
    "log.retention.check.interval.ms=300000\nzookeeper.connect=localhost:2181\n"
    "zookeeper.connection.timeout.ms=18000\ngroup.initial.rebalance.delay.ms=0\n";

static int set_all(const char *k, const char *v, int line, void *ctx)
{
    char err[512];
    int rc = broker_config_set(ctx, k, v, CONFIG_SRC_FILE, err, sizeof(err));
    if (rc)
        fprintf(stderr, "line %d: %s (rc %d)\n", line, err, rc);
    return rc; /* an unknown key (1) fails this test too */
}

static void test_kafka_stock_file_loads_cleanly(void)
{
    struct broker_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL(props_parse(kafka_stock, strlen(kafka_stock), set_all, &c), 0);
    CU_ASSERT_EQUAL_FATAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.broker_id, 0);
    CU_ASSERT_STRING_EQUAL(c.zookeeper_connect, "localhost:2181");
    CU_ASSERT_EQUAL(c.group_initial_rebalance_delay_ms, 0);
    CU_ASSERT_EQUAL(broker_config_source(&c, broker_config_find("broker.id")), CONFIG_SRC_FILE);
    CU_ASSERT_EQUAL(broker_config_source(&c, broker_config_find("num.partitions")), CONFIG_SRC_FILE);
    CU_ASSERT_EQUAL(broker_config_source(&c, broker_config_find("log.segment.bytes")), CONFIG_SRC_FILE);
    CU_ASSERT_EQUAL(broker_config_source(&c, broker_config_find("message.max.bytes")), CONFIG_SRC_DEFAULT);
    broker_config_destroy(&c);
}

static void test_shipped_example_loads(void)
{
    struct broker_config c;
    char err[512] = "";
    char path[4096];
    snprintf(path, sizeof(path), "%s/conf/server.properties", TOP_SRCDIR);
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    int rc = broker_config_load_file(&c, path, err, sizeof(err));
    if (rc)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    rc = broker_config_finalize(&c, err, sizeof(err));
    if (rc)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(c.zookeeper_connect);
    CU_ASSERT_TRUE(c.broker_id >= 0);
    broker_config_destroy(&c);
}

static void test_precedence(void)
{
    struct broker_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.retention.hours", "1", CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_retention_ms, 3600000);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.retention.minutes", "2", CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_retention_ms, 120000);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.retention.ms", "5", CONFIG_SRC_OVERRIDE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_retention_ms, 5);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.retention.ms", "-1", CONFIG_SRC_OVERRIDE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_retention_ms, -1);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.roll.hours", "2", CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.flush.scheduler.interval.ms", "700", CONFIG_SRC_FILE, err,
                               sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_roll_ms, 7200000);
    CU_ASSERT_EQUAL(c.eff_log_flush_interval_ms, 700);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.flush.interval.ms", "50", CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.dirs", "/a/x/, /b/y", CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(c.eff_log_flush_interval_ms, 50);
    CU_ASSERT_EQUAL_FATAL(c.n_log_dirs, 2);
    CU_ASSERT_STRING_EQUAL(c.log_dir_list[0], "/a/x");
    CU_ASSERT_STRING_EQUAL(c.log_dir_list[1], "/b/y");
    broker_config_destroy(&c);
}

/* A bad value is refused with a message naming the key, the value and what
 * is allowed, and the previous value stays. */
static void test_bad_values(void)
{
    struct broker_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.segment.bytes", "abc", CONFIG_SRC_FILE, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.segment.bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"abc\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "14 to 2147483647"));
    CU_ASSERT_EQUAL(c.log_segment_bytes, 1073741824);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.segment.bytes", "13", CONFIG_SRC_FILE, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.segment.bytes", "2147483648", CONFIG_SRC_FILE, err,
                               sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_EQUAL(broker_config_set(&c, "num.partitions", "1x", CONFIG_SRC_FILE, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_EQUAL(broker_config_set(&c, "num.partitions", "", CONFIG_SRC_FILE, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_EQUAL(broker_config_set(&c, "delete.topic.enable", "yes", CONFIG_SRC_FILE, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "true or false"));
    CU_ASSERT_EQUAL(broker_config_set(&c, "delete.topic.enable", " FALSE ", CONFIG_SRC_FILE, err,
                               sizeof(err)), 0);
    CU_ASSERT_FALSE(c.delete_topic_enable);
    CU_ASSERT_EQUAL(broker_config_set(&c, "log.message.timestamp.type", "Wallclock", CONFIG_SRC_FILE, err,
                               sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "CreateTime, LogAppendTime"));
    CU_ASSERT_EQUAL(broker_config_set(&c, "no.such.key", "1", CONFIG_SRC_FILE, err, sizeof(err)), 1);
    broker_config_destroy(&c);
}

static void test_bad_combinations(void)
{
    struct broker_config c;
    char err[512];
    static const char *cases[][3] = {
        {"listeners", "PLAINTEXT://:99999", "listeners"},
        {"listeners", "localhost:9092", "PLAINTEXT://host:port"},
        {"listeners", "SSL://:9093", "only PLAINTEXT"},
        {"listeners", "FOO://:9093", "listener.security.protocol.map"},
        {"advertised.listeners", "OTHER://h:1", "advertised.listeners"},
        {"log.dirs", "relative/dir", "absolute"},
        {"log.dirs", "/a,/a", "twice"},
        {"broker.id", "5000", "reserved.broker.max.id"},
        {"zookeeper.set.acl", "true", "zookeeper.set.acl"},
        {"gregor.metrics.listener", "9404", "gregor.metrics.listener: expected host:port"},
        {"gregor.metrics.listener", "https://127.0.0.1:9404", "\"https://127.0.0.1:9404\""},
        {"gregor.metrics.listener", "127.0.0.1:65536", "port 0-65535"},
        {"gregor.metrics.listener", "127.0.0.1:-1", "http://host:port"},
        {"gregor.metrics.listener", "::1:9404", "IPv6 addresses in brackets"},
        {"gregor.metrics.listener", "http://h:9404/metrics", "gregor.metrics.listener"},
        {"gregor.metrics.listener", "h:", "gregor.metrics.listener"},
        /* Drop-behind without the writeback job that does it (off by default). */
        {"gregor.log.page.cache.behind.bytes", "268435456", "needs gregor.log.writeback.bytes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
        CU_ASSERT_EQUAL(broker_config_set(&c, cases[i][0], cases[i][1], CONFIG_SRC_FILE, err, sizeof(err)), 0);
        err[0] = '\0';
        CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), GR_E_CONFIG);
        if (!strstr(err, cases[i][2]))
            fprintf(stderr, "case %s=%s: message \"%s\" lacks \"%s\"\n", cases[i][0], cases[i][1],
                    err, cases[i][2]);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i][2]));
        broker_config_destroy(&c);
    }
}

static void test_listeners_parse(void)
{
    struct config_listener l[4];
    char err[256];
    int n = broker_config_parse_listeners("listeners", "PLAINTEXT://127.0.0.1:9092, INTERNAL://[::1]:0",
                                   l, 4, err, sizeof(err));
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(l[0].host, "127.0.0.1");
    CU_ASSERT_EQUAL(l[0].port, 9092);
    CU_ASSERT_STRING_EQUAL(l[1].name, "INTERNAL");
    CU_ASSERT_STRING_EQUAL(l[1].host, "::1");
    CU_ASSERT_EQUAL(l[1].port, 0);
    CU_ASSERT_EQUAL(broker_config_parse_listeners("listeners", "A://h:1,A://h:2", l, 4, err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_EQUAL(broker_config_parse_listeners("listeners", "", l, 4, err, sizeof(err)), GR_E_CONFIG);
}

/* gregor.metrics.listener: off unless set, [http://]host:port otherwise. */
static void test_metrics_listener(void)
{
    static const struct {
        const char *value, *host;
        int port;
    } good[] = {
        {"http://127.0.0.1:9404", "127.0.0.1", 9404},
        {"localhost:9404", "localhost", 9404},
        {"[::1]:0", "::1", 0},
        {":9404", "", 9404},
        {"", "", -1},
    };
    struct broker_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(c.metrics_listener);
    CU_ASSERT_EQUAL(c.eff_metrics_port, -1);
    broker_config_destroy(&c);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
        CU_ASSERT_EQUAL(broker_config_set(&c, "gregor.metrics.listener", good[i].value,
                                          CONFIG_SRC_FILE, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(broker_config_finalize(&c, err, sizeof(err)), 0);
        CU_ASSERT_STRING_EQUAL(c.eff_metrics_host, good[i].host);
        CU_ASSERT_EQUAL(c.eff_metrics_port, good[i].port);
        broker_config_destroy(&c);
    }
}

static void test_format(void)
{
    struct broker_config c;
    char err[256], out[128];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    broker_config_format(&c, broker_config_find("log.retention.ms"), out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "");
    broker_config_format(&c, broker_config_find("log.segment.bytes"), out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "1073741824");
    broker_config_set(&c, "auto.create.topics.enable", "false", CONFIG_SRC_OVERRIDE, err, sizeof(err));
    broker_config_format(&c, broker_config_find("auto.create.topics.enable"), out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "false");
    broker_config_format(&c, broker_config_find("listeners"), out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "PLAINTEXT://:9092");
    broker_config_destroy(&c);
}

/* Keys gregor accepts without acting on them are named in the one start-up
 * line, the ones set away from their default with their value; keys it acts
 * on are not. */
static void test_inert_keys_line(void)
{
    struct broker_config c;
    char err[512], line[8192];
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&c), 0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "zookeeper.max.in.flight.requests", "20",
                                      CONFIG_SRC_FILE, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "leader.imbalance.check.interval.seconds", "600",
                                      CONFIG_SRC_FILE, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(broker_config_set(&c, "num.io.threads", "4", CONFIG_SRC_FILE, err, sizeof(err)),
                    0);
    CU_ASSERT_TRUE_FATAL(broker_config_inert_keys(&c, line, sizeof(line)) > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "not yet in effect: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "zookeeper.max.in.flight.requests=20"));
    CU_ASSERT_PTR_NULL(strstr(line, "replica.fetch.max.bytes"));
    /* the controller's, in effect since controlled shutdown and preferred
     * elections exist */
    CU_ASSERT_PTR_NULL(strstr(line, "leader.imbalance.check.interval.seconds"));
    CU_ASSERT_PTR_NULL(strstr(line, "controlled.shutdown.enable"));
    CU_ASSERT_PTR_NULL(strstr(line, "group.initial.rebalance.delay.ms")); /* the coordinator's */
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "never used by gregor: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "num.io.threads=4"));
    CU_ASSERT_PTR_NULL(strstr(line, "log.segment.bytes"));
    CU_ASSERT_PTR_NULL(strstr(line, "min.insync.replicas"));
    /* Every key is one of the three kinds, and the line names exactly the
     * inert ones. */
    const struct config_def *defs = broker_config_table.defs;
    for (size_t i = 0; i < broker_config_table.n; i++) {
        char needle[128];
        snprintf(needle, sizeof(needle), " %s", defs[i].name);
        bool named = strstr(line, needle) != NULL;
        CU_ASSERT_EQUAL(named, defs[i].effect != CONFIG_ACTIVE);
    }
    broker_config_destroy(&c);
}

/* Every table entry's default must itself be a valid value (config_init
 * would fail otherwise) and names must be unique. */
static void test_table_consistent(void)
{
    const struct config_def *defs = broker_config_table.defs;
    for (size_t i = 0; i < broker_config_table.n; i++) {
        CU_ASSERT_PTR_NOT_NULL(defs[i].doc);
        CU_ASSERT_PTR_EQUAL(broker_config_find(defs[i].name), &defs[i]);
    }
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {".properties syntax", test_props_syntax},
        {"Kafka 2.8 defaults", test_kafka_defaults},
        {"Kafka's stock server.properties loads without unknown keys", test_kafka_stock_file_loads_cleanly},
        {"conf/server.properties loads and validates", test_shipped_example_loads},
        {"ms over minutes over hours; flush interval fallback; log.dirs", test_precedence},
        {"bad values name key, value and allowed range", test_bad_values},
        {"bad combinations are refused with a reason", test_bad_combinations},
        {"listeners parsing", test_listeners_parse},
        {"gregor.metrics.listener", test_metrics_listener},
        {"values format as Kafka shows them", test_format},
        {"the key table is consistent", test_table_consistent},
        {"keys without effect are named in one line", test_inert_keys_line},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"config", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_config", suites);
}
