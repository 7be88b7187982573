/*
 * AlterConfigs (v0-1) and IncrementalAlterConfigs (v0): topic config
 * overrides changed through the admin APIs, by any broker (as Kafka's
 * AdminZkClient does for topics): the new set is validated against the
 * topic config table, written to /config/topics/<t> and announced under
 * /config/changes (cluster/admin_config.c). The answer waits until this
 * broker's metadata cache shows the new set, so a DescribeConfigs that
 * follows sees it, or 30 s.
 *
 * AlterConfigs names the whole set (keys left out are removed, as in
 * Kafka); IncrementalAlterConfigs sets (0) or deletes (1) single keys, and
 * appends (2) or subtracts (3) items of the list-valued keys
 * (cleanup.policy and the two throttled-replica lists), starting from the
 * value in force. Per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG
 * (an unknown key or a value the broker refuses, with the key, the value
 * and what is allowed), INVALID_REQUEST (a null value in AlterConfigs, an
 * unknown operation, a key named twice in one incremental resource, or
 * a resource type other than topics and brokers).
 *
 * Broker resources (type 4) change the dynamic broker configs, as Kafka's
 * ZkAdminManager: the name is this broker's id (clients send a broker's
 * resource to that broker) or empty for every broker's default; the set
 * goes to /config/brokers/<id> or /config/brokers/<default>, and the answer
 * waits until this broker has read it back (cluster/dynconfig.c). A key
 * that cannot change at run time gets INVALID_CONFIG naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/api/admin_request.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/admin_config.h"
#include "broker/cluster/dynconfig.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/log/log_config.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/arena.h"
#include "common/err.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define WAIT_MS 30000
#define MAX_KEYS 256

enum { OP_SET = 0, OP_DELETE = 1, OP_APPEND = 2, OP_SUBTRACT = 3 };

/* The set each item asked for, to know when the cache shows it. */
struct wanted {
    const char **keys, **values; /* arena */
    int n;
    bool broker;                 /* a broker resource: item name is "<id>" or "<default>" */
};

/* The set a resource holds now, which an incremental change starts from. */
struct current {
    const char *const *keys, *const *values; /* borrowed from the cache */
    int n;
    const struct metadata_topic *t; /* the topic, for a topic resource */
};

struct alter_state {
    struct wanted *want;         /* one per item */
};

static bool shows(struct admin_req *ar, const struct admin_item *it)
{
    const struct alter_state *st = ar->ctx;
    const struct wanted *w = &st->want[it - ar->items];
    if (w->broker)
        return dynconfig_shows(ar->req->b->dyn, it->name, w->keys, w->values, w->n);
    const struct metadata_topic *t = metadata_topic(ar->req->b->md, it->name);
    if (!t)
        return true; /* deleted meanwhile: nothing more will show */
    if (!t->have_config || t->nconfig != w->n)
        return false;
    for (int i = 0; i < w->n; i++) {
        int k = 0;
        while (k < t->nconfig && strcmp(t->config_keys[k], w->keys[i]))
            k++;
        if (k == t->nconfig || strcmp(t->config_values[k], w->values[i]))
            return false;
    }
    return true;
}

/* Whether key holds a comma-separated list Kafka lets APPEND/SUBTRACT
 * change (its LIST-type topic configs). */
static bool list_key(const char *key)
{
    return !strcmp(key, "cleanup.policy") || !strcmp(key, "leader.replication.throttled.replicas") ||
           !strcmp(key, "follower.replication.throttled.replicas");
}

static bool in_list(const char *list, const char *item, size_t n)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !memcmp(p, item, n))
            return true;
        p += len + (end != NULL);
    }
    return false;
}

/* base with the items of v appended (op APPEND) or removed (SUBTRACT),
 * in the request's arena. */
static const char *edit_list(struct request *req, const char *base, const char *v, int op)
{
    size_t cap = strlen(base) + strlen(v) + 2;
    char *out = arena_calloc(&req->arena, cap, 1);
    if (!out)
        return NULL;
    size_t len = 0;
    const char *lists[2] = {base, op == OP_APPEND ? v : ""};
    for (int l = 0; l < 2; l++)
        for (const char *p = lists[l]; *p;) {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            bool keep = n && !(l == 0 && op == OP_SUBTRACT && in_list(v, p, n)) &&
                        !(l == 1 && in_list(base, p, n));
            if (keep) {
                if (len)
                    out[len++] = ',';
                memcpy(out + len, p, n);
                len += n;
            }
            p += n + (end != NULL);
        }
    out[len] = '\0';
    return out;
}

static struct wanted *st_want(struct admin_req *ar, int i)
{
    return &((struct alter_state *)ar->ctx)->want[i];
}

static struct proto_str item_message(struct admin_req *ar, int i)
{
    return admin_req_message(&ar->items[i]);
}

/* Starts item i for topic name with the set w (validated and written by
 * admin_set_topic_config). */
static void start(struct admin_req *ar, int i, const struct wanted *w, bool validate_only)
{
    char msg[512] = "";
    int code = (w->broker ? admin_set_broker_config : admin_set_topic_config)(
        ar->req->b, ar->items[i].name, w->keys, w->values, w->n, validate_only,
        admin_req_write_done, &ar->items[i], msg, sizeof(msg));
    admin_req_started(ar, i, code, msg);
}

/* A broker resource: its name ("" for the default, else this broker's id)
 * becomes the znode name in ar's item i and the set it holds goes in cur.
 * Returns false with an error recorded in the item. */
static bool resource_broker(struct admin_req *ar, int i, struct proto_str name,
                            struct current *cur)
{
    struct request *req = ar->req;
    char *n = req_cstr(req, name), mine[16], msg[400];
    snprintf(mine, sizeof(mine), "%d", req->b->id);
    if (!n) {
        admin_req_started(ar, i, GR_E_NOMEM, "out of memory");
        return false;
    }
    ar->items[i].name = n[0] ? n : "<default>";
    if (!dynconfig_layer(req->b->dyn, ar->items[i].name, &cur->keys, &cur->values, &cur->n)) {
        snprintf(msg, sizeof(msg),
                 "Unexpected broker id, expected %d or empty string, but received %.300s",
                 req->b->id, n);
        admin_req_started(ar, i, GR_E_INVALID, msg);
        return false;
    }
    st_want(ar, i)->broker = true;
    return true;
}

/* Common checks of one resource: the topic's or broker's name in ar's item
 * i and what it holds now in cur, or an error recorded there (false). */
static bool resource_current(struct admin_req *ar, int i, int8_t type, struct proto_str name,
                             struct current *cur)
{
    struct request *req = ar->req;
    memset(cur, 0, sizeof(*cur));
    if (type == RESOURCE_BROKER)
        return resource_broker(ar, i, name, cur);
    if (type != RESOURCE_TOPIC) {
        admin_req_started(ar, i, GR_E_INVALID,
                          "gregor changes topic (resource type 2) and broker (4) configs only");
        return false;
    }
    ar->items[i].name = req_topic_name(req, name);
    const struct metadata_topic *t =
        ar->items[i].name ? metadata_topic(req->b->md, ar->items[i].name) : NULL;
    if (!t) {
        char msg[400];
        snprintf(msg, sizeof(msg), "Topic %.*s does not exist.", (int)(name.len > 300 ? 300 : name.len),
                 name.ptr ? name.ptr : "");
        admin_req_started(ar, i, GR_E_NOENT, msg);
        return false;
    }
    *cur = (struct current){(const char *const *)t->config_keys,
                            (const char *const *)t->config_values, t->nconfig, t};
    return true;
}

static struct admin_req *begin(struct request *req, int32_t n, struct alter_state **st)
{
    struct admin_req *ar = admin_req_new(req, n, WAIT_MS);
    *st = arena_calloc(&req->arena, 1, sizeof(**st));
    if (!ar || !*st || !((*st)->want = arena_calloc(&req->arena, (size_t)n + 1,
                                                   sizeof(*(*st)->want)))) {
        request_fail(req, "out of memory");
        return NULL;
    }
    ar->ctx = *st;
    ar->shown = shows;
    return ar;
}

/* ---- AlterConfigs ----------------------------------------------------------- */

static void respond_alter(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_AlterConfigsRequest *r = req->body;
    struct proto_AlterConfigsResourceResponse *res =
        arena_calloc(&req->arena, (size_t)ar->n + 1, sizeof(*res));
    if (!res) {
        request_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < ar->n; i++)
        res[i] = (struct proto_AlterConfigsResourceResponse){
            .error_code = admin_req_code(&ar->items[i]),
            .error_message = item_message(ar, i),
            .resource_type = r->resources[i].resource_type,
            .resource_name = r->resources[i].resource_name};
    struct proto_AlterConfigsResponse resp = {.responses = res, .responses_count = ar->n};
    req_respond(req, AlterConfigs, &resp);
}

void handle_AlterConfigs(struct request *req)
{
    const struct proto_AlterConfigsRequest *r = req->body;
    struct alter_state *st;
    struct admin_req *ar = begin(req, r->resources_count, &st);
    if (!ar)
        return;
    ar->respond = respond_alter;
    for (int32_t i = 0; i < r->resources_count; i++) {
        const struct proto_AlterConfigsResource *rs = &r->resources[i];
        struct current cur;
        if (!resource_current(ar, i, rs->resource_type, rs->resource_name, &cur))
            continue;
        struct wanted *w = &st->want[i];
        int32_t n = rs->configs_count;
        w->keys = arena_calloc(&req->arena, (size_t)n + 1, sizeof(char *));
        w->values = arena_calloc(&req->arena, (size_t)n + 1, sizeof(char *));
        if (!w->keys || !w->values) {
            request_fail(req, "out of memory");
            return;
        }
        const char *bad = NULL;
        for (int32_t k = 0; k < n && !bad; k++) {
            const struct proto_AlterableConfig *c = &rs->configs[k];
            const char *key = req_cstr(req, c->name);
            if (!key || !c->value.ptr) {
                bad = key ? key : "";
                break;
            }
            int at = 0; /* a key named twice: the last value counts, as Kafka's map */
            while (at < w->n && strcmp(w->keys[at], key))
                at++;
            w->keys[at] = key;
            w->values[at] = req_cstr(req, c->value);
            if (at == w->n)
                w->n++;
        }
        if (bad) {
            char msg[400];
            snprintf(msg, sizeof(msg), "Null value not supported for : %.300s", bad);
            admin_req_started(ar, i, GR_E_INVALID, msg);
            continue;
        }
        start(ar, i, w, r->validate_only);
    }
    admin_req_run(ar);
}

/* ---- IncrementalAlterConfigs --------------------------------------------------- */

static void respond_incremental(struct admin_req *ar)
{
    struct request *req = ar->req;
    const struct proto_IncrementalAlterConfigsRequest *r = req->body;
    struct proto_IncrementalAlterConfigsResourceResponse *res =
        arena_calloc(&req->arena, (size_t)ar->n + 1, sizeof(*res));
    if (!res) {
        request_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < ar->n; i++)
        res[i] = (struct proto_IncrementalAlterConfigsResourceResponse){
            .error_code = admin_req_code(&ar->items[i]),
            .error_message = item_message(ar, i),
            .resource_type = r->resources[i].resource_type,
            .resource_name = r->resources[i].resource_name};
    struct proto_IncrementalAlterConfigsResponse resp = {.responses = res,
                                                         .responses_count = ar->n};
    req_respond(req, IncrementalAlterConfigs, &resp);
}

/* Applies rs's operations to the resource's set cur into w. Returns NULL,
 * or the reason (with *code) for refusing the resource. */
static const char *apply_ops(struct request *req, const struct current *cur,
                             const struct proto_IncrementalAlterConfigsResource *rs,
                             struct wanted *w, int *code, char *msg, size_t msgsz)
{
    int cap = cur->n + rs->configs_count;
    w->keys = arena_calloc(&req->arena, (size_t)cap + 1, sizeof(char *));
    w->values = arena_calloc(&req->arena, (size_t)cap + 1, sizeof(char *));
    if (!w->keys || !w->values) {
        *code = GR_E_NOMEM;
        return "out of memory";
    }
    /* Copies: the cache's strings are replaced when it re-reads the znode,
     * and shows() compares against this set after that. */
    for (int k = 0; k < cur->n; k++) {
        w->keys[w->n] = req_cstr(req, proto_str_cstr(cur->keys[k]));
        w->values[w->n] = req_cstr(req, proto_str_cstr(cur->values[k]));
        if (!w->keys[w->n] || !w->values[w->n]) {
            *code = GR_E_NOMEM;
            return "out of memory";
        }
        w->n++;
    }
    *code = GR_E_INVALID;
    for (int32_t k = 0; k < rs->configs_count; k++) {
        const struct proto_AlterableConfigOp *c = &rs->configs[k];
        const char *key = req_cstr(req, c->name);
        if (!key)
            return "out of memory";
        for (int32_t j = 0; j < k; j++)
            if (proto_str_eq(rs->configs[j].name, key)) {
                snprintf(msg, msgsz, "Error due to duplicate config keys : %s", key);
                return msg;
            }
        int op = c->config_operation;
        if (op < OP_SET || op > OP_SUBTRACT) {
            snprintf(msg, msgsz, "Unknown config operation %d for %s", op, key);
            return msg;
        }
        const struct log_config_def *d = cur->t ? log_config_find(key) : NULL;
        if (cur->t ? !d : !broker_config_find(key)) {
            *code = GR_E_CONFIG;
            snprintf(msg, msgsz, "Unknown %s config name: %s", cur->t ? "topic" : "broker", key);
            return msg;
        }
        if (op != OP_DELETE && !c->value.ptr) {
            snprintf(msg, msgsz, "Null value not supported for : %s", key);
            return msg;
        }
        if ((op == OP_APPEND || op == OP_SUBTRACT) && (!cur->t || !list_key(key))) {
            *code = GR_E_CONFIG;
            snprintf(msg, msgsz, "Config value %s is not allowed for config key: %s",
                     op == OP_APPEND ? "append" : "subtract", key);
            return msg;
        }
        int at = 0;
        while (at < w->n && strcmp(w->keys[at], key))
            at++;
        const char *value = NULL;
        if (op == OP_SET) {
            value = req_cstr(req, c->value);
        } else if (op != OP_DELETE) {
            char base[512];
            admin_topic_config_value(req->b, cur->t, d, base, sizeof(base), NULL);
            const char *v = req_cstr(req, c->value);
            value = v ? edit_list(req, base, v, op) : NULL;
        }
        if (op == OP_DELETE) {
            if (at < w->n) {
                w->keys[at] = w->keys[w->n - 1];
                w->values[at] = w->values[w->n - 1];
                w->n--;
            }
            continue;
        }
        if (!value) {
            *code = GR_E_NOMEM;
            return "out of memory";
        }
        w->keys[at] = at < w->n ? w->keys[at] : key;
        w->values[at] = value;
        if (at == w->n)
            w->n++;
    }
    return NULL;
}

void handle_IncrementalAlterConfigs(struct request *req)
{
    const struct proto_IncrementalAlterConfigsRequest *r = req->body;
    struct alter_state *st;
    struct admin_req *ar = begin(req, r->resources_count, &st);
    if (!ar)
        return;
    ar->respond = respond_incremental;
    for (int32_t i = 0; i < r->resources_count; i++) {
        const struct proto_IncrementalAlterConfigsResource *rs = &r->resources[i];
        struct current cur;
        if (!resource_current(ar, i, rs->resource_type, rs->resource_name, &cur))
            continue;
        char msg[512];
        int code;
        const char *why = apply_ops(req, &cur, rs, &st->want[i], &code, msg, sizeof(msg));
        if (why) {
            admin_req_started(ar, i, code, why);
            continue;
        }
        start(ar, i, &st->want[i], r->validate_only);
    }
    admin_req_run(ar);
}
