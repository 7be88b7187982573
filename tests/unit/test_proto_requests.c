/*
 * Request decoders: bodies laid out by hand from the Kafka 2.8 request
 * schemas, decoded for the lowest and highest version and every version in
 * between where a field appears or goes.
 *
 * Every body is also checked the way a hostile client would probe it: each
 * strict prefix must fail (a body that ends early is an error) from an
 * exact-size heap copy (ASan sees any over-read), and extra trailing bytes
 * must be tolerated as Kafka tolerates them.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/err.h"
#include "tests/unit/proto_build.h"
#include "tests/unit/testutil.h"

/* One decode from an exact-size copy of a body; the frame, arena and reader
 * live until decoded_free(). */
struct decoded {
    uint8_t *frame;        /* exact-size copy of the body */
    struct arena arena;    /* the request's arrays */
    struct proto_reader r; /* the cursor, for the failure reason */
    int rc;                /* what the decoder returned */
};

static void decode(struct decoded *d, proto_decode_fn *fn, int16_t version, const struct buf *b,
                   void *out)
{
    d->frame = pb_exact_copy(b);
    arena_init(&d->arena);
    proto_reader_init(&d->r, d->frame, b->len);
    d->rc = fn(&d->r, version, &d->arena, out);
    if (d->rc)
        fprintf(stderr, "decode v%d: %s\n", version, proto_reader_reason(&d->r));
}

static void decoded_free(struct decoded *d)
{
    arena_destroy(&d->arena);
    free(d->frame);
}

/* Every strict prefix of a valid body fails; the body plus junk decodes. */
static void check_truncation_and_trailing(proto_decode_fn *fn, int16_t version, const struct buf *b,
                                          size_t out_size)
{
    void *out = malloc(out_size);
    for (size_t n = 0; n < b->len; n++) {
        struct buf cut = {.data = b->data, .len = n};
        struct decoded d;
        d.frame = pb_exact_copy(&cut);
        arena_init(&d.arena);
        proto_reader_init(&d.r, d.frame, n);
        int rc = fn(&d.r, version, &d.arena, out);
        CU_ASSERT_EQUAL(rc, GR_E_CORRUPT);
        if (rc != GR_E_CORRUPT)
            fprintf(stderr, "v%d: prefix of %zu/%zu bytes decoded (rc %d)\n", version, n, b->len,
                    rc);
        decoded_free(&d);
    }
    struct buf longer;
    buf_init(&longer);
    buf_append(&longer, b->data, b->len);
    buf_append(&longer, "\x01\x02\x03", 3);
    struct decoded d;
    decode(&d, fn, version, &longer, out);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&d.r), 3);
    decoded_free(&d);
    buf_destroy(&longer);
    free(out);
}

static void test_api_versions(void)
{
    struct proto_ApiVersionsRequest req;
    struct buf b;
    buf_init(&b);
    for (int16_t v = 0; v <= 2; v++) {
        struct decoded d;
        decode(&d, proto_decode_ApiVersions, v, &b, &req);
        CU_ASSERT_EQUAL(d.rc, 0);
        CU_ASSERT_TRUE(proto_str_is_null(req.client_software_name));
        decoded_free(&d);
    }
    /* v3: compact strings, then the body's tagged fields. */
    static const uint8_t v3[] = {0x0b, 'l', 'i',  'b', 'r', 'd', 'k', 'a', 'f',
                                 'k',  'a', 0x06, '2', '.', '0', '.', '2', 0x00};
    buf_append(&b, v3, sizeof(v3));
    struct decoded d;
    decode(&d, proto_decode_ApiVersions, 3, &b, &req);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_TRUE(proto_str_eq(req.client_software_name, "librdkafka"));
    CU_ASSERT_TRUE(proto_str_eq(req.client_software_version, "2.0.2"));
    decoded_free(&d);
    check_truncation_and_trailing(proto_decode_ApiVersions, 3, &b, sizeof(req));

    decode(&d, proto_decode_ApiVersions, 4, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void test_metadata(void)
{
    struct proto_MetadataRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);

    /* v0: a plain list; empty means every topic, and null is not allowed. */
    pb_i32(&b, 2);
    pb_str(&b, "alpha");
    pb_str(&b, "b");
    decode(&d, proto_decode_Metadata, 0, &b, &req);
    CU_ASSERT_EQUAL_FATAL(d.rc, 0);
    CU_ASSERT_EQUAL_FATAL(req.topics_count, 2);
    CU_ASSERT_TRUE(proto_str_eq(req.topics[0].name, "alpha"));
    CU_ASSERT_TRUE(proto_str_eq(req.topics[1].name, "b"));
    CU_ASSERT_TRUE(req.allow_auto_topic_creation);
    CU_ASSERT_FALSE(proto_MetadataRequest_all_topics(&req, 0));
    decoded_free(&d);
    check_truncation_and_trailing(proto_decode_Metadata, 0, &b, sizeof(req));

    buf_reset(&b);
    pb_i32(&b, 0);
    decode(&d, proto_decode_Metadata, 0, &b, &req);
    CU_ASSERT_TRUE(proto_MetadataRequest_all_topics(&req, 0));
    decoded_free(&d);
    decode(&d, proto_decode_Metadata, 1, &b, &req); /* v1+: empty means none */
    CU_ASSERT_FALSE(proto_MetadataRequest_all_topics(&req, 1));
    decoded_free(&d);

    buf_reset(&b);
    pb_i32(&b, -1);
    decode(&d, proto_decode_Metadata, 0, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_CORRUPT);
    decoded_free(&d);
    decode(&d, proto_decode_Metadata, 1, &b, &req);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_EQUAL(req.topics_count, -1);
    CU_ASSERT_TRUE(proto_MetadataRequest_all_topics(&req, 1));
    decoded_free(&d);

    /* v4 adds allow_auto_topic_creation. */
    buf_reset(&b);
    pb_i32(&b, -1);
    pb_i8(&b, 0);
    decode(&d, proto_decode_Metadata, 4, &b, &req);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_FALSE(req.allow_auto_topic_creation);
    decoded_free(&d);
    check_truncation_and_trailing(proto_decode_Metadata, 4, &b, sizeof(req));

    /* v8 adds the two authorized-operations flags. */
    buf_reset(&b);
    pb_i32(&b, 1);
    pb_str(&b, "t");
    pb_i8(&b, 1);
    pb_i8(&b, 0);
    pb_i8(&b, 1);
    decode(&d, proto_decode_Metadata, 8, &b, &req);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_EQUAL(req.topics_count, 1);
    CU_ASSERT_TRUE(req.allow_auto_topic_creation);
    CU_ASSERT_FALSE(req.include_cluster_authorized_operations);
    CU_ASSERT_TRUE(req.include_topic_authorized_operations);
    decoded_free(&d);
    check_truncation_and_trailing(proto_decode_Metadata, 8, &b, sizeof(req));

    decode(&d, proto_decode_Metadata, 9, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void produce_body(struct buf *b, const char *txn, int16_t v)
{
    if (v >= 3)
        pb_str(b, txn);  /* transactional_id (v3+) */
    pb_i16(b, -1);       /* acks */
    pb_i32(b, 30000);    /* timeout_ms */
    pb_i32(b, 1);        /* topic_data */
    pb_str(b, "orders"); /* name */
    pb_i32(b, 2);        /* partition_data */
    pb_i32(b, 0);        /* index */
    pb_bytes(b, "BATCH", 5);
    pb_i32(b, 3);
    pb_bytes(b, NULL, 0); /* null records */
}

static void test_produce(void)
{
    struct proto_ProduceRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    produce_body(&b, NULL, 3);
    for (int16_t v = 3; v <= 7; v++) {
        decode(&d, proto_decode_Produce, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_TRUE(proto_str_is_null(req.transactional_id));
        CU_ASSERT_EQUAL(req.acks, -1);
        CU_ASSERT_EQUAL(req.timeout_ms, 30000);
        CU_ASSERT_EQUAL_FATAL(req.topic_data_count, 1);
        CU_ASSERT_TRUE(proto_str_eq(req.topic_data[0].name, "orders"));
        CU_ASSERT_EQUAL_FATAL(req.topic_data[0].partition_data_count, 2);
        const struct proto_PartitionProduceData *p = req.topic_data[0].partition_data;
        CU_ASSERT_EQUAL(p[0].index, 0);
        CU_ASSERT_EQUAL(p[0].records.kind, PROTO_RECORDS_MEM);
        CU_ASSERT_EQUAL(p[0].records.mem.len, 5);
        /* The records are a view of the frame: 2+2+4+4+8+4+4+4 bytes in. */
        CU_ASSERT_PTR_EQUAL(p[0].records.mem.ptr, d.frame + 32);
        CU_ASSERT_EQUAL(p[1].index, 3);
        CU_ASSERT_EQUAL(p[1].records.kind, PROTO_RECORDS_NULL);
        CU_ASSERT_PTR_NULL(p[1].records.mem.ptr);
        decoded_free(&d);
    }
    check_truncation_and_trailing(proto_decode_Produce, 3, &b, sizeof(req));

    buf_reset(&b);
    produce_body(&b, "txn-1", 7);
    decode(&d, proto_decode_Produce, 7, &b, &req);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT_TRUE(proto_str_eq(req.transactional_id, "txn-1"));
    decoded_free(&d);
    check_truncation_and_trailing(proto_decode_Produce, 7, &b, sizeof(req));

    /* v0-2 (message sets of the old formats): no transactional_id. */
    for (int16_t v = 0; v <= 2; v++) {
        buf_reset(&b);
        produce_body(&b, NULL, v);
        decode(&d, proto_decode_Produce, v, &b, &req);
        CU_ASSERT_EQUAL(d.rc, 0);
        CU_ASSERT_EQUAL(req.acks, -1);
        CU_ASSERT_PTR_NULL(req.transactional_id.ptr);
        CU_ASSERT_EQUAL_FATAL(req.topic_data_count, 1);
        CU_ASSERT_EQUAL(req.topic_data[0].partition_data[0].records.mem.len, 5);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_Produce, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_Produce, 8, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);

    /* A topic count of a billion with a few bytes behind it allocates nothing. */
    buf_reset(&b);
    pb_str(&b, NULL);
    pb_i16(&b, 1);
    pb_i32(&b, 1000);
    pb_i32(&b, 1000000000);
    pb_str(&b, "t");
    decode(&d, proto_decode_Produce, 7, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_CORRUPT);
    CU_ASSERT_EQUAL(d.arena.total, 0);
    decoded_free(&d);
    buf_destroy(&b);
}

/* A Fetch body of the given version, in FetchRequest.json field order. */
static void fetch_body(struct buf *b, int16_t v)
{
    pb_i32(b, -1);       /* replica_id */
    pb_i32(b, 500);      /* max_wait_ms */
    pb_i32(b, 1);        /* min_bytes */
    if (v >= 3)
        pb_i32(b, 52428800); /* max_bytes (v3+) */
    if (v >= 4)
        pb_i8(b, 1); /* isolation_level (v4+) */
    if (v >= 7) {
        pb_i32(b, 12); /* session_id */
        pb_i32(b, 3);  /* session_epoch */
    }
    pb_i32(b, 1); /* topics */
    pb_str(b, "events");
    pb_i32(b, 2); /* partitions */
    for (int32_t p = 0; p < 2; p++) {
        pb_i32(b, p); /* partition */
        if (v >= 9)
            pb_i32(b, 5);  /* current_leader_epoch */
        pb_i64(b, 42 + p); /* fetch_offset */
        if (v >= 5)
            pb_i64(b, 7);   /* log_start_offset */
        pb_i32(b, 1048576); /* partition_max_bytes */
    }
    if (v >= 7) {
        pb_i32(b, 1); /* forgotten_topics_data */
        pb_str(b, "old");
        pb_i32(b, 2);
        pb_i32(b, 4);
        pb_i32(b, 6);
    }
    if (v >= 11)
        pb_str(b, "rack-a"); /* rack_id */
}

static void test_fetch(void)
{
    struct proto_FetchRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    for (int16_t v = 0; v <= 11; v++) {
        buf_reset(&b);
        fetch_body(&b, v);
        decode(&d, proto_decode_Fetch, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL(req.replica_id, -1);
        CU_ASSERT_EQUAL(req.max_wait_ms, 500);
        CU_ASSERT_EQUAL(req.min_bytes, 1);
        CU_ASSERT_EQUAL(req.max_bytes, v >= 3 ? 52428800 : 0x7fffffff);
        CU_ASSERT_EQUAL(req.isolation_level, v >= 4 ? 1 : 0);
        CU_ASSERT_EQUAL(req.session_id, v >= 7 ? 12 : 0);
        CU_ASSERT_EQUAL(req.session_epoch, v >= 7 ? 3 : -1);
        CU_ASSERT_EQUAL_FATAL(req.topics_count, 1);
        CU_ASSERT_TRUE(proto_str_eq(req.topics[0].topic, "events"));
        CU_ASSERT_EQUAL_FATAL(req.topics[0].partitions_count, 2);
        const struct proto_FetchPartition *p = &req.topics[0].partitions[1];
        CU_ASSERT_EQUAL(p->partition, 1);
        CU_ASSERT_EQUAL(p->current_leader_epoch, v >= 9 ? 5 : -1);
        CU_ASSERT_EQUAL(p->fetch_offset, 43);
        CU_ASSERT_EQUAL(p->log_start_offset, v >= 5 ? 7 : -1);
        CU_ASSERT_EQUAL(p->partition_max_bytes, 1048576);
        if (v >= 7) {
            CU_ASSERT_EQUAL_FATAL(req.forgotten_topics_data_count, 1);
            CU_ASSERT_TRUE(proto_str_eq(req.forgotten_topics_data[0].topic, "old"));
            CU_ASSERT_EQUAL_FATAL(req.forgotten_topics_data[0].partitions_count, 2);
            CU_ASSERT_EQUAL(req.forgotten_topics_data[0].partitions[1], 6);
        } else {
            CU_ASSERT_EQUAL(req.forgotten_topics_data_count, 0);
        }
        CU_ASSERT_TRUE(proto_str_eq(req.rack_id, v >= 11 ? "rack-a" : ""));
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_Fetch, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_Fetch, 12, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void list_offsets_body(struct buf *b, int16_t v)
{
    pb_i32(b, -1); /* replica_id */
    if (v >= 2)
        pb_i8(b, 1); /* isolation_level */
    pb_i32(b, 1);    /* topics */
    pb_str(b, "t");
    pb_i32(b, 2); /* partitions */
    for (int32_t p = 0; p < 2; p++) {
        pb_i32(b, p); /* partition_index */
        if (v >= 4)
            pb_i32(b, 9);       /* current_leader_epoch */
        pb_i64(b, p ? -2 : -1); /* timestamp: latest, earliest */
        if (v == 0)
            pb_i32(b, 3); /* max_num_offsets */
    }
}

static void test_list_offsets(void)
{
    struct proto_ListOffsetsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    for (int16_t v = 0; v <= 5; v++) {
        buf_reset(&b);
        list_offsets_body(&b, v);
        decode(&d, proto_decode_ListOffsets, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL(req.replica_id, -1);
        CU_ASSERT_EQUAL(req.isolation_level, v >= 2 ? 1 : 0);
        CU_ASSERT_EQUAL_FATAL(req.topics_count, 1);
        CU_ASSERT_EQUAL_FATAL(req.topics[0].partitions_count, 2);
        const struct proto_ListOffsetsPartition *p = req.topics[0].partitions;
        CU_ASSERT_EQUAL(p[0].timestamp, -1);
        CU_ASSERT_EQUAL(p[1].timestamp, -2);
        CU_ASSERT_EQUAL(p[1].partition_index, 1);
        CU_ASSERT_EQUAL(p[1].current_leader_epoch, v >= 4 ? 9 : -1);
        CU_ASSERT_EQUAL(p[1].max_num_offsets, v == 0 ? 3 : 1);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_ListOffsets, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_ListOffsets, 6, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void create_topics_body(struct buf *b, int16_t v)
{
    pb_i32(b, 2);     /* topics */
    pb_str(b, "new"); /* name */
    pb_i32(b, 3);     /* num_partitions */
    pb_i16(b, 1);     /* replication_factor */
    pb_i32(b, 0);     /* assignments */
    pb_i32(b, 2);     /* configs */
    pb_str(b, "retention.ms");
    pb_str(b, "1000");
    pb_str(b, "cleanup.policy");
    pb_str(b, NULL);
    pb_str(b, "placed");
    pb_i32(b, -1);
    pb_i16(b, -1);
    pb_i32(b, 2); /* assignments */
    pb_i32(b, 0); /* partition_index */
    pb_i32(b, 2); /* broker_ids */
    pb_i32(b, 1);
    pb_i32(b, 2);
    pb_i32(b, 1); /* partition_index */
    pb_i32(b, 2); /* broker_ids */
    pb_i32(b, 2);
    pb_i32(b, 1);
    pb_i32(b, 0);     /* configs */
    pb_i32(b, 60000); /* timeout_ms */
    if (v >= 1)
        pb_i8(b, 1); /* validate_only */
}

static void test_create_topics(void)
{
    struct proto_CreateTopicsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    for (int16_t v = 0; v <= 4; v++) {
        buf_reset(&b);
        create_topics_body(&b, v);
        decode(&d, proto_decode_CreateTopics, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL_FATAL(req.topics_count, 2);
        const struct proto_CreatableTopic *t = req.topics;
        CU_ASSERT_TRUE(proto_str_eq(t[0].name, "new"));
        CU_ASSERT_EQUAL(t[0].num_partitions, 3);
        CU_ASSERT_EQUAL(t[0].replication_factor, 1);
        CU_ASSERT_EQUAL(t[0].assignments_count, 0);
        CU_ASSERT_EQUAL_FATAL(t[0].configs_count, 2);
        CU_ASSERT_TRUE(proto_str_eq(t[0].configs[0].name, "retention.ms"));
        CU_ASSERT_TRUE(proto_str_eq(t[0].configs[0].value, "1000"));
        CU_ASSERT_TRUE(proto_str_is_null(t[0].configs[1].value));
        CU_ASSERT_EQUAL(t[1].num_partitions, -1);
        CU_ASSERT_EQUAL(t[1].replication_factor, -1);
        CU_ASSERT_EQUAL_FATAL(t[1].assignments_count, 2);
        CU_ASSERT_EQUAL(t[1].assignments[1].partition_index, 1);
        CU_ASSERT_EQUAL_FATAL(t[1].assignments[1].broker_ids_count, 2);
        CU_ASSERT_EQUAL(t[1].assignments[1].broker_ids[0], 2);
        CU_ASSERT_EQUAL(t[1].assignments[1].broker_ids[1], 1);
        CU_ASSERT_EQUAL(req.timeout_ms, 60000);
        CU_ASSERT_EQUAL(req.validate_only, v >= 1);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_CreateTopics, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_CreateTopics, 5, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);

    /* configs is not nullable. */
    buf_reset(&b);
    pb_i32(&b, 1);
    pb_str(&b, "x");
    pb_i32(&b, 1);
    pb_i16(&b, 1);
    pb_i32(&b, 0);
    pb_i32(&b, -1);
    pb_i32(&b, 1000);
    decode(&d, proto_decode_CreateTopics, 0, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_CORRUPT);
    decoded_free(&d);
    buf_destroy(&b);
}

static void test_delete_topics(void)
{
    struct proto_DeleteTopicsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    pb_i32(&b, 2);
    pb_str(&b, "a");
    pb_str(&b, "bb");
    pb_i32(&b, 1000);
    for (int16_t v = 0; v <= 3; v++) {
        decode(&d, proto_decode_DeleteTopics, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL_FATAL(req.topic_names_count, 2);
        CU_ASSERT_TRUE(proto_str_eq(req.topic_names[0], "a"));
        CU_ASSERT_TRUE(proto_str_eq(req.topic_names[1], "bb"));
        CU_ASSERT_EQUAL(req.timeout_ms, 1000);
        decoded_free(&d);
    }
    check_truncation_and_trailing(proto_decode_DeleteTopics, 0, &b, sizeof(req));
    check_truncation_and_trailing(proto_decode_DeleteTopics, 3, &b, sizeof(req));
    decode(&d, proto_decode_DeleteTopics, 4, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void test_delete_records(void)
{
    struct proto_DeleteRecordsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    pb_i32(&b, 1);
    pb_str(&b, "t");
    pb_i32(&b, 2);
    pb_i32(&b, 0);
    pb_i64(&b, 100);
    pb_i32(&b, 1);
    pb_i64(&b, -1);
    pb_i32(&b, 5000);
    for (int16_t v = 0; v <= 1; v++) {
        decode(&d, proto_decode_DeleteRecords, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL_FATAL(req.topics_count, 1);
        CU_ASSERT_TRUE(proto_str_eq(req.topics[0].name, "t"));
        CU_ASSERT_EQUAL_FATAL(req.topics[0].partitions_count, 2);
        CU_ASSERT_EQUAL(req.topics[0].partitions[0].offset, 100);
        CU_ASSERT_EQUAL(req.topics[0].partitions[1].partition_index, 1);
        CU_ASSERT_EQUAL(req.topics[0].partitions[1].offset, -1);
        CU_ASSERT_EQUAL(req.timeout_ms, 5000);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_DeleteRecords, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_DeleteRecords, 2, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void test_describe_configs(void)
{
    struct proto_DescribeConfigsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    for (int16_t v = 0; v <= 3; v++) {
        buf_reset(&b);
        pb_i32(&b, 2); /* resources */
        pb_i8(&b, 2);  /* TOPIC */
        pb_str(&b, "t");
        pb_i32(&b, -1); /* every key */
        pb_i8(&b, 4);   /* BROKER */
        pb_str(&b, "1");
        pb_i32(&b, 1);
        pb_str(&b, "log.retention.hours");
        if (v >= 1)
            pb_i8(&b, 1); /* include_synonyms */
        if (v >= 3)
            pb_i8(&b, 1); /* include_documentation */
        decode(&d, proto_decode_DescribeConfigs, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL_FATAL(req.resources_count, 2);
        CU_ASSERT_EQUAL(req.resources[0].resource_type, 2);
        CU_ASSERT_TRUE(proto_str_eq(req.resources[0].resource_name, "t"));
        CU_ASSERT_EQUAL(req.resources[0].configuration_keys_count, -1);
        CU_ASSERT_EQUAL(req.resources[1].resource_type, 4);
        CU_ASSERT_EQUAL_FATAL(req.resources[1].configuration_keys_count, 1);
        CU_ASSERT_TRUE(proto_str_eq(req.resources[1].configuration_keys[0], "log.retention.hours"));
        CU_ASSERT_EQUAL(req.include_synonyms, v >= 1);
        CU_ASSERT_EQUAL(req.include_documentation, v >= 3);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_DescribeConfigs, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_DescribeConfigs, 4, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

static void test_create_partitions(void)
{
    struct proto_CreatePartitionsRequest req;
    struct decoded d;
    struct buf b;
    buf_init(&b);
    pb_i32(&b, 2); /* topics */
    pb_str(&b, "t");
    pb_i32(&b, 4);  /* count */
    pb_i32(&b, -1); /* assignments: null, the broker picks */
    pb_str(&b, "u");
    pb_i32(&b, 3);
    pb_i32(&b, 1); /* one new partition */
    pb_i32(&b, 2);
    pb_i32(&b, 2);
    pb_i32(&b, 3);
    pb_i32(&b, 1000); /* timeout_ms */
    pb_i8(&b, 1);     /* validate_only */
    for (int16_t v = 0; v <= 1; v++) {
        decode(&d, proto_decode_CreatePartitions, v, &b, &req);
        CU_ASSERT_EQUAL_FATAL(d.rc, 0);
        CU_ASSERT_EQUAL_FATAL(req.topics_count, 2);
        CU_ASSERT_EQUAL(req.topics[0].count, 4);
        CU_ASSERT_EQUAL(req.topics[0].assignments_count, -1);
        CU_ASSERT_TRUE(proto_str_eq(req.topics[1].name, "u"));
        CU_ASSERT_EQUAL_FATAL(req.topics[1].assignments_count, 1);
        CU_ASSERT_EQUAL_FATAL(req.topics[1].assignments[0].broker_ids_count, 2);
        CU_ASSERT_EQUAL(req.topics[1].assignments[0].broker_ids[1], 3);
        CU_ASSERT_EQUAL(req.timeout_ms, 1000);
        CU_ASSERT_TRUE(req.validate_only);
        decoded_free(&d);
        check_truncation_and_trailing(proto_decode_CreatePartitions, v, &b, sizeof(req));
    }
    decode(&d, proto_decode_CreatePartitions, 2, &b, &req);
    CU_ASSERT_EQUAL(d.rc, GR_E_UNSUPPORTED);
    decoded_free(&d);
    buf_destroy(&b);
}

int main(void)
{
    static CU_TestInfo tests[] = {{"ApiVersions v0-3", test_api_versions},
                                  {"Metadata v0-8", test_metadata},
                                  {"Produce v0-7", test_produce},
                                  {"Fetch v0-11", test_fetch},
                                  {"ListOffsets v0-5", test_list_offsets},
                                  {"CreateTopics v0-4", test_create_topics},
                                  {"DeleteTopics v0-3", test_delete_topics},
                                  {"DeleteRecords v0-1", test_delete_records},
                                  {"DescribeConfigs v0-3", test_describe_configs},
                                  {"CreatePartitions v0-1", test_create_partitions},
                                  CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto requests", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_requests", suites);
}
