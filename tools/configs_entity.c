/*
 * gregor-configs' entity types (see configs_entity.h).
 */
#include "tools/configs_entity.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker_config.h"
#include "broker/core/broker_dynamic.h"
#include "common/topic_name.h"
#include "tools/topics_cmd.h"

static const char *const types[] = {"topics", "brokers", "users", "clients"};
static const char *const labels[] = {"topic", "brokers", "user-principal", "client-id"};

int configs_entity_type(const char *text)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(text, types[i]))
            return i;
    return -1;
}

const char *configs_entity_label(enum configs_entity_type t)
{
    return labels[t];
}

/* Kafka's Sanitizer.sanitize: URL encoding that keeps letters, digits and
 * ".-_~", with every other byte as %XX. */
static int sanitize(const char *name, char *out, size_t outsz)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (n + 4 > outsz)
            return -1;
        if (isalnum(*p) || strchr(".-_~", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, outsz - n, "%%%02X", *p);
    }
    out[n] = '\0';
    return 0;
}

/* Kafka's Sanitizer.desanitize: %XX back to bytes. */
static void desanitize(const char *in, char *out, size_t outsz)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < outsz; p++) {
        unsigned v;
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
            sscanf(p + 1, "%2x", &v) == 1) {
            out[n++] = (char)v;
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

int configs_entity_znode(enum configs_entity_type t, const char *name, char *out, size_t outsz,
                         char *err, size_t errsz)
{
    if (!name) {
        if (t == ENTITY_TOPICS) {
            snprintf(err, errsz, "--entity-default is not allowed for topics");
            return -1;
        }
        snprintf(out, outsz, "<default>");
        return 0;
    }
    switch (t) {
    case ENTITY_TOPICS:
        if (!topic_name_valid(name)) {
            snprintf(err, errsz, "\"%s\" is not a legal topic name", name);
            return -1;
        }
        snprintf(out, outsz, "%s", name);
        return 0;
    case ENTITY_BROKERS: {
        char *end;
        errno = 0;
        long id = strtol(name, &end, 10);
        if (!*name || *end || errno || id < 0 || id > 0x7fffffff) {
            snprintf(err, errsz,
                     "The entity name for brokers must be a valid integer broker id, found: %s",
                     name);
            return -1;
        }
        snprintf(out, outsz, "%ld", id);
        return 0;
    }
    default:
        if (!*name || sanitize(name, out, outsz)) {
            snprintf(err, errsz, "\"%s\" is not a usable %s name", name, labels[t]);
            return -1;
        }
        return 0;
    }
}

void configs_entity_describe(enum configs_entity_type t, const char *znode, char *out,
                             size_t outsz)
{
    char name[512];
    if (!strcmp(znode, "<default>")) {
        snprintf(out, outsz, "default %s", labels[t]);
        return;
    }
    if (t == ENTITY_USERS || t == ENTITY_CLIENTS)
        desanitize(znode, name, sizeof(name));
    else
        snprintf(name, sizeof(name), "%s", znode);
    snprintf(out, outsz, "%s '%s'", labels[t], name);
}

static int check_broker(const char *key, const char *value, char *err, size_t errsz)
{
    struct broker_config defaults;
    if (broker_config_init(&defaults)) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    struct broker_dynamic_set set = {&key, &value, 1};
    int rc = broker_dynamic_validate(&defaults, &set, err, errsz);
    broker_config_destroy(&defaults);
    return rc ? -1 : 0;
}

/* Kafka's quota keys for users and clients, with their types. */
static int check_quota(enum configs_entity_type t, const char *key, const char *value, char *err,
                       size_t errsz)
{
    bool is_long = !strcmp(key, "producer_byte_rate") || !strcmp(key, "consumer_byte_rate");
    bool is_double = !strcmp(key, "request_percentage") || !strcmp(key, "controller_mutation_rate");
    if (t == ENTITY_USERS && (!strcmp(key, "SCRAM-SHA-256") || !strcmp(key, "SCRAM-SHA-512"))) {
        snprintf(err, errsz,
                 "%s credentials are not supported: gregor has no SASL authentication", key);
        return -1;
    }
    if (!is_long && !is_double) {
        snprintf(err, errsz,
                 "Unknown Dynamic Configuration '%s'. %s take producer_byte_rate, "
                 "consumer_byte_rate, request_percentage and controller_mutation_rate",
                 key, t == ENTITY_USERS ? "Users" : "Clients");
        return -1;
    }
    char *end;
    errno = 0;
    if (is_long) {
        long long v = strtoll(value, &end, 10);
        if (!*value || *end || errno || v < 0) {
            snprintf(err, errsz,
                     "Invalid value %s for configuration %s: must be a whole number of bytes per "
                     "second, 0 or more",
                     value, key);
            return -1;
        }
    } else {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !(v >= 0)) {
            snprintf(err, errsz, "Invalid value %s for configuration %s: must be a number, 0 or "
                                 "more",
                     value, key);
            return -1;
        }
    }
    return 0;
}

int configs_entity_check(enum configs_entity_type t, const char *key, const char *value,
                         char *err, size_t errsz)
{
    switch (t) {
    case ENTITY_TOPICS: return topics_config_check(key, value, err, errsz);
    case ENTITY_BROKERS: return check_broker(key, value, err, errsz);
    default: return check_quota(t, key, value, err, errsz);
    }
}
