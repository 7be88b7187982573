/*
 * gregor-consumer-groups: Kafka 2.8's kafka-consumer-groups on librdkafka's
 * admin API. Lists, describes and deletes consumer groups, resets their
 * offsets and deletes some of them, with Kafka's options, tables and
 * messages.
 *
 *   gregor-consumer-groups --bootstrap-server B --list [--state]
 *   gregor-consumer-groups --bootstrap-server B --describe --group G
 *       [--offsets | --members [--verbose] | --state]
 *   gregor-consumer-groups --bootstrap-server B --reset-offsets --group G
 *       --topic T --to-earliest [--dry-run | --execute | --export]
 *   gregor-consumer-groups --bootstrap-server B --delete --group G
 *
 * Errors of the command line print the reason and the usage on stderr and
 * exit 1, as Kafka's do. Errors of a command print Kafka's "Error: ..." on
 * stdout; unlike Kafka (which exits 0 there) the exit status is then 1.
 *
 * This file owns the order of things: options, checks, client, command.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>

#include "tools/groups_cmd.h"

static int run(struct groups_admin *a)
{
    if (groups_has(G_LIST))
        return groups_list(a);
    if (groups_has(G_DESCRIBE))
        return groups_describe(a);
    if (groups_has(G_RESET_OFFSETS))
        return groups_reset(a);
    if (groups_has(G_DELETE))
        return groups_delete(a);
    return groups_delete_offsets(a);
}

/* Kafka checks this only once it has the group's offsets; checking it
 * first answers a mistyped command without a cluster. */
static int check_scenario(void)
{
    const enum groups_opt s[] = {G_TO_OFFSET, G_TO_DATETIME, G_BY_DURATION, G_TO_EARLIEST,
                                 G_TO_LATEST, G_SHIFT_BY,    G_TO_CURRENT};
    if (!groups_has(G_RESET_OFFSETS))
        return 0;
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        if (groups_has(s[i]))
            goto scope;
    return groups_usage_error("Option '[reset-offsets]' requires one of the following "
                              "scenarios: [to-offset], [to-datetime], [by-duration], "
                              "[to-earliest], [to-latest], [shift-by], [to-current]");
scope:
    if (!groups_has(G_ALL_TOPICS) && !groups_has(G_TOPIC))
        return groups_usage_error("One of the reset scopes should be defined: --all-topics, "
                                  "--topic.");
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024];
    int status;
    if ((status = cli_start(groups_opts, G_COUNT, argc, argv, groups_usage_head,
                            "List all consumer groups, describe a consumer group, delete "
                            "consumer group info, or reset consumer group offsets.")) >= 0)
        goto out;
    if (groups_opts_check(err, sizeof(err))) {
        status = groups_usage_error(err);
        goto out;
    }
    if ((status = check_scenario()))
        goto out;
    struct groups_admin a;
    if (groups_admin_open(&a)) {
        status = 1;
        goto out;
    }
    status = run(&a);
    groups_admin_close(&a);
out:
    groups_opts_free();
    return status;
}
