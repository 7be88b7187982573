/*
 * Which topics a gregor-topics command acts on (see topics_cmd.h), and the
 * error reporting every command shares.
 *
 * --topic is a regular expression as in Kafka (its IncludeList), compiled as
 * a POSIX extended expression: names, alternatives, '.', '*' and classes
 * behave as in Java's regex; Java-only syntax (\d, lookarounds) does not.
 */
#include "tools/topics_cmd.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int topics_error(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("Error while executing topic command : %s\n", msg);
    fflush(stdout);
    fprintf(stderr, "ERROR %s (gregor-topics)\n", msg);
    return 1;
}

int topics_zk_error(const char *what, int rc)
{
    return topics_error("%s: %s", what, gr_strerror(rc));
}

bool topics_is_internal(const char *topic)
{
    return !strcmp(topic, "__consumer_offsets") || !strcmp(topic, "__transaction_state");
}

bool topics_marked_for_deletion(struct topics_zk *z, const char *topic)
{
    char path[512];
    snprintf(path, sizeof(path), "/admin/delete_topics/%s", topic);
    return topics_zk_exists(z, path) == GR_OK;
}

/* Kafka's IncludeList rewrite: trim, ',' -> '|', drop spaces and leading or
 * trailing quotes; then anchor, since Java's matches() needs the whole name. */
static int compile_filter(const char *spec, regex_t *re)
{
    size_t n = strlen(spec);
    char *body = malloc(n + 1), *pattern = malloc(n + 8);
    if (!body || !pattern) {
        free(body);
        free(pattern);
        return -1;
    }
    size_t k = 0;
    for (const char *s = spec; *s; s++)
        if (*s != ' ' && *s != '\t')
            body[k++] = *s == ',' ? '|' : *s;
    body[k] = '\0';
    char *b = body;
    while (*b == '"' || *b == '\'')
        b++;
    k = strlen(b);
    while (k && (b[k - 1] == '"' || b[k - 1] == '\''))
        b[--k] = '\0';
    snprintf(pattern, n + 8, "^(%s)$", b);
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    free(body);
    free(pattern);
    return rc ? -1 : 0;
}

int topics_select(struct topics_zk *z, const struct topics_opts *o, char ***names, int *n)
{
    char **all = NULL;
    int nall = 0;
    int rc = topics_zk_children(z, "/brokers/topics", &all, &nall);
    if (rc == GR_E_NOENT) /* a ZooKeeper no broker has used yet */
        rc = GR_OK, all = NULL, nall = 0;
    if (rc != GR_OK)
        return topics_zk_error("cannot list /brokers/topics", rc);
    regex_t re;
    if (o->topic && compile_filter(o->topic, &re)) {
        topics_zk_free_names(all, nall);
        return topics_error("invalid regular expression for --topic: %s", o->topic);
    }
    int kept = 0;
    for (int i = 0; i < nall; i++) {
        bool want = !(o->exclude_internal && topics_is_internal(all[i]));
        if (want && o->topic)
            want = regexec(&re, all[i], 0, NULL, 0) == 0;
        if (want)
            all[kept++] = all[i];
        else
            free(all[i]);
    }
    if (o->topic)
        regfree(&re);
    *names = all;
    *n = kept;
    return 0;
}

int topics_ensure_exist(const struct topics_opts *o, int n)
{
    if (o->topic && !o->if_exists && n == 0)
        return topics_error("Topic '%s' does not exist as expected", o->topic);
    return 0;
}
