/*
 * Property tests of the generated codecs (broker/proto/proto_msg.h) and of
 * the description format itself.
 *
 * For every API, both messages and every version: a random message (null
 * only where the version allows it) encodes, decodes to the same bytes when
 * encoded again, and every truncation of its bytes fails to decode cleanly.
 * Each decode reads from a heap copy of exactly the bytes it is given, so an
 * ASan build catches any read past the end.
 *
 * The made-up API of proto_flex_test.def covers what no served API uses
 * yet: flexible versions, tagged fields (known, unknown, malformed), uuid,
 * varints, compact everything; its bytes are also checked by hand.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tests/unit/testutil.h"

#define PROTO_DEF "tests/unit/proto_flex_test.def"
#include "broker/proto/proto_gen_decl.h"
#define PROTO_DEF "tests/unit/proto_flex_test.def"
#include "broker/proto/proto_gen_impl.h"

/* Random messages per API, message and version. */
#define ROUNDS 30

struct rnd {
    uint64_t state;     /* test_rand() state */
    struct arena arena; /* every string and array of the current message */
};

static uint64_t seed;

static uint64_t rnd_u64(struct rnd *g)
{
    return test_rand(&g->state);
}

static void *rnd_alloc(struct rnd *g, int32_t n, size_t size)
{
    return n > 0 ? arena_calloc(&g->arena, (size_t)n, size) : NULL;
}

static void rnd_reset(struct rnd *g)
{
    arena_destroy(&g->arena);
    arena_init(&g->arena);
}

/* An array length: 0-3, or -1 (null) now and then where null is allowed. */
static int32_t rnd_count(struct rnd *g, bool nullable)
{
    if (nullable && rnd_u64(g) % 5 == 0)
        return -1;
    return (int32_t)(rnd_u64(g) % 4);
}

static int8_t rnd_INT8(struct rnd *g, bool nullable)
{
    (void)nullable;
    return (int8_t)rnd_u64(g);
}
static int16_t rnd_INT16(struct rnd *g, bool nullable)
{
    (void)nullable;
    return (int16_t)rnd_u64(g);
}
static int32_t rnd_INT32(struct rnd *g, bool nullable)
{
    (void)nullable;
    return (int32_t)rnd_u64(g);
}
static int64_t rnd_INT64(struct rnd *g, bool nullable)
{
    (void)nullable;
    return (int64_t)rnd_u64(g);
}
#define rnd_VARINT  rnd_INT32
#define rnd_VARLONG rnd_INT64
static bool rnd_BOOL(struct rnd *g, bool nullable)
{
    (void)nullable;
    return rnd_u64(g) & 1;
}
static struct proto_uuid rnd_UUID(struct rnd *g, bool nullable)
{
    (void)nullable;
    struct proto_uuid u;
    for (int i = 0; i < 16; i++)
        u.b[i] = (uint8_t)rnd_u64(g);
    return u;
}
static struct proto_bytes rnd_BYTES(struct rnd *g, bool nullable)
{
    if (nullable && rnd_u64(g) % 4 == 0)
        return PROTO_BYTES_NULL;
    int32_t len = (int32_t)(rnd_u64(g) % 9);
    uint8_t *p = arena_alloc(&g->arena, (size_t)len + 1);
    for (int32_t i = 0; i < len; i++)
        p[i] = (uint8_t)rnd_u64(g);
    return (struct proto_bytes){p, len};
}
static struct proto_str rnd_STRING(struct rnd *g, bool nullable)
{
    struct proto_bytes b = rnd_BYTES(g, nullable);
    return (struct proto_str){(const char *)b.ptr, b.len};
}
static struct proto_records rnd_RECORDS(struct rnd *g, bool nullable)
{
    if (nullable && rnd_u64(g) % 4 == 0)
        return (struct proto_records){.kind = PROTO_RECORDS_NULL};
    return (struct proto_records){.kind = PROTO_RECORDS_MEM, .mem = rnd_BYTES(g, false)};
}

typedef int encode_fn(struct proto_out *o, int16_t version, int32_t correlation_id, const void *m);

/* Encodes m; returns the encoder's status and the bytes in *b. */
static int encode(encode_fn *enc, int16_t version, const void *m, struct buf *b)
{
    struct proto_out o;
    proto_out_init(&o);
    buf_init(b);
    int rc = enc(&o, version, 42, m);
    if (!rc)
        rc = proto_out_copy_to(&o, b);
    proto_out_destroy(&o);
    return rc;
}

/* Decodes len bytes of body from an exact-size heap copy into out (size
 * bytes, arrays from a). Returns the decoder's status; *left gets the bytes
 * it did not read. The copy is freed on return, so the views in *out must
 * not be read: only numbers, counts and nullness. */
static int decode_copy(proto_decode_fn *decode, int16_t version, const uint8_t *body, size_t len,
                       struct arena *a, void *out, size_t *left)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    struct proto_reader r;
    proto_reader_init(&r, copy, len);
    int rc = decode(&r, version, a, out);
    *left = proto_reader_remaining(&r);
    free(copy);
    return rc;
}

/* The property: m encodes, its body (after skip header bytes) decodes
 * completely and encodes to the same bytes, and every strict prefix of the
 * body fails to decode. The decoded struct holds views into the copy, so it
 * is re-encoded before the copy goes: decode_copy() is not used for that. */
static void check_message(const char *what, int16_t version, const void *m, encode_fn *enc,
                          size_t skip, proto_decode_fn *decode, size_t size)
{
    struct buf first, again;
    int rc = encode(enc, version, m, &first);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc || first.len < skip) {
        fprintf(stderr, "%s v%d: encode failed (%d), seed %llu\n", what, version, rc,
                (unsigned long long)seed);
        buf_destroy(&first);
        return;
    }
    const uint8_t *body = first.data + skip;
    size_t len = first.len - skip;

    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    void *out = calloc(1, size);
    struct arena a;
    arena_init(&a);
    struct proto_reader r;
    proto_reader_init(&r, copy, len);
    rc = decode(&r, version, &a, out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    bool same = false;
    if (!rc && encode(enc, version, out, &again) == 0) {
        same = again.len == first.len && memcmp(again.data + skip, body, len) == 0;
        buf_destroy(&again);
    }
    CU_ASSERT_TRUE(same);
    if (rc || !same)
        fprintf(stderr, "%s v%d: decode %d (%s), same bytes %d, seed %llu\n", what, version, rc,
                proto_reader_reason(&r), same, (unsigned long long)seed);
    arena_destroy(&a);
    free(copy);

    for (size_t cut = 0; cut < len; cut++) {
        size_t left;
        arena_init(&a);
        rc = decode_copy(decode, version, body, cut, &a, out, &left);
        arena_destroy(&a);
        CU_ASSERT_NOT_EQUAL(rc, 0);
        if (!rc) {
            fprintf(stderr, "%s v%d: %zu of %zu bytes decoded, seed %llu\n", what, version, cut,
                    len, (unsigned long long)seed);
            break;
        }
    }
    free(out);
    buf_destroy(&first);
}

#define PROTO_GEN "tests/unit/proto_rnd.h"
#include "broker/proto/proto_msg_list.h"
#undef PROTO_GEN
#define PROTO_DEF "tests/unit/proto_flex_test.def"
#include "tests/unit/proto_rnd.h"

static void run(void (*roundtrip)(struct rnd *g))
{
    struct rnd g = {.state = seed};
    arena_init(&g.arena);
    roundtrip(&g);
    arena_destroy(&g.arena);
}

static void test_api_versions(void)
{
    run(roundtrip_ApiVersions);
}
static void test_metadata(void)
{
    run(roundtrip_Metadata);
}
static void test_produce(void)
{
    run(roundtrip_Produce);
}
static void test_fetch(void)
{
    run(roundtrip_Fetch);
}
static void test_list_offsets(void)
{
    run(roundtrip_ListOffsets);
}
static void test_create_topics(void)
{
    run(roundtrip_CreateTopics);
}
static void test_delete_topics(void)
{
    run(roundtrip_DeleteTopics);
}
static void test_delete_records(void)
{
    run(roundtrip_DeleteRecords);
}
static void test_describe_configs(void)
{
    run(roundtrip_DescribeConfigs);
}
static void test_offset_for_leader_epoch(void)
{
    run(roundtrip_OffsetForLeaderEpoch);
}
static void test_create_partitions(void)
{
    run(roundtrip_CreatePartitions);
}
static void test_rt_FindCoordinator(void)
{
    run(roundtrip_FindCoordinator);
}
static void test_rt_JoinGroup(void)
{
    run(roundtrip_JoinGroup);
}
static void test_rt_SyncGroup(void)
{
    run(roundtrip_SyncGroup);
}
static void test_rt_Heartbeat(void)
{
    run(roundtrip_Heartbeat);
}
static void test_rt_LeaveGroup(void)
{
    run(roundtrip_LeaveGroup);
}
static void test_rt_OffsetCommit(void)
{
    run(roundtrip_OffsetCommit);
}
static void test_rt_OffsetFetch(void)
{
    run(roundtrip_OffsetFetch);
}
static void test_rt_DescribeGroups(void)
{
    run(roundtrip_DescribeGroups);
}
static void test_rt_ListGroups(void)
{
    run(roundtrip_ListGroups);
}
static void test_rt_DeleteGroups(void)
{
    run(roundtrip_DeleteGroups);
}
static void test_rt_OffsetDelete(void)
{
    run(roundtrip_OffsetDelete);
}
static void test_rt_ControlledShutdown(void)
{
    run(roundtrip_ControlledShutdown);
}
static void test_rt_ElectLeaders(void)
{
    run(roundtrip_ElectLeaders);
}
static void test_rt_DescribeLogDirs(void)
{
    run(roundtrip_DescribeLogDirs);
}
static void test_rt_AlterConfigs(void)
{
    run(roundtrip_AlterConfigs);
}
static void test_rt_IncrementalAlterConfigs(void)
{
    run(roundtrip_IncrementalAlterConfigs);
}

static void test_rt_InitProducerId(void)
{
    run(roundtrip_InitProducerId);
}
static void test_rt_AlterPartitionReassignments(void)
{
    run(roundtrip_AlterPartitionReassignments);
}
static void test_rt_ListPartitionReassignments(void)
{
    run(roundtrip_ListPartitionReassignments);
}
static void test_flex(void)
{
    run(roundtrip_FlexTest);
}

/* FlexTest v2 (flexible) as the Kafka rules lay it out, byte by byte. */
/* clang-format off */
static const uint8_t flex_v2[] = {
    0x01,                                           /* i8 */
    0x00, 0x02,                                     /* i16 */
    0, 0, 0, 0, 0, 0, 0, 0x03,                      /* i64 */
    0x01,                                           /* flag */
    0x01,                                           /* vi = -1, zig-zag */
    0x02,                                           /* vl = 1, zig-zag */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* topic_id */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* */
    0x03, 'a', 'b',                                 /* name: compact, length + 1 */
    0x00,                                           /* blob: null */
    0x02,                                           /* items: one, compact count + 1 */
    0, 0, 0, 0x07,                                  /*   id */
    0x00,                                           /*   label: null */
    0x02, 0, 0, 0, 0, 0, 0, 0, 0x05,                /*   offsets: [5] */
    0x01, 0x00, 0x04, 0, 0, 0, 0x09,                /*   tags: weight (tag 0) = 9 */
    0x02, 0x02, 'x',                                /* tags: ["x"] */
    0x01, 0x01, 0x02, 0x02, 'r',                    /* tags: rack (tag 1) = "r"; epoch is default */
};
/* clang-format on */

static struct proto_FlexTestRequest flex_request(struct proto_FlexItem *item, struct proto_str *tag)
{
    static const int64_t offsets[] = {5};
    *item = (struct proto_FlexItem){.id = 7,
                                    .label = PROTO_STR_NULL,
                                    .offsets_count = 1,
                                    .offsets = offsets,
                                    .weight = 9,
                                    .note = PROTO_STR_NULL};
    *tag = proto_str_cstr("x");
    struct proto_FlexTestRequest m = {
        .i8 = 1,
        .i16 = 2,
        .i64 = 3,
        .flag = true,
        .vi = -1,
        .vl = 1,
        .name = proto_str_cstr("ab"),
        .blob = PROTO_BYTES_NULL,
        .items_count = 1,
        .items = item,
        .tags_count = 1,
        .tags = tag,
        .epoch = -1,
        .rack = proto_str_cstr("r"),
    };
    memset(m.topic_id.b, 0x11, 16);
    return m;
}

static void test_flex_bytes(void)
{
    struct proto_FlexItem item;
    struct proto_str tag;
    struct proto_FlexTestRequest m = flex_request(&item, &tag);
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL_FATAL(proto_encode_FlexTestRequest(&o, 2, &m), 0);
    CU_ASSERT_EQUAL_FATAL(o.buf.len, sizeof(flex_v2));
    CU_ASSERT_EQUAL(memcmp(o.buf.data, flex_v2, sizeof(flex_v2)), 0);
    proto_out_destroy(&o);

    struct proto_FlexTestRequest d;
    struct arena a;
    size_t left;
    arena_init(&a);
    CU_ASSERT_EQUAL_FATAL(
        decode_copy(proto_decode_FlexTest, 2, flex_v2, sizeof(flex_v2), &a, &d, &left), 0);
    CU_ASSERT_EQUAL(left, 0);
    CU_ASSERT_EQUAL(d.epoch, -1); /* absent tagged field: its default */
    CU_ASSERT_EQUAL_FATAL(d.items_count, 1);
    CU_ASSERT_EQUAL(d.items[0].weight, 9);
    CU_ASSERT_TRUE(proto_str_is_null(d.items[0].note));
    arena_destroy(&a);
}

/* An unknown tag is skipped; a known one whose declared size is too small
 * for its value fails instead of reading beyond it. */
static void test_flex_tags(void)
{
    uint8_t buf[sizeof(flex_v2) + 8];
    size_t head = sizeof(flex_v2) - 5; /* up to the request's tagged fields */
    memcpy(buf, flex_v2, head);
    static const uint8_t unknown[] = {0x02, 0x01, 0x02, 0x02, 'r', 0x05, 0x03, 0xaa, 0xbb, 0xcc};
    memcpy(buf + head, unknown, sizeof(unknown));
    struct proto_FlexTestRequest d;
    struct arena a;
    size_t left;
    arena_init(&a);
    /* Decoded in place: d.rack is a view into buf. */
    struct proto_reader r;
    proto_reader_init(&r, buf, head + sizeof(unknown));
    CU_ASSERT_EQUAL(proto_decode_FlexTest(&r, 2, &a, &d), 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_TRUE(proto_str_eq(d.rack, "r"));
    arena_destroy(&a);

    static const uint8_t short_size[] = {0x01, 0x01, 0x01, 0x02, 'r'};
    memcpy(buf + head, short_size, sizeof(short_size));
    arena_init(&a);
    CU_ASSERT_NOT_EQUAL(
        decode_copy(proto_decode_FlexTest, 2, buf, head + sizeof(short_size), &a, &d, &left), 0);
    arena_destroy(&a);

    /* v1 is not flexible: the same message has no tagged fields and int16
     * string lengths, and a null blob is refused (nullable from v2). */
    struct proto_FlexItem item;
    struct proto_str tag;
    struct proto_FlexTestRequest m = flex_request(&item, &tag);
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL(proto_encode_FlexTestRequest(&o, 1, &m), GR_E_INVALID);
    proto_out_destroy(&o);
}

int main(void)
{
    seed = test_seed("test_proto_roundtrip");
    static CU_TestInfo tests[] = {
        {"ApiVersions round trip, every version", test_api_versions},
        {"Metadata round trip, every version", test_metadata},
        {"Produce round trip, every version", test_produce},
        {"Fetch round trip, every version", test_fetch},
        {"ListOffsets round trip, every version", test_list_offsets},
        {"CreateTopics round trip, every version", test_create_topics},
        {"DeleteTopics round trip, every version", test_delete_topics},
        {"DeleteRecords round trip, every version", test_delete_records},
        {"DescribeConfigs round trip, every version", test_describe_configs},
        {"CreatePartitions round trip, every version", test_create_partitions},
        {"OffsetForLeaderEpoch round trip, every version", test_offset_for_leader_epoch},
        {"FindCoordinator round trip, every version", test_rt_FindCoordinator},
        {"JoinGroup round trip, every version", test_rt_JoinGroup},
        {"SyncGroup round trip, every version", test_rt_SyncGroup},
        {"Heartbeat round trip, every version", test_rt_Heartbeat},
        {"LeaveGroup round trip, every version", test_rt_LeaveGroup},
        {"OffsetCommit round trip, every version", test_rt_OffsetCommit},
        {"OffsetFetch round trip, every version", test_rt_OffsetFetch},
        {"DescribeGroups round trip, every version", test_rt_DescribeGroups},
        {"ListGroups round trip, every version", test_rt_ListGroups},
        {"DeleteGroups round trip, every version", test_rt_DeleteGroups},
        {"OffsetDelete round trip, every version", test_rt_OffsetDelete},
        {"ControlledShutdown round trip, every version", test_rt_ControlledShutdown},
        {"ElectLeaders round trip, every version", test_rt_ElectLeaders},
        {"DescribeLogDirs round trip, every version", test_rt_DescribeLogDirs},
        {"AlterConfigs round trip, every version", test_rt_AlterConfigs},
        {"IncrementalAlterConfigs round trip, every version", test_rt_IncrementalAlterConfigs},
        {"InitProducerId round trip, every version", test_rt_InitProducerId},
        {"AlterPartitionReassignments round trip, every version", test_rt_AlterPartitionReassignments},
        {"ListPartitionReassignments round trip, every version", test_rt_ListPartitionReassignments},
        {"flexible test API round trip, every version", test_flex},
        {"flexible test API bytes", test_flex_bytes},
        {"unknown and malformed tagged fields", test_flex_tags},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto round trip", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_roundtrip", suites);
}
