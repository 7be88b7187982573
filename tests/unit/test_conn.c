/*
 * Server connections (broker/net/conn.c over link.c and the plaintext
 * transport) on a real libev loop with real loopback sockets. The far end is
 * the test: it writes frames with a plain socket and reads what comes back.
 * The near end's dispatch is a fake API layer that understands one tiny
 * request, {i32 correlation id, i32 command, i32 argument, any padding},
 * and answers it at once, after a wait on the delay facility, with a large
 * body, or with a file range.
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/net/conn.h"
#include "broker/net/conn_quota.h"
#include "broker/net/frame_buf.h"
#include "broker/net/request.h"
#include "broker/net/transport.h"
#include "common/bytes.h"
#include "tests/unit/testutil.h"

enum cmd {
    CMD_NOW = 1,  /* answer at once with arg bytes */
    CMD_WAIT = 2, /* answer after arg ms, through the delay facility */
    CMD_FILE = 3, /* answer with arg bytes of the test file, as a file range */
};

/* The test broker: only what conn.c and request.c touch. */
static struct broker B;
static struct broker_config cfg;
static struct config_listener lcfg = {.name = "PLAINTEXT"};
static struct delay D;
static int file_fd = -1; /* CMD_FILE's data */
static int dispatched;   /* requests the fake API layer saw */
static int cancelled;    /* waits cancelled by a closing connection */
static int waits_live;   /* wait states not freed yet */
static int file_refs;    /* CMD_FILE answers whose file reference is not released yet */

/* A request waiting on the delay facility. */
struct wait {
    struct delay_op op;  /* first: complete() casts back */
    struct request *req; /* referenced while waiting */
    int bytes;           /* the answer's size */
};

/* The body byte at position i of any answer, so content is checked. */
static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + 3);
}

static void answer(struct request *req, int32_t corr, int bytes)
{
    proto_out_begin_response(&req->out, corr);
    uint8_t chunk[4096];
    for (int done = 0; done < bytes;) {
        int n = bytes - done < (int)sizeof(chunk) ? bytes - done : (int)sizeof(chunk);
        for (int i = 0; i < n; i++)
            chunk[i] = pattern((size_t)(done + i));
        buf_append(&req->out.buf, chunk, (size_t)n);
        done += n;
    }
    CU_ASSERT_EQUAL(proto_out_end_response(&req->out), 0);
    request_respond(req);
}

static void wait_complete(struct delay_op *op, bool timed_out)
{
    struct wait *w = (struct wait *)op;
    struct request *req = w->req;
    (void)timed_out;
    req->cancel = NULL;
    req->hstate = NULL;
    if (req->conn)
        answer(req, req->hdr.correlation_id, w->bytes);
    free(w);
    waits_live--;
    request_unref(req);
}

static void wait_cancel(struct request *req)
{
    struct wait *w = req->hstate;
    delay_cancel(&D, &w->op);
    free(w);
    waits_live--;
    cancelled++;
    request_unref(req);
}

static void release_file(void *owner)
{
    (void)owner;
    file_refs--;
}

static void fake_dispatch(struct request *req)
{
    dispatched++;
    CU_ASSERT_FATAL(req->len >= 12);
    int32_t corr = (int32_t)be32_load(req->frame);
    int32_t cmd = (int32_t)be32_load(req->frame + 4), arg = (int32_t)be32_load(req->frame + 8);
    req->hdr.correlation_id = corr;
    if (cmd == CMD_NOW) {
        answer(req, corr, arg);
    } else if (cmd == CMD_WAIT) {
        struct wait *w = calloc(1, sizeof(*w));
        w->req = request_ref(req);
        w->bytes = 16;
        waits_live++;
        req->hstate = w;
        req->cancel = wait_cancel;
        delay_op_init(&w->op, NULL, wait_complete);
        delay_start(&D, &w->op, arg);
    } else {
        proto_out_begin_response(&req->out, corr);
        struct proto_out_file f = {.fd = file_fd, .pos = 0, .len = arg, .release = release_file};
        file_refs++;
        proto_out_add_file(&req->out, &f);
        CU_ASSERT_EQUAL(proto_out_end_response(&req->out), 0);
        request_respond(req);
    }
}

static int setup(void)
{
    memset(&B, 0, sizeof(B));
    broker_config_init(&cfg);
    B.loop = ev_loop_new(EVFLAG_AUTO);
    B.cfg = &cfg;
    B.phase = PHASE_RUNNING;
    B.dispatch = fake_dispatch;
    delay_init(&D, B.loop);
    B.delay = &D;
    dispatched = cancelled = file_refs = 0;
    char *dir = test_tmpdir("conn");
    char path[512];
    snprintf(path, sizeof(path), "%s/records", dir);
    file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    uint8_t data[65536];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = pattern(i); /* 65536 is a multiple of the pattern period */
    for (int i = 0; i < 16; i++)
        CU_ASSERT_EQUAL(pwrite(file_fd, data, sizeof(data), (off_t)i * (off_t)sizeof(data)),
                        (ssize_t)sizeof(data));
    unlink(path);
    test_rmtree(dir);
    free(dir);
    return 0;
}

static void reap(void)
{
    while (B.dead) {
        struct conn *c = B.dead;
        B.dead = c->next;
        conn_free(c);
    }
}

static void teardown(void)
{
    while (B.conns)
        conn_close(B.conns, NULL);
    reap();
    CU_ASSERT_EQUAL(waits_live, 0);
    CU_ASSERT_EQUAL(D.nwaiting, 0);
    CU_ASSERT_EQUAL(file_refs, 0);
    CU_ASSERT_EQUAL(B.budget.bytes, 0);
    CU_ASSERT_EQUAL(B.budget.holders, 0);
    CU_ASSERT_PTR_NULL(B.budget.paused);
    delay_destroy(&D);
    ev_loop_destroy(B.loop);
    broker_config_destroy(&cfg);
    close(file_fd);
}

/* A connected pair: the test's socket (returned) and a conn on the other
 * end. sndbuf > 0 shrinks the server's send buffer. */
static int open_conn(int sndbuf, struct conn **out)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    CU_ASSERT_EQUAL(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    CU_ASSERT_EQUAL(listen(ls, 1), 0);
    getsockname(ls, (struct sockaddr *)&a, &al);
    int cs = socket(AF_INET, SOCK_STREAM, 0);
    if (sndbuf > 0)
        setsockopt(cs, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
    CU_ASSERT_EQUAL(connect(cs, (struct sockaddr *)&a, sizeof(a)), 0);
    int ss = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    close(ls);
    if (sndbuf > 0)
        setsockopt(ss, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    fcntl(cs, F_SETFL, O_NONBLOCK);
    struct conn *c = conn_new(&B, ss, &lcfg, "127.0.0.1:test", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    if (out)
        *out = c;
    return cs;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EAGAIN) {
            ev_run(B.loop, EVRUN_NOWAIT);
            continue;
        }
        CU_ASSERT_FATAL(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static size_t put_request(uint8_t *p, int32_t corr, int32_t cmd, int32_t arg)
{
    be32_store(p, 12);
    be32_store(p + 4, (uint32_t)corr);
    be32_store(p + 8, (uint32_t)cmd);
    be32_store(p + 12, (uint32_t)arg);
    return 16;
}

/* Runs the loop while reading up to want bytes into dst, at most step bytes
 * per read (a slow reader). Returns the bytes read; stops early at EOF
 * (setting *eof) or after timeout_s. */
static size_t drain(int fd, uint8_t *dst, size_t want, size_t step, double timeout_s, bool *eof)
{
    size_t have = 0;
    double end = ev_time() + timeout_s;
    if (eof)
        *eof = false;
    while (have < want && ev_time() < end) {
        ev_run(B.loop, EVRUN_NOWAIT);
        size_t n = want - have < step ? want - have : step;
        ssize_t r = read(fd, dst + have, n);
        if (r > 0) {
            have += (size_t)r;
        } else if (r == 0) {
            if (eof)
                *eof = true;
            break;
        } else {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, 1);
        }
    }
    return have;
}

/* Reads one response; returns its correlation id and checks the body. */
static int32_t read_response(int fd, size_t body, size_t step)
{
    uint8_t hdr[8];
    if (drain(fd, hdr, 8, 8, 10, NULL) != 8)
        return -1;
    CU_ASSERT_EQUAL(be32_load(hdr), 4 + body);
    uint8_t *b = malloc(body + 1);
    size_t got = drain(fd, b, body, step, 20, NULL);
    CU_ASSERT_EQUAL(got, body);
    size_t bad = 0;
    for (size_t i = 0; i < got; i++)
        bad += b[i] != pattern(i);
    CU_ASSERT_EQUAL(bad, 0);
    free(b);
    return (int32_t)be32_load(hdr + 4);
}

/* Runs the loop until the broker has no connection (5 s at most). */
static void run_until_no_conns(void)
{
    double end = ev_time() + 5;
    while (B.nconns && ev_time() < end)
        ev_run(B.loop, EVRUN_ONCE);
}

/* Requests sent in one write, answered out of order by the handlers, come
 * back in the order they were sent. */
static void test_pipelined_in_order(void)
{
    setup();
    int fd = open_conn(0, NULL);
    uint8_t req[16 * 10];
    size_t n = 0;
    for (int i = 0; i < 10; i++)
        n += i % 2 ? put_request(req + n, i, CMD_NOW, 100 + i)
                   : put_request(req + n, i, CMD_WAIT, 60 - 5 * i);
    send_all(fd, req, n);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(read_response(fd, i % 2 ? 100 + (size_t)i : 16, 4096), i);
    CU_ASSERT_EQUAL(dispatched, 10);
    close(fd);
    teardown();
}

/* Large responses through a small send buffer to a slow reader: partial
 * writes of memory and of file ranges resume where they stopped. */
static void test_partial_writes(void)
{
    setup();
    int fd = open_conn(4096, NULL);
    uint8_t req[48];
    size_t n = put_request(req, 1, CMD_NOW, 3 << 20);
    n += put_request(req + n, 2, CMD_FILE, 1 << 20);
    n += put_request(req + n, 3, CMD_NOW, 10);
    send_all(fd, req, n);
    CU_ASSERT_EQUAL(read_response(fd, 3 << 20, 1000), 1);
    CU_ASSERT_EQUAL(read_response(fd, 1 << 20, 777), 2);
    CU_ASSERT_EQUAL(read_response(fd, 10, 1), 3);
    close(fd);
    teardown();
}

/* More requests than queued.max.requests in one go: reading pauses and
 * resumes, and every one is answered, in order. */
static void test_many_queued(void)
{
    setup();
    cfg.queued_max_requests = 16;
    int fd = open_conn(0, NULL);
    enum { N = 2000 };
    uint8_t *req = malloc(16 * N);
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += put_request(req + n, i, i % 100 == 0 ? CMD_WAIT : CMD_NOW, i % 100 == 0 ? 5 : 32);
    send_all(fd, req, n);
    int in_order = 0;
    for (int i = 0; i < N; i++)
        in_order += read_response(fd, i % 100 == 0 ? 16 : 32, 65536) == i;
    CU_ASSERT_EQUAL(in_order, N);
    CU_ASSERT_EQUAL(B.conns->nreq, 0);
    free(req);
    close(fd);
    teardown();
}

/* A size prefix above socket.request.max.bytes closes that connection
 * before any of the frame is read; another connection is not disturbed. */
static void test_oversized_frame(void)
{
    setup();
    cfg.socket_request_max_bytes = 1000;
    struct conn *other;
    int ok = open_conn(0, &other);
    int fd = open_conn(0, NULL);
    CU_ASSERT_EQUAL(B.nconns, 2);
    uint8_t big[4];
    be32_store(big, 1001);
    send_all(fd, big, 4);
    uint8_t sink[8];
    bool eof = false;
    drain(fd, sink, sizeof(sink), sizeof(sink), 5, &eof);
    CU_ASSERT(eof);
    CU_ASSERT_EQUAL(B.nconns, 1);
    CU_ASSERT_PTR_EQUAL(B.conns, other);
    CU_ASSERT_EQUAL(dispatched, 0);
    uint8_t req[16];
    send_all(ok, req, put_request(req, 7, CMD_NOW, 5));
    CU_ASSERT_EQUAL(read_response(ok, 5, 64), 7);
    close(fd);
    close(ok);
    teardown();
}

/* The client goes away while its request waits on the delay facility: the
 * wait is cancelled through the request's cancel hook, nothing completes
 * later, and everything is freed (the ASan build checks the last part). */
static void test_disconnect_while_waiting(void)
{
    setup();
    int fd = open_conn(0, NULL);
    uint8_t req[32];
    size_t n = put_request(req, 1, CMD_WAIT, 60000);
    n += put_request(req + n, 2, CMD_NOW, 8); /* done, but queued behind 1 */
    send_all(fd, req, n);
    uint8_t sink[1];
    drain(fd, sink, 1, 1, 0.2, NULL);
    CU_ASSERT_EQUAL(dispatched, 2);
    CU_ASSERT_EQUAL(D.nwaiting, 1);
    close(fd);
    run_until_no_conns();
    CU_ASSERT_EQUAL(B.nconns, 0);
    CU_ASSERT_EQUAL(cancelled, 1);
    CU_ASSERT_EQUAL(waits_live, 0);
    CU_ASSERT_EQUAL(D.nwaiting, 0);
    teardown();
}

/* A frame cut short by the client closes quietly with nothing dispatched. */
static void test_half_frame_then_close(void)
{
    setup();
    int fd = open_conn(0, NULL);
    uint8_t req[16];
    put_request(req, 1, CMD_NOW, 8);
    send_all(fd, req, 10);
    uint8_t sink[1];
    drain(fd, sink, 1, 1, 0.1, NULL);
    close(fd);
    run_until_no_conns();
    CU_ASSERT_EQUAL(B.nconns, 0);
    CU_ASSERT_EQUAL(dispatched, 0);
    teardown();
}

/* connections.max.idle.ms closes a silent connection, but not one whose
 * request is still being answered. */
static void test_idle_close(void)
{
    setup();
    cfg.connections_max_idle_ms = 100;
    int silent = open_conn(0, NULL);
    struct conn *busy_conn;
    int busy = open_conn(0, &busy_conn);
    uint8_t req[16];
    send_all(busy, req, put_request(req, 1, CMD_WAIT, 400));
    uint8_t sink[1];
    bool eof = false;
    drain(silent, sink, 1, 1, 2, &eof);
    CU_ASSERT(eof);
    CU_ASSERT_EQUAL(B.nconns, 1);
    CU_ASSERT_PTR_EQUAL(B.conns, busy_conn);
    CU_ASSERT_EQUAL(read_response(busy, 16, 16), 1);
    close(silent);
    close(busy);
    teardown();
}

/* The fallback for transports that cannot use sendfile (TLS, or a file
 * system without it) sends the same bytes through memory, in pieces. */
static void test_copy_fallback(void)
{
    setup();
    int sv[2];
    CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct transport t;
    transport_plain_init(&t, sv[0]);
    uint8_t got[40000];
    size_t have = 0;
    while (have < sizeof(got)) {
        ssize_t n = transport_copy_file(&t, file_fd, 1000 + (int64_t)have, sizeof(got) - have);
        CU_ASSERT_FATAL(n > 0);
        for (ssize_t r = 0; r < n;) {
            ssize_t k = read(sv[1], got + have + r, (size_t)(n - r));
            CU_ASSERT_FATAL(k > 0);
            r += k;
        }
        have += (size_t)n;
    }
    size_t bad = 0;
    for (size_t i = 0; i < sizeof(got); i++)
        bad += got[i] != pattern(1000 + i);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(transport_copy_file(&t, file_fd, 16 << 16, 100), 0); /* past the end */
    transport_close(&t);
    CU_ASSERT_EQUAL(t.fd, -1);
    close(sv[1]);
    teardown();
}

/* Runs the loop for about s seconds. */
static void run_for(double s)
{
    double end = ev_time() + s;
    while (ev_time() < end) {
        ev_run(B.loop, EVRUN_NOWAIT);
        struct pollfd p = {.fd = -1};
        poll(&p, 0, 1);
    }
}

/* Writes as much of p[0..n) as the socket takes now, running the loop in
 * between, for at most s seconds; returns the bytes written. A client that
 * never reads stops being able to write once the broker stops reading. */
static size_t send_some(int fd, const uint8_t *p, size_t n, double s)
{
    size_t done = 0;
    double end = ev_time() + s;
    while (done < n && ev_time() < end) {
        ssize_t w = write(fd, p + done, n - done);
        if (w > 0)
            done += (size_t)w;
        ev_run(B.loop, EVRUN_NOWAIT);
        if (w <= 0) {
            struct pollfd pf = {.fd = -1};
            poll(&pf, 0, 1);
        }
    }
    return done;
}

/* A client that sends and does not read: once gregor.queued.max.response.bytes
 * of answers wait, the connection stops reading; when the client reads
 * again every answer arrives, in order. */
static void test_output_cap_pauses_reading(void)
{
    setup();
    cfg.queued_max_response_bytes = 64 * 1024;
    struct conn *c;
    int fd = open_conn(4096, &c);
    enum { N = 400, ANSWER = 16 * 1024 };
    uint8_t *req = malloc(16 * N);
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += put_request(req + n, i, CMD_NOW, ANSWER);
    size_t sent = send_some(fd, req, n, 0.5);
    CU_ASSERT(dispatched < 40);
    CU_ASSERT(c->out_bytes <= (size_t)cfg.queued_max_response_bytes + ANSWER);
    CU_ASSERT(!c->link.reading);
    /* The client reads again: everything comes back in order. */
    int in_order = 0;
    for (int i = 0; i < N; i++) {
        ssize_t w = sent < n ? write(fd, req + sent, n - sent) : 0;
        sent += w > 0 ? (size_t)w : 0;
        in_order += read_response(fd, ANSWER, 65536) == i;
    }
    CU_ASSERT_EQUAL(in_order, N);
    free(req);
    close(fd);
    teardown();
}

/* A client that sends and never reads is closed after
 * connections.max.idle.ms without write progress, and the file references
 * its answers held (deleted segments stay open through them) are released.
 * A slow reader that keeps making progress is not closed. */
static void test_not_reading_client_closed(void)
{
    setup();
    cfg.connections_max_idle_ms = 300;
    struct conn *slow_conn;
    int stuck = open_conn(4096, NULL);
    int slow = open_conn(4096, &slow_conn);
    uint8_t req[16 * 20];
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n += put_request(req + n, i, CMD_FILE, 256 * 1024);
    send_all(stuck, req, n);
    send_all(slow, req, put_request(req, 1, CMD_FILE, 1 << 20));
    /* The slow one reads 256 bytes every 10 ms: about 25 KB/s. */
    uint8_t sink[256];
    size_t got = 0;
    double end = ev_time() + 3;
    while (ev_time() < end && B.nconns == 2) {
        ssize_t r = read(slow, sink, sizeof(sink));
        got += r > 0 ? (size_t)r : 0;
        run_for(0.01);
    }
    CU_ASSERT_EQUAL(B.nconns, 1);
    CU_ASSERT_PTR_EQUAL(B.conns, slow_conn);
    CU_ASSERT(file_refs <= 1); /* only the slow reader's answer */
    CU_ASSERT(got > 0);
    close(stuck);
    close(slow);
    teardown();
}

/* Pads a request to size bytes of frame (size >= 12). */
static size_t put_padded(uint8_t *p, int32_t corr, int32_t cmd, int32_t arg, size_t size)
{
    put_request(p, corr, cmd, arg);
    be32_store(p, (uint32_t)size);
    memset(p + 16, 0, size - 12);
    return 4 + size;
}

/* queued.max.request.bytes: the connection holding most of the budget
 * stops reading; another one is still served at once; when the first one's
 * answers go out it reads again and everything is answered in order. */
static void test_budget_pauses_the_heaviest(void)
{
    setup();
    cfg.queued_max_request_bytes = 64 * 1024;
    struct conn *heavy_conn;
    int heavy = open_conn(0, &heavy_conn);
    int light = open_conn(0, NULL);
    enum { N = 40, SIZE = 8 * 1024 };
    uint8_t *req = malloc((size_t)N * (SIZE + 4));
    size_t n = 0;
    for (int i = 0; i < N; i++)
        n += put_padded(req + n, i, CMD_WAIT, 100, SIZE);
    send_all(heavy, req, n);
    run_for(0.05);
    CU_ASSERT(heavy_conn->nreq <= 9);
    CU_ASSERT(heavy_conn->budget_paused);
    CU_ASSERT(B.budget.bytes <= cfg.queued_max_request_bytes + SIZE);
    uint8_t small[16];
    send_all(light, small, put_request(small, 77, CMD_NOW, 8));
    CU_ASSERT_EQUAL(read_response(light, 8, 64), 77);
    int in_order = 0;
    for (int i = 0; i < N; i++)
        in_order += read_response(heavy, 16, 64) == i;
    CU_ASSERT_EQUAL(in_order, N);
    free(req);
    close(heavy);
    close(light);
    teardown();
}

/* A connection holding nothing always gets one request answered, even one
 * larger than the whole budget, and even while another connection holds
 * the budget with requests that wait. */
static void test_budget_never_deadlocks(void)
{
    setup();
    cfg.queued_max_request_bytes = 1000;
    int holder = open_conn(0, NULL);
    uint8_t *req = malloc(200 * 1024);
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        n += put_padded(req + n, i, CMD_WAIT, 400, 2000);
    send_all(holder, req, n);
    run_for(0.05);
    CU_ASSERT(B.budget.bytes >= 1000);
    int fd = open_conn(0, NULL);
    send_all(fd, req, put_padded(req, 5, CMD_NOW, 10, 100 * 1024));
    CU_ASSERT_EQUAL(read_response(fd, 10, 64), 5);
    send_all(fd, req, put_padded(req, 6, CMD_NOW, 10, 300));
    CU_ASSERT_EQUAL(read_response(fd, 10, 64), 6);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(read_response(holder, 16, 64), i);
    free(req);
    close(fd);
    close(holder);
    teardown();
}

/* max.connections.per.ip with an override, max.connections, and slots
 * given back; the derived default leaves the reserve below the open-file
 * limit. */
static void test_quota(void)
{
    struct broker_config qc;
    char err[256];
    broker_config_init(&qc);
    CU_ASSERT_EQUAL(broker_config_set(&qc, "max.connections.per.ip", "2", CONFIG_SRC_FILE, err,
                                      sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_set(&qc, "max.connections.per.ip.overrides",
                                      "127.0.0.2:3, localhost:0", CONFIG_SRC_FILE, err,
                                      sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_set(&qc, "max.connections", "6", CONFIG_SRC_FILE, err,
                                      sizeof(err)), 0);
    CU_ASSERT_EQUAL_FATAL(broker_config_finalize(&qc, err, sizeof(err)), 0);
    struct conn_quota *q = conn_quota_new(&qc, 0, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT_EQUAL(conn_quota_max(q), 6);
    CU_ASSERT_EQUAL(conn_quota_ip_limit(q, "127.0.0.1"), 0); /* localhost:0 */
    CU_ASSERT_EQUAL(conn_quota_ip_limit(q, "10.1.1.1"), 2);
    int live = 0;
    CU_ASSERT_EQUAL(conn_quota_admit(q, "127.0.0.1", live), CONN_QUOTA_PER_IP);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(conn_quota_admit(q, "10.1.1.1", live++), CONN_QUOTA_OK);
    CU_ASSERT_EQUAL(conn_quota_admit(q, "10.1.1.1", live), CONN_QUOTA_PER_IP);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(conn_quota_admit(q, "127.0.0.2", live++), CONN_QUOTA_OK);
    CU_ASSERT_EQUAL(conn_quota_admit(q, "127.0.0.2", live), CONN_QUOTA_PER_IP);
    CU_ASSERT_EQUAL(conn_quota_admit(q, "10.2.2.2", live++), CONN_QUOTA_OK);
    CU_ASSERT_EQUAL(conn_quota_admit(q, "10.3.3.3", live), CONN_QUOTA_TOTAL);
    conn_quota_release(q, "10.1.1.1");
    live--;
    CU_ASSERT_EQUAL(conn_quota_admit(q, "10.1.1.1", live++), CONN_QUOTA_OK);
    conn_quota_free(q);
    /* Not set: what the open-file limit leaves. */
    CU_ASSERT_EQUAL(broker_config_set(&qc, "max.connections", "2147483647", CONFIG_SRC_DEFAULT,
                                      err, sizeof(err)), 0);
    q = conn_quota_new(&qc, 10, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CU_ASSERT(conn_quota_max(q) <= (int64_t)rl.rlim_cur - conn_quota_reserve(3, 10));
    conn_quota_free(q);
    /* A bad override is refused with the key named. */
    CU_ASSERT_EQUAL(broker_config_set(&qc, "max.connections.per.ip.overrides", "hostonly",
                                      CONFIG_SRC_FILE, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(broker_config_finalize(&qc, err, sizeof(err)), GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "max.connections.per.ip.overrides"));
    broker_config_destroy(&qc);
}

/* request_fail() closes with the reason it was given (out of memory is not
 * "a response could not be encoded"). */
static char fail_reason[256];
static void fail_kick(struct conn *c, struct request *req)
{
    (void)c;
    (void)req;
}
static void fail_close(struct conn *c, const char *why)
{
    (void)c;
    snprintf(fail_reason, sizeof(fail_reason), "%s", why);
}
static const char *fail_peer(const struct conn *c)
{
    (void)c;
    return "127.0.0.1:1";
}

static void test_request_fail_reason(void)
{
    setup();
    static const struct request_conn_ops ops = {fail_kick, fail_close, fail_peer};
    struct conn *fake = (struct conn *)&ops; /* never dereferenced by these ops */
    const char *whys[] = {"out of memory", "cannot encode the Fetch response (out of memory)"};
    for (size_t i = 0; i < 2; i++) {
        uint8_t *frame = frame_buf_alloc(8, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(frame);
        memset(frame, 0, 8);
        struct request *req = request_new(&B, fake, &ops, frame, 8);
        CU_ASSERT_PTR_NOT_NULL_FATAL(req);
        fail_reason[0] = 0;
        request_fail(req, whys[i]);
        CU_ASSERT_STRING_EQUAL(fail_reason, whys[i]);
        CU_ASSERT_EQUAL(req->state, REQ_NO_RESPONSE);
        request_unref(req);
    }
    teardown();
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"pipelined requests are answered in order", test_pipelined_in_order},
        {"partial writes of memory and file ranges resume", test_partial_writes},
        {"more requests than queued.max.requests are all answered", test_many_queued},
        {"an oversized frame closes only its connection", test_oversized_frame},
        {"a disconnect cancels a request waiting on the delay facility",
         test_disconnect_while_waiting},
        {"a half-sent frame then close dispatches nothing", test_half_frame_then_close},
        {"an idle connection closes, a busy one does not", test_idle_close},
        {"the sendfile fallback copies the same bytes", test_copy_fallback},
        {"gregor.queued.max.response.bytes pauses reading until output drains",
         test_output_cap_pauses_reading},
        {"a client that never reads is closed and its file references released",
         test_not_reading_client_closed},
        {"queued.max.request.bytes pauses the heaviest connection only",
         test_budget_pauses_the_heaviest},
        {"a connection holding nothing always gets one request answered",
         test_budget_never_deadlocks},
        {"max.connections, max.connections.per.ip and overrides", test_quota},
        {"request_fail closes with its own reason", test_request_fail_reason},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"conn", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_conn", suites);
}
