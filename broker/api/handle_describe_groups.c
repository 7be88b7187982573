/*
 * DescribeGroups: Kafka's group summary. Members carry their metadata and
 * assignment only while the group is Stable (as Kafka's summary does);
 * an unknown group is described as Dead with no error.
 */
#include <stdint.h>

#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_coord.h"
#include "broker/group/group_member.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

static bool describe(struct request *req, const struct group *g, struct proto_DescribedGroup *out)
{
    bool stable = g->state == GROUP_STABLE;
    out->group_state = proto_str_cstr(group_state_name(g->state));
    out->protocol_type = group_req_copy(req, g->protocol_type);
    out->protocol_data = stable ? group_req_copy(req, g->protocol_name) : PROTO_STR_EMPTY;
    struct proto_DescribedGroupMember *m =
        arena_calloc(&req->arena, (size_t)g->nmembers + 1, sizeof(*m));
    if (!m)
        return false;
    int n = 0;
    for (const struct group_member *gm = g->members; gm; gm = gm->next, n++) {
        m[n].member_id = group_req_copy(req, gm->id);
        m[n].group_instance_id =
            gm->instance_id ? group_req_copy(req, gm->instance_id) : PROTO_STR_NULL;
        m[n].client_id = group_req_copy(req, gm->client_id);
        m[n].client_host = group_req_copy(req, gm->client_host);
        const struct group_protocol *p =
            stable ? group_member_protocol(gm, g->protocol_name) : NULL;
        m[n].member_metadata = p ? group_req_bytes(req, p->meta, p->len) : PROTO_BYTES_EMPTY;
        m[n].member_assignment =
            stable ? group_req_bytes(req, gm->assignment, gm->assignment_len) : PROTO_BYTES_EMPTY;
    }
    out->members = m;
    out->members_count = n;
    return true;
}

void handle_DescribeGroups(struct request *req)
{
    const struct proto_DescribeGroupsRequest *r = req->body;
    struct proto_DescribeGroupsResponse resp = {0};
    int n = r->groups_count > 0 ? r->groups_count : 0;
    struct proto_DescribedGroup *out = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*out));
    if (!out) {
        request_fail(req, "out of memory answering DescribeGroups");
        return;
    }
    for (int i = 0; i < n; i++) {
        char *id = group_req_str(req, r->groups[i]);
        out[i] = (struct proto_DescribedGroup){.group_id = r->groups[i],
                                               .group_state = PROTO_STR_EMPTY,
                                               .protocol_type = PROTO_STR_EMPTY,
                                               .protocol_data = PROTO_STR_EMPTY,
                                               .authorized_operations = INT32_MIN};
        out[i].error_code = group_req_route(req, id);
        if (out[i].error_code)
            continue;
        const struct group *g = group_coord_get(req->b->gc, id);
        if (!g)
            out[i].group_state = proto_str_cstr(group_state_name(GROUP_DEAD));
        else if (!describe(req, g, &out[i])) {
            request_fail(req, "out of memory answering DescribeGroups");
            return;
        }
    }
    resp.groups = out;
    resp.groups_count = n;
    req_respond(req, DescribeGroups, &resp);
}
