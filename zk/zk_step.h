/*
 * Internal to zk/: the pattern every multi-step ZooKeeper operation of
 * zk_kafka.c, zk_controller.c and zk_topic.c is built from. Not for the broker.
 *
 * Owns: struct zk_step, the head of each operation object (the client and the
 * function that issues the operation's current request); re-running that
 * request after a connection loss the way Kafka's retryRequestUntilConnected
 * does (zk_client holds it until it has reconnected); the paths shared by
 * several modules; and a get that retries by itself. It does not finish
 * operations or call owners back: each module's finish function does.
 *
 * A step function issues exactly one request. If the request cannot even be
 * issued, the step finishes its operation on the spot; that is safe because
 * only an operation's first request runs inside the owner's call (and the
 * public functions issue that one themselves, returning its error instead).
 */
#ifndef GREGOR_ZK_ZK_STEP_H
#define GREGOR_ZK_ZK_STEP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zk/zk_client.h"

/* Room for any znode path gregor builds (topic names are <= 249 chars). */
#define ZK_STEP_PATH_MAX 512
/* Room for a `why` sentence. */
#define ZK_STEP_WHY_MAX 512

/* The head of every multi-step operation object. */
struct zk_step {
    struct zk_client *zc;           /* the client the requests run on */
    void (*step)(struct zk_step *); /* issues the current request; re-run after a connection loss */
};

/* Re-runs the current step if rc is a connection loss; true if it did (the
 * completion must then return without looking at rc). */
bool zk_step_retry(struct zk_step *s, int rc);

/* Makes step the current one and runs it. */
static inline void zk_step_run(struct zk_step *s, void (*step)(struct zk_step *))
{
    s->step = step;
    step(s);
}

/* Formats a `why` sentence into buf and returns buf. */
__attribute__((format(printf, 3, 4))) static inline const char *zk_step_why(char *buf, size_t n,
                                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

/* /brokers/topics/<topic>/partitions/<partition>/state into out[ZK_STEP_PATH_MAX]. */
static inline void zk_step_state_path(char *out, const char *topic, int32_t partition)
{
    snprintf(out, ZK_STEP_PATH_MAX, "/brokers/topics/%s/partitions/%d/state", topic,
             (int)partition);
}

/* zk_client_get() that is sent again after a connection loss; otherwise the
 * same contract (cb called once unless this returns an error). Borrows path
 * and watch. */
int zk_step_get(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                zk_data_cb cb, void *ctx);

#endif
