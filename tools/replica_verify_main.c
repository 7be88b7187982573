/*
 * gregor-replica-verification's command line, run loop and reports (see
 * replica_verify.h for the tool and docs/REPLICA-VERIFICATION.md for its
 * use).
 *
 * The loop is Kafka's: fetch every wanted partition from every replica,
 * compare what all replicas returned, advance past what they agree on,
 * repeat. Without --once it runs until stopped and prints the largest lag
 * between a partition's verified offset and its high watermark every
 * --report-interval-ms, as Kafka's tool does. With --once it stops when
 * every partition is verified up to the high watermark its leader had at
 * the start (exit 0), at the first disagreement (exit 1), or when
 * --timeout-ms passes first (exit 3, saying which replicas held it back).
 * Unlike Kafka's tool, which reports a checksum mismatch and carries on,
 * this one stops at any disagreement: a replica that differs needs a
 * person either way, and a test needs the exit status.
 */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/proto/proto_errors.h"
#include "common/clock.h"
#include "tools/replica_verify.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Validate that all replicas for a set of topics have the same data.\n"
            "Usage: %s --broker-list host:port[,host:port...] [options]\n"
            "  --broker-list <hosts>        REQUIRED: brokers to read the metadata from.\n"
            "  --topic-white-list <regex>   Topics to verify (the whole name must match, POSIX\n"
            "                               extended regex). Default: all topics.\n"
            "  --topics-include <regex>     The same as --topic-white-list.\n"
            "  --fetch-size <bytes>         Bytes per fetch and partition. Default: 52428800.\n"
            "  --max-wait-ms <ms>           How long each fetch waits for data. Default: 1000\n"
            "                               (0 with --once).\n"
            "  --time <ms>                  Where to start: -1 the high watermark (latest),\n"
            "                               -2 the earliest offset, else a timestamp in ms.\n"
            "                               Default: -1, and -2 with --once.\n"
            "  --report-interval-ms <ms>    How often to print the max lag. Default: 30000.\n"
            "  --once                       Verify up to each partition's high watermark (as\n"
            "                               its leader had it at the start), then exit: 0 if\n"
            "                               every replica agrees, 1 if they differ, 3 if it\n"
            "                               could not finish within --timeout-ms.\n"
            "  --timeout-ms <ms>            Time --once may take. Default: 60000.\n"
            "  --help                       This text.\n",
            RV_TOOL);
}

static int bad(const char *fmt, const char *name, const char *value)
{
    fprintf(stderr, "%s: ", RV_TOOL);
    fprintf(stderr, fmt, name, value);
    fprintf(stderr, "\n");
    return RV_EXIT_USAGE;
}

/* Parses a number option's value into *v within [lo, hi]. */
static int number(const char *name, const char *value, int64_t lo, int64_t hi, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(value, &end, 10);
    if (errno || end == value || *end || x < lo || x > hi)
        return bad("invalid value for --%s: '%s'", name, value);
    *v = x;
    return 0;
}

static int parse(int argc, char **argv, struct rv_opts *o)
{
    bool time_given = false, wait_given = false;
    int64_t v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2))
            return bad("unexpected argument %s%s", a, "");
        char name[64];
        const char *eq = strchr(a + 2, '='), *value = NULL;
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (n >= sizeof(name))
            return bad("unknown option %s%s", a, "");
        memcpy(name, a + 2, n);
        name[n] = '\0';
        if (!strcmp(name, "help")) {
            usage(stdout);
            exit(RV_EXIT_OK);
        }
        if (!strcmp(name, "once")) {
            if (eq)
                return bad("--%s takes no value (got '%s')", name, eq + 1);
            o->once = true;
            continue;
        }
        static const char *const with_value[] = {
            "broker-list", "topic-white-list",   "topics-include", "fetch-size", "max-wait-ms",
            "time",        "report-interval-ms", "timeout-ms"};
        bool known = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            known |= !strcmp(name, with_value[k]);
        if (!known)
            return bad("unknown option --%s%s", name, "");
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return bad("option --%s requires a value%s", name, "");
        int rc = 0;
        if (!strcmp(name, "broker-list")) {
            free(o->broker_list);
            o->broker_list = strdup(value);
        } else if (!strcmp(name, "topic-white-list") || !strcmp(name, "topics-include")) {
            free(o->topic_regex);
            o->topic_regex = strdup(value);
        } else if (!strcmp(name, "fetch-size")) {
            if (!(rc = number(name, value, 1024, 256 << 20, &v)))
                o->fetch_size = (int32_t)v;
        } else if (!strcmp(name, "max-wait-ms")) {
            if (!(rc = number(name, value, 0, INT32_MAX, &v)))
                o->max_wait_ms = (int32_t)v, wait_given = true;
        } else if (!strcmp(name, "time")) {
            if (!(rc = number(name, value, -2, INT64_MAX, &v)))
                o->initial_time = v, time_given = true;
        } else if (!strcmp(name, "report-interval-ms")) {
            if (!(rc = number(name, value, 1, INT64_MAX / 2, &v)))
                o->report_ms = v;
        } else if (!strcmp(name, "timeout-ms")) {
            if (!(rc = number(name, value, 1, INT64_MAX / 2, &v)))
                o->timeout_ms = v;
        }
        if (rc)
            return rc;
    }
    if (!o->broker_list || !*o->broker_list) {
        usage(stderr);
        return bad("missing required argument --%s%s", "broker-list", "");
    }
    char *list = strdup(o->broker_list), *save = NULL;
    for (char *ep = list ? strtok_r(list, ",", &save) : NULL; ep; ep = strtok_r(NULL, ",", &save)) {
        char host[256];
        int port;
        if (kconn_parse_endpoint(ep, host, sizeof(host), &port)) {
            int rc = bad("invalid value for --broker-list: '%s' is not host:port%s", ep, "");
            free(list);
            return rc;
        }
    }
    free(list);
    if (o->topic_regex) {
        regex_t re;
        if (regcomp(&re, o->topic_regex, REG_EXTENDED | REG_NOSUB))
            return bad("%s is an invalid regex.%s", o->topic_regex, "");
        regfree(&re);
    }
    if (o->once && !time_given)
        o->initial_time = -2;
    if (o->once && !wait_given)
        o->max_wait_ms = 0; /* each round answers at once; the loop paces itself */
    return 0;
}

/* Says why partition p is not verified up to its target (--once). */
static void explain(const struct rv *rv, const struct rv_part *p)
{
    printf("partition [%s,%d] is verified up to offset %" PRId64 " of %" PRId64 ":", p->topic,
           p->partition, p->offset, p->target);
    for (int k = 0; k < p->nrep; k++) {
        const struct rv_replica *r = &p->rep[k];
        if (r->bi < 0)
            printf(" broker %d is not alive;", r->broker);
        else if (rv->brokers[r->bi].error[0])
            printf(" broker %d: %s;", r->broker, rv->brokers[r->bi].error);
        else if (r->error)
            printf(" broker %d answered %s;", r->broker, proto_error_name(r->error));
        else if (r->hw < p->target)
            printf(" broker %d's high watermark is %" PRId64 ";", r->broker, r->hw);
    }
    printf("\n");
}

/* The largest lag of the last round, as Kafka's tool reports it. */
struct lag {
    int64_t lag;             /* high watermark minus verified offset, -1 none yet */
    int64_t offset;          /* the verified offset of that partition */
    const struct rv_part *p; /* which partition */
};

static void report(const struct rv *rv, const struct lag *l)
{
    char ts[32];
    rv_time_string(ts, sizeof(ts));
    if (l->p)
        printf("%s: max lag is %" PRId64 " for partition [%s,%d] at offset %" PRId64
               " among %d partitions\n",
               ts, l->lag, l->p->topic, l->p->partition, l->offset, rv->nparts);
    else
        printf("%s: max lag is -1 for partition null at offset -1 among %d partitions\n", ts,
               rv->nparts);
    fflush(stdout);
}

/* One round: fetch, compare, note the lag. Returns false on a mismatch;
 * *progress says whether any partition moved. */
static bool round_once(struct rv *rv, bool *want, struct lag *l, bool *progress)
{
    *progress = false;
    for (int i = 0; i < rv->nparts; i++)
        want[i] = !rv->o.once || rv->parts[i].offset < rv->parts[i].target;
    rv_fetch_round(rv, want);
    for (int i = 0; i < rv->nparts; i++) {
        struct rv_part *p = &rv->parts[i];
        bool all = want[i] && p->nrep > 0;
        int64_t max_hw = -1;
        for (int k = 0; all && k < p->nrep; k++) {
            all = p->rep[k].fetched;
            if (p->rep[k].hw > max_hw)
                max_hw = p->rep[k].hw;
        }
        if (!all) /* a replica is down or behind: verify it later, as Kafka's tool does */
            continue;
        int64_t before = p->offset;
        if (!rv_check_partition(p))
            return false;
        *progress |= p->offset != before;
        if (max_hw - p->offset > l->lag) {
            l->lag = max_hw - p->offset;
            l->offset = p->offset;
            l->p = p;
        }
    }
    return true;
}

static bool all_done(const struct rv *rv)
{
    for (int i = 0; i < rv->nparts; i++)
        if (rv->parts[i].offset < rv->parts[i].target)
            return false;
    return true;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void forget_cluster(struct rv *rv)
{
    for (int i = 0; i < rv->nparts; i++) {
        for (int k = 0; k < rv->parts[i].nrep; k++)
            free(rv->parts[i].rep[k].records);
        free(rv->parts[i].rep);
        free(rv->parts[i].topic);
    }
    free(rv->parts);
    rv->parts = NULL;
    rv->nparts = 0;
    for (int i = 0; i < rv->nbrokers; i++)
        kconn_close(&rv->brokers[i].conn);
    free(rv->brokers);
    rv->brokers = NULL;
    rv->nbrokers = 0;
}

/* Reads the metadata and the start offsets, reading the metadata again
 * while a leader cannot answer (a leader may have just moved), until
 * deadline (ms, monotonic). Returns 0 or an exit status. */
static int start(struct rv *rv, int64_t deadline)
{
    char err[512];
    for (;;) {
        if (rv_fetch_metadata(rv, err, sizeof(err)) == 0) {
            if (rv->nparts == 0) {
                fprintf(stderr,
                        "%s: No topics found. --topic-white-list, if specified, is either "
                        "filtering out all topics or there is no topic.\n",
                        RV_TOOL);
                return RV_EXIT_INCOMPLETE;
            }
            if (rv_fetch_offsets(rv, err, sizeof(err)) == 0)
                return 0;
        }
        if (clock_mono_us() / 1000 > deadline) {
            fprintf(stderr, "%s: cannot read the metadata and start offsets: %s\n", RV_TOOL, err);
            return RV_EXIT_INCOMPLETE;
        }
        forget_cluster(rv);
        pause_ms(200);
    }
}

static int run(struct rv *rv)
{
    int64_t deadline = clock_mono_us() / 1000 + rv->o.timeout_ms;
    int rc = start(rv, deadline);
    if (rc)
        return rc;
    char ts[32];
    rv_time_string(ts, sizeof(ts));
    printf("%s: verification process is started.\n", ts);
    fflush(stdout);
    bool *want = calloc((size_t)rv->nparts, sizeof(*want));
    if (!want) {
        fprintf(stderr, "%s: out of memory\n", RV_TOOL);
        return RV_EXIT_INCOMPLETE;
    }
    int64_t last_report = clock_mono_us() / 1000;
    int status = RV_EXIT_OK;
    for (;;) {
        if (rv->o.once && all_done(rv))
            break;
        struct lag l = {-1, -1, NULL};
        bool progress;
        if (!round_once(rv, want, &l, &progress)) {
            status = RV_EXIT_MISMATCH;
            break;
        }
        int64_t now = clock_mono_us() / 1000;
        if (!rv->o.once && now - last_report > rv->o.report_ms) {
            report(rv, &l);
            last_report = now;
        }
        if (rv->o.once && now > deadline && !all_done(rv)) {
            printf("%s: could not verify every partition within %" PRId64 " ms\n", RV_TOOL,
                   rv->o.timeout_ms);
            for (int i = 0; i < rv->nparts; i++)
                if (rv->parts[i].offset < rv->parts[i].target)
                    explain(rv, &rv->parts[i]);
            status = RV_EXIT_INCOMPLETE;
            break;
        }
        if (!progress)
            pause_ms(100);
    }
    if (status == RV_EXIT_OK) {
        rv_time_string(ts, sizeof(ts));
        printf("%s: all replicas agree on %d partitions up to their high watermarks\n", ts,
               rv->nparts);
    } else if (status == RV_EXIT_MISMATCH) {
        printf("%s: replicas differ\n", RV_TOOL);
    }
    free(want);
    return status;
}

static void rv_free(struct rv *rv)
{
    forget_cluster(rv);
    free(rv->o.broker_list);
    free(rv->o.topic_regex);
}

int main(int argc, char **argv)
{
    struct rv rv = {.o = {.fetch_size = 50 << 20,
                          .max_wait_ms = 1000,
                          .initial_time = -1,
                          .report_ms = 30000,
                          .timeout_ms = 60000,
                          .socket_timeout_ms = 30000}};
    if (argc < 2) {
        usage(stderr);
        return RV_EXIT_USAGE;
    }
    int rc = parse(argc, argv, &rv.o);
    if (!rc)
        rc = run(&rv);
    fflush(stdout);
    rv_free(&rv);
    return rc;
}
