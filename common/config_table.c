/*
 * Configuration tables (see config_table.h).
 */
#define LOG_COMPONENT "config"
#include "common/config_table.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/logger.h"
#include "common/props.h"

const struct config_def *config_table_find(const struct config_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->defs[i].name, name))
            return &t->defs[i];
    return NULL;
}

static const char *type_name(const struct config_def *d)
{
    switch (d->type) {
    case CONFIG_INT: return "an integer";
    case CONFIG_LONG: return "a long integer";
    case CONFIG_BOOL: return "true or false";
    default: return "a string";
    }
}

/* Parses a decimal integer the way Java's Long.parseLong does (after Kafka's
 * trim): optional sign, digits only, no overflow. */
static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Sets def's value from text. On error fills errstr naming key, value and
 * what is allowed. */
static int set_value(void *obj, const struct config_def *d, const char *value, char *errstr,
                     size_t errsz)
{
    void *f = (char *)obj + d->offset;
    int64_t v;
    switch (d->type) {
    case CONFIG_INT:
    case CONFIG_LONG:
        if (parse_i64(value, &v) || v < d->min || v > d->max) {
            snprintf(errstr, errsz,
                     "invalid value \"%s\" for %s: must be %s from %" PRId64 " to %" PRId64, value,
                     d->name, type_name(d), d->min, d->max);
            return GR_E_CONFIG;
        }
        if (d->type == CONFIG_INT)
            *(int32_t *)f = (int32_t)v;
        else
            *(int64_t *)f = v;
        return 0;
    case CONFIG_BOOL:
        if (!strcasecmp(value, "true"))
            *(bool *)f = true;
        else if (!strcasecmp(value, "false"))
            *(bool *)f = false;
        else {
            snprintf(errstr, errsz, "invalid value \"%s\" for %s: must be true or false", value,
                     d->name);
            return GR_E_CONFIG;
        }
        return 0;
    case CONFIG_STRING:
    case CONFIG_LIST:
        if (d->choices) {
            const char *const *ch = d->choices;
            while (*ch && strcmp(*ch, value))
                ch++;
            if (!*ch) {
                char allowed[256] = "";
                for (ch = d->choices; *ch; ch++) {
                    strncat(allowed, *ch, sizeof(allowed) - strlen(allowed) - 3);
                    if (ch[1])
                        strncat(allowed, ", ", sizeof(allowed) - strlen(allowed) - 1);
                }
                snprintf(errstr, errsz, "invalid value \"%s\" for %s: must be one of %s", value,
                         d->name, allowed);
                return GR_E_CONFIG;
            }
        }
        char *dup = strdup(value);
        if (!dup) {
            snprintf(errstr, errsz, "out of memory setting %s", d->name);
            return GR_E_NOMEM;
        }
        free(*(char **)f);
        *(char **)f = dup;
        return 0;
    }
    return GR_E_CONFIG;
}

int config_table_init(const struct config_table *t, void *obj, uint8_t **source)
{
    char err[256];
    *source = calloc(t->n ? t->n : 1, 1);
    if (!*source)
        return GR_E_NOMEM;
    for (size_t i = 0; i < t->n; i++) {
        const struct config_def *d = &t->defs[i];
        void *f = (char *)obj + d->offset;
        if (d->dflt) {
            int rc = set_value(obj, d, d->dflt, err, sizeof(err));
            if (rc) {
                config_table_destroy(t, obj, source);
                return rc;
            }
        } else if (d->type == CONFIG_INT) {
            *(int32_t *)f = CONFIG_UNSET_INT;
        } else if (d->type == CONFIG_LONG) {
            *(int64_t *)f = CONFIG_UNSET;
        }
    }
    return 0;
}

void config_table_destroy(const struct config_table *t, void *obj, uint8_t **source)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct config_def *d = &t->defs[i];
        if (d->type == CONFIG_STRING || d->type == CONFIG_LIST) {
            char **f = (char **)((char *)obj + d->offset);
            free(*f);
            *f = NULL;
        }
    }
    free(*source);
    *source = NULL;
}

int config_table_set(const struct config_table *t, void *obj, uint8_t *source, const char *key,
                     const char *value, enum config_source src, char *errstr, size_t errsz)
{
    const struct config_def *d = config_table_find(t, key);
    if (!d) {
        LOG_WARN("unknown configuration key %s (value \"%s\") is ignored", key, value);
        return 1;
    }
    /* Kafka trims values before parsing; do the same for --override. */
    while (isspace((unsigned char)*value))
        value++;
    size_t n = strlen(value);
    char tmp[4096];
    if (n && isspace((unsigned char)value[n - 1]) && n < sizeof(tmp)) {
        memcpy(tmp, value, n + 1);
        while (n && isspace((unsigned char)tmp[n - 1]))
            tmp[--n] = '\0';
        value = tmp;
    }
    int rc = set_value(obj, d, value, errstr, errsz);
    if (!rc)
        source[d - t->defs] = (uint8_t)src;
    return rc;
}

int config_table_reset(const struct config_table *t, void *obj, uint8_t *source,
                       const struct config_def *d)
{
    char err[256];
    void *f = (char *)obj + d->offset;
    if (d->dflt) {
        int rc = set_value(obj, d, d->dflt, err, sizeof(err));
        if (rc)
            return rc;
    } else if (d->type == CONFIG_INT) {
        *(int32_t *)f = CONFIG_UNSET_INT;
    } else if (d->type == CONFIG_LONG) {
        *(int64_t *)f = CONFIG_UNSET;
    } else if (d->type == CONFIG_STRING || d->type == CONFIG_LIST) {
        free(*(char **)f);
        *(char **)f = NULL;
    }
    source[d - t->defs] = CONFIG_SRC_DEFAULT;
    return 0;
}

struct load_ctx {
    const struct config_table *t;
    void *obj;
    uint8_t *source;
    const char *path;
    char *errstr;
    size_t errsz;
};

static int load_cb(const char *key, const char *value, int line, void *arg)
{
    struct load_ctx *lc = arg;
    char err[512];
    int rc = config_table_set(lc->t, lc->obj, lc->source, key, value, CONFIG_SRC_FILE, err,
                              sizeof(err));
    if (rc < 0) {
        snprintf(lc->errstr, lc->errsz, "%s:%d: %s", lc->path, line, err);
        return rc;
    }
    return 0;
}

int config_table_load_file(const struct config_table *t, void *obj, uint8_t *source,
                           const char *path, char *errstr, size_t errsz)
{
    struct load_ctx lc = {t, obj, source, path, errstr, errsz};
    int rc = props_load_file(path, load_cb, &lc, errstr, errsz);
    return rc < 0 ? (rc == GR_E_NOMEM || rc == GR_E_CONFIG ? rc : GR_E_CONFIG) : 0;
}

size_t config_table_format(const struct config_def *d, const void *obj, char *out, size_t outsz)
{
    const void *f = (const char *)obj + d->offset;
    int n = 0;
    switch (d->type) {
    case CONFIG_INT: {
        int32_t v = *(const int32_t *)f;
        n = v == CONFIG_UNSET_INT ? snprintf(out, outsz, "%s", "")
                                  : snprintf(out, outsz, "%" PRId32, v);
        break;
    }
    case CONFIG_LONG: {
        int64_t v = *(const int64_t *)f;
        n = v == CONFIG_UNSET ? snprintf(out, outsz, "%s", "") : snprintf(out, outsz, "%" PRId64, v);
        break;
    }
    case CONFIG_BOOL: n = snprintf(out, outsz, "%s", *(const bool *)f ? "true" : "false"); break;
    case CONFIG_STRING:
    case CONFIG_LIST: {
        const char *s = *(char *const *)f;
        n = snprintf(out, outsz, "%s", s ? s : "");
        break;
    }
    }
    return n < 0 ? 0 : (size_t)n;
}

size_t config_table_inert_keys(const struct config_table *t, const void *obj,
                               const uint8_t *source, char *out, size_t outsz)
{
    size_t len = 0;
    if (outsz)
        out[0] = '\0';
    for (int kind = CONFIG_NOT_YET; kind <= CONFIG_NO_EFFECT; kind++) {
        bool first = true;
        for (size_t i = 0; i < t->n; i++) {
            const struct config_def *d = &t->defs[i];
            if ((int)d->effect != kind)
                continue;
            char v[128] = "";
            if (source[i] != CONFIG_SRC_DEFAULT) {
                v[0] = '=';
                config_table_format(d, obj, v + 1, sizeof(v) - 1);
            }
            int n = snprintf(out + len, len < outsz ? outsz - len : 0, "%s%s%s%s",
                             first ? (kind == CONFIG_NOT_YET ? "not yet in effect: "
                                                             : "; never used by gregor: ")
                                   : ", ",
                             d->name, v, "");
            if (n > 0)
                len += (size_t)n;
            first = false;
        }
    }
    return len < outsz ? len : (outsz ? outsz - 1 : 0);
}
