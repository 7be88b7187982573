/*
 * A real gregord for integration tests written in C, next to the real
 * ZooKeeper of zk_harness.h.
 *
 * Owns: the broker process (started from the build tree's broker/gregord
 * with conf/server.properties and overrides for its id, a free loopback
 * port, a fresh log dir and the harness's ZooKeeper), its temp dir and its
 * log file. The process gets SIGTERM if the test program dies (so no broker
 * outlives a crashed test). It asserts nothing; the test programs do.
 */
#ifndef GREGOR_TESTS_BROKER_HARNESS_H
#define GREGOR_TESTS_BROKER_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct broker_harness {
    char *dir;    /* temp dir with logs/ and gregord.log; owned */
    int id;       /* broker.id */
    int port;     /* its PLAINTEXT listener on 127.0.0.1 */
    pid_t pid;    /* the gregord process, 0 when not running */
};

/* Starts broker id against zk_connect ("host:port") and waits (up to 60 s)
 * until it logged "started" and accepts connections. Returns 0, or -1 with
 * the end of its log printed. */
int bkh_start(struct broker_harness *h, int id, const char *zk_connect);
/* Starts the stopped broker again with the same id, port and logs. Returns
 * 0 or -1 as bkh_start. */
int bkh_restart(struct broker_harness *h, const char *zk_connect);
/* SIGTERM, then waits for the exit (SIGKILL after 30 s). Keeps the dir. */
void bkh_stop(struct broker_harness *h);
/* Stops the broker if needed and removes its dir. Safe to call twice. */
void bkh_cleanup(struct broker_harness *h);

#endif
