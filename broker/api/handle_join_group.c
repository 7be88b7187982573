/*
 * JoinGroup: validates and hands the request to the group
 * (group/group.h). An answer known at once is sent at once; otherwise the
 * request waits, with no deadline of its own (the group's join phase has
 * the rebalance timeout), on its member's DELAY_GROUP_JOIN key, and the
 * group's wake carries the answer, which is copied into the request.
 */
#include <stddef.h>
#include <string.h>

#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_coord.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

struct join_wait {
    struct req_wait w;                   /* parked on its member's key */
    struct delay_watch watch;            /* (member, DELAY_GROUP_JOIN) */
    struct proto_JoinGroupResponse resp; /* filled by the wake */
};

static void fill(struct request *req, struct proto_JoinGroupResponse *resp,
                 const struct group_join_result *r)
{
    resp->error_code = r->error;
    resp->generation_id = r->generation;
    resp->protocol_name = group_req_copy(req, r->protocol_name);
    resp->leader = group_req_copy(req, r->leader);
    resp->member_id = group_req_copy(req, r->member_id);
    struct proto_JoinGroupResponseMember *m =
        r->nmembers > 0 ? arena_calloc(&req->arena, (size_t)r->nmembers, sizeof(*m)) : NULL;
    for (int i = 0; m && i < r->nmembers; i++) {
        m[i].member_id = group_req_copy(req, r->members[i].member_id);
        m[i].group_instance_id = r->members[i].instance_id
                                     ? group_req_copy(req, r->members[i].instance_id)
                                     : PROTO_STR_NULL;
        m[i].metadata = group_req_bytes(req, r->members[i].meta, r->members[i].len);
    }
    resp->members = m;
    resp->members_count = m ? r->nmembers : 0;
}

static bool answered(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    struct join_wait *jw =
        (struct join_wait *)(void *)((char *)op - offsetof(struct join_wait, w.op));
    fill(jw->w.req, &jw->resp, arg);
    return true;
}

static void done(struct delay_op *op, bool timed_out)
{
    struct join_wait *jw =
        (struct join_wait *)(void *)((char *)op - offsetof(struct join_wait, w.op));
    struct request *req = jw->w.req;
    req_wait_end(&jw->w);
    if (timed_out)
        jw->resp.error_code = PROTO_ERR_REBALANCE_IN_PROGRESS;
    req_respond(req, JoinGroup, &jw->resp);
    request_unref(req);
}

static void answer(struct request *req, int16_t error, const char *member_id)
{
    struct proto_JoinGroupResponse resp = {.error_code = error,
                                           .generation_id = -1,
                                           .protocol_name = PROTO_STR_EMPTY,
                                           .leader = PROTO_STR_EMPTY,
                                           .member_id = group_req_copy(req, member_id)};
    req_respond(req, JoinGroup, &resp);
}

void handle_JoinGroup(struct request *req)
{
    const struct proto_JoinGroupRequest *r = req->body;
    struct group_coord *gc = req->b->gc;
    int16_t version = req->hdr.request_api_version;
    struct group_req_ids ids;
    int16_t err = group_req_ids(req, r->group_id, r->member_id, r->group_instance_id, &ids);
    char *id = ids.group, *member = ids.member;
    char *type = group_req_str(req, r->protocol_type);
    if (!err && !type)
        err = PROTO_ERR_INVALID_REQUEST;
    if (err) {
        answer(req, err, member ? member : "");
        return;
    }
    struct group_join_params p = {
        .member_id = member,
        .instance_id = ids.instance,
        .client_id = req->hdr.client_id.ptr ? req_cstr(req, req->hdr.client_id) : "",
        .client_host = group_req_host(req),
        .session_timeout_ms = r->session_timeout_ms,
        .rebalance_timeout_ms = version >= 1 ? r->rebalance_timeout_ms : r->session_timeout_ms,
        .protocol_type = type,
        .nprotocols = r->protocols_count > 0 ? r->protocols_count : 0,
        .require_known_member_id = version >= 4,
    };
    const char **names = arena_calloc(&req->arena, (size_t)p.nprotocols + 1, sizeof(*names));
    const uint8_t **meta = arena_calloc(&req->arena, (size_t)p.nprotocols + 1, sizeof(*meta));
    int32_t *len = arena_calloc(&req->arena, (size_t)p.nprotocols + 1, sizeof(*len));
    if (!names || !meta || !len || !p.client_id) {
        answer(req, PROTO_ERR_INVALID_REQUEST, member);
        return;
    }
    for (int i = 0; i < p.nprotocols; i++) {
        names[i] = group_req_str(req, r->protocols[i].name);
        meta[i] = r->protocols[i].metadata.ptr;
        len[i] = r->protocols[i].metadata.len;
        if (!names[i]) {
            answer(req, PROTO_ERR_INVALID_REQUEST, member);
            return;
        }
    }
    p.protocol_names = names;
    p.protocol_meta = meta;
    p.protocol_len = len;

    struct group *g = member[0] ? group_coord_get(gc, id) : group_coord_get_or_create(gc, id);
    if (!g) {
        answer(req, member[0] ? PROTO_ERR_UNKNOWN_MEMBER_ID : PROTO_ERR_COORDINATOR_NOT_AVAILABLE,
               member);
        return;
    }
    struct join_wait *jw = arena_calloc(&req->arena, 1, sizeof(*jw));
    if (!jw) {
        answer(req, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, member);
        return;
    }
    struct group_join_result res;
    struct group_member *wait_on;
    if (group_join(g, &p, &res, &wait_on)) {
        fill(req, &jw->resp, &res);
        if (group_is_idle(g))
            group_coord_remove(gc, g, PROTO_ERR_NOT_COORDINATOR);
        else
            group_settle(g);
        req_respond(req, JoinGroup, &jw->resp);
        return;
    }
    delay_op_init(&jw->w.op, answered, done);
    if (delay_watch(req->b->delay, &jw->w.op, &jw->watch, delay_key(wait_on, DELAY_GROUP_JOIN),
                    0)) {
        answer(req, PROTO_ERR_COORDINATOR_NOT_AVAILABLE, member);
        group_settle(g);
        return;
    }
    req_wait_start(req, &jw->w, -1);
    group_settle(g);
}
