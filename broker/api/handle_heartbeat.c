/*
 * Heartbeat: keeps a member's session alive and tells it about a
 * rebalance (group/group.h). While the group's partition is still loading
 * the answer is NONE, as Kafka 2.8 answers blindly then.
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

void handle_Heartbeat(struct request *req)
{
    const struct proto_HeartbeatRequest *r = req->body;
    struct proto_HeartbeatResponse resp = {0};
    struct group_req_ids ids;
    resp.error_code = group_req_ids(req, r->group_id, r->member_id, r->group_instance_id, &ids);
    if (resp.error_code == PROTO_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
        resp.error_code = PROTO_ERR_NONE;
    } else if (resp.error_code == PROTO_ERR_NONE) {
        struct group *g = group_coord_get(req->b->gc, ids.group);
        resp.error_code = g ? group_heartbeat(g, r->generation_id, ids.member, ids.instance)
                            : PROTO_ERR_UNKNOWN_MEMBER_ID;
    }
    req_respond(req, Heartbeat, &resp);
}
