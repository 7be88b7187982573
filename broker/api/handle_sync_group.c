/*
 * SyncGroup: the leader's assignments go to every member (group/group.h).
 * A follower that syncs before the leader waits on its member's
 * DELAY_GROUP_SYNC key, with no deadline of its own: the leader's sync, a
 * new rebalance or the member's removal answers it.
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

struct sync_wait {
    struct req_wait w;                   /* parked on its member's key */
    struct delay_watch watch;            /* (member, DELAY_GROUP_SYNC) */
    struct proto_SyncGroupResponse resp; /* filled by the wake */
};

static void fill(struct request *req, struct proto_SyncGroupResponse *resp,
                 const struct group_sync_result *r)
{
    resp->error_code = r->error;
    resp->assignment = group_req_bytes(req, r->assignment, r->len);
}

static bool answered(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    struct sync_wait *sw =
        (struct sync_wait *)(void *)((char *)op - offsetof(struct sync_wait, w.op));
    fill(sw->w.req, &sw->resp, arg);
    return true;
}

static void done(struct delay_op *op, bool timed_out)
{
    struct sync_wait *sw =
        (struct sync_wait *)(void *)((char *)op - offsetof(struct sync_wait, w.op));
    struct request *req = sw->w.req;
    req_wait_end(&sw->w);
    if (timed_out)
        sw->resp.error_code = PROTO_ERR_REBALANCE_IN_PROGRESS;
    req_respond(req, SyncGroup, &sw->resp);
    request_unref(req);
}

static void answer(struct request *req, int16_t error)
{
    struct proto_SyncGroupResponse resp = {.error_code = error, .assignment = PROTO_BYTES_EMPTY};
    req_respond(req, SyncGroup, &resp);
}

void handle_SyncGroup(struct request *req)
{
    const struct proto_SyncGroupRequest *r = req->body;
    struct group_req_ids ids;
    int16_t err = group_req_ids(req, r->group_id, r->member_id, r->group_instance_id, &ids);
    if (err) {
        answer(req, err);
        return;
    }
    struct group *g = group_coord_get(req->b->gc, ids.group);
    int n = r->assignments_count > 0 ? r->assignments_count : 0;
    struct group_assignment *a = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*a));
    struct sync_wait *sw = arena_calloc(&req->arena, 1, sizeof(*sw));
    if (!g || !a || !sw) {
        answer(req, g ? PROTO_ERR_COORDINATOR_NOT_AVAILABLE : PROTO_ERR_UNKNOWN_MEMBER_ID);
        return;
    }
    for (int i = 0; i < n; i++) {
        a[i].member_id = group_req_str(req, r->assignments[i].member_id);
        a[i].data = r->assignments[i].assignment.ptr;
        a[i].len = r->assignments[i].assignment.len;
        if (!a[i].member_id)
            a[i].member_id = ""; /* names no member */
    }
    struct group_sync_result res;
    struct group_member *wait_on;
    if (group_sync(g, r->generation_id, ids.member, ids.instance, a, n, &res, &wait_on)) {
        fill(req, &sw->resp, &res);
        group_settle(g);
        req_respond(req, SyncGroup, &sw->resp);
        return;
    }
    delay_op_init(&sw->w.op, answered, done);
    if (delay_watch(req->b->delay, &sw->w.op, &sw->watch, delay_key(wait_on, DELAY_GROUP_SYNC),
                    0)) {
        wait_on->awaiting_sync = false;
        answer(req, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    req_wait_start(req, &sw->w, -1);
}
