/*
 * A ZooKeeper session driven by the owner's libev loop.
 *
 * Owns: one libzookeeper_st handle at a time and the ev_io/ev_timer that drive
 * it (zookeeper_interest() says what to wait for, zookeeper_process() runs when
 * it happens), reconnection, replacing an expired session with a new one,
 * requests made while there is no connection, one-shot watches, and routing
 * the C client's own log lines into gregor's logger. It does not know Kafka's
 * znodes (zk_kafka.c), does not retry a request that failed (the caller
 * decides; zk_kafka.c retries what Kafka retries) and never blocks the loop,
 * except for the session close in zk_client_free().
 *
 * Sessions. zk_client_new() starts connecting at once and keeps trying the
 * servers of the connect string until one answers, logging "cannot reach
 * ZooKeeper at <connect>, retrying" every retry_log_interval_ms. The session
 * callbacks tell the owner what happened:
 *   connected(new_session)  a session is established. new_session is true for
 *                           the first session and after every expiry: then no
 *                           ephemeral znode and no watch of the owner exists
 *                           any more. false when a lost connection was resumed
 *                           within the session timeout: everything survived.
 *   disconnected            the connection was lost; the session may still be
 *                           alive. The client reconnects by itself.
 *   expired                 the server ended the session (its ephemerals are
 *                           gone, its watches were reported as ZK_EVENT_LOST).
 *                           The client closes the dead handle and opens a new
 *                           session by itself; connected(true) follows, and the
 *                           owner must then re-create its ephemeral znodes
 *                           (broker registration, /controller) and re-set its
 *                           watches.
 *   connect_timeout         no session came up within connection_timeout_ms of
 *                           zk_client_new() (zookeeper.connection.timeout.ms);
 *                           the client keeps trying, the owner may give up.
 *
 * Requests. Every call that takes a callback returns 0 or a negative ZK_*
 * code. If it returns an error the callback is never called; if it returns 0
 * the callback is called exactly once, later, from the loop -- never from
 * inside the call. Paths, data and ops are copied: they are borrowed only for
 * the duration of the call. Requests made while there is no connection wait
 * and are sent in order once connected; if the session expires first they
 * complete with GR_E_ZK_EXPIRED. A request in flight when the connection
 * drops completes with GR_E_ZK_CONNLOSS (it may or may not have been applied,
 * as always with ZooKeeper). Data and names handed to a callback are valid
 * only during the callback.
 *
 * Watches. A get, get_children or exists may carry a one-shot watch with its
 * own function and context. It is armed only when the request completes with
 * GR_OK (for exists also GR_E_NOENT, which watches for the creation); an
 * unarmed watch is never called. An armed watch is called exactly once: with
 * the event (ZK_EVENT_CREATED/DELETED/CHANGED/CHILD), or with ZK_EVENT_LOST
 * when the session expires or the client is freed. A resumed connection keeps
 * watches armed (the C client re-sends them).
 *
 * Lifetime. zk_client_free() may be called at any time, also from inside any
 * callback of the same client. Every request still owed a callback completes
 * with GR_E_CLOSING and every armed watch gets ZK_EVENT_LOST -- inside
 * zk_client_free() itself, or, when it is called from inside a callback, at the
 * safe point right after that callback returns. During those final callbacks
 * new requests fail with GR_E_CLOSING and another zk_client_free() is a no-op.
 * After that no callback runs and the client's memory is gone. Freeing closes
 * the session, so its ephemeral znodes disappear at once; the single-threaded C
 * client does that synchronously (one round trip, at most 4.5 s if the server
 * stops answering).
 *
 * Thread safety: none; everything happens on the owner's loop thread.
 */
#ifndef GREGOR_ZK_ZK_CLIENT_H
#define GREGOR_ZK_ZK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct ev_loop;
struct zk_client;

/* Result codes are gregor's (common/err.h): ZooKeeper's own ZOO_ERRORS are
 * mapped where they leave the C client (zk_client.c): ZNONODE is GR_E_NOENT,
 * ZNODEEXISTS GR_E_EXISTS, ZOPERATIONTIMEOUT GR_E_TIMEOUT, ZBADARGUMENTS
 * GR_E_INVALID, ZINVALIDSTATE GR_E_STATE, ZCLOSING GR_E_CLOSING, and the rest
 * their GR_E_ZK_* equivalents (connection loss, session expired, bad version,
 * ...). Kafka-level results of zk_kafka.c, zk_controller.c and zk_topic.c are
 * GR_E_CORRUPT (malformed znode contents), GR_E_NOT_CONTROLLER (the
 * controller epoch moved on: the writer is deposed), GR_E_TOPIC_EXISTS and
 * GR_E_BROKER_ID_TAKEN. gr_strerror() names every one. */

/* A znode version that matches any version (delete, set, check). */
#define ZK_ANY_VERSION (-1)

/* Create modes (combine EPHEMERAL and SEQUENTIAL with |). */
#define ZK_PERSISTENT 0
#define ZK_EPHEMERAL  1
#define ZK_SEQUENTIAL 2

/* A znode's metadata, as ZooKeeper's Stat. */
struct zk_stat {
    int64_t czxid;           /* transaction that created it (a broker's epoch) */
    int64_t mzxid;           /* transaction that last changed its data */
    int64_t pzxid;           /* transaction that last changed its children */
    int64_t ctime_ms;        /* creation time */
    int64_t mtime_ms;        /* last data change time */
    int32_t version;         /* data version: the compare-and-set token */
    int32_t cversion;        /* children version */
    int64_t ephemeral_owner; /* owning session id, 0 for persistent znodes */
    int32_t data_length;     /* bytes of data */
    int32_t num_children;    /* number of children */
};

/* Watch events. ZK_EVENT_LOST: the watch will never fire (session expired or
 * client freed). */
enum zk_event {
    ZK_EVENT_CREATED = 1,
    ZK_EVENT_DELETED = 2,
    ZK_EVENT_CHANGED = 3,
    ZK_EVENT_CHILD = 4,
    ZK_EVENT_LOST = -1,
};

typedef void (*zk_watch_fn)(int event, const char *path, void *ctx);

/* A one-shot watch to attach to a read. */
struct zk_watcher {
    zk_watch_fn fn; /* called once, see "Watches" above */
    void *ctx;      /* passed to fn */
};

typedef void (*zk_void_cb)(int rc, void *ctx);
/* path: the created znode (with the sequence number for ZK_SEQUENTIAL). */
typedef void (*zk_create_cb)(int rc, const char *path, const struct zk_stat *stat, void *ctx);
typedef void (*zk_stat_cb)(int rc, const struct zk_stat *stat, void *ctx);
/* data is NULL and len 0 for a znode without data. */
typedef void (*zk_data_cb)(int rc, const char *data, size_t len, const struct zk_stat *stat,
                           void *ctx);
typedef void (*zk_children_cb)(int rc, const char *const *names, int n, const struct zk_stat *stat,
                               void *ctx);

/* One operation of a multi(): all succeed or none is applied. */
enum zk_op_type { ZK_OP_CREATE, ZK_OP_DELETE, ZK_OP_SET, ZK_OP_CHECK };

struct zk_op {
    enum zk_op_type type; /* what to do */
    const char *path;     /* the znode */
    const char *data;     /* create, set: the data (may be NULL) */
    size_t len;           /* create, set: bytes of data */
    int flags;            /* create: ZK_PERSISTENT / ZK_EPHEMERAL / ZK_SEQUENTIAL */
    int version;          /* delete, set, check: expected version or ZK_ANY_VERSION */
};

static inline struct zk_op zk_client_op_create(const char *path, const char *data, size_t len,
                                               int flags)
{
    return (struct zk_op){.type = ZK_OP_CREATE,
                          .path = path,
                          .data = data,
                          .len = len,
                          .flags = flags,
                          .version = ZK_ANY_VERSION};
}
static inline struct zk_op zk_client_op_delete(const char *path, int version)
{
    return (struct zk_op){.type = ZK_OP_DELETE, .path = path, .version = version};
}
static inline struct zk_op zk_client_op_set(const char *path, const char *data, size_t len,
                                            int version)
{
    return (struct zk_op){
        .type = ZK_OP_SET, .path = path, .data = data, .len = len, .version = version};
}
static inline struct zk_op zk_client_op_check(const char *path, int version)
{
    return (struct zk_op){.type = ZK_OP_CHECK, .path = path, .version = version};
}

/* The outcome of one op of a multi(). */
struct zk_op_result {
    int rc;              /* GR_OK, the op's own error, or GR_E_ZK_ROLLEDBACK if rolled back */
    const char *path;    /* create: the created path; otherwise NULL */
    struct zk_stat stat; /* set: the znode's new stat; otherwise zero */
};

/* rc is GR_OK if every op succeeded, else the first failing op's error (or a
 * connection-level error, with every result carrying it). */
typedef void (*zk_multi_cb)(int rc, const struct zk_op_result *results, int n, void *ctx);

/* Session callbacks; any may be NULL. See "Sessions" above. */
struct zk_client_callbacks {
    void (*connected)(struct zk_client *zc, bool new_session, void *ctx);
    void (*disconnected)(struct zk_client *zc, void *ctx);
    void (*expired)(struct zk_client *zc, void *ctx);
    void (*connect_timeout)(struct zk_client *zc, void *ctx);
};

struct zk_client_config {
    const char *connect;           /* zookeeper.connect: "host:port[,host:port...][/chroot]" */
    int session_timeout_ms;        /* zookeeper.session.timeout.ms (Kafka's default 18000) */
    int connection_timeout_ms;     /* zookeeper.connection.timeout.ms; 0 = the session timeout */
    int retry_log_interval_ms;     /* how often "cannot reach" is logged; 0 = every 5 s */
    struct zk_client_callbacks cb; /* session callbacks */
    void *ctx;                     /* passed to the session callbacks */
};

/* Creates a client on loop (borrowed; must outlive the client) and starts
 * connecting; the first attempt happens on the loop. Borrows cfg (the connect
 * string is copied). Host names in it are resolved with getaddrinfo(), which
 * blocks: here, and on each reconnect attempt; configure addresses or keep a
 * local resolver. Returns a new client (free with zk_client_free()) or NULL
 * with the reason in errstr. */
struct zk_client *zk_client_new(struct ev_loop *loop, const struct zk_client_config *cfg,
                                char *errstr, size_t errsz);
/* See "Lifetime" above. NULL is ignored. */
void zk_client_free(struct zk_client *zc);

/* True while a session is established and connected. */
bool zk_client_connected(const struct zk_client *zc);
/* The current session's id, 0 before the first session. */
int64_t zk_client_session_id(const struct zk_client *zc);
/* The session timeout the server granted (the configured one before that). */
int zk_client_session_timeout_ms(const struct zk_client *zc);
/* The configured connect string (borrowed, valid for the client's life). */
const char *zk_client_connect_string(const struct zk_client *zc);
/* Copies the session's id and password, which let another ZooKeeper client
 * take over the same session (tools and tests use it to end a session).
 * Returns GR_OK, or GR_E_STATE before the first session. */
int zk_client_session_credentials(const struct zk_client *zc, int64_t *id, char passwd[16]);

/* The requests. Each borrows path, data, ops and watch for the duration of
 * the call only (they are copied) and hands ctx back to cb untouched. data
 * may be NULL for a znode without data (zkCli.sh shows "null"). */

/* Creates path with data. flags: ZK_PERSISTENT, ZK_EPHEMERAL, ZK_SEQUENTIAL. */
int zk_client_create(struct zk_client *zc, const char *path, const char *data, size_t len,
                     int flags, zk_create_cb cb, void *ctx);
/* Creates persistent path with data and every missing parent (with no data).
 * Completes with GR_E_EXISTS if path itself exists (existing parents are
 * fine); that is Kafka's createRecursive. */
int zk_client_create_recursive(struct zk_client *zc, const char *path, const char *data, size_t len,
                               zk_create_cb cb, void *ctx);
/* Deletes path if its version matches (or version is ZK_ANY_VERSION). */
int zk_client_delete(struct zk_client *zc, const char *path, int version, zk_void_cb cb, void *ctx);
/* Replaces path's data if its version matches; cb gets the new stat. */
int zk_client_set(struct zk_client *zc, const char *path, const char *data, size_t len, int version,
                  zk_stat_cb cb, void *ctx);
/* Reads path's data; watch (may be NULL) fires on change or deletion. */
int zk_client_get(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                  zk_data_cb cb, void *ctx);
/* Lists path's children (unsorted names); watch fires when they change or
 * path is deleted. */
int zk_client_get_children(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                           zk_children_cb cb, void *ctx);
/* Stats path (GR_E_NOENT if absent); watch fires on creation, change or
 * deletion. */
int zk_client_exists(struct zk_client *zc, const char *path, const struct zk_watcher *watch,
                     zk_stat_cb cb, void *ctx);
/* Runs n (1..1000) ops atomically. */
int zk_client_multi(struct zk_client *zc, const struct zk_op *ops, int n, zk_multi_cb cb,
                    void *ctx);
/* Calls cb(GR_OK) after ms milliseconds, or cb(GR_E_CLOSING) if the client is
 * freed first: a delay that follows the client's callback rules, for retry
 * loops built on the client. */
int zk_client_after(struct zk_client *zc, int ms, zk_void_cb cb, void *ctx);

#endif
