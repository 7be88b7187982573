/*
 * gregor-topics --list and --describe (see topics_cmd.h), printing exactly
 * what Kafka 2.8's ZookeeperTopicService prints:
 *
 *   Topic: T<TAB>PartitionCount: 3<TAB>ReplicationFactor: 2<TAB>Configs: k=v,k2=v2
 *   <TAB>Topic: T<TAB>Partition: 0<TAB>Leader: 1<TAB>Replicas: 1,2<TAB>Isr: 1,2
 *
 * "<TAB>TopicId: <id>" follows the name when the topic znode carries a topic
 * id (Kafka 2.8 brokers write one), "<TAB>MarkedForDeletion: true" ends both
 * kinds of line while a deletion is pending, and the leader is "none" when
 * the partition has none (no state znode yet, or leader -1). Everything is
 * read from ZooKeeper: assignments, configs, partition states, live brokers.
 *
 * The partition filters are Kafka's PartitionDescription tests: under
 * replicated (fewer in the ISR than assigned), unavailable (no leader, or a
 * leader that is not a live broker), under min ISR (no leader, or fewer in
 * the ISR than min.insync.replicas) and at min ISR (exactly that many).
 * min.insync.replicas is the topic's override in /config/topics/<t>, else
 * the broker default, 1. Kafka 2.8 refuses the two min ISR filters with
 * --zookeeper; gregor-topics has the topic config at hand and serves them.
 */
#include "tools/topics_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka prints no TopicId for Uuid.ZERO_UUID. */
#define ZERO_TOPIC_ID "AAAAAAAAAAAAAAAAAAAAAA"

int topics_list(struct topics_zk *z, const struct topics_opts *o)
{
    char **names;
    int n;
    int status = topics_select(z, o, &names, &n);
    if (status)
        return status;
    for (int i = 0; i < n; i++) {
        if (topics_marked_for_deletion(z, names[i]))
            printf("%s - marked for deletion\n", names[i]);
        else
            printf("%s\n", names[i]);
    }
    topics_zk_free_names(names, n);
    return 0;
}

/* Reads /config/topics/<t> into c (initialised here); a missing znode is an
 * empty config, as in Kafka. */
static int read_config(struct topics_zk *z, const char *t, struct zk_config *c)
{
    char path[512], why[256];
    snprintf(path, sizeof(path), "/config/topics/%s", t);
    char *data = NULL;
    size_t len = 0;
    memset(c, 0, sizeof(*c));
    int rc = topics_zk_get(z, path, &data, &len, NULL);
    if (rc == GR_E_NOENT)
        return 0;
    if (rc != GR_OK)
        return topics_zk_error(path, rc);
    rc = zk_json_config_decode(data, len, c, why, sizeof(why));
    free(data);
    if (rc) {
        zk_json_config_destroy(c);
        return topics_error("cannot read %s: %s", path, why);
    }
    return 0;
}

/* Reads partition p's leader and ISR into st (initialised here). No state
 * znode (the controller has not got to it yet) reads as no leader and an
 * empty ISR, which is what Kafka shows then. */
static int read_state(struct topics_zk *z, const char *t, int32_t p, struct zk_partition_state *st)
{
    char path[512], why[256];
    snprintf(path, sizeof(path), "/brokers/topics/%s/partitions/%d/state", t, (int)p);
    char *data = NULL;
    size_t len = 0;
    memset(st, 0, sizeof(*st));
    st->leader = -1;
    int rc = topics_zk_get(z, path, &data, &len, NULL);
    if (rc == GR_E_NOENT)
        return 0;
    if (rc != GR_OK)
        return topics_zk_error(path, rc);
    rc = zk_json_partition_state_decode(data, len, st, why, sizeof(why));
    free(data);
    if (rc) {
        zk_json_partition_state_destroy(st);
        return topics_error("cannot read %s: %s", path, why);
    }
    return 0;
}

static void print_ids(const int32_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)ids[i]);
}

static bool contains(const int32_t *ids, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* The live brokers, for --unavailable-partitions. */
struct live {
    int32_t *ids; /* sorted; owned */
    int n;        /* entries in ids */
};

/* The broker default of min.insync.replicas (Kafka's too). */
#define MIN_ISR_DEFAULT 1

/* The topic's min.insync.replicas from its config c: 0 with *min set, or
 * an error naming the value when the override is not a positive number. */
static int min_isr_of(const char *t, const struct zk_config *c, int32_t *min)
{
    *min = MIN_ISR_DEFAULT;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->entries[i].key, "min.insync.replicas"))
            continue;
        const char *v = c->entries[i].value;
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < 1 || x > INT32_MAX)
            return topics_error("topic %s has an invalid min.insync.replicas in /config/topics/%s: "
                                "'%s'",
                                t, t, v);
        *min = (int32_t)x;
    }
    return 0;
}

/* Prints the topic line, config c borrowed. */
static int print_header(const struct topics_opts *o, const char *t,
                        const struct zk_topic_assignment *a, const struct zk_config *c, bool marked)
{
    if (!o->with_overrides || c->n > 0) {
        printf("Topic: %s", t);
        if (a->topic_id && strcmp(a->topic_id, ZERO_TOPIC_ID))
            printf("\tTopicId: %s", a->topic_id);
        printf("\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", a->n_partitions,
               a->partitions[0].n_replicas);
        int *order = calloc(c->n > 0 ? (size_t)c->n : 1, sizeof(int));
        if (!order)
            return topics_error("out of memory");
        topics_config_print_order(c, order);
        for (int i = 0; i < c->n; i++)
            printf("%s%s=%s", i ? "," : "", c->entries[order[i]].key, c->entries[order[i]].value);
        free(order);
        printf("%s\n", marked ? "\tMarkedForDeletion: true" : "");
    }
    return 0;
}

static int describe_one(struct topics_zk *z, const struct topics_opts *o, const char *t,
                        const struct live *live)
{
    struct zk_topic_assignment a;
    int32_t version;
    char err[512];
    int rc = topics_assignment_read(z, t, &a, &version, err, sizeof(err));
    if (rc == GR_E_NOENT) { /* deleted since the listing */
        printf("Topic %s doesn't exist!\n", t);
        return 0;
    }
    if (rc != GR_OK)
        return topics_error("%s", err);
    bool marked = topics_marked_for_deletion(z, t);
    bool describe_configs =
        !o->unavailable && !o->under_replicated && !o->under_min_isr && !o->at_min_isr;
    struct zk_config cfg;
    int32_t min_isr = MIN_ISR_DEFAULT;
    int status = read_config(z, t, &cfg);
    if (status) {
        zk_json_topic_destroy(&a);
        return status;
    }
    if (o->under_min_isr || o->at_min_isr)
        status = min_isr_of(t, &cfg, &min_isr);
    if (!status && describe_configs)
        status = print_header(o, t, &a, &cfg, marked);
    zk_json_config_destroy(&cfg);
    for (int i = 0; !status && !o->with_overrides && i < a.n_partitions; i++) {
        const struct zk_partition_replicas *pr = &a.partitions[i];
        struct zk_partition_state st;
        if ((status = read_state(z, t, pr->partition, &st)) != 0)
            break;
        bool has_leader = st.leader != -1;
        bool show = describe_configs || (o->under_replicated && pr->n_replicas - st.n_isr > 0) ||
                    (o->unavailable && (!has_leader || !contains(live->ids, live->n, st.leader))) ||
                    (o->under_min_isr && (!has_leader || st.n_isr < min_isr)) ||
                    (o->at_min_isr && st.n_isr == min_isr);
        if (show) {
            printf("\tTopic: %s\tPartition: %d\tLeader: ", t, (int)pr->partition);
            if (has_leader)
                printf("%d", (int)st.leader);
            else
                printf("none");
            printf("\tReplicas: ");
            print_ids(pr->replicas, pr->n_replicas);
            printf("\tIsr: ");
            print_ids(st.isr, st.n_isr);
            printf("%s\n", marked ? "\tMarkedForDeletion: true" : "");
        }
        zk_json_partition_state_destroy(&st);
    }
    zk_json_topic_destroy(&a);
    return status;
}

int topics_describe(struct topics_zk *z, const struct topics_opts *o)
{
    char **names;
    int n;
    int status = topics_select(z, o, &names, &n);
    if (status)
        return status;
    struct live live = {NULL, 0};
    char err[512];
    if (!(status = topics_ensure_exist(o, n))) {
        int rc = topics_zk_broker_ids(z, &live.ids, &live.n, err, sizeof(err));
        if (rc != GR_OK)
            status = topics_error("cannot list the live brokers: %s", err);
    }
    for (int i = 0; !status && i < n; i++)
        status = describe_one(z, o, names[i], &live);
    free(live.ids);
    topics_zk_free_names(names, n);
    return status;
}
