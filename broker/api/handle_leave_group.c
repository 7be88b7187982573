/*
 * LeaveGroup: v0-2 name one member, v3 a batch (KIP-345), each with its
 * own error; v0-2 report that one member's error at the top level, as
 * Kafka's LeaveGroupResponse does for the old versions.
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

void handle_LeaveGroup(struct request *req)
{
    const struct proto_LeaveGroupRequest *r = req->body;
    struct proto_LeaveGroupResponse resp = {0};
    bool batch = req->hdr.request_api_version >= 3;
    int n = batch ? (r->members_count > 0 ? r->members_count : 0) : 1;
    char *id = group_req_str(req, r->group_id);
    struct proto_LeaveGroupMemberResponse *out =
        arena_calloc(&req->arena, (size_t)n + 1, sizeof(*out));
    resp.error_code = group_req_route(req, id);
    if (!out && !resp.error_code)
        resp.error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    struct group *g = resp.error_code ? NULL : group_coord_get(req->b->gc, id);
    for (int i = 0; !resp.error_code && i < n; i++) {
        struct proto_str ms = batch ? r->members[i].member_id : r->member_id;
        struct proto_str is = batch ? r->members[i].group_instance_id : PROTO_STR_NULL;
        char *member = group_req_str(req, ms);
        char *instance = is.ptr ? group_req_str(req, is) : NULL;
        out[i].member_id = ms;
        out[i].group_instance_id = is;
        if (!member || (is.ptr && !instance))
            out[i].error_code = PROTO_ERR_INVALID_REQUEST;
        else if (!g)
            out[i].error_code = PROTO_ERR_UNKNOWN_MEMBER_ID;
        else
            out[i].error_code = group_leave(g, member, instance);
    }
    if (!resp.error_code) {
        resp.members = out;
        resp.members_count = batch ? n : 0;
        if (!batch)
            resp.error_code = out[0].error_code;
    }
    req_respond(req, LeaveGroup, &resp);
}
