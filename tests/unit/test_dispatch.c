/*
 * The API dispatch (broker/api/api.c) end to end on a real loop: a real
 * listening socket, real connections, the API table and the handlers, real
 * logs on disk. The test is the client, writing request frames byte by byte
 * as the protocol guide lays them out and reading the answers back from its
 * socket, so the codecs are checked against the wire, not against themselves.
 *
 * What is checked: ApiVersions advertises the table and falls back for a
 * newer client; Metadata describes the hand-filled cluster; Produce appends
 * to a partition led here and Fetch reads the batch back; partitions not led
 * here or not known get Kafka's errors; an unknown API, an unsupported
 * version and a malformed body close that connection only, while another
 * connection keeps being served.
 *
 * The metadata cache is filled by hand, as its ZooKeeper reads would fill
 * it (as in test_partition.c); the integration tests run the same requests
 * against a real ZooKeeper and real clients.
 */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/api/api.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/log/log.h"
#include "broker/log/log_manager.h"
#include "broker/log/log_warm.h"
#include "broker/net/listener.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_reader.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/tp.h"
#include "tests/unit/proto_build.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testbroker.h"
#include "tests/unit/testutil.h"

#define ME    1
#define OTHER 2

struct fixture {
    struct testbroker t;
    int port; /* the listener's */
};

static void add_broker(struct metadata_broker *mb, int32_t id, int port)
{
    mb->id = id;
    mb->ep = calloc(1, sizeof(*mb->ep));
    mb->ep[0].listener = strdup("PLAINTEXT");
    mb->ep[0].host = strdup("127.0.0.1");
    mb->ep[0].port = port;
    mb->nep = 1;
}

/* A topic of two partitions: 0 led here, 1 led by OTHER. */
static void add_topic(struct fixture *f, const char *name)
{
    struct metadata_topic *t = calloc(1, sizeof(*t));
    t->name = strdup(name);
    t->id = tp_topic_intern(name, strlen(name));
    t->nparts = 2;
    t->parts = calloc(2, sizeof(*t->parts));
    for (int i = 0; i < 2; i++) {
        struct metadata_partition *mp = &t->parts[i];
        int32_t leader = i == 0 ? ME : OTHER;
        mp->id = i;
        mp->nreplicas = 1;
        mp->replicas = malloc(sizeof(int32_t));
        mp->replicas[0] = leader;
        mp->has_state = true;
        mp->leader = leader;
        mp->leader_epoch = 5;
        mp->isr = malloc(sizeof(int32_t));
        mp->isr[0] = leader;
        mp->nisr = 1;
    }
    t->have_assignment = t->have_config = true;
    broker_config_log_defaults(&f->t.cfg, &t->log_config);
    CU_ASSERT_EQUAL_FATAL(strmap_put(&f->t.md.topics, name, t), 0);
}

static void fx_init(struct fixture *f)
{
    /* One waiting fetch at most, so test_fetch_waits_are_bounded reaches it. */
    static const char *const config[] = {"listeners", "PLAINTEXT://127.0.0.1:0",
                                         "auto.create.topics.enable", "false",
                                         "gregor.fetch.parked.max", "1", NULL};
    testbroker_init(&f->t, "dispatch", ME, config);
    struct broker *b = &f->t.b;
    b->dispatch = api_dispatch;
    snprintf(b->cluster_id, sizeof(b->cluster_id), "dispatch-test-cluster");
    CU_ASSERT_EQUAL_FATAL(listeners_bind(b), 0);
    listeners_start(b);
    f->port = listeners_port(b, "PLAINTEXT");
    CU_ASSERT_FATAL(f->port > 0);
    struct metadata *md = &f->t.md;
    md->brokers = calloc(2, sizeof(*md->brokers));
    add_broker(&md->brokers[0], ME, f->port);
    add_broker(&md->brokers[1], OTHER, 1); /* never dialled: it only leads p1 */
    md->nbrokers = 2;
    md->controller_id = OTHER;
    add_topic(f, "orders");
    partitions_sync(b, NULL, -1);
}

static void fx_destroy(struct fixture *f)
{
    testbroker_destroy(&f->t);
}

/* ---- the client side: a plain blocking socket ---------------------------- */

static int dial(struct fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* Starts a request frame: size placeholder and header v1, or v2 (with an
 * empty tagged-field section) for the flexible versions this test sends:
 * ApiVersions v3+ and Fetch v12+, as a newer client would. */
static void req_begin(struct buf *b, int16_t key, int16_t version, int32_t corr)
{
    buf_init(b);
    pb_i32(b, 0);
    pb_i16(b, key);
    pb_i16(b, version);
    pb_i32(b, corr);
    pb_str(b, "dispatch-test");
    if ((key == 18 && version >= 3) || (key == 1 && version >= 12))
        pb_i8(b, 0);
}

/* Fills in the size prefix and sends the frame. */
static void req_send(int fd, struct buf *b)
{
    uint32_t n = htonl((uint32_t)(b->len - 4));
    memcpy(b->data, &n, 4);
    CU_ASSERT_EQUAL_FATAL(write(fd, b->data, b->len), (ssize_t)b->len);
    buf_destroy(b);
}

enum outcome { GOT_FRAME, GOT_CLOSE, GOT_NOTHING };

/* Runs the broker's loop until fd has a whole response frame (returned in
 * *frame, malloc'd, without its size prefix), is closed by the broker, or
 * two seconds pass. */
static enum outcome await(struct fixture *f, int fd, uint8_t **frame, size_t *len)
{
    struct buf in;
    buf_init(&in);
    enum outcome res = GOT_NOTHING;
    int64_t until = (clock_mono_us() / 1000) + 2000;
    *frame = NULL;
    while ((clock_mono_us() / 1000) < until) {
        ev_run(f->t.loop, EVRUN_NOWAIT);
        testbroker_reap(&f->t);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5) <= 0)
            continue;
        uint8_t tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            res = GOT_CLOSE;
            break;
        }
        if (n < 0)
            continue;
        buf_append(&in, tmp, (size_t)n);
        if (in.len >= 4) {
            uint32_t size;
            memcpy(&size, in.data, 4);
            size = ntohl(size);
            if (in.len >= 4 + (size_t)size) {
                CU_ASSERT_EQUAL(in.len, 4 + (size_t)size); /* nothing beyond it */
                *len = size;
                *frame = malloc(size ? size : 1);
                memcpy(*frame, in.data + 4, size);
                res = GOT_FRAME;
                break;
            }
        }
    }
    buf_destroy(&in);
    return res;
}

/* Sends b on fd and expects one response frame with correlation id corr;
 * returns a reader over its body in *r (the frame in *frame, caller frees). */
static void roundtrip(struct fixture *f, int fd, struct buf *b, int32_t corr, uint8_t **frame,
                      struct proto_reader *r)
{
    size_t len = 0;
    req_send(fd, b);
    CU_ASSERT_EQUAL_FATAL(await(f, fd, frame, &len), GOT_FRAME);
    proto_reader_init(r, *frame, len);
    CU_ASSERT_EQUAL(proto_reader_i32(r), corr); /* response header v0 */
}

/* ---- ApiVersions ------------------------------------------------------- */

static void test_api_versions(void)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;

    req_begin(&b, 18, 0, 7);
    roundtrip(&f, fd, &b, 7, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    int32_t n = proto_reader_array(&r, 6);
    CU_ASSERT(n >= 10);
    bool saw_produce = false, saw_fetch = false;
    for (int32_t i = 0; i < n; i++) {
        int16_t key = proto_reader_i16(&r), min = proto_reader_i16(&r), max = proto_reader_i16(&r);
        const struct api *a = api_find(key);
        CU_ASSERT_PTR_NOT_NULL(a); /* advertised means served */
        if (a) {
            CU_ASSERT_EQUAL(min, a->min_version);
            CU_ASSERT_EQUAL(max, a->max_version);
        }
        saw_produce |= key == 0;
        saw_fetch |= key == 1;
    }
    CU_ASSERT(saw_produce && saw_fetch);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    free(frame);

    /* A newer client's ApiVersions (v99) gets UNSUPPORTED_VERSION and the
     * list, in the v0 layout, on the same connection. */
    req_begin(&b, 18, 99, 8);
    roundtrip(&f, fd, &b, 8, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_UNSUPPORTED_VERSION);
    CU_ASSERT(proto_reader_array(&r, 6) >= 10);
    free(frame);

    /* The connection is still usable. */
    req_begin(&b, 18, 1, 9);
    roundtrip(&f, fd, &b, 9, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    free(frame);
    close(fd);
    fx_destroy(&f);
}

/* ---- Metadata ---------------------------------------------------------- */

/* Metadata v3+: reads throttle_time_ms (must be 0) and the brokers;
 * returns their number. */
static int32_t skip_throttle_and_brokers(struct proto_reader *r)
{
    CU_ASSERT_EQUAL(proto_reader_i32(r), 0);
    int32_t nb = proto_reader_array(r, 1);
    for (int i = 0; i < nb; i++) {
        proto_reader_i32(r);
        proto_reader_string(r);
        proto_reader_i32(r);
        proto_reader_nullable_string(r);
    }
    return nb;
}

static void test_metadata(void)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;

    /* v1, topics null: every topic. */
    req_begin(&b, 3, 1, 11);
    pb_i32(&b, -1);
    roundtrip(&f, fd, &b, 11, &frame, &r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    for (int i = 0; i < 2; i++) {
        int32_t id = proto_reader_i32(&r);
        struct proto_str host = proto_reader_string(&r);
        int32_t port = proto_reader_i32(&r);
        (void)proto_reader_nullable_string(&r); /* rack */
        CU_ASSERT_EQUAL(id, i == 0 ? ME : OTHER);
        CU_ASSERT(host.len == 9 && !memcmp(host.ptr, "127.0.0.1", 9));
        CU_ASSERT_EQUAL(port, i == 0 ? f.port : 1);
    }
    CU_ASSERT_EQUAL(proto_reader_i32(&r), OTHER); /* controller id */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    struct proto_str name = proto_reader_string(&r);
    CU_ASSERT(name.len == 6 && !memcmp(name.ptr, "orders", 6));
    CU_ASSERT_FALSE(proto_reader_bool(&r)); /* is_internal */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i == 0 ? ME : OTHER); /* leader */
        CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 1);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i == 0 ? ME : OTHER);
        CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 1);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i == 0 ? ME : OTHER);
    }
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    free(frame);

    /* v4, one unknown topic, auto-creation refused by config. */
    req_begin(&b, 3, 4, 12);
    pb_i32(&b, 1);
    pb_str(&b, "nope");
    pb_i8(&b, 1);
    roundtrip(&f, fd, &b, 12, &frame, &r);
    CU_ASSERT_EQUAL(skip_throttle_and_brokers(&r), 2);
    struct proto_str cid = proto_reader_nullable_string(&r);
    CU_ASSERT(cid.len == 21 && !memcmp(cid.ptr, "dispatch-test-cluster", 21));
    CU_ASSERT_EQUAL(proto_reader_i32(&r), OTHER);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    free(frame);
    close(fd);
    fx_destroy(&f);
}

/* Metadata v5 when this broker's replica of orders-0 is offline: it is
 * listed in offline_replicas and leads nothing (LEADER_NOT_AVAILABLE, leader
 * -1), as Kafka 2.8 answers once its controller saw the log dir fail. */
static void test_metadata_offline_replica(void)
{
    struct fixture f;
    fx_init(&f);
    struct partition *p0 = partition_get(&f.t.b, (struct tp){tp_topic_find("orders", 6), 0});
    CU_ASSERT_PTR_NOT_NULL_FATAL(p0);
    p0->log->offline = true;
    int fd = dial(&f);
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;
    req_begin(&b, 3, 5, 21);
    pb_i32(&b, 1);
    pb_str(&b, "orders");
    pb_i8(&b, 0);
    roundtrip(&f, fd, &b, 21, &frame, &r);
    CU_ASSERT_EQUAL(skip_throttle_and_brokers(&r), 2);
    proto_reader_nullable_string(&r); /* cluster id */
    proto_reader_i32(&r);             /* controller */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    proto_reader_string(&r);
    proto_reader_bool(&r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(proto_reader_i16(&r),
                        i == 0 ? PROTO_ERR_LEADER_NOT_AVAILABLE : PROTO_ERR_NONE);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i);
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i == 0 ? -1 : OTHER); /* leader */
        CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 1);              /* replicas */
        CU_ASSERT_EQUAL(proto_reader_i32(&r), i == 0 ? ME : OTHER);
        CU_ASSERT_EQUAL(proto_reader_array(&r, 4), 1); /* isr */
        proto_reader_i32(&r);
        int32_t noff = proto_reader_array(&r, 4); /* offline_replicas */
        CU_ASSERT_EQUAL(noff, i == 0 ? 1 : 0);
        if (noff == 1)
            CU_ASSERT_EQUAL(proto_reader_i32(&r), ME);
    }
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    free(frame);
    p0->log->offline = false; /* the fixture's teardown flushes it */
    close(fd);
    fx_destroy(&f);
}

/* ---- Produce and Fetch ------------------------------------------------- */

/* Produce v3 of one batch to orders-<partition>; returns the error code and
 * the base offset in *base. */
static int16_t produce_n(struct fixture *f, int fd, const char *topic, size_t topic_len,
                         int32_t partition, int32_t corr, int64_t *base)
{
    struct buf b, batch;
    uint8_t *frame;
    struct proto_reader r;
    buf_init(&batch);
    struct testbatch_opts o = {
        .count = 3, .value_size = 20, .timestamp = clock_wall_ms(), .seed = (uint64_t)corr};
    testbatch_build(&batch, &o);
    req_begin(&b, 0, 3, corr);
    pb_str(&b, NULL); /* transactional id */
    pb_i16(&b, 1);    /* acks */
    pb_i32(&b, 5000);
    pb_i32(&b, 1);
    pb_i16(&b, (int16_t)topic_len); /* by hand: a name may hold a NUL */
    buf_append(&b, topic, topic_len);
    pb_i32(&b, 1);
    pb_i32(&b, partition);
    pb_bytes(&b, batch.data, (int32_t)batch.len);
    buf_destroy(&batch);
    roundtrip(f, fd, &b, corr, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_array(&r, 1), 1);
    proto_reader_string(&r);
    CU_ASSERT_EQUAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), partition);
    int16_t err = proto_reader_i16(&r);
    *base = proto_reader_i64(&r);
    proto_reader_i64(&r);                     /* log append time */
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0); /* throttle */
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    free(frame);
    return err;
}

static int16_t produce(struct fixture *f, int fd, const char *topic, int32_t partition,
                       int32_t corr, int64_t *base)
{
    return produce_n(f, fd, topic, strlen(topic), partition, corr, base);
}

static void test_produce_then_fetch(void)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    int64_t base = -1;

    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 21, &base), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(base, 0);
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 22, &base), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(base, 3);
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 1, 23, &base), PROTO_ERR_NOT_LEADER_OR_FOLLOWER);
    CU_ASSERT_EQUAL(produce(&f, fd, "ghost", 0, 24, &base), PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    /* Fetch v4 from offset 3: the second batch, offsets rewritten. */
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;
    req_begin(&b, 1, 4, 25);
    pb_i32(&b, -1);      /* replica id */
    pb_i32(&b, 0);       /* max wait */
    pb_i32(&b, 1);       /* min bytes */
    pb_i32(&b, 1 << 20); /* max bytes */
    pb_i8(&b, 0);        /* isolation */
    pb_i32(&b, 1);
    pb_str(&b, "orders");
    pb_i32(&b, 2);
    pb_i32(&b, 0);
    pb_i64(&b, 3);
    pb_i32(&b, 1 << 20);
    pb_i32(&b, 1);
    pb_i64(&b, 0);
    pb_i32(&b, 1 << 20);
    roundtrip(&f, fd, &b, 25, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0); /* throttle */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    proto_reader_string(&r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    /* partition 0 */
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 6); /* high watermark: one replica */
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 6); /* last stable offset */
    CU_ASSERT(proto_reader_nullable_array(&r, 16) <= 0);
    struct proto_bytes rec = proto_reader_nullable_bytes(&r);
    CU_ASSERT_FATAL(rec.len > 61);
    struct proto_reader br;
    proto_reader_init(&br, rec.ptr, (size_t)rec.len);
    CU_ASSERT_EQUAL(proto_reader_i64(&br), 3);                     /* base offset */
    CU_ASSERT_EQUAL(proto_reader_i32(&br), (int32_t)rec.len - 12); /* batch length */
    CU_ASSERT_EQUAL(proto_reader_i32(&br), 5);                     /* leader epoch */
    CU_ASSERT_EQUAL(proto_reader_i8(&br), 2);                      /* magic */
    /* partition 1: led elsewhere */
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 1);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NOT_LEADER_OR_FOLLOWER);
    proto_reader_i64(&r);
    proto_reader_i64(&r);
    proto_reader_nullable_array(&r, 16);
    rec = proto_reader_nullable_bytes(&r);
    CU_ASSERT(rec.len <= 0);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    free(frame);
    close(fd);
    fx_destroy(&f);
}

/* ---- repeated names and illegal names ------------------------------------ */

/* Fetch v4 of orders-0 named n times (the last entry from offset 3), and
 * one of "orders\0x": one merged entry each, as Kafka 2.8 answers. */
static void test_repeats_are_merged(void)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    int64_t base;
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 31, &base), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 32, &base), PROTO_ERR_NONE);
    /* An embedded NUL is its own (illegal) name: nothing lands in orders. */
    CU_ASSERT_EQUAL(produce_n(&f, fd, "orders\0x", 8, 0, 33, &base),
                    PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    enum { N = 5000 };
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;
    req_begin(&b, 1, 4, 34);
    pb_i32(&b, -1);
    pb_i32(&b, 0);
    pb_i32(&b, 1);
    pb_i32(&b, 1 << 20);
    pb_i8(&b, 0);
    pb_i32(&b, 2);
    pb_str(&b, "orders");
    pb_i32(&b, N);
    for (int i = 0; i < N; i++) {
        pb_i32(&b, 0);
        pb_i64(&b, i == N - 1 ? 3 : 0); /* Kafka keeps the last entry's fields */
        pb_i32(&b, 1 << 20);
    }
    pb_i16(&b, 8); /* "orders\0x" by hand: pb_str would stop at the NUL */
    buf_append(&b, "orders\0x", 8);
    pb_i32(&b, 1);
    pb_i32(&b, 0);
    pb_i64(&b, 0);
    pb_i32(&b, 1 << 20);
    roundtrip(&f, fd, &b, 34, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0); /* throttle */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    struct proto_str name = proto_reader_string(&r);
    CU_ASSERT(name.len == 6 && !memcmp(name.ptr, "orders", 6));
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(proto_reader_i64(&r), 6);
    proto_reader_i64(&r);
    proto_reader_nullable_array(&r, 16);
    struct proto_bytes rec = proto_reader_nullable_bytes(&r);
    CU_ASSERT_FATAL(rec.len > 61);
    struct proto_reader br;
    proto_reader_init(&br, rec.ptr, (size_t)rec.len);
    CU_ASSERT_EQUAL(proto_reader_i64(&br), 3); /* from the last entry's offset */
    name = proto_reader_string(&r);
    CU_ASSERT(name.len == 8 && !memcmp(name.ptr, "orders\0x", 8));
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    free(frame);

    /* Metadata v1 naming orders N times: one entry. */
    req_begin(&b, 3, 1, 35);
    pb_i32(&b, N);
    for (int i = 0; i < N; i++)
        pb_str(&b, "orders");
    roundtrip(&f, fd, &b, 35, &frame, &r);
    int32_t nb = proto_reader_array(&r, 1);
    for (int i = 0; i < nb; i++) {
        proto_reader_i32(&r);
        proto_reader_string(&r);
        proto_reader_i32(&r);
        proto_reader_nullable_string(&r);
    }
    proto_reader_i32(&r); /* controller */
    CU_ASSERT_EQUAL(proto_reader_array(&r, 1), 1);
    free(frame);

    /* ListOffsets v1 naming orders-0 twice: INVALID_REQUEST in both. */
    req_begin(&b, 2, 1, 36);
    pb_i32(&b, -1);
    pb_i32(&b, 1);
    pb_str(&b, "orders");
    pb_i32(&b, 2);
    for (int i = 0; i < 2; i++) {
        pb_i32(&b, 0);
        pb_i64(&b, -1);
    }
    roundtrip(&f, fd, &b, 36, &frame, &r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    proto_reader_string(&r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 2);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
        CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_INVALID_REQUEST);
        proto_reader_i64(&r);
        proto_reader_i64(&r);
    }
    free(frame);
    close(fd);
    fx_destroy(&f);
}

/* Sends Fetch v4 of orders-0 from offset with the given limits. */
static void send_fetch(int fd, int32_t corr, int64_t offset, int32_t min_bytes, int32_t max_bytes,
                       int32_t max_wait)
{
    struct buf b;
    req_begin(&b, 1, 4, corr);
    pb_i32(&b, -1);
    pb_i32(&b, max_wait);
    pb_i32(&b, min_bytes);
    pb_i32(&b, max_bytes);
    pb_i8(&b, 0);
    pb_i32(&b, 1);
    pb_str(&b, "orders");
    pb_i32(&b, 1);
    pb_i32(&b, 0);
    pb_i64(&b, offset);
    pb_i32(&b, 1 << 20);
    req_send(fd, &b);
}

/* Runs the loop for about ms milliseconds. */
static void spin(struct fixture *f, int ms)
{
    int64_t until = clock_mono_us() / 1000 + ms;
    while (clock_mono_us() / 1000 < until) {
        ev_run(f->t.loop, EVRUN_NOWAIT);
        testbroker_reap(&f->t);
        usleep(1000);
    }
}

/* min_bytes above the response limit counts as the limit; past
 * gregor.fetch.parked.max (1 here) a fetch is answered at once; a waiting
 * fetch whose client leaves is no longer counted. */
static void test_fetch_waits_are_bounded(void)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    int64_t base;
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 41, &base), PROTO_ERR_NONE);
    uint8_t *frame;
    size_t len;

    /* max_bytes 100, min_bytes INT32_MAX, 10 s max_wait: the batch is there. */
    send_fetch(fd, 42, 0, INT32_MAX, 100, 10000);
    CU_ASSERT_EQUAL(await(&f, fd, &frame, &len), GOT_FRAME);
    free(frame);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked, 0);

    /* One fetch at the log end waits... */
    int waiter = dial(&f);
    send_fetch(waiter, 43, 3, 1, 1 << 20, 10000);
    spin(&f, 100);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked, 1);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked_parts, 1);
    /* ...a second is answered at once, empty. */
    send_fetch(fd, 44, 3, 1, 1 << 20, 10000);
    CU_ASSERT_EQUAL(await(&f, fd, &frame, &len), GOT_FRAME);
    free(frame);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked, 1);
    /* The waiter leaves: its wait is cancelled and uncounted. */
    close(waiter);
    spin(&f, 100);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked, 0);
    CU_ASSERT_EQUAL(f.t.b.fetch_parked_parts, 0);
    close(fd);
    fx_destroy(&f);
}

/* ---- cold data is read off the loop --------------------------------------- */

/* The probe for tests: every range is cold, as on a disk nobody read yet. */
static bool always_cold(const struct log_file *f, int64_t pos, int64_t len)
{
    (void)f;
    (void)pos;
    (void)len;
    return false;
}

/* Whether the broker has sent anything on fd (after running the loop a
 * little): a waiting fetch must not have. */
static bool answered(struct fixture *f, int fd)
{
    spin(f, 50);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Reads the Fetch v4 answer of one partition (orders-0) and returns the
 * bytes of its record set; *base is the first batch's base offset (-1 if
 * none). Fails the test unless the answer has no error. */
static int32_t fetched(struct fixture *f, int fd, int32_t corr, int64_t *base)
{
    uint8_t *frame;
    size_t len;
    struct proto_reader r;
    *base = -1;
    CU_ASSERT_EQUAL_FATAL(await(f, fd, &frame, &len), GOT_FRAME);
    proto_reader_init(&r, frame, len);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), corr);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0); /* throttle */
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    proto_reader_string(&r);
    CU_ASSERT_EQUAL_FATAL(proto_reader_array(&r, 1), 1);
    CU_ASSERT_EQUAL(proto_reader_i32(&r), 0);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    proto_reader_i64(&r);
    proto_reader_i64(&r);
    proto_reader_nullable_array(&r, 16);
    struct proto_bytes rec = proto_reader_nullable_bytes(&r);
    CU_ASSERT_EQUAL(proto_reader_remaining(&r), 0);
    CU_ASSERT_FALSE(proto_reader_failed(&r));
    if (rec.len >= 8) {
        struct proto_reader br;
        proto_reader_init(&br, rec.ptr, (size_t)rec.len);
        *base = proto_reader_i64(&br);
    }
    free(frame);
    return rec.len > 0 ? rec.len : 0;
}

/* A fetch whose range is cold is answered only once the reader has read
 * it, while other connections are served meanwhile; with what happens to
 * the log in between given by change (NULL: nothing). */
static void cold_fetch(void (*change)(struct fixture *f), int64_t want_base, bool want_all,
                       int64_t log_end)
{
    struct fixture f;
    fx_init(&f);
    int fd = dial(&f);
    int other = dial(&f);
    int64_t base;
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 51, &base), PROTO_ERR_NONE);
    CU_ASSERT_EQUAL(produce(&f, fd, "orders", 0, 52, &base), PROTO_ERR_NONE);
    /* What a hot fetch from 0 sends: both batches. */
    send_fetch(fd, 53, 0, 1, 1 << 20, 0);
    int32_t all = fetched(&f, fd, 53, &base);
    CU_ASSERT_EQUAL(base, 0);

    log_warm_resident = always_cold;
    send_fetch(fd, 54, 0, 1, 1 << 20, 0);
    CU_ASSERT_FALSE(answered(&f, fd)); /* waits for the reader */
    CU_ASSERT_EQUAL(f.t.b.fetch_warming, 1);
    struct buf b;
    uint8_t *frame;
    struct proto_reader r;
    req_begin(&b, 18, 0, 55); /* another client is served meanwhile */
    roundtrip(&f, other, &b, 55, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    free(frame);
    if (change)
        change(&f);
    CU_ASSERT_FALSE(answered(&f, fd));
    log_bg_drain(log_manager_reader(f.t.b.logs)); /* the reader is done: answer */
    int32_t got = fetched(&f, fd, 54, &base);
    CU_ASSERT_EQUAL(base, want_base);
    if (want_all)
        CU_ASSERT_EQUAL(got, all);
    CU_ASSERT(got > 0 && got <= all);
    CU_ASSERT_EQUAL(f.t.b.fetch_warming, 0);
    log_warm_resident = log_warm_cached;

    /* The connection still works: nothing after the log end. */
    send_fetch(fd, 56, log_end, 1, 1 << 20, 0);
    fetched(&f, fd, 56, &base);
    CU_ASSERT_EQUAL(base, -1);
    close(other);
    close(fd);
    fx_destroy(&f);
}

static struct log *orders0(struct fixture *f)
{
    struct partition *p = partition_get(&f->t.b, (struct tp){tp_topic_find("orders", 6), 0});
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p->log;
}

static void test_cold_fetch_waits_for_reader(void)
{
    cold_fetch(NULL, 0, true, 6);
}

/* Every segment deleted while the range is read: the answer still sends
 * the bytes it promised, from the deleted file it holds. */
static void delete_all(struct fixture *f)
{
    CU_ASSERT_EQUAL(log_truncate_fully(orders0(f), 6, clock_wall_ms()), 0);
}

static void test_cold_fetch_survives_deletion(void)
{
    cold_fetch(delete_all, 0, true, 6);
}

/* The log cut back to offset 3 while the range is read: the file no longer
 * holds what was promised, so the answer is read again (the first batch
 * only) instead of a short sendfile closing the connection. */
static void cut_to_3(struct fixture *f)
{
    CU_ASSERT_EQUAL(log_truncate_to(orders0(f), 3), 0);
}

static void test_cold_fetch_after_truncation(void)
{
    cold_fetch(cut_to_3, 0, false, 3);
}

/* More cold fetches than may wait for the reader (16): the rest wait in
 * line, none is sent cold, and one whose client leaves while in line is
 * dropped. */
static void test_cold_fetches_wait_in_line(void)
{
    enum { N = 18 };
    struct fixture f;
    fx_init(&f);
    int fds[N];
    int64_t base;
    for (int i = 0; i < N; i++)
        fds[i] = dial(&f);
    CU_ASSERT_EQUAL(produce(&f, fds[0], "orders", 0, 61, &base), PROTO_ERR_NONE);
    log_warm_resident = always_cold;
    for (int i = 0; i < N; i++)
        send_fetch(fds[i], 100 + i, 0, 1, 1 << 20, 0);
    spin(&f, 100);
    CU_ASSERT_EQUAL(f.t.b.fetch_warming, 16);
    for (int i = 0; i < N; i++)
        CU_ASSERT_FALSE(answered(&f, fds[i]));
    close(fds[N - 1]); /* leaves while in line */
    spin(&f, 50);
    log_bg_drain(log_manager_reader(f.t.b.logs));
    for (int i = 0; i < N - 1; i++) {
        fetched(&f, fds[i], 100 + i, &base);
        CU_ASSERT_EQUAL(base, 0);
        close(fds[i]);
    }
    CU_ASSERT_EQUAL(f.t.b.fetch_warming, 0);
    CU_ASSERT_PTR_NULL(f.t.b.fetch_warm_line);
    log_warm_resident = log_warm_cached;
    fx_destroy(&f);
}

/* ---- requests that close their connection, and only that one ------------ */

/* Sends b on a fresh connection and expects the broker to close it without
 * an answer; then checks a second connection, open all along, is served. */
static void expect_closed(struct fixture *f, struct buf *b, int other)
{
    int fd = dial(f);
    uint8_t *frame = NULL;
    size_t len;
    req_send(fd, b);
    CU_ASSERT_EQUAL(await(f, fd, &frame, &len), GOT_CLOSE);
    free(frame);
    close(fd);

    struct buf ok;
    struct proto_reader r;
    req_begin(&ok, 18, 0, 99);
    roundtrip(f, other, &ok, 99, &frame, &r);
    CU_ASSERT_EQUAL(proto_reader_i16(&r), PROTO_ERR_NONE);
    free(frame);
}

static void test_bad_requests_close_only_their_connection(void)
{
    struct fixture f;
    fx_init(&f);
    int other = dial(&f);
    struct buf b;

    req_begin(&b, 9999, 0, 1); /* no such API */
    expect_closed(&f, &b, other);

    req_begin(&b, 1, 99, 2); /* Fetch v99 */
    expect_closed(&f, &b, other);

    req_begin(&b, 3, 1, 3); /* Metadata claiming 1000 topics, holding none */
    pb_i32(&b, 1000);
    expect_closed(&f, &b, other);

    req_begin(&b, 0, 3, 4); /* Produce whose records length runs past the frame */
    pb_str(&b, NULL);
    pb_i16(&b, 1);
    pb_i32(&b, 1000);
    pb_i32(&b, 1);
    pb_str(&b, "orders");
    pb_i32(&b, 1);
    pb_i32(&b, 0);
    pb_i32(&b, 1 << 20);
    pb_i32(&b, 0);
    expect_closed(&f, &b, other);

    buf_init(&b); /* a header cut short: only the api key */
    pb_i32(&b, 0);
    pb_i16(&b, 18);
    expect_closed(&f, &b, other);

    /* Nothing was appended by the refused Produce. */
    struct partition *p = partition_get(&f.t.b, (struct tp){tp_topic_find("orders", 6), 0});
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(log_end_offset(p->log), 0);
    close(other);
    fx_destroy(&f);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"ApiVersions advertises the table and falls back", test_api_versions},
        {"Metadata describes the cluster", test_metadata},
        {"Metadata lists this broker's offline replica, which leads nothing",
         test_metadata_offline_replica},
        {"Produce appends to a led partition and Fetch reads it back", test_produce_then_fetch},
        {"repeated and illegal names are merged or refused as Kafka does",
         test_repeats_are_merged},
        {"fetch waits are bounded", test_fetch_waits_are_bounded},
        {"a cold fetch is answered after the reader read it", test_cold_fetch_waits_for_reader},
        {"a cold fetch sends its bytes when its segment is deleted meanwhile",
         test_cold_fetch_survives_deletion},
        {"a cold fetch is read again when its log is truncated meanwhile",
         test_cold_fetch_after_truncation},
        {"cold fetches beyond the reader's limit wait in line", test_cold_fetches_wait_in_line},
        {"bad requests close only their own connection",
         test_bad_requests_close_only_their_connection},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        {"dispatch", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return test_main("test_dispatch", suites);
}
