/*
 * OffsetDelete: removes committed offsets (and their znodes, asynchronously)
 * of an Empty group, or of the topics a consumer group does not subscribe
 * to (GROUP_SUBSCRIBED_TO_TOPIC for the others), as Kafka 2.8 does; an
 * active group of another protocol type gets NON_EMPTY_GROUP. A group left
 * empty with no offsets is removed.
 */
#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_commit.h"
#include "broker/group/group_coord.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

void handle_OffsetDelete(struct request *req)
{
    const struct proto_OffsetDeleteRequest *r = req->body;
    struct broker *b = req->b;
    struct proto_OffsetDeleteResponse resp = {0};
    char *id = group_req_str(req, r->group_id);
    struct group *g = NULL;
    resp.error_code = group_req_route(req, id);
    if (!resp.error_code && (!(g = group_coord_get(b->gc, id)) || g->state == GROUP_DEAD))
        resp.error_code = PROTO_ERR_GROUP_ID_NOT_FOUND;
    bool consumer = g && g->protocol_type && !strcmp(g->protocol_type, "consumer");
    if (!resp.error_code && g->state != GROUP_EMPTY && !consumer)
        resp.error_code = PROTO_ERR_NON_EMPTY_GROUP;
    if (resp.error_code) {
        req_respond(req, OffsetDelete, &resp);
        return;
    }
    int nt = r->topics_count > 0 ? r->topics_count : 0;
    struct proto_OffsetDeleteResponseTopic *t =
        arena_calloc(&req->arena, (size_t)nt + 1, sizeof(*t));
    if (!t) {
        request_fail(req, "out of memory answering OffsetDelete");
        return;
    }
    for (int i = 0; i < nt; i++) {
        const struct proto_OffsetDeleteRequestTopic *rt = &r->topics[i];
        int np = rt->partitions_count > 0 ? rt->partitions_count : 0;
        struct proto_OffsetDeleteResponsePartition *p =
            arena_calloc(&req->arena, (size_t)np + 1, sizeof(*p));
        if (!p) {
            request_fail(req, "out of memory answering OffsetDelete");
            return;
        }
        char *topic = req_topic_name(req, rt->name);
        bool subscribed = topic && g->state != GROUP_EMPTY && group_subscribed_to(g, topic);
        t[i].name = rt->name;
        t[i].partitions = p;
        t[i].partitions_count = np;
        for (int j = 0; j < np; j++) {
            int32_t part = rt->partitions[j].partition_index;
            p[j].partition_index = part;
            if (!topic || !metadata_partition(b->md, topic, part))
                p[j].error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (subscribed)
                p[j].error_code = PROTO_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
            else
                group_commit_delete(g, &(struct tp){req_tp(rt->name, part).topic, part}, 1);
        }
    }
    resp.topics = t;
    resp.topics_count = nt;
    if (group_is_idle(g) && !g->commits)
        group_coord_remove(b->gc, g, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    req_respond(req, OffsetDelete, &resp);
}
