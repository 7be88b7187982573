/*
 * gregor-replica-verification: Kafka's kafka-replica-verification
 * (ReplicaVerificationTool) for gregor. It fetches every partition of the
 * chosen topics from every replica, followers included, as the debugging
 * consumer (replica id -2, which followers answer from their own log up to
 * their own high watermark), and compares the replicas' record batches
 * offset by offset up to the high watermark: each batch's last offset and
 * checksum must agree on every replica, and each checksum must match the
 * batch's bytes.
 *
 * The tool's shared state and the split of its work:
 *   replica_verify_main.c   options, the run loop, reports and exit status
 *   replica_verify_fetch.c  Metadata, ListOffsets and Fetch over the wire
 *   replica_verify_check.c  the comparison of one partition's replicas and the
 *                           report time stamp
 *   replica_verify_batch.c  record batch headers
 *   kconn.c                 one blocking connection per broker (shared)
 * Everything runs on one thread, one request in flight per broker: the tool is a
 * checker, not a load generator.
 */
#ifndef GREGOR_TOOLS_REPLICA_VERIFY_H
#define GREGOR_TOOLS_REPLICA_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/kconn.h"

#define RV_TOOL "gregor-replica-verification"

/* Exit statuses. */
enum {
    RV_EXIT_OK = 0,         /* every replica agrees (--once) */
    RV_EXIT_MISMATCH = 1,   /* replicas differ, or a replica's data is corrupt */
    RV_EXIT_USAGE = 2,      /* bad command line */
    RV_EXIT_INCOMPLETE = 3, /* could not verify everything (brokers, timeout) */
};

struct rv_opts {
    char *broker_list;     /* --broker-list host:port,... (owned) */
    char *topic_regex;     /* --topic-white-list / --topics-include, NULL: all (owned) */
    int32_t fetch_size;    /* --fetch-size, bytes per partition and per response */
    int32_t max_wait_ms;   /* --max-wait-ms of each fetch (0 in --once) */
    int64_t initial_time;  /* --time: -1 latest, -2 earliest, else a timestamp in ms */
    int64_t report_ms;     /* --report-interval-ms */
    bool once;             /* --once: verify up to the high watermark and exit */
    int64_t timeout_ms;    /* --timeout-ms: how long --once may take */
    int socket_timeout_ms; /* for each request */
};

/* One replica of a partition, as the last round fetched it. */
struct rv_replica {
    int32_t broker;   /* its broker id */
    int bi;           /* index in rv.brokers, -1: not a live broker */
    bool fetched;     /* this round answered for it without error */
    int16_t error;    /* the last answer's error code for it (0 none) */
    int64_t hw;       /* its high watermark in that answer */
    uint8_t *records; /* the record set it returned (owned), NULL if empty */
    size_t len;       /* bytes in records */
};

struct rv_part {
    char *topic;            /* owned */
    int32_t partition;      /* index */
    int32_t leader;         /* from Metadata, -1 none */
    int64_t offset;         /* verified up to here (the next offset to compare) */
    int64_t target;         /* --once: the leader's high watermark at the start */
    bool have_offset;       /* offset (and target) were set by ListOffsets */
    int nrep;               /* entries in rep */
    struct rv_replica *rep; /* owned */
};

struct rv_broker {
    int32_t id;          /* broker id */
    struct kconn conn;    /* its connection */
    char error[256];     /* why its last request failed, "" if it did not */
};

struct rv {
    struct rv_opts o;          /* the command line */
    struct rv_broker *brokers; /* live brokers, from Metadata (owned) */
    int nbrokers;              /* entries in brokers */
    struct rv_part *parts;     /* the partitions verified, by topic then partition (owned) */
    int nparts;                /* entries in parts */
    bool mismatch;             /* some replicas differed */
};

/* Prints "yyyy-MM-dd HH:mm:ss,SSS" (local time), Kafka's report stamp. */
void rv_time_string(char *out, size_t n);

/* replica_verify_fetch.c. */

/* Each of these returns 0, or -1 with the reason in errstr. */

/* Reads the brokers and the partitions of the topics the regex (or all)
 * selects from the first bootstrap broker that answers. */
int rv_fetch_metadata(struct rv *rv, char *errstr, size_t errsz);
/* Sets each partition's start offset (--time) and, for --once, its target
 * (the leader's high watermark), asking the leaders; a partition whose
 * leader does not answer keeps have_offset false, and the reason is in
 * errstr (the call still returns 0 if some partitions were set). */
int rv_fetch_offsets(struct rv *rv, char *errstr, size_t errsz);
/* Fetches every partition that wants it (want[i] true) from every replica,
 * as the debugging consumer, from its verified offset: one request per
 * broker. Fills each replica's fetched, error, hw and records; a broker that
 * cannot be reached leaves its replicas unfetched and says why in its error. */
void rv_fetch_round(struct rv *rv, const bool *want);

/* replica_verify_check.c. */

/* Compares the replicas of p as fetched (all must be fetched), moves
 * p->offset past every batch all of them agree on, below each one's high
 * watermark. Prints each disagreement as Kafka's tool does and returns
 * false if there was one. */
bool rv_check_partition(struct rv_part *p);

#endif
