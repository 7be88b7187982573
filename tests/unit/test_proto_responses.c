/*
 * Response encoders: each frame compared byte for byte with one laid out by
 * hand from the Kafka 2.8 response schemas (size, correlation id, then the
 * body of that version), for every supported version, plus the ApiVersions
 * fallback and Fetch record data as file ranges.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_out.h"
#include "common/err.h"
#include "tests/unit/proto_build.h"
#include "tests/unit/testutil.h"

#define S(lit) ((struct proto_str){(lit), (int32_t)sizeof(lit) - 1})

/* Asserts that o holds exactly one frame: size, correlation_id, then body. */
static void check_frame(struct proto_out *o, int32_t correlation_id, const struct buf *body,
                        const char *what, int16_t version)
{
    struct buf want, got;
    buf_init(&want);
    buf_init(&got);
    pb_frame(&want, correlation_id, body);
    CU_ASSERT_EQUAL(proto_out_status(o), 0);
    CU_ASSERT_EQUAL(proto_out_copy_to(o, &got), 0);
    CU_ASSERT_EQUAL(proto_out_size(o), (int64_t)want.len);
    bool same = got.len == want.len && memcmp(got.data, want.data, want.len) == 0;
    CU_ASSERT_TRUE(same);
    if (!same) {
        size_t i = 0;
        while (i < got.len && i < want.len && got.data[i] == want.data[i])
            i++;
        fprintf(stderr, "%s v%d: %zu bytes, want %zu; first difference at byte %zu\n", what,
                version, got.len, want.len, i);
    }
    buf_destroy(&want);
    buf_destroy(&got);
}

static void test_api_versions_fallback_bytes(void)
{
    static const struct proto_ApiVersion keys[] = {{PROTO_API_API_VERSIONS, 0, 2},
                                                   {PROTO_API_METADATA, 0, 8}};
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_ApiVersionsFallback(&o, 7, keys, 2), 0);
    /* The v0 layout with the plain v0 response header, as librdkafka 2.x
     * expects after sending ApiVersions v3. */
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x16,             /* size 22 */
        0x00, 0x00, 0x00, 0x07,             /* correlation id */
        0x00, 0x23,                         /* error_code 35 UNSUPPORTED_VERSION */
        0x00, 0x00, 0x00, 0x02,             /* api_keys count */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x02, /* ApiVersions 0-2 */
        0x00, 0x03, 0x00, 0x00, 0x00, 0x08, /* Metadata 0-8 */
    };
    const struct proto_out_chunk *c;
    CU_ASSERT_EQUAL_FATAL(proto_out_chunks(&o, &c), 1);
    CU_ASSERT_EQUAL_FATAL(c[0].len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(proto_out_chunk_mem(&o, &c[0]), want, sizeof(want)), 0);
    proto_out_destroy(&o);
}

static void test_api_versions(void)
{
    static const struct proto_ApiVersion keys[] = {{0, 3, 7}, {1, 4, 11}};
    struct proto_ApiVersionsResponse resp = {
        .api_keys_count = 2, .api_keys = keys, .throttle_time_ms = 5};
    for (int16_t v = 0; v <= 2; v++) {
        struct buf body;
        buf_init(&body);
        pb_i16(&body, 0);
        pb_i32(&body, 2);
        pb_i16(&body, 0);
        pb_i16(&body, 3);
        pb_i16(&body, 7);
        pb_i16(&body, 1);
        pb_i16(&body, 4);
        pb_i16(&body, 11);
        if (v >= 1)
            pb_i32(&body, 5);
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_ApiVersionsResponse(&o, v, 99, &resp), 0);
        check_frame(&o, 99, &body, "ApiVersions", v);
        proto_out_destroy(&o);
        buf_destroy(&body);
    }
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_ApiVersionsResponse(&o, 3, 1, &resp), GR_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(proto_out_size(&o), 0);
    proto_out_destroy(&o);
}

static void test_metadata(void)
{
    static const int32_t replicas[] = {1, 2};
    static const int32_t isr[] = {1};
    static const int32_t offline[] = {2};
    const struct proto_MetadataResponseBroker brokers[] = {
        {.node_id = 1, .host = S("localhost"), .port = 9092, .rack = PROTO_STR_NULL},
        {.node_id = 2, .host = S("h2"), .port = 9093, .rack = S("r1")},
    };
    const struct proto_MetadataResponsePartition parts[] = {{
        .error_code = 0,
        .partition_index = 0,
        .leader_id = 1,
        .leader_epoch = 4,
        .replica_nodes_count = 2,
        .replica_nodes = replicas,
        .isr_nodes_count = 1,
        .isr_nodes = isr,
        .offline_replicas_count = 1,
        .offline_replicas = offline,
    }};
    const struct proto_MetadataResponseTopic topics[] = {
        {.name = S("t"),
         .is_internal = false,
         .partitions_count = 1,
         .partitions = parts,
         .topic_authorized_operations = INT32_MIN},
        {.error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION, .name = S("gone")},
    };
    const struct proto_MetadataResponse resp = {
        .throttle_time_ms = 0,
        .brokers_count = 2,
        .brokers = brokers,
        .cluster_id = S("cid"),
        .controller_id = 2,
        .topics_count = 2,
        .topics = topics,
        .cluster_authorized_operations = INT32_MIN,
    };
    for (int16_t v = 0; v <= 8; v++) {
        struct buf b;
        buf_init(&b);
        if (v >= 3)
            pb_i32(&b, 0); /* throttle_time_ms */
        pb_i32(&b, 2);     /* brokers */
        pb_i32(&b, 1);
        pb_str(&b, "localhost");
        pb_i32(&b, 9092);
        if (v >= 1)
            pb_str(&b, NULL); /* rack */
        pb_i32(&b, 2);
        pb_str(&b, "h2");
        pb_i32(&b, 9093);
        if (v >= 1)
            pb_str(&b, "r1");
        if (v >= 2)
            pb_str(&b, "cid"); /* cluster_id */
        if (v >= 1)
            pb_i32(&b, 2); /* controller_id */
        pb_i32(&b, 2);     /* topics */
        pb_i16(&b, 0);
        pb_str(&b, "t");
        if (v >= 1)
            pb_i8(&b, 0); /* is_internal */
        pb_i32(&b, 1);    /* partitions */
        pb_i16(&b, 0);
        pb_i32(&b, 0);
        pb_i32(&b, 1); /* leader_id */
        if (v >= 7)
            pb_i32(&b, 4); /* leader_epoch */
        pb_i32(&b, 2);
        pb_i32(&b, 1);
        pb_i32(&b, 2);
        pb_i32(&b, 1);
        pb_i32(&b, 1);
        if (v >= 5) {
            pb_i32(&b, 1); /* offline_replicas */
            pb_i32(&b, 2);
        }
        if (v >= 8)
            pb_i32(&b, INT32_MIN); /* topic_authorized_operations */
        pb_i16(&b, 3);
        pb_str(&b, "gone");
        if (v >= 1)
            pb_i8(&b, 0);
        pb_i32(&b, 0);
        if (v >= 8)
            pb_i32(&b, 0);
        if (v >= 8)
            pb_i32(&b, INT32_MIN); /* cluster_authorized_operations */
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_MetadataResponse(&o, v, 12345, &resp), 0);
        check_frame(&o, 12345, &b, "Metadata", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_MetadataResponse(&o, 9, 1, &resp), GR_E_UNSUPPORTED);
    proto_out_destroy(&o);
}

static void test_produce(void)
{
    const struct proto_PartitionProduceResponse parts[] = {
        {.index = 0,
         .error_code = 0,
         .base_offset = 100,
         .log_append_time_ms = -1,
         .log_start_offset = 0},
        {.index = 1,
         .error_code = PROTO_ERR_NOT_LEADER_OR_FOLLOWER,
         .base_offset = -1,
         .log_append_time_ms = -1,
         .log_start_offset = -1},
    };
    const struct proto_TopicProduceResponse topics[] = {
        {.name = S("orders"), .partition_responses_count = 2, .partition_responses = parts}};
    const struct proto_ProduceResponse resp = {
        .responses_count = 1, .responses = topics, .throttle_time_ms = 0};
    for (int16_t v = 3; v <= 7; v++) {
        struct buf b;
        buf_init(&b);
        pb_i32(&b, 1);
        pb_str(&b, "orders");
        pb_i32(&b, 2);
        pb_i32(&b, 0);
        pb_i16(&b, 0);
        pb_i64(&b, 100);
        pb_i64(&b, -1);
        if (v >= 5)
            pb_i64(&b, 0);
        pb_i32(&b, 1);
        pb_i16(&b, 6);
        pb_i64(&b, -1);
        pb_i64(&b, -1);
        if (v >= 5)
            pb_i64(&b, -1);
        pb_i32(&b, 0); /* throttle_time_ms, last in Produce */
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_ProduceResponse(&o, v, 3, &resp), 0);
        check_frame(&o, 3, &b, "Produce", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }

    /* One literal frame, for a reader who wants to see the bytes. */
    const struct proto_PartitionProduceResponse one = {
        .index = 2, .base_offset = 5, .log_append_time_ms = -1, .log_start_offset = 0};
    const struct proto_TopicProduceResponse t = {
        .name = S("a"), .partition_responses_count = 1, .partition_responses = &one};
    const struct proto_ProduceResponse r7 = {.responses_count = 1, .responses = &t};
    static const uint8_t want[] = {
        0,    0,    0,    0x31, 0,    0,    0,    9,          /* size 49, correlation id 9 */
        0,    0,    0,    1,    0,    1,    'a',              /* [ "a" */
        0,    0,    0,    1,    0,    0,    0,    2,    0, 0, /*   [ index 2, error 0 */
        0,    0,    0,    0,    0,    0,    0,    5,          /*     base_offset 5 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,       /* log_append_time_ms -1 */
        0,    0,    0,    0,    0,    0,    0,    0,          /*     log_start_offset 0 ]] */
        0,    0,    0,    0,                                  /* throttle_time_ms */
    };
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_ProduceResponse(&o, 7, 9, &r7), 0);
    CU_ASSERT_EQUAL_FATAL(o.buf.len, sizeof(want));
    CU_ASSERT_EQUAL(memcmp(o.buf.data, want, sizeof(want)), 0);
    proto_out_destroy(&o);
}

static void count_release(void *owner)
{
    (*(int *)owner)++;
}

/* A temporary file holding "RECORDS!" (unlinked already); returns its fd. */
static int records_file(void)
{
    char *dir = test_tmpdir("proto-resp");
    char path[4096];
    snprintf(path, sizeof(path), "%s/00000000000000000000.log", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, "xxRECORDS!", 10) == 10);
    test_rmtree(dir);
    free(dir);
    return fd;
}

static void test_fetch(void)
{
    int fd = records_file();
    for (int16_t v = 4; v <= 11; v++) {
        int released = 0;
        const struct proto_FetchablePartitionResponse parts[] = {
            {.partition = 0,
             .high_watermark = 10,
             .last_stable_offset = 10,
             .log_start_offset = 0,
             .preferred_read_replica = -1,
             .record_set = {.kind = PROTO_RECORDS_MEM, .mem = {(const uint8_t *)"abc", 3}}},
            {.partition = 1,
             .high_watermark = 20,
             .last_stable_offset = 20,
             .log_start_offset = 2,
             .preferred_read_replica = -1,
             .record_set = {.kind = PROTO_RECORDS_FILE,
                            .file = {.fd = fd,
                                     .pos = 2,
                                     .len = 8,
                                     .owner = &released,
                                     .release = count_release}}},
            {.partition = 2,
             .error_code = PROTO_ERR_OFFSET_OUT_OF_RANGE,
             .high_watermark = -1,
             .last_stable_offset = -1,
             .log_start_offset = -1,
             .preferred_read_replica = -1,
             .record_set = {.kind = PROTO_RECORDS_NULL}},
            {.partition = 3, .preferred_read_replica = -1}, /* zeroed records: empty */
        };
        const struct proto_FetchableTopicResponse topics[] = {
            {.topic = S("events"), .partition_responses_count = 4, .partition_responses = parts}};
        const struct proto_FetchResponse resp = {.throttle_time_ms = 1,
                                                 .error_code = 0,
                                                 .session_id = 77,
                                                 .responses_count = 1,
                                                 .responses = topics};
        struct buf b;
        buf_init(&b);
        pb_i32(&b, 1); /* throttle_time_ms */
        if (v >= 7) {
            pb_i16(&b, 0);  /* error_code */
            pb_i32(&b, 77); /* session_id */
        }
        pb_i32(&b, 1);
        pb_str(&b, "events");
        pb_i32(&b, 4);
        static const int64_t hw[] = {10, 20, -1, 0}, lso[] = {10, 20, -1, 0},
                             lstart[] = {0, 2, -1, 0};
        for (int p = 0; p < 4; p++) {
            pb_i32(&b, p);
            pb_i16(&b, p == 2 ? 1 : 0);
            pb_i64(&b, hw[p]);  /* high_watermark */
            pb_i64(&b, lso[p]); /* last_stable_offset (v4+) */
            if (v >= 5)
                pb_i64(&b, lstart[p]); /* log_start_offset */
            pb_i32(&b, 0);             /* aborted_transactions: empty */
            if (v >= 11)
                pb_i32(&b, -1); /* preferred_read_replica */
            if (p == 0)
                pb_bytes(&b, "abc", 3);
            else if (p == 1)
                pb_bytes(&b, "RECORDS!", 8);
            else if (p == 2)
                pb_bytes(&b, NULL, 0);
            else
                pb_bytes(&b, "", 0);
        }
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_FetchResponse(&o, v, 4, &resp), 0);
        check_frame(&o, 4, &b, "Fetch", v);
        /* The file range is its own chunk, for sendfile(2). */
        const struct proto_out_chunk *c;
        CU_ASSERT_EQUAL_FATAL(proto_out_chunks(&o, &c), 3);
        CU_ASSERT_EQUAL(c[1].kind, PROTO_OUT_FILE);
        CU_ASSERT_EQUAL(c[1].file.pos, 2);
        CU_ASSERT_EQUAL(c[1].file.len, 8);
        CU_ASSERT_EQUAL(released, 0);
        proto_out_destroy(&o);
        CU_ASSERT_EQUAL(released, 1);
        buf_destroy(&b);
    }
    close(fd);
}

static void test_fetch_failure_releases_files(void)
{
    int released = 0;
    struct proto_FetchablePartitionResponse parts[3];
    memset(parts, 0, sizeof(parts));
    for (int i = 0; i < 3; i++) {
        parts[i].record_set.kind = PROTO_RECORDS_FILE;
        parts[i].record_set.file = (struct proto_out_file){
            .fd = 0, .len = 1, .owner = &released, .release = count_release};
    }
    struct proto_FetchableTopicResponse topics[] = {
        {.topic = PROTO_STR_NULL, .partition_responses_count = 3, .partition_responses = parts}};
    struct proto_FetchResponse resp = {.responses_count = 1, .responses = topics};

    /* A null topic name (not nullable) fails the encode; all three owners
     * are still released exactly once. */
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_FetchResponse(&o, 11, 1, &resp), GR_E_INVALID);
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 3);

    /* An unsupported version releases them too. */
    released = 0;
    topics[0].topic = S("t");
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_FetchResponse(&o, 12, 1, &resp), GR_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(released, 3);
    proto_out_destroy(&o);
    CU_ASSERT_EQUAL(released, 3);
}

static void test_list_offsets(void)
{
    static const int64_t old[] = {5, 0};
    const struct proto_ListOffsetsPartitionResponse parts[] = {{.partition_index = 0,
                                                                .old_style_offsets_count = 2,
                                                                .old_style_offsets = old,
                                                                .timestamp = -1,
                                                                .offset = 5,
                                                                .leader_epoch = 3}};
    const struct proto_ListOffsetsTopicResponse topics[] = {
        {.name = S("t"), .partitions_count = 1, .partitions = parts}};
    const struct proto_ListOffsetsResponse resp = {
        .throttle_time_ms = 2, .topics_count = 1, .topics = topics};
    for (int16_t v = 0; v <= 5; v++) {
        struct buf b;
        buf_init(&b);
        if (v >= 2)
            pb_i32(&b, 2);
        pb_i32(&b, 1);
        pb_str(&b, "t");
        pb_i32(&b, 1);
        pb_i32(&b, 0);
        pb_i16(&b, 0);
        if (v == 0) {
            pb_i32(&b, 2); /* old_style_offsets */
            pb_i64(&b, 5);
            pb_i64(&b, 0);
        } else {
            pb_i64(&b, -1); /* timestamp */
            pb_i64(&b, 5);  /* offset */
            if (v >= 4)
                pb_i32(&b, 3); /* leader_epoch */
        }
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_ListOffsetsResponse(&o, v, 8, &resp), 0);
        check_frame(&o, 8, &b, "ListOffsets", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

static void test_create_topics(void)
{
    const struct proto_CreatableTopicResult topics[] = {
        {.name = S("new"), .error_code = 0, .error_message = PROTO_STR_NULL},
        {.name = S("old"),
         .error_code = PROTO_ERR_TOPIC_ALREADY_EXISTS,
         .error_message = S("Topic 'old' already exists.")},
    };
    const struct proto_CreateTopicsResponse resp = {
        .throttle_time_ms = 0, .topics_count = 2, .topics = topics};
    for (int16_t v = 0; v <= 4; v++) {
        struct buf b;
        buf_init(&b);
        if (v >= 2)
            pb_i32(&b, 0);
        pb_i32(&b, 2);
        pb_str(&b, "new");
        pb_i16(&b, 0);
        if (v >= 1)
            pb_str(&b, NULL);
        pb_str(&b, "old");
        pb_i16(&b, 36);
        if (v >= 1)
            pb_str(&b, "Topic 'old' already exists.");
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_CreateTopicsResponse(&o, v, 1, &resp), 0);
        check_frame(&o, 1, &b, "CreateTopics", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

static void test_delete_topics(void)
{
    const struct proto_DeletableTopicResult res[] = {
        {.name = S("a"), .error_code = 0},
        {.name = S("b"), .error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION}};
    const struct proto_DeleteTopicsResponse resp = {
        .throttle_time_ms = 9, .responses_count = 2, .responses = res};
    for (int16_t v = 0; v <= 3; v++) {
        struct buf b;
        buf_init(&b);
        if (v >= 1)
            pb_i32(&b, 9);
        pb_i32(&b, 2);
        pb_str(&b, "a");
        pb_i16(&b, 0);
        pb_str(&b, "b");
        pb_i16(&b, 3);
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_DeleteTopicsResponse(&o, v, 2, &resp), 0);
        check_frame(&o, 2, &b, "DeleteTopics", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

static void test_delete_records(void)
{
    const struct proto_DeleteRecordsPartitionResult parts[] = {
        {.partition_index = 0, .low_watermark = 100, .error_code = 0}};
    const struct proto_DeleteRecordsTopicResult topics[] = {
        {.name = S("t"), .partitions_count = 1, .partitions = parts}};
    const struct proto_DeleteRecordsResponse resp = {
        .throttle_time_ms = 0, .topics_count = 1, .topics = topics};
    for (int16_t v = 0; v <= 1; v++) {
        struct buf b;
        buf_init(&b);
        pb_i32(&b, 0);
        pb_i32(&b, 1);
        pb_str(&b, "t");
        pb_i32(&b, 1);
        pb_i32(&b, 0);
        pb_i64(&b, 100); /* low_watermark before error_code */
        pb_i16(&b, 0);
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_DeleteRecordsResponse(&o, v, 5, &resp), 0);
        check_frame(&o, 5, &b, "DeleteRecords", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

static void test_describe_configs(void)
{
    const struct proto_DescribeConfigsSynonym syn[] = {
        {.name = S("log.retention.hours"), .value = S("168"), .source = 5}};
    const struct proto_DescribeConfigsResourceResult configs[] = {
        {.name = S("retention.ms"),
         .value = S("604800000"),
         .read_only = false,
         .is_default = true,
         .config_source = 5,
         .is_sensitive = false,
         .synonyms_count = 1,
         .synonyms = syn,
         .config_type = 5,
         .documentation = PROTO_STR_NULL}};
    const struct proto_DescribeConfigsResult results[] = {{.error_code = 0,
                                                           .error_message = PROTO_STR_NULL,
                                                           .resource_type = 2,
                                                           .resource_name = S("t"),
                                                           .configs_count = 1,
                                                           .configs = configs}};
    const struct proto_DescribeConfigsResponse resp = {
        .throttle_time_ms = 0, .results_count = 1, .results = results};
    for (int16_t v = 0; v <= 3; v++) {
        struct buf b;
        buf_init(&b);
        pb_i32(&b, 0);
        pb_i32(&b, 1);
        pb_i16(&b, 0);
        pb_str(&b, NULL);
        pb_i8(&b, 2);
        pb_str(&b, "t");
        pb_i32(&b, 1);
        pb_str(&b, "retention.ms");
        pb_str(&b, "604800000");
        pb_i8(&b, 0); /* read_only */
        if (v == 0)
            pb_i8(&b, 1); /* is_default */
        else
            pb_i8(&b, 5); /* config_source */
        pb_i8(&b, 0);     /* is_sensitive */
        if (v >= 1) {
            pb_i32(&b, 1); /* synonyms */
            pb_str(&b, "log.retention.hours");
            pb_str(&b, "168");
            pb_i8(&b, 5);
        }
        if (v >= 3) {
            pb_i8(&b, 5);     /* config_type */
            pb_str(&b, NULL); /* documentation */
        }
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_DescribeConfigsResponse(&o, v, 6, &resp), 0);
        check_frame(&o, 6, &b, "DescribeConfigs", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

static void test_create_partitions(void)
{
    const struct proto_CreatePartitionsTopicResult res[] = {
        {.name = S("t"),
         .error_code = PROTO_ERR_INVALID_PARTITIONS,
         .error_message = S("Topic currently has 4 partitions")}};
    const struct proto_CreatePartitionsResponse resp = {
        .throttle_time_ms = 0, .results_count = 1, .results = res};
    for (int16_t v = 0; v <= 1; v++) {
        struct buf b;
        buf_init(&b);
        pb_i32(&b, 0);
        pb_i32(&b, 1);
        pb_str(&b, "t");
        pb_i16(&b, 37);
        pb_str(&b, "Topic currently has 4 partitions");
        struct proto_out o;
        proto_out_init(&o);
        CU_ASSERT_EQUAL(proto_encode_CreatePartitionsResponse(&o, v, 10, &resp), 0);
        check_frame(&o, 10, &b, "CreatePartitions", v);
        proto_out_destroy(&o);
        buf_destroy(&b);
    }
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"ApiVersions fallback bytes", test_api_versions_fallback_bytes},
        {"ApiVersions v0-2", test_api_versions},
        {"Metadata v0-8", test_metadata},
        {"Produce v3-7", test_produce},
        {"Fetch v4-11 with memory, file and null records", test_fetch},
        {"Fetch failures release file owners", test_fetch_failure_releases_files},
        {"ListOffsets v0-5", test_list_offsets},
        {"CreateTopics v0-4", test_create_topics},
        {"DeleteTopics v0-3", test_delete_topics},
        {"DeleteRecords v0-1", test_delete_records},
        {"DescribeConfigs v0-3", test_describe_configs},
        {"CreatePartitions v0-1", test_create_partitions},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto responses", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_responses", suites);
}
