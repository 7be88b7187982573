/*
 * A table-driven command line for the console and group tools, parsed the
 * way Kafka's tools parse theirs (joptsimple): "--name value" and
 * "--name=value", repeatable options, optional arguments, and joptsimple's
 * messages for an unknown option or a missing argument. Also the usage
 * table and the checks Kafka's CommandLineUtils makes (required options,
 * options that exclude each other).
 *
 * It knows nothing of what the options mean; each tool owns its table.
 */
#ifndef GREGOR_TOOLS_CLI_OPTS_H
#define GREGOR_TOOLS_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_arg {
    CLI_FLAG,     /* takes no value */
    CLI_REQUIRED, /* takes a value: "--name v" or "--name=v" */
    CLI_OPTIONAL, /* "--name=v", or "--name v" when v does not start with "--" */
};

struct cli_opt {
    const char *name;    /* without the leading "--" */
    enum cli_arg arg;    /* whether it takes a value */
    const char *argname; /* the value's name in the usage table, or NULL */
    const char *def;     /* default value (cli_value() answers it), or NULL */
    const char *help;    /* one line of description */
    /* Filled by cli_parse(): */
    int count;           /* times given */
    const char **values; /* each given value in order (NULL for a bare
                          * optional), array owned, strings borrowed from argv */
};

/* Parses argv (borrowed; must outlive table) into table[0..n). Returns 0, or
 * -1 with joptsimple's message in err ("x is not a recognized option",
 * "Option x requires an argument", "Found non-option argument 'x'"). Call
 * cli_free() in either case. */
int cli_parse(struct cli_opt *table, int n, int argc, char **argv, char *err, size_t errsz);
void cli_free(struct cli_opt *table, int n);

/* The entry named name (must exist in the table). */
struct cli_opt *cli_find(struct cli_opt *table, int n, const char *name);
/* Whether o was given. */
bool cli_has(const struct cli_opt *o);
/* The last value given, else the default (NULL if neither). Borrowed. */
const char *cli_value(const struct cli_opt *o);
/* Parses o's value (cli_value) as a base-10 integer into *out. Returns 0,
 * or -1 with Kafka's "Cannot parse argument 'v' of option name" in err. */
int cli_int(const struct cli_opt *o, int64_t *out, char *err, size_t errsz);

/* Writes the joptsimple-like table "Option  Description" of table to f. */
void cli_usage(FILE *f, const struct cli_opt *table, int n);

/* Kafka's CommandLineUtils.printUsageAndDie: msg on stderr, then the
 * usage head (one line) and table; returns 1, the exit status. */
int cli_usage_error(const char *msg, const char *head, const struct cli_opt *table, int n);

/* The common start of a tool's main(): with no arguments the usage with
 * intro; parses argv into table; answers --help (stdout, status 0) and
 * --version when the table has them. Returns -1 when the tool should go
 * on, else the exit status (after the output). */
int cli_start(struct cli_opt *table, int n, int argc, char **argv, const char *head,
              const char *intro);

/* For tools that parse their few flags by hand: prints "<tool>: " and fmt
 * (one %s, arg) on stderr, then usage(stderr). Returns 2, the usage-error
 * exit status. */
int cli_hand_usage_error(const char *tool, void (*usage)(FILE *), const char *fmt, const char *arg);

#endif
