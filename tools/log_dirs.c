/*
 * gregor-log-dirs: Kafka's kafka-log-dirs.sh --describe (LogDirsCommand).
 *
 *   gregor-log-dirs --describe --bootstrap-server host:port[,...]
 *       [--broker-list 0,1,2] [--topic-list t1,t2]
 *
 * Reads the brokers from Metadata (all of them without --broker-list),
 * sends each one DescribeLogDirs v1 for every partition, keeps the topics
 * of --topic-list (all without it) and prints Kafka's three lines: "Querying
 * brokers for log directories information", "Received log directory
 * information from brokers 0,1,2" and one line of JSON:
 * {"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":"/d","error":null,
 * "partitions":[{"partition":"t-0","size":123,"offsetLag":0,"isFuture":false}]}]}]}
 * ("error" is the Java exception's class name when a directory has one).
 * Exit status: 0; 1 when a broker cannot be asked or is not in the
 * cluster; 2 for a usage error.
 *
 * librdkafka 2.0 has no DescribeLogDirs, so this speaks the protocol
 * through tools/kconn.h.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "tools/cli_opts.h"
#include "tools/kconn.h"

#define TOOL "gregor-log-dirs"
#define CLIENT_ID "log-dirs-tool" /* Kafka's tool's client.id */
#define TIMEOUT_MS 30000
#define METADATA_VERSION 1
#define LOG_DIRS_VERSION 1
#define MAX_BROKERS 1024

struct broker_ep {
    int32_t id;
    char host[256];
    int port;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Describe the log directories of brokers.\n"
            "Usage: %s --describe --bootstrap-server <host:port> [--broker-list <0,1,2>]\n"
            "       [--topic-list <t1,t2>]\n"
            "  --bootstrap-server <host:port>  REQUIRED: the server(s) to use for bootstrapping.\n"
            "  --describe                      REQUIRED: describe the log directories.\n"
            "  --broker-list <ids>             Brokers to query (comma-separated). Default: all.\n"
            "  --topic-list <topics>           Topics to show (comma-separated). Default: all.\n"
            "  --help                          This text.\n",
            TOOL);
}

static int usage_error(const char *fmt, const char *arg)
{
    return cli_hand_usage_error(TOOL, usage, fmt, arg);
}

/* Whether name is one of the comma-separated list's entries (every name
 * when list is NULL or has none). */
static bool listed(const char *list, const char *name, size_t len)
{
    if (!list)
        return true;
    bool any = false;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n) {
            any = true;
            if (n == len && !memcmp(p, name, n))
                return true;
        }
        p += n + (end != NULL);
    }
    return !any;
}

/* Every live broker, from the first bootstrap broker that answers. */
static int read_brokers(const char *bootstrap, struct broker_ep *out, int *n, char *errstr,
                        size_t errsz)
{
    struct kcall x;
    kcall_init(&x);
    struct proto_MetadataResponse m;
    int rc = kcall_bootstrap_metadata(&x, bootstrap, CLIENT_ID, TIMEOUT_MS, METADATA_VERSION,
                                      false, &m, errstr, errsz);
    *n = 0;
    for (int32_t i = 0; !rc && i < m.brokers_count && *n < MAX_BROKERS; i++) {
        const struct proto_MetadataResponseBroker *b = &m.brokers[i];
        if ((size_t)b->host.len >= sizeof(out->host))
            continue;
        struct broker_ep *e = &out[(*n)++];
        e->id = b->node_id;
        memcpy(e->host, b->host.ptr, (size_t)b->host.len);
        e->host[b->host.len] = '\0';
        e->port = b->port;
    }
    kcall_destroy(&x);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    int32_t x = ((const struct broker_ep *)a)->id, y = ((const struct broker_ep *)b)->id;
    return (x > y) - (x < y);
}

/* Kafka's exception class for a log dir's error code. */
static const char *exception(int16_t code)
{
    switch (code) {
    case PROTO_ERR_KAFKA_STORAGE_ERROR:
        return "org.apache.kafka.common.errors.KafkaStorageException";
    case PROTO_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return "org.apache.kafka.common.errors.ClusterAuthorizationException";
    default:
        return proto_error_name(code);
    }
}

/* Asks broker e for its log dirs and adds {"broker":..,"logDirs":[..]} to
 * brokers. Returns 0 or -1 with errstr. */
static int describe(const struct broker_ep *e, const char *topics, cJSON *brokers, char *errstr,
                    size_t errsz)
{
    struct kconn c;
    kconn_init(&c, e->host, e->port, CLIENT_ID, TIMEOUT_MS, 256u << 20);
    struct kcall x;
    kcall_init(&x);
    struct proto_DescribeLogDirsRequest req = {.topics_count = -1};
    struct proto_DescribeLogDirsResponse r;
    int rc = kcall_run(&x, proto_encode_DescribeLogDirsRequest(&x.o, LOG_DIRS_VERSION, &req), &c,
                       PROTO_API_DESCRIBE_LOG_DIRS, LOG_DIRS_VERSION,
                       proto_decode_DescribeLogDirsResponse, &r, errstr, errsz);
    cJSON *b = rc ? NULL : cJSON_CreateObject();
    cJSON *dirs = b ? cJSON_CreateArray() : NULL;
    if (b && dirs) {
        cJSON_AddNumberToObject(b, "broker", e->id);
        cJSON_AddItemToObject(b, "logDirs", dirs);
        cJSON_AddItemToArray(brokers, b);
    } else if (!rc) {
        cJSON_Delete(b);
        snprintf(errstr, errsz, "out of memory");
        rc = -1;
    }
    for (int32_t i = 0; !rc && i < r.results_count; i++) {
        const struct proto_DescribeLogDirsResult *d = &r.results[i];
        cJSON *dir = cJSON_CreateObject(), *parts = cJSON_CreateArray();
        char name[4096];
        snprintf(name, sizeof(name), "%.*s", (int)d->log_dir.len, d->log_dir.ptr);
        cJSON_AddStringToObject(dir, "logDir", name);
        if (d->error_code)
            cJSON_AddStringToObject(dir, "error", exception(d->error_code));
        else
            cJSON_AddNullToObject(dir, "error");
        for (int32_t t = 0; t < d->topics_count; t++) {
            const struct proto_DescribeLogDirsTopic *dt = &d->topics[t];
            if (!listed(topics, dt->name.ptr, (size_t)dt->name.len))
                continue;
            for (int32_t k = 0; k < dt->partitions_count; k++) {
                const struct proto_DescribeLogDirsPartition *p = &dt->partitions[k];
                cJSON *o = cJSON_CreateObject();
                snprintf(name, sizeof(name), "%.*s-%d", (int)dt->name.len, dt->name.ptr,
                         p->partition_index);
                cJSON_AddStringToObject(o, "partition", name);
                cJSON_AddNumberToObject(o, "size", (double)p->partition_size);
                cJSON_AddNumberToObject(o, "offsetLag", (double)p->offset_lag);
                cJSON_AddBoolToObject(o, "isFuture", p->is_future_key);
                cJSON_AddItemToArray(parts, o);
            }
        }
        cJSON_AddItemToObject(dir, "partitions", parts);
        cJSON_AddItemToArray(dirs, dir);
    }
    kcall_destroy(&x);
    kconn_close(&c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *broker_list = NULL, *topic_list = NULL;
    bool describe_opt = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--describe")) {
            describe_opt = true;
            continue;
        }
        const char **dst = !strcmp(a, "--bootstrap-server") ? &bootstrap
                           : !strcmp(a, "--broker-list")     ? &broker_list
                           : !strcmp(a, "--topic-list")      ? &topic_list
                                                             : NULL;
        if (!dst)
            return usage_error("unknown option \"%s\"", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        *dst = argv[++i];
    }
    if (!bootstrap)
        return usage_error("%s", "Missing required argument \"[bootstrap-server]\"");
    if (!describe_opt)
        return usage_error("%s", "Missing required argument \"[describe]\"");
    static struct broker_ep all[MAX_BROKERS], want[MAX_BROKERS];
    int nall = 0, nwant = 0;
    char errstr[512];
    if (broker_list) {
        /* Checked before asking anyone, as Kafka's tool parses it first. */
        for (const char *p = broker_list; *p;) {
            char *end;
            errno = 0;
            long id = strtol(p, &end, 10);
            if (errno || end == p || (*end && *end != ',') || id < 0 || id > 2147483647L)
                return usage_error("--broker-list must be broker ids like 0,1,2, not \"%s\"",
                                   broker_list);
            if (nwant < MAX_BROKERS)
                want[nwant++].id = (int32_t)id;
            p = *end ? end + 1 : end;
        }
    }
    if (read_brokers(bootstrap, all, &nall, errstr, sizeof(errstr))) {
        fprintf(stderr, "Error: %s\n", errstr);
        return 1;
    }
    qsort(all, (size_t)nall, sizeof(*all), by_id);
    if (!broker_list) {
        memcpy(want, all, (size_t)nall * sizeof(*all));
        nwant = nall;
    }
    for (int i = 0; i < nwant; i++) {
        int k = 0;
        while (k < nall && all[k].id != want[i].id)
            k++;
        if (k == nall) {
            fprintf(stderr, "Error: broker %d is not a live broker of the cluster\n", want[i].id);
            return 1;
        }
        want[i] = all[k];
    }
    printf("Querying brokers for log directories information\n");
    fflush(stdout);
    cJSON *root = cJSON_CreateObject(), *brokers = cJSON_CreateArray();
    if (!root || !brokers) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddItemToObject(root, "brokers", brokers);
    for (int i = 0; i < nwant; i++)
        if (describe(&want[i], topic_list, brokers, errstr, sizeof(errstr))) {
            fprintf(stderr, "Error: broker %d: %s\n", want[i].id, errstr);
            cJSON_Delete(root);
            return 1;
        }
    printf("Received log directory information from brokers ");
    for (int i = 0; i < nwant; i++)
        printf("%s%d", i ? "," : "", want[i].id);
    char *json = cJSON_PrintUnformatted(root);
    printf("\n%s\n", json ? json : "");
    cJSON_free(json);
    cJSON_Delete(root);
    return json ? 0 : 1;
}
