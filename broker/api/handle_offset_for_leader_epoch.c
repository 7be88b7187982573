/*
 * OffsetForLeaderEpoch (KIP-101, KIP-279): for each partition, the largest
 * leader epoch at or below the one asked for that this log knows, and the
 * offset where it ends (the next epoch's start, or the log end for the
 * latest). A follower cuts its log there before fetching, so it removes a
 * divergent tail and nothing the leader has.
 *
 * Only the leader answers, as in Kafka 2.8, except for the debugging
 * replica id -2 (the default of v0-2), which any replica answers from its
 * own log. current_leader_epoch fences as Fetch does. Each entry costs one
 * lookup and a walk of the partition's epoch cache (one entry per leader
 * change); repeated partitions are answered each time.
 */
#include <stddef.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/partition.h"
#include "broker/log/log.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"

#define DEBUGGING_REPLICA_ID (-2)

static void one(struct request *req, struct proto_str topic, int32_t replica_id,
                const struct proto_OffsetForLeaderPartition *in, struct proto_EpochEndOffset *o)
{
    o->partition = in->partition;
    o->leader_epoch = -1;
    o->end_offset = -1;
    struct tp tp = req_tp(topic, in->partition);
    struct partition *p = NULL;
    if (replica_id == DEBUGGING_REPLICA_ID && tp.topic && (p = partition_get(req->b, tp)) &&
        !p->log->offline) {
        if (in->current_leader_epoch >= 0 && in->current_leader_epoch != p->leader_epoch) {
            o->error_code = in->current_leader_epoch < p->leader_epoch
                                ? PROTO_ERR_FENCED_LEADER_EPOCH
                                : PROTO_ERR_UNKNOWN_LEADER_EPOCH;
            return;
        }
    } else {
        p = req_leader(req, tp, in->current_leader_epoch, &o->error_code);
        if (!p)
            return;
    }
    log_epoch_end_offset(&p->log->epochs, in->leader_epoch, log_end_offset(p->log),
                         &o->leader_epoch, &o->end_offset);
}

void handle_OffsetForLeaderEpoch(struct request *req)
{
    const struct proto_OffsetForLeaderEpochRequest *r = req->body;
    struct proto_OffsetForLeaderTopicResult *topics =
        arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*topics));
    if (!topics) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_OffsetForLeaderTopic *in = &r->topics[t];
        struct proto_EpochEndOffset *parts =
            arena_calloc(&req->arena, (size_t)in->partitions_count + 1, sizeof(*parts));
        if (!parts) {
            request_fail(req, "out of memory");
            return;
        }
        topics[t].topic = in->topic;
        topics[t].partitions = parts;
        topics[t].partitions_count = in->partitions_count;
        for (int32_t k = 0; k < in->partitions_count; k++)
            one(req, in->topic, r->replica_id, &in->partitions[k], &parts[k]);
    }
    struct proto_OffsetForLeaderEpochResponse resp = {.topics = topics,
                                                      .topics_count = r->topics_count};
    req_respond(req, OffsetForLeaderEpoch, &resp);
}
