/*
 * --reset-offsets: plans (--dry-run, the default), prints as CSV (--export)
 * or commits (--execute) new offsets for a group's partitions, as Kafka
 * 2.8's ConsumerGroupCommand.resetOffsets does.
 *
 * Only a group with no active members is reset (state Empty, or Dead for a
 * group that does not exist yet); otherwise Kafka's "Assignments can only
 * be reset if the group ... is inactive" and nothing changes. The scope is
 * --all-topics (the partitions the group has offsets for) or --topic t /
 * t:0,1 (repeatable). --to-offset and --shift-by are clamped to the log's
 * start and end with Kafka's warning; --to-datetime and --by-duration fall
 * back to the log end where no record is that late.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "tools/groups_cmd.h"
#include "tools/groups_time.h"

/* Kafka's IllegalArgumentException path: the message and the usage. */
static int usage_fail(const char *fmt, const char *a, int32_t b)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a, b);
    groups_usage_error(msg);
    return -1;
}

/* The partitions of the --topic values, or of the group's offsets. */
static rd_kafka_topic_partition_list_t *scope(struct groups_admin *a,
                                              const rd_kafka_topic_partition_list_t *committed)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    if (groups_has(G_ALL_TOPICS)) {
        for (int i = 0; i < committed->cnt; i++)
            if (!committed->elems[i].err && committed->elems[i].offset >= 0)
                rd_kafka_topic_partition_list_add(l, committed->elems[i].topic,
                                                  committed->elems[i].partition);
        return l;
    }
    if (groups_admin_topic_args(a, l, NULL))
        goto fail;
    return l;
fail:
    rd_kafka_topic_partition_list_destroy(l);
    return NULL;
}

static int watermarks(struct groups_admin *a, const rd_kafka_topic_partition_t *p, int64_t *start,
                      int64_t *end, const char *which)
{
    if (groups_admin_watermarks(a, p->topic, p->partition, start, end)) {
        char msg[512];
        snprintf(msg, sizeof(msg), "Error getting %s offset of topic partition: %s-%" PRId32, which,
                 p->topic, p->partition);
        groups_usage_error(msg);
        return -1;
    }
    return 0;
}

/* Kafka's checkOffsetsRange: a requested offset outside the log moves to
 * its nearest end, with a warning. */
static int clamp(struct groups_admin *a, rd_kafka_topic_partition_t *p, int64_t want)
{
    int64_t start, end;
    if (watermarks(a, p, &start, &end, "ending"))
        return -1;
    if (want > end) {
        fprintf(stderr,
                "WARN New offset (%" PRId64 ") is higher than latest offset for topic partition "
                "%s-%" PRId32 ". Value will be set to %" PRId64 "\n",
                want, p->topic, p->partition, end);
        want = end;
    } else if (want < start) {
        fprintf(stderr,
                "WARN New offset (%" PRId64 ") is lower than earliest offset for topic partition "
                "%s-%" PRId32 ". Value will be set to %" PRId64 "\n",
                want, p->topic, p->partition, start);
        want = start;
    }
    p->offset = want;
    return 0;
}

static int by_time(struct groups_admin *a, rd_kafka_topic_partition_list_t *l, int64_t ts)
{
    if (groups_admin_offsets_for_times(a, l, ts))
        return -1;
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *p = &l->elems[i];
        if (p->offset >= 0)
            continue;
        printf("\nWarn: Partition %" PRId32 " from topic %s is empty. Falling back to latest "
               "known offset.\n",
               p->partition, p->topic);
        int64_t start;
        if (watermarks(a, p, &start, &p->offset, "ending"))
            return -1;
    }
    return 0;
}

/* Fills l's offsets by the scenario. 0 or -1 after a message. */
static int prepare(struct groups_admin *a, rd_kafka_topic_partition_list_t *l,
                   const rd_kafka_topic_partition_list_t *committed)
{
    char err[256];
    int64_t v = 0;
    if (groups_has(G_TO_DATETIME) || groups_has(G_BY_DURATION)) {
        if (groups_has(G_TO_DATETIME)) {
            if (groups_time_parse_datetime(groups_value(G_TO_DATETIME), &v, err, sizeof(err))) {
                groups_error("Executing consumer group command failed due to %s", err);
                return -1;
            }
        } else {
            if (groups_time_parse_duration(groups_value(G_BY_DURATION), &v, err, sizeof(err))) {
                groups_error("Executing consumer group command failed due to %s", err);
                return -1;
            }
            struct timeval now;
            gettimeofday(&now, NULL);
            v = (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000 - v;
        }
        return by_time(a, l, v);
    }
    if (groups_has(G_TO_OFFSET))
        cli_int(&groups_opts[G_TO_OFFSET], &v, err, sizeof(err));
    if (groups_has(G_SHIFT_BY))
        cli_int(&groups_opts[G_SHIFT_BY], &v, err, sizeof(err));
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *p = &l->elems[i];
        int64_t cur = groups_admin_committed_of(committed, p->topic, p->partition), start, end;
        if (groups_has(G_TO_OFFSET)) {
            if (clamp(a, p, v))
                return -1;
        } else if (groups_has(G_SHIFT_BY)) {
            if (cur < 0)
                return usage_fail("Cannot shift offset for partition %s-%d since there is no "
                                  "current committed offset",
                                  p->topic, p->partition);
            if (clamp(a, p, cur + v))
                return -1;
        } else if (groups_has(G_TO_EARLIEST)) {
            if (watermarks(a, p, &start, &end, "starting"))
                return -1;
            p->offset = start;
        } else if (groups_has(G_TO_LATEST) || (groups_has(G_TO_CURRENT) && cur < 0)) {
            if (watermarks(a, p, &start, &end, "ending"))
                return -1;
            p->offset = end;
        } else {
            p->offset = cur;
        }
    }
    return 0;
}

static int execute(struct groups_admin *a, const char *group,
                   const rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
    rd_kafka_AdminOptions_t *o =
        groups_admin_options(a, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(a->rk, &req, 1, o, a->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = groups_admin_wait(a);
    if (!ev)
        return -1;
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    int rc = 0;
    if (n == 1 && rd_kafka_group_result_error(gr[0])) {
        groups_error("Executing consumer group command failed due to %s",
                     rd_kafka_error_string(rd_kafka_group_result_error(gr[0])));
        rc = -1;
    } else if (n == 1) {
        const rd_kafka_topic_partition_list_t *res = rd_kafka_group_result_partitions(gr[0]);
        for (int i = 0; res && i < res->cnt; i++)
            if (res->elems[i].err) {
                groups_error("Executing consumer group command failed due to %s (%s-%" PRId32 ")",
                             rd_kafka_err2str(res->elems[i].err), res->elems[i].topic,
                             res->elems[i].partition);
                rc = -1;
            }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* One inactive group: plan, then maybe commit. The plan is left in *out. */
static int reset_group(struct groups_admin *a, const char *group,
                       rd_kafka_topic_partition_list_t **out)
{
    rd_kafka_topic_partition_list_t *committed = groups_admin_committed(a, group);
    if (!committed)
        return -1;
    int rc = -1;
    rd_kafka_topic_partition_list_t *l = scope(a, committed);
    if (l && !prepare(a, l, committed)) {
        rd_kafka_topic_partition_list_sort(l, NULL, NULL);
        rc = groups_has(G_EXECUTE) && l->cnt > 0 ? execute(a, group, l) : 0;
    }
    rd_kafka_topic_partition_list_destroy(committed);
    *out = l;
    return rc;
}

static void print_plans(char **ids, rd_kafka_topic_partition_list_t **plans, size_t n)
{
    if (groups_has(G_EXPORT)) {
        for (size_t g = 0; g < n; g++)
            for (int i = 0; plans[g] && i < plans[g]->cnt; i++) {
                if (n > 1)
                    printf("%s,", ids[g]);
                printf("%s,%" PRId32 ",%" PRId64 "\n", plans[g]->elems[i].topic,
                       plans[g]->elems[i].partition, plans[g]->elems[i].offset);
            }
        return;
    }
    if (n > 0)
        printf("\n%-30s %-30s %-10s %-15s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    for (size_t g = 0; g < n; g++)
        for (int i = 0; plans[g] && i < plans[g]->cnt; i++) {
            char part[16], off[24];
            snprintf(part, sizeof(part), "%" PRId32, plans[g]->elems[i].partition);
            snprintf(off, sizeof(off), "%" PRId64, plans[g]->elems[i].offset);
            printf("%-30s %-30s %-10s %-15s\n", ids[g], plans[g]->elems[i].topic, part, off);
        }
}

int groups_reset(struct groups_admin *a)
{
    struct groups_described d;
    if (groups_admin_describe(a, 0, &d)) {
        groups_described_destroy(&d);
        return 1;
    }
    char **ids = d.ids;
    size_t n = d.n, nd = d.nd;
    const rd_kafka_ConsumerGroupDescription_t **ds = d.ds;
    rd_kafka_topic_partition_list_t **plans = calloc(n + 1, sizeof(*plans));
    int failed = 0, aborted = 0;
    for (size_t g = 0; g < nd && g < n; g++) {
        const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(ds[g]);
        rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(ds[g]);
        if (e) {
            groups_error("Executing consumer group command failed due to %s",
                         rd_kafka_error_string(e));
            failed = aborted = 1;
            break;
        } else if (st != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY &&
                   st != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
            groups_error("Assignments can only be reset if the group '%s' is inactive, but the "
                         "current state is %s.",
                         ids[g], rd_kafka_consumer_group_state_name(st));
            failed = 1;
        } else if (reset_group(a, ids[g], &plans[g])) {
            /* Kafka's exception path: the error, and no plan at all. */
            failed = aborted = 1;
            break;
        }
    }
    /* A refused group still counts as planned (with nothing), as in Kafka,
     * whose table header follows the refusal. */
    if (!aborted)
        print_plans(ids, plans, nd < n ? nd : n);
    fflush(stdout);
    for (size_t g = 0; g < n; g++)
        if (plans[g])
            rd_kafka_topic_partition_list_destroy(plans[g]);
    free(plans);
    groups_described_destroy(&d);
    return failed;
}
