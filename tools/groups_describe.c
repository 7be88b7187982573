/*
 * --describe: Kafka 2.8's three views of each group, in group order:
 * --offsets (the default) one row per partition with a committed offset or
 * an owner (CURRENT-OFFSET, LOG-END-OFFSET, LAG, the owner's CONSUMER-ID,
 * HOST, CLIENT-ID); --members one row per member [--verbose: its
 * partitions]; --state the coordinator, assignor, state and member count.
 * Columns widen to the longest value as Kafka's do; "-" marks no value.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/groups_cmd.h"

#define MISSING "-"

int groups_print_state_note(const char *group, rd_kafka_consumer_group_state_t state, size_t rows,
                            int *failed)
{
    switch (state) {
    case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD:
        groups_error("Consumer group '%s' does not exist.", group);
        *failed = 1;
        return 0;
    case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY:
        fprintf(stderr, "\nConsumer group '%s' has no active members.\n", group);
        break;
    case RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE:
    case RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE:
        fprintf(stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", group);
        break;
    case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE: break;
    default:
        groups_error("Expected a valid consumer group state, but found '%s'.",
                     rd_kafka_consumer_group_state_name(state));
        *failed = 1;
        return 0;
    }
    return rows > 0;
}

struct row {
    const char *topic;       /* borrowed from the lists below */
    int32_t partition;       /* the partition */
    int64_t offset;          /* committed offset, -1 if none */
    int64_t end;             /* log end offset, -1 if unknown */
    const char *consumer_id; /* owner, or MISSING */
    const char *host;        /* owner's host, or MISSING */
    const char *client_id;   /* owner's client id, or MISSING */
};

static int by_partition(const void *x, const void *y)
{
    const struct row *a = x, *b = y;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return strcmp(a->topic, b->topic);
}

static int by_assignment_size(const void *x, const void *y)
{
    const rd_kafka_MemberDescription_t *a = *(const rd_kafka_MemberDescription_t *const *)x;
    const rd_kafka_MemberDescription_t *b = *(const rd_kafka_MemberDescription_t *const *)y;
    int na = rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(a))->cnt;
    int nb = rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(b))->cnt;
    return nb - na;
}

static void fmt_num(char *out, size_t n, int64_t v)
{
    if (v < 0)
        snprintf(out, n, MISSING);
    else
        snprintf(out, n, "%" PRId64, v);
}

static void print_offsets(const char *group, const struct row *rows, size_t n)
{
    int gw = 15, tw = 15, cw = 15, hw = 15;
#define WIDEN(w, s) ((int)strlen(s) > (w) ? (w) = (int)strlen(s) : 0)
    WIDEN(gw, group);
    for (size_t i = 0; i < n; i++) {
        WIDEN(tw, rows[i].topic);
        WIDEN(cw, rows[i].consumer_id);
        WIDEN(hw, rows[i].host);
    }
#undef WIDEN
    printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", gw, "GROUP", tw, "TOPIC",
           "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", cw, "CONSUMER-ID", hw, "HOST",
           "CLIENT-ID");
    for (size_t i = 0; i < n; i++) {
        char part[16], off[24], end[24], lag[24];
        snprintf(part, sizeof(part), "%" PRId32, rows[i].partition);
        fmt_num(off, sizeof(off), rows[i].offset);
        fmt_num(end, sizeof(end), rows[i].end);
        fmt_num(lag, sizeof(lag),
                rows[i].offset >= 0 && rows[i].end >= 0 ? rows[i].end - rows[i].offset : -1);
        printf("%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", gw, group, tw, rows[i].topic,
               part, off, end, lag, cw, rows[i].consumer_id, hw, rows[i].host, rows[i].client_id);
    }
}

/* One group's --offsets view. Returns 0 or 1 (failed). */
static int describe_offsets(struct groups_admin *a, const rd_kafka_ConsumerGroupDescription_t *d)
{
    const char *group = rd_kafka_ConsumerGroupDescription_group_id(d);
    rd_kafka_topic_partition_list_t *committed = groups_admin_committed(a, group);
    if (!committed)
        return 1;
    size_t nmembers = rd_kafka_ConsumerGroupDescription_member_count(d);
    const rd_kafka_MemberDescription_t **members = calloc(nmembers + 1, sizeof(*members));
    size_t cap = (size_t)committed->cnt + 1, n = 0;
    for (size_t i = 0; i < nmembers; i++) {
        members[i] = rd_kafka_ConsumerGroupDescription_member(d, i);
        cap += (size_t)rd_kafka_MemberAssignment_partitions(
                   rd_kafka_MemberDescription_assignment(members[i]))
                   ->cnt;
    }
    struct row *rows = calloc(cap, sizeof(*rows));
    /* Members with the most partitions first, each one's partitions in order. */
    qsort(members, nmembers, sizeof(*members), by_assignment_size);
    for (size_t i = 0; i < nmembers; i++) {
        const rd_kafka_topic_partition_list_t *l =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(members[i]));
        size_t first = n;
        for (int k = 0; k < l->cnt; k++)
            rows[n++] = (struct row){
                l->elems[k].topic,
                l->elems[k].partition,
                groups_admin_committed_of(committed, l->elems[k].topic, l->elems[k].partition),
                -1,
                rd_kafka_MemberDescription_consumer_id(members[i]),
                rd_kafka_MemberDescription_host(members[i]),
                rd_kafka_MemberDescription_client_id(members[i])};
        qsort(rows + first, n - first, sizeof(*rows), by_partition);
    }
    size_t assigned = n;
    for (int k = 0; k < committed->cnt; k++) {
        const rd_kafka_topic_partition_t *p = &committed->elems[k];
        if (p->err || p->offset < 0)
            continue;
        int owned = 0;
        for (size_t r = 0; r < assigned && !owned; r++)
            owned = rows[r].partition == p->partition && !strcmp(rows[r].topic, p->topic);
        if (!owned)
            rows[n++] =
                (struct row){p->topic, p->partition, p->offset, -1, MISSING, MISSING, MISSING};
    }
    qsort(rows + assigned, n - assigned, sizeof(*rows), by_partition);
    for (size_t r = 0; r < n; r++) {
        int64_t start;
        if (groups_admin_watermarks(a, rows[r].topic, rows[r].partition, &start, &rows[r].end))
            rows[r].end = -1;
    }
    int failed = 0;
    if (groups_print_state_note(group, rd_kafka_ConsumerGroupDescription_state(d), n, &failed))
        print_offsets(group, rows, n);
    free(rows);
    free(members);
    rd_kafka_topic_partition_list_destroy(committed);
    return failed;
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Kafka's "topic(0,1), other(2)": each topic's partitions in order. */
static void print_assignment(const rd_kafka_topic_partition_list_t *l)
{
    if (!l || l->cnt == 0) {
        fputs(MISSING, stdout);
        return;
    }
    const char **topics = calloc((size_t)l->cnt, sizeof(*topics));
    int nt = 0;
    for (int i = 0; i < l->cnt; i++) {
        int seen = 0;
        for (int k = 0; k < nt && !seen; k++)
            seen = !strcmp(topics[k], l->elems[i].topic);
        if (!seen)
            topics[nt++] = l->elems[i].topic;
    }
    qsort(topics, (size_t)nt, sizeof(*topics), cmp_cstr);
    int32_t *parts = calloc((size_t)l->cnt, sizeof(*parts));
    for (int t = 0; t < nt; t++) {
        int np = 0;
        for (int i = 0; i < l->cnt; i++)
            if (!strcmp(l->elems[i].topic, topics[t]))
                parts[np++] = l->elems[i].partition;
        for (int i = 1; i < np; i++) /* insertion sort: assignments are small */
            for (int k = i; k > 0 && parts[k - 1] > parts[k]; k--) {
                int32_t tmp = parts[k];
                parts[k] = parts[k - 1];
                parts[k - 1] = tmp;
            }
        printf("%s%s(", t ? ", " : "", topics[t]);
        for (int i = 0; i < np; i++)
            printf("%s%" PRId32, i ? "," : "", parts[i]);
        putchar(')');
    }
    free(parts);
    free(topics);
}

static int describe_members(const rd_kafka_ConsumerGroupDescription_t *d, int verbose)
{
    const char *group = rd_kafka_ConsumerGroupDescription_group_id(d);
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    int failed = 0;
    if (!groups_print_state_note(group, rd_kafka_ConsumerGroupDescription_state(d), n, &failed))
        return failed;
    int gw = 15, cw = 15, iw = 17, hw = 15, lw = 15, with_instance = 0;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const char *inst = rd_kafka_MemberDescription_group_instance_id(m);
        int len;
        if ((len = (int)strlen(group)) > gw)
            gw = len;
        if ((len = (int)strlen(rd_kafka_MemberDescription_consumer_id(m))) > cw)
            cw = len;
        if (inst && (len = (int)strlen(inst)) > iw)
            iw = len;
        if ((len = (int)strlen(rd_kafka_MemberDescription_host(m))) > hw)
            hw = len;
        if ((len = (int)strlen(rd_kafka_MemberDescription_client_id(m))) > lw)
            lw = len;
        with_instance |= inst && *inst;
    }
    if (with_instance)
        printf("\n%-*s %-*s %-*s %-*s %-*s %-15s ", gw, "GROUP", cw, "CONSUMER-ID", iw,
               "GROUP-INSTANCE-ID", hw, "HOST", lw, "CLIENT-ID", "#PARTITIONS");
    else
        printf("\n%-*s %-*s %-*s %-*s %-15s ", gw, "GROUP", cw, "CONSUMER-ID", hw, "HOST", lw,
               "CLIENT-ID", "#PARTITIONS");
    if (verbose)
        fputs("ASSIGNMENT", stdout);
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *l =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        const char *inst = rd_kafka_MemberDescription_group_instance_id(m);
        if (with_instance)
            printf("%-*s %-*s %-*s %-*s %-*s %-15d ", gw, group, cw,
                   rd_kafka_MemberDescription_consumer_id(m), iw, inst ? inst : "", hw,
                   rd_kafka_MemberDescription_host(m), lw, rd_kafka_MemberDescription_client_id(m),
                   l ? l->cnt : 0);
        else
            printf("%-*s %-*s %-*s %-*s %-15d ", gw, group, cw,
                   rd_kafka_MemberDescription_consumer_id(m), hw,
                   rd_kafka_MemberDescription_host(m), lw, rd_kafka_MemberDescription_client_id(m),
                   l ? l->cnt : 0);
        if (verbose)
            print_assignment(l);
        putchar('\n');
    }
    return 0;
}

static int describe_state(const rd_kafka_ConsumerGroupDescription_t *d)
{
    const char *group = rd_kafka_ConsumerGroupDescription_group_id(d);
    rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d);
    int failed = 0;
    if (!groups_print_state_note(group, st, 1, &failed))
        return failed;
    const rd_kafka_Node_t *c = rd_kafka_ConsumerGroupDescription_coordinator(d);
    char coord[300];
    if (c)
        snprintf(coord, sizeof(coord), "%s:%u (%d)", rd_kafka_Node_host(c),
                 (unsigned)rd_kafka_Node_port(c), rd_kafka_Node_id(c));
    else
        snprintf(coord, sizeof(coord), MISSING);
    int w = (int)strlen(coord) > 25 ? (int)strlen(coord) : 25;
    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d);
    /* Kafka sizes the GROUP column by the coordinator's width; so does this. */
    printf("\n%-*s %-25s %-20s %-15s %s", w, "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY",
           "STATE", "#MEMBERS");
    printf("\n%-*s %-25s %-20s %-15s %zu\n", w, group, coord, assignor ? assignor : "",
           rd_kafka_consumer_group_state_name(st),
           rd_kafka_ConsumerGroupDescription_member_count(d));
    return 0;
}

int groups_describe(struct groups_admin *a)
{
    struct groups_described d;
    int failed = groups_admin_describe(a, 0, &d) ? 1 : 0;
    for (size_t i = 0; !failed && i < d.nd; i++) {
        const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d.ds[i]);
        if (e) {
            groups_error("Executing consumer group command failed due to %s",
                         rd_kafka_error_string(e));
            failed = 1;
        } else if (groups_has(G_MEMBERS))
            failed |= describe_members(d.ds[i], groups_has(G_VERBOSE));
        else if (groups_has(G_STATE))
            failed |= describe_state(d.ds[i]);
        else
            failed |= describe_offsets(a, d.ds[i]);
    }
    fflush(stdout);
    groups_described_destroy(&d);
    return failed;
}
