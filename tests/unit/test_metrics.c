/*
 * The metrics endpoint's parts that need no broker (broker/metrics/): the
 * HTTP request head parser (complete, partial, oversized, bad method, path
 * and version, garbage), the exposition renderer (names, labels, escaping,
 * quantiles, histogram buckets) and the HTTP server itself on a real loop
 * with real sockets (a scrape, a head over the limit, the connection cap).
 */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/core/metrics.h"
#include "broker/metrics/metrics_http.h"
#include "broker/metrics/metrics_http_parse.h"
#include "broker/metrics/metrics_render.h"
#include "tests/unit/testutil.h"

/* ---- the parser ---------------------------------------------------------- */

static int parse(const char *s, size_t len, bool *head_only)
{
    struct metrics_http_req r;
    if (!metrics_http_parse(s, len, METRICS_HTTP_HEAD_MAX, &r))
        return 0;
    if (head_only)
        *head_only = r.head_only;
    return r.status;
}

static int parse_str(const char *s)
{
    return parse(s, strlen(s), NULL);
}

static void test_parse_good(void)
{
    bool head = true;
    const char *get = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9404\r\nUser-Agent: Prometheus/2.42.0"
                      "\r\nAccept: text/plain;version=0.0.4\r\n\r\n";
    CU_ASSERT_EQUAL(parse(get, strlen(get), &head), 200);
    CU_ASSERT_FALSE(head);
    CU_ASSERT_EQUAL(parse_str("GET /metrics HTTP/1.0\r\n\r\n"), 200);
    CU_ASSERT_EQUAL(parse_str("GET /metrics?name[]=x HTTP/1.1\n\n"), 200); /* bare LF, a query */
    CU_ASSERT_EQUAL(parse("HEAD /metrics HTTP/1.1\r\n\r\n", 26, &head), 200);
    CU_ASSERT_TRUE(head);
}

/* Every strict prefix of a request is incomplete; the whole is answered,
 * whatever follows it (a body, a pipelined second request). */
static void test_parse_partial(void)
{
    const char *get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\n\r\n";
    size_t whole = strlen("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    for (size_t n = 0; n < whole; n++)
        CU_ASSERT_EQUAL(parse(get, n, NULL), 0);
    for (size_t n = whole; n <= strlen(get); n++)
        CU_ASSERT_EQUAL(parse(get, n, NULL), 200);
}

static void test_parse_oversized(void)
{
    size_t n = METRICS_HTTP_HEAD_MAX + 100;
    char *big = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX-Pad: ", 30);
    memset(big + 30, 'a', n - 30);
    CU_ASSERT_EQUAL(parse(big, METRICS_HTTP_HEAD_MAX - 1, NULL), 0); /* may still end */
    CU_ASSERT_EQUAL(parse(big, METRICS_HTTP_HEAD_MAX, NULL), 431);
    CU_ASSERT_EQUAL(parse(big, n, NULL), 431);
    /* An end beyond the limit does not count: the head is too large. */
    memcpy(big + METRICS_HTTP_HEAD_MAX + 10, "\r\n\r\n", 4);
    CU_ASSERT_EQUAL(parse(big, n, NULL), 431);
    free(big);
}

static void test_parse_errors(void)
{
    CU_ASSERT_EQUAL(parse_str("POST /metrics HTTP/1.1\r\n\r\n"), 405);
    CU_ASSERT_EQUAL(parse_str("DELETE / HTTP/1.1\r\n\r\n"), 405);
    CU_ASSERT_EQUAL(parse_str("get /metrics HTTP/1.1\r\n\r\n"), 405); /* methods are case-sensitive */
    CU_ASSERT_EQUAL(parse_str("GET / HTTP/1.1\r\n\r\n"), 404);
    CU_ASSERT_EQUAL(parse_str("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
    CU_ASSERT_EQUAL(parse_str("GET /metrics/ HTTP/1.1\r\n\r\n"), 404);
    CU_ASSERT_EQUAL(parse_str("GET /metrics HTTP/2.0\r\n\r\n"), 505);
    CU_ASSERT_EQUAL(parse_str("GET /metrics HTTP/1.2\r\n\r\n"), 505);
    CU_ASSERT_EQUAL(parse_str("GET /metrics FTP/1.1\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse_str("GET /metrics\r\n\r\n"), 400);       /* HTTP/0.9 style */
    CU_ASSERT_EQUAL(parse_str("GET  /metrics HTTP/1.1\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse_str(" GET /metrics HTTP/1.1\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse_str("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse_str("GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse_str("\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(parse("GET /met\0rics HTTP/1.1\r\n\r\n", 26, NULL), 400);
    CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nA: \x01\r\n\r\n", 31, NULL), 400);
    /* Random bytes never crash it and never serve the page. */
    uint64_t seed = test_seed("test_metrics");
    char junk[512];
    for (int round = 0; round < 20000; round++) {
        size_t n = test_rand(&seed) % sizeof(junk);
        for (size_t i = 0; i < n; i++)
            junk[i] = test_rand(&seed) % 4 ? (char)test_rand(&seed) : "\r\n :/"[test_rand(&seed) % 5];
        int st = parse(junk, n, NULL);
        CU_ASSERT_TRUE(st == 0 || st == 400 || st == 404 || st == 405 || st == 505);
    }
}

/* ---- the renderer -------------------------------------------------------- */

static const char *names(int16_t k)
{
    return k == 0 ? "Produce" : k == 1 ? "Fetch" : k == METRICS_FETCH_CONSUMER ? "FetchConsumer" : NULL;
}

static char *render(const struct metrics *m, const struct metrics_snapshot *s)
{
    struct buf b;
    buf_init(&b);
    metrics_render(m, s, names, &b);
    buf_append(&b, "", 1);
    CU_ASSERT_FALSE(buf_failed(&b));
    return (char *)buf_steal(&b, &(size_t){0});
}

/* Whether page has the line exactly. */
static bool has_line(const char *page, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = page; (p = strstr(p, line)); p += n)
        if ((p == page || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

#define CHECK_LINE(page, line)                                                                     \
    do {                                                                                           \
        if (!has_line(page, line))                                                                 \
            fprintf(stderr, "missing line: %s\n", line);                                           \
        CU_ASSERT_TRUE(has_line(page, line));                                                      \
    } while (0)

static void test_render(void)
{
    struct metrics *m = metrics_new(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    metrics_produced(m, 10, 1000);
    metrics_produced(m, 5, 300);
    m->bytes_out = 77;
    /* Produce v7: 3 requests of 0.1, 3 and 40 ms; Fetch v11 once, 600 ms. */
    metrics_request_done(m, 0, 7, 100);
    metrics_request_done(m, 0, 7, 3000);
    metrics_request_done(m, 0, 7, 40000);
    metrics_request_done(m, 1, 11, 600000);
    metrics_request_done(m, METRICS_FETCH_CONSUMER, 11, 600000);
    metrics_request_done(m, 9999, 0, 1); /* no such slot: ignored */
    metrics_request_done(m, 0, 99, 1);   /* versions from 15 on count as 15 */
    metrics_zk_event(m, METRICS_ZK_CONNECTED);
    metrics_zk_event(m, METRICS_ZK_DISCONNECTED);
    metrics_zk_event(m, METRICS_ZK_CONNECTED);
    struct metrics_topic_snap topics[] = {{"a\"b\\c\nd", 4, 400, 7}, {"orders", 11, 900, 70}};
    struct metrics_log_snap logs[] = {{"orders", 0, 4096}, {"orders", 1, 0}};
    struct metrics_snapshot s = {.partition_count = 3, .leader_count = 2, .under_replicated = 1,
                                 .offline_partitions = 0, .active_controller = 1,
                                 .topics = topics, .ntopics = 2, .logs = logs, .nlogs = 2};
    char *page = render(m, &s);
    CHECK_LINE(page, "# TYPE kafka_server_brokertopicmetrics_messagesin_total counter");
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "# HELP kafka_server_brokertopicmetrics_messagesin_total "));
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_messagesin_total 15");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_messagesin_total{topic=\"orders\"} 11");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_messagesin_total{topic=\"a\\\"b\\\\c\\nd\"} 4");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_bytesin_total 1300");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_bytesin_total{topic=\"orders\"} 900");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_bytesout_total 77");
    CHECK_LINE(page, "kafka_server_brokertopicmetrics_bytesout_total{topic=\"orders\"} 70");
    CHECK_LINE(page, "kafka_server_replicamanager_partitioncount 3");
    CHECK_LINE(page, "kafka_server_replicamanager_leadercount 2");
    CHECK_LINE(page, "kafka_server_replicamanager_underreplicatedpartitions 1");
    CHECK_LINE(page, "# TYPE kafka_server_replicamanager_underreplicatedpartitions gauge");
    CHECK_LINE(page, "kafka_controller_kafkacontroller_activecontrollercount 1");
    CHECK_LINE(page, "kafka_controller_kafkacontroller_offlinepartitionscount 0");
    CHECK_LINE(page, "kafka_log_log_size{topic=\"orders\",partition=\"0\"} 4096");
    CHECK_LINE(page, "kafka_log_log_size{topic=\"orders\",partition=\"1\"} 0");
    CHECK_LINE(page, "kafka_network_requestmetrics_requests_total{request=\"Produce\",version=\"7\"} 3");
    CHECK_LINE(page, "kafka_network_requestmetrics_requests_total{request=\"Produce\",version=\"15\"} 1");
    CHECK_LINE(page, "kafka_network_requestmetrics_requests_total{request=\"Fetch\",version=\"11\"} 1");
    CHECK_LINE(page,
               "kafka_network_requestmetrics_requests_total{request=\"FetchConsumer\",version=\"11\"} 1");
    CHECK_LINE(page, "kafka_network_requestmetrics_totaltimems_count{request=\"Produce\"} 4");
    /* Produce's 4 times: 0.001, 0.1, 3, 40 ms -> buckets 0.25, 0.25, 4, 64. */
    CHECK_LINE(page, "kafka_network_requestmetrics_totaltimems{request=\"Produce\",quantile=\"0.50\"} 0.25");
    CHECK_LINE(page, "kafka_network_requestmetrics_totaltimems{request=\"Produce\",quantile=\"0.75\"} 4");
    CHECK_LINE(page, "kafka_network_requestmetrics_totaltimems{request=\"Produce\",quantile=\"0.999\"} 64");
    CHECK_LINE(page, "kafka_network_requestmetrics_totaltimems{request=\"Fetch\",quantile=\"0.99\"} 1024");
    CHECK_LINE(page, "# TYPE gregor_network_request_totaltime_ms histogram");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_bucket{request=\"Produce\",le=\"0.25\"} 2");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_bucket{request=\"Produce\",le=\"2\"} 2");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_bucket{request=\"Produce\",le=\"4\"} 3");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_bucket{request=\"Produce\",le=\"64\"} 4");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_bucket{request=\"Produce\",le=\"+Inf\"} 4");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_sum{request=\"Produce\"} 43.101");
    CHECK_LINE(page, "gregor_network_request_totaltime_ms_count{request=\"Produce\"} 4");
    CHECK_LINE(page, "kafka_server_sessionexpirelistener_zookeepersyncconnects_total 2");
    CHECK_LINE(page, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total 1");
    CHECK_LINE(page, "kafka_server_sessionexpirelistener_zookeeperexpires_total 0");
    CHECK_LINE(page, "gregor_zookeeper_session_state{state=\"connected\"} 1");
    CHECK_LINE(page, "gregor_zookeeper_session_state{state=\"disconnected\"} 0");
    /* Unnamed slots and unused APIs render nothing. */
    CU_ASSERT_PTR_NULL(strstr(page, "request=\"(null)\""));
    CU_ASSERT_PTR_NULL(strstr(page, "request=\"ListOffsets\""));
    /* Every line is a comment or "name[{labels}] value": one space, ends in a number. */
    for (char *line = page, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
        if (line[0] == '#')
            continue;
        char *sp = memrchr(line, ' ', (size_t)(nl - line));
        CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
        char *end;
        strtod(sp + 1, &end);
        CU_ASSERT_PTR_EQUAL(end, nl);
    }
    free(page);
    metrics_free(m);
}

/* The bucket of a time: below 0.25 ms, then powers of two, the last open. */
static void test_time_buckets(void)
{
    CU_ASSERT_EQUAL(metrics_time_bucket(0), 0);
    CU_ASSERT_EQUAL(metrics_time_bucket(249), 0);
    CU_ASSERT_EQUAL(metrics_time_bucket(250), 1);
    CU_ASSERT_EQUAL(metrics_time_bucket(499), 1);
    CU_ASSERT_EQUAL(metrics_time_bucket(500), 2);
    CU_ASSERT_EQUAL(metrics_time_bucket(999), 2);
    CU_ASSERT_EQUAL(metrics_time_bucket(1000), 3);
    CU_ASSERT_EQUAL(metrics_time_bucket(INT64_MAX), METRICS_TIME_BUCKETS - 1);
}

/* ---- the server on a real loop --------------------------------------------- */

static int pages;

static void page_cb(void *ctx, struct buf *out)
{
    (void)ctx;
    pages++;
    buf_printf(out, "# TYPE x gauge\nx 1\n");
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    CU_ASSERT_TRUE(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Sends what the socket takes of s, running the loop meanwhile. */
static void send_all(struct ev_loop *loop, int fd, const char *s, size_t n)
{
    for (int i = 0; n && i < 100000; i++) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN) {
            return; /* the server closed: what it answered is still readable */
        }
        ev_run(loop, EVRUN_NOWAIT);
    }
}

/* Runs the loop until fd's peer closed; returns what it sent (malloc'd). */
static char *read_all(struct ev_loop *loop, int fd)
{
    static char got[65536];
    size_t n = 0;
    for (int i = 0; i < 200000; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        ssize_t r = recv(fd, got + n, sizeof(got) - 1 - n, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN))
            break;
        if (r > 0)
            n += (size_t)r;
        else
            usleep(100);
    }
    got[n] = '\0';
    return strdup(got);
}

static void test_server(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    char err[256];
    struct metrics_http *h = metrics_http_new(loop, "127.0.0.1", 0, page_cb, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    int port = metrics_http_port(h);
    CU_ASSERT_TRUE(port > 0);

    /* A scrape sent a byte at a time. */
    const char *get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = connect_to(port);
    for (size_t i = 0; get[i]; i++)
        send_all(loop, fd, get + i, 1);
    char *got = read_all(loop, fd);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "HTTP/1.1 200 OK\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "Content-Length: 19\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "\r\n\r\n# TYPE x gauge\nx 1\n"));
    CU_ASSERT_EQUAL(pages, 1);
    free(got);
    close(fd);

    /* A head over the limit: 431, and the connection closes. */
    size_t n = 3 * METRICS_HTTP_HEAD_MAX;
    char *big = malloc(n);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    memset(big + 26, 'a', n - 26);
    fd = connect_to(port);
    send_all(loop, fd, big, n);
    got = read_all(loop, fd);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    free(got);
    free(big);
    close(fd);

    /* POST: 405 with Allow. */
    fd = connect_to(port);
    send_all(loop, fd, "POST /metrics HTTP/1.1\r\n\r\n", 26);
    got = read_all(loop, fd);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "HTTP/1.1 405 Method Not Allowed\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "Allow: GET, HEAD\r\n"));
    free(got);
    close(fd);

    /* METRICS_HTTP_CONNS idle connections: the next one gets a 503, and
     * once they go, scrapes are served again. */
    int idle[METRICS_HTTP_CONNS];
    for (int i = 0; i < METRICS_HTTP_CONNS; i++) {
        idle[i] = connect_to(port);
        for (int k = 0; k < 50; k++)
            ev_run(loop, EVRUN_NOWAIT);
    }
    fd = connect_to(port);
    got = read_all(loop, fd);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "HTTP/1.1 503 Service Unavailable\r\n"));
    free(got);
    close(fd);
    for (int i = 0; i < METRICS_HTTP_CONNS; i++)
        close(idle[i]);
    for (int k = 0; k < 200; k++)
        ev_run(loop, EVRUN_NOWAIT);
    fd = connect_to(port);
    send_all(loop, fd, get, strlen(get));
    got = read_all(loop, fd);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "HTTP/1.1 200 OK\r\n"));
    free(got);
    close(fd);

    metrics_http_free(h);
    ev_loop_destroy(loop);
}

int main(void)
{
    CU_TestInfo parser[] = {
        {"a good request, GET and HEAD", test_parse_good},
        {"partial reads", test_parse_partial},
        {"a head over the limit", test_parse_oversized},
        {"bad methods, paths, versions and garbage", test_parse_errors},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo renderer[] = {
        {"names, labels, values", test_render},
        {"time buckets", test_time_buckets},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo server[] = {
        {"scrape, 431, 405, connection cap", test_server},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"http parser", NULL, NULL, NULL, NULL, parser},
                             {"renderer", NULL, NULL, NULL, NULL, renderer},
                             {"server", NULL, NULL, NULL, NULL, server},
                             CU_SUITE_INFO_NULL};
    return test_main("test_metrics", suites);
}
