/*
 * gregor-configs: Kafka 2.8's kafka-configs, in --zookeeper mode (here) and
 * --bootstrap-server mode (configs_boot.c).
 *
 *   gregor-configs --zookeeper Z --entity-type topics|brokers|users|clients
 *       [--entity-name N | --entity-default] --describe
 *   gregor-configs --zookeeper Z --entity-type T (--entity-name N | --entity-default)
 *       --alter [--add-config k1=v1,k2=[a,b]] [--delete-config k1,k2]
 *   (--topic T stands for --entity-type topics --entity-name T)
 *   gregor-configs --bootstrap-server B (--topic T | --entity-type brokers
 *       (--entity-name ID | --entity-default)) (--describe [--all] | --alter ...)
 *
 * It reads and writes /config/<type>/<name> and records the change under
 * /config/changes as Kafka's ConfigCommand does; brokers watch the config
 * znodes and apply topic configs and dynamic broker configs without a
 * restart. Keys and values are checked as the broker checks them
 * (configs_entity.c), so a bad value is refused with the key, the value and
 * what is allowed. As in Kafka 2.8, a broker config is added through
 * ZooKeeper only while that broker (for <default>: every broker) is down,
 * for bootstrapping; a running cluster takes them with --bootstrap-server.
 *
 * Output as Kafka's: "Configs for topic 't' are k=v,k2=v2" and "Completed
 * updating config for entity: topic 't'.". Exit status 0, 1 for an error of
 * the command ("Error while executing config command with args ...: <why>"
 * as Kafka prints it), 2 for a usage error.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "tools/cli_opts.h"
#include "tools/configs_cmd.h"
#include "tools/configs_entity.h"
#include "tools/configs_zk.h"
#include "tools/topics_cmd.h"
#include "tools/topics_zk.h"
#include "zk/zk_client.h"
#include "zk/zk_json.h"

#define TOOL "gregor-configs"
#define MAX_KEYS 256

struct opts {
    const char *zookeeper, *bootstrap, *type, *name, *add, *del;
    bool describe, alter, all, entity_default;
    enum configs_entity_type kind; /* from type */
    char znode[512];               /* name under /config/<type> ("" for all entities) */
};

static void usage(FILE *f)
{
    fprintf(f,
            "This tool helps to manipulate and describe entity config for a topic, client, user "
            "or broker.\n"
            "Usage: %s (--zookeeper <host:port[/chroot]> | --bootstrap-server <host:port>)\n"
            "       --entity-type topics|brokers|users|clients [--entity-name <name> | "
            "--entity-default]\n"
            "       (--describe [--all] | --alter [--add-config <k=v,...>] [--delete-config <k,...>])\n"
            "  --zookeeper <connect>       The ZooKeeper connection string (or:)\n"
            "  --bootstrap-server <hosts>  a broker to ask (AlterConfigs and DescribeConfigs),\n"
            "                              for topics and brokers; needs an entity name.\n"
            "  --all                       With --bootstrap-server --describe: every key, not\n"
            "                              only the dynamic ones.\n"
            "  --entity-type <type>        topics, brokers (dynamic broker configs), users or\n"
            "                              clients (quotas: stored, not enforced by gregor yet).\n"
            "  --entity-name <name>        The topic, broker id, user principal or client id;\n"
            "                              --describe without it lists every entity with configs.\n"
            "  --entity-default            The default entity of brokers, users or clients\n"
            "                              (/config/<type>/<default>).\n"
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
        if (!strcmp(a, "--describe") || !strcmp(a, "--alter") || !strcmp(a, "--all") ||
            !strcmp(a, "--entity-default")) {
            *(!strcmp(a, "--describe") ? &o->describe
              : !strcmp(a, "--all")    ? &o->all
              : !strcmp(a, "--alter")  ? &o->alter
                                       : &o->entity_default) = true;
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
    if (o->describe == o->alter)
        return usage_error("%s", "Command must include exactly one action: --describe, --alter");
    if (!o->type)
        return usage_error("%s", "an entity-type must be specified with --entity-type");
    int kind = configs_entity_type(o->type);
    if (kind < 0)
        return usage_error("Invalid entity-type %s, --entity-type must be one of topics, "
                           "clients, users, brokers",
                           o->type);
    o->kind = (enum configs_entity_type)kind;
    if (o->name && o->entity_default)
        return usage_error("%s", "--entity-name and --entity-default cannot both be given");
    if (o->bootstrap && !o->name && !o->entity_default)
        return usage_error("%s", "At least one of --entity-name or --entity-default must be "
                                 "specified with --bootstrap-server");
    if (o->bootstrap && o->kind != ENTITY_TOPICS && o->kind != ENTITY_BROKERS)
        return usage_error("--zookeeper option must be specified for entity-type %s", o->type);
    if (o->alter && !o->name && !o->entity_default)
        return usage_error("an entity name must be specified with --alter of %s", o->type);
    if (o->alter && !o->add && !o->del)
        return usage_error("%s", "At least one of --add-config or --delete-config must be "
                                 "specified with --alter");
    if (o->describe && (o->add || o->del))
        return usage_error("%s", "--add-config and --delete-config only go with --alter");
    char why[600];
    if ((o->name || o->entity_default) &&
        configs_entity_znode(o->kind, o->name, o->znode, sizeof(o->znode), why, sizeof(why)))
        return usage_error("%s", why);
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


static int describe_one(struct topics_zk *z, const struct opts *o, const char *znode)
{
    struct zk_config c;
    int version;
    char err[512], entity[640];
    if (configs_zk_read(z, o->type, znode, &c, &version, err, sizeof(err)))
        return -1;
    int order[MAX_KEYS];
    int n = c.n < MAX_KEYS ? c.n : MAX_KEYS;
    struct zk_config shown = c;
    shown.n = n;
    topics_config_print_order(&shown, order);
    configs_entity_describe(o->kind, znode, entity, sizeof(entity));
    printf("Configs for %s are ", entity);
    for (int i = 0; i < n; i++)
        printf("%s%s=%s", i ? "," : "", c.entries[order[i]].key, c.entries[order[i]].value);
    printf("\n");
    zk_json_config_destroy(&c);
    return 0;
}

static int describe(struct topics_zk *z, const struct opts *o)
{
    if (o->znode[0])
        return describe_one(z, o, o->znode) ? error(o, "cannot read the entity's config") : 0;
    char **names = NULL, path[64];
    int n = 0;
    snprintf(path, sizeof(path), "/config/%s", o->type);
    int rc = topics_zk_children(z, path, &names, &n);
    if (rc == GR_E_NOENT)
        return 0;
    if (rc)
        return error(o, gr_strerror(rc));
    for (int i = 0; i < n && !rc; i++)
        rc = describe_one(z, o, names[i]);
    topics_zk_free_names(names, n);
    return rc ? error(o, "cannot read an entity's config") : 0;
}

/* Kafka 2.8 adds broker configs through ZooKeeper only for bootstrapping:
 * while the broker (for <default>: any broker) runs, it must go through
 * --bootstrap-server, where the broker validates and applies it. Returns
 * 0, or -1 with err set. */
static int brokers_down(struct topics_zk *z, const struct opts *o, char *const *keys, int nadd,
                        char *err, size_t errsz)
{
    if (o->kind != ENTITY_BROKERS || !nadd)
        return 0;
    char set[512] = "";
    for (int i = 0; i < nadd; i++)
        snprintf(set + strlen(set), sizeof(set) - strlen(set), "%s%s", i ? ", " : "", keys[i]);
    const char *info = "Broker configuration updates using ZooKeeper are supported for "
                       "bootstrapping before brokers are started to enable encrypted password "
                       "configs to be stored in ZooKeeper.";
    char path[600];
    int rc;
    if (strcmp(o->znode, "<default>")) {
        snprintf(path, sizeof(path), "/brokers/ids/%s", o->znode);
        rc = topics_zk_exists(z, path);
        if (rc == GR_OK) {
            snprintf(err, errsz,
                     "requirement failed: --bootstrap-server option must be specified to update "
                     "broker configs Set(%s) when broker %s is running. %s",
                     set, o->znode, info);
            return -1;
        }
    } else {
        char **names = NULL;
        int n = 0;
        rc = topics_zk_children(z, "/brokers/ids", &names, &n);
        topics_zk_free_names(names, n);
        if (rc == GR_OK && n > 0) {
            snprintf(err, errsz,
                     "requirement failed: --bootstrap-server option must be specified to update "
                     "broker configs Set(%s) for default cluster if any broker is running. %s",
                     set, info);
            return -1;
        }
    }
    if (rc && rc != GR_E_NOENT) {
        snprintf(err, errsz, "cannot tell whether the brokers run: %s", gr_strerror(rc));
        return -1;
    }
    return 0;
}

/* --add-config and --delete-config split into keys/values and dels, which
 * point into *add and *del (new copies the caller frees). Returns 0, or 1
 * with err. */
static int split_changes(const struct opts *o, char **add, char **del, char **keys,
                         char **values, int *nadd, char **dels, int *ndel, char *err,
                         size_t errsz)
{
    *add = strdup(o->add ? o->add : "");
    *del = strdup(o->del ? o->del : "");
    *ndel = 0;
    *nadd = *add && *del ? split_add(*add, keys, values, err, errsz) : -1;
    if (*nadd < 0) {
        if (!*add || !*del)
            snprintf(err, errsz, "out of memory");
        return 1;
    }
    char *save = NULL;
    for (char *k = strtok_r(*del, ",", &save); k && *ndel < MAX_KEYS; k = strtok_r(NULL, ",", &save))
        dels[(*ndel)++] = k;
    return 0;
}

static int alter(struct topics_zk *z, const struct opts *o)
{
    char err[1024], path[640];
    int rc = 0;
    if (o->kind == ENTITY_TOPICS) {
        snprintf(path, sizeof(path), "/brokers/topics/%s", o->znode);
        rc = topics_zk_exists(z, path);
    }
    if (rc == GR_E_NOENT) {
        snprintf(err, sizeof(err), "Topic '%s' does not exist.", o->name);
        return error(o, err);
    }
    if (rc)
        return error(o, gr_strerror(rc));
    char *add = NULL, *del = NULL;
    char *keys[MAX_KEYS], *values[MAX_KEYS], *dels[MAX_KEYS];
    int nadd, ndel;
    rc = split_changes(o, &add, &del, keys, values, &nadd, dels, &ndel, err, sizeof(err));
    for (int i = 0; !rc && i < nadd; i++)
        rc = configs_entity_check(o->kind, keys[i], values[i], err, sizeof(err));
    if (!rc)
        rc = brokers_down(z, o, keys, nadd, err, sizeof(err));
    if (!rc)
        rc = configs_zk_edit(z, o->type, o->znode, keys, values, nadd, dels, ndel, true, err,
                             sizeof(err));
    free(add);
    free(del);
    if (rc)
        return error(o, err);
    char entity[640];
    configs_entity_describe(o->kind, o->znode, entity, sizeof(entity));
    printf("Completed updating config for entity: %s.\n", entity);
    return 0;
}

/* --bootstrap-server: the brokers validate and apply (configs_boot.c). */
static int bootstrap_mode(const struct opts *o)
{
    char err[1024];
    if (o->describe)
        return configs_boot_describe(o->bootstrap, o->kind == ENTITY_BROKERS, o->name ? o->name : "",
                                     o->all, err, sizeof(err))
                   ? error(o, err)
                   : 0;
    char *add = NULL, *del = NULL;
    char *keys[MAX_KEYS], *values[MAX_KEYS], *dels[MAX_KEYS];
    int nadd, ndel;
    int rc = split_changes(o, &add, &del, keys, values, &nadd, dels, &ndel, err, sizeof(err));
    if (!rc)
        rc = configs_boot_alter(o->bootstrap, o->kind == ENTITY_BROKERS, o->name ? o->name : "",
                                keys, values, nadd, dels, ndel, err, sizeof(err));
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
