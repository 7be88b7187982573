/* gregor-consumer-groups' command line; see groups_opts.h. */
#include "tools/groups_opts.h"

#include <stdio.h>
#include <string.h>

const char *const groups_usage_head =
    "Usage: gregor-consumer-groups --bootstrap-server HOST:PORT (--list | --describe | --delete |"
    " --reset-offsets | --delete-offsets) [options]\n"
    "List all consumer groups, describe a consumer group, delete consumer group info, or reset "
    "consumer group offsets.";

struct cli_opt groups_opts[G_COUNT] = {
    [G_BOOTSTRAP] = {"bootstrap-server", CLI_REQUIRED, "server to connect to", NULL,
                     "REQUIRED: The server(s) to connect to."},
    [G_GROUP] = {"group", CLI_REQUIRED, "consumer group", NULL,
                 "The consumer group we wish to act on."},
    [G_TOPIC] = {"topic", CLI_REQUIRED, "topic", NULL,
                 "The topic whose consumer group information should be deleted or topic whose "
                 "should be included in the reset offset process. In `reset-offsets` case, "
                 "partitions can be specified using this format: `topic1:0,1,2`."},
    [G_ALL_TOPICS] = {"all-topics", CLI_FLAG, NULL, NULL,
                      "Consider all topics assigned to a group in the `reset-offsets` process."},
    [G_LIST] = {"list", CLI_FLAG, NULL, NULL, "List all consumer groups."},
    [G_DESCRIBE] = {"describe", CLI_FLAG, NULL, NULL,
                    "Describe consumer group and list offset lag (number of messages not yet "
                    "processed) related to given group."},
    [G_DELETE] = {"delete", CLI_FLAG, NULL, NULL,
                  "Pass in groups to delete topic partition "
                  "offsets and ownership information over the "
                  "entire consumer group."},
    [G_TIMEOUT] = {"timeout", CLI_REQUIRED, "timeout (ms)", "5000",
                   "The timeout that can be set for some use cases, in ms."},
    [G_COMMAND_CONFIG] = {"command-config", CLI_REQUIRED, "command config property file", NULL,
                          "Property file containing configs to be passed to Admin Client and "
                          "Consumer."},
    [G_RESET_OFFSETS] = {"reset-offsets", CLI_FLAG, NULL, NULL,
                         "Reset offsets of consumer group. Supports one consumer group at the "
                         "time, and instances should be inactive. Plans by default (--dry-run); "
                         "--execute applies, --export prints CSV."},
    [G_DELETE_OFFSETS] = {"delete-offsets", CLI_FLAG, NULL, NULL,
                          "Delete offsets of consumer group. Supports one consumer group at the "
                          "time, and multiple topics."},
    [G_DRY_RUN] = {"dry-run", CLI_FLAG, NULL, NULL,
                   "Only show results without executing changes on Consumer Groups. Supported "
                   "operations: reset-offsets."},
    [G_EXECUTE] = {"execute", CLI_FLAG, NULL, NULL,
                   "Execute operation. Supported operations: reset-offsets."},
    [G_EXPORT] = {"export", CLI_FLAG, NULL, NULL,
                  "Export operation execution to a CSV file. Supported operations: "
                  "reset-offsets."},
    [G_TO_OFFSET] = {"to-offset", CLI_REQUIRED, "offset", NULL,
                     "Reset offsets to a specific offset."},
    [G_TO_DATETIME] = {"to-datetime", CLI_REQUIRED, "datetime", NULL,
                       "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'"},
    [G_BY_DURATION] = {"by-duration", CLI_REQUIRED, "duration", NULL,
                       "Reset offsets to offset by duration from current timestamp. Format: "
                       "'PnDTnHnMnS'"},
    [G_TO_EARLIEST] = {"to-earliest", CLI_FLAG, NULL, NULL, "Reset offsets to earliest offset."},
    [G_TO_LATEST] = {"to-latest", CLI_FLAG, NULL, NULL, "Reset offsets to latest offset."},
    [G_SHIFT_BY] = {"shift-by", CLI_REQUIRED, "number-of-offsets", NULL,
                    "Reset offsets shifting current offset by 'n', where 'n' can be positive or "
                    "negative."},
    [G_TO_CURRENT] = {"to-current", CLI_FLAG, NULL, NULL, "Reset offsets to current offset."},
    [G_MEMBERS] = {"members", CLI_FLAG, NULL, NULL,
                   "Describe members of the group. This option may be used with '--describe' "
                   "and '--bootstrap-server' options only."},
    [G_VERBOSE] = {"verbose", CLI_FLAG, NULL, NULL,
                   "Provide additional information, if any, when describing the group. This "
                   "option may be used with '--offsets'/'--members'/'--state' and "
                   "'--bootstrap-server' options only."},
    [G_OFFSETS] = {"offsets", CLI_FLAG, NULL, NULL,
                   "Describe the group and list all topic partitions in the group along with "
                   "their offset lag. This is the default sub-action of and may be used with "
                   "'--describe' and '--bootstrap-server' options only."},
    [G_STATE] = {"state", CLI_OPTIONAL, "String", NULL,
                 "When specified with '--describe', includes the state of the group. When "
                 "specified with '--list', it displays the state of all groups. It can also be "
                 "used to list groups with specific states."},
    [G_ALL_GROUPS] = {"all-groups", CLI_FLAG, NULL, NULL, "Apply to all consumer groups."},
    [G_HELP] = {"help", CLI_FLAG, NULL, NULL, "Print usage information."},
    [G_VERSION] = {"version", CLI_FLAG, NULL, NULL, "Display Kafka version."},
};

int groups_opts_parse(int argc, char **argv, char *err, size_t errsz)
{
    return cli_parse(groups_opts, G_COUNT, argc, argv, err, errsz);
}

void groups_opts_free(void)
{
    cli_free(groups_opts, G_COUNT);
}

int groups_usage_error(const char *msg)
{
    return cli_usage_error(msg, groups_usage_head, groups_opts, G_COUNT);
}

static int fail(char *err, size_t errsz, const char *msg)
{
    snprintf(err, errsz, "%s", msg);
    return -1;
}

/* Kafka's CommandLineUtils.checkInvalidArgs: if `used` is given, none of
 * `bad` (G_COUNT-terminated) may be. */
static int invalid_with(enum groups_opt used, const enum groups_opt *bad, char *err, size_t errsz)
{
    if (!groups_has(used))
        return 0;
    for (; *bad != G_COUNT; bad++)
        if (groups_has(*bad)) {
            snprintf(err, errsz, "Option \"[%s]\" can't be used with option \"[%s]\"",
                     groups_opts[used].name, groups_opts[*bad].name);
            return -1;
        }
    return 0;
}

static const enum groups_opt scenarios[] = {G_TO_OFFSET,   G_TO_DATETIME, G_BY_DURATION,
                                            G_TO_EARLIEST, G_TO_LATEST,   G_SHIFT_BY,
                                            G_TO_CURRENT};
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static int check_reset(char *err, size_t errsz)
{
    if (groups_has(G_DRY_RUN) && groups_has(G_EXECUTE))
        return fail(err, errsz,
                    "Option [reset-offsets] only accepts one of [execute] and [dry-run]");
    if (!groups_has(G_DRY_RUN) && !groups_has(G_EXECUTE))
        fprintf(stderr,
                "WARN: No action will be performed as the --execute option is missing.In a "
                "future major release, the default behavior of this command will be to prompt "
                "the user before executing the reset rather than doing a dry run. You should add "
                "the --dry-run option explicitly if you are scripting this command and want to "
                "keep the current default behavior without prompting.\n");
    if (!groups_has(G_GROUP) && !groups_has(G_ALL_GROUPS))
        return fail(err, errsz,
                    "Option [reset-offsets] takes one of these options: [all-groups], [group]");
    for (size_t i = 0; i < N_SCENARIOS; i++) {
        enum groups_opt others[N_SCENARIOS];
        size_t k = 0;
        for (size_t j = 0; j < N_SCENARIOS; j++)
            if (j != i)
                others[k++] = scenarios[j];
        others[k] = G_COUNT;
        if (invalid_with(scenarios[i], others, err, errsz))
            return -1;
    }
    return 0;
}

int groups_opts_check(char *err, size_t errsz)
{
    const enum groups_opt actions[] = {G_LIST, G_DESCRIBE, G_DELETE, G_RESET_OFFSETS,
                                       G_DELETE_OFFSETS};
    int n = 0;
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        n += groups_has(actions[i]);
    if (n != 1)
        return fail(err, errsz,
                    "Command must include exactly one action: --list, --describe, --delete, "
                    "--reset-offsets, --delete-offsets");
    if (!groups_has(G_BOOTSTRAP))
        return fail(err, errsz, "Missing required argument \"[bootstrap-server]\"");
    if (groups_has(G_DESCRIBE)) {
        if (!groups_has(G_GROUP) && !groups_has(G_ALL_GROUPS))
            return fail(err, errsz,
                        "Option [describe] takes one of these options: [all-groups], [group]");
        if (groups_has(G_MEMBERS) + groups_has(G_OFFSETS) + groups_has(G_STATE) > 1)
            return fail(err, errsz,
                        "Option [describe] takes at most one of these options: "
                        "[members], [offsets], [state]");
        if (groups_has(G_STATE) && groups_opts[G_STATE].values[groups_opts[G_STATE].count - 1])
            return fail(err, errsz, "Option [describe] does not take a value for [state]");
    }
    if (groups_has(G_DELETE)) {
        if (!groups_has(G_GROUP) && !groups_has(G_ALL_GROUPS))
            return fail(err, errsz,
                        "Option [delete] takes one of these options: [all-groups], [group]");
        if (groups_has(G_TOPIC))
            return fail(err, errsz,
                        "The consumer does not support topic-specific offset "
                        "deletion from a consumer group.");
    }
    if (groups_has(G_DELETE_OFFSETS)) {
        if (!groups_has(G_GROUP) || !groups_has(G_TOPIC))
            return fail(err, errsz,
                        "Option [delete-offsets] takes the following options: [topic], [group]");
        if (groups_opts[G_GROUP].count > 1) {
            size_t k = (size_t)snprintf(
                err, errsz,
                "Option [delete-offsets] supports only one [group] at a time, but found: ");
            for (int i = 0; i < groups_opts[G_GROUP].count && k < errsz; i++)
                k += (size_t)snprintf(err + k, errsz - k, "%s%s", i ? ", " : "",
                                      groups_opts[G_GROUP].values[i]);
            return -1;
        }
    }
    if (groups_has(G_RESET_OFFSETS) && check_reset(err, errsz))
        return -1;

    const enum groups_opt not_with_group[] = {G_ALL_GROUPS, G_LIST, G_COUNT};
    const enum groups_opt not_with_topic[] = {G_LIST, G_DESCRIBE, G_COUNT};
    const enum groups_opt not_with_members[] = {G_LIST, G_DELETE, G_RESET_OFFSETS, G_DELETE_OFFSETS,
                                                G_COUNT};
    const enum groups_opt not_with_scope[] = {G_LIST, G_DESCRIBE, G_DELETE, G_DELETE_OFFSETS,
                                              G_COUNT};
    if (invalid_with(G_GROUP, not_with_group, err, errsz) ||
        invalid_with(G_TOPIC, not_with_topic, err, errsz) ||
        invalid_with(G_MEMBERS, not_with_members, err, errsz) ||
        invalid_with(G_OFFSETS, not_with_members, err, errsz) ||
        invalid_with(G_VERBOSE, not_with_members, err, errsz) ||
        invalid_with(G_ALL_TOPICS, not_with_scope, err, errsz) ||
        invalid_with(G_EXECUTE, not_with_scope, err, errsz) ||
        invalid_with(G_DRY_RUN, not_with_scope, err, errsz) ||
        invalid_with(G_EXPORT, not_with_scope, err, errsz))
        return -1;
    for (size_t i = 0; i < N_SCENARIOS; i++)
        if (invalid_with(scenarios[i], not_with_scope, err, errsz))
            return -1;
    int64_t v;
    if (cli_int(&groups_opts[G_TIMEOUT], &v, err, errsz) ||
        (groups_has(G_TO_OFFSET) && cli_int(&groups_opts[G_TO_OFFSET], &v, err, errsz)) ||
        (groups_has(G_SHIFT_BY) && cli_int(&groups_opts[G_SHIFT_BY], &v, err, errsz)))
        return -1;
    return 0;
}
