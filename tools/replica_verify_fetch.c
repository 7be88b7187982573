/*
 * What gregor-replica-verification asks the brokers (replica_verify.h):
 * Metadata v8 for the brokers and the replicas of each partition,
 * ListOffsets v5 to the leaders for where to start (and, for --once, where
 * to stop), Fetch v11 to every replica as the debugging consumer. Bodies
 * go through broker/proto's generated codecs, which check every length and
 * count of an answer against the bytes received.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tools/replica_verify.h"

#define METADATA_VERSION     8
#define LIST_OFFSETS_VERSION 5
#define FETCH_VERSION        11
/* Kafka's FetchRequest.DEBUGGING_CONSUMER_ID: followers answer it too. */
#define DEBUGGING_CONSUMER_ID (-2)

static char *str_dup(struct proto_str s)
{
    char *d = malloc((size_t)(s.len > 0 ? s.len : 0) + 1);
    if (d) {
        if (s.len > 0)
            memcpy(d, s.ptr, (size_t)s.len);
        d[s.len > 0 ? s.len : 0] = '\0';
    }
    return d;
}

static int cmp_part(const void *x, const void *y)
{
    const struct rv_part *a = x, *b = y;
    int c = strcmp(a->topic, b->topic);
    return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

static int broker_index(const struct rv *rv, int32_t id)
{
    for (int i = 0; i < rv->nbrokers; i++)
        if (rv->brokers[i].id == id)
            return i;
    return -1;
}

/* Takes brokers and partitions out of one Metadata answer. */
static int take_metadata(struct rv *rv, const struct proto_MetadataResponse *m, const regex_t *re,
                         char *errstr, size_t errsz)
{
    rv->brokers = calloc((size_t)m->brokers_count + 1, sizeof(*rv->brokers));
    if (!rv->brokers)
        goto nomem;
    for (int32_t i = 0; i < m->brokers_count; i++) {
        const struct proto_MetadataResponseBroker *mb = &m->brokers[i];
        char host[256];
        if (mb->host.len <= 0 || (size_t)mb->host.len >= sizeof(host)) {
            snprintf(errstr, errsz, "broker %d has a host name of %d bytes", mb->node_id,
                     mb->host.len);
            return -1;
        }
        memcpy(host, mb->host.ptr, (size_t)mb->host.len);
        host[mb->host.len] = '\0';
        struct rv_broker *b = &rv->brokers[rv->nbrokers++];
        b->id = mb->node_id;
        kconn_init(&b->conn, host, mb->port, RV_TOOL, rv->o.socket_timeout_ms,
                     (size_t)rv->o.fetch_size + (1u << 20));
    }
    size_t total = 0;
    for (int32_t t = 0; t < m->topics_count; t++)
        total += (size_t)m->topics[t].partitions_count;
    rv->parts = calloc(total + 1, sizeof(*rv->parts));
    if (!rv->parts)
        goto nomem;
    for (int32_t t = 0; t < m->topics_count; t++) {
        const struct proto_MetadataResponseTopic *mt = &m->topics[t];
        char *name = str_dup(mt->name);
        if (!name)
            goto nomem;
        bool want = mt->error_code == 0 && (!re || regexec(re, name, 0, NULL, 0) == 0);
        for (int32_t k = 0; want && k < mt->partitions_count; k++) {
            const struct proto_MetadataResponsePartition *mp = &mt->partitions[k];
            struct rv_part *p = &rv->parts[rv->nparts];
            p->topic = str_dup(mt->name);
            p->rep = calloc((size_t)mp->replica_nodes_count + 1, sizeof(*p->rep));
            if (!p->topic || !p->rep) {
                free(p->topic);
                free(p->rep);
                free(name);
                goto nomem;
            }
            rv->nparts++;
            p->partition = mp->partition_index;
            p->leader = mp->leader_id;
            p->nrep = mp->replica_nodes_count;
            for (int32_t i = 0; i < p->nrep; i++) {
                p->rep[i].broker = mp->replica_nodes[i];
                p->rep[i].bi = broker_index(rv, mp->replica_nodes[i]);
            }
        }
        free(name);
    }
    qsort(rv->parts, (size_t)rv->nparts, sizeof(*rv->parts), cmp_part);
    return 0;
nomem:
    snprintf(errstr, errsz, "out of memory");
    return -1;
}

int rv_fetch_metadata(struct rv *rv, char *errstr, size_t errsz)
{
    regex_t re;
    if (rv->o.topic_regex) {
        /* Kafka's Whitelist matches the whole name. */
        size_t n = strlen(rv->o.topic_regex) + 8;
        char *pat = malloc(n);
        if (!pat)
            return snprintf(errstr, errsz, "out of memory"), -1;
        snprintf(pat, n, "^(%s)$", rv->o.topic_regex);
        int rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
        free(pat);
        if (rc) {
            snprintf(errstr, errsz, "%s is an invalid regex.", rv->o.topic_regex);
            return -1;
        }
    }
    struct kcall x;
    kcall_init(&x);
    struct proto_MetadataResponse m;
    int rc = kcall_bootstrap_metadata(&x, rv->o.broker_list, RV_TOOL, rv->o.socket_timeout_ms,
                                      METADATA_VERSION, true, &m, errstr, errsz);
    if (!rc)
        rc = take_metadata(rv, &m, rv->o.topic_regex ? &re : NULL, errstr, errsz);
    kcall_destroy(&x);
    if (rv->o.topic_regex)
        regfree(&re);
    return rc;
}

/* Asks broker bi for the offsets at time ts of the partitions it leads
 * that still lack one; sets offset (target_too: and target from a second
 * request for the latest offset). */
static int leader_offsets(struct rv *rv, int bi, int64_t ts, bool set_target, char *errstr,
                          size_t errsz)
{
    struct rv_broker *b = &rv->brokers[bi];
    int32_t n = 0;
    for (int i = 0; i < rv->nparts; i++)
        n += rv->parts[i].leader == b->id && !rv->parts[i].have_offset;
    if (!n)
        return 0;
    struct proto_ListOffsetsTopic *topics = calloc((size_t)n, sizeof(*topics));
    struct proto_ListOffsetsPartition *lp = calloc((size_t)n, sizeof(*lp));
    int rc = -1;
    if (!topics || !lp) {
        snprintf(errstr, errsz, "out of memory");
        goto out;
    }
    /* One topic entry per partition: simple, and the broker allows it. */
    int32_t k = 0;
    for (int i = 0; i < rv->nparts; i++) {
        const struct rv_part *p = &rv->parts[i];
        if (p->leader != b->id || p->have_offset)
            continue;
        lp[k] = (struct proto_ListOffsetsPartition){.partition_index = p->partition,
                                                    .current_leader_epoch = -1,
                                                    .timestamp = ts,
                                                    .max_num_offsets = 1};
        topics[k] = (struct proto_ListOffsetsTopic){
            .name = proto_str_cstr(p->topic), .partitions = &lp[k], .partitions_count = 1};
        k++;
    }
    struct proto_ListOffsetsRequest req = {.replica_id = -1, .topics = topics, .topics_count = n};
    struct proto_ListOffsetsResponse r;
    struct kcall x;
    kcall_init(&x);
    if (kcall_run(&x, proto_encode_ListOffsetsRequest(&x.o, LIST_OFFSETS_VERSION, &req), &b->conn,
                 PROTO_API_LIST_OFFSETS, LIST_OFFSETS_VERSION, proto_decode_ListOffsetsResponse, &r,
                 errstr, errsz) == 0) {
        rc = 0;
        for (int32_t t = 0; t < r.topics_count; t++)
            for (int32_t q = 0; q < r.topics[t].partitions_count; q++) {
                const struct proto_ListOffsetsPartitionResponse *pr = &r.topics[t].partitions[q];
                for (int i = 0; i < rv->nparts; i++) {
                    struct rv_part *p = &rv->parts[i];
                    if (p->leader != b->id || p->have_offset ||
                        p->partition != pr->partition_index ||
                        !proto_str_eq(r.topics[t].name, p->topic))
                        continue;
                    if (pr->error_code) {
                        snprintf(errstr, errsz, "ListOffsets of [%s,%d] from broker %d: %s",
                                 p->topic, p->partition, b->id, proto_error_name(pr->error_code));
                        rc = -1;
                    } else if (set_target) {
                        p->target = pr->offset;
                    } else {
                        p->offset = pr->offset;
                    }
                }
            }
    }
    kcall_destroy(&x);
out:
    free(topics);
    free(lp);
    return rc;
}

int rv_fetch_offsets(struct rv *rv, char *errstr, size_t errsz)
{
    for (int bi = 0; bi < rv->nbrokers; bi++) {
        /* The target first: the start is then never above it. */
        if (rv->o.once && leader_offsets(rv, bi, -1, true, errstr, errsz))
            continue;
        if (leader_offsets(rv, bi, rv->o.initial_time, false, errstr, errsz))
            continue;
        for (int i = 0; i < rv->nparts; i++)
            if (rv->parts[i].leader == rv->brokers[bi].id)
                rv->parts[i].have_offset = true;
    }
    int rc = 0;
    for (int i = 0; i < rv->nparts; i++) {
        const struct rv_part *p = &rv->parts[i];
        if (p->have_offset)
            continue;
        if (rc == 0 && p->leader < 0)
            snprintf(errstr, errsz, "partition [%s,%d] has no leader", p->topic, p->partition);
        else if (rc == 0 && broker_index(rv, p->leader) < 0)
            snprintf(errstr, errsz, "partition [%s,%d]: its leader, broker %d, is not alive",
                     p->topic, p->partition, p->leader);
        rc = -1;
    }
    return rc;
}

/* Keeps broker bi's answer for the replicas it hosts. */
static void take_fetch(struct rv *rv, int bi, const struct proto_FetchResponse *r)
{
    int32_t id = rv->brokers[bi].id;
    for (int32_t t = 0; t < r->responses_count; t++)
        for (int32_t q = 0; q < r->responses[t].partition_responses_count; q++) {
            const struct proto_FetchablePartitionResponse *pr =
                &r->responses[t].partition_responses[q];
            for (int i = 0; i < rv->nparts; i++) {
                struct rv_part *p = &rv->parts[i];
                if (p->partition != pr->partition || !proto_str_eq(r->responses[t].topic, p->topic))
                    continue;
                for (int k = 0; k < p->nrep; k++) {
                    struct rv_replica *rep = &p->rep[k];
                    if (rep->broker != id)
                        continue;
                    rep->error = pr->error_code;
                    rep->hw = pr->high_watermark;
                    const struct proto_records *rs = &pr->record_set;
                    size_t len =
                        rs->kind == PROTO_RECORDS_MEM && rs->mem.len > 0 ? (size_t)rs->mem.len : 0;
                    rep->records = len ? malloc(len) : NULL;
                    if (len && !rep->records) {
                        snprintf(rv->brokers[bi].error, sizeof(rv->brokers[bi].error),
                                 "out of memory");
                        continue;
                    }
                    if (len)
                        memcpy(rep->records, rs->mem.ptr, len);
                    rep->len = len;
                    rep->fetched = pr->error_code == 0;
                }
            }
        }
}

/* Sends one Fetch to broker bi for every wanted partition it hosts.
 * Returns true if one was sent: its answer is then read into x. */
static bool fetch_send(struct rv *rv, int bi, const bool *want, struct kcall *x)
{
    bool sent = false;
    struct rv_broker *b = &rv->brokers[bi];
    int32_t n = 0;
    for (int i = 0; i < rv->nparts; i++)
        for (int k = 0; want[i] && k < rv->parts[i].nrep; k++)
            n += rv->parts[i].rep[k].bi == bi;
    if (!n)
        return false;
    struct proto_FetchTopic *topics = calloc((size_t)n, sizeof(*topics));
    struct proto_FetchPartition *fp = calloc((size_t)n, sizeof(*fp));
    if (!topics || !fp) {
        snprintf(b->error, sizeof(b->error), "out of memory");
        goto out;
    }
    int32_t k = 0;
    for (int i = 0; i < rv->nparts; i++)
        for (int j = 0; want[i] && j < rv->parts[i].nrep; j++) {
            const struct rv_part *p = &rv->parts[i];
            if (p->rep[j].bi != bi)
                continue;
            fp[k] = (struct proto_FetchPartition){.partition = p->partition,
                                                  .current_leader_epoch = -1,
                                                  .fetch_offset = p->offset,
                                                  .log_start_offset = -1,
                                                  .partition_max_bytes = rv->o.fetch_size};
            topics[k] = (struct proto_FetchTopic){
                .topic = proto_str_cstr(p->topic), .partitions = &fp[k], .partitions_count = 1};
            k++;
        }
    struct proto_FetchRequest req = {.replica_id = DEBUGGING_CONSUMER_ID,
                                     .max_wait_ms = rv->o.max_wait_ms,
                                     .min_bytes = 1,
                                     .max_bytes = rv->o.fetch_size,
                                     .session_epoch = -1,
                                     .topics = topics,
                                     .topics_count = n,
                                     .rack_id = proto_str_cstr("")};
    sent = kcall_send(x, proto_encode_FetchRequest(&x->o, FETCH_VERSION, &req), &b->conn,
                     PROTO_API_FETCH, FETCH_VERSION, b->error, sizeof(b->error)) == 0;
out:
    free(topics);
    free(fp);
    return sent;
}

/* Reads broker bi's answer to the Fetch in x. */
static void fetch_recv(struct rv *rv, int bi, struct kcall *x)
{
    struct rv_broker *b = &rv->brokers[bi];
    struct proto_FetchResponse r;
    if (kcall_recv(x, &b->conn, proto_decode_FetchResponse, &r, b->error, sizeof(b->error)))
        return;
    if (r.error_code)
        snprintf(b->error, sizeof(b->error), "Fetch answered %s", proto_error_name(r.error_code));
    else
        take_fetch(rv, bi, &r);
}

void rv_fetch_round(struct rv *rv, const bool *want)
{
    for (int i = 0; i < rv->nparts; i++)
        for (int k = 0; k < rv->parts[i].nrep; k++) {
            struct rv_replica *rep = &rv->parts[i].rep[k];
            free(rep->records);
            rep->records = NULL;
            rep->len = 0;
            rep->fetched = false;
            rep->error = 0;
        }
    /* Every broker's fetch first, then the answers: the brokers wait for
     * data (max_wait_ms) at the same time, as Kafka's tool, with a
     * fetcher thread per broker, has them do. */
    struct kcall *x = calloc((size_t)rv->nbrokers + 1, sizeof(*x));
    bool *sent = calloc((size_t)rv->nbrokers + 1, sizeof(*sent));
    for (int bi = 0; bi < rv->nbrokers; bi++) {
        struct rv_broker *b = &rv->brokers[bi];
        b->error[0] = '\0';
        if (!x || !sent) {
            snprintf(b->error, sizeof(b->error), "out of memory");
            continue;
        }
        kcall_init(&x[bi]);
        sent[bi] = fetch_send(rv, bi, want, &x[bi]);
    }
    for (int bi = 0; x && sent && bi < rv->nbrokers; bi++) {
        if (sent[bi])
            fetch_recv(rv, bi, &x[bi]);
        kcall_destroy(&x[bi]);
    }
    free(x);
    free(sent);
}
