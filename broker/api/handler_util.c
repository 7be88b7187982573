/*
 * Shared handler helpers (see handler_util.h).
 */
#include "broker/api/handler_util.h"

#include <string.h>

#include "broker/api/errmap.h"
#include "broker/cluster/partition.h"
#include "broker/net/request.h"

char *req_cstr(struct request *req, struct proto_str s)
{
    size_t n = s.ptr ? (size_t)s.len : 0;
    char *out = arena_alloc(&req->arena, n + 1);
    if (out && n)
        memcpy(out, s.ptr, n);
    return out;
}

struct partition *req_leader(struct request *req, const char *topic, int32_t id,
                             int32_t current_epoch, int16_t *error)
{
    struct partition *p = NULL;
    *error = errmap_kafka(partition_lead(req->b, topic, id, current_epoch, &p));
    return p;
}
