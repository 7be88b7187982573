/*
 * Private ZooKeeper servers and loop helpers for the zk integration tests.
 */
#include "tests/integration/zk_harness.h"

#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "tests/unit/testutil.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR must name the source tree (set in zk/local.mk)"
#endif

#define SCRIPT TOP_SRCDIR "/tools/gregor-zookeeper"

double zkh_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Asks the kernel for a port nobody uses right now. Another process may
 * take it before the server binds it; zkh_start() retries then. */
int zkh_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int run_script(const char *verb, const struct zk_harness *h, char *out, size_t outsz)
{
    char cmd[4096];
    if (strcmp(verb, "start") == 0)
        snprintf(cmd, sizeof(cmd), "'%s' start --dir '%s' --port %d --owner-pid %ld", SCRIPT,
                 h->dir, h->port, (long)getpid());
    else
        snprintf(cmd, sizeof(cmd), "'%s' %s --dir '%s'", SCRIPT, verb, h->dir);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = 0;
    if (out && outsz) {
        n = fread(out, 1, outsz - 1, p);
        out[n] = '\0';
    } else {
        char sink[256];
        while (fread(sink, 1, sizeof(sink), p) > 0)
            ;
    }
    int st = pclose(p);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int zkh_prepare(struct zk_harness *h, const char *tag)
{
    memset(h, 0, sizeof(*h));
    h->dir = test_tmpdir(tag);
    h->port = zkh_free_port();
    snprintf(h->connect, sizeof(h->connect), "127.0.0.1:%d", h->port);
    return h->port > 0 ? 0 : -1;
}

int zkh_restart(struct zk_harness *h)
{
    char out[256];
    if (run_script("start", h, out, sizeof(out)) != 0) {
        fprintf(stderr, "zk_harness: could not start ZooKeeper on port %d in %s\n", h->port,
                h->dir);
        return -1;
    }
    out[strcspn(out, "\n")] = '\0';
    if (strcmp(out, h->connect) != 0) {
        fprintf(stderr, "zk_harness: the script printed \"%s\", expected \"%s\"\n", out,
                h->connect);
        return -1;
    }
    h->running = true;
    return 0;
}

int zkh_start(struct zk_harness *h, const char *tag)
{
    if (zkh_prepare(h, tag) != 0)
        return -1;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (zkh_restart(h) == 0)
            return 0;
        /* Most likely someone took the port between our probe and the
         * server's bind: try another one. */
        h->port = zkh_free_port();
        snprintf(h->connect, sizeof(h->connect), "127.0.0.1:%d", h->port);
    }
    return -1;
}

void zkh_stop(struct zk_harness *h)
{
    if (h->dir && h->running)
        run_script("stop", h, NULL, 0);
    h->running = false;
}

void zkh_cleanup(struct zk_harness *h)
{
    if (!h->dir)
        return;
    zkh_stop(h);
    test_rmtree(h->dir);
    free(h->dir);
    h->dir = NULL;
}

static void wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

bool zkh_run_until(struct ev_loop *loop, bool (*pred)(void *), void *arg, double timeout_s)
{
    double deadline = zkh_now() + timeout_s;
    ev_timer tick;
    /* A periodic wake-up so the predicate is re-checked even if nothing
     * happens on the loop. */
    ev_timer_init(&tick, wake_cb, 0.02, 0.02);
    ev_timer_start(loop, &tick);
    bool ok;
    while (!(ok = pred(arg)) && zkh_now() < deadline)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
    return ok;
}

static bool flag_set(void *arg)
{
    return *(const bool *)arg;
}

bool zkh_wait(struct ev_loop *loop, const bool *flag, double timeout_s)
{
    return zkh_run_until(loop, flag_set, (void *)flag, timeout_s);
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

void zkh_spin(struct ev_loop *loop, double secs)
{
    zkh_run_until(loop, never, NULL, secs);
}

struct count_goal {
    const int *counter; /* watched */
    int n;              /* goal */
};

static bool count_reached(void *arg)
{
    const struct count_goal *g = arg;
    return *g->counter >= g->n;
}

bool zkh_wait_count(struct ev_loop *loop, const int *counter, int n, double timeout_s)
{
    struct count_goal g = {counter, n};
    return zkh_run_until(loop, count_reached, &g, timeout_s);
}

int zkh_expire_session(const char *connect, int64_t id, const char passwd[16])
{
    clientid_t cid;
    cid.client_id = id;
    memcpy(cid.passwd, passwd, 16);
    zoo_set_debug_level((ZooLogLevel)0);
    zhandle_t *zh = zookeeper_init(connect, NULL, 10000, &cid, NULL, ZOO_NO_LOG_CLIENTENV);
    if (!zh)
        return -1;
    double deadline = zkh_now() + 10;
    int rc = -1;
    while (zkh_now() < deadline) {
        int fd = -1, interest = 0;
        struct timeval tv = {0, 0};
        if (zookeeper_interest(zh, &fd, &interest, &tv) != ZOK) {
            usleep(20000);
            continue;
        }
        if (zoo_state(zh) == ZOO_CONNECTED_STATE) {
            rc = zoo_client_id(zh)->client_id == id ? 0 : -1;
            break;
        }
        struct pollfd pfd = {.fd = fd, .events = 0};
        if (interest & ZOOKEEPER_READ)
            pfd.events |= POLLIN;
        if (interest & ZOOKEEPER_WRITE)
            pfd.events |= POLLOUT;
        int ms = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
        if (ms > 100 || ms <= 0)
            ms = 100;
        int events = 0;
        if (fd >= 0 && poll(&pfd, 1, ms) > 0) {
            if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
                events |= ZOOKEEPER_READ;
            if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
                events |= ZOOKEEPER_WRITE;
        } else if (fd < 0) {
            usleep((useconds_t)ms * 1000);
        }
        zookeeper_process(zh, events);
        if (zoo_state(zh) == ZOO_CONNECTED_STATE) {
            rc = zoo_client_id(zh)->client_id == id ? 0 : -1;
            break;
        }
    }
    /* Closing this client closes the session for everyone attached to it. */
    zookeeper_close(zh);
    return rc;
}
