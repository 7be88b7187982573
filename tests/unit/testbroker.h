/*
 * A broker for unit tests on a real libev loop: real logs in a temp dir,
 * the delayed-operation facility, an empty metadata cache that the test
 * fills by hand (as its ZooKeeper reads would), no ZooKeeper session and no
 * listener unless the test binds one. Shared by the tests of the hosted
 * partitions and of the API dispatch.
 */
#ifndef GREGOR_TESTS_TESTBROKER_H
#define GREGOR_TESTS_TESTBROKER_H

#include <ev.h>

#include "broker/cluster/controller.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/core/delay.h"

struct testbroker {
    struct ev_loop *loop;     /* its own loop; owned */
    struct broker b;          /* id `id`, every part below wired in */
    struct broker_config cfg; /* defaults, log.dirs = dir, plus the test's keys */
    struct metadata md;       /* empty and loaded; the test adds brokers and topics */
    struct delay delay;       /* on loop */
    struct controller ctl;    /* inactive: another broker is the controller */
    char *dir;                /* the log dir; owned, removed by testbroker_destroy */
};

/* Sets up t as broker id with the NULL-terminated key, value pairs of
 * config (may be NULL) on top of the defaults. Fails the running CUnit test
 * fatally if anything cannot be set up. */
void testbroker_init(struct testbroker *t, const char *tag, int32_t id, const char *const *config);

/* Closes every connection, the hosted partitions, the cache (with the
 * topics the test added), the logs and the loop, and removes dir; asserts
 * that every interned topic name was released. */
void testbroker_destroy(struct testbroker *t);

/* Frees the connections closed since the last call: what server.c's reaper
 * does after every loop iteration. */
void testbroker_reap(struct testbroker *t);

#endif
