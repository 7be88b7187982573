/*
 * gregor-configs --bootstrap-server: topic and broker configs through the
 * brokers (DescribeConfigs v1 with synonyms, IncrementalAlterConfigs v0),
 * as Kafka 2.8's ConfigCommand does in that mode. Output as Kafka's:
 *
 *   Dynamic configs for topic t are:
 *     retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, ...}
 *   Completed updating config for topic t.
 *
 * and for brokers "Dynamic configs for broker 0 are:", "Default configs
 * for brokers in the cluster are:", "Completed updating config for broker
 * 0." and "Completed updating default config for brokers in the
 * cluster.". (--all prints "All configs for ... are:" and every key.) A
 * --delete-config key that is not set is refused before anything is
 * changed ("Invalid config(s): k"), as Kafka's tool does. A broker's
 * own resource goes to that broker (its address from Metadata), as
 * Kafka's admin client sends it; the brokers' default to the first
 * bootstrap broker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "tools/configs_cmd.h"
#include "tools/kconn.h"

#define CLIENT_ID "gregor-configs"
#define TIMEOUT_MS 30000
#define DESCRIBE_VERSION 1
#define ALTER_VERSION 0
#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define SRC_DYNAMIC_TOPIC 1
#define SRC_DYNAMIC_BROKER 2
#define SRC_DYNAMIC_DEFAULT 3

static const char *source_name(int8_t s)
{
    switch (s) {
    case 1: return "DYNAMIC_TOPIC_CONFIG";
    case 2: return "DYNAMIC_BROKER_CONFIG";
    case 3: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case 4: return "STATIC_BROKER_CONFIG";
    case 5: return "DEFAULT_CONFIG";
    case 6: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    default: return "UNKNOWN";
    }
}

/* Broker id's endpoint, from Metadata, as a connection: a broker's own
 * configs go to that broker, as Kafka's admin client sends them. */
static int connect_broker(const char *bootstrap, const char *id, struct kconn *c, char *err,
                          size_t errsz)
{
    struct kcall x;
    struct proto_MetadataResponse m;
    kcall_init(&x);
    int rc = kcall_bootstrap_metadata(&x, bootstrap, CLIENT_ID, TIMEOUT_MS, 1, false, &m, err,
                                      errsz);
    if (!rc) {
        rc = -1;
        snprintf(err, errsz, "broker %s is not in the cluster's metadata", id);
        for (int32_t i = 0; i < m.brokers_count; i++) {
            char host[256], idtxt[16];
            snprintf(idtxt, sizeof(idtxt), "%d", m.brokers[i].node_id);
            if (strcmp(idtxt, id) || (size_t)m.brokers[i].host.len >= sizeof(host))
                continue;
            memcpy(host, m.brokers[i].host.ptr, (size_t)m.brokers[i].host.len);
            host[m.brokers[i].host.len] = '\0';
            rc = kconn_init(c, host, m.brokers[i].port, CLIENT_ID, TIMEOUT_MS, 64u << 20);
        }
    }
    kcall_destroy(&x);
    return rc;
}

/* The first bootstrap broker's endpoint as a connection. */
static int connect_bootstrap(const char *bootstrap, struct kconn *c, char *err, size_t errsz)
{
    char first[300], host[256];
    int port;
    snprintf(first, sizeof(first), "%s", bootstrap);
    char *comma = strchr(first, ',');
    if (comma)
        *comma = '\0';
    if (kconn_parse_endpoint(first, host, sizeof(host), &port)) {
        snprintf(err, errsz, "--bootstrap-server: '%s' is not host:port", first);
        return -1;
    }
    kconn_init(c, host, port, CLIENT_ID, TIMEOUT_MS, 64u << 20);
    return 0;
}

/* DescribeConfigs of one topic or broker ("" for the brokers' default)
 * with synonyms; the answer's views live in x. */
static int describe_resource(struct kconn *c, struct kcall *x, bool broker, const char *name,
                             const struct proto_DescribeConfigsResult **out, char *err,
                             size_t errsz)
{
    struct proto_DescribeConfigsResource res = {.resource_type = broker ? RESOURCE_BROKER
                                                                        : RESOURCE_TOPIC,
                                                .resource_name = proto_str_cstr(name),
                                                .configuration_keys_count = -1};
    struct proto_DescribeConfigsRequest req = {.resources = &res, .resources_count = 1,
                                               .include_synonyms = true};
    static struct proto_DescribeConfigsResponse r;
    if (kcall_run(x, proto_encode_DescribeConfigsRequest(&x->o, DESCRIBE_VERSION, &req), c,
                  PROTO_API_DESCRIBE_CONFIGS, DESCRIBE_VERSION, proto_decode_DescribeConfigsResponse,
                  &r, err, errsz))
        return -1;
    if (r.results_count != 1) {
        snprintf(err, errsz, "the broker answered %d resources for one", r.results_count);
        return -1;
    }
    if (r.results[0].error_code) {
        const struct proto_str *m = &r.results[0].error_message;
        snprintf(err, errsz, "%s%s%.*s", proto_error_name(r.results[0].error_code),
                 m->ptr ? ": " : "", m->ptr ? (int)m->len : 0, m->ptr ? m->ptr : "");
        return -1;
    }
    *out = &r.results[0];
    return 0;
}

/* Connects c to the first bootstrap broker and describes the resource into
 * x (initialized here; the caller destroys it and closes c either way). */
static int open_and_describe(const char *bootstrap, bool broker, const char *name,
                             struct kconn *c, struct kcall *x,
                             const struct proto_DescribeConfigsResult **out, char *err,
                             size_t errsz)
{
    kcall_init(x);
    if (broker && name[0] ? connect_broker(bootstrap, name, c, err, errsz)
                          : connect_bootstrap(bootstrap, c, err, errsz)) {
        c->fd = -1; /* nothing to close */
        return -1;
    }
    return describe_resource(c, x, broker, name, out, err, errsz);
}

/* The source of the values the resource itself holds (not inherited). */
static int8_t own_source(bool broker, const char *name)
{
    return !broker ? SRC_DYNAMIC_TOPIC : name[0] ? SRC_DYNAMIC_BROKER : SRC_DYNAMIC_DEFAULT;
}

int configs_boot_describe(const char *bootstrap, bool broker, const char *name, bool all,
                          char *err, size_t errsz)
{
    struct kconn c;
    struct kcall x;
    const struct proto_DescribeConfigsResult *res;
    int rc = open_and_describe(bootstrap, broker, name, &c, &x, &res, err, errsz);
    if (!rc) {
        if (broker && !name[0])
            printf("Default configs for brokers in the cluster are:\n");
        else
            printf("%s configs for %s %s are:\n", all ? "All" : "Dynamic",
                   broker ? "broker" : "topic", name);
        for (int32_t i = 0; i < res->configs_count; i++) {
            const struct proto_DescribeConfigsResourceResult *e = &res->configs[i];
            if (!all && e->config_source != own_source(broker, name))
                continue;
            printf("  %.*s=%.*s sensitive=%s synonyms={", (int)e->name.len, e->name.ptr,
                   e->value.ptr ? (int)e->value.len : 4, e->value.ptr ? e->value.ptr : "null",
                   e->is_sensitive ? "true" : "false");
            for (int32_t k = 0; k < e->synonyms_count; k++) {
                const struct proto_DescribeConfigsSynonym *s = &e->synonyms[k];
                printf("%s%s:%.*s=%.*s", k ? ", " : "", source_name(s->source), (int)s->name.len,
                       s->name.ptr, s->value.ptr ? (int)s->value.len : 4,
                       s->value.ptr ? s->value.ptr : "null");
            }
            printf("}\n");
        }
    }
    kcall_destroy(&x);
    kconn_close(&c);
    return rc;
}

int configs_boot_alter(const char *bootstrap, bool broker, const char *name, char *const *keys,
                       char *const *values, int nadd, char *const *dels, int ndel, char *err,
                       size_t errsz)
{
    struct kconn c;
    struct kcall x;
    const struct proto_DescribeConfigsResult *res;
    int rc = open_and_describe(bootstrap, broker, name, &c, &x, &res, err, errsz);
    /* Kafka refuses to delete what is not set, before changing anything. */
    for (int i = 0; !rc && i < ndel; i++) {
        bool set = false;
        for (int32_t k = 0; k < res->configs_count && !set; k++)
            set = res->configs[k].config_source == own_source(broker, name) &&
                  proto_str_eq(res->configs[k].name, dels[i]);
        if (!set) {
            snprintf(err, errsz, "Invalid config(s): %s", dels[i]);
            rc = -1;
        }
    }
    kcall_destroy(&x);
    struct proto_AlterableConfigOp *ops = calloc((size_t)(nadd + ndel) + 1, sizeof(*ops));
    if (!rc && !ops) {
        snprintf(err, errsz, "out of memory");
        rc = -1;
    }
    for (int i = 0; !rc && i < nadd; i++)
        ops[i] = (struct proto_AlterableConfigOp){.name = proto_str_cstr(keys[i]),
                                                  .config_operation = 0,
                                                  .value = proto_str_cstr(values[i])};
    for (int i = 0; !rc && i < ndel; i++)
        ops[nadd + i] = (struct proto_AlterableConfigOp){
            .name = proto_str_cstr(dels[i]), .config_operation = 1, .value = PROTO_STR_NULL};
    if (!rc) {
        struct proto_IncrementalAlterConfigsResource r = {.resource_type = broker ? RESOURCE_BROKER
                                                                                  : RESOURCE_TOPIC,
                                                          .resource_name = proto_str_cstr(name),
                                                          .configs = ops,
                                                          .configs_count = nadd + ndel};
        struct proto_IncrementalAlterConfigsRequest req = {.resources = &r, .resources_count = 1};
        struct proto_IncrementalAlterConfigsResponse resp;
        kcall_init(&x);
        rc = kcall_run(&x, proto_encode_IncrementalAlterConfigsRequest(&x.o, ALTER_VERSION, &req),
                       &c, PROTO_API_INCREMENTAL_ALTER_CONFIGS, ALTER_VERSION,
                       proto_decode_IncrementalAlterConfigsResponse, &resp, err, errsz);
        if (!rc && (resp.responses_count != 1 || resp.responses[0].error_code)) {
            const struct proto_IncrementalAlterConfigsResourceResponse *e =
                resp.responses_count ? &resp.responses[0] : NULL;
            if (e)
                snprintf(err, errsz, "%s%s%.*s", proto_error_name(e->error_code),
                         e->error_message.ptr ? ": " : "",
                         e->error_message.ptr ? (int)e->error_message.len : 0,
                         e->error_message.ptr ? e->error_message.ptr : "");
            else
                snprintf(err, errsz, "the broker answered no resource");
            rc = -1;
        }
        kcall_destroy(&x);
    }
    free(ops);
    kconn_close(&c);
    if (!rc && broker && !name[0])
        printf("Completed updating default config for brokers in the cluster.\n");
    else if (!rc)
        printf("Completed updating config for %s %s.\n", broker ? "broker" : "topic", name);
    return rc;
}
