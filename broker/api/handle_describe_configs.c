/*
 * DescribeConfigs for topics (every topic-level key: the override from
 * /config/topics, else the broker's value) and for this broker (every
 * server.properties key). Sources and synonyms follow Kafka: TOPIC_CONFIG
 * for overrides, DYNAMIC_BROKER_CONFIG and DYNAMIC_DEFAULT_BROKER_CONFIG
 * for values from /config/brokers/<id> and /config/brokers/<default>,
 * STATIC_BROKER_CONFIG for keys set in the file or by --override,
 * DEFAULT_CONFIG for defaults; the synonyms of a broker key are its value
 * in each of those layers, highest first. The broker resource named "" is
 * the cluster-wide dynamic default layer alone, as in Kafka. Keys that can
 * change at run time (core/broker_dynamic.c) are not read-only. Requested
 * keys gregor does not know are left out, as Kafka leaves them out.
 *
 * Cost: requested keys are looked up by hash, and a resource named again in
 * one request gets INVALID_REQUEST ("Duplicate resource in request") rather
 * than a second full description, so the answer grows with the request.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker/api/dedupe.h"
#include "broker/core/broker.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/log/log_config.h"
#include "broker/cluster/admin_config.h"
#include "broker/cluster/dynconfig.h"
#include "broker/cluster/metadata.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/conn_quota.h"
#include "broker/net/request.h"
#include "broker/core/broker_config.h"
#include "broker/core/broker_dynamic.h"

enum { RESOURCE_TOPIC = 2, RESOURCE_BROKER = 4 };
/* Kafka's ConfigSource values (v1+). */
enum {
    SRC_TOPIC = 1,
    SRC_DYNAMIC_BROKER = 2,
    SRC_DYNAMIC_DEFAULT = 3,
    SRC_STATIC_BROKER = 4,
    SRC_DEFAULT = 5
};
/* Kafka's ConfigType values (v3+). */
enum { TYPE_BOOLEAN = 1, TYPE_STRING = 2, TYPE_INT = 3, TYPE_LONG = 5, TYPE_LIST = 7 };

static char *dup_arena(struct request *req, const char *s)
{
    size_t n = strlen(s);
    char *o = arena_alloc(&req->arena, n + 1);
    if (o)
        memcpy(o, s, n + 1);
    return o;
}

/* Which of a table's n keys (name(i) gives key i) resource asks for: all
 * when its list is null. One hash lookup per requested key, so a list of a
 * million keys costs a million lookups, not a million times the table.
 * Returns an arena array of n flags, or NULL when out of memory. */
static bool *wanted_keys(struct request *req, const struct proto_DescribeConfigsResource *res,
                         size_t n, const char *(*name)(size_t i))
{
    bool *want = arena_calloc(&req->arena, n + 1, sizeof(bool));
    if (!want)
        return NULL;
    if (res->configuration_keys_count < 0) {
        memset(want, 1, n * sizeof(bool));
        return want;
    }
    struct strmap index;
    strmap_init(&index);
    for (size_t i = 0; i < n; i++)
        if (strmap_put(&index, name(i), (void *)(i + 1))) {
            strmap_destroy(&index);
            return NULL;
        }
    for (int32_t k = 0; k < res->configuration_keys_count; k++) {
        struct proto_str key = res->configuration_keys[k];
        if (!key.ptr || memchr(key.ptr, 0, (size_t)key.len))
            continue; /* names no key */
        char *c = req_cstr(req, key);
        void *v = c ? strmap_get(&index, c) : NULL;
        if (v)
            want[(size_t)v - 1] = true;
    }
    strmap_destroy(&index);
    return want;
}

static const char *log_key(size_t i)
{
    return log_config_defs[i].name;
}

static const char *broker_key(size_t i)
{
    return broker_config_table.defs[i].name;
}

static int8_t broker_type(const struct config_def *d)
{
    switch (d->type) {
    case CONFIG_INT: return TYPE_INT;
    case CONFIG_LONG: return TYPE_LONG;
    case CONFIG_BOOL: return TYPE_BOOLEAN;
    case CONFIG_LIST: return TYPE_LIST;
    default: return TYPE_STRING;
    }
}

static int8_t wire_source(int src)
{
    switch (src) {
    case CONFIG_SRC_DEFAULT: return SRC_DEFAULT;
    case CONFIG_SRC_DYNAMIC_BROKER: return SRC_DYNAMIC_BROKER;
    case CONFIG_SRC_DYNAMIC_DEFAULT: return SRC_DYNAMIC_DEFAULT;
    default: return SRC_STATIC_BROKER;
    }
}

static int8_t broker_source(const struct broker *b, const struct config_def *d)
{
    return wire_source(broker_config_source(b->cfg, d));
}

/* The value a dynamic layer ("<default>" or this broker's id) gives key, or
 * NULL. */
static const char *layer_value(const struct broker *b, const char *layer, const char *key)
{
    const char *const *keys, *const *values;
    int n = 0;
    if (!dynconfig_layer(b->dyn, layer, &keys, &values, &n))
        return NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], key))
            return values[i];
    return NULL;
}

/* Key d's value in every layer that sets it, highest first: this broker's
 * dynamic value (unless only the default layer is described, as Kafka
 * leaves it out there), the cluster's dynamic default, the file's,
 * Kafka's default. Returns the arena array (count in *n) or NULL. */
static struct proto_DescribeConfigsSynonym *broker_synonyms(struct request *req,
                                                            const struct config_def *d,
                                                            bool per_broker, int *n)
{
    struct broker *b = req->b;
    struct proto_DescribeConfigsSynonym *syn = arena_calloc(&req->arena, 4, sizeof(*syn));
    char mine[16], text[1024];
    *n = 0;
    if (!syn)
        return NULL;
    snprintf(mine, sizeof(mine), "%d", b->id);
    const char *layers[2] = {per_broker ? layer_value(b, mine, d->name) : NULL,
                             layer_value(b, "<default>", d->name)};
    const int8_t srcs[2] = {SRC_DYNAMIC_BROKER, SRC_DYNAMIC_DEFAULT};
    for (int l = 0; l < 2; l++)
        if (layers[l])
            syn[(*n)++] = (struct proto_DescribeConfigsSynonym){
                proto_str_cstr(d->name), proto_str_cstr(dup_arena(req, layers[l])), srcs[l]};
    int src = dynconfig_static_value(b->dyn, d->name, text, sizeof(text));
    if (src != CONFIG_SRC_DEFAULT)
        syn[(*n)++] = (struct proto_DescribeConfigsSynonym){
            proto_str_cstr(d->name), proto_str_cstr(dup_arena(req, text)), SRC_STATIC_BROKER};
    if (d->dflt)
        syn[(*n)++] = (struct proto_DescribeConfigsSynonym){proto_str_cstr(d->name),
                                                            proto_str_cstr(d->dflt), SRC_DEFAULT};
    return syn;
}

/* The broker resource "": the cluster-wide dynamic defaults alone. */
static void describe_default_layer(struct request *req,
                                   const struct proto_DescribeConfigsResource *res,
                                   struct proto_DescribeConfigsResult *out, bool synonyms)
{
    const char *const *keys, *const *values;
    int n = 0;
    dynconfig_layer(req->b->dyn, "<default>", &keys, &values, &n);
    struct proto_DescribeConfigsResourceResult *cfgs =
        arena_calloc(&req->arena, (size_t)n + 1, sizeof(*cfgs));
    if (!cfgs)
        return;
    for (int i = 0; i < n; i++) {
        const struct config_def *d = broker_config_find(keys[i]);
        bool want = res->configuration_keys_count < 0;
        for (int32_t k = 0; k < res->configuration_keys_count && !want; k++)
            want = proto_str_eq(res->configuration_keys[k], keys[i]);
        if (!d || !want)
            continue;
        struct proto_DescribeConfigsResourceResult *c = &cfgs[out->configs_count++];
        c->name = proto_str_cstr(dup_arena(req, keys[i]));
        c->value = proto_str_cstr(dup_arena(req, values[i]));
        c->config_source = SRC_DYNAMIC_DEFAULT;
        c->config_type = broker_type(d);
        c->documentation = PROTO_STR_NULL;
        if (synonyms)
            c->synonyms = broker_synonyms(req, d, false, &c->synonyms_count);
    }
    out->configs = cfgs;
}

static void describe_topic(struct request *req, const struct proto_DescribeConfigsResource *res,
                           struct proto_DescribeConfigsResult *out, bool synonyms)
{
    struct broker *b = req->b;
    /* NULL for an illegal name (an embedded NUL included: "t\0x" must not
     * describe "t"), answered as Kafka's Topic.validate() does. */
    char *name = req_topic_name(req, res->resource_name);
    if (!name) {
        out->error_code = PROTO_ERR_INVALID_TOPIC_EXCEPTION;
        out->error_message = proto_str_cstr("Topic name is illegal");
        return;
    }
    const struct metadata_topic *t = metadata_topic(b->md, name);
    if (!metadata_topic_ready(t)) {
        out->error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = proto_str_cstr("Topic does not exist");
        return;
    }
    struct proto_DescribeConfigsResourceResult *cfgs =
        arena_calloc(&req->arena, log_config_ndefs + 1, sizeof(*cfgs));
    bool *want = wanted_keys(req, res, log_config_ndefs, log_key);
    if (!cfgs || !want)
        return;
    for (size_t i = 0; i < log_config_ndefs; i++) {
        const struct log_config_def *d = &log_config_defs[i];
        if (!want[i])
            continue;
        struct proto_DescribeConfigsResourceResult *c = &cfgs[out->configs_count++];
        const char *override;
        char value[512];
        const struct config_def *bd = d->broker_key[0] ? broker_config_find(d->broker_key) : NULL;
        admin_topic_config_value(b, t, d, value, sizeof(value), &override);
        c->name = proto_str_cstr(d->name);
        c->value = proto_str_cstr(dup_arena(req, value));
        c->is_default = !override;
        c->config_source = override ? SRC_TOPIC : bd ? broker_source(b, bd) : SRC_DEFAULT;
        c->config_type = d->type == LOG_CONFIG_INT    ? TYPE_INT
                         : d->type == LOG_CONFIG_LONG ? TYPE_LONG
                         : d->type == LOG_CONFIG_BOOL ? TYPE_BOOLEAN
                                                      : TYPE_STRING;
        c->documentation = PROTO_STR_NULL;
        if (synonyms) {
            struct proto_DescribeConfigsSynonym *syn =
                arena_calloc(&req->arena, 2, sizeof(*syn));
            int n = 0;
            if (syn && override)
                syn[n++] = (struct proto_DescribeConfigsSynonym){c->name, c->value, SRC_TOPIC};
            if (syn && bd) {
                char bv[512];
                broker_config_format(b->cfg, bd, bv, sizeof(bv));
                syn[n++] = (struct proto_DescribeConfigsSynonym){
                    proto_str_cstr(bd->name), proto_str_cstr(dup_arena(req, bv)),
                    broker_source(b, bd)};
            }
            c->synonyms = syn;
            c->synonyms_count = n;
        }
    }
    out->configs = cfgs;
}

/* A value the broker decided at start-up instead of taking the table's:
 * max.connections left at its default follows the open-file limit
 * (net/conn_quota.c). Its source stays what the table says. */
static void value_in_force(const struct broker *b, const struct config_def *d, char *value,
                           size_t size)
{
    if (d->offset == offsetof(struct broker_config, max_connections) && b->quota)
        snprintf(value, size, "%" PRId32, conn_quota_max(b->quota));
}

static void describe_broker(struct request *req, const struct proto_DescribeConfigsResource *res,
                            struct proto_DescribeConfigsResult *out, bool synonyms)
{
    struct broker *b = req->b;
    char *name = req_cstr(req, res->resource_name), idtxt[16];
    snprintf(idtxt, sizeof(idtxt), "%d", b->id);
    if (name && !name[0]) {
        describe_default_layer(req, res, out, synonyms);
        return;
    }
    if (!name || strcmp(name, idtxt)) {
        out->error_code = PROTO_ERR_INVALID_REQUEST;
        char msg[128];
        snprintf(msg, sizeof(msg), "Unexpected broker id, expected %d or empty string, but "
                                   "received %s", b->id, name ? name : "");
        out->error_message = proto_str_cstr(dup_arena(req, msg));
        return;
    }
    struct proto_DescribeConfigsResourceResult *cfgs =
        arena_calloc(&req->arena, broker_config_table.n + 1, sizeof(*cfgs));
    bool *want = wanted_keys(req, res, broker_config_table.n, broker_key);
    if (!cfgs || !want)
        return;
    for (size_t i = 0; i < broker_config_table.n; i++) {
        const struct config_def *d = &broker_config_table.defs[i];
        if (!want[i])
            continue;
        struct proto_DescribeConfigsResourceResult *c = &cfgs[out->configs_count++];
        char value[1024];
        broker_config_format(b->cfg, d, value, sizeof(value));
        value_in_force(b, d, value, sizeof(value));
        c->name = proto_str_cstr(d->name);
        c->value = value[0] || d->dflt ? proto_str_cstr(dup_arena(req, value)) : PROTO_STR_NULL;
        /* Static keys change by editing the file and restarting. */
        c->read_only = broker_dynamic_scope(d->name) == BROKER_DYNAMIC_NO;
        c->is_default = broker_source(b, d) == SRC_DEFAULT;
        c->config_source = broker_source(b, d);
        c->config_type = broker_type(d);
        c->documentation = PROTO_STR_NULL;
        if (synonyms)
            c->synonyms = broker_synonyms(req, d, true, &c->synonyms_count);
    }
    out->configs = cfgs;
}

static void resource_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    const struct proto_DescribeConfigsResource *res = ctx;
    *name = res[i].resource_name;
    *num = res[i].resource_type;
}

void handle_DescribeConfigs(struct request *req)
{
    const struct proto_DescribeConfigsRequest *r = req->body;
    struct proto_DescribeConfigsResult *results =
        arena_calloc(&req->arena, (size_t)r->resources_count + 1, sizeof(*results));
    if (!results) {
        request_fail(req, "out of memory");
        return;
    }
    const int32_t *first = dedupe_first(&req->arena, r->resources_count, resource_key, r->resources);
    if (!first) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t i = 0; i < r->resources_count; i++) {
        const struct proto_DescribeConfigsResource *res = &r->resources[i];
        struct proto_DescribeConfigsResult *o = &results[i];
        o->resource_type = res->resource_type;
        o->resource_name = res->resource_name;
        if (first[i] != i) {
            /* Each description is dozens of entries: a repeat would make a
             * 10-byte entry cost kilobytes of answer. */
            o->error_code = PROTO_ERR_INVALID_REQUEST;
            o->error_message = proto_str_cstr("Duplicate resource in request");
        } else if (res->resource_type == RESOURCE_TOPIC)
            describe_topic(req, res, o, r->include_synonyms);
        else if (res->resource_type == RESOURCE_BROKER)
            describe_broker(req, res, o, r->include_synonyms);
        else {
            o->error_code = PROTO_ERR_INVALID_REQUEST;
            o->error_message = proto_str_cstr("gregor describes topics and brokers only");
        }
    }
    struct proto_DescribeConfigsResponse resp = {.results_count = r->resources_count,
                                                 .results = results};
    req_respond(req, DescribeConfigs, &resp);
}
