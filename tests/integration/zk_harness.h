/*
 * A real ZooKeeper for the zk integration tests, and loop helpers.
 *
 * Owns: starting a private server with tools/gregor-zookeeper on a free
 * loopback port in a fresh temp dir, stopping it (also when the test program
 * dies: the script's --owner-pid watchdog ends the server with us), running
 * the test's libev loop until a condition holds, and ending a session from
 * the outside the way a server does when a session times out. It does not
 * assert anything; the test programs do.
 */
#ifndef GREGOR_TESTS_ZK_HARNESS_H
#define GREGOR_TESTS_ZK_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;

struct zk_harness {
    char *dir;        /* temp dir holding zoo.cfg, data and logs; owned */
    int port;         /* loopback port of the server */
    char connect[64]; /* "127.0.0.1:<port>" */
    bool running;     /* started and not stopped */
};

/* Picks a free port and starts a server there (retrying on a port race).
 * Returns 0 or -1 (the reason is printed). */
int zkh_start(struct zk_harness *h, const char *tag);
/* Picks a port and a dir without starting anything (for "server down at
 * start"); zkh_restart() starts the server later. */
int zkh_prepare(struct zk_harness *h, const char *tag);
/* (Re)starts the server in h->dir on h->port. Returns 0 or -1. */
int zkh_restart(struct zk_harness *h);
/* Stops the server, keeping its data (a restart resumes its sessions). */
void zkh_stop(struct zk_harness *h);
/* Stops the server and removes its dir. Safe to call twice. */
void zkh_cleanup(struct zk_harness *h);

/* Runs loop until pred(arg) is true or timeout_s passes. Returns pred's
 * final value. */
bool zkh_run_until(struct ev_loop *loop, bool (*pred)(void *), void *arg, double timeout_s);
/* Runs loop until *flag is true or timeout_s passes. */
bool zkh_wait(struct ev_loop *loop, const bool *flag, double timeout_s);
/* Runs loop for secs regardless. */
void zkh_spin(struct ev_loop *loop, double secs);
/* Runs loop until the int *counter reaches n or timeout_s passes. */
bool zkh_wait_count(struct ev_loop *loop, const int *counter, int n, double timeout_s);

/* Ends session id on the server: attaches a second ZooKeeper client to it
 * with its password and closes that client, the way an operator (or Kafka's
 * own tests) expire a session. The first client then sees its session as
 * expired. Returns 0 or -1. */
int zkh_expire_session(const char *connect, int64_t id, const char passwd[16]);

/* Monotonic seconds. */
double zkh_now(void);

/* A loopback port nobody uses right now (another process may take it
 * before the caller binds it). Returns it or -1. */
int zkh_free_port(void);

#endif
