/*
 * Controlled shutdown, the leaving broker's side (see server_shutdown.h).
 */
#define LOG_COMPONENT "broker"
#include "broker/server_shutdown.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/net/client.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "broker/repl/replica_fetcher.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/logger.h"

#define SHUTDOWN_VERSION 2

struct server_shutdown {
    struct broker *b;
    char why[64];            /* the signal, for the last log line */
    struct client *cl;       /* to the controller asked last; owned */
    int32_t controller;      /* its id */
    int attempts_left;       /* controlled.shutdown.max.retries, counting down */
    bool asking;             /* an attempt is waiting for the controller's answer */
    ev_timer retry;          /* controlled.shutdown.retry.backoff.ms */
    server_stop_fn *stop;    /* stops the broker (server_stop) */
};

static void attempt(struct server_shutdown *s);

static void finish(struct server_shutdown *s, const char *outcome)
{
    char why[160];
    snprintf(why, sizeof(why), "%s; %s", s->why, outcome);
    s->stop(s->b, why);
}

/* One attempt failed: wait and try again, or give up. */
static void failed(struct server_shutdown *s, const char *what)
{
    if (s->attempts_left <= 0) {
        LOG_WARN("controlled shutdown failed (%s) after controlled.shutdown.max.retries=%d "
                 "attempts; shutting down anyway",
                 what, s->b->cfg->controlled_shutdown_max_retries);
        finish(s, "controlled shutdown incomplete");
        return;
    }
    LOG_WARN("controlled shutdown attempt failed (%s); retrying in %lld ms (%d attempt(s) left)",
             what, (long long)s->b->cfg->controlled_shutdown_retry_backoff_ms, s->attempts_left);
    ev_timer_set(&s->retry, (double)s->b->cfg->controlled_shutdown_retry_backoff_ms / 1e3, 0);
    ev_timer_start(s->b->loop, &s->retry);
}

static void answered(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct server_shutdown *s = opaque;
    if (err == GR_E_CANCELLED)
        return;
    s->asking = false;
    if (err) {
        char what[128];
        snprintf(what, sizeof(what), "controller %d: %s", s->controller, gr_strerror(err));
        failed(s, what);
        return;
    }
    struct arena a;
    arena_init(&a);
    struct proto_reader rd;
    proto_reader_init(&rd, body, len);
    struct proto_ControlledShutdownResponse r;
    char what[512];
    if (proto_decode_ControlledShutdownResponse(&rd, SHUTDOWN_VERSION, &a, &r)) {
        snprintf(what, sizeof(what), "cannot read controller %d's answer: %s", s->controller,
                 proto_reader_reason(&rd));
    } else if (r.error_code) {
        snprintf(what, sizeof(what), "controller %d answered %s", s->controller,
                 proto_error_name(r.error_code));
    } else {
        /* The controller has taken this broker out of every ISR: stop
         * following, so no leader adds it back before it is gone. */
        replica_fetchers_destroy(s->b);
        if (!r.remaining_partitions_count) {
            arena_destroy(&a);
            LOG_INFO("controlled shutdown succeeded: this broker leads no replicated partition");
            finish(s, "controlled shutdown complete");
            return;
        }
        int n = snprintf(what, sizeof(what), "%d partition(s) still led here:",
                         r.remaining_partitions_count);
        for (int32_t i = 0; i < r.remaining_partitions_count && n < (int)sizeof(what) - 1; i++)
            n += snprintf(what + n, sizeof(what) - (size_t)n, " %.*s-%d",
                          (int)r.remaining_partitions[i].topic_name.len,
                          r.remaining_partitions[i].topic_name.ptr,
                          r.remaining_partitions[i].partition_index);
    }
    arena_destroy(&a);
    failed(s, what);
}

/* The client for the current controller's inter-broker endpoint, made anew
 * when the controller changed. NULL with why set when there is none. */
static struct client *controller_client(struct server_shutdown *s, char *why, size_t whysz)
{
    struct broker *b = s->b;
    int32_t id = b->md->controller_id;
    const struct metadata_endpoint *ep =
        id < 0 ? NULL : metadata_endpoint(b->md, id, broker_config_inter_broker_listener(b->cfg));
    if (!ep) {
        snprintf(why, whysz, id < 0 ? "no controller" : "controller %d has no endpoint", id);
        return NULL;
    }
    if (s->cl && s->controller != id) {
        client_free(s->cl);
        s->cl = NULL;
    }
    if (!s->cl) {
        char cid[64];
        snprintf(cid, sizeof(cid), "gregor-controlled-shutdown-%d", b->id);
        struct client_config cc = {.host = ep->host, .port = ep->port, .client_id = cid,
                                   .max_in_flight = 1};
        s->cl = client_new(b->loop, &cc);
        s->controller = id;
        if (!s->cl)
            snprintf(why, whysz, "out of memory");
    }
    return s->cl;
}

static void attempt(struct server_shutdown *s)
{
    struct broker *b = s->b;
    char why[128];
    s->attempts_left--;
    struct client *cl = controller_client(s, why, sizeof(why));
    if (!cl) {
        failed(s, why);
        return;
    }
    struct proto_ControlledShutdownRequest req = {.broker_id = b->id, .broker_epoch = b->epoch};
    struct proto_out o;
    proto_out_init(&o);
    struct buf body;
    buf_init(&body);
    int rc = proto_encode_ControlledShutdownRequest(&o, SHUTDOWN_VERSION, &req);
    if (!rc)
        rc = proto_out_copy_to(&o, &body);
    proto_out_destroy(&o);
    if (!rc)
        rc = client_send(cl, PROTO_API_CONTROLLED_SHUTDOWN, SHUTDOWN_VERSION, body.data, body.len,
                         b->cfg->controller_socket_timeout_ms, answered, s);
    buf_destroy(&body);
    if (rc) {
        failed(s, gr_strerror(rc));
        return;
    }
    s->asking = true;
    LOG_INFO("controlled shutdown: asking controller %d to move this broker's leaderships",
             s->controller);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    attempt(w->data);
}

void server_shutdown_begin(struct broker *b, const char *why, server_stop_fn *stop)
{
    const struct broker_config *cfg = b->cfg;
    if (b->leaving) {
        stop(b, "a second signal during controlled shutdown");
        return;
    }
    const char *skip = NULL;
    if (!cfg->controlled_shutdown_enable)
        skip = "controlled.shutdown.enable is false";
    else if (b->phase != PHASE_RUNNING || !b->registered)
        skip = "not serving yet";
    else if (!b->zk_connected)
        skip = "ZooKeeper is not connected";
    else if (b->md->nbrokers <= 1)
        skip = "no other live broker";
    else if (cfg->controlled_shutdown_max_retries <= 0)
        skip = "controlled.shutdown.max.retries is 0";
    if (skip) {
        char w[160];
        snprintf(w, sizeof(w), "%s; no controlled shutdown: %s", why, skip);
        stop(b, w);
        return;
    }
    struct server_shutdown *s = calloc(1, sizeof(*s));
    if (!s) {
        stop(b, why);
        return;
    }
    s->b = b;
    s->stop = stop;
    snprintf(s->why, sizeof(s->why), "%s", why);
    s->controller = -1;
    s->attempts_left = cfg->controlled_shutdown_max_retries;
    ev_timer_init(&s->retry, retry_cb, 0, 0);
    s->retry.data = s;
    b->leaving = s;
    LOG_INFO("starting controlled shutdown (%s)", why);
    attempt(s);
}

void server_shutdown_metadata_changed(struct broker *b)
{
    struct server_shutdown *s = b->leaving;
    if (!s || !s->asking || b->md->controller_id == s->controller || b->md->controller_id < 0)
        return;
    LOG_INFO("controlled shutdown: the controller is now broker %d; asking it instead of %d",
             b->md->controller_id, s->controller);
    /* Cancels the request (its callback ignores that), and the attempt
     * does not count: the old controller never answered. */
    client_free(s->cl);
    s->cl = NULL;
    s->asking = false;
    s->attempts_left++;
    attempt(s);
}

void server_shutdown_free(struct broker *b)
{
    struct server_shutdown *s = b->leaving;
    if (!s)
        return;
    b->leaving = NULL;
    ev_timer_stop(b->loop, &s->retry);
    if (s->cl)
        client_free(s->cl);
    free(s);
}
