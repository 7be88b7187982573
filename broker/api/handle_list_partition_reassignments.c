/*
 * ListPartitionReassignments (v0, KIP-455): the controller lists the
 * partitions whose assignment records a reassignment under way (replicas
 * being added or removed in /brokers/topics/<t>), every one (null topics)
 * or those named; a named partition with none is left out, as Kafka does.
 * A broker that is not the controller answers NOT_CONTROLLER.
 */
#include <string.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/controller.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/strmap.h"

static bool reassigning(const struct metadata_partition *mp)
{
    return mp->nadding || mp->nremoving;
}

/* Fills out with t's reassigning partitions (all, or those of want).
 * Returns false when out of memory. */
static bool list_topic(struct request *req, const struct metadata_topic *t,
                       const struct proto_ListPartitionReassignmentsTopics *want,
                       struct proto_OngoingTopicReassignment *out)
{
    int32_t n = want ? want->partition_indexes_count : t->nparts;
    struct proto_OngoingPartitionReassignment *parts =
        arena_calloc(&req->arena, (size_t)(n > 0 ? n : 0) + 1, sizeof(*parts));
    if (!parts)
        return false;
    out->name = proto_str_cstr(t->name);
    out->partitions = parts;
    for (int32_t i = 0; i < n; i++) {
        int32_t p = want ? want->partition_indexes[i] : i;
        if (p < 0 || p >= t->nparts || !reassigning(&t->parts[p]))
            continue;
        const struct metadata_partition *mp = &t->parts[p];
        bool seen = false;
        for (int32_t k = 0; k < out->partitions_count && !seen; k++)
            seen = parts[k].partition_index == p;
        if (seen)
            continue;
        parts[out->partitions_count++] = (struct proto_OngoingPartitionReassignment){
            .partition_index = p,
            .replicas = mp->replicas,
            .replicas_count = mp->nreplicas,
            .adding_replicas = mp->adding,
            .adding_replicas_count = mp->nadding,
            .removing_replicas = mp->removing,
            .removing_replicas_count = mp->nremoving};
    }
    return true;
}

void handle_ListPartitionReassignments(struct request *req)
{
    const struct proto_ListPartitionReassignmentsRequest *r = req->body;
    struct broker *b = req->b;
    struct proto_ListPartitionReassignmentsResponse resp = {0};
    if (!b->ctl->active) {
        resp.error_code = PROTO_ERR_NOT_CONTROLLER;
        resp.error_message = proto_str_cstr("This is not the correct controller for this cluster.");
        req_respond(req, ListPartitionReassignments, &resp);
        return;
    }
    size_t cap = r->topics_count >= 0 ? (size_t)r->topics_count : b->md->topics.count;
    struct proto_OngoingTopicReassignment *topics =
        arena_calloc(&req->arena, cap + 1, sizeof(*topics));
    if (!topics) {
        request_fail(req, "out of memory");
        return;
    }
    bool ok = true;
    if (r->topics_count < 0) {
        size_t it = 0;
        void *v;
        while (ok && strmap_next(&b->md->topics, &it, NULL, &v)) {
            struct proto_OngoingTopicReassignment *o = &topics[resp.topics_count];
            ok = list_topic(req, v, NULL, o);
            if (ok && o->partitions_count)
                resp.topics_count++;
        }
    } else {
        for (int32_t i = 0; ok && i < r->topics_count; i++) {
            char *name = req_topic_name(req, r->topics[i].name);
            const struct metadata_topic *t = name ? metadata_topic(b->md, name) : NULL;
            if (!metadata_topic_ready(t))
                continue;
            struct proto_OngoingTopicReassignment *o = &topics[resp.topics_count];
            ok = list_topic(req, t, &r->topics[i], o);
            if (ok && o->partitions_count)
                resp.topics_count++;
        }
    }
    if (!ok) {
        request_fail(req, "out of memory");
        return;
    }
    resp.topics = topics;
    req_respond(req, ListPartitionReassignments, &resp);
}
