/*
 * FindCoordinator: the broker that leads the group's partition of
 * __consumer_offsets (group/group_coord.h), with its endpoint on the
 * listener the request came in on. The first one creates the topic.
 * Transaction coordinators (key_type 1) do not exist yet: INVALID_REQUEST.
 */
#include <string.h>

#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/group/group_coord.h"
#include "broker/net/conn.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

void handle_FindCoordinator(struct request *req)
{
    const struct proto_FindCoordinatorRequest *r = req->body;
    struct proto_FindCoordinatorResponse resp = {
        .node_id = -1, .host = PROTO_STR_EMPTY, .port = -1};
    char *key = group_req_str(req, r->key);
    int32_t node = -1;
    if (r->key_type != 0)
        resp.error_code = PROTO_ERR_INVALID_REQUEST;
    else if (!key)
        resp.error_code = PROTO_ERR_INVALID_GROUP_ID;
    else
        resp.error_code = group_coord_find(req->b->gc, key, &node);
    if (resp.error_code == PROTO_ERR_NONE) {
        const char *listener = req->conn ? req->conn->listener->name : "PLAINTEXT";
        const struct metadata_endpoint *ep = metadata_endpoint(req->b->md, node, listener);
        if (ep) {
            resp.node_id = node;
            resp.host = group_req_copy(req, ep->host);
            resp.port = ep->port;
        } else {
            resp.error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
        }
    }
    resp.error_message = PROTO_STR_NULL;
    req_respond(req, FindCoordinator, &resp);
}
