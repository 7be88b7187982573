/*
 * The broker's lifecycle (see server.h).
 *
 * Start-up, in the order Kafka's KafkaServer uses where it matters: open the
 * logs (recovering them if needed, before any session exists that a long
 * recovery could starve), bind the listeners (a registration advertises the
 * ports actually bound), then ZooKeeper: top-level paths, cluster
 * id (checked against meta.properties), broker id, registration, metadata.
 * Only when the metadata is loaded does the broker accept connections and
 * log "[gregord id=N] started". Every new ZooKeeper session after an expiry
 * repeats the ZooKeeper part: re-register, re-read, re-arm every watch.
 */
#define LOG_COMPONENT "broker"
#include "broker/core/broker_config.h"
#include "broker/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/api/api.h"
#include "broker/core/delay.h"
#include "broker/cluster/admin.h"
#include "broker/net/conn.h"
#include "broker/net/conn_quota.h"
#include "broker/net/listener.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/controller.h"
#include "broker/cluster/dynconfig.h"
#include "broker/cluster/throttle.h"
#include "broker/group/group_coord.h"
#include "broker/log/log_config.h"
#include "broker/log/log_manager.h"
#include "broker/core/metrics.h"
#include "broker/metrics/metrics_broker.h"
#include "broker/cluster/partition.h"
#include "broker/repl/replica_fetcher.h"
#include "broker/server_shutdown.h"
#include "common/clock.h"
#include "common/logger.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_kafka.h"
#include "zk/zk_owner.h"
#include "zk/zk_producer_id.h"

static void fatal(struct broker *b, const char *what)
{
    LOG_ERROR("%s", what);
    b->exit_status = 1;
    server_stop(b, "a fatal error during start-up");
}

/* ---- the log manager on the loop ---------------------------------------- */

static void logs_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct broker *b = w->data;
    (void)loop;
    (void)revents;
    log_manager_poll(b->logs);
}

static void logs_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct broker *b = w->data;
    (void)loop;
    (void)revents;
    log_manager_tick(b->logs, clock_wall_ms());
    logger_rate_flush(); /* the end of a flood of client-caused lines */
}

static int open_logs(struct broker *b)
{
    const struct broker_config *c = b->cfg;
    struct log_config defaults;
    char err[1024];
    broker_config_log_defaults(c, &defaults);
    struct log_manager_opts o = {
        .dirs = (const char *const *)c->log_dir_list,
        .ndirs = c->n_log_dirs,
        .broker_id = c->broker_id,
        .retention_check_interval_ms = c->log_retention_check_interval_ms,
        .recovery_checkpoint_interval_ms = c->log_flush_offset_checkpoint_interval_ms,
        .start_checkpoint_interval_ms = c->log_flush_start_offset_checkpoint_interval_ms,
        .hw_checkpoint_interval_ms = c->replica_high_watermark_checkpoint_interval_ms,
        .producer_expiration_ms = c->transactional_id_expiration_ms,
        .producer_check_interval_ms = c->producer_id_expiration_check_interval_ms,
        .defaults = &defaults,
        .set_umask = true,
        .umask = c->eff_log_umask,
        .on_flushed = partition_log_flushed,
    };
    if (log_manager_open(&o, clock_wall_ms(), &b->logs, err, sizeof(err))) {
        LOG_ERROR("%s", err);
        return -1;
    }
    if (b->id < 0)
        b->id = log_manager_broker_id(b->logs);
    ev_io_init(&b->logs_io, logs_io_cb, log_manager_fd(b->logs), EV_READ);
    b->logs_io.data = b;
    ev_io_start(b->loop, &b->logs_io);
    ev_io_init(&b->logs_read_io, logs_io_cb, log_manager_read_fd(b->logs), EV_READ);
    b->logs_read_io.data = b;
    ev_io_start(b->loop, &b->logs_read_io);
    double tick = log_manager_tick_interval_ms(b->logs) / 1000.0;
    ev_timer_init(&b->logs_tick, logs_tick_cb, tick, tick);
    b->logs_tick.data = b;
    ev_timer_start(b->loop, &b->logs_tick);
    return 0;
}

/* ---- ZooKeeper start-up chain ------------------------------------------- */

static void registered_cb(int rc, int64_t epoch, const char *why, void *arg)
{
    struct broker *b = arg;
    char msg[512];
    if (rc) {
        snprintf(msg, sizeof(msg), "cannot register broker %d in ZooKeeper: %s%s%s", b->id,
                 gr_strerror(rc), why ? ": " : "", why ? why : "");
        if (rc == GR_E_BROKER_ID_TAKEN)
            fatal(b, msg);
        else
            LOG_WARN("%s; will retry on the next session", msg);
        return;
    }
    b->epoch = epoch;
    b->registered = true;
    LOG_INFO("registered broker %d at /brokers/ids/%d (broker epoch %lld)", b->id, b->id,
             (long long)epoch);
    metadata_load(b->md, b->zk);
    dynconfig_load(b->dyn, b->zk);
}

static void do_register(struct broker *b)
{
    struct zk_broker_info info;
    struct zk_endpoint eps[CONFIG_MAX_LISTENERS];
    char hostname[256] = "localhost";
    gethostname(hostname, sizeof(hostname));
    memset(&info, 0, sizeof(info));
    info.jmx_port = -1;
    info.timestamp_ms = clock_wall_ms();
    info.rack = b->cfg->broker_rack;
    info.incarnation = b->owner->incarnation;
    info.process = b->owner->process;
    info.endpoints = eps;
    for (int i = 0; i < b->cfg->n_advertised; i++) {
        const struct config_listener *a = &b->cfg->advertised[i];
        int port = a->port;
        if (port == 0) /* advertise what was bound */
            port = listeners_port(b, a->name);
        eps[i].listener = (char *)a->name;
        eps[i].security_protocol = "PLAINTEXT";
        eps[i].host = a->host[0] ? (char *)a->host : hostname;
        eps[i].port = port;
        info.n_endpoints++;
    }
    if (zk_kafka_register_broker(b->zk, b->id, &info, registered_cb, b))
        LOG_WARN("cannot start the broker registration; will retry on the next session");
}

static void identity_ready(struct broker *b)
{
    char err[1024];
    if (log_manager_set_identity(b->logs, b->id, b->cluster_id, err, sizeof(err))) {
        fatal(b, err);
        return;
    }
    do_register(b);
}

static void broker_id_cb(int rc, int32_t id, const char *why, void *arg)
{
    struct broker *b = arg;
    if (rc) {
        LOG_WARN("cannot generate a broker id: %s%s%s", gr_strerror(rc), why ? ": " : "",
                 why ? why : "");
        return;
    }
    b->id = id;
    LOG_INFO("generated broker id %d (broker.id=-1)", id);
    identity_ready(b);
}

static void cluster_id_cb(int rc, const char *cluster_id, const char *why, void *arg)
{
    struct broker *b = arg;
    if (rc) {
        LOG_WARN("cannot read the cluster id: %s%s%s", gr_strerror(rc), why ? ": " : "",
                 why ? why : "");
        return;
    }
    snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", cluster_id);
    LOG_INFO("cluster id %s", cluster_id);
    if (b->id < 0) {
        if (zk_kafka_generate_broker_id(b->zk, b->cfg->reserved_broker_max_id, broker_id_cb, b))
            LOG_WARN("cannot start generating a broker id");
        return;
    }
    identity_ready(b);
}

static void paths_cb(int rc, const char *why, void *arg)
{
    struct broker *b = arg;
    char proposed[ZK_CLUSTER_ID_LEN + 1];
    if (rc) {
        LOG_WARN("cannot create Kafka's top-level znodes: %s%s%s", gr_strerror(rc),
                 why ? ": " : "", why ? why : "");
        return;
    }
    zk_json_cluster_id_generate(proposed);
    if (zk_kafka_get_or_create_cluster_id(b->zk, proposed, cluster_id_cb, b))
        LOG_WARN("cannot start reading the cluster id");
}

static void zk_connected(struct zk_client *zc, bool new_session, void *ctx)
{
    struct broker *b = ctx;
    (void)zc;
    b->zk_connected = true;
    if (b->metrics)
        metrics_zk_event(b->metrics, METRICS_ZK_CONNECTED);
    if (!new_session) {
        LOG_INFO("reconnected to ZooKeeper; the session survived");
        return;
    }
    LOG_INFO("ZooKeeper session established");
    b->registered = false;
    metadata_session_lost(b->md);
    dynconfig_session_lost(b->dyn);
    controller_session_started(b->ctl);
    if (zk_kafka_create_top_level_paths(b->zk, paths_cb, b))
        LOG_WARN("cannot start the ZooKeeper set-up");
}

static void zk_disconnected(struct zk_client *zc, void *ctx)
{
    struct broker *b = ctx;
    (void)zc;
    b->zk_connected = false;
    if (b->metrics)
        metrics_zk_event(b->metrics, METRICS_ZK_DISCONNECTED);
    LOG_WARN("lost the connection to ZooKeeper; serving from the last known metadata while "
             "reconnecting");
}

static void zk_expired(struct zk_client *zc, void *ctx)
{
    struct broker *b = ctx;
    (void)zc;
    b->zk_connected = false;
    b->registered = false;
    if (b->metrics)
        metrics_zk_event(b->metrics, METRICS_ZK_EXPIRED);
    LOG_WARN("the ZooKeeper session expired; opening a new one to register broker %d again",
             b->id);
    metadata_session_lost(b->md);
    dynconfig_session_lost(b->dyn);
    controller_session_started(b->ctl);
}

static void zk_timeout(struct zk_client *zc, void *ctx)
{
    (void)zc;
    (void)ctx;
    LOG_WARN("no ZooKeeper session within zookeeper.connection.timeout.ms; still trying (check "
             "zookeeper.connect and that ZooKeeper is running)");
}

static void start_zk(struct broker *b)
{
    char err[512];
    const struct broker_config *c = b->cfg;
    struct zk_client_config zcfg = {
        .connect = c->zookeeper_connect,
        .session_timeout_ms = c->zookeeper_session_timeout_ms,
        .connection_timeout_ms = (int)c->eff_zookeeper_connection_timeout_ms,
        .cb = {zk_connected, zk_disconnected, zk_expired, zk_timeout},
        .ctx = b,
    };
    b->zk = zk_client_new(b->loop, &zcfg, err, sizeof(err));
    if (!b->zk)
        fatal(b, err);
}

static void chroot_cb(int rc, const char *why, void *arg)
{
    struct broker *b = arg;
    if (rc)
        LOG_WARN("cannot make sure the chroot of zookeeper.connect exists: %s%s%s",
                 gr_strerror(rc), why ? ": " : "", why ? why : "");
    if (b->phase == PHASE_STARTING)
        start_zk(b);
}

/* ---- readiness ---------------------------------------------------------- */

/* Logs of topics that no longer exist: deleted while this broker was down.
 * Safe to remove because the log dirs' cluster id matched ZooKeeper's. */
static void remove_stray_logs(struct broker *b)
{
    size_t it = 0;
    struct log *l;
    int n = 0;
    char **names = calloc((size_t)log_manager_count(b->logs) + 1, sizeof(char *));
    int32_t *ids = calloc((size_t)log_manager_count(b->logs) + 1, sizeof(int32_t));
    while (names && ids && (l = log_manager_next(b->logs, &it))) {
        if (!metadata_topic(b->md, l->topic)) {
            ids[n] = l->partition;
            names[n++] = strdup(l->topic);
        }
    }
    for (int i = 0; i < n; i++) {
        if (names[i]) {
            LOG_INFO("deleting the log of %s-%d: the topic no longer exists", names[i], ids[i]);
            log_manager_delete(b->logs, names[i], ids[i]);
        }
        free(names[i]);
    }
    free(names);
    free(ids);
}

static void maybe_started(struct broker *b)
{
    /* The dynamic broker configs too: a record must not be judged by the
     * file's message.max.bytes when ZooKeeper says otherwise. */
    if (b->phase != PHASE_STARTING || !b->md->loaded || !b->registered ||
        !dynconfig_loaded(b->dyn))
        return;
    remove_stray_logs(b);
    partitions_sync(b, NULL, -1);
    group_coord_metadata_changed(b->gc);
    b->phase = PHASE_RUNNING;
    listeners_start(b);
    LOG_INFO("[gregord id=%d] started", b->id);
}

/* The metadata cache changed (metadata_changed_fn): reconcile the hosted
 * partitions, inform the controller, re-check waiting admin requests. */
static void metadata_changed(void *ctx, const char *topic, int32_t partition)
{
    struct broker *b = ctx;
    if (b->phase == PHASE_STOPPING)
        return;
    partitions_sync(b, topic, partition);
    if (!topic || !strcmp(topic, GROUP_COORD_TOPIC))
        group_coord_metadata_changed(b->gc);
    controller_metadata_changed(b->ctl, topic, partition);
    delay_wake(b->delay, delay_key(b->md, DELAY_METADATA), NULL);
    maybe_started(b);
    if (!topic)
        server_shutdown_metadata_changed(b);
}

/* Every half of replica.lag.time.max.ms, as Kafka's isr-expiration task. */
static void isr_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct broker *b = w->data;
    partitions_isr_expire(b, clock_wall_ms());
}

/* ---- start and stop ----------------------------------------------------- */

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct broker *b = w->data;
    (void)loop;
    (void)revents;
    server_shutdown_begin(b, w->signum == SIGTERM ? "SIGTERM" : "SIGINT", server_stop);
}

static void reaper_cb(struct ev_loop *loop, ev_check *w, int revents)
{
    struct broker *b = w->data;
    (void)loop;
    (void)revents;
    while (b->dead) {
        struct conn *c = b->dead;
        b->dead = c->next;
        conn_free(c);
    }
}

int server_start(struct broker *b, struct ev_loop *loop, struct broker_config *cfg)
{
    memset(b, 0, sizeof(*b));
    b->loop = loop;
    b->cfg = cfg;
    b->id = cfg->broker_id;
    b->epoch = -1;
    b->phase = PHASE_STARTING;
    b->dispatch = api_dispatch;
    tpmap_init(&b->parts);
    strmap_init(&b->auto_creating);
    b->md = calloc(1, sizeof(*b->md));
    b->ctl = calloc(1, sizeof(*b->ctl));
    b->delay = calloc(1, sizeof(*b->delay));
    b->owner = calloc(1, sizeof(*b->owner));
    b->dyn = dynconfig_new(b);
    b->throttle = calloc(1, sizeof(*b->throttle));
    if (!b->md || !b->ctl || !b->delay || !b->owner || !b->dyn || !b->throttle)
        return -1;
    zk_owner_init(b->owner);
    delay_init(b->delay, loop);
    metadata_init(b->md, cfg, metadata_changed, b);
    controller_init(b->ctl, b);
    if (replica_fetchers_init(b))
        return -1;
    double isr_period = (double)cfg->replica_lag_time_max_ms / 2e3;
    ev_timer_init(&b->isr_tick, isr_tick_cb, isr_period, isr_period);
    b->isr_tick.data = b;
    ev_timer_start(loop, &b->isr_tick);
    if (!(b->gc = group_coord_new(b)))
        return -1;
    ev_signal_init(&b->sigterm, signal_cb, SIGTERM);
    ev_signal_init(&b->sigint, signal_cb, SIGINT);
    b->sigterm.data = b->sigint.data = b;
    ev_signal_start(loop, &b->sigterm);
    ev_signal_start(loop, &b->sigint);
    ev_check_init(&b->reaper, reaper_cb);
    b->reaper.data = b;
    ev_check_start(loop, &b->reaper);

    if (open_logs(b) || listeners_bind(b) || metrics_broker_start(b))
        return -1;
    /* After the logs and listeners are open: the default of max.connections
     * is what the open-file limit leaves beside them. */
    char err[512];
    b->quota = conn_quota_new(cfg, log_manager_count(b->logs), err, sizeof(err));
    if (!b->quota) {
        LOG_ERROR("%s", err);
        return -1;
    }
    LOG_INFO("connecting to ZooKeeper at %s", cfg->zookeeper_connect);
    if (zk_kafka_make_chroot(loop, cfg->zookeeper_connect, cfg->zookeeper_session_timeout_ms,
                             chroot_cb, b))
        start_zk(b);
    return 0;
}

void server_stop(struct broker *b, const char *why)
{
    if (b->phase == PHASE_STOPPING)
        return;
    b->phase = PHASE_STOPPING;
    LOG_INFO("shutting down (%s)", why);
    server_shutdown_free(b);
    listeners_close(b);
    metrics_broker_stop(b);
    while (b->conns)
        conn_close(b->conns, NULL);
    ev_timer_stop(b->loop, &b->isr_tick);
    replica_fetchers_destroy(b);
    partitions_clear(b);
    if (b->gc)
        group_coord_stop(b->gc);
    /* Closing the session removes our ephemeral znodes at once, so the
     * cluster learns we are gone without waiting for the session timeout. */
    if (b->zk) {
        struct zk_client *zk = b->zk;
        b->zk = NULL;
        if (b->md)
            metadata_detach(b->md);
        if (b->dyn)
            dynconfig_detach(b->dyn);
        zk_producer_ids_free(b->pids);
        b->pids = NULL;
        zk_client_free(zk);
    }
    if (b->logs) {
        ev_io_stop(b->loop, &b->logs_io);
        ev_io_stop(b->loop, &b->logs_read_io);
        ev_timer_stop(b->loop, &b->logs_tick);
        log_manager_close(b->logs, true);
        b->logs = NULL;
    }
    ev_signal_stop(b->loop, &b->sigterm);
    ev_signal_stop(b->loop, &b->sigint);
    ev_break(b->loop, EVBREAK_ALL);
    LOG_INFO("[gregord id=%d] shut down", b->id);
}

void server_destroy(struct broker *b)
{
    if (b->phase != PHASE_STOPPING)
        server_stop(b, "exit");
    reaper_cb(b->loop, &b->reaper, 0);
    ev_check_stop(b->loop, &b->reaper);
    conn_quota_free(b->quota);
    b->quota = NULL;
    if (b->md) {
        metadata_destroy(b->md);
        free(b->md);
    }
    if (b->ctl) {
        controller_destroy(b->ctl);
        free(b->ctl);
    }
    group_coord_free(b->gc);
    b->gc = NULL;
    dynconfig_free(b->dyn);
    b->dyn = NULL;
    free(b->throttle);
    b->throttle = NULL;
    metrics_broker_free(b);
    free(b->owner);
    tpmap_destroy(&b->parts);
    strmap_destroy(&b->auto_creating);
    if (b->delay) {
        delay_destroy(b->delay);
        free(b->delay);
    }
}
