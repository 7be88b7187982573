/*
 * OffsetCommit: checks the member and generation (group/group.h), then
 * writes the offsets to ZooKeeper in one multi (group/group_commit.h) and
 * answers once ZooKeeper has, or after offsets.commit.timeout.ms with
 * REQUEST_TIMED_OUT (the write may still land; the cache follows
 * ZooKeeper either way). v0, and any commit with generation -1 to a group
 * with no members, stores offsets for a group that only uses the broker
 * for that, as Kafka does. Unknown partitions get
 * UNKNOWN_TOPIC_OR_PARTITION, metadata over offset.metadata.max.bytes
 * OFFSET_METADATA_TOO_LARGE, each on its own.
 */
#include <stddef.h>
#include <string.h>

#include "broker/api/group_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_commit.h"
#include "broker/group/group_coord.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

struct commit_wait {
    struct req_wait w;            /* parked on the commit's key */
    struct delay_watch watch;     /* (token, DELAY_GROUP_COMMIT) */
    struct group_commit_entry *e; /* one per request partition, in order */
    int n;                        /* entries in e */
    bool written;                 /* ZooKeeper answered */
};

static void respond(struct request *req, const struct group_commit_entry *e, int16_t pending_error)
{
    const struct proto_OffsetCommitRequest *r = req->body;
    struct proto_OffsetCommitResponse resp = {0};
    int nt = r->topics_count > 0 ? r->topics_count : 0, k = 0;
    struct proto_OffsetCommitResponseTopic *t =
        arena_calloc(&req->arena, (size_t)nt + 1, sizeof(*t));
    for (int i = 0; t && i < nt; i++) {
        const struct proto_OffsetCommitRequestTopic *rt = &r->topics[i];
        int np = rt->partitions_count > 0 ? rt->partitions_count : 0;
        struct proto_OffsetCommitResponsePartition *p =
            arena_calloc(&req->arena, (size_t)np + 1, sizeof(*p));
        if (!p) {
            request_fail(req, "out of memory answering OffsetCommit");
            return;
        }
        t[i].name = rt->name;
        t[i].partitions = p;
        t[i].partitions_count = np;
        for (int j = 0; j < np; j++, k++) {
            p[j].partition_index = rt->partitions[j].partition_index;
            p[j].error_code = e ? e[k].error : pending_error;
            if (e && e[k].error == PROTO_ERR_NONE && pending_error)
                p[j].error_code = pending_error;
        }
    }
    if (!t) {
        request_fail(req, "out of memory answering OffsetCommit");
        return;
    }
    resp.topics = t;
    resp.topics_count = nt;
    req_respond(req, OffsetCommit, &resp);
}

static bool written(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    struct commit_wait *cw =
        (struct commit_wait *)(void *)((char *)op - offsetof(struct commit_wait, w.op));
    const int16_t *errors = arg;
    for (int i = 0; i < cw->n; i++)
        cw->e[i].error = errors[i];
    cw->written = true;
    return true;
}

static void done(struct delay_op *op, bool timed_out)
{
    struct commit_wait *cw =
        (struct commit_wait *)(void *)((char *)op - offsetof(struct commit_wait, w.op));
    struct request *req = cw->w.req;
    req_wait_end(&cw->w);
    respond(req, cw->e, timed_out && !cw->written ? PROTO_ERR_REQUEST_TIMED_OUT : 0);
    request_unref(req);
}

void handle_OffsetCommit(struct request *req)
{
    const struct proto_OffsetCommitRequest *r = req->body;
    struct broker *b = req->b;
    struct group_req_ids ids;
    int16_t err = group_req_ids(req, r->group_id, r->member_id, r->group_instance_id, &ids);
    const char *id = ids.group;
    if (!err && !group_offsets_valid_group(id))
        err = PROTO_ERR_INVALID_GROUP_ID; /* it cannot name a znode */
    struct group *g = err ? NULL : group_coord_get(b->gc, id);
    if (!err && !g) {
        if (r->generation_id >= 0)
            err = PROTO_ERR_ILLEGAL_GENERATION;
        else if (!(g = group_coord_get_or_create(b->gc, id)))
            err = PROTO_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (!err)
        err = group_commit_check(g, r->generation_id, ids.member, ids.instance);
    if (err) {
        if (g && group_is_idle(g) && !g->commits)
            group_coord_remove(b->gc, g, PROTO_ERR_NOT_COORDINATOR);
        respond(req, NULL, err);
        return;
    }
    int n = 0;
    for (int i = 0; i < r->topics_count; i++)
        n += r->topics[i].partitions_count > 0 ? r->topics[i].partitions_count : 0;
    struct commit_wait *cw = arena_calloc(&req->arena, 1, sizeof(*cw));
    struct group_commit_entry *e = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*e));
    if (!cw || !e) {
        respond(req, NULL, PROTO_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    int k = 0;
    for (int i = 0; i < r->topics_count; i++) {
        const struct proto_OffsetCommitRequestTopic *rt = &r->topics[i];
        char *topic = req_topic_name(req, rt->name);
        for (int j = 0; j < rt->partitions_count; j++, k++) {
            const struct proto_OffsetCommitRequestPartition *p = &rt->partitions[j];
            char *meta =
                p->committed_metadata.ptr ? group_req_str(req, p->committed_metadata) : NULL;
            e[k] = (struct group_commit_entry){.topic = topic,
                                               .partition = p->partition_index,
                                               .offset = p->committed_offset,
                                               .leader_epoch = p->committed_leader_epoch,
                                               .metadata = meta};
            if (!topic || !metadata_partition(b->md, topic, p->partition_index))
                e[k].error = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->committed_metadata.len > b->cfg->offset_metadata_max_bytes)
                e[k].error = PROTO_ERR_OFFSET_METADATA_TOO_LARGE;
            else if (p->committed_metadata.ptr && !meta)
                e[k].error = PROTO_ERR_INVALID_REQUEST;
        }
    }
    cw->e = e;
    cw->n = n;
    void *token = group_commit_start(g, e, n);
    if (!token) {
        respond(req, e, 0);
        return;
    }
    delay_op_init(&cw->w.op, written, done);
    if (delay_watch(b->delay, &cw->w.op, &cw->watch, delay_key(token, DELAY_GROUP_COMMIT), 0)) {
        respond(req, NULL, PROTO_ERR_REQUEST_TIMED_OUT);
        return;
    }
    req_wait_start(req, &cw->w, b->cfg->offsets_commit_timeout_ms);
}
