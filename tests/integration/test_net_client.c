/*
 * broker/net/client against a real gregord with a real ZooKeeper: Metadata
 * v4 (auto-creating a topic), Produce v3 with real record batches, then
 * Fetch v4 from an offset, each encoded by the generated request encoders
 * and its answer decoded by the generated response decoders (the direction
 * a replica fetcher uses; test_dispatch.c checks the server side byte by
 * byte). What the replica fetcher will do, end to end over the broker's own
 * client code.
 */
#include <CUnit/CUnit.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/net/client.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/err.h"
#include "common/buf.h"
#include "tests/integration/broker_harness.h"
#include "tests/integration/zk_harness.h"
#include "tests/unit/proto_build.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

#define TOPIC "net-client"

static struct zk_harness zk;
static struct broker_harness bk;
static struct ev_loop *loop;
static struct client *cl;

/* One round trip's result: the response body copied. */
struct reply {
    bool done;       /* the callback ran */
    int calls;       /* how often (must end at 1) */
    int err;         /* its err */
    struct buf body; /* the response body */
};

static void reply_cb(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct reply *r = opaque;
    r->done = true;
    r->calls++;
    r->err = err;
    if (body)
        buf_append(&r->body, body, len);
}

/* Sends a request and runs the loop until its answer. Returns the
 * callback's err (r->body holds the response body; the caller destroys it). */
static int call(int16_t key, int16_t version, const struct buf *req, struct reply *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->body);
    int rc = client_send(cl, key, version, req->data, req->len, 15000, reply_cb, r);
    if (rc)
        return rc;
    CU_ASSERT(zkh_wait(loop, &r->done, 20));
    return r->done ? r->err : -9999;
}

/* The request body encoded by the generated encoder (status of o) into req. */
static int body_of(struct proto_out *o, int status, struct buf *req)
{
    buf_init(req);
    int rc = status ? status : proto_out_copy_to(o, req);
    proto_out_destroy(o);
    return rc;
}

/* Encodes with the generated request encoder of Api, sends it, and decodes
 * the answer with the generated response decoder into *resp (arena-owned).
 * This is the broker-to-broker direction of the codecs, end to end. */
#define ROUND_TRIP(Api, key, version, reqp, resp, arena)                                           \
    do {                                                                                           \
        struct proto_out o_;                                                                       \
        struct buf q_;                                                                             \
        struct reply r_;                                                                           \
        proto_out_init(&o_);                                                                       \
        CU_ASSERT_EQUAL_FATAL(                                                                     \
            body_of(&o_, proto_encode_##Api##Request(&o_, (version), (reqp)), &q_), 0);            \
        CU_ASSERT_EQUAL_FATAL(call((key), (version), &q_, &r_), 0);                                \
        struct proto_reader rd_;                                                                   \
        /* decoded strings and records are views: keep the body as long as the arena */            \
        uint8_t *keep_ = arena_alloc((arena), r_.body.len + 1);                                    \
        CU_ASSERT_PTR_NOT_NULL_FATAL(keep_);                                                       \
        memcpy(keep_, r_.body.data, r_.body.len);                                                  \
        proto_reader_init(&rd_, keep_, r_.body.len);                                               \
        CU_ASSERT_EQUAL(proto_decode_##Api##Response(&rd_, (version), (arena), (resp)), 0);        \
        CU_ASSERT_EQUAL(proto_reader_remaining(&rd_), 0);                                          \
        buf_destroy(&q_);                                                                          \
        buf_destroy(&r_.body);                                                                     \
    } while (0)

static bool str_is(struct proto_str s, const char *want)
{
    return s.len == (int32_t)strlen(want) && !memcmp(s.ptr, want, strlen(want));
}

/* Metadata v4 for TOPIC (auto-created). Returns the leader of partition 0,
 * or -1 while there is none, and checks the broker list names our port. */
static int metadata_leader(void)
{
    struct arena a;
    arena_init(&a);
    struct proto_MetadataRequestTopic t = {.name = proto_str_cstr(TOPIC)};
    struct proto_MetadataRequest q = {
        .topics = &t, .topics_count = 1, .allow_auto_topic_creation = true};
    struct proto_MetadataResponse m;
    ROUND_TRIP(Metadata, PROTO_API_METADATA, 4, &q, &m, &a);
    int leader = -1;
    bool port_seen = false;
    for (int32_t i = 0; i < m.brokers_count; i++)
        port_seen |= m.brokers[i].port == bk.port;
    CU_ASSERT(port_seen);
    CU_ASSERT_EQUAL(m.topics_count, 1);
    for (int32_t i = 0; i < m.topics_count; i++) {
        const struct proto_MetadataResponseTopic *mt = &m.topics[i];
        CU_ASSERT(str_is(mt->name, TOPIC));
        for (int32_t k = 0; k < mt->partitions_count; k++)
            if (mt->error_code == 0 && mt->partitions[k].error_code == 0 &&
                mt->partitions[k].partition_index == 0)
                leader = mt->partitions[k].leader_id;
    }
    arena_destroy(&a);
    return leader;
}

/* Produce v3 of one batch to TOPIC-0 with acks=-1. Returns its base offset. */
static int64_t produce(const struct buf *batch)
{
    struct arena a;
    arena_init(&a);
    struct proto_PartitionProduceData pd = {
        .index = 0,
        .records = {.kind = PROTO_RECORDS_MEM, .mem = {batch->data, (int32_t)batch->len}}};
    struct proto_TopicProduceData td = {
        .name = proto_str_cstr(TOPIC), .partition_data = &pd, .partition_data_count = 1};
    struct proto_ProduceRequest q = {.transactional_id = PROTO_STR_NULL,
                                     .acks = -1,
                                     .timeout_ms = 10000,
                                     .topic_data = &td,
                                     .topic_data_count = 1};
    struct proto_ProduceResponse p;
    ROUND_TRIP(Produce, PROTO_API_PRODUCE, 3, &q, &p, &a);
    int64_t base = -1;
    CU_ASSERT_EQUAL_FATAL(p.responses_count, 1);
    CU_ASSERT(str_is(p.responses[0].name, TOPIC));
    CU_ASSERT_EQUAL_FATAL(p.responses[0].partition_responses_count, 1);
    const struct proto_PartitionProduceResponse *pr = &p.responses[0].partition_responses[0];
    CU_ASSERT_EQUAL(pr->index, 0);
    CU_ASSERT_EQUAL(pr->error_code, 0);
    base = pr->base_offset;
    arena_destroy(&a);
    return base;
}

/* The offset and value of the first record of the first batch in records. */
static void first_record(struct proto_bytes records, int64_t *offset, struct buf *value)
{
    struct proto_reader rd;
    proto_reader_init(&rd, records.ptr, (size_t)records.len);
    int64_t base = proto_reader_i64(&rd);
    proto_reader_i32(&rd); /* batchLength */
    proto_reader_i32(&rd); /* partitionLeaderEpoch */
    CU_ASSERT_EQUAL(proto_reader_i8(&rd), 2);
    proto_reader_i32(&rd); /* crc */
    proto_reader_i16(&rd); /* attributes */
    proto_reader_i32(&rd); /* lastOffsetDelta */
    proto_reader_i64(&rd); /* firstTimestamp */
    proto_reader_i64(&rd); /* maxTimestamp */
    proto_reader_i64(&rd); /* producerId */
    proto_reader_i16(&rd); /* producerEpoch */
    proto_reader_i32(&rd); /* baseSequence */
    CU_ASSERT(proto_reader_i32(&rd) >= 1);
    proto_reader_varint(&rd);  /* record length */
    proto_reader_i8(&rd);      /* attributes */
    proto_reader_varlong(&rd); /* timestampDelta */
    int32_t delta = proto_reader_varint(&rd);
    int32_t klen = proto_reader_varint(&rd);
    CU_ASSERT_EQUAL(klen, -1);
    int32_t vlen = proto_reader_varint(&rd);
    CU_ASSERT_FATAL(vlen >= 0 && (size_t)vlen <= proto_reader_remaining(&rd));
    buf_append(value, rd.base + rd.pos, (size_t)vlen);
    CU_ASSERT_EQUAL(proto_reader_status(&rd), 0);
    *offset = base + delta;
}

/* A Fetch v4 request body for TOPIC-0 from offset, by the generated encoder. */
static void fetch_request(struct buf *q, int64_t from, int32_t max_wait_ms)
{
    struct proto_FetchPartition fp = {.partition = 0,
                                      .current_leader_epoch = -1,
                                      .fetch_offset = from,
                                      .log_start_offset = -1,
                                      .partition_max_bytes = 1 << 20};
    struct proto_FetchTopic ft = {
        .topic = proto_str_cstr(TOPIC), .partitions = &fp, .partitions_count = 1};
    struct proto_FetchRequest r = {.replica_id = -1,
                                   .max_wait_ms = max_wait_ms,
                                   .min_bytes = 1,
                                   .max_bytes = 1 << 20,
                                   .topics = &ft,
                                   .topics_count = 1};
    struct proto_out o;
    proto_out_init(&o);
    CU_ASSERT_EQUAL_FATAL(body_of(&o, proto_encode_FetchRequest(&o, 4, &r), q), 0);
}

/* Fetch v4 of TOPIC-0 from offset: the first record's offset and value. */
static void fetch(int64_t from, int64_t *offset, struct buf *value)
{
    struct buf q;
    fetch_request(&q, from, 500);
    struct reply r;
    CU_ASSERT_EQUAL_FATAL(call(PROTO_API_FETCH, 4, &q, &r), 0);
    struct arena a;
    arena_init(&a);
    struct proto_FetchResponse f;
    struct proto_reader rd;
    proto_reader_init(&rd, r.body.data, r.body.len);
    CU_ASSERT_EQUAL_FATAL(proto_decode_FetchResponse(&rd, 4, &a, &f), 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&rd), 0);
    CU_ASSERT_EQUAL_FATAL(f.responses_count, 1);
    CU_ASSERT(str_is(f.responses[0].topic, TOPIC));
    CU_ASSERT_EQUAL_FATAL(f.responses[0].partition_responses_count, 1);
    const struct proto_FetchablePartitionResponse *pr = &f.responses[0].partition_responses[0];
    CU_ASSERT_EQUAL(pr->partition, 0);
    CU_ASSERT_EQUAL(pr->error_code, 0);
    CU_ASSERT_EQUAL(pr->high_watermark, 2);
    CU_ASSERT_EQUAL_FATAL(pr->record_set.kind, PROTO_RECORDS_MEM);
    CU_ASSERT_FATAL(pr->record_set.mem.len > 61);
    first_record(pr->record_set.mem, offset, value);
    arena_destroy(&a);
    buf_destroy(&q);
    buf_destroy(&r.body);
}

static void test_metadata_produce_fetch(void)
{
    int leader = -1;
    double deadline = zkh_now() + 30;
    while ((leader = metadata_leader()) < 0 && zkh_now() < deadline)
        zkh_spin(loop, 0.2);
    CU_ASSERT_EQUAL_FATAL(leader, 0);

    struct buf b1, b2;
    buf_init(&b1);
    buf_init(&b2);
    testbatch_build(&b1, &(struct testbatch_opts){
                             .count = 1, .value_size = 20, .seed = 1, .timestamp = 1700000000000});
    testbatch_build(&b2, &(struct testbatch_opts){
                             .count = 1, .value_size = 24, .seed = 2, .timestamp = 1700000000001});
    CU_ASSERT_EQUAL(produce(&b1), 0);
    CU_ASSERT_EQUAL(produce(&b2), 1);

    /* What was produced as the second record, read back from our own batch. */
    int64_t ignored;
    struct buf want, got;
    buf_init(&want);
    buf_init(&got);
    first_record((struct proto_bytes){b2.data, (int32_t)b2.len}, &ignored, &want);
    int64_t offset = -1;
    fetch(1, &offset, &got);
    CU_ASSERT_EQUAL(offset, 1);
    CU_ASSERT_EQUAL(got.len, 24);
    CU_ASSERT(got.len == want.len && !memcmp(got.data, want.data, got.len));
    buf_destroy(&want);
    buf_destroy(&got);
    buf_destroy(&b1);
    buf_destroy(&b2);
}

/* The broker stops with a long-poll Fetch in flight: that request fails
 * with GR_E_NETWORK, once. A request sent while the broker is down waits,
 * the client reconnects with backoff once the broker is back on its port,
 * and the request is answered. */
static void test_broker_restart(void)
{
    struct buf q;
    fetch_request(&q, 2, 20000); /* at the end of the log: waits for data */
    struct reply poll = {0};
    buf_init(&poll.body);
    CU_ASSERT_EQUAL(client_send(cl, PROTO_API_FETCH, 4, q.data, q.len, 30000, reply_cb, &poll), 0);
    zkh_spin(loop, 0.3);
    CU_ASSERT_EQUAL(client_in_flight(cl), 1);
    CU_ASSERT(!poll.done);
    bkh_stop(&bk);
    CU_ASSERT(zkh_wait(loop, &poll.done, 10));
    CU_ASSERT_EQUAL(poll.err, GR_E_NETWORK);

    struct reply late = {0};
    buf_init(&late.body);
    buf_reset(&q);
    pb_i32(&q, 0); /* Metadata v4 for no topic: the brokers */
    pb_i8(&q, 0);
    CU_ASSERT_EQUAL(client_send(cl, PROTO_API_METADATA, 4, q.data, q.len, 60000, reply_cb, &late),
                    0);
    zkh_spin(loop, 0.5); /* refused, and retried */
    CU_ASSERT(!late.done);
    CU_ASSERT_EQUAL(client_waiting(cl), 1);
    CU_ASSERT_EQUAL_FATAL(bkh_restart(&bk, zk.connect), 0);
    CU_ASSERT(zkh_wait(loop, &late.done, 20));
    CU_ASSERT_EQUAL(late.err, 0);
    CU_ASSERT(late.body.len > 4);
    zkh_spin(loop, 0.2);
    CU_ASSERT_EQUAL(poll.calls, 1);
    CU_ASSERT_EQUAL(late.calls, 1);
    buf_destroy(&poll.body);
    buf_destroy(&late.body);
    buf_destroy(&q);
}

static int suite_init(void)
{
    loop = ev_loop_new(EVFLAG_AUTO);
    if (zkh_start(&zk, "netclient-zk") || bkh_start(&bk, 0, zk.connect))
        return -1;
    struct client_config cfg = {.host = "127.0.0.1", .port = bk.port, .client_id = "itest"};
    cl = client_new(loop, &cfg);
    return cl ? 0 : -1;
}

static int suite_clean(void)
{
    if (cl)
        client_free(cl);
    bkh_cleanup(&bk);
    zkh_cleanup(&zk);
    ev_loop_destroy(loop);
    return 0;
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"Metadata, Produce and Fetch through the broker's client", test_metadata_produce_fetch},
        {"a broker restart: in flight fails once, waiting requests reconnect", test_broker_restart},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"net_client", suite_init, suite_clean, NULL, NULL, tests},
                             CU_SUITE_INFO_NULL};
    return test_main("test_net_client", suites);
}
