/*
 * gregor-leader-election: Kafka's kafka-leader-election.sh
 * (LeaderElectionCommand) on ElectLeaders v1.
 *
 *   gregor-leader-election --bootstrap-server host:port[,...]
 *       --election-type preferred|unclean
 *       (--all-topic-partitions | --topic T --partition P | --path-to-json-file F)
 *
 * It reads the controller's id from Metadata, sends it one ElectLeaders
 * (the partitions named, or null for all of them, with a 30 s timeout as
 * Kafka's tool uses) and prints Kafka's lines: "Successfully completed
 * leader election (PREFERRED) for partitions t-0, t-1", "Valid replica
 * already elected for partitions ..." and, per failure, "Error completing
 * leader election (PREFERRED) for partition: t-0: <exception>: <message>".
 * A controller that moved (NOT_CONTROLLER) is looked up again, up to five
 * times. Exit status: 0, 1 when any partition could not be elected or the
 * cluster could not be asked, 2 for a usage error (Kafka's tool exits 1
 * for all of them; docs/KAFKA-COMPAT.md §6).
 *
 * librdkafka 2.0 (Debian 12) has no ElectLeaders, so this is a small
 * client of its own on broker/proto's codecs (tools/kconn.h).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "tools/cli_opts.h"
#include "tools/kconn.h"

#define TOOL "gregor-leader-election"
#define TIMEOUT_MS 30000
#define METADATA_VERSION 1
#define ELECT_VERSION 1
#define NOT_CONTROLLER_TRIES 5

struct tp_arg {
    char *topic;        /* owned */
    int32_t partition;
};

struct opts {
    const char *bootstrap;
    int type;            /* 0 preferred, 1 unclean, -1 unset */
    bool all;
    const char *topic;
    const char *partition;
    const char *json;
    struct tp_arg *tps;  /* owned; NULL with all */
    int ntps;
};

static void usage(FILE *f)
{
    fprintf(f,
            "This tool attempts to elect a new leader from a set of topic partitions. The type "
            "of elections supported are preferred replicas and unclean replicas.\n"
            "Usage: %s --bootstrap-server <host:port> --election-type <preferred|unclean>\n"
            "       (--all-topic-partitions | --topic <name> --partition <id> |\n"
            "        --path-to-json-file <file>)\n"
            "  --bootstrap-server <host:port>  REQUIRED: brokers to connect to (comma-separated).\n"
            "  --election-type <type>          REQUIRED: \"preferred\" or \"unclean\".\n"
            "  --all-topic-partitions          Elect on every partition.\n"
            "  --topic <name>                  The topic (needs --partition).\n"
            "  --partition <id>                The partition of --topic.\n"
            "  --path-to-json-file <file>      {\"partitions\": [{\"topic\": \"foo\", "
            "\"partition\": 1}, ...]}\n"
            "  --help                          This text.\n",
            TOOL);
}

static int usage_error(const char *fmt, const char *arg)
{
    return cli_hand_usage_error(TOOL, usage, fmt, arg);
}

static int add_tp(struct opts *o, const char *topic, int32_t partition)
{
    for (int i = 0; i < o->ntps; i++)
        if (o->tps[i].partition == partition && !strcmp(o->tps[i].topic, topic)) {
            fprintf(stderr, "%s: Replica election data contains duplicate partitions: %s-%d\n",
                    TOOL, topic, partition);
            return 1;
        }
    struct tp_arg *n = realloc(o->tps, (size_t)(o->ntps + 1) * sizeof(*n));
    if (!n || !(topic = strdup(topic))) {
        fprintf(stderr, "%s: out of memory\n", TOOL);
        return 1;
    }
    o->tps = n;
    o->tps[o->ntps++] = (struct tp_arg){(char *)topic, partition};
    return 0;
}

/* Kafka's parseReplicaElectionData. */
static int read_json(struct opts *o)
{
    char *text, err[512];
    if (fs_read_text(o->json, &text, 256 << 20, err, sizeof(err))) {
        fprintf(stderr, "%s: %s\n", TOOL, err);
        return 1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    int rc = 1;
    const cJSON *parts = root ? cJSON_GetObjectItemCaseSensitive(root, "partitions") : NULL;
    if (!root) {
        fprintf(stderr, "%s: Replica election data is empty or not JSON (%s)\n", TOOL, o->json);
    } else if (!cJSON_IsArray(parts)) {
        fprintf(stderr, "%s: Replica election data is missing \"partitions\" field (%s)\n", TOOL,
                o->json);
    } else {
        rc = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, parts)
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "topic");
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(p, "partition");
            if (!cJSON_IsString(t) || !cJSON_IsNumber(n) || n->valuedouble < 0 ||
                n->valuedouble > 2147483647.0 || n->valuedouble != (double)(int32_t)n->valuedouble) {
                fprintf(stderr, "%s: %s: each entry needs \"topic\" (a string) and \"partition\" "
                                "(a partition number)\n",
                        TOOL, o->json);
                rc = 1;
                break;
            }
            if ((rc = add_tp(o, t->valuestring, (int32_t)n->valuedouble)))
                break;
        }
    }
    cJSON_Delete(root);
    return rc;
}

static int parse(int argc, char **argv, struct opts *o)
{
    o->type = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--all-topic-partitions")) {
            o->all = true;
            continue;
        }
        const char **dst = !strcmp(a, "--bootstrap-server")    ? &o->bootstrap
                           : !strcmp(a, "--topic")              ? &o->topic
                           : !strcmp(a, "--partition")          ? &o->partition
                           : !strcmp(a, "--path-to-json-file")  ? &o->json
                                                                : NULL;
        const char *type = NULL;
        if (!dst && strcmp(a, "--election-type"))
            return usage_error("unknown option \"%s\"", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        if (dst)
            *dst = argv[++i];
        else
            type = argv[++i];
        if (type) {
            if (!strcasecmp(type, "preferred"))
                o->type = 0;
            else if (!strcasecmp(type, "unclean"))
                o->type = 1;
            else
                return usage_error("--election-type must be preferred or unclean, not \"%s\"",
                                   type);
        }
    }
    if (!o->bootstrap)
        return usage_error("%s", "Missing required argument \"[bootstrap-server]\"");
    if (o->type < 0)
        return usage_error("%s", "Missing required argument \"[election-type]\"");
    int ways = o->all + (o->topic != NULL) + (o->json != NULL);
    if (ways != 1)
        return usage_error("%s", "exactly one of --all-topic-partitions, --topic (with "
                                 "--partition) and --path-to-json-file is required");
    if (o->partition && !o->topic)
        return usage_error("%s", "--partition needs --topic");
    if (o->topic) {
        if (!o->partition)
            return usage_error("%s", "Missing required argument \"[partition]\" (--topic needs it)");
        char *end;
        errno = 0;
        long p = strtol(o->partition, &end, 10);
        if (errno || end == o->partition || *end || p < 0 || p > 2147483647L)
            return usage_error("--partition must be a partition number, not \"%s\"", o->partition);
        return add_tp(o, o->topic, (int32_t)p) ? 1 : 0;
    }
    if (o->json)
        return read_json(o);
    return 0;
}

/* The controller's endpoint, from the first bootstrap broker that answers
 * Metadata v1. Returns 0 or -1 with errstr. */
static int find_controller(const char *bootstrap, char *host, size_t hn, int *port, char *errstr,
                           size_t errsz)
{
    struct kcall x;
    kcall_init(&x);
    struct proto_MetadataResponse m;
    int rc = kcall_bootstrap_metadata(&x, bootstrap, TOOL, TIMEOUT_MS, METADATA_VERSION, false, &m,
                                      errstr, errsz);
    if (!rc) {
        rc = -1;
        snprintf(errstr, errsz, "the cluster has no controller right now");
        for (int32_t i = 0; i < m.brokers_count; i++)
            if (m.brokers[i].node_id == m.controller_id && (size_t)m.brokers[i].host.len < hn) {
                memcpy(host, m.brokers[i].host.ptr, (size_t)m.brokers[i].host.len);
                host[m.brokers[i].host.len] = '\0';
                *port = m.brokers[i].port;
                rc = 0;
            }
    }
    kcall_destroy(&x);
    return rc;
}

/* Kafka's exception for an ElectLeaders error code, as the tool prints it. */
static const char *exception(int16_t code)
{
    switch (code) {
    case PROTO_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
        return "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException";
    case PROTO_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
        return "org.apache.kafka.common.errors.EligibleLeadersNotAvailableException";
    case PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";
    case PROTO_ERR_REQUEST_TIMED_OUT:
        return "org.apache.kafka.common.errors.TimeoutException";
    case PROTO_ERR_NOT_CONTROLLER:
        return "org.apache.kafka.common.errors.NotControllerException";
    case PROTO_ERR_INVALID_REQUEST:
        return "org.apache.kafka.common.errors.InvalidRequestException";
    default:
        return proto_error_name(code);
    }
}

/* Appends "t-p" to a ", "-separated list in buf. */
static void list_add(char **buf, size_t *len, const struct proto_str *t, int32_t p)
{
    char item[400];
    int n = snprintf(item, sizeof(item), "%s%.*s-%d", *len ? ", " : "", (int)t->len, t->ptr, p);
    char *nb = realloc(*buf, *len + (size_t)n + 1);
    if (!nb)
        return;
    memcpy(nb + *len, item, (size_t)n + 1);
    *buf = nb;
    *len += (size_t)n;
}

/* Sends one ElectLeaders to host:port and prints its results. Returns 0
 * (all elected or not needed), 1 (some failed), 3 (NOT_CONTROLLER: ask the
 * new controller) or -1 with errstr. */
static int elect(const struct opts *o, const char *host, int port, char *errstr, size_t errsz)
{
    const char *type = o->type ? "UNCLEAN" : "PREFERRED";
    struct proto_ElectTopicPartitions *tps = NULL;
    int32_t *ids = NULL;
    int ntopics = 0;
    if (!o->all) {
        tps = calloc((size_t)o->ntps + 1, sizeof(*tps));
        ids = calloc((size_t)o->ntps + 1, sizeof(*ids));
        if (!tps || !ids) {
            free(tps);
            free(ids);
            return snprintf(errstr, errsz, "out of memory"), -1;
        }
        /* One entry per partition: the broker answers in the same order. */
        for (int i = 0; i < o->ntps; i++) {
            ids[i] = o->tps[i].partition;
            tps[ntopics++] = (struct proto_ElectTopicPartitions){
                .topic = proto_str_cstr(o->tps[i].topic), .partition_id_count = 1,
                .partition_id = &ids[i]};
        }
    }
    struct proto_ElectLeadersRequest req = {.election_type = (int8_t)o->type,
                                            .topic_partitions_count = o->all ? -1 : ntopics,
                                            .topic_partitions = tps,
                                            .timeout_ms = TIMEOUT_MS};
    struct kconn c;
    kconn_init(&c, host, port, TOOL, TIMEOUT_MS + 10000, 64u << 20);
    struct kcall x;
    kcall_init(&x);
    struct proto_ElectLeadersResponse r;
    int rc = kcall_run(&x, proto_encode_ElectLeadersRequest(&x.o, ELECT_VERSION, &req), &c,
                       PROTO_API_ELECT_LEADERS, ELECT_VERSION, proto_decode_ElectLeadersResponse,
                       &r, errstr, errsz);
    free(tps);
    free(ids);
    if (!rc && r.error_code) {
        snprintf(errstr, errsz, "%s: %s", exception(r.error_code), proto_error_name(r.error_code));
        rc = r.error_code == PROTO_ERR_NOT_CONTROLLER ? 3 : -1;
    }
    char *ok = NULL, *noop = NULL;
    size_t okn = 0, noopn = 0;
    int failed = 0;
    for (int32_t t = 0; !rc && t < r.replica_election_results_count; t++) {
        const struct proto_ReplicaElectionResult *e = &r.replica_election_results[t];
        for (int32_t k = 0; k < e->partition_result_count; k++) {
            const struct proto_ElectPartitionResult *p = &e->partition_result[k];
            if (p->error_code == PROTO_ERR_NOT_CONTROLLER)
                rc = 3;
            else if (!p->error_code)
                list_add(&ok, &okn, &e->topic, p->partition_id);
            else if (p->error_code == PROTO_ERR_ELECTION_NOT_NEEDED)
                list_add(&noop, &noopn, &e->topic, p->partition_id);
        }
    }
    if (!rc) {
        if (ok)
            printf("Successfully completed leader election (%s) for partitions %s\n", type, ok);
        if (noop)
            printf("Valid replica already elected for partitions %s\n", noop);
        for (int32_t t = 0; t < r.replica_election_results_count; t++) {
            const struct proto_ReplicaElectionResult *e = &r.replica_election_results[t];
            for (int32_t k = 0; k < e->partition_result_count; k++) {
                const struct proto_ElectPartitionResult *p = &e->partition_result[k];
                if (!p->error_code || p->error_code == PROTO_ERR_ELECTION_NOT_NEEDED)
                    continue;
                failed++;
                printf("Error completing leader election (%s) for partition: %.*s-%d: %s: %.*s\n",
                       type, (int)e->topic.len, e->topic.ptr, p->partition_id,
                       exception(p->error_code),
                       (int)(p->error_message.ptr ? p->error_message.len : 0),
                       p->error_message.ptr ? p->error_message.ptr : "");
            }
        }
        if (failed) {
            snprintf(errstr, errsz, "%d replica(s) could not be elected", failed);
            rc = 1;
        }
    }
    free(ok);
    free(noop);
    kcall_destroy(&x);
    kconn_close(&c);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    char errstr[512], host[256];
    int port;
    rc = -1;
    for (int tries = 0; tries < NOT_CONTROLLER_TRIES; tries++) {
        if (tries)
            usleep(500 * 1000); /* the new controller is being elected */
        if (find_controller(o.bootstrap, host, sizeof(host), &port, errstr, sizeof(errstr)))
            continue;
        rc = elect(&o, host, port, errstr, sizeof(errstr));
        if (rc != 3)
            break;
    }
    for (int i = 0; i < o.ntps; i++)
        free(o.tps[i].topic);
    free(o.tps);
    if (rc == 0)
        return 0;
    if (rc == 3)
        snprintf(errstr, sizeof(errstr), "the controller kept moving (NOT_CONTROLLER %d times)",
                 NOT_CONTROLLER_TRIES);
    fprintf(stderr, "Error: %s\n", errstr);
    return 1;
}
