/*
 * gregor-topics' ZooKeeper session (see topics_zk.h).
 *
 * Every call allocates a `struct call`, issues one request with it as the
 * context and runs the loop until the callback marks it done or the deadline
 * passes. A call abandoned at its deadline stays allocated: the client still
 * owes it a callback (at the latest with GR_E_CLOSING from zk_client_free()),
 * and that callback frees it.
 */
#include "tools/topics_zk.h"

#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logger.h"
#include "zk/zk_topic.h"

struct topics_zk {
    struct ev_loop *loop;   /* private loop; owned */
    struct zk_client *zc;   /* the session; owned */
    bool connected;         /* a first session came up */
    bool connect_timed_out; /* zk_client gave up waiting for it */
};

/* One request in flight. */
struct call {
    bool done;           /* the callback ran */
    bool abandoned;      /* the waiter gave up: the callback frees the call */
    int rc;              /* the request's outcome */
    char *data;          /* get: copied data (NUL-terminated), or NULL */
    size_t len;          /* get: its length */
    struct zk_stat stat; /* get: the znode's stat */
    char **names;        /* children: copied, sorted names */
    int n;               /* children / brokers: how many */
    int32_t *ids;        /* brokers: their ids */
    char why[512];       /* zk/ modules' failure sentence */
};

static void call_free(struct call *c)
{
    free(c->data);
    topics_zk_free_names(c->names, c->n);
    free(c->ids);
    free(c);
}

/* Called at the top of every callback: true if nobody waits any more (the
 * call has been freed). */
static bool call_finish(struct call *c, int rc)
{
    if (c->abandoned) {
        call_free(c);
        return true;
    }
    c->done = true;
    c->rc = rc;
    return false;
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    *(bool *)w->data = true;
}

/* Runs z's loop until c is done; GR_E_TIMEOUT (and c is abandoned)
 * if that takes longer than TOPICS_ZK_REQUEST_TIMEOUT_MS. On any other
 * outcome the caller owns c again. */
static int call_wait(struct topics_zk *z, struct call *c)
{
    bool late = false;
    ev_timer deadline;
    ev_timer_init(&deadline, deadline_cb, TOPICS_ZK_REQUEST_TIMEOUT_MS / 1000.0, 0);
    deadline.data = &late;
    ev_timer_start(z->loop, &deadline);
    while (!c->done && !late)
        ev_run(z->loop, EVRUN_ONCE);
    ev_timer_stop(z->loop, &deadline);
    if (!c->done) {
        c->abandoned = true;
        return GR_E_TIMEOUT;
    }
    return c->rc;
}

static struct call *call_new(void)
{
    return calloc(1, sizeof(struct call));
}

/* ---- session --------------------------------------------------------------- */

static void on_connected(struct zk_client *zc, bool new_session, void *ctx)
{
    (void)zc;
    (void)new_session;
    ((struct topics_zk *)ctx)->connected = true;
}

static void on_connect_timeout(struct zk_client *zc, void *ctx)
{
    (void)zc;
    ((struct topics_zk *)ctx)->connect_timed_out = true;
}

struct topics_zk *topics_zk_open(const char *connect, char *errstr, size_t errsz)
{
    struct topics_zk *z = calloc(1, sizeof(*z));
    if (!z || !(z->loop = ev_loop_new(EVFLAG_AUTO))) {
        snprintf(errstr, errsz, "out of memory");
        free(z);
        return NULL;
    }
    struct zk_client_config cfg = {
        .connect = connect,
        .session_timeout_ms = 30000, /* Kafka's TopicCommand uses 30 s */
        .connection_timeout_ms = TOPICS_ZK_CONNECT_TIMEOUT_MS,
        .retry_log_interval_ms = TOPICS_ZK_CONNECT_TIMEOUT_MS,
        .cb = {.connected = on_connected, .connect_timeout = on_connect_timeout},
        .ctx = z,
    };
    char why[256];
    z->zc = zk_client_new(z->loop, &cfg, why, sizeof(why));
    if (!z->zc) {
        snprintf(errstr, errsz, "cannot connect to ZooKeeper at %s: %s", connect, why);
        topics_zk_close(z);
        return NULL;
    }
    while (!z->connected && !z->connect_timed_out)
        ev_run(z->loop, EVRUN_ONCE);
    if (!z->connected) {
        snprintf(errstr, errsz,
                 "cannot connect to ZooKeeper at %s: no session within %d ms (is ZooKeeper "
                 "running there?)",
                 connect, TOPICS_ZK_CONNECT_TIMEOUT_MS);
        topics_zk_close(z);
        return NULL;
    }
    return z;
}

void topics_zk_close(struct topics_zk *z)
{
    if (!z)
        return;
    zk_client_free(z->zc);
    ev_loop_destroy(z->loop);
    free(z);
}

struct zk_client *topics_zk_client(struct topics_zk *z)
{
    return z->zc;
}

/* ---- plain requests -------------------------------------------------------- */

static void got_data(int rc, const char *data, size_t len, const struct zk_stat *st, void *ctx)
{
    struct call *c = ctx;
    if (call_finish(c, rc))
        return;
    if (rc != GR_OK)
        return;
    c->stat = *st;
    c->len = len;
    if (data) {
        c->data = malloc(len + 1);
        if (!c->data) {
            c->rc = GR_E_NOMEM;
            return;
        }
        memcpy(c->data, data, len);
        c->data[len] = '\0';
    }
}

int topics_zk_get(struct topics_zk *z, const char *path, char **data, size_t *len,
                  struct zk_stat *st)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    int rc = zk_client_get(z->zc, path, NULL, got_data, c);
    if (rc == GR_OK && (rc = call_wait(z, c)) == GR_E_TIMEOUT)
        return rc;
    if (rc == GR_OK) {
        *data = c->data;
        *len = c->len;
        if (st)
            *st = c->stat;
        c->data = NULL;
    }
    call_free(c);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void got_children(int rc, const char *const *names, int n, const struct zk_stat *st,
                         void *ctx)
{
    (void)st;
    struct call *c = ctx;
    if (call_finish(c, rc))
        return;
    if (rc != GR_OK)
        return;
    c->names = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
    if (!c->names) {
        c->rc = GR_E_NOMEM;
        return;
    }
    for (c->n = 0; c->n < n; c->n++) {
        if (!(c->names[c->n] = strdup(names[c->n]))) {
            c->rc = GR_E_NOMEM;
            return;
        }
    }
    qsort(c->names, (size_t)c->n, sizeof(char *), by_name);
}

int topics_zk_children(struct topics_zk *z, const char *path, char ***names, int *n)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    int rc = zk_client_get_children(z->zc, path, NULL, got_children, c);
    if (rc == GR_OK && (rc = call_wait(z, c)) == GR_E_TIMEOUT)
        return rc;
    if (rc == GR_OK) {
        *names = c->names;
        *n = c->n;
        c->names = NULL;
        c->n = 0;
    }
    call_free(c);
    return rc;
}

void topics_zk_free_names(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void got_stat(int rc, const struct zk_stat *st, void *ctx)
{
    (void)st;
    call_finish(ctx, rc);
}

static void got_created(int rc, const char *path, const struct zk_stat *st, void *ctx)
{
    (void)path;
    (void)st;
    call_finish(ctx, rc);
}

/* Waits for c after its request was issued with outcome rc; frees c. */
static int finish_simple(struct topics_zk *z, struct call *c, int rc)
{
    if (rc == GR_OK && (rc = call_wait(z, c)) == GR_E_TIMEOUT)
        return rc;
    call_free(c);
    return rc;
}

int topics_zk_exists(struct topics_zk *z, const char *path)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    return finish_simple(z, c, zk_client_exists(z->zc, path, NULL, got_stat, c));
}

int topics_zk_create(struct topics_zk *z, const char *path, const char *data, size_t len)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    return finish_simple(z, c, zk_client_create_recursive(z->zc, path, data, len, got_created, c));
}

int topics_zk_set(struct topics_zk *z, const char *path, const char *data, size_t len, int version)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    return finish_simple(z, c, zk_client_set(z->zc, path, data, len, version, got_stat, c));
}

/* ---- zk/ module operations ------------------------------------------------- */

static void got_done(int rc, const char *why, void *ctx)
{
    struct call *c = ctx;
    if (call_finish(c, rc))
        return;
    snprintf(c->why, sizeof(c->why), "%s", why ? why : "");
}

static void got_path(int rc, const char *path, const char *why, void *ctx)
{
    (void)path;
    got_done(rc, why, ctx);
}

/* finish_simple() that also hands back the module's sentence. */
static int finish_why(struct topics_zk *z, struct call *c, int rc, char *why, size_t whysz)
{
    if (rc == GR_OK && (rc = call_wait(z, c)) == GR_E_TIMEOUT)
        return rc;
    if (why)
        snprintf(why, whysz, "%s", c->why[0] ? c->why : gr_strerror(rc));
    call_free(c);
    return rc;
}

int topics_zk_topic_create(struct topics_zk *z, const char *topic,
                           const struct zk_topic_assignment *a, const struct zk_config *cfg,
                           char *why, size_t whysz)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    return finish_why(z, c, zk_topic_create(z->zc, topic, a, cfg, got_done, c), why, whysz);
}

int topics_zk_config_changed(struct topics_zk *z, const char *entity_path, char *why, size_t whysz)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    return finish_why(z, c,
                      zk_kafka_create_config_change_notification(z->zc, entity_path, got_path, c),
                      why, whysz);
}

static void got_brokers(int rc, const struct zk_kafka_broker *brokers, int n, const char *why,
                        void *ctx)
{
    struct call *c = ctx;
    if (call_finish(c, rc))
        return;
    snprintf(c->why, sizeof(c->why), "%s", why ? why : "");
    if (rc != GR_OK)
        return;
    c->ids = calloc(n > 0 ? (size_t)n : 1, sizeof(int32_t));
    if (!c->ids) {
        c->rc = GR_E_NOMEM;
        return;
    }
    for (c->n = 0; c->n < n; c->n++)
        c->ids[c->n] = brokers[c->n].id;
}

int topics_zk_broker_ids(struct topics_zk *z, int32_t **ids, int *n, char *why, size_t whysz)
{
    struct call *c = call_new();
    if (!c)
        return GR_E_NOMEM;
    int rc = zk_kafka_get_brokers(z->zc, NULL, got_brokers, c);
    if (rc == GR_OK && (rc = call_wait(z, c)) == GR_E_TIMEOUT)
        return rc;
    if (rc == GR_OK) {
        *ids = c->ids;
        *n = c->n;
        c->ids = NULL;
    } else if (why) {
        snprintf(why, whysz, "%s", c->why[0] ? c->why : gr_strerror(rc));
    }
    c->n = 0;
    call_free(c);
    return rc;
}

void topics_zk_quiet_logs(void)
{
    if (getenv("GREGOR_LOG_LEVEL")) {
        logger_init_from_env();
        return;
    }
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0)
        logger_set_fd(devnull);
}
