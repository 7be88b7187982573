/*
 * Topic and broker config changes through the Kafka admin APIs
 * (AlterConfigs, IncrementalAlterConfigs): validate the new set against the
 * topic config table or the dynamic broker keys, write /config/topics/<t>
 * or /config/brokers/<id|<default>> and announce the change under
 * /config/changes, as Kafka's AdminZkClient.changeConfigs does. Brokers
 * watch the config znodes, so the new values reach the logs without a
 * restart (cluster/metadata.c, cluster/partition.c, cluster/dynconfig.c).
 */
#ifndef GREGOR_BROKER_ADMIN_CONFIG_H
#define GREGOR_BROKER_ADMIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/cluster/admin.h"

struct broker;

/* Replaces the overrides of topic with the n keys/values (borrowed; copied
 * before this returns). Returns GR_PENDING (done runs once the znodes are
 * written), GR_OK (validate_only, or nothing to do), or at once
 * GR_E_NOENT (no such topic) or GR_E_CONFIG (a key or value the broker
 * refuses) with msg saying which and why, GR_E_CLOSING without a
 * ZooKeeper session, GR_E_NOMEM. */
int admin_set_topic_config(struct broker *b, const char *topic, const char *const *keys,
                           const char *const *values, int n, bool validate_only,
                           admin_done_fn done, void *ctx, char *msg, size_t msgsz);

/* Replaces the dynamic broker configs of name ("<id>" for one broker,
 * "<default>" for all) with the n keys/values (borrowed), after checking
 * each key may change at run time and each value. Returns as
 * admin_set_topic_config (GR_E_CONFIG for a static key or a bad value). */
int admin_set_broker_config(struct broker *b, const char *name, const char *const *keys,
                            const char *const *values, int n, bool validate_only,
                            admin_done_fn done, void *ctx, char *msg, size_t msgsz);

struct metadata_topic;
struct log_config_def;

/* The value of topic config d for topic t as DescribeConfigs shows it: its
 * override, else the broker's value for keys gregor does not use, else the
 * value in force. Sets *override (may be NULL) to the override or NULL. */
void admin_topic_config_value(const struct broker *b, const struct metadata_topic *t,
                              const struct log_config_def *d, char *out, size_t outsz,
                              const char **override);

#endif
