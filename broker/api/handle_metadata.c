/*
 * Metadata: brokers (the endpoints of the listener the request came in on),
 * the controller, the cluster id, and per topic its partitions with leader,
 * leader epoch, replicas, ISR and offline replicas, all from the metadata
 * cache. Unknown topics are created when auto-creation is on and answered
 * with LEADER_NOT_AVAILABLE, which clients retry, as Kafka does.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/core/broker.h"
#include "broker/net/conn.h"
#include "broker/cluster/controller.h"
#include "broker/api/handlers.h"
#include "broker/api/handler_util.h"
#include "broker/cluster/metadata.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"
#include "common/topic_name.h"

/* Fills one topic of the response (arrays from the request's arena). */
static void describe_topic(struct request *req, const struct metadata_topic *t,
                           struct proto_MetadataResponseTopic *out)
{
    struct broker *b = req->b;
    out->name = proto_str_cstr(t->name);
    out->is_internal = false;
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
        int32_t *offline = arena_calloc(&req->arena, (size_t)mp->nreplicas + 1, sizeof(int32_t));
        for (int k = 0; offline && k < mp->nreplicas; k++)
            if (!metadata_broker_alive(b->md, mp->replicas[k]))
                offline[p->offline_replicas_count++] = mp->replicas[k];
        p->offline_replicas = offline;
        bool leader_up = mp->has_state && metadata_broker_alive(b->md, mp->leader);
        p->leader_id = leader_up ? mp->leader : -1;
        p->error_code = leader_up ? PROTO_ERR_NONE : PROTO_ERR_LEADER_NOT_AVAILABLE;
    }
    out->partitions = parts;
    out->partitions_count = t->nparts;
}

void handle_Metadata(struct request *req)
{
    struct broker *b = req->b;
    const struct proto_MetadataRequest *r = req->body;
    int16_t v = req->hdr.request_api_version;
    struct proto_MetadataResponse resp = {0};
    const char *listener = req->conn ? req->conn->listener->name : "PLAINTEXT";

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

    bool all = proto_MetadataRequest_all_topics(r, v);
    int32_t cap = all ? (int32_t)b->md->topics.count : r->topics_count;
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
        for (int32_t i = 0; i < r->topics_count; i++) {
            struct proto_MetadataResponseTopic *o = &topics[resp.topics_count++];
            struct proto_str n = r->topics[i].name;
            char *name = arena_alloc(&req->arena, (size_t)(n.ptr ? n.len : 0) + 1);
            if (!name) {
                request_fail(req, "out of memory");
                return;
            }
            if (n.ptr)
                memcpy(name, n.ptr, (size_t)n.len);
            o->name = n;
            o->topic_authorized_operations = INT32_MIN;
            const struct metadata_topic *t = metadata_topic(b->md, name);
            if (t) {
                describe_topic(req, t, o);
            } else if (!n.ptr || !topic_name_valid(name)) {
                o->error_code = PROTO_ERR_INVALID_TOPIC_EXCEPTION;
            } else if (may_create) {
                admin_auto_create(b, name);
                o->error_code = PROTO_ERR_LEADER_NOT_AVAILABLE;
            } else {
                o->error_code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
        }
    }
    resp.topics = topics;
    req_respond(req, Metadata, &resp);
}
