/*
 * Shared handler helpers (see handler_util.h).
 */
#include "broker/api/handler_util.h"

#include <string.h>

#include "broker/core/broker.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_errors.h"
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
    struct broker *b = req->b;
    struct partition *p = partition_get(b, topic, id);
    if (!p || !p->leader) {
        const struct metadata_partition *mp = metadata_partition(b->md, topic, id);
        if (!mp)
            *error = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (!mp->has_state || !metadata_broker_alive(b->md, mp->leader))
            *error = PROTO_ERR_LEADER_NOT_AVAILABLE;
        else
            *error = PROTO_ERR_NOT_LEADER_OR_FOLLOWER;
        return NULL;
    }
    if (current_epoch >= 0 && current_epoch != p->leader_epoch) {
        *error = current_epoch < p->leader_epoch ? PROTO_ERR_FENCED_LEADER_EPOCH
                                                 : PROTO_ERR_UNKNOWN_LEADER_EPOCH;
        return NULL;
    }
    *error = PROTO_ERR_NONE;
    return p;
}
