/*
 * ListGroups: every group this broker coordinates, with its protocol type
 * ("" for groups that only store offsets); COORDINATOR_LOAD_IN_PROGRESS
 * beside the list while a partition of __consumer_offsets is loading.
 */
#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_coord.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

void handle_ListGroups(struct request *req)
{
    struct group_coord *gc = req->b->gc;
    struct proto_ListGroupsResponse resp = {0};
    struct proto_ListedGroup *out = arena_calloc(&req->arena, gc->groups.count + 1, sizeof(*out));
    if (!out) {
        request_fail(req, "out of memory answering ListGroups");
        return;
    }
    size_t it = 0;
    const char *k;
    void *v;
    int n = 0;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        const struct group *g = v;
        if (gc->part[g->partition] != GROUP_PART_LOADED)
            continue;
        out[n].group_id = group_req_copy(req, g->id);
        out[n].protocol_type = group_req_copy(req, g->protocol_type);
        n++;
    }
    resp.error_code = group_coord_loading(gc) ? PROTO_ERR_COORDINATOR_LOAD_IN_PROGRESS : 0;
    resp.groups = out;
    resp.groups_count = n;
    req_respond(req, ListGroups, &resp);
}
