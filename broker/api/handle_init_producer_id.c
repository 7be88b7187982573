/*
 * InitProducerId (KIP-98) for idempotent producers: a new producer id with
 * epoch 0, from the blocks this broker claims in ZooKeeper
 * (zk/zk_producer_id.h). Any broker answers, as in Kafka 2.8, where a
 * request without a transactional id needs no coordinator: librdkafka and
 * the Java producer send it to any broker they know.
 *
 * Transactions are not served. A request with a transactional id gets
 * UNSUPPORTED_VERSION, Kafka's answer for an API a broker does not serve:
 * both librdkafka and the Java producer treat it as fatal at start-up, so a
 * transactional producer fails at once with a clear error instead of
 * retrying (FindCoordinator for a transaction coordinator is refused too).
 * A failed claim (no ZooKeeper session, a malformed znode) answers
 * COORDINATOR_NOT_AVAILABLE, which clients retry, as they would while a
 * Kafka transaction coordinator loads.
 */
#define LOG_COMPONENT "init-producer-id"
#include <stddef.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_producer_id.h"

struct init_pid_state {
    struct request *req;              /* referenced while the claim is pending */
    struct zk_producer_id_wait wait;  /* our place in the allocator's queue */
};

static void answer(struct request *req, int16_t error_code, int64_t producer_id)
{
    struct proto_InitProducerIdResponse resp = {
        .error_code = error_code,
        .producer_id = error_code ? -1 : producer_id,
        .producer_epoch = error_code ? -1 : 0,
    };
    req_respond(req, InitProducerId, &resp);
}

static void claimed(int rc, int64_t producer_id, void *ctx)
{
    struct init_pid_state *st = ctx;
    struct request *req = st->req;
    answer(req, rc ? PROTO_ERR_COORDINATOR_NOT_AVAILABLE : PROTO_ERR_NONE, producer_id);
    request_unref(req);
}

void handle_InitProducerId(struct request *req)
{
    const struct proto_InitProducerIdRequest *r = req->body;
    struct broker *b = req->b;
    if (r->transactional_id.ptr) {
        answer(req, PROTO_ERR_UNSUPPORTED_VERSION, -1);
        return;
    }
    if (!b->zk || b->id < 0) {
        answer(req, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, -1);
        return;
    }
    if (!b->pids && !(b->pids = zk_producer_ids_new(b->zk, b->id))) {
        request_fail(req, "out of memory");
        return;
    }
    struct init_pid_state *st = arena_alloc(&req->arena, sizeof(*st));
    if (!st) {
        request_fail(req, "out of memory");
        return;
    }
    st->req = req;
    int64_t producer_id = -1;
    int rc = zk_producer_ids_next(b->pids, &producer_id, &st->wait, claimed, st);
    if (rc == GR_PENDING) {
        request_ref(req);
        return;
    }
    if (rc)
        LOG_WARN("cannot start a producer id claim: %s", gr_strerror(rc));
    answer(req, rc ? PROTO_ERR_COORDINATOR_NOT_AVAILABLE : PROTO_ERR_NONE, producer_id);
}
