/*
 * zk_client against a real ZooKeeper: sessions, reads and writes, watches,
 * multi(), chroot, the callback/lifetime rules, and session expiry.
 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/zk_harness.h"
#include "tests/integration/zk_testlib.h"
#include "tests/unit/testutil.h"
#include "zk/zk_client.h"

static struct zk_harness zk;

static int suite_init(void)
{
    zkt_loop = EV_DEFAULT;
    return zkh_start(&zk, "zk-client") == 0 ? 0 : -1;
}

static int suite_cleanup(void)
{
    zkh_cleanup(&zk);
    return 0;
}

static void test_connect(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    CU_ASSERT_FALSE(zk_client_connected(zc));
    CU_ASSERT_EQUAL(zk_client_session_id(zc), 0);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.connected, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(s.new_sessions, 1);
    CU_ASSERT_TRUE(zk_client_connected(zc));
    CU_ASSERT_NOT_EQUAL(zk_client_session_id(zc), 0);
    CU_ASSERT_EQUAL(zk_client_session_timeout_ms(zc), 6000);
    CU_ASSERT_STRING_EQUAL(zk_client_connect_string(zc), zk.connect);
    zk_client_free(zc);
    CU_ASSERT_EQUAL(s.disconnected + s.expired, 0);
}

/* Requests made before the session exists wait for it instead of failing. */
static void test_requests_wait_for_connection(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zkt_res r = {0};
    CU_ASSERT_EQUAL(zk_client_create(zc, "/early", "x", 1, ZK_PERSISTENT, zkt_create_cb, &r),
                    GR_OK);
    CU_ASSERT_FALSE(r.done); /* never from inside the call */
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &r.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(r.rc, GR_OK);
    CU_ASSERT_STRING_EQUAL(r.path, "/early");
    CU_ASSERT_EQUAL(s.connected, 1);
    zk_client_free(zc);
}

static void test_crud_and_watches(void)
{
    struct zkt_session sa = {0}, sb = {0};
    struct zk_client *a = zkt_open_connected(zk.connect, 6000, &sa);
    struct zk_client *b = zkt_open_connected(zk.connect, 6000, &sb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct zkt_res r;

    CU_ASSERT_EQUAL(zkt_create(a, "/crud", "hello", ZK_PERSISTENT, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.path, "/crud");
    CU_ASSERT_TRUE(r.has_stat);
    CU_ASSERT_EQUAL(r.stat.version, 0);
    CU_ASSERT_EQUAL(r.stat.ephemeral_owner, 0);
    CU_ASSERT_EQUAL(zkt_create(a, "/crud", "again", ZK_PERSISTENT, NULL), GR_E_EXISTS);
    CU_ASSERT_EQUAL(zkt_create(a, "/nope/child", NULL, ZK_PERSISTENT, NULL), GR_E_NOENT);

    /* Three watches from a, triggered by b. */
    static struct zkt_watch wdata, wcreate, wchild, wmissing;
    memset(&wdata, 0, sizeof(wdata));
    memset(&wcreate, 0, sizeof(wcreate));
    memset(&wchild, 0, sizeof(wchild));
    memset(&wmissing, 0, sizeof(wmissing));
    CU_ASSERT_EQUAL(zkt_get(a, "/crud", &wdata, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "hello");
    CU_ASSERT_EQUAL(r.len, 5);
    CU_ASSERT_EQUAL(zkt_exists(a, "/crud/kid", &wcreate, &r), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_children(a, "/crud", &wchild, &r), GR_OK);
    CU_ASSERT_EQUAL(r.n, 0);
    /* A get of a missing znode arms nothing: its watch must never fire. */
    CU_ASSERT_EQUAL(zkt_get(a, "/crud-missing", &wmissing, &r), GR_E_NOENT);

    CU_ASSERT_EQUAL(zkt_set(b, "/crud", "world", 0, &r), GR_OK);
    CU_ASSERT_EQUAL(r.stat.version, 1);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &wdata.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(wdata.event, ZK_EVENT_CHANGED);
    CU_ASSERT_STRING_EQUAL(wdata.path, "/crud");

    CU_ASSERT_EQUAL(zkt_create(b, "/crud/kid", "", ZK_PERSISTENT, NULL), GR_OK);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &wcreate.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(wcreate.event, ZK_EVENT_CREATED);
    CU_ASSERT_STRING_EQUAL(wcreate.path, "/crud/kid");
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &wchild.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(wchild.event, ZK_EVENT_CHILD);

    /* One-shot: a second change fires nothing. */
    CU_ASSERT_EQUAL(zkt_set(b, "/crud", "again", ZK_ANY_VERSION, NULL), GR_OK);
    zkh_spin(zkt_loop, 0.2);
    CU_ASSERT_EQUAL(wdata.fired, 1);

    /* Compare-and-set and conditional delete. */
    CU_ASSERT_EQUAL(zkt_set(a, "/crud", "stale", 1, NULL), GR_E_ZK_BADVERSION);
    CU_ASSERT_EQUAL(zkt_get(a, "/crud", NULL, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "again");
    CU_ASSERT_EQUAL(r.stat.version, 2);
    CU_ASSERT_EQUAL(zkt_delete(a, "/crud", ZK_ANY_VERSION), GR_E_ZK_NOTEMPTY);
    CU_ASSERT_EQUAL(zkt_delete(a, "/crud/kid", 7), GR_E_ZK_BADVERSION);

    /* A deletion fires a data watch with DELETED. */
    static struct zkt_watch wgone;
    memset(&wgone, 0, sizeof(wgone));
    CU_ASSERT_EQUAL(zkt_get(a, "/crud/kid", &wgone, &r), GR_OK);
    CU_ASSERT_FALSE(r.has_data); /* created with empty data */
    CU_ASSERT_EQUAL(zkt_delete(b, "/crud/kid", 0), GR_OK);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &wgone.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(wgone.event, ZK_EVENT_DELETED);

    /* Sequential znodes get increasing 10-digit suffixes. */
    struct zkt_res s1, s2;
    CU_ASSERT_EQUAL(zkt_create(a, "/crud/seq-", "1", ZK_SEQUENTIAL, &s1), GR_OK);
    CU_ASSERT_EQUAL(zkt_create(a, "/crud/seq-", "2", ZK_SEQUENTIAL, &s2), GR_OK);
    CU_ASSERT_EQUAL(strlen(s1.path), strlen("/crud/seq-") + 10);
    CU_ASSERT_TRUE(strncmp(s1.path, "/crud/seq-", 10) == 0);
    CU_ASSERT_TRUE(strcmp(s1.path, s2.path) < 0);

    /* An ephemeral znode belongs to its session and vanishes with it. */
    CU_ASSERT_EQUAL(zkt_create(b, "/crud/eph", "b", ZK_EPHEMERAL, &r), GR_OK);
    CU_ASSERT_EQUAL(r.stat.ephemeral_owner, zk_client_session_id(b));
    CU_ASSERT_EQUAL(zkt_create(b, "/crud/eph/child", "", ZK_PERSISTENT, NULL),
                    GR_E_ZK_EPHEMERAL_PARENT);
    zk_client_free(b);
    CU_ASSERT_EQUAL(zkt_exists(a, "/crud/eph", NULL, NULL), GR_E_NOENT);

    /* Bad arguments fail in the call and never call back. */
    struct zkt_res bad = {0};
    CU_ASSERT_EQUAL(zk_client_create(a, "no-slash", NULL, 0, 0, zkt_create_cb, &bad),
                    GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_client_get(a, "/a//b", NULL, zkt_data_cb, &bad), GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_client_delete(a, "/trailing/", 0, zkt_void_cb, &bad), GR_E_INVALID);
    CU_ASSERT_EQUAL(zk_client_exists(a, "/x/../y", NULL, zkt_stat_cb, &bad), GR_E_INVALID);
    zkh_spin(zkt_loop, 0.1);
    CU_ASSERT_EQUAL(bad.calls, 0);

    zk_client_free(a);
    CU_ASSERT_EQUAL(wmissing.fired, 0);
    CU_ASSERT_EQUAL(wcreate.fired, 1);
    CU_ASSERT_EQUAL(wchild.fired, 1);
}

static void test_multi_rollback(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    CU_ASSERT_EQUAL(zkt_create(zc, "/multi", "v0", ZK_PERSISTENT, NULL), GR_OK);

    struct zkt_res r;
    struct zk_op bad[] = {
        zk_client_op_create("/multi/a", "a", 1, ZK_PERSISTENT),
        zk_client_op_set("/multi", "v1", 2, 0),
        zk_client_op_check("/multi", 7),
    };
    CU_ASSERT_EQUAL(zkt_multi(zc, bad, 3, &r), GR_E_ZK_BADVERSION);
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_EQUAL(r.results[2].rc, GR_E_ZK_BADVERSION);
    CU_ASSERT_EQUAL(r.results[0].rc, GR_E_ZK_ROLLEDBACK);
    CU_ASSERT_EQUAL(r.results[1].rc, GR_E_ZK_ROLLEDBACK);
    CU_ASSERT_PTR_NULL(r.results[0].path);
    /* Nothing of it was applied. */
    CU_ASSERT_EQUAL(zkt_exists(zc, "/multi/a", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_get(zc, "/multi", NULL, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "v0");
    CU_ASSERT_EQUAL(r.stat.version, 0);

    struct zk_op good[] = {
        zk_client_op_check("/multi", 0),
        zk_client_op_create("/multi/s-", "s", 1, ZK_SEQUENTIAL),
        zk_client_op_set("/multi", "v1", 2, 0),
        zk_client_op_create("/multi/gone", NULL, 0, ZK_PERSISTENT),
        zk_client_op_delete("/multi/gone", 0),
    };
    CU_ASSERT_EQUAL(zkt_multi(zc, good, 5, &r), GR_OK);
    CU_ASSERT_EQUAL(r.results[0].rc, GR_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.results[1].path);
    CU_ASSERT_TRUE(strncmp(r.results[1].path, "/multi/s-", 9) == 0);
    CU_ASSERT_EQUAL(strlen(r.results[1].path), strlen("/multi/s-") + 10);
    CU_ASSERT_EQUAL(r.results[2].stat.version, 1);
    CU_ASSERT_EQUAL(zkt_exists(zc, "/multi/gone", NULL, NULL), GR_E_NOENT);
    CU_ASSERT_EQUAL(zkt_get(zc, "/multi", NULL, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "v1");

    struct zkt_res none = {0};
    CU_ASSERT_EQUAL(zk_client_multi(zc, good, 0, zkt_multi_cb, &none), GR_E_INVALID);
    zk_client_free(zc);
    CU_ASSERT_EQUAL(none.calls, 0);
}

static void test_create_recursive(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zkt_res r;
    CU_ASSERT_EQUAL(zkt_create_recursive(zc, "/deep/er/still", "leaf", &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.path, "/deep/er/still");
    CU_ASSERT_EQUAL(zkt_get(zc, "/deep/er/still", NULL, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "leaf");
    /* Parents are created without data, as Kafka's createRecursive does. */
    CU_ASSERT_EQUAL(zkt_get(zc, "/deep/er", NULL, &r), GR_OK);
    CU_ASSERT_FALSE(r.has_data);
    CU_ASSERT_EQUAL(zkt_create_recursive(zc, "/deep/er/still", "x", NULL), GR_E_EXISTS);
    CU_ASSERT_EQUAL(zkt_create_recursive(zc, "/deep/er/sibling", NULL, NULL), GR_OK);
    zk_client_free(zc);
}

static void test_chroot(void)
{
    struct zkt_session s = {0}, sr = {0};
    struct zk_client *root = zkt_open_connected(zk.connect, 6000, &sr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_EQUAL(zkt_create_recursive(root, "/clusters/one", NULL, NULL), GR_OK);

    char connect[128];
    snprintf(connect, sizeof(connect), "%s/clusters/one", zk.connect);
    struct zk_client *zc = zkt_open_connected(connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zkt_res r;
    CU_ASSERT_EQUAL(zkt_create(zc, "/brokers", "in-chroot", ZK_PERSISTENT, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.path, "/brokers");
    CU_ASSERT_EQUAL(zkt_create_recursive(zc, "/a/b", NULL, NULL), GR_OK);
    CU_ASSERT_EQUAL(zkt_create(zc, "/brokers/s-", NULL, ZK_SEQUENTIAL, &r), GR_OK);
    CU_ASSERT_TRUE(strncmp(r.path, "/brokers/s-", 11) == 0);

    /* Seen from outside, everything lives under the chroot. */
    CU_ASSERT_EQUAL(zkt_get(root, "/clusters/one/brokers", NULL, &r), GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "in-chroot");
    CU_ASSERT_EQUAL(zkt_exists(root, "/clusters/one/a/b", NULL, NULL), GR_OK);
    CU_ASSERT_EQUAL(zkt_exists(root, "/brokers", NULL, NULL), GR_E_NOENT);

    /* Watch paths are relative to the chroot too. */
    static struct zkt_watch w;
    memset(&w, 0, sizeof(w));
    CU_ASSERT_EQUAL(zkt_get(zc, "/brokers", &w, NULL), GR_OK);
    CU_ASSERT_EQUAL(zkt_set(root, "/clusters/one/brokers", "changed", ZK_ANY_VERSION, NULL), GR_OK);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &w.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_STRING_EQUAL(w.path, "/brokers");

    struct zk_op ops[] = {zk_client_op_create("/m-", NULL, 0, ZK_SEQUENTIAL)};
    CU_ASSERT_EQUAL(zkt_multi(zc, ops, 1, &r), GR_OK);
    CU_ASSERT_TRUE(r.results[0].path && strncmp(r.results[0].path, "/m-", 3) == 0);
    zk_client_free(zc);
    zk_client_free(root);
}

/* The lifetime rule: free from inside a callback; everything still owed
 * completes exactly once with GR_E_CLOSING / ZK_EVENT_LOST, nothing after. */
struct free_ctx {
    struct zk_client *zc; /* to free */
    int first_rc;         /* rc of the request that frees */
    bool freed;           /* the free happened */
};

static void free_from_callback(int rc, const struct zk_stat *stat, void *ctx)
{
    (void)stat;
    struct free_ctx *f = ctx;
    f->first_rc = rc;
    zk_client_free(f->zc);
    /* Still inside the callback: the client must refuse new work. */
    f->freed = true;
}

static void test_free_inside_callback(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    CU_ASSERT_EQUAL(zkt_create(zc, "/lifetime", NULL, ZK_PERSISTENT, NULL), GR_OK);

    static struct zkt_watch armed;
    memset(&armed, 0, sizeof(armed));
    CU_ASSERT_EQUAL(zkt_exists(zc, "/lifetime/later", &armed, NULL), GR_E_NOENT);

    struct free_ctx f = {zc, 1, false};
    struct zkt_res after[4];
    memset(after, 0, sizeof(after));
    static struct zkt_watch pending_watch;
    memset(&pending_watch, 0, sizeof(pending_watch));
    struct zk_watcher pw = {zkt_watch_fn, &pending_watch};

    CU_ASSERT_EQUAL(zk_client_exists(zc, "/lifetime", NULL, free_from_callback, &f), GR_OK);
    /* Queued behind it on the same connection: */
    CU_ASSERT_EQUAL(zk_client_get(zc, "/lifetime", &pw, zkt_data_cb, &after[0]), GR_OK);
    CU_ASSERT_EQUAL(zk_client_create(zc, "/lifetime/x", NULL, 0, 0, zkt_create_cb, &after[1]),
                    GR_OK);
    CU_ASSERT_EQUAL(zk_client_after(zc, 60000, zkt_void_cb, &after[2]), GR_OK);
    struct zk_op ops[] = {zk_client_op_check("/lifetime", 0)};
    CU_ASSERT_EQUAL(zk_client_multi(zc, ops, 1, zkt_multi_cb, &after[3]), GR_OK);

    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &f.freed, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(f.first_rc, GR_OK);
    /* The free ran at the safe point right after that callback: */
    int closing = 0;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(after[i].calls, 1);
        /* Replies already on the wire may still be delivered as they are;
         * what is not yet answered must report GR_E_CLOSING. */
        if (after[i].rc == GR_E_CLOSING)
            closing++;
    }
    CU_ASSERT_EQUAL(after[2].rc, GR_E_CLOSING); /* the 60 s timer */
    CU_ASSERT_TRUE(closing >= 1);
    CU_ASSERT_EQUAL(armed.fired, 1);
    CU_ASSERT_EQUAL(armed.event, ZK_EVENT_LOST);
    /* The get's watch is lost if it was armed, and silent if not. */
    CU_ASSERT_TRUE(pending_watch.fired == (after[0].rc == GR_OK ? 1 : 0));
    zkh_spin(zkt_loop, 0.2);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(after[i].calls, 1);
    CU_ASSERT_EQUAL(armed.fired, 1);
}

/* Freed before any session: queued requests and timers still complete. */
static void test_free_before_connected(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zkt_res r1 = {0}, r2 = {0};
    CU_ASSERT_EQUAL(zk_client_get(zc, "/", NULL, zkt_data_cb, &r1), GR_OK);
    CU_ASSERT_EQUAL(zk_client_after(zc, 10, zkt_void_cb, &r2), GR_OK);
    zk_client_free(zc);
    CU_ASSERT_EQUAL(r1.calls, 1);
    CU_ASSERT_EQUAL(r1.rc, GR_E_CLOSING);
    CU_ASSERT_EQUAL(r2.calls, 1);
    CU_ASSERT_EQUAL(r2.rc, GR_E_CLOSING);
    zkh_spin(zkt_loop, 0.1);
    CU_ASSERT_EQUAL(s.connected, 0);
}

static void test_after(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 6000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    struct zkt_res r = {0};
    double t0 = zkh_now();
    CU_ASSERT_EQUAL(zk_client_after(zc, 150, zkt_void_cb, &r), GR_OK);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &r.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(r.rc, GR_OK);
    CU_ASSERT_TRUE(zkh_now() - t0 >= 0.14);
    zk_client_free(zc);
}

static void test_session_expiry(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 4000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    int64_t first = zk_client_session_id(zc);
    CU_ASSERT_EQUAL(zkt_create(zc, "/expiry", NULL, ZK_PERSISTENT, NULL), GR_OK);
    CU_ASSERT_EQUAL(zkt_create(zc, "/expiry/eph", "mine", ZK_EPHEMERAL, NULL), GR_OK);
    static struct zkt_watch w;
    memset(&w, 0, sizeof(w));
    CU_ASSERT_EQUAL(zkt_exists(zc, "/expiry/never", &w, NULL), GR_E_NOENT);

    int64_t id;
    char pw[16];
    CU_ASSERT_EQUAL_FATAL(zk_client_session_credentials(zc, &id, pw), GR_OK);
    CU_ASSERT_EQUAL(id, first);
    CU_ASSERT_EQUAL_FATAL(zkh_expire_session(zk.connect, id, pw), 0);

    /* The client notices, reports, and comes back with a new session. */
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.expired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(w.fired, 1);
    CU_ASSERT_EQUAL(w.event, ZK_EVENT_LOST);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.new_sessions, 2, ZKT_TIMEOUT));
    CU_ASSERT_TRUE(zk_client_connected(zc));
    CU_ASSERT_NOT_EQUAL(zk_client_session_id(zc), first);
    CU_ASSERT_NOT_EQUAL(zk_client_session_id(zc), 0);

    /* The old session's ephemeral is gone; the owner can re-create it. */
    CU_ASSERT_EQUAL(zkt_exists(zc, "/expiry/eph", NULL, NULL), GR_E_NOENT);
    struct zkt_res r;
    CU_ASSERT_EQUAL(zkt_create(zc, "/expiry/eph", "again", ZK_EPHEMERAL, &r), GR_OK);
    CU_ASSERT_EQUAL(r.stat.ephemeral_owner, zk_client_session_id(zc));
    zk_client_free(zc);
    CU_ASSERT_EQUAL(w.fired, 1);
}

/* Freeing from inside expired(): the re-opened handle is closed, no crash,
 * no further callbacks. */
static void test_free_on_expiry(void)
{
    struct zkt_session s = {0};
    s.free_on_expiry = true;
    struct zk_client *zc = zkt_open_connected(zk.connect, 4000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    int64_t id;
    char pw[16];
    CU_ASSERT_EQUAL_FATAL(zk_client_session_credentials(zc, &id, pw), GR_OK);
    CU_ASSERT_EQUAL_FATAL(zkh_expire_session(zk.connect, id, pw), 0);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.expired, 1, ZKT_TIMEOUT));
    zkh_spin(zkt_loop, 0.3);
    CU_ASSERT_EQUAL(s.connected, 1);
    CU_ASSERT_EQUAL(s.expired, 1);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"connect: first session is new", test_connect},
        {"requests made before the session wait for it", test_requests_wait_for_connection},
        {"create/get/set/delete/children/exists with watches", test_crud_and_watches},
        {"multi: a failed check rolls everything back", test_multi_rollback},
        {"create_recursive creates missing parents", test_create_recursive},
        {"chroot in the connect string", test_chroot},
        {"free inside a callback: GR_E_CLOSING once, then silence", test_free_inside_callback},
        {"free before connected completes queued work", test_free_before_connected},
        {"after() delays on the loop", test_after},
        {"session expiry: reported, watches lost, new session", test_session_expiry},
        {"free from inside expired()", test_free_on_expiry},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"zk_client", suite_init, suite_cleanup, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_zk_client", suites);
}
