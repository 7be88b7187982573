/*
 * --list: every consumer group's id, one per line; with --state, Kafka's
 * GROUP/STATE table, filtered to the states listed (comma-separated,
 * case-insensitive) if any are. The states come from DescribeGroups:
 * ListGroups carries them only from v4 (KIP-518), and describing works
 * with a broker of any version.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tools/groups_cmd.h"

static const rd_kafka_consumer_group_state_t all_states[] = {
    RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE,
    RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE, RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
    RD_KAFKA_CONSUMER_GROUP_STATE_DEAD, RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY};
#define N_STATES (sizeof(all_states) / sizeof(all_states[0]))

/* The next name of a comma-separated list at *p: its start, and its length
 * without surrounding spaces in *len; NULL at the end. */
static const char *next_name(const char **p, size_t *len)
{
    while (**p == ' ' || **p == ',')
        (*p)++;
    if (!**p)
        return NULL;
    const char *start = *p;
    size_t n = strcspn(start, ",");
    *p += n;
    while (n && start[n - 1] == ' ')
        n--;
    *len = n;
    return start;
}

static int name_is(const char *s, size_t len, rd_kafka_consumer_group_state_t state)
{
    const char *name = rd_kafka_consumer_group_state_name(state);
    return strlen(name) == len && !strncasecmp(s, name, len);
}

/* Whether state is in the filter (NULL or "" matches all). */
static int state_wanted(const char *filter, rd_kafka_consumer_group_state_t state)
{
    if (!filter || !*filter)
        return 1;
    size_t len;
    for (const char *p = filter, *s; (s = next_name(&p, &len));)
        if (name_is(s, len, state))
            return 1;
    return 0;
}

/* Kafka refuses an unknown state name before asking the cluster. */
static int check_filter(const char *filter)
{
    size_t len;
    for (const char *p = filter ? filter : "", *s; (s = next_name(&p, &len));) {
        int known = 0;
        for (size_t i = 0; i < N_STATES && !known; i++)
            known = name_is(s, len, all_states[i]);
        if (!known) {
            char msg[512];
            snprintf(msg, sizeof(msg),
                     "Invalid state list '%s'. Valid states are: PreparingRebalance, "
                     "CompletingRebalance, Stable, Dead, Empty",
                     filter);
            return groups_usage_error(msg);
        }
    }
    return 0;
}

int groups_list(struct groups_admin *a)
{
    if (!groups_has(G_STATE)) {
        char **ids;
        size_t n;
        if (groups_admin_list(a, &ids, &n))
            return 1;
        for (size_t i = 0; i < n; i++)
            printf("%s\n", ids[i]);
        groups_admin_free_ids(ids, n);
        return 0;
    }
    const char *filter = groups_value(G_STATE);
    if (check_filter(filter))
        return 1;
    /* ListGroups before v4 carries no state: ask DescribeGroups instead. */
    struct groups_described d;
    if (groups_admin_describe(a, 1, &d)) {
        groups_described_destroy(&d);
        return 1;
    }
    int width = 15;
    for (size_t i = 0; i < d.nd; i++) {
        int len = (int)strlen(rd_kafka_ConsumerGroupDescription_group_id(d.ds[i]));
        if (len > width)
            width = len;
    }
    width += 10;
    printf("%-*s %s\n", width, "GROUP", "STATE");
    for (size_t i = 0; i < d.nd; i++) {
        rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d.ds[i]);
        if (state_wanted(filter, st))
            printf("%-*s %s\n", width, rd_kafka_ConsumerGroupDescription_group_id(d.ds[i]),
                   rd_kafka_consumer_group_state_name(st));
    }
    groups_described_destroy(&d);
    return 0;
}
