/*
 * CreateTopics: validate each topic (name, partitions, replication factor,
 * manual assignment, configs), write it to ZooKeeper, and answer once every
 * partition of the new topics has a leader or timeout_ms passes.
 * validate_only checks without writing. Duplicate names in one request are
 * INVALID_REQUEST, as in Kafka (found in linear time). The partitions one
 * request creates are capped (gregor.create.partitions.max), and so are
 * the replicas per broker (gregor.broker.partitions.max): a topic beyond
 * either gets POLICY_VIOLATION with a message naming the key, which
 * kafka-topics and admin clients print as they are.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/api/admin_request.h"
#include "broker/core/broker.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

static bool created(struct admin_req *ar, const struct admin_item *it)
{
    return admin_topic_online(ar->req->b, it->name);
}

static void respond(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_CreateTopicsRequest *r = req->body;
    struct proto_CreatableTopicResult *res =
        arena_calloc(&req->arena, (size_t)ar->n + 1, sizeof(*res));
    for (int i = 0; res && i < ar->n; i++) {
        res[i].name = r->topics[i].name;
        res[i].error_code = admin_req_code(&ar->items[i]);
        res[i].error_message = admin_req_message(&ar->items[i]);
    }
    struct proto_CreateTopicsResponse resp = {.topics_count = ar->n, .topics = res};
    if (!res)
        request_fail(req, "out of memory");
    else
        req_respond(req, CreateTopics, &resp);
}

static struct proto_str topic_name(const void *ctx, int32_t i)
{
    return ((const struct proto_CreatableTopic *)ctx)[i].name;
}

void handle_CreateTopics(struct request *req)
{
    const struct proto_CreateTopicsRequest *r = req->body;
    struct admin_req *ar = admin_req_new(req, r->topics_count, r->timeout_ms);
    if (!ar) {
        request_fail(req, "out of memory");
        return;
    }
    ar->shown = created;
    ar->respond = respond;
    if (admin_req_not_controller(ar)) {
        respond(ar);
        return;
    }
    /* Every entry of a repeated name is INVALID_REQUEST, as in Kafka. */
    const bool *repeated = admin_req_repeated(ar, topic_name, r->topics);
    if (!repeated) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t i = 0; i < r->topics_count; i++) {
        const struct proto_CreatableTopic *ct = &r->topics[i];
        char msg[512] = "";
        if (repeated[i]) {
            admin_req_started(ar, i, GR_E_INVALID,
                              "Create topics request from client with duplicate topics");
            continue;
        }
        ar->items[i].name = req_topic_name(req, ct->name);
        if (!ar->items[i].name) {
            /* Not a legal name (an embedded NUL included): never cut it to
             * the C string it starts with. */
            admin_req_started(ar, i, GR_E_BAD_TOPIC,
                              "Topic name is illegal: it must be 1 to 249 characters of ASCII "
                              "alphanumerics, '.', '_' and '-', and not \".\" or \"..\"");
            continue;
        }
        struct admin_replicas *manual =
            arena_calloc(&req->arena, (size_t)ct->assignments_count + 1, sizeof(*manual));
        const char **keys = arena_calloc(&req->arena, (size_t)ct->configs_count + 1, sizeof(char *));
        const char **values =
            arena_calloc(&req->arena, (size_t)ct->configs_count + 1, sizeof(char *));
        if (!manual || !keys || !values) {
            request_fail(req, "out of memory");
            return;
        }
        int code = 0;
        for (int32_t k = 0; k < ct->configs_count; k++) {
            struct proto_str key = ct->configs[k].name, value = ct->configs[k].value;
            keys[k] = req_cstr(req, key);
            values[k] = req_cstr(req, value);
            if (!keys[k] || !values[k]) {
                request_fail(req, "out of memory");
                return;
            }
            if (!value.ptr) {
                code = GR_E_CONFIG;
                snprintf(msg, sizeof(msg), "Null value not supported for topic config %s", keys[k]);
            } else if ((key.len && memchr(key.ptr, 0, (size_t)key.len)) ||
                       (value.len && memchr(value.ptr, 0, (size_t)value.len))) {
                code = GR_E_CONFIG;
                snprintf(msg, sizeof(msg), "Topic config %s has a NUL byte in its name or value",
                         keys[k]);
            }
        }
        for (int32_t k = 0; k < ct->assignments_count; k++)
            manual[k] = (struct admin_replicas){ct->assignments[k].partition_index,
                                                ct->assignments[k].broker_ids,
                                                ct->assignments[k].broker_ids_count};
        struct admin_topic_spec spec = {ar->items[i].name, ct->num_partitions,
                                        ct->replication_factor, manual, ct->assignments_count,
                                        keys, values, ct->configs_count};
        if (!code)
            code = admin_create_topic(req->b, &spec, r->validate_only, &ar->bud, admin_req_write_done,
                                      &ar->items[i], msg, sizeof(msg));
        admin_req_started(ar, i, code, msg);
    }
    admin_req_run(ar);
}
