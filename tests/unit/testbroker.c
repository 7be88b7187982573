/*
 * A broker for unit tests on a real loop (see testbroker.h).
 */
#include "tests/unit/testbroker.h"

#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/partition.h"
#include "broker/log/log_manager.h"
#include "broker/net/conn.h"
#include "broker/net/listener.h"
#include "common/clock.h"
#include "common/tp.h"
#include "tests/unit/testutil.h"

/* The hand-filled cache never reports a change: nothing reads ZooKeeper. */
static void ignore_change(void *ctx, const char *topic, int32_t partition)
{
    (void)ctx;
    (void)topic;
    (void)partition;
}

void testbroker_init(struct testbroker *t, const char *tag, int32_t id, const char *const *config)
{
    char err[512];
    memset(t, 0, sizeof(*t));
    t->loop = ev_loop_new(EVFLAG_AUTO);
    t->dir = test_tmpdir(tag);
    CU_ASSERT_EQUAL_FATAL(broker_config_init(&t->cfg), 0);
    CU_ASSERT_EQUAL_FATAL(
        broker_config_set(&t->cfg, "log.dirs", t->dir, CONFIG_SRC_FILE, err, sizeof(err)), 0);
    for (int i = 0; config && config[i]; i += 2)
        CU_ASSERT_EQUAL_FATAL(
            broker_config_set(&t->cfg, config[i], config[i + 1], CONFIG_SRC_FILE, err, sizeof(err)),
            0);
    CU_ASSERT_EQUAL_FATAL(broker_config_finalize(&t->cfg, err, sizeof(err)), 0);
    struct log_config defaults;
    broker_config_log_defaults(&t->cfg, &defaults);
    struct log_manager_opts o = {
        .dirs = (const char *const *)t->cfg.log_dir_list,
        .ndirs = t->cfg.n_log_dirs,
        .broker_id = id,
        .retention_check_interval_ms = 300000,
        .recovery_checkpoint_interval_ms = 60000,
        .start_checkpoint_interval_ms = 60000,
        .hw_checkpoint_interval_ms = 5000,
        .defaults = &defaults,
        .on_flushed = partition_log_flushed,
    };
    CU_ASSERT_EQUAL_FATAL(log_manager_open(&o, clock_wall_ms(), &t->b.logs, err, sizeof(err)), 0);
    delay_init(&t->delay, t->loop);
    metadata_init(&t->md, &t->cfg, ignore_change, NULL);
    t->md.loaded = true;
    t->b.loop = t->loop;
    t->b.cfg = &t->cfg;
    t->b.id = id;
    t->b.md = &t->md;
    t->b.delay = &t->delay;
    t->b.ctl = &t->ctl;
    t->ctl.b = &t->b;
    t->b.phase = PHASE_RUNNING;
    tpmap_init(&t->b.parts);
    strmap_init(&t->b.auto_creating);
}

void testbroker_reap(struct testbroker *t)
{
    while (t->b.dead) {
        struct conn *c = t->b.dead;
        t->b.dead = c->next;
        conn_free(c);
    }
}

void testbroker_destroy(struct testbroker *t)
{
    while (t->b.conns)
        conn_close(t->b.conns, NULL);
    testbroker_reap(t);
    listeners_close(&t->b);
    partitions_clear(&t->b);
    tpmap_destroy(&t->b.parts);
    strmap_destroy(&t->b.auto_creating);
    metadata_destroy(&t->md);
    delay_destroy(&t->delay);
    log_manager_close(t->b.logs, true);
    broker_config_destroy(&t->cfg);
    ev_loop_destroy(t->loop);
    test_rmtree(t->dir);
    free(t->dir);
    CU_ASSERT_EQUAL(tp_topic_count(), 0); /* every reference was released */
}
