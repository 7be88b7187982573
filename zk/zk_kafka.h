/*
 * Kafka's ZooKeeper-mode operations, asynchronous, on top of zk_client.
 *
 * Owns: the znode paths of Kafka's ZooKeeper layout (kafka-compat.md §3), the
 * multi-step sequences Kafka 2.8's KafkaZkClient runs (top-level paths,
 * cluster id, broker id sequence, checked broker registration, controller
 * election, controller-epoch fencing, topic creation and deletion,
 * notifications), and decoding what it reads into zk_json structs. It holds
 * no state between calls and decides nothing: when to register, whom to
 * elect as partition leader, what to do after losing an election, all belong
 * to the broker and the controller.
 *
 * Callback rules are zk_client's: a call returns 0 or a negative ZK_* code;
 * on error the callback is never called, on 0 it is called exactly once,
 * later, from the loop. Callbacks receive rc, decoded results (borrowed for
 * the callback only) and `why`, a sentence for the log when rc is not ZK_OK
 * (NULL on success). A step that fails with ZK_CONNECTIONLOSS is retried once
 * the client has reconnected, as Kafka's retryRequestUntilConnected does; a
 * session that expires meanwhile ends the operation with ZK_SESSIONEXPIRED,
 * freeing the client ends it with ZK_CLOSING.
 *
 * rc values beyond ZooKeeper's own: ZK_E_BADJSON (a znode's contents are
 * malformed; why quotes the decoder's reason), ZK_E_TOPIC_EXISTS,
 * ZK_E_BROKER_ID_TAKEN, ZK_E_CONTROLLER_MOVED (a fenced controller write
 * found /controller_epoch at another version: this controller is deposed and
 * must stop writing).
 */
#ifndef GREGOR_ZK_ZK_KAFKA_H
#define GREGOR_ZK_ZK_KAFKA_H

#include <stdbool.h>
#include <stdint.h>

#include "zk/zk_client.h"
#include "zk/zk_json.h"

struct ev_loop;

/* Kafka's default reserved.broker.max.id: generated ids start above it. */
#define ZK_KAFKA_RESERVED_BROKER_MAX_ID 1000
/* Pass as epoch_zk_version for an unfenced write (admin tools, tests). */
#define ZK_KAFKA_UNFENCED ZK_ANY_VERSION

typedef void (*zk_kafka_done_cb)(int rc, const char *why, void *ctx);

/* True if name is a legal Kafka topic name ([a-zA-Z0-9._-], 1..249 chars,
 * not "." or ".."); every topic function refuses others with
 * ZK_BADARGUMENTS, since a '/' would address some other znode. */
bool zk_kafka_topic_name_valid(const char *name);

/* Creates the chroot of connect ("host:port/chroot") if missing, through a
 * short-lived client without the chroot (Kafka's KafkaServer does the same
 * before its real client starts). Without a chroot it just completes.
 * Completes with ZK_OPERATIONTIMEOUT if no server answers within
 * session_timeout_ms. */
int zk_kafka_make_chroot(struct ev_loop *loop, const char *connect, int session_timeout_ms,
                         zk_kafka_done_cb cb, void *ctx);

/* Creates Kafka's persistent top-level paths if absent: /consumers,
 * /brokers/ids, /brokers/topics, /brokers/seqid, /config/changes,
 * /config/topics (and Kafka's other /config entity types), /admin/delete_topics,
 * /isr_change_notification, /log_dir_event_notification,
 * /latest_producer_id_block. */
int zk_kafka_create_top_level_paths(struct zk_client *zc, zk_kafka_done_cb cb, void *ctx);

typedef void (*zk_kafka_cluster_id_cb)(int rc, const char *cluster_id, const char *why, void *ctx);
/* Writes /cluster/id with proposed unless it exists; either way reports the
 * cluster id now in ZooKeeper (the first writer wins). */
int zk_kafka_get_or_create_cluster_id(struct zk_client *zc, const char *proposed,
                                      zk_kafka_cluster_id_cb cb, void *ctx);

typedef void (*zk_kafka_broker_id_cb)(int rc, int32_t broker_id, const char *why, void *ctx);
/* Kafka's broker.id.generation: bumps /brokers/seqid's version with a set and
 * returns version + reserved_max_id (the first id is reserved_max_id + 1). */
int zk_kafka_generate_broker_id(struct zk_client *zc, int32_t reserved_max_id,
                                zk_kafka_broker_id_cb cb, void *ctx);

typedef void (*zk_kafka_register_cb)(int rc, int64_t broker_epoch, const char *why, void *ctx);
/* Registers the broker: creates the ephemeral /brokers/ids/<id> with info
 * (timestamp taken from info) and reports its czxid, the broker epoch. If the
 * znode exists:
 *   - owned by this client's session (a retried create, or a second call):
 *     it is ours, success with its czxid (KAFKA-7165);
 *   - advertising exactly our endpoints: it is our own registration from an
 *     earlier session that has not expired yet (no other live broker can
 *     serve a listener whose socket we hold); it is deleted at its version
 *     and ours created;
 *   - otherwise another broker holds the id. Retried until the session
 *     timeout has passed (that session may be expiring), then
 *     ZK_E_BROKER_ID_TAKEN with why naming the id and the holder's endpoint.
 * Call again from connected(new_session) after every expiry. */
int zk_kafka_register_broker(struct zk_client *zc, int32_t broker_id,
                             const struct zk_broker_info *info, zk_kafka_register_cb cb,
                             void *ctx);

/* The outcome of a controller election. */
struct zk_kafka_election {
    int rc;                   /* ZK_OK if the election ran to a result */
    bool won;                 /* this call created /controller and bumped the epoch */
    int32_t controller_id;    /* who holds /controller now; -1 if nobody */
    int32_t epoch;            /* won: the new controller epoch */
    int32_t epoch_zk_version; /* won: /controller_epoch's version, for fencing */
    const char *why;          /* rc != ZK_OK: what went wrong */
};
typedef void (*zk_kafka_election_cb)(const struct zk_kafka_election *e, void *ctx);
/* Tries to become controller: reads /controller_epoch (creating it as "0"),
 * then one multi() creates the ephemeral /controller and sets
 * /controller_epoch to epoch+1 at the version read. If another broker won,
 * won is false and controller_id names it (-1 if it already went away; the
 * owner watches /controller and tries again). controller_id equal to our own
 * id with won false means /controller was ours before this call. */
int zk_kafka_elect_controller(struct zk_client *zc, int32_t broker_id, zk_kafka_election_cb cb,
                              void *ctx);

typedef void (*zk_kafka_controller_cb)(int rc, int32_t controller_id, const char *why, void *ctx);
/* Reads /controller: controller_id -1 when there is none (rc ZK_OK). watch
 * (may be NULL) fires on its creation, change or deletion. */
int zk_kafka_get_controller(struct zk_client *zc, const struct zk_watcher *watch,
                            zk_kafka_controller_cb cb, void *ctx);

typedef void (*zk_kafka_epoch_cb)(int rc, int32_t epoch, int32_t zk_version, const char *why,
                                  void *ctx);
/* Reads /controller_epoch and its version (ZK_NONODE before any election). */
int zk_kafka_get_controller_epoch(struct zk_client *zc, zk_kafka_epoch_cb cb, void *ctx);

/* A controller write: one multi() of a check of /controller_epoch at
 * epoch_zk_version followed by ops, so a deposed controller cannot write.
 * cb gets the results of ops only; rc is ZK_E_CONTROLLER_MOVED if the check
 * failed. */
int zk_kafka_controller_multi(struct zk_client *zc, int32_t epoch_zk_version,
                              const struct zk_op *ops, int n, zk_multi_cb cb, void *ctx);

typedef void (*zk_kafka_version_cb)(int rc, int32_t zk_version, const char *why, void *ctx);
/* Controller: creates .../partitions/<p>/state (and its parents), fenced.
 * zk_version of the new znode is 0. ZK_NODEEXISTS if it exists. */
int zk_kafka_create_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                    const char *topic, int32_t partition,
                                    const struct zk_partition_state *st, zk_kafka_version_cb cb,
                                    void *ctx);
/* Controller: replaces the state if its version (the partition epoch) is
 * still expected_zk_version, fenced. ZK_BADVERSION if someone (the leader
 * shrinking the ISR) wrote it meanwhile: re-read and retry. cb gets the new
 * version. */
int zk_kafka_set_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                 const char *topic, int32_t partition,
                                 const struct zk_partition_state *st, int32_t expected_zk_version,
                                 zk_kafka_version_cb cb, void *ctx);
/* Partition leader: the same compare-and-set, without the controller fence
 * (a leader changing its ISR is not the controller). */
int zk_kafka_update_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                    const struct zk_partition_state *st,
                                    int32_t expected_zk_version, zk_kafka_version_cb cb,
                                    void *ctx);
/* Controller: deletes the state znode at expected_zk_version (or
 * ZK_ANY_VERSION), fenced. */
int zk_kafka_delete_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                    const char *topic, int32_t partition,
                                    int32_t expected_zk_version, zk_kafka_done_cb cb, void *ctx);

typedef void (*zk_kafka_state_cb)(int rc, const struct zk_partition_state *st, const char *why,
                                  void *ctx);
/* Reads a partition state; st->zk_version is the znode's version. */
int zk_kafka_get_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                 zk_kafka_state_cb cb, void *ctx);

/* Creates a topic as Kafka's AdminZkClient does: ZK_E_TOPIC_EXISTS if
 * /brokers/topics/<topic> exists; otherwise writes /config/topics/<topic>
 * first (config may be NULL: empty) and then /brokers/topics/<topic>, so a
 * broker that sees the topic always finds its config. */
int zk_kafka_create_topic(struct zk_client *zc, const char *topic,
                          const struct zk_topic_assignment *assignment,
                          const struct zk_config *config, zk_kafka_done_cb cb, void *ctx);
/* Requests deletion: creates /admin/delete_topics/<topic>. ZK_NONODE if the
 * topic does not exist, ZK_NODEEXISTS if it is already marked. */
int zk_kafka_mark_topic_for_deletion(struct zk_client *zc, const char *topic, zk_kafka_done_cb cb,
                                     void *ctx);
/* Controller: removes a topic's znodes, in Kafka's order: /brokers/topics/<t>
 * recursively, then /config/topics/<t>, then /admin/delete_topics/<t>. Each
 * delete is fenced by epoch_zk_version unless it is ZK_KAFKA_UNFENCED.
 * Missing znodes are fine. */
int zk_kafka_delete_topic_znodes(struct zk_client *zc, int32_t epoch_zk_version,
                                 const char *topic, zk_kafka_done_cb cb, void *ctx);

typedef void (*zk_kafka_topic_cb)(int rc, const struct zk_topic_assignment *a, const char *why,
                                  void *ctx);
/* Reads /brokers/topics/<topic>; watch (may be NULL) fires when it changes
 * (partitions added, reassignment) or is deleted. */
int zk_kafka_get_topic_assignment(struct zk_client *zc, const char *topic,
                                  const struct zk_watcher *watch, zk_kafka_topic_cb cb, void *ctx);

typedef void (*zk_kafka_config_cb)(int rc, const struct zk_config *c, const char *why, void *ctx);
/* Reads /config/topics/<topic>; a missing znode is an empty config. */
int zk_kafka_get_topic_config(struct zk_client *zc, const char *topic, zk_kafka_config_cb cb,
                              void *ctx);

typedef void (*zk_kafka_broker_cb)(int rc, const struct zk_broker_info *info,
                                   int64_t broker_epoch, const char *why, void *ctx);
/* Reads /brokers/ids/<id> and its czxid (the broker epoch). */
int zk_kafka_get_broker(struct zk_client *zc, int32_t broker_id, zk_kafka_broker_cb cb,
                        void *ctx);

/* One live broker as listed by zk_kafka_get_brokers(). */
struct zk_kafka_broker {
    int32_t id;                /* broker id */
    int64_t epoch;             /* czxid of its registration */
    struct zk_broker_info info; /* decoded registration */
};
typedef void (*zk_kafka_brokers_cb)(int rc, const struct zk_kafka_broker *brokers, int n,
                                    const char *why, void *ctx);
/* Lists the live brokers, sorted by id. watch (may be NULL) is a child watch
 * on /brokers/ids: it fires when a broker registers or goes away (a bounced
 * broker shows as a new epoch). A registration that vanishes while being read
 * is skipped; one that cannot be decoded is skipped and logged as an error
 * naming the znode, so one bad znode cannot hide the rest of the cluster. */
int zk_kafka_get_brokers(struct zk_client *zc, const struct zk_watcher *watch,
                         zk_kafka_brokers_cb cb, void *ctx);

typedef void (*zk_kafka_path_cb)(int rc, const char *path, const char *why, void *ctx);
/* Partition leader: tells the controller about ISR changes by creating
 * /isr_change_notification/isr_change_<seq>. cb gets the created path. */
int zk_kafka_propagate_isr_changes(struct zk_client *zc, const struct zk_partition_list *changes,
                                   zk_kafka_path_cb cb, void *ctx);
/* Announces a dynamic config change of entity_path ("topics/<t>") with
 * /config/changes/config_change_<seq>. */
int zk_kafka_create_config_change_notification(struct zk_client *zc, const char *entity_path,
                                               zk_kafka_path_cb cb, void *ctx);

#endif
