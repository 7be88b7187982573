/*
 * zk_json: every znode format round-trips, Kafka's own bytes decode, and a
 * malformed znode is refused with a message (never a crash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "tests/unit/testutil.h"
#include "zk/zk_json.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static char err[256];

/* ---- broker registration ------------------------------------------------- */

static void test_broker_encode_v4(void)
{
    struct zk_endpoint eps[] = {
        {"PLAINTEXT", "PLAINTEXT", "kafka1", 9092},
        {"INTERNAL", "SASL_SSL", "10.0.0.1", 9093},
    };
    struct zk_broker_info b = {.jmx_port = -1,
                               .timestamp_ms = 1626891234567,
                               .endpoints = eps,
                               .n_endpoints = 2,
                               .rack = "rack-a"};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_encode(&b, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":4,\"host\":\"kafka1\",\"port\":9092,\"jmx_port\":-1,"
                                 "\"timestamp\":\"1626891234567\",\"endpoints\":[\"PLAINTEXT://"
                                 "kafka1:9092\",\"INTERNAL://10.0.0.1:9093\"],"
                                 "\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\","
                                 "\"INTERNAL\":\"SASL_SSL\"},\"rack\":\"rack-a\"}");

    struct zk_broker_info d;
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 4);
    CU_ASSERT_EQUAL(d.jmx_port, -1);
    CU_ASSERT_EQUAL(d.timestamp_ms, 1626891234567);
    CU_ASSERT_EQUAL_FATAL(d.n_endpoints, 2);
    CU_ASSERT_STRING_EQUAL(d.endpoints[1].listener, "INTERNAL");
    CU_ASSERT_STRING_EQUAL(d.endpoints[1].security_protocol, "SASL_SSL");
    CU_ASSERT_STRING_EQUAL(d.endpoints[1].host, "10.0.0.1");
    CU_ASSERT_EQUAL(d.endpoints[1].port, 9093);
    CU_ASSERT_STRING_EQUAL(d.host, "kafka1");
    CU_ASSERT_EQUAL(d.port, 9092);
    CU_ASSERT_STRING_EQUAL(d.rack, "rack-a");
    zk_json_broker_destroy(&d);
    free(json);

    /* No PLAINTEXT listener: the legacy fields are null/-1 like Kafka's;
     * an IPv6 address is bracketed. No rack: no "rack" key. */
    struct zk_endpoint ssl[] = {{"SSL", "SSL", "::1", 9094}};
    struct zk_broker_info b2 = {
        .jmx_port = 9999, .timestamp_ms = 5, .endpoints = ssl, .n_endpoints = 1};
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_encode(&b2, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":4,\"host\":null,\"port\":-1,\"jmx_port\":9999,"
                                 "\"timestamp\":\"5\",\"endpoints\":[\"SSL://[::1]:9094\"],"
                                 "\"listener_security_protocol_map\":{\"SSL\":\"SSL\"}}");
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NULL(d.host);
    CU_ASSERT_EQUAL(d.port, -1);
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "::1");
    CU_ASSERT_PTR_NULL(d.rack);
    zk_json_broker_destroy(&d);
    free(json);

    /* Encoder refuses what would produce a registration nobody can use. */
    struct zk_broker_info none = {.jmx_port = -1};
    CU_ASSERT_EQUAL(zk_json_broker_encode(&none, &json, err, sizeof(err)), GR_E_INVALID);
    struct zk_endpoint dup[] = {{"PLAINTEXT", "PLAINTEXT", "a", 1},
                                {"PLAINTEXT", "PLAINTEXT", "b", 2}};
    struct zk_broker_info twice = {.endpoints = dup, .n_endpoints = 2};
    CU_ASSERT_EQUAL(zk_json_broker_encode(&twice, &json, err, sizeof(err)), GR_E_INVALID);
    struct zk_endpoint badproto[] = {{"PLAINTEXT", "TLS", "a", 1}};
    struct zk_broker_info bp = {.endpoints = badproto, .n_endpoints = 1};
    CU_ASSERT_EQUAL(zk_json_broker_encode(&bp, &json, err, sizeof(err)), GR_E_INVALID);
}

/* Registrations as Kafka brokers of several versions write them. */
static void test_broker_decode_kafka(void)
{
    struct zk_broker_info d;
    /* Kafka 2.8 (IBP >= 2.7): version 5 with features, Jackson's key order. */
    const char v5[] = "{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":"
                      "\"PLAINTEXT\"},\"endpoints\":[\"PLAINTEXT://kafka-0.local:9092\"],"
                      "\"jmx_port\":-1,\"port\":9092,\"host\":\"kafka-0.local\",\"version\":5,"
                      "\"timestamp\":\"1626891234567\"}";
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(S(v5), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 5);
    CU_ASSERT_EQUAL(d.n_endpoints, 1);
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "kafka-0.local");
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].security_protocol, "PLAINTEXT");
    zk_json_broker_destroy(&d);

    /* Version 5 with named listeners, no PLAINTEXT (host null), a rack and
     * populated features. */
    const char named[] =
        "{\"features\":{\"metadata.version\":{\"min_version\":1,\"max_version\":1}},"
        "\"listener_security_protocol_map\":{\"CLIENT\":\"SASL_SSL\",\"REPLICATION\":\"SSL\"},"
        "\"endpoints\":[\"CLIENT://host1:9092\",\"REPLICATION://host1:9093\"],\"rack\":\"dc1\","
        "\"jmx_port\":9999,\"port\":-1,\"host\":null,\"version\":5,\"timestamp\":\"2233345666\"}";
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(S(named), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.n_endpoints, 2);
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].listener, "CLIENT");
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].security_protocol, "SASL_SSL");
    CU_ASSERT_STRING_EQUAL(d.endpoints[1].security_protocol, "SSL");
    CU_ASSERT_STRING_EQUAL(d.rack, "dc1");
    CU_ASSERT_PTR_NULL(d.host);
    zk_json_broker_destroy(&d);

    /* Version 1 (0.8): host and port only. */
    const char v1[] = "{\"version\":1,\"host\":\"localhost\",\"port\":9092,\"jmx_port\":9999,"
                      "\"timestamp\":\"2233345666\"}";
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(S(v1), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.n_endpoints, 1);
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].listener, "PLAINTEXT");
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "localhost");
    CU_ASSERT_EQUAL(d.endpoints[0].port, 9092);
    CU_ASSERT_EQUAL(d.timestamp_ms, 2233345666);
    zk_json_broker_destroy(&d);

    /* Version 2: no protocol map, listener names are protocol names. Kafka
     * normalises listener names to upper case. Empty host = all interfaces. */
    const char v2[] = "{\"version\":2,\"host\":\"localhost\",\"port\":9092,\"jmx_port\":9999,"
                      "\"timestamp\":\"2233345666\",\"endpoints\":[\"plaintext://:9092\","
                      "\"SSL://host1:9093\"]}";
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(S(v2), &d, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].listener, "PLAINTEXT");
    CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "");
    CU_ASSERT_STRING_EQUAL(d.endpoints[1].security_protocol, "SSL");
    zk_json_broker_destroy(&d);

    /* A registration without a timestamp (nobody reads it) still decodes. */
    const char nots[] = "{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"]}";
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(S(nots), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.timestamp_ms, -1);
    zk_json_broker_destroy(&d);
}

struct bad_case {
    const char *json; /* znode contents */
    const char *why;  /* a word the error message must contain */
};

static void expect_rejected(int (*decode)(const char *, size_t, void *, char *, size_t),
                            void (*destroy)(void *), void *out, const struct bad_case *cases,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        err[0] = '\0';
        int rc =
            decode(cases[i].json, cases[i].json ? strlen(cases[i].json) : 0, out, err, sizeof(err));
        if (rc != GR_E_CORRUPT || !strstr(err, cases[i].why))
            fprintf(stderr, "case %zu <%s>: rc %d, message \"%s\" (want \"%s\")\n", i,
                    cases[i].json ? cases[i].json : "(null)", rc, err, cases[i].why);
        CU_ASSERT_EQUAL(rc, GR_E_CORRUPT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
        if (destroy)
            destroy(out);
    }
}

static int broker_decode_v(const char *d, size_t l, void *o, char *e, size_t es)
{
    return zk_json_broker_decode(d, l, o, e, es);
}
static void broker_destroy_v(void *o)
{
    zk_json_broker_destroy(o);
}

static void test_broker_rejects(void)
{
    static const struct bad_case cases[] = {
        {NULL, "empty"},
        {"", "empty"},
        {"{\"version\":4,", "malformed JSON"},
        {"[1,2]", "object"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"]} x", "malformed"},
        {"{}", "\"version\""},
        {"{\"version\":0,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"]}", "\"version\""},
        {"{\"version\":\"4\",\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"]}", "\"version\""},
        {"{\"version\":4,\"endpoints\":[\"PLAINTEXT://h:1\"]}", "\"jmx_port\""},
        {"{\"version\":4,\"jmx_port\":1.5,\"endpoints\":[\"PLAINTEXT://h:1\"]}", "\"jmx_port\""},
        {"{\"version\":4,\"jmx_port\":-1}", "\"endpoints\""},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[]}", "\"endpoints\""},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":\"PLAINTEXT://h:1\"}", "\"endpoints\""},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[9092]}", "\"endpoints\""},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"h:9092\"]}", "LISTENER://host:port"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h\"]}", "port"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:70000\"]}", "port"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:x1\"]}", "port"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h h:1\"]}", "host"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"CLIENT://h:1\"]}", "CLIENT"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"CLIENT://h:1\"],"
         "\"listener_security_protocol_map\":{\"OTHER\":\"SSL\"}}",
         "CLIENT"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"CLIENT://h:1\"],"
         "\"listener_security_protocol_map\":{\"CLIENT\":\"TLS\"}}",
         "security protocol"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"],"
         "\"listener_security_protocol_map\":[]}",
         "listener_security_protocol_map"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://a:1\",\"PLAINTEXT://b:2\"]}",
         "twice"},
        {"{\"version\":4,\"jmx_port\":-1,\"endpoints\":[\"PLAINTEXT://h:1\"],\"rack\":5}",
         "\"rack\""},
        {"{\"version\":1,\"jmx_port\":-1,\"port\":9092}", "\"host\""},
        {"{\"version\":1,\"jmx_port\":-1,\"host\":\"h\"}", "\"port\""},
        /* Found by fuzz_zk_json: a version 1 host was served unchecked. */
        {"{\"version\":1,\"jmx_port\":-1,\"host\":\"a*b\",\"port\":9092}", "\"host\""},
    };
    struct zk_broker_info d;
    expect_rejected(broker_decode_v, broker_destroy_v, &d, cases, sizeof(cases) / sizeof(cases[0]));
    CU_ASSERT_STRING_EQUAL(strstr(err, "broker registration") ? "ok" : err, "ok");
}

/* Found by fuzz_zk_json: 9223372036854775807 arrives as the double 2^63,
 * which passed the range check and overflowed the cast to int64_t: undefined
 * behaviour, which the UBSan build (build-asan) aborts on. An unreadable
 * timestamp is reported as unknown. */
static void test_broker_timestamp_2p63(void)
{
    static const char json[] = "{\"version\":4,\"jmx_port\":-1,\"timestamp\":"
                               "9223372036854775807,\"endpoints\":[\"PLAINTEXT://h:1\"]}";
    struct zk_broker_info d;
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.timestamp_ms, -1);
    zk_json_broker_destroy(&d);
}

/* ---- topic assignment ---------------------------------------------------- */

static void test_topic_roundtrip(void)
{
    int32_t r0[] = {1, 2}, r1[] = {2, 1};
    struct zk_partition_replicas parts[] = {{1, r1, 2, NULL, 0, NULL, 0},
                                            {0, r0, 2, NULL, 0, NULL, 0}};
    struct zk_topic_assignment t = {.partitions = parts, .n_partitions = 2};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_encode(&t, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"partitions\":{\"1\":[2,1],\"0\":[1,2]}}");
    struct zk_topic_assignment d;
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 1);
    CU_ASSERT_EQUAL_FATAL(d.n_partitions, 2);
    /* Decoded partitions come sorted; replica order (preferred leader first)
     * is kept. */
    CU_ASSERT_EQUAL(d.partitions[0].partition, 0);
    CU_ASSERT_EQUAL(d.partitions[0].replicas[0], 1);
    CU_ASSERT_EQUAL(d.partitions[1].replicas[0], 2);
    CU_ASSERT_PTR_NULL(d.topic_id);
    zk_json_topic_destroy(&d);
    free(json);

    /* A reassignment in progress is written as version 2 and survives. */
    int32_t add[] = {3}, rem[] = {1};
    int32_t r2[] = {1, 2, 3};
    struct zk_partition_replicas moving[] = {{0, r2, 3, add, 1, rem, 1}};
    struct zk_topic_assignment t2 = {.partitions = moving, .n_partitions = 1};
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_encode(&t2, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json,
                           "{\"version\":2,\"partitions\":{\"0\":[1,2,3]},"
                           "\"adding_replicas\":{\"0\":[3]},\"removing_replicas\":{\"0\":[1]}}");
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 2);
    CU_ASSERT_EQUAL(d.partitions[0].n_adding, 1);
    CU_ASSERT_EQUAL(d.partitions[0].adding[0], 3);
    CU_ASSERT_EQUAL(d.partitions[0].removing[0], 1);
    zk_json_topic_destroy(&d);
    free(json);
}

static void test_topic_decode_kafka(void)
{
    struct zk_topic_assignment d;
    /* Kafka 2.8 writes version 3 with a topic id and empty side maps. */
    const char v3[] = "{\"version\":3,\"topic_id\":\"q2D2LbgZTpO9HcqtrVJ3qQ\",\"partitions\":"
                      "{\"2\":[3,1],\"1\":[2,3],\"0\":[1,2]},\"adding_replicas\":{},"
                      "\"removing_replicas\":{}}";
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_decode(S(v3), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 3);
    CU_ASSERT_STRING_EQUAL(d.topic_id, "q2D2LbgZTpO9HcqtrVJ3qQ");
    CU_ASSERT_EQUAL(d.n_partitions, 3);
    CU_ASSERT_EQUAL(d.partitions[2].partition, 2);
    CU_ASSERT_EQUAL(d.partitions[2].replicas[0], 3);
    CU_ASSERT_EQUAL(d.partitions[2].n_adding, 0);
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_encode(&d, &json, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"version\":3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"topic_id\":\"q2D2LbgZTpO9HcqtrVJ3qQ\""));
    free(json);
    zk_json_topic_destroy(&d);

    const char v2[] = "{\"version\":2,\"partitions\":{\"0\":[1]},\"adding_replicas\":{},"
                      "\"removing_replicas\":{}}";
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_decode(S(v2), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.version, 2);
    zk_json_topic_destroy(&d);

    /* docs/KAFKA-COMPAT.md's example, as kafka-topics --zookeeper wrote it. */
    const char v1[] = "{\"version\":1,\"partitions\":{\"0\":[1,2,3],\"1\":[2,3,1]}}";
    CU_ASSERT_EQUAL_FATAL(zk_json_topic_decode(S(v1), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.partitions[1].n_replicas, 3);
    zk_json_topic_destroy(&d);
}

static int topic_decode_v(const char *d, size_t l, void *o, char *e, size_t es)
{
    return zk_json_topic_decode(d, l, o, e, es);
}
static void topic_destroy_v(void *o)
{
    zk_json_topic_destroy(o);
}

static void test_topic_rejects(void)
{
    static const struct bad_case cases[] = {
        {"{\"version\":1}", "\"partitions\""},
        {"{\"version\":1,\"partitions\":{}}", "\"partitions\""},
        {"{\"version\":1,\"partitions\":[[1,2]]}", "\"partitions\""},
        {"{\"version\":1,\"partitions\":{\"zero\":[1]}}", "zero"},
        {"{\"version\":1,\"partitions\":{\"-1\":[1]}}", "-1"},
        {"{\"version\":1,\"partitions\":{\"0\":[1],\"0\":[2]}}", "twice"},
        {"{\"version\":1,\"partitions\":{\"0\":[]}}", "empty"},
        {"{\"version\":1,\"partitions\":{\"0\":1}}", "array"},
        {"{\"version\":1,\"partitions\":{\"0\":[1,1]}}", "twice"},
        {"{\"version\":1,\"partitions\":{\"0\":[-1]}}", "broker ids"},
        {"{\"version\":1,\"partitions\":{\"0\":[1.5]}}", "broker ids"},
        {"{\"version\":1,\"partitions\":{\"0\":[\"1\"]}}", "broker ids"},
        {"{\"version\":2,\"partitions\":{\"0\":[1]},\"adding_replicas\":{\"5\":[2]}}",
         "partition 5"},
        {"{\"version\":2,\"partitions\":{\"0\":[1]},\"removing_replicas\":[]}",
         "removing_replicas"},
        {"{\"version\":3,\"partitions\":{\"0\":[1]},\"topic_id\":7}", "topic_id"},
        {"{\"version\":1,\"partitions\":{\"0\":[1]}", "malformed"},
    };
    struct zk_topic_assignment d;
    expect_rejected(topic_decode_v, topic_destroy_v, &d, cases, sizeof(cases) / sizeof(cases[0]));

    struct zk_topic_assignment empty = {0};
    char *json;
    CU_ASSERT_EQUAL(zk_json_topic_encode(&empty, &json, err, sizeof(err)), GR_E_INVALID);
}

/* ---- partition state, controller, epochs --------------------------------- */

static void test_partition_state(void)
{
    int32_t isr[] = {1, 2, 3};
    struct zk_partition_state s = {
        .leader = 1, .leader_epoch = 7, .controller_epoch = 2, .isr = isr, .n_isr = 3};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_state_encode(&s, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"leader\":1,\"leader_epoch\":7,\"isr\":[1,2,3],"
                                 "\"controller_epoch\":2}");
    struct zk_partition_state d;
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_state_decode(json, strlen(json), &d, err, sizeof(err)),
                          0);
    CU_ASSERT_EQUAL(d.leader, 1);
    CU_ASSERT_EQUAL(d.leader_epoch, 7);
    CU_ASSERT_EQUAL(d.controller_epoch, 2);
    CU_ASSERT_EQUAL(d.n_isr, 3);
    CU_ASSERT_EQUAL(d.zk_version, -1);
    zk_json_partition_state_destroy(&d);
    free(json);

    /* Kafka's own bytes (Jackson's order) and a leaderless partition. */
    const char kafka[] = "{\"controller_epoch\":1,\"leader\":-1,\"version\":1,\"leader_epoch\":4,"
                         "\"isr\":[]}";
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_state_decode(S(kafka), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.leader, -1);
    CU_ASSERT_EQUAL(d.n_isr, 0);
    zk_json_partition_state_destroy(&d);

    static const struct bad_case cases[] = {
        {"{\"leader\":1,\"leader_epoch\":0,\"controller_epoch\":1}", "\"isr\""},
        {"{\"leader\":\"1\",\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[1]}", "\"leader\""},
        {"{\"leader\":-3,\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[1]}", "\"leader\""},
        {"{\"leader\":1,\"controller_epoch\":1,\"isr\":[1]}", "\"leader_epoch\""},
        {"{\"leader\":1,\"leader_epoch\":0,\"isr\":[1]}", "\"controller_epoch\""},
        {"{\"leader\":1,\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[1,1]}", "twice"},
        {"{\"leader\":1,\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[1e12]}", "broker ids"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(zk_json_partition_state_decode(cases[i].json, strlen(cases[i].json), &d,
                                                       err, sizeof(err)),
                        GR_E_CORRUPT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "partition state"));
        zk_json_partition_state_destroy(&d);
    }
}

/* gregor's owner fields: written as Kafka ignores them, read back, ignored
 * when absent or malformed (they then prove nothing), and they do not stop a
 * Kafka-style decode of the rest. */
static void test_owner_fields(void)
{
    struct zk_endpoint eps[] = {{"PLAINTEXT", "PLAINTEXT", "h", 9092}};
    struct zk_broker_info b = {.jmx_port = -1, .timestamp_ms = 1, .endpoints = eps,
                               .n_endpoints = 1, .incarnation = 0xfedcba9876543210u,
                               .process = "0a1b-2c/4026531836/42/77"};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_encode(&b, &json, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, ",\"gregor_incarnation\":\"fedcba9876543210\","
                                        "\"gregor_process\":\"0a1b-2c/4026531836/42/77\"}"));
    struct zk_broker_info d;
    CU_ASSERT_EQUAL_FATAL(zk_json_broker_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.incarnation, 0xfedcba9876543210u);
    CU_ASSERT_STRING_EQUAL(d.process, "0a1b-2c/4026531836/42/77");
    struct zk_owner o;
    zk_json_owner_decode(json, strlen(json), &o);
    CU_ASSERT_EQUAL(o.incarnation, 0xfedcba9876543210u);
    CU_ASSERT_STRING_EQUAL(o.process, "0a1b-2c/4026531836/42/77");
    zk_json_broker_destroy(&d);
    free(json);

    const char *odd[] = {
        "{\"version\":1,\"host\":\"h\",\"port\":1,\"jmx_port\":-1}",
        "{\"version\":1,\"host\":\"h\",\"port\":1,\"jmx_port\":-1,\"gregor_incarnation\":7,"
        "\"gregor_process\":7}",
        "{\"version\":1,\"host\":\"h\",\"port\":1,\"jmx_port\":-1,\"gregor_incarnation\":\"12\","
        "\"gregor_process\":\"a b\"}",
        "{\"version\":1,\"host\":\"h\",\"port\":1,\"jmx_port\":-1,"
        "\"gregor_incarnation\":\"00000000000000zz\",\"gregor_process\":\"\\n\"}",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        CU_ASSERT_EQUAL(zk_json_broker_decode(odd[i], strlen(odd[i]), &d, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(d.incarnation, 0);
        CU_ASSERT_PTR_NULL(d.process);
        zk_json_broker_destroy(&d);
        zk_json_owner_decode(odd[i], strlen(odd[i]), &o);
        CU_ASSERT_EQUAL(o.incarnation, 0);
        CU_ASSERT_STRING_EQUAL(o.process, "");
    }
    zk_json_owner_decode(S("not json"), &o);
    CU_ASSERT_EQUAL(o.incarnation, 0);

    int32_t id;
    struct zk_owner me = {.incarnation = 0xab, .process = ""};
    CU_ASSERT_EQUAL_FATAL(zk_json_controller_encode(3, 5, &me, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"brokerid\":3,\"timestamp\":\"5\","
                                 "\"gregor_incarnation\":\"00000000000000ab\"}");
    CU_ASSERT_EQUAL(zk_json_controller_decode(json, strlen(json), &id, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(id, 3);
    zk_json_owner_decode(json, strlen(json), &o);
    CU_ASSERT_EQUAL(o.incarnation, 0xab);
    free(json);
}

/* The owner of this process, and the only test that may call another
 * writer dead: same boot, same pid namespace, and its pid gone or reused. */
static void test_owner_process(void)
{
    struct zk_owner a, b;
    zk_owner_init(&a);
    zk_owner_init(&b);
    CU_ASSERT_NOT_EQUAL(a.incarnation, 0);
    CU_ASSERT_NOT_EQUAL(a.incarnation, b.incarnation);
    CU_ASSERT_STRING_EQUAL(a.process, b.process);
    CU_ASSERT_FATAL(a.process[0] != '\0'); /* /proc is there on Linux */
    CU_ASSERT_FALSE(zk_owner_process_gone(a.process)); /* this very process */

    /* A child that exits: its pid is gone, then its description says so. */
    pid_t pid = fork();
    if (pid == 0) {
        struct zk_owner c;
        zk_owner_init(&c);
        FILE *f = fopen("/tmp/gregor-test-owner", "w");
        if (f) {
            fputs(c.process, f);
            fclose(f);
        }
        _exit(0);
    }
    CU_ASSERT_FATAL(pid > 0);
    int status;
    waitpid(pid, &status, 0);
    char child[ZK_OWNER_PROCESS_MAX] = "";
    FILE *f = fopen("/tmp/gregor-test-owner", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(child, sizeof(child), f));
    fclose(f);
    unlink("/tmp/gregor-test-owner");
    CU_ASSERT_TRUE(zk_owner_process_gone(child));

    /* A live process (our parent) named with another start time: its pid
     * was reused. Named with its own, it is alive. */
    char reused[ZK_OWNER_PROCESS_MAX];
    snprintf(reused, sizeof(reused), "%.*s/%ld/1", (int)(strchr(a.process + 37, '/') - a.process),
             a.process, (long)getppid());
    CU_ASSERT_TRUE(zk_owner_process_gone(reused));

    /* Unknown or elsewhere proves nothing. */
    CU_ASSERT_FALSE(zk_owner_process_gone(""));
    CU_ASSERT_FALSE(zk_owner_process_gone(NULL));
    CU_ASSERT_FALSE(zk_owner_process_gone("00000000-0000-0000-0000-000000000000/1/2/3"));
    char other_ns[ZK_OWNER_PROCESS_MAX];
    snprintf(other_ns, sizeof(other_ns), "%.36s/1/999999/5", a.process);
    CU_ASSERT_FALSE(zk_owner_process_gone(other_ns));
    CU_ASSERT_FALSE(zk_owner_process_gone("garbage"));
}

static void test_producer_id_block(void)
{
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_producer_id_block_encode(2, 1000, 1999, &json, err, sizeof(err)),
                          0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"broker\":2,\"block_start\":\"1000\","
                                 "\"block_end\":\"1999\"}");
    free(json);
    int64_t start = -1, end = -1;
    /* As Kafka 2.8 writes it. */
    const char kafka[] = "{\"version\":1,\"broker\":0,\"block_start\":\"9223372036854774808\","
                         "\"block_end\":\"9223372036854775807\"}";
    CU_ASSERT_EQUAL(zk_json_producer_id_block_decode(S(kafka), &start, &end, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(start, INT64_MAX - 999);
    CU_ASSERT_EQUAL(end, INT64_MAX);
    static const char *const bad[] = {
        "{\"version\":1,\"broker\":0,\"block_start\":0,\"block_end\":\"999\"}",
        "{\"version\":1,\"broker\":0,\"block_start\":\"-1\",\"block_end\":\"999\"}",
        "{\"version\":1,\"broker\":0,\"block_start\":\"1000\",\"block_end\":\"999\"}",
        "{\"version\":1,\"block_start\":\"0\",\"block_end\":\"999\"}",
        "{\"version\":1,\"broker\":0,\"block_start\":\"0\"}",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(zk_json_producer_id_block_decode(bad[i], strlen(bad[i]), &start, &end, err,
                                                         sizeof(err)),
                        GR_E_CORRUPT);
}

static void test_controller(void)
{
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_controller_encode(3, 1626891234567, NULL, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"brokerid\":3,\"timestamp\":\"1626891234567\"}");
    free(json);
    int32_t id = -1;
    const char kafka[] = "{\"version\":1,\"brokerid\":1001,\"timestamp\":\"1626891234567\"}";
    CU_ASSERT_EQUAL(zk_json_controller_decode(S(kafka), &id, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(id, 1001);
    CU_ASSERT_EQUAL(zk_json_controller_decode(S("{\"version\":1}"), &id, err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"brokerid\""));
    CU_ASSERT_EQUAL(zk_json_controller_decode(S("{\"brokerid\":-1}"), &id, err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_controller_decode(S("1"), &id, err, sizeof(err)), GR_E_CORRUPT);

    char buf[16];
    CU_ASSERT_EQUAL(zk_json_controller_epoch_encode(0, buf, sizeof(buf)), 1);
    CU_ASSERT_STRING_EQUAL(buf, "0");
    CU_ASSERT_EQUAL(zk_json_controller_epoch_encode(2147483647, buf, sizeof(buf)), 10);
    int32_t epoch = -1;
    CU_ASSERT_EQUAL(zk_json_controller_epoch_decode(S("42"), &epoch, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(epoch, 42);
    CU_ASSERT_EQUAL(zk_json_controller_epoch_decode(S("0"), &epoch, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(epoch, 0);
    const char *bad[] = {"", "-1", "1.0", " 5", "5\n", "abc", "99999999999", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(
            zk_json_controller_epoch_decode(bad[i], strlen(bad[i]), &epoch, err, sizeof(err)),
            GR_E_CORRUPT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "controller epoch"));
    }
    CU_ASSERT_EQUAL(zk_json_controller_epoch_decode(NULL, 0, &epoch, err, sizeof(err)),
                    GR_E_CORRUPT);

    int64_t off = 0;
    CU_ASSERT_EQUAL(zk_json_consumer_offset_encode(1234567890123, buf, sizeof(buf)), 13);
    CU_ASSERT_EQUAL(zk_json_consumer_offset_decode(buf, strlen(buf), &off, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(off, 1234567890123);
    CU_ASSERT_EQUAL(zk_json_consumer_offset_decode(S("12a"), &off, err, sizeof(err)), GR_E_CORRUPT);
}

/* ---- cluster id ---------------------------------------------------------- */

static int b64url_value(char c)
{
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = strchr(alpha, c);
    return c && p ? (int)(p - alpha) : -1;
}

static void test_cluster_id(void)
{
    char *json;
    CU_ASSERT_EQUAL_FATAL(
        zk_json_cluster_id_encode("0Z4IzoMsT6WfYVX6jI2rrg", &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":\"1\",\"id\":\"0Z4IzoMsT6WfYVX6jI2rrg\"}");
    char id[ZK_CLUSTER_ID_MAX + 1];
    CU_ASSERT_EQUAL(zk_json_cluster_id_decode(json, strlen(json), id, sizeof(id), err, sizeof(err)),
                    0);
    CU_ASSERT_STRING_EQUAL(id, "0Z4IzoMsT6WfYVX6jI2rrg");
    free(json);
    CU_ASSERT_EQUAL(
        zk_json_cluster_id_decode(S("{\"version\":\"1\"}"), id, sizeof(id), err, sizeof(err)),
        GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"id\""));
    CU_ASSERT_EQUAL(zk_json_cluster_id_decode(S("{\"version\":\"1\",\"id\":42}"), id, sizeof(id),
                                              err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_cluster_id_decode(S("{\"version\":\"1\",\"id\":\"\"}"), id, sizeof(id),
                                              err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_cluster_id_encode("", &json, err, sizeof(err)), GR_E_INVALID);

    /* Generated ids: 22 URL-safe base64 chars of a version-4 UUID, never
     * starting with '-', different every time. */
    char a[ZK_CLUSTER_ID_LEN + 1], b[ZK_CLUSTER_ID_LEN + 1];
    for (int round = 0; round < 200; round++) {
        CU_ASSERT_EQUAL_FATAL(zk_json_cluster_id_generate(a), 0);
        CU_ASSERT_EQUAL_FATAL(strlen(a), ZK_CLUSTER_ID_LEN);
        CU_ASSERT_NOT_EQUAL(a[0], '-');
        uint8_t bytes[17] = {0};
        int bits = 0, nb = 0;
        uint32_t acc = 0;
        for (int i = 0; i < ZK_CLUSTER_ID_LEN; i++) {
            int v = b64url_value(a[i]);
            CU_ASSERT_TRUE_FATAL(v >= 0);
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                bytes[nb++] = (uint8_t)(acc >> bits);
            }
        }
        CU_ASSERT_EQUAL(nb, 16);
        CU_ASSERT_EQUAL(bytes[6] >> 4, 4);
        CU_ASSERT_EQUAL(bytes[8] >> 6, 2);
    }
    CU_ASSERT_EQUAL(zk_json_cluster_id_generate(b), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

/* ---- configs and notifications ------------------------------------------- */

static void test_config(void)
{
    struct zk_config_entry e[] = {{"retention.ms", "86400000"}, {"cleanup.policy", "compact"}};
    struct zk_config c = {.entries = e, .n = 2};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_config_encode(&c, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"config\":{\"retention.ms\":\"86400000\","
                                 "\"cleanup.policy\":\"compact\"}}");
    struct zk_config d;
    CU_ASSERT_EQUAL_FATAL(zk_json_config_decode(json, strlen(json), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL_FATAL(d.n, 2);
    CU_ASSERT_STRING_EQUAL(d.entries[0].key, "retention.ms");
    CU_ASSERT_STRING_EQUAL(d.entries[0].value, "86400000");
    zk_json_config_destroy(&d);
    free(json);

    struct zk_config none = {0};
    CU_ASSERT_EQUAL_FATAL(zk_json_config_encode(&none, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"config\":{}}");
    free(json);
    CU_ASSERT_EQUAL(zk_json_config_decode(NULL, 0, &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.n, 0);
    zk_json_config_destroy(&d);

    CU_ASSERT_EQUAL(
        zk_json_config_decode(S("{\"version\":1,\"config\":{\"retention.ms\":86400000}}"), &d, err,
                              sizeof(err)),
        GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "retention.ms"));
    CU_ASSERT_EQUAL(zk_json_config_decode(S("{\"version\":1}"), &d, err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(
        zk_json_config_decode(S("{\"version\":1,\"config\":\"x\"}"), &d, err, sizeof(err)),
        GR_E_CORRUPT);
    zk_json_config_destroy(&d);
}

static void test_config_change(void)
{
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_config_change_encode("topics/orders", &json, err, sizeof(err)),
                          0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":2,\"entity_path\":\"topics/orders\"}");
    char path[128];
    CU_ASSERT_EQUAL(
        zk_json_config_change_decode(json, strlen(json), path, sizeof(path), err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(path, "topics/orders");
    free(json);
    CU_ASSERT_EQUAL(zk_json_config_change_decode(
                        S("{\"version\":1,\"entity_type\":\"topics\",\"entity_name\":\"t\"}"), path,
                        sizeof(path), err, sizeof(err)),
                    0);
    CU_ASSERT_STRING_EQUAL(path, "topics/t");
    CU_ASSERT_EQUAL(zk_json_config_change_decode(S("{\"version\":3,\"entity_path\":\"topics/t\"}"),
                                                 path, sizeof(path), err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "version"));
    CU_ASSERT_EQUAL(
        zk_json_config_change_decode(S("{\"version\":2}"), path, sizeof(path), err, sizeof(err)),
        GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_config_change_decode(S("{\"version\":2,\"entity_path\":\"orders\"}"),
                                                 path, sizeof(path), err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_config_change_encode("orders", &json, err, sizeof(err)), GR_E_INVALID);
}

static void test_partition_lists(void)
{
    struct zk_topic_partition tps[] = {{"orders", 0}, {"payments", 3}};
    struct zk_partition_list l = {.items = tps, .n = 2};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_list_encode(&l, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"partitions\":[{\"topic\":\"orders\","
                                 "\"partition\":0},{\"topic\":\"payments\",\"partition\":3}]}");
    struct zk_partition_list d;
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_list_decode(json, strlen(json), &d, err, sizeof(err)),
                          0);
    CU_ASSERT_EQUAL_FATAL(d.n, 2);
    CU_ASSERT_STRING_EQUAL(d.items[1].topic, "payments");
    CU_ASSERT_EQUAL(d.items[1].partition, 3);
    zk_json_partition_list_destroy(&d);
    free(json);

    /* Kafka's ISR change notification (Jackson puts partition first). */
    const char kafka[] = "{\"version\":1,\"partitions\":[{\"partition\":2,\"topic\":\"t\"}]}";
    CU_ASSERT_EQUAL_FATAL(zk_json_partition_list_decode(S(kafka), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.items[0].partition, 2);
    zk_json_partition_list_destroy(&d);

    CU_ASSERT_EQUAL(
        zk_json_partition_list_decode(S("{\"version\":1,\"partitions\":[{\"topic\":\"t\"}]}"), &d,
                                      err, sizeof(err)),
        GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"partition\""));
    CU_ASSERT_EQUAL(zk_json_partition_list_decode(
                        S("{\"version\":1,\"partitions\":[{\"topic\":\"\",\"partition\":0}]}"), &d,
                        err, sizeof(err)),
                    GR_E_CORRUPT);
    CU_ASSERT_EQUAL(
        zk_json_partition_list_decode(S("{\"version\":1,\"partitions\":{}}"), &d, err, sizeof(err)),
        GR_E_CORRUPT);
    CU_ASSERT_EQUAL(zk_json_partition_list_decode(S("{\"version\":1,\"partitions\":[5]}"), &d, err,
                                                  sizeof(err)),
                    GR_E_CORRUPT);
    zk_json_partition_list_destroy(&d);
}

static void test_reassignment(void)
{
    int32_t r0[] = {2, 3};
    struct zk_reassignment_entry e[] = {{"orders", 0, r0, 2}};
    struct zk_reassignment r = {.items = e, .n = 1};
    char *json;
    CU_ASSERT_EQUAL_FATAL(zk_json_reassignment_encode(&r, &json, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(json, "{\"version\":1,\"partitions\":[{\"topic\":\"orders\","
                                 "\"partition\":0,\"replicas\":[2,3]}]}");
    free(json);
    /* As kafka-reassign-partitions.sh writes it, with log_dirs. */
    const char tool[] = "{\"version\":1,\"partitions\":[{\"topic\":\"orders\",\"partition\":1,"
                        "\"replicas\":[1,2],\"log_dirs\":[\"any\",\"any\"]}]}";
    struct zk_reassignment d;
    CU_ASSERT_EQUAL_FATAL(zk_json_reassignment_decode(S(tool), &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.n, 1);
    CU_ASSERT_EQUAL(d.items[0].partition, 1);
    CU_ASSERT_EQUAL(d.items[0].n_replicas, 2);
    zk_json_reassignment_destroy(&d);

    const char twice[] = "{\"version\":1,\"partitions\":[{\"topic\":\"o\",\"partition\":1,"
                         "\"replicas\":[1]},{\"topic\":\"o\",\"partition\":1,\"replicas\":[2]}]}";
    CU_ASSERT_EQUAL(zk_json_reassignment_decode(S(twice), &d, err, sizeof(err)), GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
    const char empty[] = "{\"version\":1,\"partitions\":[{\"topic\":\"o\",\"partition\":1,"
                         "\"replicas\":[]}]}";
    CU_ASSERT_EQUAL(zk_json_reassignment_decode(S(empty), &d, err, sizeof(err)), GR_E_CORRUPT);
    const char noreps[] = "{\"version\":1,\"partitions\":[{\"topic\":\"o\",\"partition\":1}]}";
    CU_ASSERT_EQUAL(zk_json_reassignment_decode(S(noreps), &d, err, sizeof(err)), GR_E_CORRUPT);
    zk_json_reassignment_destroy(&d);
}

/* Every prefix and many single-byte corruptions of valid znodes either
 * decode or fail with a message; under ASan this also proves no decoder reads
 * past the znode's length (the input is not NUL-terminated). */
static void test_mangled_znodes_never_crash(void)
{
    const char *valid[] = {
        ("{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},"
         "\"endpoints\":[\"PLAINTEXT://kafka-0:9092\"],\"jmx_port\":-1,\"port\":9092,"
         "\"host\":\"kafka-0\",\"version\":5,\"timestamp\":\"1626891234567\"}"),
        ("{\"version\":2,\"partitions\":{\"0\":[1,2],\"1\":[2,1]},\"adding_replicas\":{\"0\":[3]},"
         "\"removing_replicas\":{}}"),
        "{\"controller_epoch\":1,\"leader\":1,\"version\":1,\"leader_epoch\":0,\"isr\":[1,2,3]}",
        "{\"version\":1,\"config\":{\"retention.ms\":\"86400000\"}}",
        "{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[1]}]}",
    };
    uint64_t seed = test_seed("test_zk_json");
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        size_t n = strlen(valid[v]);
        for (size_t cut = 0; cut <= n; cut++) {
            for (int flip = 0; flip < 4; flip++) {
                /* An exactly-sized heap copy: ASan catches any overread. */
                char *buf = malloc(cut ? cut : 1);
                memcpy(buf, valid[v], cut);
                if (flip && cut)
                    buf[test_rand(&seed) % cut] = (char)(test_rand(&seed) & 0xff);
                struct zk_broker_info b;
                struct zk_topic_assignment t;
                struct zk_partition_state s;
                struct zk_config c;
                struct zk_reassignment r;
                struct zk_partition_list l;
                int32_t i32;
                char id[64];
                int rcs[] = {
                    zk_json_broker_decode(buf, cut, &b, err, sizeof(err)),
                    zk_json_topic_decode(buf, cut, &t, err, sizeof(err)),
                    zk_json_partition_state_decode(buf, cut, &s, err, sizeof(err)),
                    zk_json_config_decode(buf, cut, &c, err, sizeof(err)),
                    zk_json_reassignment_decode(buf, cut, &r, err, sizeof(err)),
                    zk_json_partition_list_decode(buf, cut, &l, err, sizeof(err)),
                    zk_json_controller_decode(buf, cut, &i32, err, sizeof(err)),
                    zk_json_controller_epoch_decode(buf, cut, &i32, err, sizeof(err)),
                    zk_json_cluster_id_decode(buf, cut, id, sizeof(id), err, sizeof(err)),
                };
                for (size_t k = 0; k < sizeof(rcs) / sizeof(rcs[0]); k++)
                    CU_ASSERT_TRUE(rcs[k] == 0 || rcs[k] == GR_E_CORRUPT);
                zk_json_broker_destroy(&b);
                zk_json_topic_destroy(&t);
                zk_json_partition_state_destroy(&s);
                zk_json_config_destroy(&c);
                zk_json_reassignment_destroy(&r);
                zk_json_partition_list_destroy(&l);
                free(buf);
            }
        }
    }
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"broker registration v4 encodes as Kafka's and round-trips", test_broker_encode_v4},
        {"broker registrations written by Kafka 0.8 to 2.8 decode", test_broker_decode_kafka},
        {"malformed broker registrations are refused with a reason", test_broker_rejects},
        {"a timestamp of 2^63 is unknown, not overflowed", test_broker_timestamp_2p63},
        {"topic assignment round-trips (v1, v2 with reassignment)", test_topic_roundtrip},
        {"topic assignments written by Kafka decode (v1, v2, v3)", test_topic_decode_kafka},
        {"malformed topic assignments are refused", test_topic_rejects},
        {"partition state", test_partition_state},
        {"controller, controller epoch, consumer offset", test_controller},
        {"latest producer id block, as Kafka writes it", test_producer_id_block},
        {"gregor's owner fields in broker and controller znodes", test_owner_fields},
        {"the owner of this process; a writer proven gone", test_owner_process},
        {"cluster id znode and generator", test_cluster_id},
        {"topic config", test_config},
        {"config change notification v1/v2", test_config_change},
        {"ISR change / preferred election partition lists", test_partition_lists},
        {"partition reassignment", test_reassignment},
        {"truncated and corrupted znodes never crash a decoder", test_mangled_znodes_never_crash},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"zk_json", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_zk_json", suites);
}
