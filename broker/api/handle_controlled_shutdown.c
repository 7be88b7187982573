/*
 * ControlledShutdown: a broker about to stop asks the controller to move
 * its leaderships (cluster/controller_leaders.c). The answer waits until
 * the metadata shows every partition it leads that another live in-sync
 * replica could take over has moved, or half of controller.socket.timeout.ms
 * has passed (the asking broker gives up at the whole of it), and lists
 * the partitions it still leads; the broker retries while that list is not
 * empty, as Kafka's does. Partitions with one replica never move and are
 * not listed, as in Kafka.
 *
 * Errors: NOT_CONTROLLER, BROKER_NOT_AVAILABLE (no such live broker),
 * STALE_BROKER_EPOCH (v2: the epoch is not its registration's czxid).
 */
#include <stddef.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/controller.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/err.h"

struct shutdown_wait {
    struct request *req;       /* referenced while parked */
    int32_t broker_id;         /* who is leaving */
    struct req_wait wait;      /* on the metadata */
    struct delay_watch watch;  /* its DELAY_METADATA key */
};

struct remaining {
    struct request *req;
    struct proto_RemainingPartition *v; /* arena-owned; NULL: count only */
    int32_t n;
};

static void one(void *arg, const char *topic, int32_t partition, bool movable)
{
    struct remaining *r = arg;
    (void)movable;
    if (r->v)
        r->v[r->n] = (struct proto_RemainingPartition){proto_str_cstr(topic), partition};
    r->n++;
}

static void respond(struct request *req, int16_t code, int32_t broker_id)
{
    struct proto_ControlledShutdownResponse resp = {.error_code = code};
    if (!code) {
        struct remaining r = {req, NULL, 0};
        controller_led_by(req->b->ctl, broker_id, one, &r);
        r.v = arena_calloc(&req->arena, (size_t)r.n + 1, sizeof(*r.v));
        if (!r.v) {
            request_fail(req, "out of memory");
            return;
        }
        r.n = 0;
        controller_led_by(req->b->ctl, broker_id, one, &r);
        resp.remaining_partitions = r.v;
        resp.remaining_partitions_count = r.n;
    }
    req_respond(req, ControlledShutdown, &resp);
}

static bool moved(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    (void)arg;
    struct shutdown_wait *s = (struct shutdown_wait *)((char *)op - offsetof(struct shutdown_wait,
                                                                            wait.op));
    return controller_led_by(s->req->b->ctl, s->broker_id, NULL, NULL) == 0;
}

static void waited(struct delay_op *op, bool timed_out)
{
    struct shutdown_wait *s = (struct shutdown_wait *)((char *)op - offsetof(struct shutdown_wait,
                                                                            wait.op));
    struct request *req = s->req;
    (void)timed_out;
    req_wait_end(&s->wait);
    respond(req, 0, s->broker_id);
    request_unref(req);
}

void handle_ControlledShutdown(struct request *req)
{
    const struct proto_ControlledShutdownRequest *r = req->body;
    struct broker *b = req->b;
    int64_t epoch = req->hdr.request_api_version >= 2 ? r->broker_epoch : -1;
    int rc = controller_shutdown_broker(b->ctl, r->broker_id, epoch);
    if (rc == GR_E_NOMEM) {
        request_fail(req, "out of memory");
        return;
    }
    if (rc) {
        respond(req,
                rc == GR_E_NOT_CONTROLLER ? PROTO_ERR_NOT_CONTROLLER
                : rc == GR_E_STATE        ? PROTO_ERR_STALE_BROKER_EPOCH
                                          : PROTO_ERR_BROKER_NOT_AVAILABLE,
                r->broker_id);
        return;
    }
    int64_t timeout_ms = b->cfg->controller_socket_timeout_ms / 2;
    if (!controller_led_by(b->ctl, r->broker_id, NULL, NULL) || timeout_ms <= 0 || !req->conn) {
        respond(req, 0, r->broker_id);
        return;
    }
    struct shutdown_wait *s = arena_calloc(&req->arena, 1, sizeof(*s));
    if (!s) {
        request_fail(req, "out of memory");
        return;
    }
    s->req = req;
    s->broker_id = r->broker_id;
    delay_op_init(&s->wait.op, moved, waited);
    if (delay_watch(b->delay, &s->wait.op, &s->watch, delay_key(b->md, DELAY_METADATA), 0)) {
        request_fail(req, "out of memory");
        return;
    }
    req_wait_start(req, &s->wait, timeout_ms);
}
