/*
 * Shared handler helpers (see handler_util.h).
 */
#include "broker/api/handler_util.h"

#include <stdio.h>
#include <string.h>

#include "broker/api/errmap.h"
#include "broker/core/broker.h"
#include "broker/cluster/partition.h"
#include "broker/net/request.h"
#include "common/topic_name.h"

void req_respond_encoded(struct request *req, const char *api, int rc)
{
    char why[128];
    if (rc) {
        snprintf(why, sizeof(why), "cannot encode the %s response (%s)", api, gr_strerror(rc));
        request_fail(req, why);
    } else {
        request_respond(req);
    }
}

char *req_cstr(struct request *req, struct proto_str s)
{
    size_t n = s.ptr ? (size_t)s.len : 0;
    char *out = arena_alloc(&req->arena, n + 1);
    if (out && n)
        memcpy(out, s.ptr, n);
    return out;
}

char *req_topic_name(struct request *req, struct proto_str s)
{
    if (!s.ptr || !topic_name_valid_n(s.ptr, (size_t)s.len))
        return NULL;
    return req_cstr(req, s);
}

struct partition *req_leader(struct request *req, struct tp tp, int32_t current_epoch,
                             int16_t *error)
{
    struct partition *p = NULL;
    *error = errmap_kafka(partition_lead(req->b, tp, current_epoch, &p));
    return p;
}

static void wait_cancelled(struct request *req)
{
    struct req_wait *w = req->hstate;
    delay_cancel(req->b->delay, &w->op);
    if (w->cancelled)
        w->cancelled(w);
    request_unref(req);
}

void req_wait_start(struct request *req, struct req_wait *w, int64_t timeout_ms)
{
    req_wait_start_cb(req, w, timeout_ms, NULL);
}

void req_wait_start_cb(struct request *req, struct req_wait *w, int64_t timeout_ms,
                       void (*cancelled)(struct req_wait *w))
{
    w->cancelled = cancelled;
    w->req = request_ref(req);
    req->hstate = w;
    req->cancel = wait_cancelled;
    delay_start(req->b->delay, &w->op, timeout_ms);
}

void req_wait_end(struct req_wait *w)
{
    w->req->cancel = NULL;
    w->req->hstate = NULL;
}
