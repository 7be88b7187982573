/*
 * A broker's side of Kafka's ZooKeeper mode, asynchronous, on top of
 * zk_client (the controller's side is zk_controller.h, topics are
 * zk_topic.h).
 *
 * Owns: the znode paths and multi-step sequences of Kafka 2.8's KafkaZkClient
 * that a broker runs: chroot and top-level paths at start, the cluster id,
 * broker id generation, the checked registration of /brokers/ids/<id>, the
 * list of live brokers, a leader's partition state updates, and the ISR and
 * config change notifications. It holds no state between calls and decides
 * nothing: when to register or what to do when an id is taken belongs to the
 * broker.
 *
 * Every argument is borrowed for the duration of the call only (what a later
 * step needs is copied). Callback rules are zk_client's: a call returns 0 or
 * a negative ZK_* code; on error the callback is never called, on 0 it is
 * called exactly once, later, from the loop. Callbacks receive rc, decoded
 * results (borrowed for the callback only) and `why`, a sentence for the log
 * when rc is not GR_OK (NULL on success). A step that fails with
 * GR_E_ZK_CONNLOSS is sent again once the client has reconnected, as Kafka's
 * retryRequestUntilConnected does; a session that expires meanwhile ends the
 * operation with GR_E_ZK_EXPIRED, freeing the client ends it with
 * GR_E_CLOSING.
 *
 * rc values beyond ZooKeeper's own (all three modules): GR_E_CORRUPT (a
 * znode's contents are malformed; why quotes the decoder's reason),
 * GR_E_TOPIC_EXISTS, GR_E_BROKER_ID_TAKEN, GR_E_NOT_CONTROLLER (a fenced
 * write found /controller_epoch at another version: the controller that
 * issued it is deposed and must stop writing).
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

typedef void (*zk_kafka_done_cb)(int rc, const char *why, void *ctx);

/* Creates the chroot of connect ("host:port/chroot") if missing, through a
 * short-lived client without the chroot (Kafka's KafkaServer does the same
 * before its real client starts). Without a chroot it just completes.
 * Completes with GR_E_TIMEOUT if no server answers within
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
 *   - carrying info->incarnation (zk_owner.h): it is this process's
 *     registration from an earlier session the server has not expired yet;
 *     or naming a process of this host that no longer runs
 *     (zk_owner_process_gone(): a restart after a crash): it is deleted at
 *     its version and ours created;
 *   - otherwise another broker holds the id, or an earlier process of this
 *     one on another host or that cannot be told dead (nothing else tells
 *     them apart, not even equal endpoints: a second broker may advertise
 *     the same address). It is never deleted: retried until the session timeout has passed (that
 *     session may be expiring), then GR_E_BROKER_ID_TAKEN with why naming
 *     the id and the holder's endpoint.
 * Call again from connected(new_session) after every expiry. */
int zk_kafka_register_broker(struct zk_client *zc, int32_t broker_id,
                             const struct zk_broker_info *info, zk_kafka_register_cb cb, void *ctx);

typedef void (*zk_kafka_version_cb)(int rc, int32_t zk_version, const char *why, void *ctx);
/* Partition leader: replaces the partition state if its version (the
 * partition epoch) still is expected_zk_version -- a compare-and-set without
 * the controller's fence, since a leader changing its ISR is not the
 * controller. GR_E_ZK_BADVERSION if the controller wrote it meanwhile: re-read.
 * cb gets the new version. */
int zk_kafka_update_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                    const struct zk_partition_state *st,
                                    int32_t expected_zk_version, zk_kafka_version_cb cb, void *ctx);
typedef void (*zk_kafka_state_cb)(int rc, const struct zk_partition_state *st, const char *why,
                                  void *ctx);
/* Reads a partition state; st->zk_version is the znode's version. */
int zk_kafka_get_partition_state(struct zk_client *zc, const char *topic, int32_t partition,
                                 zk_kafka_state_cb cb, void *ctx);

typedef void (*zk_kafka_broker_cb)(int rc, const struct zk_broker_info *info, int64_t broker_epoch,
                                   const char *why, void *ctx);
/* Reads /brokers/ids/<id> and its czxid (the broker epoch). */
int zk_kafka_get_broker(struct zk_client *zc, int32_t broker_id, zk_kafka_broker_cb cb, void *ctx);

/* One live broker as listed by zk_kafka_get_brokers(). */
struct zk_kafka_broker {
    int32_t id;                 /* broker id */
    int64_t epoch;              /* czxid of its registration */
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
