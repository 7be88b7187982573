/*
 * gregor-topics' command line: Kafka 2.8 kafka-topics' options, parsed and
 * checked the way its TopicCommandOptions does (same option names, same
 * combinations refused, same messages), and the usage text.
 *
 * Owns the option table and the argument checks. It does not talk to
 * ZooKeeper and does not interpret values beyond their syntax (numbers must
 * be integers; --config and --replica-assignment are parsed by the commands).
 */
#ifndef GREGOR_TOOLS_TOPICS_OPTS_H
#define GREGOR_TOOLS_TOPICS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct topics_opts {
    const char *zookeeper;          /* --zookeeper: host:port[,...][/chroot] */
    const char *bootstrap_server;   /* --bootstrap-server: refused, see topics_opts_check() */
    const char *command_config;     /* --command-config: accepted, only with --bootstrap-server */
    bool create, list, describe;    /* the actions: exactly one is set */
    bool alter, delete_;            /* (delete_: `delete` is a C++ keyword) */
    const char *topic;              /* --topic: name, or a regular expression except for create */
    bool has_partitions;            /* --partitions given */
    int32_t partitions;             /* its value */
    bool has_replication_factor;    /* --replication-factor given */
    int32_t replication_factor;     /* its value */
    const char *replica_assignment; /* --replica-assignment "0:1,1:2" or NULL */
    const char **configs;           /* --config k=v, in order; array owned, strings borrowed */
    int n_configs;                  /* entries in configs */
    const char **delete_configs;    /* --delete-config k, in order; same ownership */
    int n_delete_configs;           /* entries in delete_configs */
    bool under_replicated;          /* --under-replicated-partitions */
    bool unavailable;               /* --unavailable-partitions */
    bool under_min_isr;             /* --under-min-isr-partitions */
    bool at_min_isr;                /* --at-min-isr-partitions */
    bool with_overrides;            /* --topics-with-overrides */
    bool if_exists;                 /* --if-exists */
    bool if_not_exists;             /* --if-not-exists */
    bool exclude_internal;          /* --exclude-internal */
    bool disable_rack_aware;        /* --disable-rack-aware (assignment is rack-unaware anyway) */
    bool help;                      /* --help */
    bool version;                   /* --version */
};

/* Parses argv (borrowed: o points into it; must outlive o) into o, which is
 * initialised here; free o with topics_opts_destroy(). Returns 0, or -1 with
 * Kafka's message for an unknown option, a missing or malformed value in
 * err. */
int topics_opts_parse(int argc, char **argv, struct topics_opts *o, char *err, size_t errsz);
/* Kafka's checkArgs(): exactly one action, the required options, and the
 * combinations Kafka refuses. Returns 0, or -1 with Kafka's message in err.
 * Call only when neither --help nor --version was given. */
int topics_opts_check(const struct topics_opts *o, char *err, size_t errsz);
void topics_opts_destroy(struct topics_opts *o);

/* Writes the usage text (an option table like joptsimple's) to f. */
void topics_opts_usage(FILE *f);

#endif
