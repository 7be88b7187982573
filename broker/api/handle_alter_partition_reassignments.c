/*
 * AlterPartitionReassignments (v0, KIP-455): the controller starts moving
 * each named partition to its new replicas, or cancels its reassignment
 * (null replicas), through cluster/controller_reassign.c. The answer comes
 * once this broker's metadata cache shows each started change (the
 * partition's replicas with the ones being added and removed, or its
 * original replicas after a cancel), or after timeout_ms; the moves
 * themselves go on after that, and ListPartitionReassignments or
 * gregor-reassign-partitions --verify follow them.
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (an
 * empty list, a duplicate, a negative or unregistered broker id),
 * NO_REASSIGNMENT_IN_PROGRESS (a cancel with nothing to cancel),
 * REQUEST_TIMED_OUT; on a broker that is not the controller,
 * NOT_CONTROLLER at the top, as Kafka answers.
 */
#include <stdio.h>
#include <string.h>

#include "broker/api/admin_request.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/controller.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/err.h"

/* What each item (one partition) asked for. */
struct want {
    int32_t partition;
    const int32_t *replicas; /* the request's; NULL: cancel */
    int n;
};

static bool in(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* The cache shows the change: for a move, the target replicas are all in
 * the assignment (being added, or there already); for a cancel, nothing is
 * being added or removed. */
static bool shows(struct admin_req *ar, const struct admin_item *it)
{
    const struct want *w = &((const struct want *)ar->ctx)[it - ar->items];
    const struct metadata_topic *t = metadata_topic(ar->req->b->md, it->name);
    if (!t || w->partition >= t->nparts)
        return true; /* deleted meanwhile: nothing more will show */
    const struct metadata_partition *mp = &t->parts[w->partition];
    if (!w->replicas)
        return !mp->nadding && !mp->nremoving;
    for (int i = 0; i < w->n; i++)
        if (!in(mp->replicas, mp->nreplicas, w->replicas[i]))
            return false;
    return true;
}

static int16_t code_of(const struct admin_item *it)
{
    return it->err == GR_E_STATE ? PROTO_ERR_NO_REASSIGNMENT_IN_PROGRESS : admin_req_code(it);
}

static void respond(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_AlterPartitionReassignmentsRequest *r = req->body;
    struct proto_AlterPartitionReassignmentsResponse resp = {
        .responses_count = r->topics_count};
    struct proto_ReassignableTopicResponse *topics =
        arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*topics));
    if (!topics) {
        request_fail(req, "out of memory");
        return;
    }
    int at = 0;
    for (int32_t i = 0; i < r->topics_count; i++) {
        const struct proto_ReassignableTopic *rt = &r->topics[i];
        struct proto_ReassignablePartitionResponse *parts =
            arena_calloc(&req->arena, (size_t)rt->partitions_count + 1, sizeof(*parts));
        if (!parts) {
            request_fail(req, "out of memory");
            return;
        }
        for (int32_t k = 0; k < rt->partitions_count; k++, at++)
            parts[k] = (struct proto_ReassignablePartitionResponse){
                .partition_index = rt->partitions[k].partition_index,
                .error_code = code_of(&ar->items[at]),
                .error_message = admin_req_message(&ar->items[at])};
        topics[i] = (struct proto_ReassignableTopicResponse){
            .name = rt->name, .partitions = parts, .partitions_count = rt->partitions_count};
    }
    resp.responses = topics;
    req_respond(req, AlterPartitionReassignments, &resp);
}

void handle_AlterPartitionReassignments(struct request *req)
{
    const struct proto_AlterPartitionReassignmentsRequest *r = req->body;
    struct broker *b = req->b;
    int64_t n = 0;
    for (int32_t i = 0; i < r->topics_count; i++)
        n += r->topics[i].partitions_count;
    if (!b->ctl->active) {
        struct proto_AlterPartitionReassignmentsResponse resp = {
            .error_code = PROTO_ERR_NOT_CONTROLLER,
            .error_message = proto_str_cstr("This is not the correct controller for this cluster.")};
        req_respond(req, AlterPartitionReassignments, &resp);
        return;
    }
    struct admin_req *ar = n <= INT32_MAX ? admin_req_new(req, (int)n, r->timeout_ms) : NULL;
    struct want *wants = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*wants));
    if (!ar || !wants) {
        request_fail(req, "out of memory");
        return;
    }
    ar->ctx = wants;
    ar->shown = shows;
    ar->respond = respond;
    int at = 0;
    for (int32_t i = 0; i < r->topics_count; i++) {
        const struct proto_ReassignableTopic *rt = &r->topics[i];
        char *topic = req_topic_name(req, rt->name);
        for (int32_t k = 0; k < rt->partitions_count; k++, at++) {
            const struct proto_ReassignablePartition *p = &rt->partitions[k];
            char msg[400] = "";
            /* An empty list is a list (refused below), not a cancel. */
            static const int32_t none[1];
            wants[at] = (struct want){p->partition_index,
                                      p->replicas_count < 0 ? NULL
                                      : p->replicas         ? p->replicas
                                                            : none,
                                      p->replicas_count};
            ar->items[at].name = topic;
            int rc = topic ? controller_reassign(b->ctl, topic, p->partition_index,
                                                 wants[at].replicas, p->replicas_count, msg,
                                                 sizeof(msg))
                           : GR_E_NOENT;
            if (!topic)
                snprintf(msg, sizeof(msg), "The topic name is not legal.");
            admin_req_started(ar, at, rc, msg);
            ar->items[at].written = rc == GR_OK;
        }
    }
    admin_req_run(ar);
}
