/*
 * gregor-consumer-groups' link to the cluster: one librdkafka admin client
 * and the lookups every command needs (group ids, group descriptions,
 * committed offsets, a partition's log start and end, offsets by time, a
 * topic's partitions). Each call blocks for at most --timeout.
 *
 * It prints nothing on success; on failure it prints Kafka's "Error: ..."
 * line (stdout) and returns -1 or NULL. What to do with the answers is the
 * commands' business (groups_cmd.h).
 */
#ifndef GREGOR_TOOLS_GROUPS_ADMIN_H
#define GREGOR_TOOLS_GROUPS_ADMIN_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

struct groups_admin {
    rd_kafka_t *rk;      /* the admin client (a consumer handle, never joins) */
    rd_kafka_queue_t *q; /* where admin results arrive */
    int timeout_ms;      /* --timeout */
};

/* Creates the client from --bootstrap-server and --command-config. 0, or
 * -1 after a message. */
int groups_admin_open(struct groups_admin *a);
void groups_admin_close(struct groups_admin *a);

/* Options for op with the request timeout set; caller destroys. */
rd_kafka_AdminOptions_t *groups_admin_options(struct groups_admin *a, rd_kafka_admin_op_t op);
/* Waits for the next admin result on a->q. Returns it (caller destroys
 * with rd_kafka_event_destroy) or NULL after printing the error. */
rd_kafka_event_t *groups_admin_wait(struct groups_admin *a);
/* The same, except that an error the broker answered (a Kafka error code,
 * not one of librdkafka's own) is returned in *broker_err with no event and
 * no message: the caller prints it in Kafka's words. */
rd_kafka_event_t *groups_admin_wait_broker_err(struct groups_admin *a,
                                               rd_kafka_resp_err_t *broker_err);

/* The groups the command acts on: every group's id with --all-groups, else
 * the --group values, sorted and without repeats. *ids is a new array of
 * new strings; free with groups_admin_free_ids(). 0 or -1. */
int groups_admin_selected(struct groups_admin *a, char ***ids, size_t *n);
/* Every consumer group's id (ListGroups), in the broker's order. */
int groups_admin_list(struct groups_admin *a, char ***ids, size_t *n);
void groups_admin_free_ids(char **ids, size_t n);

/* Groups and their descriptions (DescribeConsumerGroups), in id order. */
struct groups_described {
    char **ids;                                     /* owned, see groups_admin_selected() */
    size_t n;                                       /* entries in ids */
    rd_kafka_event_t *ev;                           /* owned: holds the descriptions */
    const rd_kafka_ConsumerGroupDescription_t **ds; /* one per id, borrowed from ev */
    size_t nd;                                      /* entries in ds */
};

/* Describes the selected groups (groups_admin_selected()), or with
 * every_group all of the cluster's. 0, or -1 after a message. Free with
 * groups_described_destroy() either way. */
int groups_admin_describe(struct groups_admin *a, int every_group, struct groups_described *d);
void groups_described_destroy(struct groups_described *d);

/* The committed offsets of group (every partition it has one for); a new
 * list, or NULL after a message. */
rd_kafka_topic_partition_list_t *groups_admin_committed(struct groups_admin *a, const char *group);

/* The log start and end offsets of topic/partition. 0 or -1 (no message:
 * the caller says which partition). */
int groups_admin_watermarks(struct groups_admin *a, const char *topic, int32_t partition,
                            int64_t *start, int64_t *end);
/* The first offset at or after timestamp_ms in each partition of l (in
 * place; -1 where no record is that late). 0 or -1 after a message. */
int groups_admin_offsets_for_times(struct groups_admin *a, rd_kafka_topic_partition_list_t *l,
                                   int64_t timestamp_ms);
/* Appends every partition of topic to l. 0, or -1: with errp NULL after
 * Kafka's message (an unknown topic ends the command), else silently with
 * the error in *errp. */
int groups_admin_topic_partitions(struct groups_admin *a, const char *topic,
                                  rd_kafka_topic_partition_list_t *l, rd_kafka_resp_err_t *errp);

/* The partitions named by the --topic values, appended to l: "t" is every
 * partition of t, "t:0,2" those two. A topic the cluster does not know
 * ends the command (-1 after Kafka's message) when unknown is NULL, else
 * is appended to unknown as partition -1 with the error. A malformed
 * partition list is a usage error (-1 after the message and usage). */
int groups_admin_topic_args(struct groups_admin *a, rd_kafka_topic_partition_list_t *l,
                            rd_kafka_topic_partition_list_t *unknown);
/* The committed offset of topic/partition in c (from
 * groups_admin_committed), or -1 if there is none. */
int64_t groups_admin_committed_of(const rd_kafka_topic_partition_list_t *c, const char *topic,
                                  int32_t partition);

/* Kafka's printError: "\nError: <msg>" on stdout. */
void groups_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
