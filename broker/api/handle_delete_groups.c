/*
 * DeleteGroups: an Empty group is removed with its committed offsets and
 * their znodes (deleted asynchronously, best effort: a failure is logged);
 * a group with members gets NON_EMPTY_GROUP, an unknown one
 * GROUP_ID_NOT_FOUND, each on its own.
 */
#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_commit.h"
#include "broker/group/group_coord.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

static int16_t delete_group(struct request *req, const char *id)
{
    int16_t err = group_req_route(req, id);
    if (err)
        return err;
    struct group *g = group_coord_get(req->b->gc, id);
    if (!g || g->state == GROUP_DEAD)
        return PROTO_ERR_GROUP_ID_NOT_FOUND;
    if (g->state != GROUP_EMPTY || g->pending)
        return PROTO_ERR_NON_EMPTY_GROUP;
    group_commit_delete_all(g);
    group_coord_remove(req->b->gc, g, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
    return PROTO_ERR_NONE;
}

void handle_DeleteGroups(struct request *req)
{
    const struct proto_DeleteGroupsRequest *r = req->body;
    struct proto_DeleteGroupsResponse resp = {0};
    int n = r->groups_names_count > 0 ? r->groups_names_count : 0;
    struct proto_DeletableGroupResult *out = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*out));
    if (!out) {
        request_fail(req, "out of memory answering DeleteGroups");
        return;
    }
    for (int i = 0; i < n; i++) {
        out[i].group_id = r->groups_names[i];
        out[i].error_code = delete_group(req, group_req_str(req, r->groups_names[i]));
    }
    resp.results = out;
    resp.results_count = n;
    req_respond(req, DeleteGroups, &resp);
}
