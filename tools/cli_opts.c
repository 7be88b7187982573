/* The console and group tools' command line; see cli_opts.h. */
#include "tools/cli_opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static int add_value(struct cli_opt *o, const char *v)
{
    const char **grown = realloc(o->values, sizeof(*grown) * (size_t)(o->count + 1));
    if (!grown)
        return -1;
    o->values = grown;
    o->values[o->count++] = v;
    return 0;
}

static struct cli_opt *lookup(struct cli_opt *table, int n, const char *name, size_t len)
{
    for (int k = 0; k < n; k++)
        if (strlen(table[k].name) == len && !strncmp(table[k].name, name, len))
            return &table[k];
    return NULL;
}

int cli_parse(struct cli_opt *table, int n, int argc, char **argv, char *err, size_t errsz)
{
    for (int k = 0; k < n; k++) {
        table[k].count = 0;
        table[k].values = NULL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return fail(err, errsz, "Found non-option argument '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        struct cli_opt *o = lookup(table, n, name, len);
        if (!o)
            return fail(err, errsz, "%.*s is not a recognized option", (int)len, name);
        const char *v = NULL;
        if (eq) {
            if (o->arg == CLI_FLAG)
                return fail(err, errsz, "Option %s does not take an argument", o->name);
            v = eq + 1;
        } else if (o->arg == CLI_REQUIRED) {
            if (i + 1 >= argc)
                return fail(err, errsz, "Option %s requires an argument", o->name);
            v = argv[++i];
        } else if (o->arg == CLI_OPTIONAL && i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
            v = argv[++i];
        }
        if (add_value(o, v))
            return fail(err, errsz, "out of memory");
    }
    return 0;
}

void cli_free(struct cli_opt *table, int n)
{
    for (int k = 0; k < n; k++) {
        free(table[k].values);
        table[k].values = NULL;
        table[k].count = 0;
    }
}

struct cli_opt *cli_find(struct cli_opt *table, int n, const char *name)
{
    return lookup(table, n, name, strlen(name));
}

bool cli_has(const struct cli_opt *o)
{
    return o->count > 0;
}

const char *cli_value(const struct cli_opt *o)
{
    if (o->count > 0 && o->values[o->count - 1])
        return o->values[o->count - 1];
    return o->def;
}

int cli_int(const struct cli_opt *o, int64_t *out, char *err, size_t errsz)
{
    const char *v = cli_value(o);
    char *end = NULL;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || errno)
        return fail(err, errsz, "Cannot parse argument '%s' of option %s", v ? v : "", o->name);
    *out = x;
    return 0;
}

void cli_usage(FILE *f, const struct cli_opt *table, int n)
{
    fprintf(f, "%-40s %s\n%-40s %s\n", "Option", "Description", "------", "-----------");
    for (int k = 0; k < n; k++) {
        const struct cli_opt *o = &table[k];
        char left[256], help[1024];
        if (o->arg == CLI_FLAG)
            snprintf(left, sizeof(left), "--%s", o->name);
        else
            snprintf(left, sizeof(left), o->arg == CLI_OPTIONAL ? "--%s [%s]" : "--%s <%s>",
                     o->name, o->argname ? o->argname : "value");
        if (o->def)
            snprintf(help, sizeof(help), "%s (default: %s)", o->help, o->def);
        else
            snprintf(help, sizeof(help), "%s", o->help);
        if (strlen(left) > 40)
            fprintf(f, "%s\n%-40s %s\n", left, "", help);
        else
            fprintf(f, "%-40s %s\n", left, help);
    }
}

int cli_usage_error(const char *msg, const char *head, const struct cli_opt *table, int n)
{
    fprintf(stderr, "%s\n%s\n", msg, head);
    cli_usage(stderr, table, n);
    return 1;
}

int cli_start(struct cli_opt *table, int n, int argc, char **argv, const char *head,
              const char *intro)
{
    char err[512];
    if (argc < 2)
        return cli_usage_error(intro, head, table, n);
    if (cli_parse(table, n, argc, argv, err, sizeof(err)))
        return cli_usage_error(err, head, table, n);
    const struct cli_opt *help = cli_find(table, n, "help");
    const struct cli_opt *version = cli_find(table, n, "version");
    if (help && cli_has(help)) {
        puts(head);
        cli_usage(stdout, table, n);
        return 0;
    }
    if (version && cli_has(version)) {
        printf("gregor %s\n", PACKAGE_VERSION);
        return 0;
    }
    return -1;
}

int cli_hand_usage_error(const char *tool, void (*usage)(FILE *), const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", tool);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    return 2;
}
