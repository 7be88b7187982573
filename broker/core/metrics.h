/*
 * The broker's counters for the Prometheus endpoint (gregor.metrics.listener).
 *
 * Owns the counters that cannot be read off the broker's state when a
 * scrape comes: requests and their times per API, bytes and messages of all
 * topics together, ZooKeeper session events. Per-topic traffic lives in
 * each hosted partition (struct partition), so counting a Produce or Fetch
 * costs no lookup; gauges (partition and leader counts, the ISR, log sizes)
 * are computed at scrape time (broker/metrics/metrics_broker.c). They live
 * here, in core/, because net/ and api/ count into them and broker/metrics/
 * (which reads cluster/) is above both.
 *
 * Every count happens on the loop thread (handlers, conn.c, server.c's
 * ZooKeeper callbacks); the log's worker threads count nothing. So these
 * are plain integers, no atomics. b->metrics is NULL when the endpoint is
 * off, and each counting call then costs one test of that pointer.
 */
#ifndef GREGOR_BROKER_CORE_METRICS_H
#define GREGOR_BROKER_CORE_METRICS_H

#include <ev.h>
#include <stdint.h>

/* Request counters are indexed by API key and version. Keys from 64 on
 * are not counted (none is served); versions from 15 on count as 15. Two
 * more slots are Kafka's second names of a Fetch: FetchConsumer and
 * FetchFollower, by whether a consumer or a follower asked. */
#define METRICS_API_KEYS 64
#define METRICS_FETCH_CONSUMER 64
#define METRICS_FETCH_FOLLOWER 65
#define METRICS_API_SLOTS 66
#define METRICS_API_VERSIONS 16
/* Request time buckets: bucket i holds times below 250 us << i (0.25 ms,
 * 0.5 ms, ... 16384 ms); the last one everything longer. */
#define METRICS_TIME_BUCKETS 18
#define METRICS_TIME_BASE_US 250
/* The quantiles (Kafka's histograms are recent, not since start) are read
 * from the requests of the last one to two windows of this length (s). */
#define METRICS_WINDOW_S 30.0

/* What ZooKeeper says of our session, for gregor_zookeeper_session_state. */
enum metrics_zk_state {
    METRICS_ZK_CONNECTING,   /* before the first session */
    METRICS_ZK_CONNECTED,    /* a session is up */
    METRICS_ZK_DISCONNECTED, /* the session lives, the connection is lost */
    METRICS_ZK_EXPIRED,      /* the session expired; a new one is being opened */
};

struct metrics_api {
    uint64_t requests[METRICS_API_VERSIONS]; /* answered (or finished) requests by version */
    uint64_t time_count;                     /* requests timed */
    uint64_t time_sum_us;                    /* their total time */
    uint64_t time[METRICS_TIME_BUCKETS];     /* since start, by bucket */
    uint64_t recent[2][METRICS_TIME_BUCKETS]; /* this window and the one before */
};

struct metrics {
    struct ev_loop *loop;    /* borrowed */
    ev_timer window;         /* turns the recent windows */
    int cur;                 /* recent[cur] is the window being filled */
    /* all topics (Kafka's BrokerTopicMetrics without a topic) */
    uint64_t messages_in;    /* records appended by Produce as leader */
    uint64_t bytes_in;       /* their batch bytes */
    uint64_t bytes_out;      /* record bytes sent to consumers (not to followers) */
    /* ZooKeeper (Kafka's SessionExpireListener) */
    enum metrics_zk_state zk_state;
    uint64_t zk_sync_connects; /* sessions established or connections regained */
    uint64_t zk_disconnects;   /* connections lost */
    uint64_t zk_expires;       /* sessions expired */
    struct metrics_api api[METRICS_API_SLOTS]; /* by API key, then the two Fetch slots */
};

/* Allocates zeroed counters and starts the window timer on loop. Returns
 * NULL when out of memory. The caller owns the result (metrics_free). */
struct metrics *metrics_new(struct ev_loop *loop);
/* Stops the timer and frees m (NULL is fine). */
void metrics_free(struct metrics *m);

/* Bucket index of a request time in microseconds. */
static inline int metrics_time_bucket(int64_t us)
{
    if (us < METRICS_TIME_BASE_US)
        return 0;
    int i = 64 - __builtin_clzll((unsigned long long)(us / METRICS_TIME_BASE_US));
    return i < METRICS_TIME_BUCKETS ? i : METRICS_TIME_BUCKETS - 1;
}

/* A request counted in slot (an API key, or a Fetch slot above), of that
 * version, finished after us microseconds (from its frame to its response
 * leaving, or to its end without one). */
static inline void metrics_request_done(struct metrics *m, int slot, int16_t version, int64_t us)
{
    if (slot < 0 || slot >= METRICS_API_SLOTS)
        return;
    struct metrics_api *a = &m->api[slot];
    int b = metrics_time_bucket(us < 0 ? 0 : us);
    a->requests[version >= 0 && version < METRICS_API_VERSIONS ? version
                                                               : METRICS_API_VERSIONS - 1]++;
    a->time_count++;
    a->time_sum_us += (uint64_t)(us < 0 ? 0 : us);
    a->time[b]++;
    a->recent[m->cur][b]++;
}

/* The ZooKeeper session entered state s (server.c's session callbacks). */
static inline void metrics_zk_event(struct metrics *m, enum metrics_zk_state s)
{
    m->zk_state = s;
    m->zk_sync_connects += s == METRICS_ZK_CONNECTED;
    m->zk_disconnects += s == METRICS_ZK_DISCONNECTED;
    m->zk_expires += s == METRICS_ZK_EXPIRED;
}

/* Records appended by Produce as leader: records and their batch bytes, in
 * all topics (the partition counts its own, struct partition). */
static inline void metrics_produced(struct metrics *m, uint64_t records, uint64_t bytes)
{
    m->messages_in += records;
    m->bytes_in += bytes;
}

#endif
