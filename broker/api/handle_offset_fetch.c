/*
 * OffsetFetch: answered from the coordinator's cache (group/group_offsets.h),
 * which holds what ZooKeeper holds. A partition with no committed offset
 * gets -1 and NONE, as in Kafka. v2+ may ask for every partition the group
 * committed (null topics) and carry a top-level error; v0-1 repeat an error
 * in each partition.
 */
#include <stdlib.h>
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

static void fill_partition(struct request *req, struct proto_OffsetFetchResponsePartition *out,
                           int32_t partition, const struct group_offset *o, int16_t error)
{
    out->partition_index = partition;
    out->committed_offset = o ? o->offset : -1;
    out->committed_leader_epoch = o ? o->leader_epoch : -1;
    out->metadata = o && o->metadata ? group_req_copy(req, o->metadata) : PROTO_STR_EMPTY;
    out->error_code = error;
}

/* The named partitions. */
static bool answer_named(struct request *req, const struct group *g, int16_t error,
                         struct proto_OffsetFetchResponse *resp)
{
    const struct proto_OffsetFetchRequest *r = req->body;
    int nt = r->topics_count > 0 ? r->topics_count : 0;
    struct proto_OffsetFetchResponseTopic *t =
        arena_calloc(&req->arena, (size_t)nt + 1, sizeof(*t));
    if (!t)
        return false;
    for (int i = 0; i < nt; i++) {
        const struct proto_OffsetFetchRequestTopic *rt = &r->topics[i];
        int np = rt->partition_indexes_count > 0 ? rt->partition_indexes_count : 0;
        struct proto_OffsetFetchResponsePartition *p =
            arena_calloc(&req->arena, (size_t)np + 1, sizeof(*p));
        if (!p)
            return false;
        t[i].name = rt->name;
        t[i].partitions = p;
        t[i].partitions_count = np;
        for (int j = 0; j < np; j++) {
            struct tp tp = req_tp(rt->name, rt->partition_indexes[j]);
            const struct group_offset *o = g ? group_offsets_get(&g->offsets, tp) : NULL;
            fill_partition(req, &p[j], rt->partition_indexes[j], o, error);
        }
    }
    resp->topics = t;
    resp->topics_count = nt;
    return true;
}

static int by_topic(const void *a, const void *b)
{
    const struct tp *x = a, *y = b;
    int c = strcmp(x->topic->name, y->topic->name);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Every partition the group committed, grouped by topic. */
static bool answer_all(struct request *req, const struct group *g,
                       struct proto_OffsetFetchResponse *resp)
{
    size_t n = g ? group_offsets_count(&g->offsets) : 0, k = 0, it = 0;
    struct tp *tps = arena_calloc(&req->arena, n + 1, sizeof(*tps));
    struct proto_OffsetFetchResponseTopic *t = arena_calloc(&req->arena, n + 1, sizeof(*t));
    struct proto_OffsetFetchResponsePartition *p = arena_calloc(&req->arena, n + 1, sizeof(*p));
    if (!tps || !t || !p)
        return false;
    void *v;
    while (g && tpmap_next(&g->offsets.map, &it, &tps[k], &v))
        k++;
    qsort(tps, k, sizeof(*tps), by_topic);
    int nt = 0;
    for (size_t i = 0; i < k; i++) {
        if (!nt || strcmp(t[nt - 1].name.ptr, tps[i].topic->name)) {
            t[nt].name = group_req_copy(req, tps[i].topic->name);
            t[nt].partitions = &p[i];
            nt++;
        }
        t[nt - 1].partitions_count++;
        fill_partition(req, &p[i], tps[i].partition, group_offsets_get(&g->offsets, tps[i]),
                       PROTO_ERR_NONE);
    }
    resp->topics = t;
    resp->topics_count = nt;
    return true;
}

void handle_OffsetFetch(struct request *req)
{
    const struct proto_OffsetFetchRequest *r = req->body;
    int16_t version = req->hdr.request_api_version;
    struct proto_OffsetFetchResponse resp = {0};
    char *id = group_req_str(req, r->group_id);
    int16_t err = group_req_route(req, id);
    const struct group *g = err ? NULL : group_coord_get(req->b->gc, id);
    bool ok;
    if (err && version >= 2) {
        resp.error_code = err;
        ok = true;
    } else if (r->topics_count < 0) {
        ok = answer_all(req, g, &resp);
    } else {
        ok = answer_named(req, g, err, &resp);
    }
    if (!ok) {
        request_fail(req, "out of memory answering OffsetFetch");
        return;
    }
    req_respond(req, OffsetFetch, &resp);
}
