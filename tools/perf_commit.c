/*
 * gregor-commit-perf-test: committed-offset throughput and latency, against
 * a broker (OffsetCommit) or, as the reference, straight against ZooKeeper
 * (one multi() of setData ops per commit).
 *
 *   gregor-commit-perf-test (--bootstrap-server H:P | --zookeeper H:P)
 *       --topic T --partitions P --groups G --seconds S [--prefix X]
 *       [--json FILE]
 *
 * Both modes run G closed loops at once, one per group X-0 .. X-(G-1)
 * (prefix default "perf"), each with one commit in flight: a commit of the
 * offsets of partitions 0..P-1 of T. The figure is partition offsets
 * committed per second over S seconds and the latency of each commit.
 *
 * Broker mode speaks raw frames, one connection per group: FindCoordinator
 * v0 until the broker names itself (it must be a one-broker cluster), then
 * OffsetCommit v2 (generation -1, no member: a standalone commit, as a
 * consumer with assign() makes), so what is timed is the broker's answer
 * and not a client library's queues and timers. Each group first commits until every
 * partition succeeds (that first commit creates the znodes); the timed
 * part follows, in which every commit sets existing znodes.
 *
 * ZooKeeper mode is the floor under that: the same number of setData ops on
 * znodes of the same kind (/consumers/X-i/offsets/T/p, created first and not
 * timed), each commit one zoo_amulti() on one session with the C client the
 * broker itself uses (libzookeeper_st), G multis in flight.
 *
 * Values are decimals that grow by one per commit in both modes. Exit
 * status 1 if any commit failed in the timed part.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "common/clock.h"
#include "tools/perf_hist.h"
#include "tools/perf_util.h"

#define TOOL      "gregor-commit-perf-test"
#define WARMUP_US (60 * 1000000LL) /* first commits of all groups (coordinator load) */

static int16_t last_error; /* the last error the broker returned, for messages */

struct opts {
    const char *bootstrap, *zookeeper, *topic, *prefix, *json;
    int partitions, groups;
    double seconds;
};

/* What the timed part measured. */
struct result {
    struct perf_hist h;
    int64_t committed, failed;
    int64_t start_us, end_us;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: " TOOL " (--bootstrap-server H:P | --zookeeper H:P) --topic T\n"
               "           --partitions P --groups G --seconds S [--prefix X] [--json FILE]\n");
}

static void die(const char *what)
{
    fprintf(stderr, TOOL ": %s\n", what);
    exit(1);
}

/* --- broker mode: raw OffsetCommit v2 ----------------------------------------------- */

struct conn {
    int fd;
    int32_t corr;
    int64_t sent_us;
    int64_t offset; /* committed next */
    bool found;     /* FindCoordinator named the broker we talk to */
    bool warm;      /* its first commit succeeded: timed from now on */
    uint8_t *in;    /* owned; the response being read */
    size_t have, cap;
    char group[128];
};

static uint8_t *put16(uint8_t *p, int16_t v)
{
    uint16_t n = htons((uint16_t)v);
    memcpy(p, &n, 2);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, int32_t v)
{
    uint32_t n = htonl((uint32_t)v);
    memcpy(p, &n, 4);
    return p + 4;
}

static uint8_t *put64(uint8_t *p, int64_t v)
{
    p = put32(p, (int32_t)((uint64_t)v >> 32));
    return put32(p, (int32_t)(uint32_t)v);
}

static uint8_t *putstr(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p = put16(p, (int16_t)n);
    memcpy(p, s, n);
    return p + n;
}

static int32_t get32(const uint8_t *p)
{
    uint32_t n;
    memcpy(&n, p, 4);
    return (int32_t)ntohl(n);
}

static int16_t get16(const uint8_t *p)
{
    uint16_t n;
    memcpy(&n, p, 2);
    return (int16_t)ntohs(n);
}

static void send_all(struct conn *c, const uint8_t *buf, size_t n)
{
    c->sent_us = clock_mono_us();
    for (size_t off = 0; off < n;) {
        ssize_t w = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("send to the broker failed");
        off += (size_t)w;
    }
}

/* FindCoordinator v0: the first one makes the broker create the offsets
 * topic whose partition leader coordinates the group. */
static void send_find(struct conn *c, uint8_t *buf)
{
    uint8_t *p = buf + 4;
    p = put16(p, 10);
    p = put16(p, 0);
    p = put32(p, ++c->corr);
    p = putstr(p, TOOL);
    p = putstr(p, c->group);
    put32(buf, (int32_t)(p - buf - 4));
    send_all(c, buf, (size_t)(p - buf));
}

/* 0 if the FindCoordinator v0 answer names the broker at port, 1 if it is
 * not ready yet (retry), -1 if malformed or another broker. */
static int parse_find(const struct conn *c, const uint8_t *b, size_t n, int port)
{
    if (n < 12 || get32(b) != c->corr)
        return -1;
    int16_t err = get16(b + 4);
    if (err) {
        last_error = err;
        return 1;
    }
    size_t hl = (size_t)(uint16_t)get16(b + 10);
    if (n < 12 + hl + 4)
        return -1;
    return get32(b + 12 + hl) == port ? 0 : -1;
}

static void send_commit(const struct opts *o, struct conn *c, uint8_t *buf, size_t cap)
{
    size_t need = 64 + strlen(c->group) + strlen(o->topic) + (size_t)o->partitions * 14;
    if (need > cap)
        die("request buffer too small");
    uint8_t *p = buf + 4;
    p = put16(p, 8); /* OffsetCommit */
    p = put16(p, 2);
    p = put32(p, ++c->corr);
    p = putstr(p, TOOL);
    p = putstr(p, c->group);
    p = put32(p, -1); /* generation: a standalone commit */
    p = putstr(p, "");
    p = put64(p, -1); /* retention: the broker's */
    p = put32(p, 1);
    p = putstr(p, o->topic);
    p = put32(p, o->partitions);
    c->offset++;
    for (int i = 0; i < o->partitions; i++) {
        p = put32(p, i);
        p = put64(p, c->offset);
        p = putstr(p, "");
    }
    put32(buf, (int32_t)(p - buf - 4));
    send_all(c, buf, (size_t)(p - buf));
}

/* Parses a whole OffsetCommit v2 response: the number of partitions that
 * failed, or -1 if it is malformed. */
static int parse_response(const struct opts *o, const struct conn *c, const uint8_t *b, size_t n)
{
    if (n < 8 || get32(b) != c->corr)
        return -1;
    size_t pos = 4;
    int32_t nt = get32(b + pos);
    pos += 4;
    int ok = 0, bad = 0;
    for (int32_t t = 0; t < nt; t++) {
        if (pos + 2 > n)
            return -1;
        size_t sl = (size_t)(uint16_t)get16(b + pos);
        pos += 2 + sl;
        if (pos + 4 > n)
            return -1;
        int32_t np = get32(b + pos);
        pos += 4;
        for (int32_t i = 0; i < np; i++) {
            if (pos + 6 > n)
                return -1;
            int16_t err = get16(b + pos + 4);
            pos += 6;
            if (err) {
                bad++;
                last_error = err;
            } else
                ok++;
        }
    }
    return ok + bad == o->partitions ? bad : -1;
}

static int connect_to(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof(host))
        die("--bootstrap-server must be host:port");
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai))
        die("cannot resolve the broker's address");
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen))
        die("cannot connect to the broker");
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void run_broker(const struct opts *o, struct result *r)
{
    struct conn *cs = calloc((size_t)o->groups, sizeof(*cs));
    struct pollfd *pf = calloc((size_t)o->groups, sizeof(*pf));
    size_t cap = 256 + strlen(o->topic) + (size_t)o->partitions * 14 + 256;
    uint8_t *buf = malloc(cap);
    if (!cs || !pf || !buf)
        die("out of memory");
    for (int i = 0; i < o->groups; i++) {
        cs[i].fd = connect_to(o->bootstrap);
        snprintf(cs[i].group, sizeof(cs[i].group), "%s-%d", o->prefix, i);
        pf[i].fd = cs[i].fd;
        pf[i].events = POLLIN;
        send_find(&cs[i], buf);
    }
    int port = atoi(strrchr(o->bootstrap, ':') + 1);
    int warm = 0;
    int64_t t0 = clock_mono_us(), end_us = 0;
    for (;;) {
        int64_t now = clock_mono_us();
        if (warm < o->groups && now - t0 > WARMUP_US) {
            fprintf(stderr,
                    TOOL ": %d of %d groups' first commits did not succeed within 60 s "
                         "(last error code %d)\n",
                    o->groups - warm, o->groups, last_error);
            exit(1);
        }
        if (end_us && now >= end_us)
            break;
        if (poll(pf, (nfds_t)o->groups, 100) < 0 && errno != EINTR)
            die("poll failed");
        for (int i = 0; i < o->groups; i++) {
            struct conn *c = &cs[i];
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (c->cap - c->have < 4096) {
                c->cap = c->cap ? 2 * c->cap : 65536;
                if (!(c->in = realloc(c->in, c->cap)))
                    die("out of memory");
            }
            ssize_t n = recv(c->fd, c->in + c->have, c->cap - c->have, 0);
            if (n <= 0)
                die("the broker closed a connection");
            c->have += (size_t)n;
            if (c->have < 4)
                continue;
            size_t len = (size_t)get32(c->in);
            if (c->have < 4 + len)
                continue;
            if (c->have > 4 + len)
                die("the broker answered what was not asked");
            int64_t done = clock_mono_us();
            if (!c->found) {
                int rc = parse_find(c, c->in + 4, len, port);
                c->have = 0;
                if (rc < 0)
                    die("FindCoordinator did not name this broker (use a one-broker cluster)");
                c->found = rc == 0;
                if (c->found) {
                    send_commit(o, c, buf, cap);
                } else {
                    usleep(20000); /* warm-up only: the offsets topic is being created */
                    send_find(c, buf);
                }
                continue;
            }
            int bad = parse_response(o, c, c->in + 4, len);
            c->have = 0;
            if (bad < 0)
                die("malformed OffsetCommit response");
            if (!c->warm) {
                /* until its first commit succeeds whole, a group only retries */
                c->warm = !bad;
                warm += c->warm;
                if (c->warm && warm == o->groups) {
                    r->start_us = clock_mono_us();
                    end_us = r->start_us + (int64_t)(o->seconds * 1e6);
                }
            } else if (end_us && done <= end_us) {
                perf_hist_record(&r->h, done - c->sent_us);
                r->committed += o->partitions - bad;
                r->failed += bad;
            }
            send_commit(o, c, buf, cap);
        }
    }
    r->end_us = end_us;
    for (int i = 0; i < o->groups; i++) {
        close(cs[i].fd);
        free(cs[i].in);
    }
    free(cs);
    free(pf);
    free(buf);
}

/* --- ZooKeeper mode ----------------------------------------------------------------- */

struct zk_run;

/* One group's multi in flight: its ops and results live until it completes. */
struct zk_loop {
    struct zk_run *run;
    char **paths; /* owned, by partition */
    zoo_op_t *ops;
    zoo_op_result_t *res;
    struct Stat *stats;
    char (*data)[24];
    int64_t offset, sent_us;
};

struct zk_run {
    const struct opts *o;
    zhandle_t *zh;
    bool connected;
    int pending;   /* setup creates not yet answered */
    int setup_bad; /* setup creates that failed other than "exists" */
    int64_t end_us;
    struct result *r;
    struct zk_loop *loops;
};

static void zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)zh;
    (void)path;
    struct zk_run *z = ctx;
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE)
        z->connected = true;
    else if (type == ZOO_SESSION_EVENT && state != ZOO_CONNECTING_STATE)
        die("the ZooKeeper session ended");
}

/* Drives the single-threaded client for at most ms. */
static void zk_step(struct zk_run *z, int ms)
{
    int fd = -1, interest = 0;
    struct timeval tv;
    int rc = zookeeper_interest(z->zh, &fd, &interest, &tv);
    if (rc != ZOK && rc != ZNOTHING)
        die("zookeeper_interest failed");
    int wait = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
    if (wait > ms)
        wait = ms;
    struct pollfd p = {.fd = fd,
                       .events = (short)((interest & ZOOKEEPER_READ ? POLLIN : 0) |
                                         (interest & ZOOKEEPER_WRITE ? POLLOUT : 0))};
    int n = poll(&p, fd >= 0 ? 1 : 0, wait);
    int ev = 0;
    if (n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
        ev |= ZOOKEEPER_READ;
    if (n > 0 && (p.revents & POLLOUT))
        ev |= ZOOKEEPER_WRITE;
    zookeeper_process(z->zh, ev);
}

static void created(int rc, const char *value, const void *ctx)
{
    (void)value;
    struct zk_run *z = (struct zk_run *)ctx;
    z->pending--;
    if (rc != ZOK && rc != ZNODEEXISTS)
        z->setup_bad++;
}

static void create(struct zk_run *z, const char *path)
{
    z->pending++;
    if (zoo_acreate(z->zh, path, "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, created, z) != ZOK)
        die("zoo_acreate failed");
}

static void send_multi(struct zk_loop *l);

static void multi_done(int rc, const void *ctx)
{
    struct zk_loop *l = (struct zk_loop *)ctx;
    struct zk_run *z = l->run;
    int64_t done = clock_mono_us();
    if (done <= z->end_us) {
        perf_hist_record(&z->r->h, done - l->sent_us);
        if (rc == ZOK)
            z->r->committed += z->o->partitions;
        else
            z->r->failed += z->o->partitions;
    }
    if (done < z->end_us)
        send_multi(l);
}

static void send_multi(struct zk_loop *l)
{
    const struct opts *o = l->run->o;
    l->offset++;
    for (int i = 0; i < o->partitions; i++) {
        int len = snprintf(l->data[i], sizeof(l->data[i]), "%" PRId64, l->offset);
        zoo_set_op_init(&l->ops[i], l->paths[i], l->data[i], len, -1, &l->stats[i]);
    }
    l->sent_us = clock_mono_us();
    if (zoo_amulti(l->run->zh, o->partitions, l->ops, l->res, multi_done, l) != ZOK)
        die("zoo_amulti failed");
}

static void run_zk(const struct opts *o, struct result *r)
{
    struct zk_run z = {.o = o, .r = r, .end_us = INT64_MAX};
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    if (!(z.zh = zookeeper_init(o->zookeeper, zk_watcher, 30000, NULL, &z, 0)))
        die("zookeeper_init failed");
    int64_t t0 = clock_mono_us();
    while (!z.connected) {
        if (clock_mono_us() - t0 > 30000000)
            die("no ZooKeeper session within 30 s");
        zk_step(&z, 100);
    }
    /* The znodes, outermost first: one session answers in order. */
    char path[512];
    create(&z, "/consumers");
    z.loops = calloc((size_t)o->groups, sizeof(*z.loops));
    if (!z.loops)
        die("out of memory");
    for (int g = 0; g < o->groups; g++) {
        struct zk_loop *l = &z.loops[g];
        l->run = &z;
        l->paths = calloc((size_t)o->partitions, sizeof(*l->paths));
        l->ops = calloc((size_t)o->partitions, sizeof(*l->ops));
        l->res = calloc((size_t)o->partitions, sizeof(*l->res));
        l->stats = calloc((size_t)o->partitions, sizeof(*l->stats));
        l->data = calloc((size_t)o->partitions, sizeof(*l->data));
        if (!l->paths || !l->ops || !l->res || !l->stats || !l->data)
            die("out of memory");
        snprintf(path, sizeof(path), "/consumers/%s-%d", o->prefix, g);
        create(&z, path);
        snprintf(path, sizeof(path), "/consumers/%s-%d/offsets", o->prefix, g);
        create(&z, path);
        snprintf(path, sizeof(path), "/consumers/%s-%d/offsets/%s", o->prefix, g, o->topic);
        create(&z, path);
        for (int p = 0; p < o->partitions; p++) {
            snprintf(path, sizeof(path), "/consumers/%s-%d/offsets/%s/%d", o->prefix, g, o->topic,
                     p);
            if (!(l->paths[p] = strdup(path)))
                die("out of memory");
            create(&z, path);
        }
    }
    while (z.pending)
        zk_step(&z, 100);
    if (z.setup_bad)
        die("creating the znodes failed");
    r->start_us = clock_mono_us();
    z.end_us = r->start_us + (int64_t)(o->seconds * 1e6);
    for (int g = 0; g < o->groups; g++)
        send_multi(&z.loops[g]);
    while (clock_mono_us() < z.end_us)
        zk_step(&z, 10);
    r->end_us = z.end_us;
    zookeeper_close(z.zh); /* answers what is in flight with ZCLOSING, uncounted */
    for (int g = 0; g < o->groups; g++) {
        for (int p = 0; p < o->partitions; p++)
            free(z.loops[g].paths[p]);
        free(z.loops[g].paths);
        free(z.loops[g].ops);
        free(z.loops[g].res);
        free(z.loops[g].stats);
        free(z.loops[g].data);
    }
    free(z.loops);
}

/* --- main ----------------------------------------------------------------------------- */

static int positive(const char *key, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > 100000) {
        fprintf(stderr, TOOL ": %s %s: expected a number from 1 to 100000\n", key, v);
        exit(2);
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    struct opts o = {.prefix = "perf"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, TOOL ": %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--bootstrap-server"))
            o.bootstrap = v;
        else if (!strcmp(a, "--zookeeper"))
            o.zookeeper = v;
        else if (!strcmp(a, "--topic"))
            o.topic = v;
        else if (!strcmp(a, "--prefix"))
            o.prefix = v;
        else if (!strcmp(a, "--json"))
            o.json = v;
        else if (!strcmp(a, "--partitions"))
            o.partitions = positive(a, v);
        else if (!strcmp(a, "--groups"))
            o.groups = positive(a, v);
        else if (!strcmp(a, "--seconds")) {
            char *end;
            o.seconds = strtod(v, &end);
            if (*end || !(o.seconds > 0)) {
                fprintf(stderr, TOOL ": --seconds %s: expected a positive number\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, TOOL ": unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.bootstrap == !o.zookeeper || !o.topic || !o.partitions || !o.groups || !o.seconds) {
        fprintf(stderr, TOOL ": one of --bootstrap-server and --zookeeper, and --topic, "
                             "--partitions, --groups and --seconds are required\n");
        usage(stderr);
        return 2;
    }
    struct result r;
    memset(&r, 0, sizeof(r));
    perf_hist_reset(&r.h);
    if (o.bootstrap)
        run_broker(&o, &r);
    else
        run_zk(&o, &r);
    double secs = (double)(r.end_us - r.start_us) / 1e6;
    printf("%s: %" PRId64 " partition offsets committed in %.1f s by %d groups of %d partitions: "
           "%.0f/s, %" PRId64 " failed\n",
           o.bootstrap ? "OffsetCommit" : "ZooKeeper multi", r.committed, secs, o.groups,
           o.partitions, (double)r.committed / secs, r.failed);
    perf_print_latency(stdout, o.bootstrap ? "OffsetCommit" : "multi", &r.h);
    if (o.json && perf_write_json(o.json, TOOL, r.committed, 0, secs, &r.h, r.failed))
        return 1;
    return r.failed ? 1 : 0;
}
