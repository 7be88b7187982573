/*
 * gregor-topics' ZooKeeper session: the asynchronous zk client (zk/) driven
 * to completion one request at a time on a private libev loop.
 *
 * Owns: the loop, the client, the connect deadline and an overall deadline
 * for every later request. A command-line tool does one thing after another,
 * so each call here issues one asynchronous request and runs the loop until
 * its callback has run; the commands then read like Kafka's TopicCommand,
 * which makes blocking calls on its KafkaZkClient. It does not know what the
 * commands do with the answers and never prints anything: failures come back
 * as a ZK_* code and a sentence.
 *
 * Data and names handed back are copies owned by the caller (free()).
 */
#ifndef GREGOR_TOOLS_TOPICS_ZK_H
#define GREGOR_TOOLS_TOPICS_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_kafka.h"

struct topics_zk;

/* How long gregor-topics waits for a first session, and then for each
 * request: a tool that hangs on a dead ZooKeeper is worse than one that says
 * so. Kafka's tool waits 30 s; a loopback or LAN ZooKeeper answers in
 * milliseconds, so 10 s is plenty and keeps scripts moving. */
#define TOPICS_ZK_CONNECT_TIMEOUT_MS 10000
#define TOPICS_ZK_REQUEST_TIMEOUT_MS 30000

/* Connects to connect ("host:port[,...][/chroot]", borrowed) and waits for a
 * session. Returns a new session (free with topics_zk_close()) or NULL with
 * the reason in errstr ("cannot connect to ZooKeeper at ..."). */
struct topics_zk *topics_zk_open(const char *connect, char *errstr, size_t errsz);
/* The zk client logs reconnects and session changes for a broker's
 * operator; in a one-shot tool they would only bury the answer: they go to
 * /dev/null unless GREGOR_LOG_LEVEL is set. */
void topics_zk_quiet_logs(void);
/* Closes the session (its ephemerals, none here, go at once). NULL is ignored. */
void topics_zk_close(struct topics_zk *z);

/* The underlying client, for the zk/ modules' own operations (borrowed). */
struct zk_client *topics_zk_client(struct topics_zk *z);

/* Reads path. On GR_OK *data is a new NUL-terminated copy (NULL for a znode
 * without data), *len its length and *st (may be NULL) its stat. */
int topics_zk_get(struct topics_zk *z, const char *path, char **data, size_t *len,
                  struct zk_stat *st);
/* Lists path's children, sorted by strcmp. On GR_OK *names is a new array of
 * *n new strings; free with topics_zk_free_names(). */
int topics_zk_children(struct topics_zk *z, const char *path, char ***names, int *n);
void topics_zk_free_names(char **names, int n);
/* GR_OK if path exists, GR_E_NOENT if not, another code on failure. */
int topics_zk_exists(struct topics_zk *z, const char *path);
/* Creates a persistent path with data (borrowed, may be NULL) and any
 * missing parents; GR_E_EXISTS if path exists. */
int topics_zk_create(struct topics_zk *z, const char *path, const char *data, size_t len);
/* Replaces path's data if its version still is version (compare-and-set). */
int topics_zk_set(struct topics_zk *z, const char *path, const char *data, size_t len, int version);

/* Runs zk_topic_create() (borrows everything). why (may be NULL) receives
 * its sentence on failure. */
int topics_zk_topic_create(struct topics_zk *z, const char *topic,
                           const struct zk_topic_assignment *a, const struct zk_config *c,
                           char *why, size_t whysz);
/* Runs zk_kafka_create_config_change_notification() for entity_path. */
int topics_zk_config_changed(struct topics_zk *z, const char *entity_path, char *why, size_t whysz);

/* The live brokers' ids, sorted ascending, as a new array (*ids, free()). */
int topics_zk_broker_ids(struct topics_zk *z, int32_t **ids, int *n, char *why, size_t whysz);

#endif
