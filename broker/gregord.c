/*
 * gregord: one gregor broker.
 *
 *   gregord CONFIG [--override key=value]...
 *
 * Exit status: 0 after a clean shutdown, 1 when the broker cannot start or
 * run, 2 for a bad command line or configuration (nothing was started).
 */
#define LOG_COMPONENT "gregord"
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "broker/server.h"
#include "broker/core/broker_config.h"
#include "broker/net/frame_buf.h"
#include "common/logger.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: gregord CONFIG [--override key=value]...\n"
               "  CONFIG is a server.properties file (Kafka's keys and defaults).\n"
               "  --override sets one key, after the file; may be repeated.\n"
               "  GREGOR_LOG_LEVEL=error|warn|info|debug|trace sets the log level.\n");
    return f == stderr ? 2 : 0;
}

/* A broker holds a descriptor per segment (its .log; the indexes are mapped
 * and their descriptors closed) plus one per client; Debian's default soft
 * limit of 1,024 would stop it at a few hundred partitions and clients, so
 * it takes the hard limit as Kafka's start scripts advise. What the limit
 * leaves after the logs is the default of max.connections
 * (net/conn_quota.c). */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        LOG_WARN("cannot raise the open-file limit above %llu (ulimit -n): %s", (unsigned long long)was,
                 strerror(errno));
    else
        LOG_INFO("open-file limit raised from %llu to %llu", (unsigned long long)was,
                 (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    struct broker_config cfg;
    char err[1024];
    logger_init_from_env();
    if (broker_config_init(&cfg)) {
        fprintf(stderr, "gregord: out of memory\n");
        return 1;
    }
    /* The file is read first, then the overrides, wherever they appear. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout);
        if (!strcmp(argv[i], "--override") || !strncmp(argv[i], "--override=", 11)) {
            if (argv[i][10] != '=')
                i++;
            continue;
        }
        if (argv[i][0] == '-' || path) {
            fprintf(stderr, "gregord: unexpected argument \"%s\"\n", argv[i]);
            return usage(stderr);
        }
        path = argv[i];
    }
    if (!path)
        return usage(stderr);
    if (broker_config_load_file(&cfg, path, err, sizeof(err))) {
        fprintf(stderr, "gregord: %s\n", err);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *kv;
        if (!strcmp(argv[i], "--override")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gregord: --override needs key=value\n");
                return 2;
            }
            kv = argv[++i];
        } else if (!strncmp(argv[i], "--override=", 11)) {
            kv = argv[i] + 11;
        } else {
            continue;
        }
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            fprintf(stderr, "gregord: --override \"%s\" is not key=value\n", kv);
            return 2;
        }
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
        if (broker_config_set(&cfg, key, eq + 1, CONFIG_SRC_OVERRIDE, err, sizeof(err)) < 0) {
            fprintf(stderr, "gregord: %s\n", err);
            return 2;
        }
    }
    if (broker_config_finalize(&cfg, err, sizeof(err))) {
        fprintf(stderr, "gregord: %s\n", err);
        broker_config_destroy(&cfg); /* what finalize parsed before the error */
        return 2;
    }
    if (!cfg.zookeeper_connect || !cfg.zookeeper_connect[0]) {
        fprintf(stderr, "gregord: zookeeper.connect is required (host:port[,host:port...][/chroot])\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char inert[8192];
    if (broker_config_inert_keys(&cfg, inert, sizeof(inert)))
        LOG_INFO("configuration keys accepted without effect (=value: set in this "
                 "configuration): %s",
                 inert);
    raise_fd_limit();
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    if (!loop) {
        fprintf(stderr, "gregord: cannot create the event loop\n");
        return 1;
    }
    struct broker b;
    if (server_start(&b, loop, &cfg)) {
        LOG_ERROR("start-up failed; see the messages above");
        server_destroy(&b);
        broker_config_destroy(&cfg);
        return 1;
    }
    ev_run(loop, 0);
    server_destroy(&b);
    frame_buf_trim();
    broker_config_destroy(&cfg);
    return b.exit_status;
}
