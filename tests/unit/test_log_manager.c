/*
 * The log manager: log dirs (locks, meta.properties, markers), creating,
 * finding and deleting partition logs, checkpoints, clean and unclean
 * restarts, and periodic retention.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_manager.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"
#include "common/topic_name.h"

static char *root;
static char dir_a[1024], dir_b[1024];

static int setup(void)
{
    root = test_tmpdir("logmgr");
    snprintf(dir_a, sizeof(dir_a), "%s/a", root);
    snprintf(dir_b, sizeof(dir_b), "%s/b", root);
    return 0;
}

static int teardown(void)
{
    test_rmtree(root);
    free(root);
    return 0;
}

static struct log_config defaults;

static int open_mgr(struct log_manager **m, int32_t broker_id, char *err, size_t errsz)
{
    const char *dirs[] = {dir_a, dir_b};
    defaults = testbatch_log_config();
    struct log_manager_opts o = {.dirs = dirs, .ndirs = 2, .broker_id = broker_id,
                                 .retention_check_interval_ms = 1000,
                                 .recovery_checkpoint_interval_ms = 60000,
                                 .start_checkpoint_interval_ms = 60000,
                                 .hw_checkpoint_interval_ms = 5000, .defaults = &defaults};
    return log_manager_open(&o, 1000, m, err, errsz);
}

static void append(struct log *l, int n)
{
    for (int i = 0; i < n; i++) {
        struct buf b;
        buf_init(&b);
        struct testbatch_opts o = {.count = 3, .value_size = 50, .timestamp = 1000 + i};
        testbatch_build(&b, &o);
        struct log_append_info info;
        char why[200];
        CU_ASSERT_EQUAL_FATAL(log_append_leader(l, b.data, b.len, 0, 1000, &info, why, sizeof(why)), 0);
        buf_destroy(&b);
    }
}

static bool file_exists(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return fs_exists(p);
}

static void read_file(const char *dir, const char *name, struct buf *b)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    buf_init(b);
    CU_ASSERT_EQUAL(fs_read_file(p, b, 1 << 20), 0);
    buf_append(b, "", 1);
}

static void test_create_spread_and_clean_restart(void)
{
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    struct log_config c = testbatch_log_config();
    for (int p = 0; p < 4; p++) {
        struct log *l;
        CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "orders", p, &c, 1000, &l, err, sizeof(err)), 0);
        append(l, p + 1);
        l->high_watermark = log_end_offset(l);
    }
    struct log *again;
    CU_ASSERT_EQUAL(log_manager_create(m, "orders", 2, &c, 1000, &again, err, sizeof(err)), 0);
    CU_ASSERT_PTR_EQUAL(again, log_manager_get(m, "orders", 2));
    CU_ASSERT_EQUAL(log_manager_count(m), 4);
    /* Two partitions per dir: the manager fills the emptier dir. */
    CU_ASSERT_TRUE(file_exists(dir_a, "orders-0") != file_exists(dir_b, "orders-0"));
    int in_a = file_exists(dir_a, "orders-0") + file_exists(dir_a, "orders-1") +
               file_exists(dir_a, "orders-2") + file_exists(dir_a, "orders-3");
    CU_ASSERT_EQUAL(in_a, 2);
    CU_ASSERT_EQUAL(log_manager_set_identity(m, 1, "clusterAAAAAAAAAAAAAAA", err, sizeof(err)), 0);
    log_manager_close(m, true);

    CU_ASSERT_TRUE(file_exists(dir_a, ".kafka_cleanshutdown"));
    CU_ASSERT_TRUE(file_exists(dir_b, ".kafka_cleanshutdown"));
    struct buf b;
    read_file(dir_a, "recovery-point-offset-checkpoint", &b);
    /* Kafka's format: version, count, then "topic partition offset". */
    CU_ASSERT_EQUAL(strncmp((char *)b.data, "0\n2\norders ", 11), 0);
    buf_destroy(&b);
    read_file(dir_b, "meta.properties", &b);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "broker.id=1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "cluster.id=clusterAAAAAAAAAAAAAAA\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, "version=0\n"));
    buf_destroy(&b);

    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    CU_ASSERT_FALSE(file_exists(dir_a, ".kafka_cleanshutdown"));
    CU_ASSERT_EQUAL(log_manager_count(m), 4);
    for (int p = 0; p < 4; p++) {
        struct log *l = log_manager_get(m, "orders", p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l);
        CU_ASSERT_EQUAL(log_end_offset(l), 3 * (p + 1));
        CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
        CU_ASSERT_EQUAL(l->high_watermark, log_end_offset(l));
    }
    /* The same cluster is fine, another one is refused. */
    CU_ASSERT_EQUAL(log_manager_set_identity(m, 1, "clusterAAAAAAAAAAAAAAA", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(log_manager_set_identity(m, 1, "clusterBBBBBBBBBBBBBBB", err, sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "belongs to cluster clusterAAAAAAAAAAAAAAA"));
    log_manager_close(m, true);
}

static void test_lock_and_identity_conflicts(void)
{
    struct log_manager *m, *m2;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(open_mgr(&m2, 1, err, sizeof(err)), GR_E_LOCKED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "locked by another process"));
    log_manager_close(m, true);
    CU_ASSERT_EQUAL(open_mgr(&m2, 2, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "belongs to broker.id 1"));
    /* broker.id=-1 takes the id from meta.properties. */
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m2, -1, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(log_manager_broker_id(m2), 1);
    log_manager_close(m2, true);
}

static void test_delete_and_leftovers(void)
{
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    struct log_config c = testbatch_log_config();
    struct log *l;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "gone", 0, &c, 1000, &l, err, sizeof(err)), 0);
    append(l, 3);
    bool in_a = file_exists(dir_a, "gone-0");
    CU_ASSERT_EQUAL(log_manager_delete(m, "gone", 0), 0);
    CU_ASSERT_PTR_NULL(log_manager_get(m, "gone", 0));
    CU_ASSERT_EQUAL(log_manager_delete(m, "gone", 0), GR_E_NOENT);
    log_manager_drain(m);
    CU_ASSERT_FALSE(file_exists(in_a ? dir_a : dir_b, "gone-0"));
    /* Path tricks are not topic names. */
    CU_ASSERT_EQUAL(log_manager_create(m, "../evil", 0, &c, 1000, &l, err, sizeof(err)), GR_E_INVALID);
    CU_ASSERT_EQUAL(log_manager_create(m, "..", 0, &c, 1000, &l, err, sizeof(err)), GR_E_INVALID);
    CU_ASSERT_FALSE(topic_name_valid("a/b"));
    CU_ASSERT_TRUE(topic_name_valid("a.b_c-D9"));
    log_manager_close(m, true);

    /* A half-deleted partition and a stray directory at start-up. */
    char p[4096];
    snprintf(p, sizeof(p), "%s/x-0.0123456789abcdef0123456789abcdef-delete", dir_a);
    fs_mkdirs(p);
    snprintf(p, sizeof(p), "%s/lost+found", dir_a);
    fs_mkdirs(p);
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    log_manager_drain(m);
    CU_ASSERT_FALSE(file_exists(dir_a, "x-0.0123456789abcdef0123456789abcdef-delete"));
    CU_ASSERT_TRUE(file_exists(dir_a, "lost+found"));
    log_manager_close(m, true);
    fs_remove_tree(p);
}

static void test_unclean_restart_and_duplicates(void)
{
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    struct log_config c = testbatch_log_config();
    struct log *l;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "u", 0, &c, 1000, &l, err, sizeof(err)), 0);
    append(l, 10);
    int64_t leo = log_end_offset(l);
    log_manager_close(m, false); /* like a crash: no flush, no marker */
    CU_ASSERT_FALSE(file_exists(dir_a, ".kafka_cleanshutdown"));
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    l = log_manager_get(m, "u", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(log_end_offset(l), leo);
    CU_ASSERT_TRUE(l->recovery_point < leo); /* not known to be flushed */
    bool in_a = file_exists(dir_a, "u-0");
    log_manager_close(m, true);
    /* The same partition in both dirs is refused with both paths named. */
    char p[4096];
    snprintf(p, sizeof(p), "%s/u-0", in_a ? dir_b : dir_a);
    fs_mkdirs(p);
    CU_ASSERT_EQUAL(open_mgr(&m, 1, err, sizeof(err)), GR_E_EXISTS);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "u-0"));
    fs_remove_tree(p);
}

/* Found by fuzz_checkpoint: a damaged replication-offset-checkpoint set a
 * negative high watermark, which Fetch would then serve. It is bounded by
 * the log start and the log end, as Kafka bounds it. */
static void test_high_watermark_checkpoint_bounded(void)
{
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    struct log_config c = testbatch_log_config();
    struct log *l;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "hw", 0, &c, 1000, &l, err, sizeof(err)), 0);
    append(l, 2);
    bool in_a = file_exists(dir_a, "hw-0");
    log_manager_close(m, true);
    static const char *const files[] = {"0\n1\nhw 0 -7\n", "0\n1\nhw 0 1000\n"};
    for (int i = 0; i < 2; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/replication-offset-checkpoint", in_a ? dir_a : dir_b);
        CU_ASSERT_EQUAL_FATAL(fs_write_file_atomic(p, files[i], strlen(files[i]), false), 0);
        CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
        l = log_manager_get(m, "hw", 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l);
        CU_ASSERT_EQUAL(l->high_watermark, i == 0 ? l->log_start_offset : log_end_offset(l));
        log_manager_close(m, false);
    }
}

static void test_tick_runs_retention_and_checkpoints(void)
{
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 1000;
    c.retention_ms = 10000;
    struct log *l;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "r", 0, &c, 1000, &l, err, sizeof(err)), 0);
    append(l, 30);
    int before = l->nsegs;
    CU_ASSERT_TRUE(before > 3);
    log_manager_tick(m, 1500); /* retention not due yet */
    CU_ASSERT_EQUAL(l->nsegs, before);
    log_manager_tick(m, 100000); /* due, and every segment is old */
    CU_ASSERT_EQUAL(l->nsegs, 1);
    CU_ASSERT_TRUE(l->log_start_offset > 0);
    /* A log start inside the first segment (DeleteRecords) is what the
     * start-offset checkpoint exists for; a start at a segment's base is
     * implied by the files. */
    CU_ASSERT_EQUAL(log_advance_start(l, l->log_start_offset + 1), 0);
    log_manager_tick(m, 200000);
    log_manager_drain(m);
    bool in_a = file_exists(dir_a, "r-0");
    CU_ASSERT_TRUE(file_exists(in_a ? dir_a : dir_b, "replication-offset-checkpoint"));
    struct buf b;
    read_file(in_a ? dir_a : dir_b, "log-start-offset-checkpoint", &b);
    char want[64];
    snprintf(want, sizeof(want), "r 0 %lld\n", (long long)l->log_start_offset);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)b.data, want));
    buf_destroy(&b);
    int64_t start = l->log_start_offset;
    log_manager_close(m, true);
    CU_ASSERT_EQUAL_FATAL(open_mgr(&m, 1, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(log_manager_get(m, "r", 0)->log_start_offset, start);
    log_manager_close(m, true);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"creates, spreads over dirs, restarts cleanly", test_create_spread_and_clean_restart},
        {"refuses locked dirs and foreign broker/cluster ids", test_lock_and_identity_conflicts},
        {"deletes partitions; cleans leftovers at start", test_delete_and_leftovers},
        {"unclean restart; duplicate partitions refused", test_unclean_restart_and_duplicates},
        {"tick runs retention and writes checkpoints", test_tick_runs_retention_and_checkpoints},
        {"a checkpointed high watermark stays within the log", test_high_watermark_checkpoint_bounded},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"log_manager", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_log_manager", suites);
}
