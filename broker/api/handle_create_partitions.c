/*
 * CreatePartitions: grow each topic to the requested count (with the
 * client's assignment or Kafka's), and answer once the new partitions have
 * leaders or timeout_ms passes. A topic named twice is INVALID_REQUEST
 * ("Duplicate topic in request.", as in Kafka); the new partitions count
 * against the same limits as CreateTopics (POLICY_VIOLATION beyond them).
 */
#include <stdbool.h>

#include "broker/cluster/admin.h"
#include "broker/api/admin_request.h"
#include "broker/core/broker.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/metadata.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

static bool grown(struct admin_req *ar, const struct admin_item *it)
{
    const struct metadata_topic *t = metadata_topic(ar->req->b->md, it->name);
    return t && t->nparts >= it->count && admin_topic_online(ar->req->b, it->name);
}

static void respond(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_CreatePartitionsRequest *r = req->body;
    struct proto_CreatePartitionsTopicResult *res =
        arena_calloc(&req->arena, (size_t)ar->n + 1, sizeof(*res));
    for (int i = 0; res && i < ar->n; i++) {
        res[i].name = r->topics[i].name;
        res[i].error_code = admin_req_code(&ar->items[i]);
        res[i].error_message = admin_req_message(&ar->items[i]);
    }
    struct proto_CreatePartitionsResponse resp = {.results_count = ar->n, .results = res};
    if (!res)
        request_fail(req, "out of memory");
    else
        req_respond(req, CreatePartitions, &resp);
}

static struct proto_str topic_name(const void *ctx, int32_t i)
{
    return ((const struct proto_CreatePartitionsTopic *)ctx)[i].name;
}

void handle_CreatePartitions(struct request *req)
{
    const struct proto_CreatePartitionsRequest *r = req->body;
    struct admin_req *ar = admin_req_new(req, r->topics_count, r->timeout_ms);
    if (!ar) {
        request_fail(req, "out of memory");
        return;
    }
    ar->shown = grown;
    ar->respond = respond;
    if (admin_req_not_controller(ar)) {
        respond(ar);
        return;
    }
    const bool *repeated = admin_req_repeated(ar, topic_name, r->topics);
    if (!repeated) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t i = 0; i < r->topics_count; i++) {
        const struct proto_CreatePartitionsTopic *ct = &r->topics[i];
        struct admin_item *it = &ar->items[i];
        char msg[512] = "";
        if (repeated[i]) {
            admin_req_started(ar, i, GR_E_INVALID, "Duplicate topic in request.");
            continue;
        }
        it->name = req_topic_name(req, ct->name);
        it->count = ct->count;
        if (!it->name) {
            admin_req_started(ar, i, GR_E_NOENT, "The topic does not exist.");
            continue;
        }
        int32_t n = ct->assignments_count > 0 ? ct->assignments_count : 0;
        struct admin_replicas *manual = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*manual));
        if (!manual) {
            request_fail(req, "out of memory");
            return;
        }
        const struct metadata_topic *t = metadata_topic(req->b->md, it->name);
        for (int32_t k = 0; k < n; k++)
            manual[k] = (struct admin_replicas){(t ? t->nparts : 0) + k,
                                                ct->assignments[k].broker_ids,
                                                ct->assignments[k].broker_ids_count};
        int code = admin_create_partitions(req->b, it->name, ct->count, n ? manual : NULL, n,
                                           r->validate_only, &ar->bud, admin_req_write_done, it, msg,
                                           sizeof(msg));
        admin_req_started(ar, i, code, msg);
    }
    admin_req_run(ar);
}
