/*
 * gregor-topics' commands and what they share. Each command is Kafka 2.8
 * TopicCommand's ZookeeperTopicService counterpart, with the same output
 * lines and error messages, on a topics_zk session.
 *
 * Commands print their results on stdout and return the process exit status
 * (0 or 1). A failure is reported with topics_error(), which prints Kafka's
 * "Error while executing topic command : <message>" line.
 *
 * Files: topics_create.c (--create), topics_describe.c (--list,
 * --describe), topics_alter.c (--alter), topics_delete.c (--delete),
 * topics_select.c (which topics --topic names), topics_config.c (--config
 * parsing and the order Kafka prints configs in), topics_assignment.c
 * (replica assignments: parsed, computed, encoded).
 */
#ifndef GREGOR_TOOLS_TOPICS_CMD_H
#define GREGOR_TOOLS_TOPICS_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/topics_opts.h"
#include "tools/topics_zk.h"
#include "zk/zk_json.h"

/* ---- the commands: each borrows z and o and returns the exit status ---- */
int topics_create(struct topics_zk *z, const struct topics_opts *o);
int topics_list(struct topics_zk *z, const struct topics_opts *o);
int topics_describe(struct topics_zk *z, const struct topics_opts *o);
int topics_alter(struct topics_zk *z, const struct topics_opts *o);
int topics_delete(struct topics_zk *z, const struct topics_opts *o);

/* Prints "Error while executing topic command : <message>" on stdout (where
 * Kafka prints it) and the message as an ERROR line on stderr (where Kafka's
 * log4j writes it). Returns 1, the exit status. */
__attribute__((format(printf, 1, 2))) int topics_error(const char *fmt, ...);
/* topics_error() for a ZooKeeper failure rc during `what`. */
int topics_zk_error(const char *what, int rc);

/* ---- topics_select.c ---- */

/* True for Kafka's internal topics (__consumer_offsets, __transaction_state). */
bool topics_is_internal(const char *topic);
/* Kafka's getTopics(): every topic under /brokers/topics, sorted, filtered
 * by o->topic as a regular expression (Kafka's IncludeList: whole-name
 * match, ',' means '|', surrounding quotes dropped) and by
 * --exclude-internal. On 0, *names is a new array (topics_zk_free_names()).
 * On failure the error has been printed and the exit status is returned. */
int topics_select(struct topics_zk *z, const struct topics_opts *o, char ***names, int *n);
/* Kafka's ensureTopicExists(): with --topic given, no match and no
 * --if-exists, prints "Topic 'T' does not exist as expected" and returns 1. */
int topics_ensure_exist(const struct topics_opts *o, int n);
/* True if /admin/delete_topics/<topic> exists. */
bool topics_marked_for_deletion(struct topics_zk *z, const char *topic);

/* ---- topics_config.c ---- */

/* Parses and validates --config k=v pairs (borrowed) into out (initialised
 * here; free with zk_json_config_destroy()). A later value for the same key
 * replaces an earlier one. Returns 0, or -1 with Kafka's message in err. */
int topics_config_parse(const char *const *pairs, int n, struct zk_config *out, char *err,
                        size_t errsz);
/* Validates one key/value as the broker would. Returns 0 or -1 with err. */
int topics_config_check(const char *key, const char *value, char *err, size_t errsz);
/* Writes into order[] (n entries) the indexes of c's entries in the order
 * Kafka 2.8's describe prints them: its Config keeps entries in a
 * java.util.HashMap, so they come out by String.hashCode bucket. */
void topics_config_print_order(const struct zk_config *c, int *order);

/* ---- topics_assignment.c ---- */

/* Parses Kafka's --replica-assignment "1:2,2:3" (partition i gets the i-th
 * list) into out (initialised here; zk_json_topic_destroy()). Returns 0 or
 * -1 with Kafka's message in err. */
int topics_assignment_parse(const char *spec, struct zk_topic_assignment *out, char *err,
                            size_t errsz);
/* Kafka's AdminUtils.assignReplicasToBrokers over brokers (sorted ids):
 * appends nparts partitions numbered from first_partition to out (which may
 * hold partitions already). start < 0 draws the start and shift at random,
 * otherwise both are start (Kafka's fixedStartIndex). Returns 0 or -1 with
 * Kafka's message in err. */
int topics_assignment_compute(const int32_t *brokers, int n, int32_t nparts, int32_t rf,
                              int32_t first_partition, int start, struct zk_topic_assignment *out,
                              char *err, size_t errsz);
/* Appends partition p with replicas (copied) to a. Returns 0 or -1 (memory). */
int topics_assignment_add(struct zk_topic_assignment *a, int32_t p, const int32_t *replicas, int n);
/* Reads /brokers/topics/<topic> into out with its znode version. */
int topics_assignment_read(struct topics_zk *z, const char *topic, struct zk_topic_assignment *out,
                           int32_t *zk_version, char *err, size_t errsz);

#endif
