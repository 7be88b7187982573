/*
 * The API table and request dispatch (see api.h). Version ranges follow
 * docs/KAFKA-COMPAT.md §1: the non-flexible versions every supported client uses.
 */
#define LOG_COMPONENT "api"
#include "broker/api/api.h"

#include <stdio.h>

#include "broker/net/conn.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "broker/net/request.h"
#include "common/err.h"
#include "common/logger.h"

#define API(KEY, MIN, MAX, NAME)                                                                   \
    {PROTO_API_##KEY, MIN, MAX, #NAME, proto_decode_##NAME, sizeof(struct proto_##NAME##Request),  \
     handle_##NAME}

static const struct api apis[] = {
    API(PRODUCE, 0, 7, Produce),
    API(FETCH, 0, 11, Fetch),
    API(LIST_OFFSETS, 0, 5, ListOffsets),
    API(METADATA, 0, 8, Metadata),
    API(API_VERSIONS, 0, 2, ApiVersions),
    API(CREATE_TOPICS, 0, 4, CreateTopics),
    API(DELETE_TOPICS, 0, 3, DeleteTopics),
    API(DELETE_RECORDS, 0, 1, DeleteRecords),
    API(DESCRIBE_CONFIGS, 0, 3, DescribeConfigs),
    API(CREATE_PARTITIONS, 0, 1, CreatePartitions),
    API(OFFSET_FOR_LEADER_EPOCH, 0, 3, OffsetForLeaderEpoch),
    API(OFFSET_COMMIT, 0, 7, OffsetCommit),
    API(OFFSET_FETCH, 0, 5, OffsetFetch),
    API(FIND_COORDINATOR, 0, 2, FindCoordinator),
    API(JOIN_GROUP, 0, 5, JoinGroup),
    API(HEARTBEAT, 0, 3, Heartbeat),
    API(LEAVE_GROUP, 0, 3, LeaveGroup),
    API(SYNC_GROUP, 0, 3, SyncGroup),
    API(DESCRIBE_GROUPS, 0, 4, DescribeGroups),
    API(LIST_GROUPS, 0, 2, ListGroups),
    API(DELETE_GROUPS, 0, 1, DeleteGroups),
    API(OFFSET_DELETE, 0, 0, OffsetDelete),
    API(CONTROLLED_SHUTDOWN, 1, 2, ControlledShutdown),
    API(ELECT_LEADERS, 0, 1, ElectLeaders),
    API(DESCRIBE_LOG_DIRS, 0, 1, DescribeLogDirs),
    API(ALTER_CONFIGS, 0, 1, AlterConfigs),
    API(INCREMENTAL_ALTER_CONFIGS, 0, 0, IncrementalAlterConfigs),
    API(INIT_PRODUCER_ID, 0, 1, InitProducerId), /* v2+ flexible: not served */
    API(ALTER_PARTITION_REASSIGNMENTS, 0, 0, AlterPartitionReassignments),
    API(LIST_PARTITION_REASSIGNMENTS, 0, 0, ListPartitionReassignments),
};

#define NAPIS (int)(sizeof(apis) / sizeof(apis[0]))

const struct api *api_find(int16_t key)
{
    for (int i = 0; i < NAPIS; i++)
        if (apis[i].key == key)
            return &apis[i];
    return NULL;
}

int api_versions(struct proto_ApiVersion *out, int max)
{
    int n = 0;
    for (int i = 0; i < NAPIS && n < max; i++)
        out[n++] = (struct proto_ApiVersion){apis[i].key, apis[i].min_version, apis[i].max_version};
    return n;
}

static void refuse(struct request *req, const char *what)
{
    char desc[256], why[512];
    snprintf(why, sizeof(why), "%s: %s", request_describe(req, desc, sizeof(desc)), what);
    req->state = REQ_NO_RESPONSE;
    conn_close(req->conn, why);
}

void api_dispatch(struct request *req)
{
    struct proto_reader r;
    char why[256];
    proto_reader_init(&r, req->frame, req->len);
    if (proto_header_decode(&r, &req->hdr)) {
        snprintf(why, sizeof(why), "malformed request header (%s)", proto_reader_reason(&r));
        req->state = REQ_NO_RESPONSE;
        conn_close(req->conn, why);
        return;
    }
    int16_t key = req->hdr.request_api_key, version = req->hdr.request_api_version;
    const struct api *api = api_find(key);
    if (api && key == PROTO_API_API_VERSIONS && version > api->max_version) {
        /* librdkafka opens with ApiVersions v3; the v0-layout answer with
         * UNSUPPORTED_VERSION and our list makes it retry with v0. */
        struct proto_ApiVersion list[NAPIS];
        int n = api_versions(list, NAPIS);
        req_respond_encoded(req, "ApiVersions fallback",
                            proto_encode_ApiVersionsFallback(&req->out, req->hdr.correlation_id,
                                                             list, n));
        return;
    }
    if (!api) {
        const char *name = proto_api_name(key);
        snprintf(why, sizeof(why), "API %s (key %d) is not supported", name ? name : "unknown",
                 key);
        refuse(req, why);
        return;
    }
    if (version < api->min_version || version > api->max_version) {
        snprintf(why, sizeof(why), "version %d is not supported (gregor serves %s v%d-%d)",
                 version, api->name, api->min_version, api->max_version);
        refuse(req, why);
        return;
    }
    req->api = api;
    req->body = arena_alloc(&req->arena, api->body_size);
    if (!req->body) {
        refuse(req, "out of memory");
        return;
    }
    if (api->decode(&r, version, &req->arena, req->body)) {
        snprintf(why, sizeof(why), "malformed request (%s)", proto_reader_reason(&r));
        refuse(req, why);
        return;
    }
    api->handle(req);
}
