/*
 * Topic administration as the Kafka admin APIs and auto-creation need it:
 * validating a new topic (name, partitions, replication factor, manual
 * assignment, configs), assigning replicas over the live brokers, writing
 * it to ZooKeeper (config first, then the assignment), adding partitions,
 * and marking topics for deletion. The controller then does the rest.
 *
 * Requests that must not be answered until the metadata cache shows the
 * result wait as delayed operations on the cache's DELAY_METADATA key,
 * which the broker wakes after every metadata change.
 */
#ifndef GREGOR_BROKER_ADMIN_H
#define GREGOR_BROKER_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct broker;

/* One partition of a manual assignment. */
struct admin_replicas {
    int32_t partition;        /* partition number */
    const int32_t *replicas;  /* broker ids, preferred leader first; borrowed */
    int32_t n;                /* entries in replicas */
};

struct admin_topic_spec {
    const char *name;                     /* topic name (NUL-terminated) */
    int32_t num_partitions;               /* -1: num.partitions (or the manual assignment) */
    int32_t replication_factor;           /* -1: default.replication.factor */
    const struct admin_replicas *manual;  /* manual assignment, or NULL */
    int32_t nmanual;                      /* entries in manual */
    const char *const *config_keys;       /* topic config overrides; borrowed */
    const char *const *config_values;
    int32_t nconfig;                      /* entries in the two arrays */
};

/* What one request may still create: gregor.create.partitions.max new
 * partitions, counted over its topics (CreateTopics, CreatePartitions, the
 * topics a Metadata request auto-creates). Caller-owned, on the stack. */
struct admin_budget {
    int64_t partitions_left; /* new partitions this request may still add */
};

/* Starts a request's budget from the broker's configuration. */
void admin_budget_init(const struct broker *b, struct admin_budget *bud);

/* Called once with GR_OK or a gregor error and, on error, a message. */
typedef void (*admin_done_fn)(int error, const char *message, void *ctx);

/* Validates spec against the cluster and, unless validate_only, writes it to
 * ZooKeeper. Returns a gregor error at once with msg set when validation
 * fails (GR_E_BAD_TOPIC, GR_E_TOPIC_EXISTS, GR_E_INVALID, GR_E_CONFIG,
 * GR_E_BAD_PARTITIONS, GR_E_BAD_REPLICATION_FACTOR, GR_E_BAD_ASSIGNMENT,
 * GR_E_POLICY when the request's budget (bud, borrowed) or
 * gregor.broker.partitions.max would be exceeded, or what ZooKeeper
 * refused), GR_OK when nothing remains to do (validate_only), or GR_PENDING
 * when the ZooKeeper write is under way: then, and only then, done will be
 * called, never from inside this call. The limits are checked before
 * anything is allocated for the partitions. What passes is taken from bud. */
int admin_create_topic(struct broker *b, const struct admin_topic_spec *spec, bool validate_only,
                       struct admin_budget *bud, admin_done_fn done, void *ctx, char *msg,
                       size_t msgsz);

/* Grows a topic to count partitions (assignment given or computed). Same
 * return convention as admin_create_topic (GR_E_NOENT for no such topic). */
int admin_create_partitions(struct broker *b, const char *topic, int32_t count,
                            const struct admin_replicas *manual, int32_t nmanual,
                            bool validate_only, struct admin_budget *bud, admin_done_fn done,
                            void *ctx, char *msg, size_t msgsz);

/* Creates /admin/delete_topics/<topic>. Same return convention
 * (GR_E_NOENT, GR_E_DELETE_DISABLED). */
int admin_delete_topic(struct broker *b, const char *topic, admin_done_fn done, void *ctx,
                       char *msg, size_t msgsz);

/* Creates topic (a legal name) with the broker's defaults if
 * auto.create.topics.enable, without waiting (Metadata and Produce answer
 * with a retriable error), within the request's budget bud (borrowed).
 * Returns GR_PENDING when the topic is being created (now or by an earlier
 * request), GR_E_AGAIN when this request's budget is spent (a later request
 * may create it), GR_E_UNSUPPORTED when auto-creation is off, GR_E_TOPIC_EXISTS,
 * or why it cannot be created (GR_E_POLICY for the limits, ...); failures
 * are logged at most once every 10 s. */
int admin_auto_create(struct broker *b, const char *topic, struct admin_budget *bud);

/* True when every partition of topic has a live leader. */
bool admin_topic_online(struct broker *b, const char *topic);

#endif
