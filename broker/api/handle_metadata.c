/*
 * Metadata: brokers (the endpoints of the listener the request came in on),
 * the controller, the cluster id, and per topic its partitions with leader,
 * leader epoch, replicas, ISR and offline replicas, all from the metadata
 * cache, except that this broker's own replicas whose log is offline are
 * listed offline and do not lead. Unknown topics are created when auto-creation is on and answered
 * with LEADER_NOT_AVAILABLE, which clients retry, as Kafka does.
 *
 * Cost: a topic named more than once is answered once (Kafka makes a set of
 * the names), so the answer grows with the distinct topics, not with the
 * request; auto-creation stays within the partition limits of CreateTopics
 * (POLICY_VIOLATION for a topic they refuse); and a response estimated
 * above gregor.metadata.response.max.bytes is refused before it is built.
 */
#define LOG_COMPONENT "metadata"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/core/broker.h"
#include "broker/net/conn.h"
#include "broker/cluster/controller.h"
#include "broker/api/dedupe.h"
#include "broker/api/errmap.h"
#include "broker/api/handlers.h"
#include "broker/api/handler_util.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/group/group_coord.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"
#include "common/logger.h"

/* Fills one topic of the response (arrays from the request's arena). */
static void describe_topic(struct request *req, const struct metadata_topic *t,
                           struct proto_MetadataResponseTopic *out)
{
    struct broker *b = req->b;
    out->name = proto_str_cstr(t->name);
    /* Kafka marks its group coordinator's topic internal; consumers that
     * subscribe by pattern leave it out. */
    out->is_internal = !strcmp(t->name, GROUP_COORD_TOPIC);
    out->topic_authorized_operations = INT32_MIN;
    if (!metadata_topic_ready(t)) {
        out->error_code = PROTO_ERR_LEADER_NOT_AVAILABLE;
        return;
    }
    struct proto_MetadataResponsePartition *parts =
        arena_calloc(&req->arena, (size_t)t->nparts + 1, sizeof(*parts));
    if (!parts) {
        out->error_code = PROTO_ERR_UNKNOWN_SERVER_ERROR;
        return;
    }
    for (int i = 0; i < t->nparts; i++) {
        const struct metadata_partition *mp = &t->parts[i];
        struct proto_MetadataResponsePartition *p = &parts[i];
        p->partition_index = mp->id;
        p->replica_nodes = mp->replicas;
        p->replica_nodes_count = mp->nreplicas;
        p->isr_nodes = mp->isr;
        p->isr_nodes_count = mp->has_state ? mp->nisr : 0;
        p->leader_epoch = mp->has_state ? mp->leader_epoch : -1;
        /* A replica is offline when its broker is gone, or when it is this
         * broker's and its log is offline (this broker alone knows: Kafka's
         * controller learns it from a log-dir event gregor does not write). */
        bool here_offline = false;
        int32_t *offline = arena_calloc(&req->arena, (size_t)mp->nreplicas + 1, sizeof(int32_t));
        for (int k = 0; offline && k < mp->nreplicas; k++) {
            bool off = !metadata_broker_alive(b->md, mp->replicas[k]);
            if (!off && mp->replicas[k] == b->id)
                off = here_offline = partition_offline_here(b, (struct tp){t->id, mp->id});
            if (off)
                offline[p->offline_replicas_count++] = mp->replicas[k];
        }
        p->offline_replicas = offline;
        /* A leader whose replica is offline leads nothing: Kafka 2.8's
         * controller then sets the leader to -1 (no other in-sync replica)
         * and Metadata answers LEADER_NOT_AVAILABLE, which clients retry. */
        bool leader_up = mp->has_state && metadata_broker_alive(b->md, mp->leader) &&
                         !(here_offline && mp->leader == b->id);
        p->leader_id = leader_up ? mp->leader : -1;
        p->error_code = leader_up ? PROTO_ERR_NONE : PROTO_ERR_LEADER_NOT_AVAILABLE;
    }
    out->partitions = parts;
    out->partitions_count = t->nparts;
}

/* Upper bounds of the encoded sizes (the largest version's fields). */
static int64_t topic_size(const struct metadata_topic *t, size_t name_len)
{
    int64_t n = 2 + 2 + (int64_t)name_len + 1 + 4 + 4; /* error, name, internal, count, authz */
    if (!t || !metadata_topic_ready(t))
        return n;
    for (int i = 0; i < t->nparts; i++) /* error, index, leader, epoch, 3 arrays */
        n += 2 + 4 + 4 + 4 + 12 + 4 * (2 * (int64_t)t->parts[i].nreplicas + t->parts[i].nisr);
    return n;
}

static int64_t brokers_size(const struct metadata *md)
{
    int64_t n = 0;
    for (int i = 0; i < md->nbrokers; i++)
        for (int k = 0; k < md->brokers[i].nep; k++)
            n += 4 + 2 + (int64_t)strlen(md->brokers[i].ep[k].host) + 4 + 2 +
                 (md->brokers[i].rack ? (int64_t)strlen(md->brokers[i].rack) : 0);
    return n;
}

static void name_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    *name = ((const struct proto_MetadataRequestTopic *)ctx)[i].name;
    *num = 0;
}

/* Refuses a response larger than gregor.metadata.response.max.bytes before
 * building it: Metadata has no request-level error code, an all-topics
 * request has no topic to carry one, and an empty or partial answer would
 * tell clients that topics are gone. So the connection is closed with a log
 * line naming the key, as Kafka closes a connection over a request it
 * cannot take; the client reconnects and may ask for fewer topics. */
static bool too_large(struct request *req, int64_t size)
{
    int32_t max = req->b->cfg->metadata_response_max_bytes;
    if (size <= max)
        return false;
    char desc[256], why[256];
    snprintf(why, sizeof(why),
             "its Metadata response would be about %" PRId64 " bytes, over "
             "gregor.metadata.response.max.bytes=%d; ask for fewer topics or raise the limit",
             size, max);
    LOG_WARN("closing the connection of %s: %s", request_describe(req, desc, sizeof(desc)), why);
    struct conn *c = req->conn;
    request_no_response(req);
    if (c)
        conn_close(c, why);
    return true;
}

void handle_Metadata(struct request *req)
{
    struct broker *b = req->b;
    const struct proto_MetadataRequest *r = req->body;
    int16_t v = req->hdr.request_api_version;
    struct proto_MetadataResponse resp = {0};
    const char *listener = req->conn ? req->conn->listener->name : "PLAINTEXT";
    bool all = proto_MetadataRequest_all_topics(r, v);

    /* Each distinct topic once, in first-named order (Kafka makes a set of
     * the names); the size is estimated before anything is built. */
    int32_t n = all ? 0 : r->topics_count;
    const int32_t *first = all ? NULL : dedupe_first(&req->arena, n, name_key, r->topics);
    if (!all && !first) {
        request_fail(req, "out of memory");
        return;
    }
    int64_t size = 64 + (int64_t)sizeof(b->cluster_id) + brokers_size(b->md);
    if (all) {
        size_t it = 0;
        const char *key;
        void *val;
        while (strmap_next(&b->md->topics, &it, &key, &val))
            size += topic_size(val, strlen(key));
    } else {
        for (int32_t i = 0; i < n; i++) {
            if (first[i] != i)
                continue;
            struct proto_str nm = r->topics[i].name;
            char *name = req_topic_name(req, nm);
            size += topic_size(name ? metadata_topic(b->md, name) : NULL, (size_t)nm.len);
        }
    }
    if (too_large(req, size))
        return;

    struct proto_MetadataResponseBroker *brokers =
        arena_calloc(&req->arena, (size_t)b->md->nbrokers + 1, sizeof(*brokers));
    for (int i = 0; brokers && i < b->md->nbrokers; i++) {
        const struct metadata_broker *mb = &b->md->brokers[i];
        for (int k = 0; k < mb->nep; k++) {
            if (strcmp(mb->ep[k].listener, listener))
                continue;
            struct proto_MetadataResponseBroker *o = &brokers[resp.brokers_count++];
            o->node_id = mb->id;
            o->host = proto_str_cstr(mb->ep[k].host);
            o->port = mb->ep[k].port;
            o->rack = proto_str_cstr(mb->rack);
        }
    }
    resp.brokers = brokers;
    resp.cluster_id = b->cluster_id[0] ? proto_str_cstr(b->cluster_id) : PROTO_STR_NULL;
    resp.controller_id = b->ctl->active ? b->id : b->md->controller_id;
    resp.cluster_authorized_operations = INT32_MIN;

    int32_t cap = all ? (int32_t)b->md->topics.count : n;
    struct proto_MetadataResponseTopic *topics =
        arena_calloc(&req->arena, (size_t)cap + 1, sizeof(*topics));
    if (!brokers || !topics) {
        request_fail(req, "out of memory");
        return;
    }
    if (all) {
        size_t it = 0;
        void *val;
        while (strmap_next(&b->md->topics, &it, NULL, &val))
            describe_topic(req, val, &topics[resp.topics_count++]);
    } else {
        bool may_create = r->allow_auto_topic_creation && b->cfg->auto_create_topics_enable;
        struct admin_budget bud;
        admin_budget_init(b, &bud);
        for (int32_t i = 0; i < n; i++) {
            if (first[i] != i)
                continue;
            struct proto_MetadataResponseTopic *o = &topics[resp.topics_count++];
            struct proto_str nm = r->topics[i].name;
            /* NULL for an illegal name, an embedded NUL included: "t\0x"
             * must not be answered with the metadata of "t". */
            char *name = req_topic_name(req, nm);
            o->name = nm;
            o->topic_authorized_operations = INT32_MIN;
            const struct metadata_topic *t = name ? metadata_topic(b->md, name) : NULL;
            if (t) {
                describe_topic(req, t, o);
            } else if (!name) {
                o->error_code = PROTO_ERR_INVALID_TOPIC_EXCEPTION;
            } else if (may_create) {
                /* Within gregor.create.partitions.max for this request and
                 * gregor.broker.partitions.max; a topic over the request's
                 * share waits for the client's next Metadata request. */
                int rc = admin_auto_create(b, name, &bud);
                o->error_code = rc == GR_PENDING || rc == GR_E_TOPIC_EXISTS || rc == GR_E_AGAIN
                                    ? PROTO_ERR_LEADER_NOT_AVAILABLE
                                    : errmap_kafka(rc);
            } else {
                o->error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
        }
    }
    resp.topics = topics;
    req_respond(req, Metadata, &resp);
}
