/* gregor-consumer-groups' admin client; see groups_admin.h. */
#include "tools/groups_admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/console_conf.h"
#include "tools/groups_opts.h"

#define TOOL "gregor-consumer-groups"

void groups_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("\nError: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    va_end(ap);
    fflush(stdout);
}

int groups_admin_open(struct groups_admin *a)
{
    memset(a, 0, sizeof(*a));
    a->timeout_ms = atoi(groups_value(G_TIMEOUT));
    struct console_conf c = {0};
    if (groups_has(G_COMMAND_CONFIG) &&
        console_conf_load(&c, TOOL, groups_value(G_COMMAND_CONFIG))) {
        console_conf_destroy(&c);
        return -1;
    }
    console_conf_set(&c, "bootstrap.servers", groups_value(G_BOOTSTRAP));
    /* A consumer handle (never joining): its metadata requests never
     * create topics. */
    a->rk = console_conf_client(&c, RD_KAFKA_CONSUMER, TOOL, NULL);
    if (!a->rk)
        return -1;
    a->q = rd_kafka_queue_new(a->rk);
    return 0;
}

void groups_admin_close(struct groups_admin *a)
{
    if (a->q)
        rd_kafka_queue_destroy(a->q);
    if (a->rk)
        rd_kafka_destroy(a->rk);
    memset(a, 0, sizeof(*a));
}

rd_kafka_AdminOptions_t *groups_admin_options(struct groups_admin *a, rd_kafka_admin_op_t op)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(a->rk, op);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(o, a->timeout_ms, err, sizeof(err));
    return o;
}

rd_kafka_event_t *groups_admin_wait_broker_err(struct groups_admin *a,
                                               rd_kafka_resp_err_t *broker_err)
{
    /* The request timeout bounds the operation; the margin covers the
     * client's own bookkeeping. */
    rd_kafka_event_t *ev = rd_kafka_queue_poll(a->q, a->timeout_ms + 5000);
    if (!ev) {
        groups_error("Executing consumer group command failed due to the request timed out "
                     "(--timeout %d ms).",
                     a->timeout_ms);
        return NULL;
    }
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    if (e && broker_err && e > 0) {
        *broker_err = e;
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    if (e) {
        groups_error("Executing consumer group command failed due to %s",
                     rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

rd_kafka_event_t *groups_admin_wait(struct groups_admin *a)
{
    return groups_admin_wait_broker_err(a, NULL);
}

void groups_admin_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int groups_admin_list(struct groups_admin *a, char ***ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    rd_kafka_AdminOptions_t *o = groups_admin_options(a, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(a->rk, o, a->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = groups_admin_wait(a);
    if (!ev)
        return -1;
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t nerr = 0, nvalid = 0;
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    const rd_kafka_ConsumerGroupListing_t **l =
        rd_kafka_ListConsumerGroups_result_valid(res, &nvalid);
    if (nerr) {
        groups_error("Executing consumer group command failed due to %s",
                     rd_kafka_error_string(errs[0]));
        rd_kafka_event_destroy(ev);
        return -1;
    }
    *ids = calloc(nvalid ? nvalid : 1, sizeof(char *));
    for (size_t i = 0; i < nvalid; i++)
        (*ids)[i] = strdup(rd_kafka_ConsumerGroupListing_group_id(l[i]));
    *n = nvalid;
    rd_kafka_event_destroy(ev);
    return 0;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int groups_admin_selected(struct groups_admin *a, char ***ids, size_t *n)
{
    if (groups_has(G_ALL_GROUPS)) {
        if (groups_admin_list(a, ids, n))
            return -1;
    } else {
        const struct cli_opt *g = &groups_opts[G_GROUP];
        *ids = calloc((size_t)g->count, sizeof(char *));
        for (int i = 0; i < g->count; i++)
            (*ids)[i] = strdup(g->values[i]);
        *n = (size_t)g->count;
    }
    /* Kafka keeps the groups in a TreeMap: sorted, each once. */
    qsort(*ids, *n, sizeof(char *), cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (k && !strcmp((*ids)[k - 1], (*ids)[i]))
            free((*ids)[i]);
        else
            (*ids)[k++] = (*ids)[i];
    }
    *n = k;
    return 0;
}

int groups_admin_describe(struct groups_admin *a, int every_group, struct groups_described *d)
{
    memset(d, 0, sizeof(*d));
    if (every_group ? groups_admin_list(a, &d->ids, &d->n)
                    : groups_admin_selected(a, &d->ids, &d->n))
        return -1;
    if (d->n == 0)
        return 0;
    rd_kafka_AdminOptions_t *o = groups_admin_options(a, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(a->rk, (const char **)d->ids, d->n, o, a->q);
    rd_kafka_AdminOptions_destroy(o);
    d->ev = groups_admin_wait(a);
    if (!d->ev)
        return -1;
    d->ds = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(d->ev), &d->nd);
    return 0;
}

void groups_described_destroy(struct groups_described *d)
{
    if (d->ev)
        rd_kafka_event_destroy(d->ev);
    groups_admin_free_ids(d->ids, d->n);
    memset(d, 0, sizeof(*d));
}

/* Every partition of every topic in the cluster; a new list, or NULL after
 * a message. */
static rd_kafka_topic_partition_list_t *all_partitions(struct groups_admin *a)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(a->rk, 1, NULL, &md, a->timeout_ms);
    if (e) {
        groups_error("Executing consumer group command failed due to %s", rd_kafka_err2str(e));
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++)
        for (int p = 0; !md->topics[t].err && p < md->topics[t].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(l, md->topics[t].topic,
                                              md->topics[t].partitions[p].id);
    rd_kafka_metadata_destroy(md);
    return l;
}

rd_kafka_topic_partition_list_t *groups_admin_committed(struct groups_admin *a, const char *group)
{
    /* librdkafka 2.0.2 asks for "every partition" (NULL) with an empty topic
     * array instead of a null one, which any broker answers with nothing;
     * so ask for every partition by name. */
    rd_kafka_topic_partition_list_t *all = all_partitions(a);
    if (!all)
        return NULL;
    if (all->cnt == 0)
        return all;
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, all);
    rd_kafka_topic_partition_list_destroy(all);
    rd_kafka_AdminOptions_t *o =
        groups_admin_options(a, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(a->rk, &req, 1, o, a->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = groups_admin_wait(a);
    if (!ev)
        return NULL;
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    rd_kafka_topic_partition_list_t *out = NULL;
    if (n != 1)
        groups_error("Executing consumer group command failed due to no answer for group '%s'",
                     group);
    else if (rd_kafka_group_result_error(gr[0]))
        groups_error("Executing consumer group command failed due to %s",
                     rd_kafka_error_string(rd_kafka_group_result_error(gr[0])));
    else
        out = rd_kafka_topic_partition_list_copy(rd_kafka_group_result_partitions(gr[0]));
    rd_kafka_event_destroy(ev);
    return out;
}

int groups_admin_watermarks(struct groups_admin *a, const char *topic, int32_t partition,
                            int64_t *start, int64_t *end)
{
    return rd_kafka_query_watermark_offsets(a->rk, topic, partition, start, end, a->timeout_ms) ? -1
                                                                                                : 0;
}

int groups_admin_offsets_for_times(struct groups_admin *a, rd_kafka_topic_partition_list_t *l,
                                   int64_t timestamp_ms)
{
    if (l->cnt == 0)
        return 0;
    for (int i = 0; i < l->cnt; i++)
        l->elems[i].offset = timestamp_ms;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(a->rk, l, a->timeout_ms);
    if (e) {
        groups_error("Executing consumer group command failed due to %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int groups_admin_topic_partitions(struct groups_admin *a, const char *topic,
                                  rd_kafka_topic_partition_list_t *l, rd_kafka_resp_err_t *errp)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(a->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(a->rk, 0, rkt, &md, a->timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (!e && (md->topic_cnt != 1 || md->topics[0].err))
        e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (e && errp) {
        *errp = e;
    } else if (e) {
        if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            groups_error("Executing consumer group command failed due to "
                         "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This "
                         "server does not host this topic-partition. (topic '%s')",
                         topic);
        else
            groups_error("Executing consumer group command failed due to %s (topic '%s')",
                         rd_kafka_err2str(e), topic);
    }
    if (e) {
        if (md)
            rd_kafka_metadata_destroy(md);
        return -1;
    }
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, topic, md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    return 0;
}

int groups_admin_topic_args(struct groups_admin *a, rd_kafka_topic_partition_list_t *l,
                            rd_kafka_topic_partition_list_t *unknown)
{
    const struct cli_opt *t = &groups_opts[G_TOPIC];
    for (int i = 0; i < t->count; i++) {
        const char *arg = t->values[i], *colon = strchr(arg, ':');
        if (!colon) {
            rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
            if (groups_admin_topic_partitions(a, arg, l, unknown ? &e : NULL)) {
                if (!unknown)
                    return -1;
                rd_kafka_topic_partition_list_add(unknown, arg, -1)->err = e;
            }
            continue;
        }
        char topic[256];
        snprintf(topic, sizeof(topic), "%.*s", (int)(colon - arg), arg);
        for (const char *p = colon + 1;;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || (*end && *end != ',') || v < 0 || v > INT32_MAX) {
                char msg[512];
                snprintf(msg, sizeof(msg), "Invalid partition specified in topic arg '%s'", arg);
                groups_usage_error(msg);
                return -1;
            }
            rd_kafka_topic_partition_list_add(l, topic, (int32_t)v);
            if (!*end)
                break;
            p = end + 1;
        }
    }
    return 0;
}

int64_t groups_admin_committed_of(const rd_kafka_topic_partition_list_t *c, const char *topic,
                                  int32_t partition)
{
    const rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find((rd_kafka_topic_partition_list_t *)c, topic, partition);
    return p && !p->err && p->offset >= 0 ? p->offset : -1;
}
