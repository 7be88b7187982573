/*
 * gregor-topics' command line (see topics_opts.h).
 *
 * Kafka's option parser (joptsimple) takes "--name value" and "--name=value";
 * so does this one. Messages quote options as joptsimple prints them,
 * "[name]", so that scripts matching Kafka's output keep working.
 */
#include "tools/topics_opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
    O_ZOOKEEPER,
    O_BOOTSTRAP,
    O_COMMAND_CONFIG,
    O_CREATE,
    O_LIST,
    O_DESCRIBE,
    O_ALTER,
    O_DELETE,
    O_TOPIC,
    O_PARTITIONS,
    O_RF,
    O_ASSIGNMENT,
    O_CONFIG,
    O_DELETE_CONFIG,
    O_UNDER_REPLICATED,
    O_UNAVAILABLE,
    O_UNDER_MIN_ISR,
    O_AT_MIN_ISR,
    O_OVERRIDES,
    O_IF_EXISTS,
    O_IF_NOT_EXISTS,
    O_EXCLUDE_INTERNAL,
    O_DISABLE_RACK_AWARE,
    O_FORCE,
    O_HELP,
    O_VERSION,
    O_COUNT
};

struct opt_def {
    const char *name; /* without the leading "--" */
    const char *arg;  /* what the value is, for the usage; NULL: a flag */
    const char *help; /* usage text */
};

static const struct opt_def defs[O_COUNT] = {
    [O_ZOOKEEPER] =
        {"zookeeper", "hosts",
         "REQUIRED: the ZooKeeper connection string, host:port[,host:port...][/chroot]."},
    [O_BOOTSTRAP] = {"bootstrap-server", "server to connect to",
                     "Not supported: gregor-topics talks to ZooKeeper only (use --zookeeper)."},
    [O_COMMAND_CONFIG] = {"command-config", "command config property file",
                          "Admin client properties; only meaningful with --bootstrap-server."},
    [O_CREATE] = {"create", NULL, "Create a new topic."},
    [O_LIST] = {"list", NULL, "List all available topics."},
    [O_DESCRIBE] = {"describe", NULL, "List details for the given topics."},
    [O_ALTER] = {"alter", NULL,
                 "Alter the number of partitions, replica assignment, and/or configuration for "
                 "the topic."},
    [O_DELETE] = {"delete", NULL, "Delete a topic (marks it for deletion)."},
    [O_TOPIC] = {"topic", "topic",
                 "The topic to create, alter, describe or delete. Except with --create it is a "
                 "POSIX extended regular expression matched against whole names (',' separates "
                 "alternatives, as in Kafka); escape '.' as '\\.' to match a dot only."},
    [O_PARTITIONS] = {"partitions", "# of partitions",
                      "The number of partitions for the topic being created or altered (WARNING: "
                      "if partitions are increased for a topic that has a key, the partition "
                      "logic or ordering of the messages will be affected)."},
    [O_RF] = {"replication-factor", "replication factor",
              "The replication factor for each partition in the topic being created."},
    [O_ASSIGNMENT] = {"replica-assignment",
                      "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , "
                      "broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
                      "A list of manual partition-to-broker assignments for the topic being "
                      "created or altered."},
    [O_CONFIG] = {"config", "name=value",
                  "A topic configuration override for the topic being created or altered "
                  "(repeatable), e.g. retention.ms=86400000. Kafka's topic config names are "
                  "accepted; values are checked as gregor's broker checks them."},
    [O_DELETE_CONFIG] = {"delete-config", "name",
                         "A topic configuration override to be removed for an existing topic."},
    [O_UNDER_REPLICATED] = {"under-replicated-partitions", NULL,
                            "If set when describing topics, only show under replicated "
                            "partitions."},
    [O_UNAVAILABLE] = {"unavailable-partitions", NULL,
                       "If set when describing topics, only show partitions whose leader is not "
                       "available."},
    [O_UNDER_MIN_ISR] = {"under-min-isr-partitions", NULL,
                         "If set when describing topics, only show partitions whose isr count is "
                         "less than the configured minimum."},
    [O_AT_MIN_ISR] = {"at-min-isr-partitions", NULL,
                      "If set when describing topics, only show partitions whose isr count is "
                      "equal to the configured minimum."},
    [O_OVERRIDES] = {"topics-with-overrides", NULL,
                     "If set when describing topics, only show topics that have overridden "
                     "configs."},
    [O_IF_EXISTS] = {"if-exists", NULL,
                     "If set when altering, deleting or describing topics, the action only "
                     "executes if the topic exists."},
    [O_IF_NOT_EXISTS] = {"if-not-exists", NULL,
                         "If set when creating topics, the action only executes if the topic "
                         "does not already exist."},
    [O_EXCLUDE_INTERNAL] = {"exclude-internal", NULL,
                            "Exclude internal topics when running list or describe."},
    [O_DISABLE_RACK_AWARE] = {"disable-rack-aware", NULL,
                              "Disable rack aware replica assignment (gregor-topics always "
                              "assigns without racks)."},
    [O_FORCE] = {"force", NULL, "Suppress console prompts (accepted and ignored, as in Kafka)."},
    [O_HELP] = {"help", NULL, "Print usage information."},
    [O_VERSION] = {"version", NULL, "Display gregor's version."},
};

void topics_opts_usage(FILE *f)
{
    fputs("Usage: gregor-topics --zookeeper HOST:PORT[/chroot] (--create | --list | --describe |"
          " --alter | --delete) [options]\n"
          "Creates, deletes, describes, or changes topics through ZooKeeper, as Kafka 2.8's\n"
          "kafka-topics --zookeeper does.\n\n",
          f);
    fprintf(f, "%-40s %s\n%-40s %s\n", "Option", "Description", "------", "-----------");
    for (int i = 0; i < O_COUNT; i++) {
        char left[256];
        if (defs[i].arg)
            snprintf(left, sizeof(left), "--%s <%s>", defs[i].name, defs[i].arg);
        else
            snprintf(left, sizeof(left), "--%s", defs[i].name);
        if (strlen(left) > 40)
            fprintf(f, "%s\n%-40s %s\n", left, "", defs[i].help);
        else
            fprintf(f, "%-40s %s\n", left, defs[i].help);
    }
}

/* Writes a message into err and returns -1. */
__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* joptsimple's integer parsing: the whole string, within int32. */
static int parse_int(const char *s, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static int push(const char ***arr, int *n, const char *v)
{
    const char **grown = realloc(*arr, (size_t)(*n + 1) * sizeof(**arr));
    if (!grown)
        return -1;
    grown[(*n)++] = v;
    *arr = grown;
    return 0;
}

static int set_opt(struct topics_opts *o, enum opt_id id, const char *v, char *err, size_t errsz)
{
    switch (id) {
    case O_ZOOKEEPER: o->zookeeper = v; break;
    case O_BOOTSTRAP: o->bootstrap_server = v; break;
    case O_COMMAND_CONFIG: o->command_config = v; break;
    case O_CREATE: o->create = true; break;
    case O_LIST: o->list = true; break;
    case O_DESCRIBE: o->describe = true; break;
    case O_ALTER: o->alter = true; break;
    case O_DELETE: o->delete_ = true; break;
    case O_TOPIC: o->topic = v; break;
    case O_PARTITIONS:
        o->has_partitions = true;
        if (parse_int(v, &o->partitions))
            return fail(err, errsz, "Cannot parse argument '%s' of option %s", v, "partitions");
        break;
    case O_RF:
        o->has_replication_factor = true;
        if (parse_int(v, &o->replication_factor))
            return fail(err, errsz, "Cannot parse argument '%s' of option %s", v,
                        "replication-factor");
        break;
    case O_ASSIGNMENT: o->replica_assignment = v; break;
    case O_CONFIG:
        if (push(&o->configs, &o->n_configs, v))
            return fail(err, errsz, "out of memory");
        break;
    case O_DELETE_CONFIG:
        if (push(&o->delete_configs, &o->n_delete_configs, v))
            return fail(err, errsz, "out of memory");
        break;
    case O_UNDER_REPLICATED: o->under_replicated = true; break;
    case O_UNAVAILABLE: o->unavailable = true; break;
    case O_UNDER_MIN_ISR: o->under_min_isr = true; break;
    case O_AT_MIN_ISR: o->at_min_isr = true; break;
    case O_OVERRIDES: o->with_overrides = true; break;
    case O_IF_EXISTS: o->if_exists = true; break;
    case O_IF_NOT_EXISTS: o->if_not_exists = true; break;
    case O_EXCLUDE_INTERNAL: o->exclude_internal = true; break;
    case O_DISABLE_RACK_AWARE: o->disable_rack_aware = true; break;
    case O_FORCE: break;
    case O_HELP: o->help = true; break;
    case O_VERSION: o->version = true; break;
    case O_COUNT: break;
    }
    return 0;
}

int topics_opts_parse(int argc, char **argv, struct topics_opts *o, char *err, size_t errsz)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return fail(err, errsz, "Found non-option argument '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int id = -1;
        for (int k = 0; k < O_COUNT; k++)
            if (strlen(defs[k].name) == len && !strncmp(defs[k].name, name, len))
                id = k;
        if (id < 0) {
            char bad[128];
            snprintf(bad, sizeof(bad), "%.*s", (int)len, name);
            return fail(err, errsz, "%s is not a recognized option", bad);
        }
        const char *v = NULL;
        if (defs[id].arg) {
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else
                return fail(err, errsz, "Option %s requires an argument", defs[id].name);
        } else if (eq) {
            return fail(err, errsz, "Option %s does not take an argument", defs[id].name);
        }
        if (set_opt(o, (enum opt_id)id, v, err, errsz))
            return -1;
    }
    return 0;
}

void topics_opts_destroy(struct topics_opts *o)
{
    free(o->configs);
    free(o->delete_configs);
    memset(o, 0, sizeof(*o));
}

/* ---- checkArgs ------------------------------------------------------------- */

/* Which options a parsed command line has, by id. */
static void present(const struct topics_opts *o, bool has[O_COUNT])
{
    memset(has, 0, sizeof(bool) * O_COUNT);
    has[O_ZOOKEEPER] = o->zookeeper;
    has[O_BOOTSTRAP] = o->bootstrap_server;
    has[O_COMMAND_CONFIG] = o->command_config;
    has[O_CREATE] = o->create;
    has[O_LIST] = o->list;
    has[O_DESCRIBE] = o->describe;
    has[O_ALTER] = o->alter;
    has[O_DELETE] = o->delete_;
    has[O_TOPIC] = o->topic;
    has[O_PARTITIONS] = o->has_partitions;
    has[O_RF] = o->has_replication_factor;
    has[O_ASSIGNMENT] = o->replica_assignment;
    has[O_CONFIG] = o->n_configs > 0;
    has[O_DELETE_CONFIG] = o->n_delete_configs > 0;
    has[O_UNDER_REPLICATED] = o->under_replicated;
    has[O_UNAVAILABLE] = o->unavailable;
    has[O_UNDER_MIN_ISR] = o->under_min_isr;
    has[O_AT_MIN_ISR] = o->at_min_isr;
    has[O_OVERRIDES] = o->with_overrides;
    has[O_IF_EXISTS] = o->if_exists;
    has[O_IF_NOT_EXISTS] = o->if_not_exists;
    has[O_EXCLUDE_INTERNAL] = o->exclude_internal;
}

static int missing(const bool *has, enum opt_id id, char *err, size_t errsz)
{
    if (has[id])
        return 0;
    return fail(err, errsz, "Missing required argument \"[%s]\"", defs[id].name);
}

/* Kafka's checkInvalidArgs: `used` may not appear with any of `bad` (a list
 * ended by O_COUNT). */
static int invalid_with(const bool *has, enum opt_id used, const enum opt_id *bad, char *err,
                        size_t errsz)
{
    if (!has[used])
        return 0;
    for (; *bad != O_COUNT; bad++)
        if (has[*bad]) {
            snprintf(err, errsz, "Option \"[%s]\" can't be used with option \"[%s]\"",
                     defs[used].name, defs[*bad].name);
            return -1;
        }
    return 0;
}

int topics_opts_check(const struct topics_opts *o, char *err, size_t errsz)
{
    bool has[O_COUNT];
    present(o, has);
    int actions = o->create + o->list + o->describe + o->alter + o->delete_;
    if (actions != 1)
        return fail(err, errsz,
                    "Command must include exactly one action: --list, --describe, --create, "
                    "--alter or --delete");
    if (has[O_BOOTSTRAP] == has[O_ZOOKEEPER])
        return fail(err, errsz, "Only one of --bootstrap-server or --zookeeper must be specified");
    if (has[O_DESCRIBE] && has[O_IF_EXISTS] && missing(has, O_TOPIC, err, errsz))
        return -1;
    if (!has[O_LIST] && !has[O_DESCRIBE] && missing(has, O_TOPIC, err, errsz))
        return -1;
    if (has[O_CREATE] && !has[O_ASSIGNMENT] &&
        (missing(has, O_PARTITIONS, err, errsz) || missing(has, O_RF, err, errsz)))
        return -1;

    /* The table of Kafka's checkInvalidArgs calls, in its order. Kafka 2.8
     * also refuses --under-min-isr-partitions and --at-min-isr-partitions
     * with --zookeeper (its ZooKeeper path has no topic configs at hand);
     * gregor-topics reads min.insync.replicas from ZooKeeper and serves
     * them. */
    static const struct {
        enum opt_id used;
        enum opt_id bad[12];
    } rules[] = {
        {O_CONFIG, {O_DESCRIBE, O_LIST, O_DELETE, O_COUNT}},
        {O_DELETE_CONFIG, {O_CREATE, O_DESCRIBE, O_LIST, O_DELETE, O_BOOTSTRAP, O_COUNT}},
        {O_PARTITIONS, {O_DESCRIBE, O_LIST, O_DELETE, O_COUNT}},
        {O_RF, {O_ALTER, O_DESCRIBE, O_LIST, O_DELETE, O_COUNT}},
        {O_ASSIGNMENT, {O_DESCRIBE, O_LIST, O_DELETE, O_COUNT}},
        {O_UNDER_REPLICATED,
         {O_ALTER, O_CREATE, O_LIST, O_DELETE, O_UNDER_MIN_ISR, O_AT_MIN_ISR, O_UNAVAILABLE,
          O_OVERRIDES, O_COUNT}},
        {O_UNDER_MIN_ISR,
         {O_ALTER, O_CREATE, O_LIST, O_DELETE, O_UNDER_REPLICATED, O_AT_MIN_ISR, O_UNAVAILABLE,
          O_OVERRIDES, O_COUNT}},
        {O_AT_MIN_ISR,
         {O_ALTER, O_CREATE, O_LIST, O_DELETE, O_UNDER_REPLICATED, O_UNDER_MIN_ISR, O_UNAVAILABLE,
          O_OVERRIDES, O_COUNT}},
        {O_UNAVAILABLE,
         {O_ALTER, O_CREATE, O_LIST, O_DELETE, O_UNDER_REPLICATED, O_UNDER_MIN_ISR, O_AT_MIN_ISR,
          O_OVERRIDES, O_COUNT}},
        {O_OVERRIDES,
         {O_ALTER, O_CREATE, O_LIST, O_DELETE, O_UNDER_REPLICATED, O_UNDER_MIN_ISR, O_AT_MIN_ISR,
          O_UNAVAILABLE, O_COUNT}},
        {O_IF_EXISTS, {O_CREATE, O_LIST, O_COUNT}},
        {O_IF_NOT_EXISTS, {O_ALTER, O_DESCRIBE, O_LIST, O_DELETE, O_COUNT}},
        {O_EXCLUDE_INTERNAL, {O_ALTER, O_CREATE, O_DELETE, O_COUNT}},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (invalid_with(has, rules[i].used, rules[i].bad, err, errsz))
            return -1;
    if (has[O_CREATE]) {
        static const enum opt_id with_assignment[] = {O_PARTITIONS, O_RF, O_COUNT};
        if (invalid_with(has, O_ASSIGNMENT, with_assignment, err, errsz))
            return -1;
    }
    if (has[O_BOOTSTRAP])
        return fail(err, errsz,
                    "--bootstrap-server is not supported: gregor-topics talks to ZooKeeper only; "
                    "use --zookeeper HOST:PORT");
    return 0;
}
