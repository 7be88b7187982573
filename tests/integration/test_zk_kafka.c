/*
 * zk_kafka, zk_controller and zk_topic against a real ZooKeeper: the znodes
 * and sequences of Kafka's ZooKeeper mode as a broker and a controller would
 * drive them. Every test
 * runs in its own chroot so that /controller, /cluster/id and friends start
 * fresh.
 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/zk_harness.h"
#include "tests/integration/zk_testlib.h"
#include "tests/unit/testutil.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_controller.h"
#include "zk/zk_kafka.h"
#include "zk/zk_owner.h"
#include "zk/zk_producer_id.h"
#include "zk/zk_topic.h"

static struct zk_harness zk;

static int suite_init(void)
{
    zkt_loop = EV_DEFAULT;
    return zkh_start(&zk, "zk-kafka") == 0 ? 0 : -1;
}

static int suite_cleanup(void)
{
    zkh_cleanup(&zk);
    return 0;
}

/* ---- recorders for zk_kafka callbacks ------------------------------------ */

struct kres {
    bool done;                       /* callback ran */
    int calls;                       /* times it ran */
    int rc;                          /* its rc */
    char why[512];                   /* its why, "" if NULL */
    char str[256];                   /* cluster id / created path */
    int32_t id;                      /* broker id / controller id / version */
    int64_t epoch;                   /* broker epoch */
    struct zk_controller_election e; /* election outcome */
    int n;                           /* brokers listed */
    int32_t ids[16];                 /* their ids */
    int64_t epochs[16];              /* their epochs */
    char cfg_val[128];               /* config: value of retention.ms */
    int cfg_n;                       /* config entries */
    struct zk_partition_state st;    /* partition state (isr not kept) */
    int32_t replicas0[8];            /* topic: replicas of partition 0 */
    int n_partitions;                /* topic: partitions */
};

static struct kres *rec(void *ctx, int rc, const char *why)
{
    struct kres *r = ctx;
    r->done = true;
    r->calls++;
    r->rc = rc;
    snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
    return r;
}

static void done_cb(int rc, const char *why, void *ctx)
{
    rec(ctx, rc, why);
}

static void cluster_id_cb(int rc, const char *id, const char *why, void *ctx)
{
    snprintf(rec(ctx, rc, why)->str, 256, "%s", id ? id : "");
}

static void broker_id_cb(int rc, int32_t id, const char *why, void *ctx)
{
    rec(ctx, rc, why)->id = id;
}

static void register_cb(int rc, int64_t epoch, const char *why, void *ctx)
{
    rec(ctx, rc, why)->epoch = epoch;
}

static void election_cb(const struct zk_controller_election *e, void *ctx)
{
    struct kres *r = rec(ctx, e->rc, e->why);
    r->e = *e;
    r->e.why = NULL;
}

static void controller_cb(int rc, int32_t id, const char *why, void *ctx)
{
    rec(ctx, rc, why)->id = id;
}

static void version_cb(int rc, int32_t v, const char *why, void *ctx)
{
    rec(ctx, rc, why)->id = v;
}

static void state_cb(int rc, const struct zk_partition_state *st, const char *why, void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    if (st) {
        r->st = *st;
        r->st.isr = NULL;
        r->n = st->n_isr;
        for (int i = 0; i < st->n_isr && i < 16; i++)
            r->ids[i] = st->isr[i];
    }
}

static void topic_cb(int rc, const struct zk_topic_assignment *a, const char *why, void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    if (a) {
        r->n_partitions = a->n_partitions;
        for (int i = 0; i < a->partitions[0].n_replicas && i < 8; i++)
            r->replicas0[i] = a->partitions[0].replicas[i];
    }
}

static void config_cb(int rc, const struct zk_config *c, const char *why, void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    if (c) {
        r->cfg_n = c->n;
        for (int i = 0; i < c->n; i++)
            if (strcmp(c->entries[i].key, "retention.ms") == 0)
                snprintf(r->cfg_val, sizeof(r->cfg_val), "%s", c->entries[i].value);
    }
}

static void brokers_cb(int rc, const struct zk_kafka_broker *b, int n, const char *why, void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    r->n = n;
    for (int i = 0; i < n && i < 16; i++) {
        r->ids[i] = b[i].id;
        r->epochs[i] = b[i].epoch;
    }
}

static void broker_cb(int rc, const struct zk_broker_info *b, int64_t epoch, const char *why,
                      void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    r->epoch = epoch;
    if (b && b->n_endpoints > 0)
        snprintf(r->str, sizeof(r->str), "%s://%s:%d", b->endpoints[0].listener,
                 b->endpoints[0].host, (int)b->endpoints[0].port);
}

static void path_cb(int rc, const char *path, const char *why, void *ctx)
{
    snprintf(rec(ctx, rc, why)->str, 256, "%s", path ? path : "");
}

static void multi_cb(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    rec(ctx, rc, NULL)->n = n;
}

/* Waits for r; returns its rc or ZKT_TIMED_OUT (the call's own error if it
 * refused). */
static int wait_res(int call_rc, struct kres *r, double timeout)
{
    if (call_rc != GR_OK)
        return call_rc;
    if (!zkh_wait(zkt_loop, &r->done, timeout))
        return ZKT_TIMED_OUT;
    return r->rc;
}

#define KWAIT(r, call) (memset(&(r), 0, sizeof(r)), wait_res((call), &(r), ZKT_TIMEOUT))

/* Opens a client whose root is the chroot /<name>, created first. */
static struct zk_client *open_in(const char *name, int session_ms, struct zkt_session *s,
                                 char *connect_out)
{
    char connect[256];
    snprintf(connect, sizeof(connect), "%s/%s", zk.connect, name);
    struct kres r;
    if (KWAIT(r, zk_kafka_make_chroot(zkt_loop, connect, 5000, done_cb, &r)) != GR_OK) {
        fprintf(stderr, "make_chroot %s: %s\n", connect, r.why);
        return NULL;
    }
    if (connect_out)
        strcpy(connect_out, connect);
    memset(s, 0, sizeof(*s));
    return zkt_open_connected(connect, session_ms, s);
}

static struct zk_broker_info broker_info(struct zk_endpoint *ep, const char *host, int port)
{
    ep->listener = "PLAINTEXT";
    ep->security_protocol = "PLAINTEXT";
    ep->host = (char *)host;
    ep->port = port;
    struct zk_broker_info b = {
        .jmx_port = -1, .timestamp_ms = 1700000000000, .endpoints = ep, .n_endpoints = 1};
    return b;
}

/* Creates a one-partition topic (the parent of partition states). */
static int make_topic(struct zk_client *zc, const char *name)
{
    static int32_t reps[] = {1, 2};
    struct zk_partition_replicas parts[] = {{0, reps, 2, NULL, 0, NULL, 0}};
    struct zk_topic_assignment a = {.partitions = parts, .n_partitions = 1};
    struct kres r;
    return KWAIT(r, zk_topic_create(zc, name, &a, NULL, done_cb, &r));
}

/* ---- tests --------------------------------------------------------------- */

static void test_chroot_and_top_level_paths(void)
{
    struct zkt_session s;
    char connect[256];
    struct zk_client *zc = open_in("kafka/top", 6000, &s, connect);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres r;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_create_top_level_paths(zc, done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(r.calls, 1);
    const char *paths[] = {
        "/consumers",           "/brokers/ids",   "/brokers/topics",          "/config/changes",
        "/admin/delete_topics", "/brokers/seqid", "/isr_change_notification", "/config/topics"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        CU_ASSERT_EQUAL(zkt_exists(zc, paths[i], NULL, NULL), GR_OK);
    /* Idempotent, as every broker runs it at start. */
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_create_top_level_paths(zc, done_cb, &r)), GR_OK);

    /* The chroot is real: seen from the root, it all lives below it. */
    struct zkt_session rs = {0};
    struct zk_client *root = zkt_open_connected(zk.connect, 6000, &rs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_EQUAL(zkt_exists(root, "/kafka/top/brokers/ids", NULL, NULL), GR_OK);
    /* make_chroot is idempotent and fine without a chroot. */
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_make_chroot(zkt_loop, connect, 5000, done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_make_chroot(zkt_loop, zk.connect, 5000, done_cb, &r)), GR_OK);
    zk_client_free(root);
    zk_client_free(zc);
}

static void test_cluster_id_first_writer_wins(void)
{
    struct zkt_session sa, sb;
    struct zk_client *a = open_in("clusterid", 6000, &sa, NULL);
    struct zk_client *b = open_in("clusterid", 6000, &sb, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    char ida[ZK_CLUSTER_ID_LEN + 1], idb[ZK_CLUSTER_ID_LEN + 1];
    CU_ASSERT_EQUAL_FATAL(zk_json_cluster_id_generate(ida), 0);
    CU_ASSERT_EQUAL_FATAL(zk_json_cluster_id_generate(idb), 0);
    struct kres ra = {0}, rb = {0};
    /* Both brokers start at once with their own proposal. */
    CU_ASSERT_EQUAL(zk_kafka_get_or_create_cluster_id(a, ida, cluster_id_cb, &ra), GR_OK);
    CU_ASSERT_EQUAL(zk_kafka_get_or_create_cluster_id(b, idb, cluster_id_cb, &rb), GR_OK);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &ra.done, ZKT_TIMEOUT));
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &rb.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(ra.rc, GR_OK);
    CU_ASSERT_EQUAL(rb.rc, GR_OK);
    CU_ASSERT_STRING_EQUAL(ra.str, rb.str);
    CU_ASSERT_TRUE(strcmp(ra.str, ida) == 0 || strcmp(ra.str, idb) == 0);
    /* What Kafka's tools read. */
    struct zkt_res g;
    CU_ASSERT_EQUAL(zkt_get(a, "/cluster/id", NULL, &g), GR_OK);
    char want[320];
    snprintf(want, sizeof(want), "{\"version\":\"1\",\"id\":\"%s\"}", ra.str);
    CU_ASSERT_STRING_EQUAL(g.data, want);
    /* A later broker adopts it. */
    struct kres rc;
    CU_ASSERT_EQUAL(
        KWAIT(rc, zk_kafka_get_or_create_cluster_id(b, "another-id", cluster_id_cb, &rc)), GR_OK);
    CU_ASSERT_STRING_EQUAL(rc.str, ra.str);
    zk_client_free(a);
    zk_client_free(b);
}

static void test_generate_broker_id(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("seqid", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres r1, r2;
    /* /brokers/seqid does not exist yet in this chroot: created on demand. */
    CU_ASSERT_EQUAL(KWAIT(r1, zk_kafka_generate_broker_id(zc, ZK_KAFKA_RESERVED_BROKER_MAX_ID,
                                                          broker_id_cb, &r1)),
                    GR_OK);
    CU_ASSERT_EQUAL(r1.id, 1001); /* Kafka's first generated id */
    CU_ASSERT_EQUAL(KWAIT(r2, zk_kafka_generate_broker_id(zc, ZK_KAFKA_RESERVED_BROKER_MAX_ID,
                                                          broker_id_cb, &r2)),
                    GR_OK);
    CU_ASSERT_EQUAL(r2.id, 1002);
    struct zkt_res st;
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/seqid", NULL, &st), GR_OK);
    CU_ASSERT_EQUAL(st.stat.version + ZK_KAFKA_RESERVED_BROKER_MAX_ID, r2.id);
    zk_client_free(zc);
}

static void test_register_broker(void)
{
    struct zkt_session sa, sb, sc, sr = {0};
    struct zk_client *a = open_in("register", 6000, &sa, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    struct zk_endpoint ep;
    struct zk_broker_info info = broker_info(&ep, "127.0.0.1", 19092);

    /* A fresh registration: the epoch is the znode's czxid, the JSON is
     * Kafka's. */
    struct kres r;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(a, 1, &info, register_cb, &r)), GR_OK);
    struct zkt_res g;
    CU_ASSERT_EQUAL(zkt_get(a, "/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(r.epoch, g.stat.czxid);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(a));
    CU_ASSERT_PTR_NOT_NULL(strstr(g.data, "\"endpoints\":[\"PLAINTEXT://127.0.0.1:19092\"]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g.data, "\"version\":4"));
    int64_t epoch_a = r.epoch;

    /* Case 1, KAFKA-7165: the node is owned by our own session. */
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(a, 1, &info, register_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(r.epoch, epoch_a);

    /* Case 2: the same process (same incarnation) on a new session while the
     * old one lives on: the stale node is its own and is replaced. */
    info.incarnation = 0x1234;
    CU_ASSERT_EQUAL(zkt_delete(a, "/brokers/ids/1", -1), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(a, 1, &info, register_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(zkt_get(a, "/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.data, "\"gregor_incarnation\":\"0000000000001234\""));
    epoch_a = r.epoch;
    struct zk_client *b = open_in("register", 6000, &sb, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(b, 1, &info, register_cb, &r)), GR_OK);
    CU_ASSERT_TRUE(r.epoch > epoch_a);
    CU_ASSERT_EQUAL(zkt_get(b, "/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(b));
    CU_ASSERT_EQUAL(g.stat.czxid, r.epoch);
    int64_t epoch_b = r.epoch;

    /* Case 3: another process with the same endpoints but another
     * incarnation (a second broker advertising the same address): equal
     * endpoints prove nothing, so it is refused and the live node stays. */
    struct zk_client *c = open_in("register", 1500, &sc, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct zk_broker_info twin = info;
    twin.incarnation = 0x5678;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(c, 1, &twin, register_cb, &r)),
                    GR_E_BROKER_ID_TAKEN);
    CU_ASSERT_EQUAL(zkt_get(c, "/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.czxid, epoch_b);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(b));

    /* Case 4: a different broker claims id 1: retried for the session
     * timeout, then refused with a message naming id and holder. */
    struct zk_endpoint ep2;
    struct zk_broker_info other = broker_info(&ep2, "127.0.0.1", 19093);
    double t0 = zkh_now();
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(c, 1, &other, register_cb, &r)),
                    GR_E_BROKER_ID_TAKEN);
    double waited = zkh_now() - t0;
    CU_ASSERT_TRUE(waited >= 1.4);
    CU_ASSERT_TRUE(waited < 6.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "broker id 1 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "PLAINTEXT://127.0.0.1:19092"));
    CU_ASSERT_EQUAL(zkt_get(c, "/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.czxid, epoch_b);

    /* If the other session goes away while we retry, we get the id. */
    struct kres late = {0};
    CU_ASSERT_EQUAL(zk_kafka_register_broker(c, 1, &other, register_cb, &late), GR_OK);
    zkh_spin(zkt_loop, 0.2);
    CU_ASSERT_FALSE(late.done);
    zk_client_free(b); /* a clean shutdown removes its ephemeral */
    zk_client_free(a);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &late.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(late.rc, GR_OK);

    /* What a Kafka tool sees from outside. */
    struct zk_client *root = zkt_open_connected(zk.connect, 6000, &sr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_EQUAL(zkt_get(root, "/register/brokers/ids/1", NULL, &g), GR_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.data, "127.0.0.1:19093"));
    zk_client_free(root);
    zk_client_free(c);
}

/* A restart after a crash: the registration names a process of this host
 * that no longer runs, so it is replaced at once instead of after the old
 * session's timeout. One naming a live process (ours, another incarnation)
 * is not. */
static void test_register_replaces_a_dead_process(void)
{
    struct zkt_session sa, sb, sc;
    struct zk_client *a = open_in("deadproc", 20000, &sa, NULL);
    struct zk_client *b = open_in("deadproc", 20000, &sb, NULL);
    struct zk_client *c = open_in("deadproc", 1500, &sc, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct zk_owner me;
    zk_owner_init(&me);
    CU_ASSERT_FATAL(me.process[0] != '\0');
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CU_ASSERT_FATAL(pid > 0);
    waitpid(pid, NULL, 0);
    char dead[ZK_OWNER_PROCESS_MAX];
    int here = (int)(strchr(me.process + 37, '/') - me.process); /* "<boot id>/<pid ns>" */
    snprintf(dead, sizeof(dead), "%.*s/%ld/12345", here, me.process, (long)pid);

    struct zk_endpoint ep;
    struct zk_broker_info crashed = broker_info(&ep, "127.0.0.1", 19096);
    crashed.incarnation = 0x1111;
    crashed.process = dead;
    struct kres r;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(a, 3, &crashed, register_cb, &r)), GR_OK);
    int64_t old_epoch = r.epoch;
    struct zk_broker_info restarted = crashed;
    restarted.incarnation = me.incarnation;
    restarted.process = me.process;
    double t0 = zkh_now();
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(b, 3, &restarted, register_cb, &r)), GR_OK);
    CU_ASSERT_TRUE(zkh_now() - t0 < 2.0); /* not the 20 s session timeout */
    CU_ASSERT_TRUE(r.epoch > old_epoch);
    struct zkt_res g;
    CU_ASSERT_EQUAL(zkt_get(b, "/brokers/ids/3", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(b));

    /* b's registration names this live process: a twin is refused. */
    struct zk_broker_info twin = restarted;
    twin.incarnation = 0x2222;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(c, 3, &twin, register_cb, &r)),
                    GR_E_BROKER_ID_TAKEN);
    CU_ASSERT_EQUAL(zkt_get(b, "/brokers/ids/3", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(b));
    zk_client_free(a);
    zk_client_free(b);
    zk_client_free(c);
}

static void test_reregister_after_expiry(void)
{
    struct zkt_session s;
    char connect[256];
    struct zk_client *zc = open_in("expiry", 3000, &s, connect);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zk_endpoint ep;
    struct zk_broker_info info = broker_info(&ep, "127.0.0.1", 19095);
    struct kres r;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(zc, 5, &info, register_cb, &r)), GR_OK);
    int64_t first_epoch = r.epoch;
    int64_t first_session = zk_client_session_id(zc);

    int64_t id;
    char pw[16];
    CU_ASSERT_EQUAL_FATAL(zk_client_session_credentials(zc, &id, pw), GR_OK);
    CU_ASSERT_EQUAL_FATAL(zkh_expire_session(zk.connect, id, pw), 0);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.expired, 1, ZKT_TIMEOUT));
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.new_sessions, 2, ZKT_TIMEOUT));
    CU_ASSERT_NOT_EQUAL(zk_client_session_id(zc), first_session);

    /* The registration went with the old session; the broker re-registers
     * on its new session and gets a new epoch. */
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/ids/5", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_register_broker(zc, 5, &info, register_cb, &r)), GR_OK);
    CU_ASSERT_TRUE(r.epoch > first_epoch);
    struct zkt_res g;
    CU_ASSERT_EQUAL(zkt_get(zc, "/brokers/ids/5", NULL, &g), GR_OK);
    CU_ASSERT_EQUAL(g.stat.ephemeral_owner, zk_client_session_id(zc));
    zk_client_free(zc);
}

static void test_controller_election_and_fencing(void)
{
    struct zkt_session sa, sb, sc;
    struct zk_client *a = open_in("election", 6000, &sa, NULL);
    struct zk_client *b = open_in("election", 6000, &sb, NULL);
    struct zk_client *c = open_in("election", 6000, &sc, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);

    static struct zkt_watch cw;
    memset(&cw, 0, sizeof(cw));
    struct zk_watcher watch = {zkt_watch_fn, &cw};
    struct kres g;
    CU_ASSERT_EQUAL(KWAIT(g, zk_controller_get(c, &watch, controller_cb, &g)), GR_OK);
    CU_ASSERT_EQUAL(g.id, -1);

    /* Two brokers race. */
    struct kres ra = {0}, rb = {0};
    CU_ASSERT_EQUAL(zk_controller_elect(a, 1, NULL, election_cb, &ra), GR_OK);
    CU_ASSERT_EQUAL(zk_controller_elect(b, 2, NULL, election_cb, &rb), GR_OK);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &ra.done, ZKT_TIMEOUT));
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &rb.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(ra.rc, GR_OK);
    CU_ASSERT_EQUAL(rb.rc, GR_OK);
    CU_ASSERT_TRUE(ra.e.won != rb.e.won);
    struct kres *win = ra.e.won ? &ra : &rb, *lose = ra.e.won ? &rb : &ra;
    struct zk_client *winner = ra.e.won ? a : b, *loser = ra.e.won ? b : a;
    int32_t winner_id = ra.e.won ? 1 : 2, loser_id = ra.e.won ? 2 : 1;
    CU_ASSERT_EQUAL(win->e.controller_id, winner_id);
    CU_ASSERT_EQUAL(lose->e.controller_id, winner_id);
    CU_ASSERT_EQUAL(win->e.epoch, 1); /* created as 0, incremented */

    /* What everybody else reads. */
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &cw.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(cw.event, ZK_EVENT_CREATED);
    CU_ASSERT_EQUAL(KWAIT(g, zk_controller_get(c, NULL, controller_cb, &g)), GR_OK);
    CU_ASSERT_EQUAL(g.id, winner_id);
    struct zkt_res raw;
    CU_ASSERT_EQUAL(zkt_get(c, "/controller_epoch", NULL, &raw), GR_OK);
    CU_ASSERT_STRING_EQUAL(raw.data, "1");
    CU_ASSERT_EQUAL(raw.stat.version, win->e.epoch_zk_version);
    CU_ASSERT_EQUAL(zkt_get(c, "/controller", NULL, &raw), GR_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(raw.data, "\"brokerid\":"));
    CU_ASSERT_EQUAL(raw.stat.ephemeral_owner, zk_client_session_id(winner));

    /* Electing again while holding /controller: not a new win. */
    struct kres again;
    CU_ASSERT_EQUAL(KWAIT(again, zk_controller_elect(winner, winner_id, NULL, election_cb, &again)),
                    GR_OK);
    CU_ASSERT_FALSE(again.e.won);
    CU_ASSERT_EQUAL(again.e.controller_id, winner_id);

    /* The winner writes a partition state under its fence. */
    CU_ASSERT_EQUAL(make_topic(winner, "fenced"), GR_OK);
    int32_t isr[] = {1, 2};
    struct zk_partition_state st = {
        .leader = 1, .leader_epoch = 0, .controller_epoch = 1, .isr = isr, .n_isr = 2};
    struct kres w;
    CU_ASSERT_EQUAL(
        KWAIT(w, zk_controller_create_partition_state(winner, win->e.epoch_zk_version, "fenced", 0,
                                                      &st, version_cb, &w)),
        GR_OK);
    CU_ASSERT_EQUAL(w.id, 0);
    int32_t old_fence = win->e.epoch_zk_version;

    /* The winner's session ends; the other broker takes over with epoch 2. */
    static struct zkt_watch gone;
    memset(&gone, 0, sizeof(gone));
    struct zk_watcher gone_watch = {zkt_watch_fn, &gone};
    CU_ASSERT_EQUAL(KWAIT(g, zk_controller_get(c, &gone_watch, controller_cb, &g)), GR_OK);
    zk_client_free(winner);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &gone.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(gone.event, ZK_EVENT_DELETED);
    struct kres r2;
    CU_ASSERT_EQUAL(KWAIT(r2, zk_controller_elect(loser, loser_id, NULL, election_cb, &r2)), GR_OK);
    CU_ASSERT_TRUE(r2.e.won);
    CU_ASSERT_EQUAL(r2.e.epoch, 2);
    CU_ASSERT_NOT_EQUAL(r2.e.epoch_zk_version, old_fence);

    /* A deposed controller (still holding the old fence) cannot write. */
    st.leader = 2;
    st.controller_epoch = 1;
    CU_ASSERT_EQUAL(KWAIT(w, zk_controller_set_partition_state(c, old_fence, "fenced", 0, &st, 0,
                                                               version_cb, &w)),
                    GR_E_NOT_CONTROLLER);
    struct kres ps;
    CU_ASSERT_EQUAL(KWAIT(ps, zk_kafka_get_partition_state(c, "fenced", 0, state_cb, &ps)), GR_OK);
    CU_ASSERT_EQUAL(ps.st.leader, 1);
    CU_ASSERT_EQUAL(ps.st.zk_version, 0);
    struct zk_op op = zk_client_op_create("/should-not-exist", NULL, 0, ZK_PERSISTENT);
    CU_ASSERT_EQUAL(KWAIT(w, zk_controller_multi(c, old_fence, &op, 1, multi_cb, &w)),
                    GR_E_NOT_CONTROLLER);
    CU_ASSERT_EQUAL(zkt_exists(c, "/should-not-exist", NULL, NULL), GR_E_NOENT);

    /* The new controller can. */
    st.controller_epoch = 2;
    CU_ASSERT_EQUAL(
        KWAIT(w, zk_controller_set_partition_state(loser, r2.e.epoch_zk_version, "fenced", 0, &st,
                                                   0, version_cb, &w)),
        GR_OK);
    CU_ASSERT_EQUAL(w.id, 1);
    zk_client_free(loser);
    zk_client_free(c);
}

static void epoch_cb(int rc, int32_t epoch, int32_t version, const char *why, void *ctx)
{
    struct kres *r = rec(ctx, rc, why);
    r->id = epoch;
    r->epoch = version;
}

static void test_partition_state_compare_and_set(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("pstate", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres e, r;
    CU_ASSERT_EQUAL(KWAIT(e, zk_controller_elect(zc, 7, NULL, election_cb, &e)), GR_OK);
    CU_ASSERT_TRUE(e.e.won);
    struct kres ge;
    CU_ASSERT_EQUAL(KWAIT(ge, zk_controller_get_epoch(zc, epoch_cb, &ge)), GR_OK);
    CU_ASSERT_EQUAL(ge.id, e.e.epoch);
    CU_ASSERT_EQUAL(ge.epoch, e.e.epoch_zk_version);
    int32_t fence = e.e.epoch_zk_version;

    CU_ASSERT_EQUAL(make_topic(zc, "cas"), GR_OK);
    /* Without its topic znode a state has nowhere to go. */
    int32_t isr[] = {7, 8, 9};
    struct zk_partition_state st = {
        .leader = 7, .leader_epoch = 0, .controller_epoch = e.e.epoch, .isr = isr, .n_isr = 3};
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_create_partition_state(zc, fence, "nosuch", 0, &st, version_cb, &r)),
        GR_E_NOENT);
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_create_partition_state(zc, fence, "cas", 3, &st, version_cb, &r)),
        GR_OK);
    /* Creating it twice is refused. */
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_create_partition_state(zc, fence, "cas", 3, &st, version_cb, &r)),
        GR_E_EXISTS);
    /* Controller: new leader, partition epoch 0 -> 1. */
    st.leader = 8;
    st.leader_epoch = 1;
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_set_partition_state(zc, fence, "cas", 3, &st, 0, version_cb, &r)),
        GR_OK);
    CU_ASSERT_EQUAL(r.id, 1);
    /* A write based on the old partition epoch loses. */
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_set_partition_state(zc, fence, "cas", 3, &st, 0, version_cb, &r)),
        GR_E_ZK_BADVERSION);
    /* The leader shrinks the ISR by compare-and-set, without a fence. */
    st.n_isr = 2;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_update_partition_state(zc, "cas", 3, &st, 1, version_cb, &r)),
                    GR_OK);
    CU_ASSERT_EQUAL(r.id, 2);
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_update_partition_state(zc, "cas", 3, &st, 1, version_cb, &r)),
                    GR_E_ZK_BADVERSION);
    struct kres ps;
    CU_ASSERT_EQUAL(KWAIT(ps, zk_kafka_get_partition_state(zc, "cas", 3, state_cb, &ps)), GR_OK);
    CU_ASSERT_EQUAL(ps.st.leader, 8);
    CU_ASSERT_EQUAL(ps.st.leader_epoch, 1);
    CU_ASSERT_EQUAL(ps.st.zk_version, 2);
    CU_ASSERT_EQUAL(ps.n, 2);
    CU_ASSERT_EQUAL(ps.ids[1], 8);
    /* Delete at a stale version fails; at the current one it works. */
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_delete_partition_state(zc, fence, "cas", 3, 1, done_cb, &r)),
        GR_E_ZK_BADVERSION);
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_controller_delete_partition_state(zc, fence, "cas", 3, 2, done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(ps, zk_kafka_get_partition_state(zc, "cas", 3, state_cb, &ps)),
                    GR_E_NOENT);
    zk_client_free(zc);
}

static void test_topic_creation(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("topics", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres r;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_create_top_level_paths(zc, done_cb, &r)), GR_OK);

    int32_t r0[] = {1, 2}, r1[] = {2, 1};
    struct zk_partition_replicas parts[] = {{0, r0, 2, NULL, 0, NULL, 0},
                                            {1, r1, 2, NULL, 0, NULL, 0}};
    struct zk_topic_assignment a = {.partitions = parts, .n_partitions = 2};
    struct zk_config_entry ce[] = {{"retention.ms", "86400000"}};
    struct zk_config cfg = {.entries = ce, .n = 1};
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_create(zc, "orders", &a, &cfg, done_cb, &r)), GR_OK);

    /* Config first, then the topic: a broker reacting to the topic znode
     * always finds its config. */
    struct zkt_res tz, cz;
    CU_ASSERT_EQUAL(zkt_get(zc, "/brokers/topics/orders", NULL, &tz), GR_OK);
    CU_ASSERT_EQUAL(zkt_get(zc, "/config/topics/orders", NULL, &cz), GR_OK);
    CU_ASSERT_TRUE(cz.stat.mzxid < tz.stat.czxid);
    CU_ASSERT_STRING_EQUAL(tz.data, "{\"version\":1,\"partitions\":{\"0\":[1,2],\"1\":[2,1]}}");
    CU_ASSERT_STRING_EQUAL(cz.data, "{\"version\":1,\"config\":{\"retention.ms\":\"86400000\"}}");

    struct kres t;
    CU_ASSERT_EQUAL(KWAIT(t, zk_topic_get_assignment(zc, "orders", NULL, topic_cb, &t)), GR_OK);
    CU_ASSERT_EQUAL(t.n_partitions, 2);
    CU_ASSERT_EQUAL(t.replicas0[0], 1);
    struct kres c;
    CU_ASSERT_EQUAL(KWAIT(c, zk_topic_get_config(zc, "orders", config_cb, &c)), GR_OK);
    CU_ASSERT_STRING_EQUAL(c.cfg_val, "86400000");

    /* TOPIC_ALREADY_EXISTS is its own code, with Kafka's message. */
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_create(zc, "orders", &a, NULL, done_cb, &r)),
                    GR_E_TOPIC_EXISTS);
    CU_ASSERT_STRING_EQUAL(r.why, "Topic 'orders' already exists.");
    struct zkt_res again;
    CU_ASSERT_EQUAL(zkt_get(zc, "/config/topics/orders", NULL, &again), GR_OK);
    CU_ASSERT_EQUAL(again.stat.version, 0); /* the failed attempt left the config alone */

    /* A config left behind by an old topic is replaced, not inherited. */
    CU_ASSERT_EQUAL(zkt_create(zc, "/config/topics/reborn",
                               "{\"version\":1,\"config\":{\"retention.ms\":\"1\"}}", ZK_PERSISTENT,
                               NULL),
                    GR_OK);
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_create(zc, "reborn", &a, NULL, done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(c, zk_topic_get_config(zc, "reborn", config_cb, &c)), GR_OK);
    CU_ASSERT_EQUAL(c.cfg_n, 0);

    /* A missing config reads as empty, a missing topic as NONODE. */
    CU_ASSERT_EQUAL(KWAIT(c, zk_topic_get_config(zc, "nosuch", config_cb, &c)), GR_OK);
    CU_ASSERT_EQUAL(c.cfg_n, 0);
    CU_ASSERT_EQUAL(KWAIT(t, zk_topic_get_assignment(zc, "nosuch", NULL, topic_cb, &t)), GR_E_NOENT);

    /* Names that would escape their znode are refused in the call. */
    struct kres bad = {0};
    CU_ASSERT_EQUAL(zk_topic_create(zc, "../controller", &a, NULL, done_cb, &bad), GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_topic_create(zc, "a/b", &a, NULL, done_cb, &bad), GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_topic_create(zc, "..", &a, NULL, done_cb, &bad), GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_topic_create(zc, "", &a, NULL, done_cb, &bad), GR_E_INVALID);
    zkh_spin(zkt_loop, 0.05);
    CU_ASSERT_EQUAL(bad.calls, 0);

    /* A topic znode typed by hand in zkCli.sh: an error, not a crash. */
    CU_ASSERT_EQUAL(zkt_create(zc, "/brokers/topics/handmade",
                               "{\"version\":1,\"partitions\":{0:[1]}}", ZK_PERSISTENT, NULL),
                    GR_OK);
    CU_ASSERT_EQUAL(KWAIT(t, zk_topic_get_assignment(zc, "handmade", NULL, topic_cb, &t)),
                    GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.why, "/brokers/topics/handmade"));
    zk_client_free(zc);
}

static void test_topic_deletion(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("deletion", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres r, e;
    CU_ASSERT_EQUAL(KWAIT(r, zk_kafka_create_top_level_paths(zc, done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(e, zk_controller_elect(zc, 1, NULL, election_cb, &e)), GR_OK);
    int32_t fence = e.e.epoch_zk_version;

    int32_t reps[] = {1};
    struct zk_partition_replicas parts[] = {{0, reps, 1, NULL, 0, NULL, 0},
                                            {1, reps, 1, NULL, 0, NULL, 0},
                                            {2, reps, 1, NULL, 0, NULL, 0}};
    struct zk_topic_assignment a = {.partitions = parts, .n_partitions = 3};
    int32_t isr[] = {1};
    struct zk_partition_state st = {.leader = 1, .controller_epoch = 1, .isr = isr, .n_isr = 1};
    const char *topics[] = {"doomed", "survivor"};
    for (int t = 0; t < 2; t++) {
        CU_ASSERT_EQUAL(KWAIT(r, zk_topic_create(zc, topics[t], &a, NULL, done_cb, &r)), GR_OK);
        for (int p = 0; p < 3; p++)
            CU_ASSERT_EQUAL(KWAIT(r, zk_controller_create_partition_state(zc, fence, topics[t], p,
                                                                          &st, version_cb, &r)),
                            GR_OK);
    }
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_mark_for_deletion(zc, "doomed", done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_mark_for_deletion(zc, "doomed", done_cb, &r)), GR_E_EXISTS);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "already marked"));
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_mark_for_deletion(zc, "ghost", done_cb, &r)), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/admin/delete_topics/doomed", NULL, NULL), GR_OK);

    /* A deposed controller deletes nothing. */
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_delete_znodes(zc, fence + 1, "doomed", done_cb, &r)),
                    GR_E_NOT_CONTROLLER);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/topics/doomed/partitions/2/state", NULL, NULL), GR_OK);

    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_delete_znodes(zc, fence, "doomed", done_cb, &r)), GR_OK);
    CU_ASSERT_EQUAL(r.calls, 1);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/topics/doomed", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/config/topics/doomed", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/admin/delete_topics/doomed", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/topics/survivor/partitions/2/state", NULL, NULL),
                    GR_OK);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/config/topics/survivor", NULL, NULL), GR_OK);
    /* Deleting what is already gone is fine (a controller retrying). */
    CU_ASSERT_EQUAL(KWAIT(r, zk_topic_delete_znodes(zc, fence, "doomed", done_cb, &r)), GR_OK);
    /* Unfenced (tools, tests). */
    CU_ASSERT_EQUAL(
        KWAIT(r, zk_topic_delete_znodes(zc, ZK_CONTROLLER_UNFENCED, "survivor", done_cb, &r)),
        GR_OK);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/brokers/topics/survivor", NULL, NULL), GR_E_NOENT);
    struct zkt_res kids;
    CU_ASSERT_EQUAL(zkt_children(zc, "/brokers/topics", NULL, &kids), GR_OK);
    CU_ASSERT_EQUAL(kids.n, 0);
    zk_client_free(zc);
}

/* Two sessions in the chroot /<name> with Kafka's top-level paths, as two
 * brokers of one cluster. Returns false (both NULL) if either failed. */
static bool open_two_brokers(const char *name, struct zkt_session s[2], struct zk_client **a,
                             struct zk_client **b)
{
    *a = open_in(name, 6000, &s[0], NULL);
    *b = open_in(name, 6000, &s[1], NULL);
    struct kres r;
    if (*a && *b && KWAIT(r, zk_kafka_create_top_level_paths(*a, done_cb, &r)) == GR_OK)
        return true;
    zk_client_free(*a);
    zk_client_free(*b);
    *a = *b = NULL;
    return false;
}

static void test_brokers_list_and_notifications(void)
{
    struct zkt_session s[2];
    struct zk_client *b1, *b2;
    CU_ASSERT_TRUE_FATAL(open_two_brokers("cluster", s, &b1, &b2));
    struct zk_endpoint e1, e2;
    struct zk_broker_info i1 = broker_info(&e1, "10.0.0.1", 9092);
    struct zk_broker_info i2 = broker_info(&e2, "10.0.0.2", 9092);
    struct kres g1, g2;
    CU_ASSERT_EQUAL(KWAIT(g2, zk_kafka_register_broker(b2, 2, &i2, register_cb, &g2)), GR_OK);
    CU_ASSERT_EQUAL(KWAIT(g1, zk_kafka_register_broker(b1, 1, &i1, register_cb, &g1)), GR_OK);
    /* Junk a person left in /brokers/ids must not hide the real brokers. */
    CU_ASSERT_EQUAL(zkt_create(b1, "/brokers/ids/99", "not json", ZK_PERSISTENT, NULL), GR_OK);
    CU_ASSERT_EQUAL(zkt_create(b1, "/brokers/ids/notes", "", ZK_PERSISTENT, NULL), GR_OK);

    static struct zkt_watch w;
    memset(&w, 0, sizeof(w));
    struct zk_watcher watch = {zkt_watch_fn, &w};
    struct kres l;
    CU_ASSERT_EQUAL(KWAIT(l, zk_kafka_get_brokers(b1, &watch, brokers_cb, &l)), GR_OK);
    CU_ASSERT_EQUAL_FATAL(l.n, 2);
    CU_ASSERT_EQUAL(l.ids[0], 1);
    CU_ASSERT_EQUAL(l.ids[1], 2);
    CU_ASSERT_EQUAL(l.epochs[0], g1.epoch);
    CU_ASSERT_EQUAL(l.epochs[1], g2.epoch);
    struct kres gb;
    CU_ASSERT_EQUAL(KWAIT(gb, zk_kafka_get_broker(b1, 2, broker_cb, &gb)), GR_OK);
    CU_ASSERT_EQUAL(gb.epoch, g2.epoch);
    CU_ASSERT_STRING_EQUAL(gb.str, "PLAINTEXT://10.0.0.2:9092");
    CU_ASSERT_EQUAL(KWAIT(gb, zk_kafka_get_broker(b1, 99, broker_cb, &gb)), GR_E_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(gb.why, "/brokers/ids/99"));

    /* A broker going away fires the child watch. */
    zk_client_free(b2);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &w.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(w.event, ZK_EVENT_CHILD);
    CU_ASSERT_EQUAL(KWAIT(l, zk_kafka_get_brokers(b1, NULL, brokers_cb, &l)), GR_OK);
    CU_ASSERT_EQUAL(l.n, 1);

    /* ISR change and config change notifications, as Kafka writes them. */
    struct zk_topic_partition tps[] = {{"orders", 0}, {"orders", 1}};
    struct zk_partition_list changes = {.items = tps, .n = 2};
    struct kres p;
    CU_ASSERT_EQUAL(KWAIT(p, zk_kafka_propagate_isr_changes(b1, &changes, path_cb, &p)), GR_OK);
    CU_ASSERT_TRUE(strncmp(p.str, "/isr_change_notification/isr_change_", 36) == 0);
    CU_ASSERT_EQUAL(strlen(p.str), 36 + 10);
    struct zkt_res raw;
    CU_ASSERT_EQUAL(zkt_get(b1, p.str, NULL, &raw), GR_OK);
    CU_ASSERT_STRING_EQUAL(raw.data, "{\"version\":1,\"partitions\":[{\"topic\":\"orders\","
                                     "\"partition\":0},{\"topic\":\"orders\",\"partition\":1}]}");
    CU_ASSERT_EQUAL(
        KWAIT(p, zk_kafka_create_config_change_notification(b1, "topics/orders", path_cb, &p)),
        GR_OK);
    CU_ASSERT_TRUE(strncmp(p.str, "/config/changes/config_change_", 30) == 0);
    CU_ASSERT_EQUAL(zkt_get(b1, p.str, NULL, &raw), GR_OK);
    CU_ASSERT_STRING_EQUAL(raw.data, "{\"version\":2,\"entity_path\":\"topics/orders\"}");
    zk_client_free(b1);
}

static void test_bad_controller_epoch_znode(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("badepoch", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    /* Someone "fixed" the epoch with zkCli.sh. */
    CU_ASSERT_EQUAL(zkt_create(zc, "/controller_epoch", "three", ZK_PERSISTENT, NULL), GR_OK);
    struct kres e;
    CU_ASSERT_EQUAL(KWAIT(e, zk_controller_elect(zc, 1, NULL, election_cb, &e)), GR_E_CORRUPT);
    CU_ASSERT_FALSE(e.e.won);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.why, "/controller_epoch"));
    CU_ASSERT_EQUAL(zkt_exists(zc, "/controller", NULL, NULL), GR_E_NOENT);
    zk_client_free(zc);
}

/* Operations in flight when the client is freed end with GR_E_CLOSING, once. */

/* Ids handed to the waiters of test_producer_id_blocks_race. */
struct pid_got {
    int n;          /* callbacks run */
    int rc;         /* the last error, GR_OK if none */
    int64_t ids[8]; /* in callback order */
};

static void pid_cb(int rc, int64_t id, void *ctx)
{
    struct pid_got *g = ctx;
    if (rc)
        g->rc = rc;
    else if (g->n < 8)
        g->ids[g->n] = id;
    g->n++;
}

static void test_producer_id_blocks_race(void)
{
    struct zkt_session s[2];
    struct zk_client *a, *b;
    CU_ASSERT_TRUE_FATAL(open_two_brokers("pids", s, &a, &b));
    struct zk_producer_ids *pa = zk_producer_ids_new(a, 1), *pb = zk_producer_ids_new(b, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
    /* Both brokers claim at once: both read the empty znode at the same
     * version, one conditional set loses and reads again. */
    struct pid_got ga = {0}, gb = {0};
    struct zk_producer_id_wait wa[3], wb[3];
    int64_t unused;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(zk_producer_ids_next(pa, &unused, &wa[i], pid_cb, &ga), GR_PENDING);
        CU_ASSERT_EQUAL(zk_producer_ids_next(pb, &unused, &wb[i], pid_cb, &gb), GR_PENDING);
    }
    CU_ASSERT_EQUAL(ga.n + gb.n, 0); /* never inside the call */
    bool all = false;
    for (int k = 0; k < 200 && !all; k++) {
        zkh_wait(zkt_loop, &all, 0.05);
        all = ga.n == 3 && gb.n == 3;
    }
    CU_ASSERT_EQUAL_FATAL(ga.n, 3);
    CU_ASSERT_EQUAL_FATAL(gb.n, 3);
    CU_ASSERT_EQUAL(ga.rc, GR_OK);
    CU_ASSERT_EQUAL(gb.rc, GR_OK);
    /* Each broker hands out its block in order, and the blocks differ. */
    for (int i = 1; i < 3; i++) {
        CU_ASSERT_EQUAL(ga.ids[i], ga.ids[0] + i);
        CU_ASSERT_EQUAL(gb.ids[i], gb.ids[0] + i);
    }
    CU_ASSERT_TRUE((ga.ids[0] == 0 && gb.ids[0] == 1000) || (ga.ids[0] == 1000 && gb.ids[0] == 0));
    /* The rest of the block comes at once. */
    int64_t id = -1;
    CU_ASSERT_EQUAL(zk_producer_ids_next(pa, &id, &wa[0], pid_cb, &ga), GR_OK);
    CU_ASSERT_EQUAL(id, ga.ids[0] + 3);
    /* The znode names the last block, as Kafka writes it. */
    struct zkt_res res;
    CU_ASSERT_EQUAL_FATAL(zkt_get(a, "/latest_producer_id_block", NULL, &res), GR_OK);
    int64_t start, end;
    char err[256];
    CU_ASSERT_EQUAL(zk_json_producer_id_block_decode(res.data, res.len, &start, &end, err,
                                                     sizeof(err)), GR_OK);
    CU_ASSERT_EQUAL(start, 1000);
    CU_ASSERT_EQUAL(end, 1999);
    /* A claim in flight when the allocator is freed: its waiter hears
     * GR_E_CLOSING at once, and the claim's completion frees the memory. */
    struct pid_got gc = {0};
    struct zk_producer_ids *pc = zk_producer_ids_new(a, 1);
    CU_ASSERT_EQUAL(zk_producer_ids_next(pc, &unused, &wa[1], pid_cb, &gc), GR_PENDING);
    zk_producer_ids_free(pc);
    CU_ASSERT_EQUAL(gc.n, 1);
    CU_ASSERT_EQUAL(gc.rc, GR_E_CLOSING);
    zk_producer_ids_free(pa);
    zk_producer_ids_free(pb);
    zk_client_free(a);
    zk_client_free(b);
}

static void test_operations_end_on_free(void)
{
    struct zkt_session s;
    struct zk_client *zc = open_in("closing", 6000, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct kres r1 = {0}, r2 = {0}, r3 = {0};
    struct zk_endpoint ep;
    struct zk_broker_info info = broker_info(&ep, "127.0.0.1", 1);
    CU_ASSERT_EQUAL(zk_kafka_register_broker(zc, 1, &info, register_cb, &r1), GR_OK);
    CU_ASSERT_EQUAL(zk_controller_elect(zc, 1, NULL, election_cb, &r2), GR_OK);
    CU_ASSERT_EQUAL(zk_kafka_create_top_level_paths(zc, done_cb, &r3), GR_OK);
    zk_client_free(zc);
    CU_ASSERT_EQUAL(r1.calls, 1);
    CU_ASSERT_EQUAL(r2.calls, 1);
    CU_ASSERT_EQUAL(r3.calls, 1);
    CU_ASSERT_EQUAL(r1.rc, GR_E_CLOSING);
    CU_ASSERT_EQUAL(r2.rc, GR_E_CLOSING);
    CU_ASSERT_EQUAL(r3.rc, GR_E_CLOSING);
    zkh_spin(zkt_loop, 0.1);
    CU_ASSERT_EQUAL(r1.calls + r2.calls + r3.calls, 3);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"chroot creation and Kafka's top-level paths", test_chroot_and_top_level_paths},
        {"cluster id: first writer wins", test_cluster_id_first_writer_wins},
        {"broker id generation from /brokers/seqid", test_generate_broker_id},
        {"broker registration and its four NODEEXISTS cases", test_register_broker},
        {"a registration of a process that no longer runs is replaced at once",
         test_register_replaces_a_dead_process},
        {"re-registration on a new session after expiry", test_reregister_after_expiry},
        {"controller election, epoch, fencing a deposed controller",
         test_controller_election_and_fencing},
        {"partition state create / compare-and-set / delete", test_partition_state_compare_and_set},
        {"topic creation: config before topic, TOPIC_ALREADY_EXISTS", test_topic_creation},
        {"topic deletion: recursive, in Kafka's order, fenced", test_topic_deletion},
        {"broker list, child watch, ISR and config notifications",
         test_brokers_list_and_notifications},
        {"a malformed /controller_epoch is an error, not a crash", test_bad_controller_epoch_znode},
        {"operations in flight end with GR_E_CLOSING on free", test_operations_end_on_free},
        {"producer id blocks: two brokers claiming at once get different blocks",
         test_producer_id_blocks_race},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"zk_kafka", suite_init, suite_cleanup, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_zk_kafka", suites);
}
