/*
 * The broker's client connections (broker/net/client.c) on a real libev
 * loop with real loopback sockets. The far end is a fake broker on the same
 * loop that decodes each request header with the real decoder and then
 * echoes the body, holds requests until the test answers them (in any
 * order), or closes in the middle of a response.
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/net/client.h"
#include "broker/proto/proto_api.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

enum fake_mode {
    FAKE_ECHO,      /* answer each request at once with its body */
    FAKE_HOLD,      /* keep requests until fake_answer() */
    FAKE_CLOSE_MID, /* send half of a response to the first request, then close */
};

#define HELD_MAX 16

/* One request the fake broker read. */
struct held {
    struct proto_RequestHeader h; /* decoded header (client_id copied below) */
    char client_id[32];           /* its client id */
    uint8_t body[64];             /* the body */
    size_t len;                   /* its bytes */
};

struct fake {
    int lfd;                    /* listening socket, -1 when not listening */
    int port;                   /* its port */
    ev_io accept_io;            /* accepting */
    int fd;                     /* the current connection, -1 if none */
    ev_io io;                   /* its reads */
    uint8_t in[4096];           /* bytes read, not yet a whole frame */
    size_t inlen;               /* bytes in in */
    enum fake_mode mode;        /* behaviour */
    int accepted;               /* connections accepted */
    struct held held[HELD_MAX]; /* requests read, in order */
    int nheld;                  /* entries */
};

static struct ev_loop *loop;
static struct fake F;

/* What a callback saw. */
struct res {
    int calls;               /* must end at 1 */
    int err;                 /* its err */
    uint8_t body[64];        /* its body */
    size_t len;              /* bytes of body */
    struct client **free_it; /* the callback frees this client */
    struct res *order_log;   /* the callback records its index here */
};

static int order[16], norder;
static int calls_total; /* callbacks run, over every request */

static void rec_cb(int err, const uint8_t *body, size_t len, void *opaque)
{
    struct res *r = opaque;
    r->calls++;
    calls_total++;
    r->err = err;
    r->len = len < sizeof(r->body) ? len : sizeof(r->body);
    if (body)
        memcpy(r->body, body, r->len);
    if (r->order_log && norder < 16)
        order[norder++] = (int)(r - r->order_log);
    if (r->free_it && *r->free_it) {
        struct client *c = *r->free_it;
        *r->free_it = NULL;
        client_free(c);
    }
}

static void fake_respond(const struct held *q, const uint8_t *body, size_t len, size_t cut)
{
    struct buf b;
    buf_init(&b);
    buf_put_i32(&b, 0);
    buf_put_i32(&b, q->h.correlation_id);
    if (proto_header_response_version(q->h.request_api_key, q->h.request_api_version) == 1)
        buf_put_uvarint(&b, 0);
    buf_append(&b, body, len);
    buf_patch_i32(&b, 0, (int32_t)(b.len - 4));
    size_t n = cut ? cut : b.len;
    CU_ASSERT_EQUAL(write(F.fd, b.data, n), (ssize_t)n);
    buf_destroy(&b);
}

static void fake_drop(void)
{
    if (F.fd < 0)
        return;
    ev_io_stop(loop, &F.io);
    close(F.fd);
    F.fd = -1;
    F.inlen = 0;
}

static void fake_read_cb(struct ev_loop *l, ev_io *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    ssize_t n = read(F.fd, F.in + F.inlen, sizeof(F.in) - F.inlen);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            fake_drop();
        return;
    }
    F.inlen += (size_t)n;
    while (F.fd >= 0 && F.inlen >= 4 && F.inlen >= 4 + be32_load(F.in)) {
        size_t size = be32_load(F.in);
        CU_ASSERT_FATAL(F.nheld < HELD_MAX);
        struct held *q = &F.held[F.nheld++];
        struct proto_reader r;
        proto_reader_init(&r, F.in + 4, size);
        CU_ASSERT_EQUAL(proto_header_decode(&r, &q->h), 0);
        snprintf(q->client_id, sizeof(q->client_id), "%.*s", (int)q->h.client_id.len,
                 q->h.client_id.ptr ? q->h.client_id.ptr : "");
        q->len = proto_reader_remaining(&r);
        CU_ASSERT_FATAL(q->len <= sizeof(q->body));
        memcpy(q->body, F.in + 4 + r.pos, q->len);
        memmove(F.in, F.in + 4 + size, F.inlen - 4 - size);
        F.inlen -= 4 + size;
        if (F.mode == FAKE_ECHO) {
            fake_respond(q, q->body, q->len, 0);
        } else if (F.mode == FAKE_CLOSE_MID) {
            fake_respond(q, q->body, q->len, 6);
            fake_drop();
        }
    }
}

static void fake_accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    int fd = accept4(F.lfd, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0)
        return;
    fake_drop(); /* one connection at a time: the client's newest */
    F.fd = fd;
    F.accepted++;
    ev_io_init(&F.io, fake_read_cb, fd, EV_READ);
    ev_io_start(loop, &F.io);
}

/* Starts listening on port (0: any). Returns the port. */
static int fake_listen(int port)
{
    F.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(F.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    CU_ASSERT_EQUAL_FATAL(bind(F.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    CU_ASSERT_EQUAL_FATAL(listen(F.lfd, 8), 0);
    getsockname(F.lfd, (struct sockaddr *)&a, &al);
    F.port = ntohs(a.sin_port);
    ev_io_init(&F.accept_io, fake_accept_cb, F.lfd, EV_READ);
    ev_io_start(loop, &F.accept_io);
    return F.port;
}

/* A port nobody listens on right now. */
static int unused_port(void)
{
    int port = fake_listen(0);
    ev_io_stop(loop, &F.accept_io);
    close(F.lfd);
    F.lfd = -1;
    return port;
}

static void setup(enum fake_mode mode)
{
    loop = ev_loop_new(EVFLAG_AUTO);
    memset(&F, 0, sizeof(F));
    F.fd = F.lfd = -1;
    F.mode = mode;
    norder = calls_total = 0;
}

static void teardown(void)
{
    fake_drop();
    if (F.lfd >= 0) {
        ev_io_stop(loop, &F.accept_io);
        close(F.lfd);
    }
    ev_loop_destroy(loop);
}

static struct client *new_client(int port, int max_in_flight)
{
    struct client_config cfg = {.host = "127.0.0.1",
                                .port = port,
                                .client_id = "test-client",
                                .max_in_flight = max_in_flight,
                                .backoff_ms = 20,
                                .backoff_max_ms = 200};
    struct client *c = client_new(loop, &cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static void tick(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
}

/* Runs the loop until *counter >= n or timeout_s passes. */
static bool run_until(const int *counter, int n, double timeout_s)
{
    double end = ev_time() + timeout_s;
    while (*counter < n && ev_time() < end) {
        ev_timer t;
        ev_timer_init(&t, tick, 0.01, 0);
        ev_timer_start(loop, &t);
        ev_run(loop, EVRUN_ONCE);
        ev_timer_stop(loop, &t);
    }
    return *counter >= n;
}

static void spin(double secs)
{
    int never = 0;
    run_until(&never, 1, secs);
}

static int send_str(struct client *c, int16_t key, int16_t ver, const char *body, int timeout_ms,
                    struct res *r)
{
    return client_send(c, key, ver, (const uint8_t *)body, strlen(body), timeout_ms, rec_cb, r);
}

/* Held requests answered in reverse order reach their own callbacks; the
 * header carries distinct correlation ids, the client id, and for a
 * flexible version header v2, whose response header v1 (tagged fields) is
 * read. */
static void test_correlation_matching(void)
{
    setup(FAKE_HOLD);
    struct client *c = new_client(fake_listen(0), 5);
    struct res r[3] = {{0}};
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "zero", 5000, &r[0]), 0);
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 9, "one", 5000, &r[1]), 0);
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_API_VERSIONS, 3, "two", 5000, &r[2]), 0);
    CU_ASSERT_EQUAL(calls_total, 0); /* never inside client_send */
    CU_ASSERT_EQUAL(F.nheld, 0);     /* nothing written before the loop runs */
    CU_ASSERT(run_until(&F.nheld, 3, 5));
    CU_ASSERT_EQUAL(F.held[0].h.header_version, 1);
    CU_ASSERT_EQUAL(F.held[1].h.header_version, 2);
    CU_ASSERT_EQUAL(F.held[2].h.header_version, 2);
    CU_ASSERT_STRING_EQUAL(F.held[1].client_id, "test-client");
    CU_ASSERT_NOT_EQUAL(F.held[0].h.correlation_id, F.held[1].h.correlation_id);
    CU_ASSERT_NOT_EQUAL(F.held[1].h.correlation_id, F.held[2].h.correlation_id);
    for (int i = 2; i >= 0; i--)
        fake_respond(&F.held[i], F.held[i].body, F.held[i].len, 0);
    CU_ASSERT(run_until(&calls_total, 3, 5));
    const char *want[3] = {"zero", "one", "two"};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(r[i].calls, 1);
        CU_ASSERT_EQUAL(r[i].err, 0);
        CU_ASSERT_EQUAL(r[i].len, strlen(want[i]));
        CU_ASSERT_NSTRING_EQUAL(r[i].body, want[i], strlen(want[i]));
    }
    CU_ASSERT_EQUAL(client_send(c, 999, 0, NULL, 0, 100, rec_cb, &r[0]), GR_E_INVALID);
    client_free(c);
    CU_ASSERT_EQUAL(calls_total, 3);
    teardown();
}

/* A request still waiting for a slot times out alone; one that was sent
 * times out and takes the connection down, failing the others sent on it,
 * while a request that was waiting goes out on the next connection. */
static void test_timeouts(void)
{
    setup(FAKE_HOLD);
    struct client *c = new_client(fake_listen(0), 2);
    struct res r[4] = {{0}};
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "a", 300, &r[0]), 0);
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "b", 5000, &r[1]), 0);
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "c", 100, &r[2]), 0);
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "d", 5000, &r[3]), 0);
    CU_ASSERT(run_until(&r[2].calls, 1, 5));
    CU_ASSERT_EQUAL(r[2].err, GR_E_TIMEOUT); /* waited, never sent */
    CU_ASSERT_EQUAL(F.nheld, 2);
    CU_ASSERT_EQUAL(calls_total, 1);
    F.mode = FAKE_ECHO; /* the next connection answers */
    CU_ASSERT(run_until(&calls_total, 4, 5));
    CU_ASSERT_EQUAL(r[0].err, GR_E_TIMEOUT);
    CU_ASSERT_EQUAL(r[1].err, GR_E_NETWORK);
    CU_ASSERT_EQUAL(r[3].err, 0);
    CU_ASSERT_EQUAL(F.accepted, 2);
    spin(0.1);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(r[i].calls, 1);
    client_free(c);
    teardown();
}

/* At most max_in_flight requests are on the wire; the rest wait and follow
 * as answers free slots, in send order. */
static void test_bounded_in_flight(void)
{
    setup(FAKE_HOLD);
    struct client *c = new_client(fake_listen(0), 2);
    struct res r[5] = {{0}};
    for (int i = 0; i < 5; i++) {
        r[i].order_log = r;
        CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "x", 5000, &r[i]), 0);
    }
    CU_ASSERT(run_until(&F.nheld, 2, 5));
    spin(0.05);
    CU_ASSERT_EQUAL(F.nheld, 2);
    CU_ASSERT_EQUAL(client_in_flight(c), 2);
    CU_ASSERT_EQUAL(client_waiting(c), 3);
    for (int answered = 0; answered < 5; answered++) {
        CU_ASSERT(run_until(&F.nheld, answered + 1, 5));
        fake_respond(&F.held[answered], (const uint8_t *)"y", 1, 0);
        CU_ASSERT(run_until(&calls_total, answered + 1, 5));
        CU_ASSERT(client_in_flight(c) <= 2);
    }
    CU_ASSERT_EQUAL(norder, 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(order[i], i);
        CU_ASSERT_EQUAL(r[i].calls, 1);
    }
    client_free(c);
    teardown();
}

/* Nobody listens at first: connects are refused and retried with backoff;
 * once the listener appears the waiting request goes out and is answered. */
static void test_reconnect_with_backoff(void)
{
    setup(FAKE_ECHO);
    int port = unused_port();
    struct client *c = new_client(port, 1);
    struct res r = {0};
    CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "late", 10000, &r), 0);
    spin(0.4);
    CU_ASSERT_EQUAL(r.calls, 0);
    CU_ASSERT_EQUAL(client_waiting(c), 1);
    double start = ev_time();
    fake_listen(port);
    CU_ASSERT(run_until(&r.calls, 1, 5));
    CU_ASSERT_EQUAL(r.err, 0);
    CU_ASSERT_NSTRING_EQUAL(r.body, "late", 4);
    /* 20, 40, 80, 160 ms: by now at the 200 ms cap, so the next try comes
     * within it, not at once and not much later. */
    CU_ASSERT(ev_time() - start < 0.5);
    client_free(c);
    teardown();
}

/* The broker closes half-way through a response: every request in flight
 * fails exactly once with GR_E_NETWORK; the one still waiting goes out on a
 * new connection. */
static void test_close_mid_response(void)
{
    setup(FAKE_CLOSE_MID);
    struct client *c = new_client(fake_listen(0), 3);
    struct res r[4] = {{0}};
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "m", 5000, &r[i]), 0);
    CU_ASSERT(run_until(&calls_total, 3, 5));
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(r[i].err, GR_E_NETWORK);
    F.mode = FAKE_ECHO;
    CU_ASSERT(run_until(&calls_total, 4, 5));
    CU_ASSERT_EQUAL(r[3].err, 0);
    spin(0.1);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(r[i].calls, 1);
    client_free(c);
    teardown();
}

/* client_free cancels everything, in flight and waiting, before it
 * returns; a callback may free the client, and the remaining callbacks
 * still run once each. */
static void test_close_with_outstanding(void)
{
    setup(FAKE_HOLD);
    struct client *c = new_client(fake_listen(0), 2);
    struct res r[4] = {{0}};
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(send_str(c, PROTO_API_METADATA, 4, "q", 5000, &r[i]), 0);
    CU_ASSERT(run_until(&F.nheld, 2, 5));
    client_free(c);
    CU_ASSERT_EQUAL(calls_total, 4);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(r[i].calls, 1);
        CU_ASSERT_EQUAL(r[i].err, GR_E_CANCELLED);
    }

    /* Now from inside the first answer's callback. */
    struct client *c2 = new_client(F.port, 2);
    struct res s[3] = {{0}};
    s[0].free_it = &c2;
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(send_str(c2, PROTO_API_METADATA, 4, "q", 5000, &s[i]), 0);
    CU_ASSERT(run_until(&F.nheld, 4, 5));
    fake_respond(&F.held[2], (const uint8_t *)"z", 1, 0);
    CU_ASSERT(run_until(&s[0].calls, 1, 5));
    CU_ASSERT_PTR_NULL(c2);
    CU_ASSERT_EQUAL(s[0].err, 0);
    CU_ASSERT_EQUAL(s[1].err, GR_E_CANCELLED);
    CU_ASSERT_EQUAL(s[2].err, GR_E_CANCELLED);
    spin(0.05); /* the client's memory goes on this iteration */
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(s[i].calls, 1);
    teardown();
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"responses are matched by correlation id", test_correlation_matching},
        {"timeouts, before and after sending", test_timeouts},
        {"in flight stays bounded, the rest follow in order", test_bounded_in_flight},
        {"reconnect with backoff to a listener that appears later", test_reconnect_with_backoff},
        {"a close mid-response fails each request in flight once", test_close_mid_response},
        {"client_free with requests outstanding, also from a callback",
         test_close_with_outstanding},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"client", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_client", suites);
}
