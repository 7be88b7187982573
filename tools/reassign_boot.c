/*
 * gregor-reassign-partitions --bootstrap-server: the cluster through the
 * brokers (see reassign.h): Metadata for the brokers and replicas,
 * ListPartitionReassignments and AlterPartitionReassignments to the
 * controller, IncrementalAlterConfigs for the throttles (a broker's own
 * configs to that broker, as Kafka's admin client sends them). A
 * controller that moved (NOT_CONTROLLER) is looked up again, up to five
 * times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "tools/kconn.h"
#include "tools/reassign.h"

#define CLIENT_ID "gregor-reassign-partitions"
#define TIMEOUT_MS 30000
#define METADATA_VERSION 1
#define TRIES 5

struct boot {
    const char *bootstrap; /* borrowed from argv */
};

/* Metadata of every topic into m (views in x, initialized here). */
static int metadata(struct boot *b, struct kcall *x, struct proto_MetadataResponse *m, char *err,
                    size_t errsz)
{
    kcall_init(x);
    return kcall_bootstrap_metadata(x, b->bootstrap, CLIENT_ID, TIMEOUT_MS, METADATA_VERSION, true,
                                    m, err, errsz);
}

/* Connects c to broker id (-1: the controller) as Metadata names it. */
static int connect_broker(struct boot *b, int32_t id, struct kconn *c, char *err, size_t errsz)
{
    struct kcall x;
    struct proto_MetadataResponse m;
    int rc = metadata(b, &x, &m, err, errsz);
    if (!rc) {
        int32_t want = id < 0 ? m.controller_id : id;
        rc = -1;
        snprintf(err, errsz, id < 0 ? "the cluster has no controller right now"
                                    : "broker %d is not registered",
                 id);
        for (int32_t i = 0; i < m.brokers_count; i++) {
            const struct proto_MetadataResponseBroker *br = &m.brokers[i];
            char host[256];
            if (br->node_id != want || (size_t)br->host.len >= sizeof(host))
                continue;
            memcpy(host, br->host.ptr, (size_t)br->host.len);
            host[br->host.len] = '\0';
            rc = kconn_init(c, host, br->port, CLIENT_ID, TIMEOUT_MS + 10000, 64u << 20);
        }
    }
    kcall_destroy(&x);
    return rc;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int boot_brokers(void *ctx, int32_t **ids, int *n, char *err, size_t errsz)
{
    struct kcall x;
    struct proto_MetadataResponse m;
    int rc = metadata(ctx, &x, &m, err, errsz);
    *ids = NULL;
    *n = 0;
    if (!rc && !(*ids = calloc((size_t)m.brokers_count + 1, sizeof(int32_t)))) {
        snprintf(err, errsz, "out of memory");
        rc = -1;
    }
    for (int32_t i = 0; !rc && i < m.brokers_count; i++)
        (*ids)[(*n)++] = m.brokers[i].node_id;
    if (!rc)
        qsort(*ids, (size_t)*n, sizeof(int32_t), cmp_i32);
    kcall_destroy(&x);
    return rc;
}

/* ListPartitionReassignments (all) from the controller; the answer's views
 * live in x (initialized here). */
static int list_ongoing(struct boot *b, struct kcall *x,
                        struct proto_ListPartitionReassignmentsResponse *r, char *err,
                        size_t errsz)
{
    int rc = -1;
    kcall_init(x);
    for (int tries = 0; tries < TRIES; tries++) {
        struct kconn c;
        if (tries)
            usleep(500 * 1000);
        if (connect_broker(b, -1, &c, err, errsz))
            continue;
        struct proto_ListPartitionReassignmentsRequest req = {.timeout_ms = TIMEOUT_MS,
                                                              .topics_count = -1};
        kcall_destroy(x);
        kcall_init(x);
        rc = kcall_run(x, proto_encode_ListPartitionReassignmentsRequest(&x->o, 0, &req), &c,
                       PROTO_API_LIST_PARTITION_REASSIGNMENTS, 0,
                       proto_decode_ListPartitionReassignmentsResponse, r, err, errsz);
        kconn_close(&c);
        if (!rc && r->error_code) {
            snprintf(err, errsz, "%s", proto_error_name(r->error_code));
            rc = r->error_code == PROTO_ERR_NOT_CONTROLLER ? 1 : -1;
        }
        if (rc != 1)
            break;
    }
    return rc ? -1 : 0;
}

static bool wanted(char *const *topics, int n, const char *name, size_t len)
{
    if (n < 0)
        return true;
    for (int i = 0; i < n; i++)
        if (strlen(topics[i]) == len && !memcmp(topics[i], name, len))
            return true;
    return false;
}

static int boot_current(void *ctx, char *const *topics, int ntopics, struct ra_list *out,
                        char *err, size_t errsz)
{
    struct kcall x, y;
    struct proto_MetadataResponse m;
    struct proto_ListPartitionReassignmentsResponse r;
    memset(out, 0, sizeof(*out));
    int rc = metadata(ctx, &x, &m, err, errsz);
    for (int32_t t = 0; !rc && t < m.topics_count; t++) {
        const struct proto_MetadataResponseTopic *mt = &m.topics[t];
        char name[300];
        if (mt->error_code || (size_t)mt->name.len >= sizeof(name) ||
            !wanted(topics, ntopics, mt->name.ptr, (size_t)mt->name.len))
            continue;
        memcpy(name, mt->name.ptr, (size_t)mt->name.len);
        name[mt->name.len] = '\0';
        for (int32_t p = 0; !rc && p < mt->partitions_count; p++) {
            const struct proto_MetadataResponsePartition *mp = &mt->partitions[p];
            if (ra_list_add(out, name, mp->partition_index, mp->replica_nodes,
                            mp->replica_nodes_count, NULL, 0, NULL, 0)) {
                snprintf(err, errsz, "out of memory");
                rc = -1;
            }
        }
    }
    kcall_destroy(&x);
    bool listed = !rc;
    if (!rc)
        rc = list_ongoing(ctx, &y, &r, err, errsz);
    for (int32_t t = 0; !rc && t < r.topics_count; t++) {
        const struct proto_OngoingTopicReassignment *ot = &r.topics[t];
        char name[300];
        snprintf(name, sizeof(name), "%.*s", (int)ot->name.len, ot->name.ptr);
        for (int32_t p = 0; !rc && p < ot->partitions_count; p++) {
            const struct proto_OngoingPartitionReassignment *op = &ot->partitions[p];
            struct ra_part *have = ra_list_find(out, name, op->partition_index);
            if (!have)
                continue;
            /* Re-add with the lists from the controller, which knows best. */
            struct ra_list one = {0};
            if (ra_list_add(&one, name, op->partition_index, op->replicas, op->replicas_count,
                            op->adding_replicas, op->adding_replicas_count,
                            op->removing_replicas, op->removing_replicas_count)) {
                snprintf(err, errsz, "out of memory");
                rc = -1;
                break;
            }
            free(have->topic);
            free(have->replicas);
            *have = one.p[0];
            free(one.p);
        }
    }
    if (listed)
        kcall_destroy(&y);
    if (rc)
        ra_list_free(out);
    else
        ra_list_sort(out);
    return rc;
}

static int boot_busy(void *ctx, bool *busy, char *err, size_t errsz)
{
    struct kcall x;
    struct proto_ListPartitionReassignmentsResponse r;
    if (list_ongoing(ctx, &x, &r, err, errsz))
        return -1;
    *busy = r.topics_count > 0;
    kcall_destroy(&x);
    return 0;
}

/* Kafka's exception name for an error code, as its tool prints it. */
static const char *exception(int16_t code)
{
    switch (code) {
    case PROTO_ERR_INVALID_REPLICA_ASSIGNMENT:
        return "org.apache.kafka.common.errors.InvalidReplicaAssignmentException";
    case PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";
    case PROTO_ERR_NO_REASSIGNMENT_IN_PROGRESS:
        return "org.apache.kafka.common.errors.NoReassignmentInProgressException";
    case PROTO_ERR_REQUEST_TIMED_OUT:
        return "org.apache.kafka.common.errors.TimeoutException";
    default:
        return proto_error_name(code);
    }
}

/* AlterPartitionReassignments for the plan (cancel: null replicas). */
static int alter(struct boot *b, const struct ra_list *plan, bool cancel, char *err, size_t errsz)
{
    struct proto_ReassignableTopic *topics = calloc((size_t)plan->n + 1, sizeof(*topics));
    struct proto_ReassignablePartition *parts = calloc((size_t)plan->n + 1, sizeof(*parts));
    if (!topics || !parts) {
        free(topics);
        free(parts);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    /* One topic entry per partition: the answer comes back in the same
     * order, and a topic may be named twice. */
    for (int i = 0; i < plan->n; i++) {
        parts[i] = (struct proto_ReassignablePartition){
            .partition_index = plan->p[i].partition,
            .replicas = cancel ? NULL : plan->p[i].replicas,
            .replicas_count = cancel ? -1 : plan->p[i].n};
        topics[i] = (struct proto_ReassignableTopic){.name = proto_str_cstr(plan->p[i].topic),
                                                     .partitions = &parts[i],
                                                     .partitions_count = 1};
    }
    struct proto_AlterPartitionReassignmentsRequest req = {
        .timeout_ms = TIMEOUT_MS, .topics = topics, .topics_count = plan->n};
    int rc = -1;
    for (int tries = 0; tries < TRIES; tries++) {
        struct kconn c;
        struct kcall x;
        struct proto_AlterPartitionReassignmentsResponse r;
        if (tries)
            usleep(500 * 1000);
        if (connect_broker(b, -1, &c, err, errsz))
            continue;
        kcall_init(&x);
        rc = kcall_run(&x, proto_encode_AlterPartitionReassignmentsRequest(&x.o, 0, &req), &c,
                       PROTO_API_ALTER_PARTITION_REASSIGNMENTS, 0,
                       proto_decode_AlterPartitionReassignmentsResponse, &r, err, errsz);
        kconn_close(&c);
        if (!rc && r.error_code) {
            snprintf(err, errsz, "%s", proto_error_name(r.error_code));
            rc = r.error_code == PROTO_ERR_NOT_CONTROLLER ? 1 : -1;
        }
        size_t len = 0;
        for (int32_t t = 0; !rc && t < r.responses_count; t++)
            for (int32_t k = 0; k < r.responses[t].partitions_count; k++) {
                const struct proto_ReassignablePartitionResponse *p =
                    &r.responses[t].partitions[k];
                if (!p->error_code)
                    continue;
                if (!len)
                    len = (size_t)snprintf(err, errsz, "Error %s partition(s):",
                                           cancel ? "cancelling" : "reassigning");
                if (len < errsz)
                    len += (size_t)snprintf(
                        err + len, errsz - len, "\n%.*s-%d: %s: %.*s", (int)r.responses[t].name.len,
                        r.responses[t].name.ptr, p->partition_index, exception(p->error_code),
                        p->error_message.ptr ? (int)p->error_message.len : 0,
                        p->error_message.ptr ? p->error_message.ptr : "");
            }
        if (!rc && len)
            rc = -1;
        kcall_destroy(&x);
        if (rc != 1)
            break;
    }
    free(topics);
    free(parts);
    return rc ? -1 : 0;
}

static int boot_start(void *ctx, const struct ra_list *plan, char *err, size_t errsz)
{
    return alter(ctx, plan, false, err, errsz);
}

static int boot_cancel(void *ctx, const struct ra_list *plan, char *err, size_t errsz)
{
    return alter(ctx, plan, true, err, errsz);
}

static int boot_configs(void *ctx, bool broker, const char *name, char *const *keys,
                        char *const *values, int nadd, char *const *dels, int ndel, char *err,
                        size_t errsz)
{
    struct kconn c;
    if (connect_broker(ctx, broker ? atoi(name) : -1, &c, err, errsz))
        return -1;
    struct proto_AlterableConfigOp *ops = calloc((size_t)(nadd + ndel) + 1, sizeof(*ops));
    if (!ops) {
        kconn_close(&c);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < nadd; i++)
        ops[i] = (struct proto_AlterableConfigOp){.name = proto_str_cstr(keys[i]),
                                                  .config_operation = 0,
                                                  .value = proto_str_cstr(values[i])};
    for (int i = 0; i < ndel; i++)
        ops[nadd + i] = (struct proto_AlterableConfigOp){
            .name = proto_str_cstr(dels[i]), .config_operation = 1, .value = PROTO_STR_NULL};
    struct proto_IncrementalAlterConfigsResource r = {.resource_type = broker ? 4 : 2,
                                                      .resource_name = proto_str_cstr(name),
                                                      .configs = ops,
                                                      .configs_count = nadd + ndel};
    struct proto_IncrementalAlterConfigsRequest req = {.resources = &r, .resources_count = 1};
    struct proto_IncrementalAlterConfigsResponse resp;
    struct kcall x;
    kcall_init(&x);
    int rc = kcall_run(&x, proto_encode_IncrementalAlterConfigsRequest(&x.o, 0, &req), &c,
                       PROTO_API_INCREMENTAL_ALTER_CONFIGS, 0,
                       proto_decode_IncrementalAlterConfigsResponse, &resp, err, errsz);
    if (!rc && (resp.responses_count != 1 || resp.responses[0].error_code)) {
        const struct proto_IncrementalAlterConfigsResourceResponse *e =
            resp.responses_count ? &resp.responses[0] : NULL;
        snprintf(err, errsz, "cannot change the configs of %s %s: %s%s%.*s",
                 broker ? "broker" : "topic", name,
                 e ? proto_error_name(e->error_code) : "no answer",
                 e && e->error_message.ptr ? ": " : "",
                 e && e->error_message.ptr ? (int)e->error_message.len : 0,
                 e && e->error_message.ptr ? e->error_message.ptr : "");
        rc = -1;
    }
    kcall_destroy(&x);
    kconn_close(&c);
    free(ops);
    return rc;
}

static void boot_close(void *ctx)
{
    free(ctx);
}

int ra_boot_open(const char *bootstrap, struct ra_backend *b, char *err, size_t errsz)
{
    struct boot *bt = calloc(1, sizeof(*bt));
    if (!bt) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    bt->bootstrap = bootstrap;
    *b = (struct ra_backend){.ctx = bt,
                             .name = "--bootstrap-server",
                             .brokers = boot_brokers,
                             .current = boot_current,
                             .busy = boot_busy,
                             .start = boot_start,
                             .cancel = boot_cancel,
                             .configs = boot_configs,
                             .close = boot_close};
    return 0;
}
