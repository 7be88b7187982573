/*
 * gregor-consumer-groups' command line: Kafka 2.8 kafka-consumer-groups'
 * options, parsed and checked the way its ConsumerGroupCommandOptions does
 * (same names, same combinations refused, same messages), and the usage.
 *
 * Owns the option table and the argument checks. It talks to no broker.
 */
#ifndef GREGOR_TOOLS_GROUPS_OPTS_H
#define GREGOR_TOOLS_GROUPS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/cli_opts.h"

enum groups_opt {
    G_BOOTSTRAP,
    G_GROUP,
    G_TOPIC,
    G_ALL_TOPICS,
    G_LIST,
    G_DESCRIBE,
    G_DELETE,
    G_TIMEOUT,
    G_COMMAND_CONFIG,
    G_RESET_OFFSETS,
    G_DELETE_OFFSETS,
    G_DRY_RUN,
    G_EXECUTE,
    G_EXPORT,
    G_TO_OFFSET,
    G_TO_DATETIME,
    G_BY_DURATION,
    G_TO_EARLIEST,
    G_TO_LATEST,
    G_SHIFT_BY,
    G_TO_CURRENT,
    G_MEMBERS,
    G_VERBOSE,
    G_OFFSETS,
    G_STATE,
    G_ALL_GROUPS,
    G_HELP,
    G_VERSION,
    G_COUNT
};

/* The table, filled by groups_opts_parse(). */
extern struct cli_opt groups_opts[G_COUNT];

/* Parses argv (borrowed; must outlive the table's use). Returns 0, or -1
 * with joptsimple's message in err. Free with groups_opts_free(). */
int groups_opts_parse(int argc, char **argv, char *err, size_t errsz);
/* Kafka's checkArgs() and the one-action rule. Returns 0, or -1 with
 * Kafka's message in err. Prints Kafka's --reset-offsets "WARN: No action
 * will be performed" note on stderr when neither --dry-run nor --execute. */
int groups_opts_check(char *err, size_t errsz);
void groups_opts_free(void);

static inline bool groups_has(enum groups_opt o)
{
    return cli_has(&groups_opts[o]);
}
static inline const char *groups_value(enum groups_opt o)
{
    return cli_value(&groups_opts[o]);
}

/* The usage's first lines. */
extern const char *const groups_usage_head;
/* Kafka's printUsageAndDie: msg and the usage on stderr; returns 1. */
int groups_usage_error(const char *msg);

#endif
