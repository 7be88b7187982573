/*
 * gregor-topics --alter (see topics_cmd.h): Kafka 2.8's
 * ZookeeperTopicService.alterTopic.
 *
 * --config / --delete-config rewrite /config/topics/<t> and announce the
 * change with /config/changes/config_change_<seq>, as Kafka's
 * changeTopicConfig does. --partitions N adds partitions the way
 * AdminZkClient.addPartitions does: existing partitions keep their replicas;
 * new ones are placed from the broker that leads partition 0 onwards
 * (Kafka's fixed start index) or taken from --replica-assignment; the whole
 * assignment is written back to /brokers/topics/<t>, compare-and-set on the
 * version read, so a concurrent change is reported instead of lost. The
 * controller creates the new partitions' states.
 */
#include "tools/topics_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The merged config: the topic's overrides, then --config, minus
 * --delete-config. Returns 0 or the exit status (error printed). */
static int alter_config(struct topics_zk *z, const struct topics_opts *o, const char *t,
                        const struct zk_config *add)
{
    char path[512], why[512], entity[300];
    snprintf(path, sizeof(path), "/config/topics/%s", t);
    char *data = NULL;
    size_t len = 0;
    struct zk_config cur;
    memset(&cur, 0, sizeof(cur));
    int rc = topics_zk_get(z, path, &data, &len, NULL);
    if (rc != GR_OK && rc != GR_E_NOENT)
        return topics_zk_error(path, rc);
    if (rc == GR_OK && zk_json_config_decode(data, len, &cur, why, sizeof(why))) {
        free(data);
        zk_json_config_destroy(&cur);
        return topics_error("cannot read %s: %s", path, why);
    }
    free(data);
    int room = cur.n + add->n;
    struct zk_config_entry *merged = calloc(room > 0 ? (size_t)room : 1, sizeof(*merged));
    if (!merged) {
        zk_json_config_destroy(&cur);
        return topics_error("out of memory");
    }
    struct zk_config out = {.entries = merged, .n = 0};
    for (int i = 0; i < cur.n; i++)
        merged[out.n++] = cur.entries[i];
    for (int i = 0; i < add->n; i++) {
        int at = 0;
        while (at < out.n && strcmp(merged[at].key, add->entries[i].key))
            at++;
        merged[at] = add->entries[i];
        if (at == out.n)
            out.n++;
    }
    for (int d = 0; d < o->n_delete_configs; d++)
        for (int i = 0; i < out.n; i++)
            if (!strcmp(merged[i].key, o->delete_configs[d])) {
                memmove(&merged[i], &merged[i + 1], (size_t)(out.n - i - 1) * sizeof(*merged));
                out.n--;
                break;
            }
    char *json = NULL;
    int status = 0;
    if (zk_json_config_encode(&out, &json, why, sizeof(why))) {
        status = topics_error("%s", why);
    } else {
        rc = topics_zk_set(z, path, json, strlen(json), ZK_ANY_VERSION);
        if (rc == GR_E_NOENT)
            rc = topics_zk_create(z, path, json, strlen(json));
        snprintf(entity, sizeof(entity), "topics/%s", t);
        if (rc != GR_OK)
            status = topics_zk_error(path, rc);
        else if ((rc = topics_zk_config_changed(z, entity, why, sizeof(why))) != GR_OK)
            status = topics_error("%s", why);
        else
            printf("Updated config for topic %s.\n", t);
    }
    free(json);
    free(merged);
    zk_json_config_destroy(&cur);
    return status;
}

static void append_ids(char *out, size_t outsz, const int32_t *ids, int n, const char *sep)
{
    size_t used = strlen(out);
    for (int i = 0; i < n && used < outsz; i++)
        used += (size_t)snprintf(out + used, outsz - used, "%s%d", i ? sep : "", (int)ids[i]);
}

/* AdminZkClient.validateReplicaAssignment for the partitions --alter adds
 * (duplicates were refused by the parser already). */
static int check_added(const struct zk_topic_assignment *given, int first, int rf,
                       const int32_t *live, int nlive)
{
    char parts[1024] = "", factors[1024] = "";
    for (int i = first; i < given->n_partitions; i++) {
        const struct zk_partition_replicas *pr = &given->partitions[i];
        for (int r = 0; r < pr->n_replicas; r++) {
            bool found = false;
            for (int b = 0; b < nlive; b++)
                found = found || live[b] == pr->replicas[r];
            if (!found) {
                char specified[512] = "", available[512] = "";
                append_ids(specified, sizeof(specified), pr->replicas, pr->n_replicas, ", ");
                append_ids(available, sizeof(available), live, nlive, ", ");
                return topics_error("Some brokers specified for partition id %d are not "
                                    "available. Specified brokers: %s, available brokers: %s.",
                                    (int)pr->partition, specified, available);
            }
        }
        if (pr->n_replicas != rf) {
            int32_t p = pr->partition, f = pr->n_replicas;
            if (parts[0]) {
                strncat(parts, ", ", sizeof(parts) - strlen(parts) - 1);
                strncat(factors, ", ", sizeof(factors) - strlen(factors) - 1);
            }
            append_ids(parts, sizeof(parts), &p, 1, "");
            append_ids(factors, sizeof(factors), &f, 1, "");
        }
    }
    if (parts[0])
        return topics_error("Inconsistent replication factor between partitions, partition 0 has "
                            "%d while partitions [%s] have replication factors [%s], "
                            "respectively.",
                            rf, parts, factors);
    return 0;
}

static int add_partitions(struct topics_zk *z, const struct topics_opts *o, const char *t)
{
    if (topics_is_internal(t))
        return topics_error("The number of partitions for the internal topic %s cannot be "
                            "changed.",
                            t);
    printf("WARNING: If partitions are increased for a topic that has a key, the partition logic "
           "or ordering of the messages will be affected\n");
    struct zk_topic_assignment a, given;
    int32_t version;
    char err[512];
    memset(&given, 0, sizeof(given));
    int rc = topics_assignment_read(z, t, &a, &version, err, sizeof(err));
    if (rc == GR_E_NOENT)
        return topics_error("The topic %s does not exist", t);
    if (rc != GR_OK)
        return topics_error("%s", err);
    int32_t *live = NULL;
    int nlive = 0, status = 0, have = a.n_partitions;
    int rf = a.partitions[0].n_replicas;
    if (a.partitions[0].partition != 0) {
        status = topics_error("Unexpected existing replica assignment for topic '%s', partition "
                              "id 0 is missing.",
                              t);
        goto out;
    }
    if (o->partitions <= have) {
        status = topics_error("The number of partitions for a topic can only be increased. Topic "
                              "%s currently has %d partitions, %d would not be an increase.",
                              t, have, (int)o->partitions);
        goto out;
    }
    if (topics_zk_broker_ids(z, &live, &nlive, err, sizeof(err)) != GR_OK) {
        status = topics_error("cannot list the live brokers: %s", err);
        goto out;
    }
    if (o->replica_assignment) {
        if (topics_assignment_parse(o->replica_assignment, &given, err, sizeof(err))) {
            status = topics_error("%s", err);
            goto out;
        }
        if (given.n_partitions - have != o->partitions - have) {
            status = topics_error("Increasing the number of partitions by %d but %d assignments "
                                  "provided.",
                                  (int)o->partitions - have,
                                  given.n_partitions > have ? given.n_partitions - have : 0);
            goto out;
        }
        if ((status = check_added(&given, have, rf, live, nlive)) != 0)
            goto out;
        for (int i = have; i < given.n_partitions && !status; i++)
            if (topics_assignment_add(&a, i, given.partitions[i].replicas,
                                      given.partitions[i].n_replicas))
                status = topics_error("out of memory");
        if (status)
            goto out;
    } else {
        /* Kafka starts at the first live broker whose id is at least the
         * preferred leader of partition 0, and uses that index as the shift
         * too, so new partitions continue the existing pattern. */
        int start = 0;
        while (start < nlive && live[start] < a.partitions[0].replicas[0])
            start++;
        if (start == nlive)
            start = 0;
        if (topics_assignment_compute(live, nlive, o->partitions - have, rf, have, start, &a, err,
                                      sizeof(err))) {
            status = topics_error("%s", err);
            goto out;
        }
    }
    char *json = NULL, why[256], path[512];
    if (zk_json_topic_encode(&a, &json, why, sizeof(why))) {
        status = topics_error("%s", why);
        goto out;
    }
    snprintf(path, sizeof(path), "/brokers/topics/%s", t);
    rc = topics_zk_set(z, path, json, strlen(json), version);
    free(json);
    if (rc == GR_E_ZK_BADVERSION)
        status = topics_error("the assignment of topic %s changed while partitions were being "
                              "added; nothing was changed, try again",
                              t);
    else if (rc != GR_OK)
        status = topics_zk_error(path, rc);
    else
        printf("Adding partitions succeeded!\n");
out:
    free(live);
    zk_json_topic_destroy(&a);
    zk_json_topic_destroy(&given);
    return status;
}

int topics_alter(struct topics_zk *z, const struct topics_opts *o)
{
    char **names;
    int n;
    char err[512];
    int status = topics_select(z, o, &names, &n);
    if (status)
        return status;
    struct zk_config add;
    memset(&add, 0, sizeof(add));
    if (topics_config_parse(o->configs, o->n_configs, &add, err, sizeof(err)))
        status = topics_error("%s", err);
    for (int d = 0; !status && d < o->n_delete_configs; d++)
        if (topics_config_check(o->delete_configs[d], "", err, sizeof(err)) &&
            !strncmp(err, "Unknown", 7))
            status = topics_error("%s", err);
    if (!status)
        status = topics_ensure_exist(o, n);
    for (int i = 0; !status && i < n; i++) {
        if (o->n_configs || o->n_delete_configs) {
            printf("WARNING: Altering topic configuration from this script has been deprecated "
                   "and may be removed in future releases.\n");
            printf("         Going forward, please use kafka-configs.sh for this "
                   "functionality\n");
            status = alter_config(z, o, names[i], &add);
        }
        if (!status && o->has_partitions)
            status = add_partitions(z, o, names[i]);
    }
    zk_json_config_destroy(&add);
    topics_zk_free_names(names, n);
    return status;
}
