/*
 * DeleteRecords: move each partition's log start offset forward (offset -1
 * means the high watermark). Offsets past the high watermark are
 * OFFSET_OUT_OF_RANGE. Whole segments below the new start are deleted.
 * With the leader as the only replica the answer needs no waiting.
 */
#include "broker/core/broker.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/log/log.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

void handle_DeleteRecords(struct request *req)
{
    const struct proto_DeleteRecordsRequest *r = req->body;
    struct proto_DeleteRecordsTopicResult *topics =
        arena_calloc(&req->arena, (size_t)r->topics_count + 1, sizeof(*topics));
    if (!topics) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_DeleteRecordsTopic *dt = &r->topics[t];
        struct proto_DeleteRecordsPartitionResult *parts =
            arena_calloc(&req->arena, (size_t)dt->partitions_count + 1, sizeof(*parts));
        if (!parts) {
            request_fail(req, "out of memory");
            return;
        }
        topics[t].name = dt->name;
        topics[t].partitions = parts;
        topics[t].partitions_count = dt->partitions_count;
        for (int32_t i = 0; i < dt->partitions_count; i++) {
            const struct proto_DeleteRecordsPartition *dp = &dt->partitions[i];
            struct proto_DeleteRecordsPartitionResult *o = &parts[i];
            int16_t err;
            o->partition_index = dp->partition_index;
            o->low_watermark = -1;
            struct partition *p = req_leader(req, req_tp(dt->name, dp->partition_index), -1, &err);
            if (!p) {
                o->error_code = err;
                continue;
            }
            int64_t hw = partition_high_watermark(p);
            int64_t target = dp->offset == -1 ? hw : dp->offset;
            if (target < 0 || target > hw) {
                o->error_code = PROTO_ERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            int rc = log_advance_start(p->log, target);
            o->error_code = errmap_kafka(rc);
            o->low_watermark = p->log->log_start_offset;
        }
    }
    struct proto_DeleteRecordsResponse resp = {.topics_count = r->topics_count, .topics = topics};
    req_respond(req, DeleteRecords, &resp);
}
