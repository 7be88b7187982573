/*
 * Real gregord processes for the C integration tests (see broker_harness.h).
 */
#include "tests/integration/broker_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/zk_harness.h"
#include "tests/unit/testutil.h"

#if !defined(TOP_SRCDIR) || !defined(TOP_BUILDDIR)
#error "TOP_SRCDIR and TOP_BUILDDIR must name the trees (set in tests/integration/local.mk)"
#endif

static bool log_says_started(const struct broker_harness *h)
{
    char path[512], line[1024], want[64];
    snprintf(path, sizeof(path), "%s/gregord.log", h->dir);
    snprintf(want, sizeof(want), "[gregord id=%d] started", h->id);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, want) != NULL;
    if (f)
        fclose(f);
    return found;
}

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void print_log_tail(const struct broker_harness *h)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "tail -n 20 '%s/gregord.log' >&2", h->dir);
    fflush(stdout);
    if (system(cmd) != 0)
        fprintf(stderr, "broker_harness: no log in %s\n", h->dir);
}

static void exec_broker(const struct broker_harness *h, const char *zk_connect)
{
    char log[512], id[32], listeners[64], dirs[512], zk[300];
    snprintf(log, sizeof(log), "%s/gregord.log", h->dir);
    snprintf(id, sizeof(id), "broker.id=%d", h->id);
    snprintf(listeners, sizeof(listeners), "listeners=PLAINTEXT://127.0.0.1:%d", h->port);
    snprintf(dirs, sizeof(dirs), "log.dirs=%s/logs", h->dir);
    snprintf(zk, sizeof(zk), "zookeeper.connect=%s", zk_connect);
    /* A crashed test must not leave a broker behind. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execl(TOP_BUILDDIR "/broker/gregord", "gregord", TOP_SRCDIR "/conf/server.properties",
          "--override", id, "--override", listeners, "--override", dirs, "--override", zk,
          (char *)NULL);
    _exit(127);
}

int bkh_restart(struct broker_harness *h, const char *zk_connect)
{
    if (h->pid > 0)
        return -1;
    /* Set aside the last run's log first: its "started" line must not be
     * taken for this run's. */
    char log[512], old[520];
    snprintf(log, sizeof(log), "%s/gregord.log", h->dir);
    snprintf(old, sizeof(old), "%s.1", log);
    rename(log, old);
    fflush(stdout);
    fflush(stderr);
    h->pid = fork();
    if (h->pid < 0) {
        h->pid = 0;
        return -1;
    }
    if (h->pid == 0)
        exec_broker(h, zk_connect);
    double deadline = zkh_now() + 60;
    while (zkh_now() < deadline) {
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
            h->pid = 0;
            fprintf(stderr, "broker_harness: gregord exited during start-up:\n");
            print_log_tail(h);
            return -1;
        }
        if (log_says_started(h) && port_accepts(h->port))
            return 0;
        usleep(50 * 1000);
    }
    fprintf(stderr, "broker_harness: gregord did not start within 60 s:\n");
    print_log_tail(h);
    bkh_stop(h);
    return -1;
}

int bkh_start(struct broker_harness *h, int id, const char *zk_connect)
{
    memset(h, 0, sizeof(*h));
    h->dir = test_tmpdir("broker");
    h->id = id;
    h->port = zkh_free_port();
    if (!h->dir || h->port <= 0)
        return -1;
    return bkh_restart(h, zk_connect);
}

void bkh_stop(struct broker_harness *h)
{
    if (h->pid <= 0)
        return;
    kill(h->pid, SIGTERM);
    double deadline = zkh_now() + 30;
    int st;
    while (waitpid(h->pid, &st, WNOHANG) == 0) {
        if (zkh_now() > deadline) {
            kill(h->pid, SIGKILL);
            waitpid(h->pid, &st, 0);
            break;
        }
        usleep(20 * 1000);
    }
    h->pid = 0;
}

void bkh_cleanup(struct broker_harness *h)
{
    if (!h->dir)
        return;
    bkh_stop(h);
    test_rmtree(h->dir);
    free(h->dir);
    h->dir = NULL;
}
