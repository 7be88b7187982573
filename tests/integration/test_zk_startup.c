/*
 * zk_client when the server is not there: at start (retry, say so, report the
 * connection timeout, connect once it comes up) and in the middle of a
 * session (disconnected, resumed with its ephemerals and watches).
 */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/logger.h"
#include "tests/integration/zk_harness.h"
#include "tests/integration/zk_testlib.h"
#include "tests/unit/testutil.h"
#include "zk/zk_client.h"
#include "zk/zk_kafka.h"

static struct zk_harness zk;
static char log_path[4096];
static int log_fd = -1;

/* The client's log goes to a file so the tests can read what a person
 * would see. */
static int suite_init(void)
{
    zkt_loop = EV_DEFAULT;
    if (zkh_prepare(&zk, "zk-startup") != 0)
        return -1;
    snprintf(log_path, sizeof(log_path), "%s/client.log", zk.dir);
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (log_fd < 0)
        return -1;
    logger_set_fd(log_fd);
    return 0;
}

static int suite_cleanup(void)
{
    logger_set_fd(2);
    if (log_fd >= 0)
        close(log_fd);
    /* Echo the client's log into the test log for whoever debugs a failure. */
    FILE *f = fopen(log_path, "r");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof(line), f))
            fputs(line, stdout);
        fclose(f);
    }
    zkh_cleanup(&zk);
    return 0;
}

static bool log_contains(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, needle) != NULL;
}

struct chroot_res {
    bool done; /* callback ran */
    int rc;    /* its rc */
};

static void chroot_cb(int rc, const char *why, void *ctx)
{
    (void)why;
    struct chroot_res *r = ctx;
    r->done = true;
    r->rc = rc;
}

static void test_server_down_at_start(void)
{
    struct zkt_session s = {0};
    struct zk_client_config cfg = {
        .connect = zk.connect,
        .session_timeout_ms = 6000,
        .connection_timeout_ms = 1000,
        .retry_log_interval_ms = 300,
    };
    /* At DEBUG the C client's own complaints come through our logger. */
    logger_set_level(LOGGER_DEBUG);
    struct zk_client *zc = zkt_open_cfg(&cfg, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);

    /* Creating a chroot gives up after its timeout (it frees its own
     * short-lived client from inside that client's callback). */
    struct chroot_res cr = {0};
    char chroot[128];
    snprintf(chroot, sizeof(chroot), "%s/kafka", zk.connect);
    CU_ASSERT_EQUAL(zk_kafka_make_chroot(zkt_loop, chroot, 1000, chroot_cb, &cr), GR_OK);

    /* A request made now waits for the server instead of failing. */
    struct zkt_res r = {0};
    CU_ASSERT_EQUAL(zk_client_create(zc, "/born-late", "x", 1, ZK_PERSISTENT, zkt_create_cb, &r),
                    GR_OK);
    zkh_spin(zkt_loop, 1.6);
    CU_ASSERT_EQUAL(s.connected, 0);
    CU_ASSERT_FALSE(zk_client_connected(zc));
    CU_ASSERT_FALSE(r.done);
    CU_ASSERT_EQUAL(s.connect_timeouts, 1);
    CU_ASSERT_TRUE(cr.done);
    CU_ASSERT_EQUAL(cr.rc, GR_E_TIMEOUT);
    char want[128];
    snprintf(want, sizeof(want), "cannot reach ZooKeeper at %s, retrying", zk.connect);
    CU_ASSERT_TRUE(log_contains(want));
    CU_ASSERT_TRUE(log_contains("zookeeper.connection.timeout.ms=1000"));
    CU_ASSERT_TRUE(log_contains("DEBUG [zk] libzookeeper: "));
    logger_set_level(LOGGER_INFO);

    /* The server comes up: the client connects by itself. */
    CU_ASSERT_EQUAL_FATAL(zkh_restart(&zk), 0);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.connected, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(s.new_sessions, 1);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &r.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(r.rc, GR_OK);
    CU_ASSERT_EQUAL(s.connect_timeouts, 1); /* reported once */
    zk_client_free(zc);
}

static void test_disconnect_and_resume(void)
{
    struct zkt_session s = {0};
    struct zk_client *zc = zkt_open_connected(zk.connect, 20000, &s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
    int64_t session = zk_client_session_id(zc);
    CU_ASSERT_EQUAL(zkt_create(zc, "/survivor", "v0", ZK_EPHEMERAL, NULL), GR_OK);
    static struct zkt_watch w;
    memset(&w, 0, sizeof(w));
    CU_ASSERT_EQUAL(zkt_get(zc, "/survivor", &w, NULL), GR_OK);

    zkh_stop(&zk);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.disconnected, 1, ZKT_TIMEOUT));
    CU_ASSERT_FALSE(zk_client_connected(zc));
    CU_ASSERT_TRUE(log_contains("lost the connection to ZooKeeper"));
    struct zkt_res r = {0};
    CU_ASSERT_EQUAL(zk_client_get(zc, "/survivor", NULL, zkt_data_cb, &r), GR_OK);

    CU_ASSERT_EQUAL_FATAL(zkh_restart(&zk), 0);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &s.connected, 2, ZKT_TIMEOUT));
    /* Same session: nothing to re-register. */
    CU_ASSERT_EQUAL(s.new_sessions, 1);
    CU_ASSERT_EQUAL(s.expired, 0);
    CU_ASSERT_EQUAL(zk_client_session_id(zc), session);
    CU_ASSERT_TRUE(zkh_wait(zkt_loop, &r.done, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(r.rc, GR_OK);
    CU_ASSERT_STRING_EQUAL(r.data, "v0");
    CU_ASSERT_EQUAL(w.fired, 0);
    /* The watch set before the outage still works. */
    CU_ASSERT_EQUAL(zkt_set(zc, "/survivor", "v1", ZK_ANY_VERSION, NULL), GR_OK);
    CU_ASSERT_TRUE(zkh_wait_count(zkt_loop, &w.fired, 1, ZKT_TIMEOUT));
    CU_ASSERT_EQUAL(w.event, ZK_EVENT_CHANGED);
    zk_client_free(zc);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"server down at start: retry, log, timeout, then connect", test_server_down_at_start},
        {"server restart: disconnected, then the session resumes", test_disconnect_and_resume},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"zk_startup", suite_init, suite_cleanup, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_zk_startup", suites);
}
