/*
 * ElectLeaders (KIP-183, KIP-460): the controller elects the preferred
 * replica (type 0) or, for a partition with no live leader, any live
 * replica (type 1, unclean) of each partition named, or of every partition
 * when the list is null. Each election is an intent the controller acts on
 * (cluster/controller_leaders.c); the answer waits until the metadata
 * shows every election started, or timeout_ms, after which those not shown
 * get REQUEST_TIMED_OUT (the election may still happen), as Kafka's
 * DelayedElectLeader.
 *
 * Per partition: NOT_CONTROLLER on any other broker, UNKNOWN_TOPIC_OR_PARTITION,
 * ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE (type 0) or
 * ELIGIBLE_LEADERS_NOT_AVAILABLE (type 1), with Kafka's messages. A null
 * list answers only the partitions that needed an election or failed, as
 * Kafka does. An election type other than 0 or 1 is INVALID_REQUEST for
 * the whole request. A partition named twice is answered twice.
 */
#include <stddef.h>
#include <string.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/cluster/controller.h"
#include "broker/cluster/metadata.h"
#include "broker/core/broker.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/arena.h"

struct elect_item {
    const char *topic;         /* arena copy; NULL: not a legal name */
    struct proto_str wire;     /* the name as answered: as sent (request arena) */
    int32_t partition;
    int16_t code;              /* the answer */
    const char *message;       /* arena copy or NULL */
    bool waiting;              /* started: waiting for the metadata to show it */
    int32_t group;             /* items of one group share one topic result */
};

struct elect_req {
    struct request *req;        /* referenced while parked */
    enum controller_election type;
    bool all;                   /* the request named no partitions: every one */
    struct elect_item *items;   /* arena-owned */
    int32_t n;                  /* entries in items */
    struct req_wait wait;       /* on the metadata */
    struct delay_watch watch;   /* its DELAY_METADATA key */
};

static char *copy(struct request *req, const char *s)
{
    size_t len = strlen(s);
    char *p = arena_calloc(&req->arena, len + 1, 1);
    if (p)
        memcpy(p, s, len);
    return p;
}

static int16_t kafka_code(enum controller_elect_result r, enum controller_election type)
{
    switch (r) {
    case CONTROLLER_ELECT_STARTED:
        return 0;
    case CONTROLLER_ELECT_NOT_CONTROLLER:
        return PROTO_ERR_NOT_CONTROLLER;
    case CONTROLLER_ELECT_UNKNOWN:
        return PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    case CONTROLLER_ELECT_NOT_NEEDED:
        return PROTO_ERR_ELECTION_NOT_NEEDED;
    case CONTROLLER_ELECT_NOT_AVAILABLE:
        break;
    }
    return type == CONTROLLER_ELECT_PREFERRED ? PROTO_ERR_PREFERRED_LEADER_NOT_AVAILABLE
                                              : PROTO_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

static void start_one(struct elect_req *er, struct elect_item *it)
{
    struct request *req = er->req;
    char msg[512];
    if (!it->topic) {
        it->code = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        it->message = "The partition does not exist.";
        return;
    }
    enum controller_elect_result r =
        controller_elect(req->b->ctl, er->type, it->topic, it->partition, msg, sizeof(msg));
    it->code = kafka_code(r, er->type);
    it->waiting = r == CONTROLLER_ELECT_STARTED;
    it->message = it->code ? copy(req, msg) : NULL;
}

/* Items whose election the metadata shows are done. Returns true when
 * none is left waiting. */
static bool all_shown(struct elect_req *er)
{
    bool done = true;
    for (int32_t i = 0; i < er->n; i++) {
        struct elect_item *it = &er->items[i];
        if (it->waiting) {
            if (controller_elected(er->req->b->ctl, er->type, it->topic, it->partition))
                it->waiting = false;
            else
                done = false;
        }
    }
    return done;
}

/* Items still waiting get REQUEST_TIMED_OUT. */
static void time_out(struct elect_req *er)
{
    for (int32_t i = 0; i < er->n; i++)
        if (er->items[i].waiting) {
            er->items[i].waiting = false;
            er->items[i].code = PROTO_ERR_REQUEST_TIMED_OUT;
            er->items[i].message = "The election did not complete within timeout_ms; it may "
                                   "still take effect.";
        }
}

/* One topic result per group of items (a topic entry of the request, or a
 * topic of the all-partitions walk). */
static void respond(struct elect_req *er, int16_t top_code)
{
    struct request *req = er->req;
    struct proto_ReplicaElectionResult *res = arena_calloc(&req->arena, (size_t)er->n + 1,
                                                           sizeof(*res));
    struct proto_ElectPartitionResult *pr = arena_calloc(&req->arena, (size_t)er->n + 1,
                                                         sizeof(*pr));
    if (!res || !pr) {
        request_fail(req, "out of memory");
        return;
    }
    int32_t nres = 0, npr = 0, group = -1;
    for (int32_t i = 0; i < er->n; i++) {
        const struct elect_item *it = &er->items[i];
        if (er->all && it->code == PROTO_ERR_ELECTION_NOT_NEEDED)
            continue;
        if (!nres || it->group != group) {
            res[nres++] = (struct proto_ReplicaElectionResult){
                .topic = it->wire,
                .partition_result = &pr[npr]};
            group = it->group;
        }
        pr[npr++] = (struct proto_ElectPartitionResult){
            .partition_id = it->partition,
            .error_code = it->code,
            .error_message = it->message ? proto_str_cstr(it->message) : PROTO_STR_NULL};
        res[nres - 1].partition_result_count++;
    }
    struct proto_ElectLeadersResponse resp = {.error_code = top_code,
                                              .replica_election_results = res,
                                              .replica_election_results_count = nres};
    req_respond(req, ElectLeaders, &resp);
}

static bool shown(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    (void)arg;
    return all_shown((struct elect_req *)((char *)op - offsetof(struct elect_req, wait.op)));
}

static void waited(struct delay_op *op, bool timed_out)
{
    struct elect_req *er = (struct elect_req *)((char *)op - offsetof(struct elect_req, wait.op));
    struct request *req = er->req;
    req_wait_end(&er->wait);
    all_shown(er);
    if (timed_out)
        time_out(er);
    respond(er, 0);
    request_unref(req);
}

/* Every partition in the metadata cache, topic by topic. */
static int collect_all(struct elect_req *er)
{
    struct request *req = er->req;
    const struct metadata *md = req->b->md;
    size_t it = 0;
    void *v;
    int32_t n = 0;
    while (strmap_next(&md->topics, &it, NULL, &v))
        n += ((const struct metadata_topic *)v)->nparts;
    er->items = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*er->items));
    if (!er->items)
        return -1;
    it = 0;
    int32_t g = 0;
    while (strmap_next(&md->topics, &it, NULL, &v)) {
        const struct metadata_topic *t = v;
        const char *name = copy(req, t->name);
        if (!name)
            return -1;
        for (int32_t p = 0; p < t->nparts && er->n < n; p++)
            er->items[er->n++] = (struct elect_item){
                .topic = name, .wire = proto_str_cstr(name), .partition = p, .group = g};
        g++;
    }
    return 0;
}

static int collect_named(struct elect_req *er, const struct proto_ElectLeadersRequest *r)
{
    struct request *req = er->req;
    int64_t n = 0;
    for (int32_t t = 0; t < r->topic_partitions_count; t++)
        n += r->topic_partitions[t].partition_id_count;
    er->items = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*er->items));
    if (!er->items)
        return -1;
    for (int32_t t = 0; t < r->topic_partitions_count; t++) {
        const struct proto_ElectTopicPartitions *tp = &r->topic_partitions[t];
        /* NULL for a name that is not legal: it names no topic. */
        const char *name = req_topic_name(req, tp->topic);
        for (int32_t k = 0; k < tp->partition_id_count; k++)
            er->items[er->n++] = (struct elect_item){
                .topic = name, .wire = tp->topic, .partition = tp->partition_id[k], .group = t};
    }
    return 0;
}

void handle_ElectLeaders(struct request *req)
{
    const struct proto_ElectLeadersRequest *r = req->body;
    struct elect_req *er = arena_calloc(&req->arena, 1, sizeof(*er));
    if (!er) {
        request_fail(req, "out of memory");
        return;
    }
    er->req = req;
    er->all = r->topic_partitions_count < 0;
    if (r->election_type != CONTROLLER_ELECT_PREFERRED &&
        r->election_type != CONTROLLER_ELECT_UNCLEAN) {
        er->n = 0;
        respond(er, PROTO_ERR_INVALID_REQUEST);
        return;
    }
    er->type = (enum controller_election)r->election_type;
    if (er->all ? collect_all(er) : collect_named(er, r)) {
        request_fail(req, "out of memory");
        return;
    }
    for (int32_t i = 0; i < er->n; i++)
        start_one(er, &er->items[i]);
    delay_op_init(&er->wait.op, shown, waited);
    if (all_shown(er) || r->timeout_ms <= 0 || !req->conn ||
        delay_watch(req->b->delay, &er->wait.op, &er->watch,
                    delay_key(req->b->md, DELAY_METADATA), 0)) {
        time_out(er);
        respond(er, 0);
        return;
    }
    req_wait_start(req, &er->wait, r->timeout_ms);
}
