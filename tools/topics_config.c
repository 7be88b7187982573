/*
 * Topic config overrides for gregor-topics (see topics_cmd.h): --config
 * parsing as Kafka's parseTopicConfigsToBeAdded does it, validation against
 * the broker's own topic key table (broker/log/log_config.c, so the tool
 * accepts exactly what gregord accepts), and the order describe prints them
 * in.
 */
#include "tools/topics_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_config.h"

int topics_config_check(const char *key, const char *value, char *err, size_t errsz)
{
    if (!log_config_find(key)) {
        snprintf(err, errsz, "Unknown topic config name: %s", key);
        return -1;
    }
    struct log_config scratch;
    memset(&scratch, 0, sizeof(scratch));
    return log_config_set(&scratch, key, value, err, errsz) ? -1 : 0;
}

static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Stores a copy of s in c's arena. */
static char *keep(struct zk_config *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(&c->mem, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int topics_config_parse(const char *const *pairs, int n, struct zk_config *out, char *err,
                        size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    if (n == 0)
        return 0;
    out->entries = arena_calloc(&out->mem, (size_t)n, sizeof(*out->entries));
    if (!out->entries) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s", pairs[i]);
        char *eq = strchr(buf, '=');
        /* Kafka splits on "=" and wants exactly two parts; an empty value
         * counts as missing (Java's split drops trailing empty strings). */
        if (!eq || strchr(eq + 1, '=') || !*trim(eq + 1)) {
            snprintf(err, errsz,
                     "requirement failed: Invalid topic config: all configs to be added must be "
                     "in the format \"key=val\".");
            return -1;
        }
        *eq = '\0';
        const char *key = trim(buf);
        const char *value = trim(eq + 1);
        if (topics_config_check(key, value, err, errsz))
            return -1;
        int at = 0;
        while (at < out->n && strcmp(out->entries[at].key, key))
            at++;
        if (at == out->n && !(out->entries[out->n++].key = keep(out, key))) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        if (!(out->entries[at].value = keep(out, value))) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* java.lang.String.hashCode() of an ASCII string (config keys are ASCII),
 * spread the way java.util.HashMap.hash() does. */
static uint32_t java_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++)
        h = 31 * h + (unsigned char)*s;
    return h ^ (h >> 16);
}

void topics_config_print_order(const struct zk_config *c, int *order)
{
    /* HashMap's table: 16 buckets, doubled whenever the entries exceed 3/4
     * of it. Within a bucket entries keep their insertion order, which here
     * is the znode's order. */
    uint32_t buckets = 16;
    while ((uint32_t)c->n > buckets / 4 * 3)
        buckets *= 2;
    int k = 0;
    for (uint32_t b = 0; b < buckets; b++)
        for (int i = 0; i < c->n; i++)
            if ((java_hash(c->entries[i].key) & (buckets - 1)) == b)
                order[k++] = i;
}
