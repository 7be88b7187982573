/*
 * DeleteTopics: mark each topic in /admin/delete_topics (the controller
 * deletes it) and answer once it is gone from the metadata or timeout_ms
 * passes. TOPIC_DELETION_DISABLED when delete.topic.enable is false. A
 * topic named more than once is deleted once.
 */
#include "broker/cluster/admin.h"
#include "broker/api/admin_request.h"
#include "broker/core/broker.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/metadata.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

static bool deleted(struct admin_req *ar, const struct admin_item *it)
{
    return !metadata_topic(ar->req->b->md, it->name);
}

static void respond(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_DeleteTopicsRequest *r = req->body;
    struct proto_DeletableTopicResult *res =
        arena_calloc(&req->arena, (size_t)ar->n + 1, sizeof(*res));
    for (int i = 0; res && i < ar->n; i++) {
        res[i].name = r->topic_names[i];
        res[i].error_code = admin_req_code(&ar->items[i]);
    }
    struct proto_DeleteTopicsResponse resp = {.responses_count = ar->n, .responses = res};
    if (!res)
        request_fail(req, "out of memory");
    else
        req_respond(req, DeleteTopics, &resp);
}

static struct proto_str topic_name(const void *ctx, int32_t i)
{
    return ((const struct proto_str *)ctx)[i];
}

void handle_DeleteTopics(struct request *req)
{
    const struct proto_DeleteTopicsRequest *r = req->body;
    struct admin_req *ar = admin_req_new(req, r->topic_names_count, r->timeout_ms);
    if (!ar) {
        request_fail(req, "out of memory");
        return;
    }
    ar->shown = deleted;
    ar->respond = respond;
    if (admin_req_not_controller(ar)) {
        respond(ar);
        return;
    }
    const int32_t *first = admin_req_repeats(ar, topic_name, r->topic_names);
    if (!first) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t i = 0; i < r->topic_names_count; i++) {
        char msg[512] = "";
        if (first[i] != i) {
            /* One deletion per topic, however often it is named (as Kafka's
             * set of topics to delete); the repeat answers as the first. */
            ar->items[i].same_as = first[i];
            continue;
        }
        /* A name that is not legal (e.g. "t\0x") names no topic: it must
         * never be read as the "t" it starts with. */
        ar->items[i].name = req_topic_name(req, r->topic_names[i]);
        int code = ar->items[i].name
                       ? admin_delete_topic(req->b, ar->items[i].name, admin_req_write_done,
                                            &ar->items[i], msg, sizeof(msg))
                       : GR_E_NOENT;
        admin_req_started(ar, i, code, msg);
    }
    admin_req_run(ar);
}
