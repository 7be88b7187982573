/*
 * --delete: deletes whole groups (DeleteGroups; the broker refuses a group
 * with members), and --delete-offsets: deletes one group's offsets for some
 * topics or partitions (OffsetDelete; refused for partitions the group is
 * still subscribed to). Kafka 2.8's output for both.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/groups_cmd.h"

int groups_delete(struct groups_admin *a)
{
    char **ids;
    size_t n;
    if (groups_admin_selected(a, &ids, &n))
        return 1;
    rd_kafka_DeleteGroup_t **del = calloc(n + 1, sizeof(*del));
    for (size_t i = 0; i < n; i++)
        del[i] = rd_kafka_DeleteGroup_new(ids[i]);
    rd_kafka_AdminOptions_t *o = groups_admin_options(a, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(a->rk, del, n, o, a->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteGroup_destroy_array(del, n);
    free(del);
    groups_admin_free_ids(ids, n);
    rd_kafka_event_t *ev = groups_admin_wait(a);
    if (!ev)
        return 1;
    size_t nr = 0;
    const rd_kafka_group_result_t **r =
        rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &nr);
    size_t nfailed = 0;
    for (size_t i = 0; i < nr; i++)
        nfailed += rd_kafka_group_result_error(r[i]) != NULL;
    if (!nfailed) {
        fputs("Deletion of requested consumer groups (", stdout);
        for (size_t i = 0; i < nr; i++)
            printf("%s'%s'", i ? ", " : "", rd_kafka_group_result_name(r[i]));
        fputs(") was successful.\n", stdout);
    } else {
        groups_error("Deletion of some consumer groups failed:");
        for (size_t i = 0; i < nr; i++) {
            const rd_kafka_error_t *e = rd_kafka_group_result_error(r[i]);
            if (e)
                printf("* Group '%s' could not be deleted due to: %s: %s\n",
                       rd_kafka_group_result_name(r[i]), rd_kafka_error_name(e),
                       rd_kafka_error_string(e));
        }
        if (nfailed < nr) {
            fputs("\nThese consumer groups were deleted successfully: ", stdout);
            int first = 1;
            for (size_t i = 0; i < nr; i++)
                if (!rd_kafka_group_result_error(r[i])) {
                    printf("%s'%s'", first ? "" : ", ", rd_kafka_group_result_name(r[i]));
                    first = 0;
                }
            putchar('\n');
        }
    }
    fflush(stdout);
    rd_kafka_event_destroy(ev);
    return nfailed ? 1 : 0;
}

static int by_topic_partition(const void *x, const void *y)
{
    const rd_kafka_topic_partition_t *a = x, *b = y;
    int c = strcmp(a->topic, b->topic);
    return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

static void print_offsets_result(rd_kafka_topic_partition_list_t *l)
{
    qsort(l->elems, (size_t)l->cnt, sizeof(*l->elems), by_topic_partition);
    printf("\n%-30s %-15s %-15s\n", "TOPIC", "PARTITION", "STATUS");
    for (int i = 0; i < l->cnt; i++) {
        char part[16], status[256];
        if (l->elems[i].partition >= 0)
            snprintf(part, sizeof(part), "%" PRId32, l->elems[i].partition);
        else
            snprintf(part, sizeof(part), "Not Provided");
        if (l->elems[i].err)
            snprintf(status, sizeof(status), "Error: %s", rd_kafka_err2str(l->elems[i].err));
        else
            snprintf(status, sizeof(status), "Successful");
        printf("%-30s %-15s %-15s\n", l->elems[i].topic, part, status);
    }
}

static void print_top_level(const char *group, rd_kafka_resp_err_t top)
{
    const struct cli_opt *t = &groups_opts[G_TOPIC];
    switch (top) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        fputs("Request succeed for deleting offsets with topic ", stdout);
        for (int i = 0; i < t->count; i++)
            printf("%s%s", i ? ", " : "", t->values[i]);
        printf(" group %s\n", group);
        break;
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID: groups_error("'%s' is not valid.", group); break;
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND: groups_error("'%s' does not exist.", group); break;
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        groups_error("Access to '%s' is not authorized.", group);
        break;
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
        groups_error("Deleting offsets of a consumer group '%s' is forbidden if the group is not "
                     "empty.",
                     group);
        break;
    case RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        groups_error("Encounter some partition level error, see the follow-up details:");
        break;
    default: groups_error("Encounter some unknown error: %s", rd_kafka_err2name(top));
    }
}

int groups_delete_offsets(struct groups_admin *a)
{
    const char *group = groups_value(G_GROUP);
    rd_kafka_topic_partition_list_t *unknown = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    if (groups_admin_topic_args(a, l, unknown)) {
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_topic_partition_list_destroy(unknown);
        return 1;
    }
    rd_kafka_resp_err_t top = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_t *result = rd_kafka_topic_partition_list_new(l->cnt + 1);
    if (l->cnt > 0) {
        rd_kafka_DeleteConsumerGroupOffsets_t *req =
            rd_kafka_DeleteConsumerGroupOffsets_new(group, l);
        rd_kafka_AdminOptions_t *o =
            groups_admin_options(a, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS);
        rd_kafka_DeleteConsumerGroupOffsets(a->rk, &req, 1, o, a->q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_DeleteConsumerGroupOffsets_destroy(req);
        /* librdkafka reports the group's error (GROUP_ID_NOT_FOUND,
         * NON_EMPTY_GROUP) as the whole request's. */
        rd_kafka_event_t *ev = groups_admin_wait_broker_err(a, &top);
        if (!ev && !top) {
            rd_kafka_topic_partition_list_destroy(result);
            rd_kafka_topic_partition_list_destroy(l);
            rd_kafka_topic_partition_list_destroy(unknown);
            return 1;
        }
        size_t n = 0;
        const rd_kafka_group_result_t **gr =
            ev ? rd_kafka_DeleteConsumerGroupOffsets_result_groups(
                     rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n)
               : NULL;
        const rd_kafka_error_t *ge = n == 1 ? rd_kafka_group_result_error(gr[0]) : NULL;
        const rd_kafka_topic_partition_list_t *parts =
            n == 1 ? rd_kafka_group_result_partitions(gr[0]) : NULL;
        if (ge)
            top = rd_kafka_error_code(ge);
        for (int i = 0; i < l->cnt; i++) {
            rd_kafka_topic_partition_t *r =
                rd_kafka_topic_partition_list_add(result, l->elems[i].topic, l->elems[i].partition);
            const rd_kafka_topic_partition_t *p =
                parts ? rd_kafka_topic_partition_list_find((rd_kafka_topic_partition_list_t *)parts,
                                                           r->topic, r->partition)
                      : NULL;
            r->err = ge   ? rd_kafka_error_code(ge)
                     : p  ? p->err
                     : ev ? RD_KAFKA_RESP_ERR_NO_ERROR
                          : top;
            if (!top && r->err)
                top = r->err;
        }
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    for (int i = 0; i < unknown->cnt; i++)
        rd_kafka_topic_partition_list_add(result, unknown->elems[i].topic, -1)->err =
            unknown->elems[i].err;
    print_top_level(group, top);
    print_offsets_result(result);
    fflush(stdout);
    int failed = top != RD_KAFKA_RESP_ERR_NO_ERROR || unknown->cnt > 0;
    rd_kafka_topic_partition_list_destroy(result);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_topic_partition_list_destroy(unknown);
    return failed;
}
