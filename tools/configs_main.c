/*
 * gregor-configs: Kafka 2.8's kafka-configs for topics, in --zookeeper mode
 * (here) and --bootstrap-server mode (configs_boot.c).
 *
 *   gregor-configs --zookeeper Z --entity-type topics [--entity-name T] --describe
 *   gregor-configs --zookeeper Z --entity-type topics --entity-name T --alter \
 *       [--add-config k1=v1,k2=[a,b]] [--delete-config k1,k2]
 *   (--topic T stands for --entity-type topics --entity-name T)
 *   gregor-configs --bootstrap-server B --topic T (--describe [--all] | --alter ...)
 *
 * It reads and writes /config/topics/<t> and records the change under
 * /config/changes as Kafka's ConfigCommand does; brokers watch the topic's
 * config znode and apply the new values to its logs without a restart.
 * Keys and values are checked against the broker's own topic config table
 * (the same check gregor-topics --config makes), so a bad value is refused
 * with the key, the value and what is allowed.
 *
 * Output as Kafka's: "Configs for topic 't' are k=v,k2=v2" and "Completed
 * updating config for entity: topic 't'.". Exit status 0, 1 for an error of
 * the command ("Error while executing config command with args ...: <why>"
 * as Kafka prints it), 2 for a usage error. Not yet: the brokers, users and
 * clients entity types: they are refused with a message saying so.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/topic_name.h"
#include "tools/cli_opts.h"
#include "tools/configs_cmd.h"
#include "tools/topics_cmd.h"
#include "tools/topics_zk.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"

#define TOOL "gregor-configs"
#define MAX_KEYS 256

struct opts {
    const char *zookeeper, *bootstrap, *type, *name, *add, *del;
    bool describe, alter, all;
};

static void usage(FILE *f)
{
    fprintf(f,
            "This tool helps to manipulate and describe entity config for a topic.\n"
            "Usage: %s (--zookeeper <host:port[/chroot]> | --bootstrap-server <host:port>)\n"
            "       --entity-type topics [--entity-name <topic>]\n"
            "       (--describe [--all] | --alter [--add-config <k=v,...>] [--delete-config <k,...>])\n"
            "  --zookeeper <connect>       The ZooKeeper connection string (or:)\n"
            "  --bootstrap-server <hosts>  a broker to ask (AlterConfigs and DescribeConfigs);\n"
            "                              needs --entity-name.\n"
            "  --all                       With --bootstrap-server --describe: every key, not\n"
            "                              only those set on the topic.\n"
            "  --entity-type topics        The entity type (only topics for now).\n"
            "  --entity-name <name>        The topic; --describe without it lists every topic\n"
            "                              with configs.\n"
            "  --topic <name>              The same as --entity-type topics --entity-name.\n"
            "  --describe                  Print the configs set on the entity.\n"
            "  --alter                     Change them:\n"
            "  --add-config <k=v,...>      keys to set; a value with commas goes in [ ],\n"
            "                              e.g. k=[a,b].\n"
            "  --delete-config <k,...>     keys to remove.\n"
            "  --help                      This text.\n",
            TOOL);
}

static int usage_error(const char *fmt, const char *arg)
{
    return cli_hand_usage_error(TOOL, usage, fmt, arg);
}

static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--describe") || !strcmp(a, "--alter") || !strcmp(a, "--all")) {
            *(!strcmp(a, "--describe") ? &o->describe
              : !strcmp(a, "--all")    ? &o->all
                                       : &o->alter) = true;
            continue;
        }
        const char **dst = !strcmp(a, "--zookeeper")          ? &o->zookeeper
                           : !strcmp(a, "--bootstrap-server") ? &o->bootstrap
                           : !strcmp(a, "--entity-type")      ? &o->type
                           : !strcmp(a, "--entity-name")      ? &o->name
                           : !strcmp(a, "--topic")            ? &o->name
                           : !strcmp(a, "--add-config")       ? &o->add
                           : !strcmp(a, "--delete-config")    ? &o->del
                                                              : NULL;
        if (!dst)
            return usage_error("unknown option \"%s\"", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        if (!strcmp(a, "--topic")) {
            if (o->type && strcmp(o->type, "topics"))
                return usage_error("--topic cannot be used with --entity-type %s", o->type);
            o->type = "topics";
        }
        *dst = argv[++i];
    }
    if (!o->zookeeper == !o->bootstrap)
        return usage_error("%s", "Only one of --bootstrap-server or --zookeeper must be "
                                 "specified");
    if (o->all && (!o->bootstrap || !o->describe))
        return usage_error("%s", "--all goes with --describe and --bootstrap-server");
    if (o->bootstrap && !o->name)
        return usage_error("%s", "an entity name must be specified with --bootstrap-server");
    if (o->describe == o->alter)
        return usage_error("%s", "Command must include exactly one action: --describe, --alter");
    if (!o->type)
        return usage_error("%s", "an entity-type must be specified with --entity-type");
    if (!strcmp(o->type, "brokers") || !strcmp(o->type, "users") || !strcmp(o->type, "clients"))
        return usage_error("--entity-type %s is not supported yet (only topics)", o->type);
    if (strcmp(o->type, "topics"))
        return usage_error("Invalid entity-type %s, --entity-type must be one of topics, "
                           "clients, users, brokers",
                           o->type);
    if (o->alter && !o->name)
        return usage_error("%s", "an entity name must be specified with --alter of topics");
    if (o->alter && !o->add && !o->del)
        return usage_error("%s", "At least one of --add-config or --delete-config must be "
                                 "specified with --alter");
    if (o->describe && (o->add || o->del))
        return usage_error("%s", "--add-config and --delete-config only go with --alter");
    if (o->name && !topic_name_valid(o->name))
        return usage_error("\"%s\" is not a legal topic name", o->name);
    return 0;
}

/* Splits --add-config the way Kafka's parseConfigsToBeAdded does: on
 * commas outside [ ], each part k=v, a value in [ ] losing its brackets.
 * keys/values point into buf (modified). Returns the count or -1. */
static int split_add(char *buf, char **keys, char **values, char *err, size_t errsz)
{
    int n = 0, depth = 0;
    char *start = buf;
    for (char *p = buf;; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']' && depth)
            depth--;
        if (*p && (*p != ',' || depth))
            continue;
        bool end = !*p;
        *p = '\0';
        if (*start) {
            char *eq = strchr(start, '=');
            if (!eq || eq == start || n == MAX_KEYS) {
                snprintf(err, errsz,
                         "requirement failed: Invalid entity config: all configs to be added "
                         "must be in the format \"key=val\".");
                return -1;
            }
            *eq = '\0';
            char *v = eq + 1;
            size_t vl = strlen(v);
            if (vl >= 2 && v[0] == '[' && v[vl - 1] == ']') {
                v[vl - 1] = '\0';
                v++;
            }
            keys[n] = start;
            values[n++] = v;
        }
        if (end)
            break;
        start = p + 1;
    }
    return n;
}

static char args_line[2048]; /* the command line, for the error line */

static int error(const struct opts *o, const char *why)
{
    (void)o;
    printf("Error while executing config command with args '%s'\n", args_line);
    fprintf(stderr, "%s: %s\n", TOOL, why);
    return 1;
}

/* Reads /config/topics/<name> into c (empty if absent), with its version
 * (-1 if absent). */
static int read_config(struct topics_zk *z, const char *name, struct zk_config *c, int *version,
                       char *err, size_t errsz)
{
    char path[320];
    snprintf(path, sizeof(path), "/config/topics/%s", name);
    char *data = NULL;
    size_t len = 0;
    struct zk_stat st;
    int rc = topics_zk_get(z, path, &data, &len, &st);
    *version = -1;
    if (rc == GR_E_NOENT) {
        memset(c, 0, sizeof(*c));
        arena_init(&c->mem);
        return 0;
    }
    if (rc) {
        snprintf(err, errsz, "cannot read %s: %s", path, gr_strerror(rc));
        return -1;
    }
    *version = st.version;
    rc = zk_json_config_decode(data ? data : "", data ? len : 0, c, err, errsz);
    free(data);
    return rc ? -1 : 0;
}

static int describe_one(struct topics_zk *z, const char *name)
{
    struct zk_config c;
    int version;
    char err[512];
    if (read_config(z, name, &c, &version, err, sizeof(err)))
        return -1;
    int order[MAX_KEYS];
    int n = c.n < MAX_KEYS ? c.n : MAX_KEYS;
    struct zk_config shown = c;
    shown.n = n;
    topics_config_print_order(&shown, order);
    printf("Configs for topic '%s' are ", name);
    for (int i = 0; i < n; i++)
        printf("%s%s=%s", i ? "," : "", c.entries[order[i]].key, c.entries[order[i]].value);
    printf("\n");
    zk_json_config_destroy(&c);
    return 0;
}

static int describe(struct topics_zk *z, const struct opts *o)
{
    if (o->name)
        return describe_one(z, o->name) ? error(o, "cannot read the topic's config") : 0;
    char **names = NULL;
    int n = 0;
    int rc = topics_zk_children(z, "/config/topics", &names, &n);
    if (rc == GR_E_NOENT)
        return 0;
    if (rc)
        return error(o, gr_strerror(rc));
    for (int i = 0; i < n && !rc; i++)
        rc = describe_one(z, names[i]);
    topics_zk_free_names(names, n);
    return rc ? error(o, "cannot read a topic's config") : 0;
}

static int alter(struct topics_zk *z, const struct opts *o)
{
    char err[1024], path[320];
    snprintf(path, sizeof(path), "/brokers/topics/%s", o->name);
    int rc = topics_zk_exists(z, path);
    if (rc == GR_E_NOENT) {
        snprintf(err, sizeof(err), "Topic '%s' does not exist.", o->name);
        return error(o, err);
    }
    if (rc)
        return error(o, gr_strerror(rc));
    char *add = strdup(o->add ? o->add : ""), *del = strdup(o->del ? o->del : "");
    char *keys[MAX_KEYS], *values[MAX_KEYS];
    int nadd = add ? split_add(add, keys, values, err, sizeof(err)) : -1;
    struct zk_config c;
    int version = -1;
    rc = nadd < 0 || !del;
    for (int i = 0; !rc && i < nadd; i++)
        rc = topics_config_check(keys[i], values[i], err, sizeof(err));
    if (!rc)
        rc = read_config(z, o->name, &c, &version, err, sizeof(err));
    else if (nadd < 0 && !add)
        snprintf(err, sizeof(err), "out of memory");
    bool have_c = !rc;
    /* The new set: the old one, minus deletions, plus additions. */
    struct zk_config_entry entries[2 * MAX_KEYS];
    int n = 0;
    for (int i = 0; !rc && i < c.n && n < MAX_KEYS; i++)
        entries[n++] = c.entries[i];
    char *save = NULL;
    for (char *k = rc ? NULL : strtok_r(del, ",", &save); k && !rc; k = strtok_r(NULL, ",", &save)) {
        int at = 0;
        while (at < n && strcmp(entries[at].key, k))
            at++;
        if (at == n) {
            snprintf(err, sizeof(err), "Invalid config(s): %s", k);
            rc = 1;
            break;
        }
        memmove(&entries[at], &entries[at + 1], (size_t)(n - at - 1) * sizeof(*entries));
        n--;
    }
    for (int i = 0; !rc && i < nadd; i++) {
        int at = 0;
        while (at < n && strcmp(entries[at].key, keys[i]))
            at++;
        if (at == n)
            n++;
        entries[at] = (struct zk_config_entry){keys[i], values[i]};
    }
    char *json = NULL;
    if (!rc) {
        struct zk_config out = {.entries = entries, .n = n};
        rc = zk_json_config_encode(&out, &json, err, sizeof(err));
    }
    if (!rc) {
        snprintf(path, sizeof(path), "/config/topics/%s", o->name);
        /* Compare-and-set on the version read: a concurrent change is not
         * overwritten unseen. */
        int zrc = version < 0 ? topics_zk_create(z, path, json, strlen(json))
                              : topics_zk_set(z, path, json, strlen(json), version);
        if (zrc) {
            snprintf(err, sizeof(err), "cannot write %s: %s%s", path, gr_strerror(zrc),
                     zrc == GR_E_ZK_BADVERSION || zrc == GR_E_EXISTS
                         ? " (changed meanwhile by someone else; run the command again)"
                         : "");
            rc = 1;
        }
    }
    if (!rc) {
        char entity[300];
        snprintf(entity, sizeof(entity), "topics/%s", o->name);
        int zrc = topics_zk_config_changed(z, entity, err, sizeof(err));
        if (zrc) {
            if (!err[0])
                snprintf(err, sizeof(err), "%s", gr_strerror(zrc));
            rc = 1;
        }
    }
    free(json);
    if (have_c)
        zk_json_config_destroy(&c);
    free(add);
    free(del);
    if (rc)
        return error(o, err);
    printf("Completed updating config for entity: topic '%s'.\n", o->name);
    return 0;
}

/* --bootstrap-server: the brokers validate and apply (configs_boot.c). */
static int bootstrap_mode(const struct opts *o)
{
    char err[1024];
    if (o->describe)
        return configs_boot_describe(o->bootstrap, o->name, o->all, err, sizeof(err))
                   ? error(o, err)
                   : 0;
    char *add = strdup(o->add ? o->add : ""), *del = strdup(o->del ? o->del : "");
    char *keys[MAX_KEYS], *values[MAX_KEYS], *dels[MAX_KEYS];
    int nadd = add && del ? split_add(add, keys, values, err, sizeof(err)) : -1;
    int ndel = 0, rc = nadd < 0;
    if (nadd < 0 && (!add || !del))
        snprintf(err, sizeof(err), "out of memory");
    char *save = NULL;
    for (char *k = rc ? NULL : strtok_r(del, ",", &save); k && ndel < MAX_KEYS;
         k = strtok_r(NULL, ",", &save))
        dels[ndel++] = k;
    if (!rc)
        rc = configs_boot_alter(o->bootstrap, o->name, keys, values, nadd, dels, ndel, err,
                                sizeof(err));
    free(add);
    free(del);
    return rc ? error(o, err) : 0;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    for (int i = 1; i < argc; i++)
        snprintf(args_line + strlen(args_line), sizeof(args_line) - strlen(args_line), "%s%s",
                 i > 1 ? " " : "", argv[i]);
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    topics_zk_quiet_logs();
    char err[1024];
    if (o.bootstrap)
        return bootstrap_mode(&o);
    struct topics_zk *z = topics_zk_open(o.zookeeper, err, sizeof(err));
    if (!z)
        return error(&o, err);
    rc = o.describe ? describe(z, &o) : alter(z, &o);
    topics_zk_close(z);
    return rc;
}
