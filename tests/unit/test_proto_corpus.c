/*
 * Real client requests: every frame in tests/fuzz/corpus/ (captured from
 * kcat, kafka-python, confluent-kafka-python and librdkafka by
 * tests/fuzz/capture-corpus) must decode, and its response must carry the
 * request's correlation id in a correctly sized frame.
 *
 * Produce frames are also checked against the record batch format: the
 * records view must be a whole number of magic-2 batches, which it can only
 * be if every field before it was read at the right offset.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/bytes.h"
#include "tests/fuzz/fuzz_respond.h"
#include "tests/unit/testutil.h"

/* Reads a whole file; returns malloc'd bytes (caller frees) or NULL. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *p = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *q = realloc(p, cap);
            if (!q)
                break;
            p = q;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return p;
}

/* True if records is a whole number of magic-2 record batches. */
static bool whole_batches(struct proto_bytes records)
{
    size_t off = 0, len = (size_t)records.len;
    if (!records.ptr || len == 0)
        return false;
    while (off < len) {
        if (len - off < 61) /* the batch header */
            return false;
        uint32_t batch_len = be32_load(records.ptr + off + 8);
        if (records.ptr[off + 16] != 2 || batch_len > len - off - 12)
            return false;
        off += 12 + batch_len;
    }
    return true;
}

static void check_produce(const uint8_t *frame, size_t len, const char *name)
{
    struct proto_reader r;
    struct proto_RequestHeader h;
    struct proto_ProduceRequest req;
    struct arena a;
    arena_init(&a);
    proto_reader_init(&r, frame, len);
    CU_ASSERT_EQUAL_FATAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL_FATAL(proto_decode_Produce(&r, h.request_api_version, &a, &req), 0);
    CU_ASSERT_TRUE(req.acks == -1 || req.acks == 1);
    CU_ASSERT_TRUE_FATAL(req.topic_data_count >= 1);
    CU_ASSERT_TRUE(proto_str_eq(req.topic_data[0].name, "test"));
    for (int32_t i = 0; i < req.topic_data_count; i++) {
        for (int32_t j = 0; j < req.topic_data[i].partition_data_count; j++) {
            bool ok = whole_batches(req.topic_data[i].partition_data[j].records.mem);
            CU_ASSERT_TRUE(ok);
            if (!ok)
                fprintf(stderr, "%s: records of partition %d are not whole batches\n", name,
                        req.topic_data[i].partition_data[j].index);
        }
    }
    /* Nothing may be left but what a later schema version would add. */
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    arena_destroy(&a);
}

/* librdkafka's ApiVersions v3 carries its name and version as compact strings. */
static void check_api_versions_v3(const uint8_t *frame, size_t len)
{
    struct proto_reader r;
    struct proto_RequestHeader h;
    struct proto_ApiVersionsRequest req;
    struct arena a;
    arena_init(&a);
    proto_reader_init(&r, frame, len);
    CU_ASSERT_EQUAL_FATAL(proto_header_decode(&r, &h), 0);
    CU_ASSERT_EQUAL(h.header_version, 2);
    CU_ASSERT_EQUAL_FATAL(proto_decode_ApiVersions(&r, 3, &a, &req), 0);
    CU_ASSERT_TRUE(req.client_software_name.len > 0);
    CU_ASSERT_TRUE(req.client_software_version.len > 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    printf("ApiVersions v3 from %.*s %.*s\n", (int)req.client_software_name.len,
           req.client_software_name.ptr, (int)req.client_software_version.len,
           req.client_software_version.ptr);
    arena_destroy(&a);
}

static void test_every_captured_frame(void)
{
    DIR *d = opendir(CORPUS_DIR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    bool seen[64] = {false};
    int files = 0, v3_fallbacks = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 4, ".bin"))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, e->d_name);
        size_t len = 0;
        uint8_t *frame = slurp(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(frame);
        CU_ASSERT_TRUE_FATAL(len >= 8); /* key, version, correlation id */
        files++;

        struct fuzz_respond_cfg cfg = {
            .node_id = 1, .host = "127.0.0.1", .port = 9092, .records_fd = -1};
        struct proto_out o;
        proto_out_init(&o);
        char why[256] = "";
        int rc = fuzz_respond(frame, len, &cfg, &o, why, sizeof(why));
        CU_ASSERT_TRUE(rc == FUZZ_RESPONDED || rc == FUZZ_NO_RESPONSE);
        if (rc < 0)
            fprintf(stderr, "%s: %s\n", e->d_name, why);

        int16_t key = (int16_t)be16_load(frame);
        int16_t version = (int16_t)be16_load(frame + 2);
        if (key >= 0 && key < 64)
            seen[key] = true;
        if (rc == FUZZ_RESPONDED) {
            struct buf flat;
            buf_init(&flat);
            CU_ASSERT_EQUAL(proto_out_copy_to(&o, &flat), 0);
            CU_ASSERT_TRUE_FATAL(flat.len >= 8);
            CU_ASSERT_EQUAL(be32_load(flat.data), flat.len - 4);
            CU_ASSERT_EQUAL(be32_load(flat.data + 4), be32_load(frame + 4)); /* correlation id */
            if (key == PROTO_API_API_VERSIONS && version > 2) {
                CU_ASSERT_EQUAL(be16_load(flat.data + 8), PROTO_ERR_UNSUPPORTED_VERSION);
                v3_fallbacks++;
            }
            buf_destroy(&flat);
        }
        if (key == PROTO_API_PRODUCE)
            check_produce(frame, len, e->d_name);
        if (key == PROTO_API_API_VERSIONS && version == 3)
            check_api_versions_v3(frame, len);
        proto_out_destroy(&o);
        free(frame);
    }
    closedir(d);
    printf("decoded %d captured frames\n", files);
    /* Every implemented API is in the corpus, and librdkafka's ApiVersions v3. */
    static const int16_t want[] = {PROTO_API_PRODUCE,          PROTO_API_FETCH,
                                   PROTO_API_LIST_OFFSETS,     PROTO_API_METADATA,
                                   PROTO_API_API_VERSIONS,     PROTO_API_CREATE_TOPICS,
                                   PROTO_API_DELETE_TOPICS,    PROTO_API_DELETE_RECORDS,
                                   PROTO_API_DESCRIBE_CONFIGS, PROTO_API_CREATE_PARTITIONS};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        CU_ASSERT_TRUE(seen[want[i]]);
        if (!seen[want[i]])
            fprintf(stderr, "no %s frame in the corpus\n", proto_api_name(want[i]));
    }
    CU_ASSERT_TRUE(v3_fallbacks > 0);
}

int main(void)
{
    static CU_TestInfo tests[] = {{"every captured frame decodes", test_every_captured_frame},
                                  CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"proto corpus", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_proto_corpus", suites);
}
