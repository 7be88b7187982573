/*
 * Request-to-response round trip for tests (see fuzz_respond.h).
 */
#include "tests/fuzz/fuzz_respond.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/err.h"

/* Storage for any decoded request. */
union request {
    struct proto_ApiVersionsRequest api_versions;
    struct proto_MetadataRequest metadata;
    struct proto_ProduceRequest produce;
    struct proto_FetchRequest fetch;
    struct proto_ListOffsetsRequest list_offsets;
    struct proto_CreateTopicsRequest create_topics;
    struct proto_DeleteTopicsRequest delete_topics;
    struct proto_DeleteRecordsRequest delete_records;
    struct proto_DescribeConfigsRequest describe_configs;
    struct proto_CreatePartitionsRequest create_partitions;
    struct proto_FindCoordinatorRequest find_coordinator;
    struct proto_JoinGroupRequest join_group;
    struct proto_SyncGroupRequest sync_group;
    struct proto_HeartbeatRequest heartbeat;
    struct proto_LeaveGroupRequest leave_group;
    struct proto_OffsetCommitRequest offset_commit;
    struct proto_OffsetFetchRequest offset_fetch;
    struct proto_DescribeGroupsRequest describe_groups;
    struct proto_ListGroupsRequest list_groups;
    struct proto_DeleteGroupsRequest delete_groups;
    struct proto_OffsetDeleteRequest offset_delete;
};

/* What a responder gets: the decoded request and where to put things. */
struct ctx {
    struct proto_out *o;          /* the response */
    struct arena *a;              /* response arrays live here */
    struct fuzz_respond_cfg *cfg; /* the pretend cluster */
    int16_t version;              /* request version */
    int32_t correlation_id;       /* from the header */
    const union request *req;     /* the decoded request */
};

typedef int respond_fn(struct ctx *c);

static void *alloc(struct ctx *c, int32_t count, size_t size)
{
    return count > 0 ? arena_calloc(c->a, (size_t)count, size) : NULL;
}

/* An arena allocation failed while building a response. */
#define NEED(p)                                                                                    \
    do {                                                                                           \
        if (!(p))                                                                                  \
            return GR_E_NOMEM;                                                                     \
    } while (0)

static int respond_api_versions(struct ctx *c);

static int respond_metadata(struct ctx *c)
{
    const struct proto_MetadataRequest *req = &c->req->metadata;
    static const char *const all[] = {"test"};
    struct proto_MetadataResponseBroker *b = alloc(c, 1, sizeof(*b));
    NEED(b);
    b->node_id = c->cfg->node_id;
    b->host = proto_str_cstr(c->cfg->host);
    b->port = c->cfg->port;
    int32_t *node = alloc(c, 1, sizeof(*node));
    NEED(node);
    *node = c->cfg->node_id;
    struct proto_MetadataResponsePartition *p = alloc(c, 1, sizeof(*p));
    NEED(p);
    p->leader_id = c->cfg->node_id;
    p->replica_nodes_count = p->isr_nodes_count = 1;
    p->replica_nodes = p->isr_nodes = node;

    bool every = proto_MetadataRequest_all_topics(req, c->version);
    int32_t n = every ? 1 : req->topics_count;
    struct proto_MetadataResponseTopic *t = alloc(c, n, sizeof(*t));
    NEED(t || n == 0);
    for (int32_t i = 0; i < n; i++) {
        t[i].name = every ? proto_str_cstr(all[0]) : req->topics[i].name;
        t[i].partitions_count = 1;
        t[i].partitions = p;
        t[i].topic_authorized_operations = INT32_MIN;
    }
    struct proto_MetadataResponse resp = {.brokers_count = 1,
                                          .brokers = b,
                                          .cluster_id = proto_str_cstr("gregor-test-cluster"),
                                          .controller_id = c->cfg->node_id,
                                          .topics_count = n,
                                          .topics = t,
                                          .cluster_authorized_operations = INT32_MIN};
    return proto_encode_MetadataResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_produce(struct ctx *c)
{
    const struct proto_ProduceRequest *req = &c->req->produce;
    if (req->acks == 0)
        return FUZZ_NO_RESPONSE;
    struct proto_TopicProduceResponse *t = alloc(c, req->topic_data_count, sizeof(*t));
    NEED(t || req->topic_data_count == 0);
    for (int32_t i = 0; i < req->topic_data_count; i++) {
        const struct proto_TopicProduceData *in = &req->topic_data[i];
        struct proto_PartitionProduceResponse *p = alloc(c, in->partition_data_count, sizeof(*p));
        NEED(p || in->partition_data_count == 0);
        for (int32_t j = 0; j < in->partition_data_count; j++) {
            p[j].index = in->partition_data[j].index;
            p[j].base_offset = 0;
            p[j].log_append_time_ms = -1;
        }
        t[i].name = in->name;
        t[i].partition_responses_count = in->partition_data_count;
        t[i].partition_responses = p;
    }
    struct proto_ProduceResponse resp = {.responses_count = req->topic_data_count, .responses = t};
    return proto_encode_ProduceResponse(c->o, c->version, c->correlation_id, &resp);
}

static void release_range(void *owner)
{
    ((struct fuzz_respond_cfg *)owner)->file_ranges--;
}

static int respond_fetch(struct ctx *c)
{
    const struct proto_FetchRequest *req = &c->req->fetch;
    static const uint8_t stand_in[] = "stand-in record bytes";
    int file_ranges = 0;
    struct proto_FetchableTopicResponse *t = alloc(c, req->topics_count, sizeof(*t));
    NEED(t || req->topics_count == 0);
    for (int32_t i = 0; i < req->topics_count; i++) {
        const struct proto_FetchTopic *in = &req->topics[i];
        struct proto_FetchablePartitionResponse *p = alloc(c, in->partitions_count, sizeof(*p));
        NEED(p || in->partitions_count == 0);
        for (int32_t j = 0; j < in->partitions_count; j++) {
            p[j].partition = in->partitions[j].partition;
            p[j].preferred_read_replica = -1;
            if (c->cfg->records_fd < 0)
                continue; /* no data: high watermark 0, empty records */
            p[j].high_watermark = p[j].last_stable_offset = 1;
            if (j % 2) {
                int64_t len = c->cfg->records_len > 64 ? 64 : c->cfg->records_len;
                p[j].record_set.kind = PROTO_RECORDS_FILE;
                p[j].record_set.file = (struct proto_out_file){.fd = c->cfg->records_fd,
                                                               .pos = 0,
                                                               .len = (int32_t)len,
                                                               .owner = c->cfg,
                                                               .release = release_range};
                file_ranges++;
            } else {
                p[j].record_set.mem = (struct proto_bytes){stand_in, sizeof(stand_in) - 1};
            }
        }
        t[i].topic = in->topic;
        t[i].partition_responses_count = in->partitions_count;
        t[i].partition_responses = p;
    }
    struct proto_FetchResponse resp = {
        .session_id = 0, .responses_count = req->topics_count, .responses = t};
    /* Counted only now: from here on the encoder owns every range. */
    c->cfg->file_ranges += file_ranges;
    return proto_encode_FetchResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_list_offsets(struct ctx *c)
{
    const struct proto_ListOffsetsRequest *req = &c->req->list_offsets;
    static const int64_t zero[] = {0};
    struct proto_ListOffsetsTopicResponse *t = alloc(c, req->topics_count, sizeof(*t));
    NEED(t || req->topics_count == 0);
    for (int32_t i = 0; i < req->topics_count; i++) {
        const struct proto_ListOffsetsTopic *in = &req->topics[i];
        struct proto_ListOffsetsPartitionResponse *p = alloc(c, in->partitions_count, sizeof(*p));
        NEED(p || in->partitions_count == 0);
        for (int32_t j = 0; j < in->partitions_count; j++) {
            p[j].partition_index = in->partitions[j].partition_index;
            p[j].old_style_offsets_count = 1;
            p[j].old_style_offsets = zero;
            p[j].timestamp = -1;
            p[j].leader_epoch = 0;
        }
        t[i].name = in->name;
        t[i].partitions_count = in->partitions_count;
        t[i].partitions = p;
    }
    struct proto_ListOffsetsResponse resp = {.topics_count = req->topics_count, .topics = t};
    return proto_encode_ListOffsetsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_create_topics(struct ctx *c)
{
    const struct proto_CreateTopicsRequest *req = &c->req->create_topics;
    struct proto_CreatableTopicResult *t = alloc(c, req->topics_count, sizeof(*t));
    NEED(t || req->topics_count == 0);
    for (int32_t i = 0; i < req->topics_count; i++)
        t[i].name = req->topics[i].name;
    struct proto_CreateTopicsResponse resp = {.topics_count = req->topics_count, .topics = t};
    return proto_encode_CreateTopicsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_delete_topics(struct ctx *c)
{
    const struct proto_DeleteTopicsRequest *req = &c->req->delete_topics;
    struct proto_DeletableTopicResult *t = alloc(c, req->topic_names_count, sizeof(*t));
    NEED(t || req->topic_names_count == 0);
    for (int32_t i = 0; i < req->topic_names_count; i++)
        t[i].name = req->topic_names[i];
    struct proto_DeleteTopicsResponse resp = {.responses_count = req->topic_names_count,
                                              .responses = t};
    return proto_encode_DeleteTopicsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_delete_records(struct ctx *c)
{
    const struct proto_DeleteRecordsRequest *req = &c->req->delete_records;
    struct proto_DeleteRecordsTopicResult *t = alloc(c, req->topics_count, sizeof(*t));
    NEED(t || req->topics_count == 0);
    for (int32_t i = 0; i < req->topics_count; i++) {
        const struct proto_DeleteRecordsTopic *in = &req->topics[i];
        struct proto_DeleteRecordsPartitionResult *p = alloc(c, in->partitions_count, sizeof(*p));
        NEED(p || in->partitions_count == 0);
        for (int32_t j = 0; j < in->partitions_count; j++) {
            p[j].partition_index = in->partitions[j].partition_index;
            p[j].low_watermark = in->partitions[j].offset < 0 ? 0 : in->partitions[j].offset;
        }
        t[i].name = in->name;
        t[i].partitions_count = in->partitions_count;
        t[i].partitions = p;
    }
    struct proto_DeleteRecordsResponse resp = {.topics_count = req->topics_count, .topics = t};
    return proto_encode_DeleteRecordsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_describe_configs(struct ctx *c)
{
    const struct proto_DescribeConfigsRequest *req = &c->req->describe_configs;
    static const struct proto_str every[] = {{"retention.ms", 12}, {"cleanup.policy", 14}};
    struct proto_DescribeConfigsResult *res = alloc(c, req->resources_count, sizeof(*res));
    NEED(res || req->resources_count == 0);
    for (int32_t i = 0; i < req->resources_count; i++) {
        const struct proto_DescribeConfigsResource *in = &req->resources[i];
        bool all = in->configuration_keys_count < 0;
        int32_t n = all ? 2 : in->configuration_keys_count;
        const struct proto_str *keys = all ? every : in->configuration_keys;
        struct proto_DescribeConfigsResourceResult *cf = alloc(c, n, sizeof(*cf));
        struct proto_DescribeConfigsSynonym *syn = alloc(c, n, sizeof(*syn));
        NEED((cf && syn) || n == 0);
        for (int32_t j = 0; j < n; j++) {
            syn[j] = (struct proto_DescribeConfigsSynonym){keys[j], proto_str_cstr("1"), 5};
            cf[j] = (struct proto_DescribeConfigsResourceResult){
                .name = keys[j],
                .value = proto_str_cstr("1"),
                .is_default = true,
                .config_source = 5,
                .synonyms_count = req->include_synonyms ? 1 : 0,
                .synonyms = req->include_synonyms ? &syn[j] : NULL,
                .config_type = 2};
        }
        res[i].resource_type = in->resource_type;
        res[i].resource_name = in->resource_name;
        res[i].configs_count = n;
        res[i].configs = cf;
    }
    struct proto_DescribeConfigsResponse resp = {.results_count = req->resources_count,
                                                 .results = res};
    return proto_encode_DescribeConfigsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int respond_create_partitions(struct ctx *c)
{
    const struct proto_CreatePartitionsRequest *req = &c->req->create_partitions;
    struct proto_CreatePartitionsTopicResult *t = alloc(c, req->topics_count, sizeof(*t));
    NEED(t || req->topics_count == 0);
    for (int32_t i = 0; i < req->topics_count; i++)
        t[i].name = req->topics[i].name;
    struct proto_CreatePartitionsResponse resp = {.results_count = req->topics_count, .results = t};
    return proto_encode_CreatePartitionsResponse(c->o, c->version, c->correlation_id, &resp);
}

/* The group APIs: the pretend cluster has no group coordinator, so each
 * answers COORDINATOR_NOT_AVAILABLE (or an empty list); what is fuzzed is
 * the request decoding. */
#define RESPOND_NO_COORDINATOR(Api, ...)                                                           \
    static int respond_##Api(struct ctx *c)                                                        \
    {                                                                                              \
        struct proto_##Api##Response resp = {__VA_ARGS__};                                         \
        return proto_encode_##Api##Response(c->o, c->version, c->correlation_id, &resp);           \
    }
RESPOND_NO_COORDINATOR(FindCoordinator, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE,
                       .node_id = -1, .host = PROTO_STR_EMPTY, .port = -1)
RESPOND_NO_COORDINATOR(JoinGroup, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE,
                       .generation_id = -1, .protocol_name = PROTO_STR_EMPTY,
                       .leader = PROTO_STR_EMPTY, .member_id = PROTO_STR_EMPTY)
RESPOND_NO_COORDINATOR(SyncGroup, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE,
                       .assignment = PROTO_BYTES_EMPTY)
RESPOND_NO_COORDINATOR(Heartbeat, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE)
RESPOND_NO_COORDINATOR(LeaveGroup, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE)
RESPOND_NO_COORDINATOR(OffsetCommit, .topics_count = 0)
RESPOND_NO_COORDINATOR(OffsetFetch, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE)
RESPOND_NO_COORDINATOR(DescribeGroups, .groups_count = 0)
RESPOND_NO_COORDINATOR(ListGroups, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE)
RESPOND_NO_COORDINATOR(DeleteGroups, .results_count = 0)
RESPOND_NO_COORDINATOR(OffsetDelete, .error_code = PROTO_ERR_COORDINATOR_NOT_AVAILABLE)

/* The APIs and versions the codec implements (gregor's advertised set). */
static const struct api {
    int16_t key;             /* API key */
    int16_t min, max;        /* implemented versions */
    proto_decode_fn *decode; /* body decoder */
    respond_fn *respond;     /* builds and encodes the response */
} apis[] = {
    {PROTO_API_PRODUCE, 0, 7, proto_decode_Produce, respond_produce},
    {PROTO_API_FETCH, 0, 11, proto_decode_Fetch, respond_fetch},
    {PROTO_API_LIST_OFFSETS, 0, 5, proto_decode_ListOffsets, respond_list_offsets},
    {PROTO_API_METADATA, 0, 8, proto_decode_Metadata, respond_metadata},
    {PROTO_API_API_VERSIONS, 0, 2, proto_decode_ApiVersions, respond_api_versions},
    {PROTO_API_CREATE_TOPICS, 0, 4, proto_decode_CreateTopics, respond_create_topics},
    {PROTO_API_DELETE_TOPICS, 0, 3, proto_decode_DeleteTopics, respond_delete_topics},
    {PROTO_API_DELETE_RECORDS, 0, 1, proto_decode_DeleteRecords, respond_delete_records},
    {PROTO_API_DESCRIBE_CONFIGS, 0, 3, proto_decode_DescribeConfigs, respond_describe_configs},
    {PROTO_API_CREATE_PARTITIONS, 0, 1, proto_decode_CreatePartitions, respond_create_partitions},
    {PROTO_API_OFFSET_COMMIT, 0, 7, proto_decode_OffsetCommit, respond_OffsetCommit},
    {PROTO_API_OFFSET_FETCH, 0, 5, proto_decode_OffsetFetch, respond_OffsetFetch},
    {PROTO_API_FIND_COORDINATOR, 0, 2, proto_decode_FindCoordinator, respond_FindCoordinator},
    {PROTO_API_JOIN_GROUP, 0, 5, proto_decode_JoinGroup, respond_JoinGroup},
    {PROTO_API_HEARTBEAT, 0, 3, proto_decode_Heartbeat, respond_Heartbeat},
    {PROTO_API_LEAVE_GROUP, 0, 3, proto_decode_LeaveGroup, respond_LeaveGroup},
    {PROTO_API_SYNC_GROUP, 0, 3, proto_decode_SyncGroup, respond_SyncGroup},
    {PROTO_API_DESCRIBE_GROUPS, 0, 4, proto_decode_DescribeGroups, respond_DescribeGroups},
    {PROTO_API_LIST_GROUPS, 0, 2, proto_decode_ListGroups, respond_ListGroups},
    {PROTO_API_DELETE_GROUPS, 0, 1, proto_decode_DeleteGroups, respond_DeleteGroups},
    {PROTO_API_OFFSET_DELETE, 0, 0, proto_decode_OffsetDelete, respond_OffsetDelete},
};
#define NAPIS ((int32_t)(sizeof(apis) / sizeof(apis[0])))

/* The advertised list, in the layout ApiVersions wants. */
static const struct proto_ApiVersion *advertised(void)
{
    static struct proto_ApiVersion list[NAPIS];
    for (int32_t i = 0; i < NAPIS; i++)
        list[i] = (struct proto_ApiVersion){apis[i].key, apis[i].min, apis[i].max};
    return list;
}

static int respond_api_versions(struct ctx *c)
{
    struct proto_ApiVersionsResponse resp = {.api_keys_count = NAPIS, .api_keys = advertised()};
    return proto_encode_ApiVersionsResponse(c->o, c->version, c->correlation_id, &resp);
}

static int fail(char *why, size_t whysz, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whysz, int err, const char *fmt, ...)
{
    if (why && whysz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
    }
    return err;
}

int fuzz_respond(const uint8_t *frame, size_t len, struct fuzz_respond_cfg *cfg,
                 struct proto_out *o, char *why, size_t whysz)
{
    struct proto_reader r;
    struct proto_RequestHeader h;
    proto_reader_init(&r, frame, len);
    if (proto_header_decode(&r, &h))
        return fail(why, whysz, proto_reader_status(&r), "header: %s", proto_reader_reason(&r));
    if (h.request_api_key == PROTO_API_API_VERSIONS && h.request_api_version > 2) {
        /* A broker answers without the body; v3 is decoded all the same so
         * the compact-string readers meet real and fuzzed input, and its
         * outcome does not change the answer. */
        if (h.request_api_version == 3) {
            struct proto_ApiVersionsRequest req;
            struct arena a;
            arena_init(&a);
            proto_decode_ApiVersions(&r, 3, &a, &req);
            arena_destroy(&a);
        }
        int rc = proto_encode_ApiVersionsFallback(o, h.correlation_id, advertised(), NAPIS);
        return rc ? fail(why, whysz, rc, "fallback encode: %s", gr_strerror(rc)) : FUZZ_RESPONDED;
    }
    const struct api *api = NULL;
    for (int32_t i = 0; i < NAPIS; i++)
        if (apis[i].key == h.request_api_key)
            api = &apis[i];
    const char *name = proto_api_name(h.request_api_key);
    if (!api || h.request_api_version < api->min || h.request_api_version > api->max)
        return fail(why, whysz, GR_E_UNSUPPORTED, "%s (key %d) v%d is not implemented",
                    name ? name : "unknown API", h.request_api_key, h.request_api_version);

    union request req;
    struct arena a;
    arena_init(&a);
    int rc = api->decode(&r, h.request_api_version, &a, &req);
    if (rc) {
        rc = fail(why, whysz, rc, "%s v%d: %s", name, h.request_api_version,
                  proto_reader_reason(&r));
    } else {
        struct ctx c = {.o = o,
                        .a = &a,
                        .cfg = cfg,
                        .version = h.request_api_version,
                        .correlation_id = h.correlation_id,
                        .req = &req};
        rc = api->respond(&c);
        if (rc < 0)
            rc = fail(why, whysz, rc, "%s v%d response: %s", name, h.request_api_version,
                      gr_strerror(rc));
    }
    arena_destroy(&a);
    return rc;
}
