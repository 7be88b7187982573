/*
 * Shared pieces of the group APIs' handlers (see group_request.h).
 */
#include "broker/api/group_request.h"

#include <string.h>

#include "broker/api/handler_util.h"
#include "broker/core/broker.h"
#include "broker/group/group_coord.h"
#include "broker/net/conn.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

char *group_req_str(struct request *req, struct proto_str s)
{
    if (!s.ptr || memchr(s.ptr, 0, (size_t)s.len))
        return NULL;
    return req_cstr(req, s);
}

int16_t group_req_route(struct request *req, const char *id)
{
    if (!id)
        return PROTO_ERR_INVALID_GROUP_ID;
    return group_coord_route(req->b->gc, id);
}

int16_t group_req_ids(struct request *req, struct proto_str group, struct proto_str member,
                      struct proto_str instance, struct group_req_ids *out)
{
    out->group = group_req_str(req, group);
    out->member = group_req_str(req, member);
    out->instance = instance.ptr ? group_req_str(req, instance) : NULL;
    int16_t err = group_req_route(req, out->group);
    if (!err && (!out->member || (instance.ptr && !out->instance)))
        err = PROTO_ERR_INVALID_REQUEST;
    return err;
}

const char *group_req_host(struct request *req)
{
    const char *peer = req->conn ? req->conn->peer : "";
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
        peer++;
        n -= 2;
    }
    char *h = arena_alloc(&req->arena, n + 2);
    if (!h)
        return "";
    h[0] = '/';
    memcpy(h + 1, peer, n);
    h[n + 1] = 0;
    return h;
}

struct proto_str group_req_copy(struct request *req, const char *s)
{
    if (!s)
        return PROTO_STR_EMPTY;
    size_t n = strlen(s);
    char *c = arena_alloc(&req->arena, n + 1);
    if (!c)
        return PROTO_STR_EMPTY;
    memcpy(c, s, n + 1);
    return (struct proto_str){c, (int32_t)n};
}

struct proto_bytes group_req_bytes(struct request *req, const uint8_t *p, int32_t n)
{
    if (!p || n <= 0)
        return PROTO_BYTES_EMPTY;
    uint8_t *c = arena_alloc(&req->arena, (size_t)n);
    if (!c)
        return PROTO_BYTES_EMPTY;
    memcpy(c, p, (size_t)n);
    return (struct proto_bytes){c, n};
}
