/*
 * Fetch: read each partition from the requested offset, bounded by the
 * partition and response byte limits, and answer with the segment file
 * ranges (sent with sendfile). Consumers read up to the high watermark,
 * followers (replica_id >= 0) up to the log end; a follower's fetch offset
 * is its log end offset, which the leader records (partition_isr.c) to move
 * the high watermark and the ISR.
 *
 * The debugging consumer (replica_id -2, Kafka's
 * FetchRequest.DEBUGGING_CONSUMER_ID, used by gregor-replica-verification as
 * by Kafka's ReplicaVerificationTool) may read any replica hosted here,
 * leader or follower, from the local log and only up to this replica's own
 * high watermark: that is what lets the tool compare every replica's
 * committed data. Every other consumer (-1) still gets
 * NOT_LEADER_OR_FOLLOWER from a follower, so clients keep reading from the
 * leader.
 *
 * Long polling: when fewer than min_bytes are available and max_wait_ms > 0,
 * the request becomes a delayed operation watching the DELAY_DATA key of
 * each partition it reads. An append to one of them re-reads only that
 * partition (how many bytes it has for us now) and answers once the sum
 * reaches min_bytes; the deadline answers with whatever is there. Byte
 * limits follow
 * KIP-74: the first batch of the first partition with data is returned whole
 * even if larger than the limits, so a consumer can always make progress.
 *
 * A partition named more than once is fetched once, as Kafka 2.8 does (its
 * sessionless fetch puts the entries in a LinkedHashMap): the answer holds
 * one entry per distinct partition, in the order each was first named, read
 * with the fields of the last entry naming it; consecutive entries of one
 * topic share a topic in the answer. So a request repeating one partition
 * 100,000 times costs one read and one watch, not 100,000.
 *
 * What one fetch can cost while it waits is bounded: min_bytes above the
 * response limit counts as the limit (no wait for more than could be sent),
 * a wake re-reads the one partition that changed and keeps a running total
 * (O(1) per wake), and the broker parks at most gregor.fetch.parked.max
 * fetches watching gregor.fetch.parked.partitions.max partition entries
 * together; a fetch beyond either is answered at once with what there is.
 *
 * Cold data is read off the loop. The answer is a list of segment file
 * ranges that the loop sends with sendfile; a range that is not in the page
 * cache would make sendfile wait for the disk on the loop thread, and every
 * client and the ZooKeeper session with it (docs/BENCHMARKS.md §5). So
 * before an answer is queued, each range is checked (log_warm_resident: one
 * cachestat(2) per partition with data, no copy). A hot answer goes out at
 * once; a cold one stays unanswered (later requests on the connection queue
 * behind it, as always) while the log manager's reader thread reads the cold
 * ranges, then goes out. It keeps the file references of its ranges, so a
 * segment deleted meanwhile is still sent whole; if a range's file was
 * truncated below its end meanwhile, the answer is read again from the log
 * and sent as it is then.
 *
 * Fetch sessions (KIP-227) are not offered: every answer carries session id
 * 0, which tells clients to keep sending full requests.
 */
#define LOG_COMPONENT "fetch"
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "broker/api/dedupe.h"
#include "broker/api/errmap.h"
#include "broker/api/fetch_convert.h"
#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/api/req_cold.h"
#include "broker/log/log.h"
#include "broker/log/log_manager.h"
#include "broker/log/log_warm.h"
#include "broker/core/metrics.h"
#include "broker/cluster/partition.h"
#include "broker/cluster/throttle.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/net/request.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/logger.h"
#include "common/topic_name.h"

/* One distinct requested partition. */
struct fetch_part {
    struct proto_str topic;                     /* as named on the wire */
    const struct proto_FetchPartition *fp;      /* the last entry naming it (Kafka keeps the last) */
    struct proto_FetchablePartitionResponse *o; /* its answer, arena-owned */
    int64_t avail;                              /* bytes it had for us at the last look */
    bool cold;                                  /* its range is not all in the page cache */
    struct delay_watch watch;                   /* on its DELAY_DATA key, when parked and hosted */
};

struct fetch_state {
    struct request *req;                         /* the request */
    struct fetch_part *fp;                       /* distinct partitions, in first-named order */
    int32_t n;                                   /* entries in fp */
    struct proto_FetchableTopicResponse *topics; /* response, arena-owned */
    int32_t ntopics;                             /* entries in topics */
    int64_t limit;                               /* the response's byte limit */
    int64_t min_bytes;                           /* the request's, at most limit */
    int64_t avail;                               /* sum of fp[].avail while parked */
    struct req_wait wait;                        /* parked as a delayed operation */
    int32_t warming;                             /* reads of cold ranges not finished */
    bool stale;                                  /* one found its file truncated */
    struct fetch_state *next_warm;               /* in the broker's line for the reader */
    struct req_cold cold;                        /* offset lookups that found cold pages */
    void (*look)(struct fetch_state *st);        /* what reads again after them */
};

/* At most this many answers wait for the log reader at once; more wait in
 * a line on the loop and start as those finish (never sent cold from the
 * loop, which is the stall this avoids). The reader runs a few reads at
 * once; queuing more of them in it gains nothing on a disk that is already
 * behind, and an answer whose client leaves while in line costs no reads. */
#define FETCH_WARM_MAX 16

static struct fetch_state *state_of(struct delay_op *op)
{
    return (struct fetch_state *)((char *)op - offsetof(struct fetch_state, wait.op));
}

/* Drops the file references of an attempt that will not be sent. */
static void release_reads(struct fetch_state *st)
{
    for (int32_t k = 0; k < st->n; k++) {
        struct proto_records *rs = &st->fp[k].o->record_set;
        if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
            rs->file.release(rs->file.owner);
        rs->kind = PROTO_RECORDS_MEM;
        rs->file.owner = NULL;
    }
}

/* Kafka's FetchRequest.DEBUGGING_CONSUMER_ID. */
#define FETCH_DEBUGGING_CONSUMER_ID (-2)

/* The replica of tp hosted here, leader or follower, for a debugging
 * consumer's fetch; NULL with *error set as for a leader lookup when there
 * is none to read (not hosted, offline, being removed) or current_epoch
 * (-1: not checked) is not the leader epoch this replica knows. */
static struct partition *debug_replica(struct request *req, struct tp tp, int32_t current_epoch,
                                       int16_t *error)
{
    struct partition *p = partition_get(req->b, tp);
    if (!p || p->leader || p->going || p->log->offline)
        return req_leader(req, tp, current_epoch, error); /* the leader, or why not */
    if (current_epoch >= 0 && current_epoch != p->leader_epoch) {
        *error = current_epoch < p->leader_epoch ? PROTO_ERR_FENCED_LEADER_EPOCH
                                                 : PROTO_ERR_UNKNOWN_LEADER_EPOCH;
        return NULL;
    }
    *error = PROTO_ERR_NONE;
    return p;
}

/* A consumer's responses grow to at most this many times
 * gregor.fetch.response.max.bytes for large records (consumer_cap). */
#define BULK_SCALE_MAX 4
/* Average record size per step of that growth. */
#define BULK_RECORD_BYTES 4096

/* The response limit is the client's, capped by fetch.max.bytes and, for
 * consumers, by gregor.fetch.response.max.bytes (times BULK_SCALE_MAX at
 * most, see consumer_cap). A consumer that asks for 50 MB across many
 * partitions otherwise waits for all of it before it parses any, and
 * librdkafka stops fetching while its queue holds that much: receiving and
 * consuming take turns instead of overlapping (W2 in docs/BENCHMARKS.md:
 * 1 MiB responses read 2 M records about 2.5x faster than 55 MB ones).
 * Returning less than asked is always allowed: the client fetches again
 * from where the data stopped, and the first batch is returned whatever its
 * size. */
static int64_t response_limit(const struct request *req)
{
    const struct proto_FetchRequest *r = req->body;
    int64_t limit = r->max_bytes > 0 ? r->max_bytes : 0;
    if (limit > req->b->cfg->fetch_max_bytes)
        limit = req->b->cfg->fetch_max_bytes;
    int64_t cap = (int64_t)req->b->cfg->fetch_response_max_bytes * BULK_SCALE_MAX;
    if (r->replica_id < 0 && limit > cap)
        limit = cap;
    return limit;
}

/* The part of a consumer's response that reads of l may fill:
 * gregor.fetch.response.max.bytes, doubled and more (up to BULK_SCALE_MAX
 * times) when l's records average 8 KiB and more. Small responses keep a
 * client parsing small records while the next response arrives; with large
 * records there is little to parse per byte and a round trip per 1 MiB costs
 * more (W8 in docs/BENCHMARKS.md: 100 KB records on 16 partitions read
 * about 1.3x faster in 4 MiB responses than in 1 MiB ones, and 50 MB ones
 * are 8x slower: librdkafka stops fetching while its queue holds that much).
 * The average is the active segment's bytes per offset. */
static int64_t consumer_cap(const struct request *req, const struct log *l)
{
    int64_t cap = req->b->cfg->fetch_response_max_bytes;
    const struct log_segment *s = log_active(l);
    int64_t n = s->next_offset - s->base_offset;
    int64_t scale = n > 0 ? s->size / n / BULK_RECORD_BYTES : 0;
    if (scale > BULK_SCALE_MAX)
        scale = BULK_SCALE_MAX;
    return scale > 1 ? cap * scale : cap;
}

/* Reads every distinct partition once. Returns the bytes found; *errors
 * counts partitions answered with an error. */
static int64_t read_all(struct fetch_state *st, int *errors)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    bool follower = r->replica_id >= 0;
    int64_t total = 0;
    *errors = 0;
    for (int32_t k = 0; k < st->n; k++) {
        const struct proto_FetchPartition *fp = st->fp[k].fp;
        struct proto_FetchablePartitionResponse *o = st->fp[k].o;
        memset(o, 0, sizeof(*o));
        o->partition = fp->partition;
        o->high_watermark = o->last_stable_offset = o->log_start_offset = -1;
        o->preferred_read_replica = -1;
        int16_t err;
        struct proto_str topic = st->fp[k].topic;
        /* An illegal name ("t\0x" included) names no topic, whatever the
         * C string it starts with: UNKNOWN_TOPIC_OR_PARTITION, as Kafka
         * answers a name its metadata lacks. */
        struct partition *p = NULL;
        if (!topic.ptr || !topic_name_valid_n(topic.ptr, (size_t)topic.len))
            err = PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (r->replica_id == FETCH_DEBUGGING_CONSUMER_ID)
            p = debug_replica(req, req_tp(topic, fp->partition), fp->current_leader_epoch, &err);
        else
            p = req_leader(req, req_tp(topic, fp->partition), fp->current_leader_epoch, &err);
        if (!p) {
            o->error_code = err;
            (*errors)++;
            continue;
        }
        struct log *l = p->log;
        int64_t hw;
        if (follower &&
            !partition_follower_fetched(p, r->replica_id, fp->fetch_offset, clock_wall_ms())) {
            /* Kafka 2.8 answers a replica fetch from a broker that is not
             * assigned the partition with no records and no error. */
            LOG_RATE(LOGGER_WARN, "replica fetch of %s-%d from broker %d, which is not a replica",
                     p->tp.topic->name, p->tp.partition, r->replica_id);
            hw = partition_high_watermark(p);
            o->high_watermark = o->last_stable_offset = hw;
            o->log_start_offset = l->log_start_offset;
            continue;
        }
        /* Read after recording the follower: its fetch may have moved it. */
        hw = partition_high_watermark(p);
        o->high_watermark = hw;
        o->last_stable_offset = hw;
        o->log_start_offset = l->log_start_offset;
        /* A reassignment's throttle: while the leader's rate is used up,
         * a throttled follower outside the ISR gets no records (Kafka's
         * answer too); it asks again after its wait. */
        bool throttled = follower && throttle_leader_applies(req->b, p, r->replica_id);
        if (throttled && throttle_bucket_empty(&req->b->throttle->leader,
                                               req->b->cfg->leader_replication_throttled_rate,
                                               clock_wall_ms()))
            continue;
        int64_t lim = st->limit;
        if (!follower) {
            int64_t cap = consumer_cap(req, l);
            lim = cap < lim ? cap : lim;
        }
        int64_t room = lim - total;
        int32_t max = fp->partition_max_bytes;
        if (room < max)
            max = room > 0 ? (int32_t)room : 0;
        /* The response is full: an offset in the log would read nothing
         * (no first-batch exception past the first partition), so skip the
         * lookup, which reads batch headers. One outside the log still goes
         * to log_read for its error. */
        if (max == 0 && total > 0 && fp->fetch_offset >= l->log_start_offset &&
            fp->fetch_offset <= log_end_offset(l))
            continue;
        struct log_read_result res;
        struct log_cold cold;
        int rc = log_read_cached(l, fp->fetch_offset, max, follower ? log_end_offset(l) : hw,
                                 total == 0, &res, req_cold_slot(&st->cold, &cold));
        if (rc == GR_E_AGAIN) {
            req_cold_add(&st->cold, &cold); /* read again once it is in memory */
            continue;
        }
        if (rc) {
            o->error_code = errmap_kafka(rc);
            (*errors)++;
            continue;
        }
        if (throttled)
            throttle_bucket_take(&req->b->throttle->leader, res.length);
        if (res.length > 0) {
            o->record_set.kind = PROTO_RECORDS_FILE;
            o->record_set.file = (struct proto_out_file){res.file->fd, res.position, res.length,
                                                         res.file, log_file_unref};
            total += res.length;
        }
    }
    return total;
}

/* Kafka's BytesOutPerSec: the record bytes of an answer to a consumer (a
 * follower's are replication traffic), counted once, as it is answered. */
static void count_bytes_out(struct fetch_state *st, struct metrics *m)
{
    const struct proto_FetchRequest *r = st->req->body;
    if (r->replica_id >= 0)
        return;
    for (int32_t k = 0; k < st->n; k++) {
        const struct proto_records *rs = &st->fp[k].o->record_set;
        uint64_t n = rs->kind == PROTO_RECORDS_FILE  ? (uint64_t)rs->file.len
                     : rs->kind == PROTO_RECORDS_MEM ? (uint64_t)(rs->mem.len > 0 ? rs->mem.len : 0)
                                                     : 0;
        if (!n)
            continue;
        m->bytes_out += n;
        /* Looked up again (the answer may come after the partition left). */
        struct partition *p =
            partition_get(st->req->b, req_tp(st->fp[k].topic, st->fp[k].fp->partition));
        if (p)
            p->bytes_out += n;
    }
}

/* Fetch v0-3: the consumer reads no record batches; each range becomes
 * down-converted messages in memory (fetch_convert.h), after the ranges
 * were warmed like any answer's. */
static void down_convert(struct fetch_state *st)
{
    for (int32_t k = 0; k < st->n; k++) {
        const struct fetch_part *fk = &st->fp[k];
        struct partition *p = partition_get(st->req->b, req_tp(fk->topic, fk->fp->partition));
        fetch_down_convert(st->req, fk->o, fk->fp->fetch_offset, fk->fp->partition_max_bytes,
                           !p || p->log->config.downconversion_enable);
    }
}

static void respond(struct fetch_state *st)
{
    if (fetch_convert_magic(st->req->hdr.request_api_version) < 2)
        down_convert(st);
    if (st->req->b->metrics)
        count_bytes_out(st, st->req->b->metrics);
    struct proto_FetchResponse resp = {
        .error_code = PROTO_ERR_NONE, .responses_count = st->ntopics, .responses = st->topics};
    req_respond(st->req, Fetch, &resp);
}

static void warm_start(struct fetch_state *st);

/* Whether the log was truncated below the end of a range while it was
 * read: sendfile would then come up short, and the connection be closed. */
static bool truncated(const struct proto_records *rs)
{
    struct stat sb;
    return rs->kind == PROTO_RECORDS_FILE && !fstat(rs->file.fd, &sb) &&
           sb.st_size < rs->file.pos + rs->file.len;
}

/* One read of st's finished (or never started): the last one answers, and
 * lets the next fetches in line start. */
static void warm_finish(struct fetch_state *st)
{
    if (--st->warming > 0)
        return;
    struct request *req = st->req;
    struct broker *b = req->b;
    b->fetch_warming--;
    if (!req->conn) {
        release_reads(st); /* the client left: nothing to send */
    } else {
        for (int32_t k = 0; k < st->n && !st->stale; k++)
            st->stale = st->fp[k].cold && truncated(&st->fp[k].o->record_set);
        if (st->stale) {
            /* Truncated meanwhile: answer with what the log has now (sent
             * as it is, hot or not, and looked up waiting for the disk if
             * need be; truncation is rare). */
            int errors;
            release_reads(st);
            st->cold.attempts = REQ_COLD_ATTEMPTS;
            read_all(st, &errors);
        }
        respond(st);
    }
    request_unref(req);
    while (b->fetch_warm_line && b->fetch_warming < FETCH_WARM_MAX) {
        struct fetch_state *next = b->fetch_warm_line;
        b->fetch_warm_line = next->next_warm;
        if (!b->fetch_warm_line)
            b->fetch_warm_tail = NULL;
        if (!next->req->conn) { /* left while in line: no reads for it */
            release_reads(next);
            request_unref(next->req);
            continue;
        }
        warm_start(next);
    }
}

static void warm_done(void *ctx, int rc)
{
    struct fetch_state *st = ctx;
    if (rc == GR_E_CORRUPT)
        st->stale = true;
    /* Another failure (EIO, ENOMEM) leaves the range cold: sendfile then
     * reads it on the loop, and reports EIO as before. */
    warm_finish(st);
}

/* Has the reader read st's cold ranges; warm_finish answers. */
static void warm_start(struct fetch_state *st)
{
    struct request *req = st->req;
    struct log_bg *reader = log_manager_reader(req->b->logs);
    req->b->fetch_warming++;
    st->warming = 1; /* held while submitting: a job cannot finish before the loop polls */
    for (int32_t k = 0; k < st->n && req->conn; k++) {
        const struct proto_records *rs = &st->fp[k].o->record_set;
        if (!st->fp[k].cold || rs->kind != PROTO_RECORDS_FILE)
            continue;
        if (!log_warm_submit(reader, rs->file.owner, rs->file.pos, rs->file.len, warm_done, st))
            st->warming++; /* else out of memory: this range is sent cold */
    }
    warm_finish(st);
}

/* Answers now if every range is in the page cache, else once the log
 * reader has read the cold ones (see the top of the file). */
static void answer(struct fetch_state *st)
{
    int32_t cold = 0;
    for (int32_t k = 0; k < st->n; k++) {
        const struct proto_records *rs = &st->fp[k].o->record_set;
        st->fp[k].cold = rs->kind == PROTO_RECORDS_FILE && rs->file.len > 0 &&
                         !log_warm_resident(rs->file.owner, rs->file.pos, rs->file.len);
        cold += st->fp[k].cold;
    }
    if (!cold) {
        respond(st);
        return;
    }
    struct broker *b = st->req->b;
    request_ref(st->req);
    if (b->fetch_warming < FETCH_WARM_MAX) {
        warm_start(st);
        return;
    }
    st->next_warm = NULL;
    if (b->fetch_warm_tail)
        *b->fetch_warm_tail = st;
    else
        b->fetch_warm_line = st;
    b->fetch_warm_tail = &st->next_warm;
}

/* How many bytes p has for distinct partition k now (0 on any error:
 * ready() then answers, and the answer carries the error), or -1 when
 * finding out would wait for the disk (then the fetch answers too: its
 * read finds the pages cold and has them read off the loop). */
static int64_t available(struct fetch_state *st, const struct fetch_part *k, struct partition *p)
{
    const struct proto_FetchRequest *r = st->req->body;
    struct log_read_result res;
    struct log_cold cold = {0};
    int64_t hw = partition_high_watermark(p);
    int rc = log_read_cached(p->log, k->fp->fetch_offset, k->fp->partition_max_bytes,
                             r->replica_id >= 0 ? log_end_offset(p->log) : hw, true, &res, &cold);
    if (rc == GR_E_AGAIN) {
        log_cold_release(&cold);
        return -1;
    }
    if (rc)
        return 0;
    if (res.file)
        log_file_unref(res.file);
    return res.length;
}

/* An append or a role change on one watched partition: look at that
 * partition only, and keep the running total. */
static bool data_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    struct fetch_state *st = state_of(op);
    struct partition *p = arg;
    struct fetch_part *k = &st->fp[w->tag];
    const struct proto_FetchRequest *r = st->req->body;
    if (p->going || (!p->leader && r->replica_id != FETCH_DEBUGGING_CONSUMER_ID) ||
        (k->fp->current_leader_epoch >= 0 && k->fp->current_leader_epoch != p->leader_epoch))
        return true; /* the answer says why */
    int64_t now = available(st, k, p);
    if (now < 0)
        return true;
    st->avail += now - k->avail;
    k->avail = now;
    return st->avail >= st->min_bytes;
}

static void unpark(struct fetch_state *st)
{
    struct broker *b = st->req->b;
    b->fetch_parked--;
    b->fetch_parked_parts -= st->n;
}

/* Whether this attempt's reads found cold pages: then they are being read,
 * and look(st) runs again once they are in (see req_cold.h). */
static bool deferred(struct fetch_state *st, void (*look)(struct fetch_state *st))
{
    if (!req_cold_wait(&st->cold))
        return false;
    release_reads(st);
    st->look = look;
    return true;
}

static void look_again(struct req_cold *rc)
{
    struct fetch_state *st =
        (struct fetch_state *)((char *)rc - offsetof(struct fetch_state, cold));
    st->look(st);
}

/* The last look: read and answer with what there is. */
static void last_look(struct fetch_state *st)
{
    int errors;
    read_all(st, &errors);
    if (!deferred(st, last_look))
        answer(st);
}

static void data_complete(struct delay_op *op, bool timed_out)
{
    struct fetch_state *st = state_of(op);
    struct request *req = st->req;
    (void)timed_out;
    req_wait_end(&st->wait);
    unpark(st);
    last_look(st);
    request_unref(req);
}

static void park_cancelled(struct req_wait *w)
{
    unpark((struct fetch_state *)((char *)w - offsetof(struct fetch_state, wait)));
}

/* May one more fetch of n partitions wait? Says so, at most every 10 s,
 * when the limits answer fetches early. */
static bool may_park(struct broker *b, int32_t n)
{
    const struct broker_config *cfg = b->cfg;
    if (b->fetch_parked < cfg->fetch_parked_max &&
        b->fetch_parked_parts + n <= cfg->fetch_parked_partitions_max)
        return true;
    uint64_t unparked;
    if (logger_every_due(&b->fetch_unparked, (double)broker_now_us(b) / 1e6, 10.0, 1, &unparked))
        LOG_WARN("%" PRIu64 " Fetch request(s) answered without waiting for min_bytes: %d "
                 "fetches wait already, watching %" PRId64 " partition entries (limits "
                 "gregor.fetch.parked.max=%d, gregor.fetch.parked.partitions.max=%d); raise them "
                 "if consumers see more empty fetches",
                 unparked, b->fetch_parked, b->fetch_parked_parts, cfg->fetch_parked_max,
                 cfg->fetch_parked_partitions_max);
    return false;
}

/* Parks the request until min_bytes are there or max_wait_ms passes, or
 * answers it now when what each partition has already adds up (the first
 * read stops at the response limit and at batch boundaries). Returns 0 or
 * GR_E_NOMEM. */
static int park(struct fetch_state *st)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    delay_op_init(&st->wait.op, data_ready, data_complete);
    for (int32_t k = 0; k < st->n; k++) {
        struct fetch_part *fk = &st->fp[k];
        struct partition *p = partition_get(req->b, req_tp(fk->topic, fk->fp->partition));
        if (!p)
            continue;
        fk->avail = available(st, fk, p);
        if (fk->avail < 0) /* cold: answer now, through the reads off the loop */
            fk->avail = st->min_bytes;
        st->avail += fk->avail;
        if (delay_watch(req->b->delay, &st->wait.op, &fk->watch, partition_key(p, DELAY_DATA),
                        (size_t)k)) {
            delay_cancel(req->b->delay, &st->wait.op);
            return GR_E_NOMEM;
        }
    }
    if (st->avail >= st->min_bytes) {
        delay_cancel(req->b->delay, &st->wait.op);
        last_look(st);
        return 0;
    }
    req->b->fetch_parked++;
    req->b->fetch_parked_parts += st->n;
    req_wait_start_cb(req, &st->wait, r->max_wait_ms, park_cancelled);
    return 0;
}

static void entry_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    const struct fetch_part *all = ctx;
    *name = all[i].topic;
    *num = all[i].fp->partition;
}

static bool same_name(struct proto_str a, struct proto_str b)
{
    return a.len == b.len && (a.ptr == NULL) == (b.ptr == NULL) &&
           (!a.len || !memcmp(a.ptr, b.ptr, (size_t)a.len));
}

/* Merges repeated partitions and lays out the response (see the top of the
 * file). Returns 0 or GR_E_NOMEM. */
static int plan(struct fetch_state *st)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    int32_t total = 0;
    for (int32_t t = 0; t < r->topics_count; t++)
        total += r->topics[t].partitions_count;
    struct fetch_part *all = arena_calloc(&req->arena, (size_t)total + 1, sizeof(*all));
    int32_t *slot = arena_alloc(&req->arena, ((size_t)total + 1) * sizeof(int32_t));
    if (!all || !slot)
        return GR_E_NOMEM;
    int32_t i = 0;
    for (int32_t t = 0; t < r->topics_count; t++)
        for (int32_t k = 0; k < r->topics[t].partitions_count; k++, i++) {
            all[i].topic = r->topics[t].topic;
            all[i].fp = &r->topics[t].partitions[k];
        }
    const int32_t *first = dedupe_first(&req->arena, total, entry_key, all);
    if (!first)
        return GR_E_NOMEM;
    /* Distinct entries move to the front, in first-named order; a repeat
     * overwrites the fields of the entry it repeats. */
    st->n = 0;
    for (i = 0; i < total; i++) {
        if (first[i] == i) {
            slot[i] = st->n;
            all[st->n++] = all[i];
        } else {
            all[slot[first[i]]].fp = all[i].fp;
        }
    }
    st->fp = all;
    struct proto_FetchablePartitionResponse *out =
        arena_calloc(&req->arena, (size_t)st->n + 1, sizeof(*out));
    st->topics = arena_calloc(&req->arena, (size_t)st->n + 1, sizeof(*st->topics));
    if (!out || !st->topics)
        return GR_E_NOMEM;
    st->ntopics = 0;
    for (i = 0; i < st->n; i++) {
        st->fp[i].o = &out[i];
        struct proto_FetchableTopicResponse *tr = st->ntopics ? &st->topics[st->ntopics - 1] : NULL;
        if (!tr || !same_name(tr->topic, st->fp[i].topic)) {
            tr = &st->topics[st->ntopics++];
            tr->topic = st->fp[i].topic;
            tr->partition_responses = &out[i];
        }
        tr->partition_responses_count++;
    }
    return 0;
}

/* The first look: answer at once with what there is, or park until
 * min_bytes are there. */
static void first_look(struct fetch_state *st)
{
    struct request *req = st->req;
    const struct proto_FetchRequest *r = req->body;
    int errors;
    int64_t bytes = read_all(st, &errors);
    if (deferred(st, first_look))
        return;
    if (bytes >= st->min_bytes || r->max_wait_ms <= 0 || errors || st->n == 0 ||
        !may_park(req->b, st->n)) {
        answer(st);
        return;
    }
    /* Park until data arrives or max_wait_ms passes. */
    release_reads(st);
    if (park(st))
        request_fail(req, "out of memory");
}

void handle_Fetch(struct request *req)
{
    const struct proto_FetchRequest *r = req->body;
    /* Kafka times a Fetch also as FetchFollower or FetchConsumer. */
    req->metrics_alias = r->replica_id >= 0 ? METRICS_FETCH_FOLLOWER : METRICS_FETCH_CONSUMER;
    if (r->session_id != 0) {
        /* gregor hands out no session ids, so a client naming one is
         * asking for a session we do not have. */
        struct proto_FetchResponse resp = {.error_code = PROTO_ERR_FETCH_SESSION_ID_NOT_FOUND};
        req_respond(req, Fetch, &resp);
        return;
    }
    struct fetch_state *st = arena_calloc(&req->arena, 1, sizeof(*st));
    if (!st) {
        request_fail(req, "out of memory");
        return;
    }
    st->req = req;
    if (plan(st)) {
        request_fail(req, "out of memory");
        return;
    }
    st->limit = response_limit(req);
    /* Never wait for more than the smallest cap could send. */
    int64_t most = r->replica_id < 0 && st->limit > req->b->cfg->fetch_response_max_bytes
                       ? req->b->cfg->fetch_response_max_bytes
                       : st->limit;
    st->min_bytes = r->min_bytes < most ? r->min_bytes : most;
    req_cold_init(&st->cold, req, look_again);
    first_look(st);
}
