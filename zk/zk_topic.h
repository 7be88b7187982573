/*
 * A topic's znodes in Kafka's ZooKeeper mode, asynchronous, on top of
 * zk_client: /brokers/topics/<t> (assignment, partitions, states),
 * /config/topics/<t> and /admin/delete_topics/<t>.
 *
 * Owns: topic creation as Kafka's AdminZkClient does it (config first, then
 * the assignment), deletion requests, the controller's removal of a deleted
 * topic's znodes in Kafka's order, reading a topic's assignment and config,
 * and which names may become znodes at all. It does not pick replicas,
 * validate configs or decide when a deletion may proceed.
 *
 * Rules as in zk_kafka.h: arguments are borrowed for the call only; a call
 * returns 0 (callback later, exactly once) or a negative ZK_* code (no
 * callback); `why` is a sentence for the log when rc is not GR_OK; steps are
 * retried after a connection loss; GR_E_ZK_EXPIRED / GR_E_CLOSING end an
 * operation. Every function refuses a name that fails topic_name_valid()
 * with GR_E_INVALID, since "a/b" or ".." would address some other znode.
 */
#ifndef GREGOR_ZK_ZK_TOPIC_H
#define GREGOR_ZK_ZK_TOPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "zk/zk_client.h"
#include "zk/zk_json.h"

typedef void (*zk_topic_done_cb)(int rc, const char *why, void *ctx);


/* Creates a topic: GR_E_TOPIC_EXISTS (why: "Topic 't' already exists.") if
 * /brokers/topics/<topic> exists; otherwise writes /config/topics/<topic>
 * first (replacing a leftover; config may be NULL: empty) and then
 * /brokers/topics/<topic>, so a broker that sees the topic always finds its
 * config. Partition states are the controller's (zk_controller.h). */
int zk_topic_create(struct zk_client *zc, const char *topic,
                    const struct zk_topic_assignment *assignment, const struct zk_config *config,
                    zk_topic_done_cb cb, void *ctx);
/* Requests deletion: creates /admin/delete_topics/<topic>. GR_E_NOENT if the
 * topic does not exist, GR_E_EXISTS if it is already marked. */
int zk_topic_mark_for_deletion(struct zk_client *zc, const char *topic, zk_topic_done_cb cb,
                               void *ctx);
/* Controller: removes a deleted topic's znodes in Kafka's order:
 * /brokers/topics/<t> with everything below it, then /config/topics/<t>, then
 * /admin/delete_topics/<t>. Every delete is fenced by epoch_zk_version unless
 * it is ZK_CONTROLLER_UNFENCED; missing znodes are fine; the first failure
 * stops the rest. */
int zk_topic_delete_znodes(struct zk_client *zc, int32_t epoch_zk_version, const char *topic,
                           zk_topic_done_cb cb, void *ctx);

typedef void (*zk_topic_assignment_cb)(int rc, const struct zk_topic_assignment *a, const char *why,
                                       void *ctx);
/* Reads /brokers/topics/<topic> (GR_E_NOENT if absent, GR_E_CORRUPT if
 * malformed); watch (may be NULL) fires when it changes or is deleted. */
int zk_topic_get_assignment(struct zk_client *zc, const char *topic, const struct zk_watcher *watch,
                            zk_topic_assignment_cb cb, void *ctx);

typedef void (*zk_topic_config_cb)(int rc, const struct zk_config *c, const char *why, void *ctx);
/* Reads /config/topics/<topic>; a missing znode is an empty config, as in
 * Kafka. */
int zk_topic_get_config(struct zk_client *zc, const char *topic, zk_topic_config_cb cb, void *ctx);

#endif
