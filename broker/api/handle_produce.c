/*
 * Produce: validate and append each partition's batch to its log, then
 * answer. acks=0 gets no answer (Kafka closes the connection if something
 * failed, so the client learns it). When an append reached flush.messages,
 * the answer waits until the log's fsync covers it, as Kafka's synchronous
 * flush would; other appends arriving meanwhile share that fsync. The wait
 * ends at timeout_ms (REQUEST_TIMED_OUT) or when the fsync fails
 * (KAFKA_STORAGE_ERROR: the log went offline).
 *
 * acks=all: an ISR smaller than min.insync.replicas refuses the append
 * (NOT_ENOUGH_REPLICAS); otherwise the answer waits, on the partition's
 * DELAY_DATA key, until the records are committed (partition_committed:
 * below the high watermark, with a ZooKeeper session and an accepted ISR
 * view). If the ISR is then smaller than min.insync.replicas the answer is
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND, as Kafka's delayed produce says. The
 * records stay appended either way; timeout_ms ends the wait
 * (REQUEST_TIMED_OUT).
 */
#define LOG_COMPONENT "produce"
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/core/broker.h"
#include "broker/net/conn.h"
#include "broker/api/errmap.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/api/produce_convert.h"
#include "broker/log/log.h"
#include "broker/core/metrics.h"
#include "broker/cluster/metadata.h"
#include "broker/cluster/partition.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"
#include "common/clock.h"
#include "common/logger.h"
#include "common/topic_name.h"

/* One partition whose answer waits for an fsync. */
struct produce_wait {
    struct delay_watch watch;                    /* on the partition's DELAY_FLUSH key */
    struct delay_watch watch_hw;                 /* on its DELAY_DATA key (acks=all) */
    struct proto_PartitionProduceResponse *resp; /* where its result goes */
    int64_t need;                                /* recovery point to reach, or -1 */
    int64_t need_hw;                             /* acks=all: committed up to this, or -1 */
    bool done;                                   /* settled (durable, committed, or an error) */
};

struct produce_state {
    struct request *req;                         /* the request */
    struct proto_TopicProduceResponse *topics;   /* the response, arena-owned */
    int32_t ntopics;                             /* entries in topics */
    struct produce_wait *waits;                  /* arena-owned */
    int nwaits, pending;                         /* waits in use, not yet settled */
    struct req_wait wait;                        /* parked as a delayed operation */
    struct admin_budget bud;                     /* what auto-creation may still create */
    int64_t inflate_left;                        /* gregor.produce.inflate.max.bytes unspent */
};

static void respond(struct produce_state *st)
{
    struct request *req = st->req;
    struct proto_ProduceResponse resp = {.responses_count = st->ntopics, .responses = st->topics};
    req_respond(req, Produce, &resp);
}

static struct produce_state *state_of(struct delay_op *op)
{
    return (struct produce_state *)((char *)op - offsetof(struct produce_state, wait.op));
}

/* Whether pw is settled now; if so, fills in its error (if any). */
static bool settle(struct produce_wait *pw, struct partition *p)
{
    if (p->going || !p->leader || p->log->offline) {
        pw->resp->error_code = errmap_kafka(p->log->offline ? GR_E_OFFLINE : GR_E_NOT_LEADER);
        pw->resp->base_offset = -1;
        return true;
    }
    if (pw->need >= 0 && p->log->recovery_point < pw->need)
        return false;
    if (pw->need_hw >= 0) {
        if (!partition_committed(p, pw->need_hw))
            return false;
        if (partition_isr_size(p) < p->log->config.min_insync_replicas)
            pw->resp->error_code = errmap_kafka(GR_E_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    }
    return true;
}

/* A watched partition was flushed, got records, moved its high watermark
 * or changed role: settle its wait. */
static bool flush_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct produce_state *st = state_of(op);
    struct produce_wait *pw = &st->waits[w->tag];
    if (pw->done || !settle(pw, arg))
        return false;
    pw->done = true;
    return --st->pending == 0;
}

static void flush_complete(struct delay_op *op, bool timed_out)
{
    struct produce_state *st = state_of(op);
    struct request *req = st->req;
    /* An fsync normally ends in success or an error, but on a sick disk it
     * may take minutes, or be postponed (no descriptors): the request's
     * timeout_ms bounds the wait, as Kafka's delayed produce does. The
     * records stay appended; the client retries or gives up. */
    for (int i = 0; timed_out && i < st->nwaits; i++) {
        struct produce_wait *pw = &st->waits[i];
        if (!pw->done) {
            pw->resp->error_code = errmap_kafka(GR_E_TIMEOUT);
            pw->resp->base_offset = -1;
            pw->done = true;
        }
    }
    req_wait_end(&st->wait);
    respond(st);
    request_unref(req);
}

/* Appends one partition's records. Returns GR_OK or a gregor error. */
static int append_one(struct request *req, const struct proto_ProduceRequest *r,
                      struct proto_str topic, const struct proto_PartitionProduceData *pd,
                      struct proto_PartitionProduceResponse *out, struct produce_state *st)
{
    struct partition *p = NULL;
    /* An illegal name ("t\0x" included) names no topic: GR_E_NOENT, which
     * answers UNKNOWN_TOPIC_OR_PARTITION as Kafka does, before any lookup. */
    bool legal = topic.ptr && topic_name_valid_n(topic.ptr, (size_t)topic.len);
    int rc = legal ? partition_lead(req->b, req_tp(topic, pd->index), -1, &p) : GR_E_NOENT;
    out->index = pd->index;
    out->base_offset = -1;
    out->log_append_time_ms = -1;
    out->log_start_offset = -1;
    if (rc) {
        /* Only a legal name is auto-created: "t\0x" must never create "t". */
        char *name = rc == GR_E_NOENT && legal ? req_topic_name(req, topic) : NULL;
        if (name && !metadata_topic(req->b->md, name))
            admin_auto_create(req->b, name, &st->bud);
        return rc;
    }
    /* A decoded records field is a view of the frame, or null. */
    struct proto_bytes batch = pd->records.mem;
    /* Produce v0-2 may carry magic 0/1 messages: up-converted to a batch. */
    if (req->hdr.request_api_version < 3 && pd->records.kind == PROTO_RECORDS_MEM &&
        (rc = produce_up_convert(req, p, &batch, &st->inflate_left)))
        return rc;
    if (pd->records.kind != PROTO_RECORDS_MEM || !batch.ptr || batch.len < LOG_BATCH_HEADER_SIZE)
        return GR_E_CORRUPT;
    struct log_batch_hdr h;
    log_batch_parse(batch.ptr, &h);
    if (log_batch_size(&h) < batch.len)
        return GR_E_BAD_RECORD; /* v3+: exactly one batch per partition */
    if (r->acks == -1 && partition_isr_size(p) < p->log->config.min_insync_replicas)
        return GR_E_NOT_ENOUGH_REPLICAS;
    struct log_append_info info;
    char why[256];
    /* The batch is rewritten in place (offsets) in the request's own frame
     * buffer, which the reader owns: the view is const only to decoders. */
    rc = log_append_leader_budget(p->log, (uint8_t *)batch.ptr, (size_t)batch.len, p->leader_epoch,
                                  clock_wall_ms(), &st->inflate_left, &info, why, sizeof(why));
    if (rc) {
        char desc[256];
        LOG_RATE(LOGGER_WARN, "rejected batch for %s-%d in %s: %s", p->tp.topic->name, pd->index,
                 request_describe(req, desc, sizeof(desc)), why);
        return rc;
    }
    out->base_offset = info.first_offset;
    out->log_append_time_ms = info.log_append_time;
    out->log_start_offset = p->log->log_start_offset;
    if (req->b->metrics) { /* Kafka's MessagesInPerSec and BytesInPerSec */
        metrics_produced(req->b->metrics, (uint64_t)info.records, (uint64_t)batch.len);
        p->messages_in += (uint64_t)info.records;
        p->bytes_in += (uint64_t)batch.len;
    }
    partition_appended(p);
    if (r->acks == 0)
        return GR_OK;
    struct produce_wait *pw = &st->waits[st->nwaits];
    pw->resp = out;
    pw->need = info.flush_requested ? info.last_offset + 1 : -1;
    pw->need_hw = r->acks == -1 ? info.last_offset + 1 : -1;
    if (settle(pw, p)) /* just appended as leader: the only error is the ISR's */
        return out->error_code ? GR_E_NOT_ENOUGH_REPLICAS_AFTER_APPEND : GR_OK;
    /* Appended, but if a watch cannot be added the answer cannot wait. */
    if (delay_watch(req->b->delay, &st->wait.op, &pw->watch, partition_key(p, DELAY_FLUSH),
                    (size_t)st->nwaits) ||
        delay_watch(req->b->delay, &st->wait.op, &pw->watch_hw, partition_key(p, DELAY_DATA),
                    (size_t)st->nwaits))
        return GR_E_NOMEM;
    st->nwaits++;
    st->pending++;
    return GR_OK;
}

void handle_Produce(struct request *req)
{
    const struct proto_ProduceRequest *r = req->body;
    struct produce_state *st = arena_alloc(&req->arena, sizeof(*st));
    int32_t nparts = 0;
    for (int32_t t = 0; t < r->topic_data_count; t++)
        nparts += r->topic_data[t].partition_data_count;
    if (st) {
        st->topics = arena_calloc(&req->arena, (size_t)r->topic_data_count + 1,
                                  sizeof(*st->topics));
        st->waits = arena_calloc(&req->arena, (size_t)nparts + 1, sizeof(*st->waits));
    }
    if (!st || !st->topics || !st->waits) {
        request_fail(req, "out of memory");
        return;
    }
    st->req = req;
    st->ntopics = r->topic_data_count;
    admin_budget_init(req->b, &st->bud);
    /* One compressed batch may inflate to 32 x max.message.bytes, and a
     * request carries one per partition: the request shares one budget. */
    st->inflate_left = req->b->cfg->produce_inflate_max_bytes;
    delay_op_init(&st->wait.op, flush_ready, flush_complete);
    bool acks_ok = r->acks == 0 || r->acks == 1 || r->acks == -1;
    int errors = 0;
    for (int32_t t = 0; t < r->topic_data_count; t++) {
        const struct proto_TopicProduceData *td = &r->topic_data[t];
        struct proto_PartitionProduceResponse *parts =
            arena_calloc(&req->arena, (size_t)td->partition_data_count + 1, sizeof(*parts));
        if (!parts) {
            /* Earlier partitions may already watch their flush. */
            delay_cancel(req->b->delay, &st->wait.op);
            request_fail(req, "out of memory");
            return;
        }
        st->topics[t].name = td->name;
        st->topics[t].partition_responses = parts;
        st->topics[t].partition_responses_count = td->partition_data_count;
        for (int32_t i = 0; i < td->partition_data_count; i++) {
            if (!acks_ok) {
                parts[i] = (struct proto_PartitionProduceResponse){
                    td->partition_data[i].index, PROTO_ERR_INVALID_REQUIRED_ACKS, -1, -1, -1};
            } else {
                parts[i].error_code = errmap_kafka(
                    append_one(req, r, td->name, &td->partition_data[i], &parts[i], st));
            }
            errors += parts[i].error_code != PROTO_ERR_NONE;
        }
    }
    if (r->acks == 0) {
        /* Finishing may free req (nothing is owed to the client), so keep
         * the connection, which outlives this call in any case. */
        struct conn *c = req->conn;
        request_no_response(req);
        if (errors && c)
            conn_close(c, "a produce request with acks=0 failed; closing so the client notices");
        return;
    }
    if (st->pending) {
        req_wait_start(req, &st->wait, r->timeout_ms > 0 ? r->timeout_ms : 0);
        return;
    }
    respond(st);
}
