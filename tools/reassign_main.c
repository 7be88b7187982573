/*
 * gregor-reassign-partitions: Kafka 2.8's kafka-reassign-partitions, with
 * --bootstrap-server (AlterPartitionReassignments and
 * ListPartitionReassignments) or --zookeeper (/admin/reassign_partitions).
 *
 *   --generate --topics-to-move-json-file F --broker-list 0,1,2
 *   --execute --reassignment-json-file F [--throttle B/s] [--additional]
 *   --verify --reassignment-json-file F [--preserve-throttles]
 *   --cancel --reassignment-json-file F      (--bootstrap-server only)
 *   --list                                   (--bootstrap-server only)
 *
 * Output as Kafka's tool prints it: the current assignment as the JSON to
 * roll back with, "Successfully started partition reassignments for
 * t-0,t-1", "Reassignment of partition t-0 is complete." / "is still in
 * progress.", "Clearing broker-level throttles on brokers 0,1,2", and so
 * on. A throttle sets leader.replication.throttled.rate and
 * follower.replication.throttled.rate on every broker the moves touch and
 * the two throttled-replica lists on the moving topics (the replicas moves
 * copy from, and the ones they copy to); --verify removes them once every
 * move is done, as Kafka's does. Exit status 0; 1 when the cluster refuses
 * or cannot be asked ("Error: ..." on stderr); 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin_assign.h"
#include "tools/cli_opts.h"
#include "tools/reassign.h"

#define TOOL "gregor-reassign-partitions"

struct opts {
    const char *zookeeper, *bootstrap, *plan_file, *topics_file, *broker_list, *throttle_text;
    bool generate, execute, verify, cancel, list, additional, preserve;
    long long throttle; /* -1: none */
};

static void usage(FILE *f)
{
    fprintf(f,
            "This tool helps to move topic partitions between replicas.\n"
            "Usage: %s (--bootstrap-server <host:port> | --zookeeper <host:port>)\n"
            "       (--generate --topics-to-move-json-file <file> --broker-list <ids> |\n"
            "        --execute --reassignment-json-file <file> [--throttle <B/s>] "
            "[--additional] |\n"
            "        --verify --reassignment-json-file <file> [--preserve-throttles] |\n"
            "        --cancel --reassignment-json-file <file> | --list)\n"
            "  --bootstrap-server <hosts>      Brokers to connect to (comma-separated).\n"
            "  --zookeeper <connect>           Or the ZooKeeper connection string.\n"
            "  --generate                      Propose an assignment of the topics in\n"
            "                                  --topics-to-move-json-file over --broker-list.\n"
            "  --execute                       Start the moves in --reassignment-json-file.\n"
            "  --verify                        Say how far the moves are; remove the throttles\n"
            "                                  once all are done.\n"
            "  --cancel                        Stop the moves (replicas back as they were).\n"
            "  --list                          The reassignments under way.\n"
            "  --topics-to-move-json-file <f>  {\"topics\": [{\"topic\": \"foo\"}], \"version\":1}\n"
            "  --reassignment-json-file <f>    {\"partitions\": [{\"topic\": \"foo\", "
            "\"partition\": 0,\n"
            "                                  \"replicas\": [1,2]}], \"version\":1}\n"
            "  --broker-list <ids>             Brokers to spread over, e.g. \"0,1,2\".\n"
            "  --throttle <B/s>                Replication rate limit for the moves.\n"
            "  --additional                    Execute while other moves are under way.\n"
            "  --preserve-throttles            --verify leaves the throttles in place.\n"
            "  --disable-rack-aware            Accepted (gregor's assignment is rack-unaware).\n"
            "  --timeout <ms>                  Accepted (each request waits up to 30 s).\n"
            "  --help                          This text.\n",
            TOOL);
}

static int usage_error(const char *fmt, const char *arg)
{
    return cli_hand_usage_error(TOOL, usage, fmt, arg);
}

static int parse(int argc, char **argv, struct opts *o)
{
    o->throttle = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        bool *flag = !strcmp(a, "--generate")             ? &o->generate
                     : !strcmp(a, "--execute")            ? &o->execute
                     : !strcmp(a, "--verify")             ? &o->verify
                     : !strcmp(a, "--cancel")             ? &o->cancel
                     : !strcmp(a, "--list")               ? &o->list
                     : !strcmp(a, "--additional")         ? &o->additional
                     : !strcmp(a, "--preserve-throttles") ? &o->preserve
                                                          : NULL;
        if (flag || !strcmp(a, "--disable-rack-aware")) {
            if (flag)
                *flag = true;
            continue;
        }
        const char *ignored = NULL;
        const char **dst = !strcmp(a, "--zookeeper")                   ? &o->zookeeper
                           : !strcmp(a, "--bootstrap-server")          ? &o->bootstrap
                           : !strcmp(a, "--reassignment-json-file")    ? &o->plan_file
                           : !strcmp(a, "--topics-to-move-json-file")  ? &o->topics_file
                           : !strcmp(a, "--broker-list")               ? &o->broker_list
                           : !strcmp(a, "--throttle")                  ? &o->throttle_text
                           : !strcmp(a, "--timeout")                   ? &ignored
                                                                       : NULL;
        if (!strcmp(a, "--replica-alter-log-dirs-throttle"))
            return usage_error("%s", "--replica-alter-log-dirs-throttle: gregor does not move "
                                     "replicas between log dirs of one broker");
        if (!dst)
            return usage_error("unknown option \"%s\"", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        *dst = argv[++i];
    }
    if (!o->zookeeper == !o->bootstrap)
        return usage_error("%s", "exactly one of --bootstrap-server and --zookeeper is required");
    int actions = o->generate + o->execute + o->verify + o->cancel + o->list;
    if (actions != 1)
        return usage_error("%s", "Command must include exactly one action: --generate, "
                                 "--execute, --verify, --cancel, or --list");
    if ((o->cancel || o->list) && !o->bootstrap)
        return usage_error("%s", "--cancel and --list need --bootstrap-server");
    if ((o->execute || o->verify || o->cancel) && !o->plan_file)
        return usage_error("%s", "Missing required argument \"[reassignment-json-file]\"");
    if (o->generate && !o->topics_file)
        return usage_error("%s", "Missing required argument \"[topics-to-move-json-file]\"");
    if (o->generate && !o->broker_list)
        return usage_error("%s", "Missing required argument \"[broker-list]\"");
    if (o->throttle_text && !o->execute)
        return usage_error("%s", "--throttle goes with --execute");
    if (o->additional && !(o->execute && o->bootstrap))
        return usage_error("%s", "--additional goes with --execute and --bootstrap-server");
    if (o->preserve && !o->verify)
        return usage_error("%s", "--preserve-throttles goes with --verify");
    if (o->throttle_text) {
        char *end;
        errno = 0;
        o->throttle = strtoll(o->throttle_text, &end, 10);
        if (errno || end == o->throttle_text || *end || o->throttle < 1)
            return usage_error("--throttle must be a rate in bytes per second of 1 or more, "
                               "not \"%s\"",
                               o->throttle_text);
    }
    return 0;
}

static int fail(const char *msg)
{
    fprintf(stderr, "Error: %s\n", msg);
    return 1;
}

static bool in(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool same(const struct ra_part *a, const struct ra_part *b)
{
    return a->n == b->n && !memcmp(a->replicas, b->replicas, (size_t)a->n * sizeof(int32_t));
}

/* The plan's partitions as the cluster has them now (with checks that
 * each exists and each target broker is registered). */
static int current_of_plan(struct ra_backend *b, const struct ra_list *plan, struct ra_list *cur,
                           char *err, size_t errsz)
{
    char **topics = calloc((size_t)plan->n + 1, sizeof(char *));
    int nt = 0;
    if (!topics) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < plan->n; i++) {
        bool seen = false;
        for (int k = 0; k < nt && !seen; k++)
            seen = !strcmp(topics[k], plan->p[i].topic);
        if (!seen)
            topics[nt++] = plan->p[i].topic;
    }
    int rc = b->current(b->ctx, topics, nt, cur, err, errsz);
    free(topics);
    if (rc)
        return -1;
    size_t len = 0;
    for (int i = 0; i < plan->n; i++)
        if (!ra_list_find(cur, plan->p[i].topic, plan->p[i].partition))
            len += (size_t)snprintf(err + len, len < errsz ? errsz - len : 0, "%s%s-%d",
                                    len ? "," : "The proposed assignment contains non-existent "
                                                "partitions: ",
                                    plan->p[i].topic, plan->p[i].partition);
    if (len) {
        ra_list_free(cur);
        return -1;
    }
    return 0;
}

static int check_brokers(struct ra_backend *b, const struct ra_list *plan, char *err,
                         size_t errsz)
{
    int32_t *ids;
    int n;
    if (b->brokers(b->ctx, &ids, &n, err, errsz))
        return -1;
    size_t len = 0;
    int32_t bad[64];
    int nbad = 0;
    for (int i = 0; i < plan->n; i++)
        for (int k = 0; k < plan->p[i].n; k++) {
            int32_t id = plan->p[i].replicas[k];
            if (!in(ids, n, id) && !in(bad, nbad, id) && nbad < 64) {
                bad[nbad++] = id;
                len += (size_t)snprintf(err + len, len < errsz ? errsz - len : 0, "%s%d",
                                        len ? "," : "The proposed assignment contains "
                                                    "non-existent brokerIDs: ",
                                        id);
            }
        }
    free(ids);
    return nbad ? -1 : 0;
}

/* "p:b,p:b" of one topic's moving partitions: the replicas they have now
 * (leader) or the ones they will gain (follower), as Kafka's tool writes
 * the throttled-replica lists. */
static void throttled_list(const struct ra_list *plan, const struct ra_list *cur,
                           const char *topic, bool leader, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < plan->n; i++) {
        const struct ra_part *t = &plan->p[i];
        const struct ra_part *c = ra_list_find(cur, t->topic, t->partition);
        if (strcmp(t->topic, topic) || !c || same(t, c))
            continue;
        const int32_t *v = leader ? c->replicas : t->replicas;
        int n = leader ? c->n : t->n;
        for (int k = 0; k < n && len + 24 < outsz; k++)
            if (leader || !in(c->replicas, c->n, v[k]))
                len += (size_t)snprintf(out + len, outsz - len, "%s%d:%d", len ? "," : "",
                                        t->partition, v[k]);
    }
}

static int set_throttles(struct ra_backend *b, const struct ra_list *plan,
                         const struct ra_list *cur, long long rate, char *err, size_t errsz)
{
    char *keys[2] = {"leader.replication.throttled.replicas",
                     "follower.replication.throttled.replicas"};
    for (int i = 0; i < plan->n; i++) {
        bool first = true;
        for (int k = 0; k < i && first; k++)
            first = strcmp(plan->p[k].topic, plan->p[i].topic) != 0;
        if (!first)
            continue;
        char lead[8192], follow[8192];
        throttled_list(plan, cur, plan->p[i].topic, true, lead, sizeof(lead));
        throttled_list(plan, cur, plan->p[i].topic, false, follow, sizeof(follow));
        if (!lead[0] && !follow[0])
            continue;
        char *values[2] = {lead, follow};
        if (b->configs(b->ctx, false, plan->p[i].topic, keys, values, 2, NULL, 0, err, errsz))
            return -1;
    }
    int32_t brokers[512];
    int nb = 0;
    for (int i = 0; i < plan->n; i++) {
        const struct ra_part *c = ra_list_find(cur, plan->p[i].topic, plan->p[i].partition);
        for (int k = 0; c && k < c->n; k++)
            if (!in(brokers, nb, c->replicas[k]) && nb < 512)
                brokers[nb++] = c->replicas[k];
        for (int k = 0; k < plan->p[i].n; k++)
            if (!in(brokers, nb, plan->p[i].replicas[k]) && nb < 512)
                brokers[nb++] = plan->p[i].replicas[k];
    }
    char rate_text[32], *rkeys[2] = {"leader.replication.throttled.rate",
                                     "follower.replication.throttled.rate"};
    char *rvalues[2] = {rate_text, rate_text};
    snprintf(rate_text, sizeof(rate_text), "%lld", rate);
    for (int i = 0; i < nb; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%d", brokers[i]);
        if (b->configs(b->ctx, true, name, rkeys, rvalues, 2, NULL, 0, err, errsz))
            return -1;
    }
    printf("The inter-broker throttle limit was set to %lld B/s\n", rate);
    return 0;
}

/* Kafka's closing line: "Successfully <what> partition reassignment(s)
 * for<colon> t-0,t-1", the partitions sorted. */
static int done(const char *what, const char *colon, const struct ra_list *plan)
{
    struct ra_list sorted = {0};
    for (int i = 0; i < plan->n; i++)
        ra_list_add(&sorted, plan->p[i].topic, plan->p[i].partition, NULL, 0, NULL, 0, NULL, 0);
    ra_list_sort(&sorted);
    char names[8192];
    ra_list_names(&sorted, names, sizeof(names));
    printf("Successfully %s partition reassignment%s for%s %s\n", what, plan->n == 1 ? "" : "s",
           colon, names);
    ra_list_free(&sorted);
    return 0;
}

static int execute(struct ra_backend *b, const struct opts *o, const struct ra_list *plan)
{
    char err[4096];
    struct ra_list cur;
    bool busy = false;
    if (check_brokers(b, plan, err, sizeof(err)) ||
        current_of_plan(b, plan, &cur, err, sizeof(err)))
        return fail(err);
    if (b->busy(b->ctx, &busy, err, sizeof(err))) {
        ra_list_free(&cur);
        return fail(err);
    }
    if (busy && o->zookeeper) {
        ra_list_free(&cur);
        return fail("There is an existing assignment running.");
    }
    if (busy && !o->additional) {
        ra_list_free(&cur);
        return fail("Cannot execute because there is an existing partition assignment.  Use "
                    "--additional to override this and create a new partition assignment in "
                    "addition to the existing one.");
    }
    /* The rollback file: the plan's partitions as they are now. */
    struct ra_list before = {0};
    for (int i = 0; i < plan->n; i++) {
        const struct ra_part *c = ra_list_find(&cur, plan->p[i].topic, plan->p[i].partition);
        int32_t orig[512];
        int n = 0;
        for (int k = 0; k < c->n && n < 512; k++)
            if (!in(c->adding, c->na, c->replicas[k]))
                orig[n++] = c->replicas[k];
        if (ra_list_add(&before, c->topic, c->partition, orig, n, NULL, 0, NULL, 0)) {
            ra_list_free(&cur);
            ra_list_free(&before);
            return fail("out of memory");
        }
    }
    ra_list_sort(&before);
    char *json = ra_format(&before);
    printf("Current partition replica assignment\n\n%s\n\nSave this to use as the "
           "--reassignment-json-file option during rollback\n",
           json ? json : "");
    free(json);
    int rc = 0;
    if (o->throttle >= 0) {
        printf("Warning: You must run --verify periodically, until the reassignment completes, "
               "to ensure the throttle is removed.\n");
        rc = set_throttles(b, plan, &before, o->throttle, err, sizeof(err));
    }
    if (!rc)
        rc = b->start(b->ctx, plan, err, sizeof(err));
    ra_list_free(&cur);
    ra_list_free(&before);
    if (rc)
        return fail(err);
    return done("started", "", plan);
}

static void int_list(const int32_t *v, int n, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len + 12 < outsz; i++)
        len += (size_t)snprintf(out + len, outsz - len, "%s%d", i ? "," : "", v[i]);
}

static int clear_throttles(struct ra_backend *b, const struct ra_list *plan, char *err,
                           size_t errsz)
{
    int32_t *ids;
    int n;
    if (b->brokers(b->ctx, &ids, &n, err, errsz))
        return -1;
    char list[4096];
    int_list(ids, n, list, sizeof(list));
    printf("Clearing broker-level throttles on brokers %s\n", list);
    char *rkeys[2] = {"leader.replication.throttled.rate", "follower.replication.throttled.rate"};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%d", ids[i]);
        rc = b->configs(b->ctx, true, name, NULL, NULL, 0, rkeys, 2, err, errsz);
    }
    free(ids);
    char topics[4096] = "";
    int nt = 0;
    char *tkeys[2] = {"leader.replication.throttled.replicas",
                      "follower.replication.throttled.replicas"};
    for (int i = 0; i < plan->n && !rc; i++) {
        bool first = true;
        for (int k = 0; k < i && first; k++)
            first = strcmp(plan->p[k].topic, plan->p[i].topic) != 0;
        if (!first)
            continue;
        snprintf(topics + strlen(topics), sizeof(topics) - strlen(topics), "%s%s",
                 nt++ ? "," : "", plan->p[i].topic);
        rc = b->configs(b->ctx, false, plan->p[i].topic, NULL, NULL, 0, tkeys, 2, err, errsz);
    }
    if (!rc)
        printf("Clearing topic-level throttles on topic%s %s\n", nt == 1 ? "" : "s", topics);
    return rc;
}

static int verify(struct ra_backend *b, const struct opts *o, const struct ra_list *plan)
{
    char err[4096];
    struct ra_list cur;
    if (current_of_plan(b, plan, &cur, err, sizeof(err)))
        return fail(err);
    struct ra_list sorted = {0};
    for (int i = 0; i < plan->n; i++)
        ra_list_add(&sorted, plan->p[i].topic, plan->p[i].partition, plan->p[i].replicas,
                    plan->p[i].n, NULL, 0, NULL, 0);
    ra_list_sort(&sorted);
    printf("Status of partition reassignment:\n");
    bool done = true;
    for (int i = 0; i < sorted.n; i++) {
        const struct ra_part *t = &sorted.p[i];
        const struct ra_part *c = ra_list_find(&cur, t->topic, t->partition);
        if (c->na || c->nr || c->pending) {
            printf("Reassignment of partition %s-%d is still in progress.\n", t->topic,
                   t->partition);
            done = false;
        } else if (same(t, c)) {
            printf("Reassignment of partition %s-%d is complete.\n", t->topic, t->partition);
        } else {
            char now[2048];
            int_list(c->replicas, c->n, now, sizeof(now));
            printf("There is no active reassignment of partition %s-%d, but current replicas "
                   "are %s.\n",
                   t->topic, t->partition, now);
            done = false;
        }
    }
    int rc = 0;
    if (done && !o->preserve) {
        printf("\n");
        rc = clear_throttles(b, &sorted, err, sizeof(err));
    }
    ra_list_free(&sorted);
    ra_list_free(&cur);
    return rc ? fail(err) : 0;
}

static int cancel(struct ra_backend *b, const struct ra_list *plan)
{
    char err[4096];
    struct ra_list cur;
    if (current_of_plan(b, plan, &cur, err, sizeof(err)))
        return fail(err);
    ra_list_free(&cur);
    if (b->cancel(b->ctx, plan, err, sizeof(err)))
        return fail(err);
    return done("cancelled", ":", plan);
}

static int list_ongoing(struct ra_backend *b)
{
    char err[4096];
    struct ra_list cur;
    if (b->current(b->ctx, NULL, -1, &cur, err, sizeof(err)))
        return fail(err);
    bool any = false;
    for (int i = 0; i < cur.n; i++) {
        const struct ra_part *c = &cur.p[i];
        if (!c->na && !c->nr)
            continue;
        if (!any)
            printf("Current partition reassignments:\n");
        any = true;
        char r[2048], a[2048], d[2048];
        int_list(c->replicas, c->n, r, sizeof(r));
        int_list(c->adding, c->na, a, sizeof(a));
        int_list(c->removing, c->nr, d, sizeof(d));
        printf("%s-%d: replicas: %s. adding: %s. removing: %s.\n", c->topic, c->partition, r, a,
               d);
    }
    if (!any)
        printf("No partition reassignments found.\n");
    ra_list_free(&cur);
    return 0;
}

/* "0,1,2" into ids (sorted, checked for duplicates). */
static int parse_broker_list(const char *text, int32_t **ids, int *n, char *err, size_t errsz)
{
    *ids = calloc(strlen(text) / 2 + 2, sizeof(int32_t));
    *n = 0;
    if (!*ids) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (const char *p = text;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > 2147483647L || (*end && *end != ',')) {
            snprintf(err, errsz, "--broker-list must be broker ids separated by commas, not \"%s\"",
                     text);
            return -1;
        }
        if (in(*ids, *n, (int32_t)v)) {
            snprintf(err, errsz, "Broker list contains duplicate entries: %ld", v);
            return -1;
        }
        (*ids)[(*n)++] = (int32_t)v;
        if (!*end)
            break;
        p = end + 1;
    }
    for (int i = 1; i < *n; i++)
        for (int k = i; k > 0 && (*ids)[k - 1] > (*ids)[k]; k--) {
            int32_t t = (*ids)[k];
            (*ids)[k] = (*ids)[k - 1];
            (*ids)[k - 1] = t;
        }
    return 0;
}

static int generate(struct ra_backend *b, const struct opts *o)
{
    char err[4096], *text = NULL, **topics = NULL;
    int nt = 0, nb = 0, nlive = 0, rc = 0;
    int32_t *ids = NULL, *live = NULL;
    struct ra_list cur = {0}, proposed = {0};
    if (ra_read_file(o->topics_file, &text, err, sizeof(err)) ||
        ra_parse_topics(text, &topics, &nt, err, sizeof(err)) ||
        parse_broker_list(o->broker_list, &ids, &nb, err, sizeof(err)) ||
        b->brokers(b->ctx, &live, &nlive, err, sizeof(err)) ||
        b->current(b->ctx, topics, nt, &cur, err, sizeof(err)))
        rc = -1;
    for (int i = 0; !rc && i < nb; i++)
        if (!in(live, nlive, ids[i])) {
            snprintf(err, sizeof(err), "Broker %d in --broker-list is not registered", ids[i]);
            rc = -1;
        }
    for (int t = 0; !rc && t < nt; t++) {
        int nparts = 0, rf = 0;
        for (int i = 0; i < cur.n; i++)
            if (!strcmp(cur.p[i].topic, topics[t])) {
                nparts++;
                if (!cur.p[i].partition)
                    rf = cur.p[i].n - cur.p[i].na;
            }
        if (!nparts) {
            snprintf(err, sizeof(err), "Topic %s not found.", topics[t]);
            rc = -1;
            break;
        }
        int32_t *out = calloc((size_t)nparts * (size_t)rf + 1, sizeof(int32_t));
        if (!out || admin_assign_replicas(ids, nb, nparts, rf, 0, -1, -1, out)) {
            snprintf(err, sizeof(err), out ? "Replication factor: %d larger than available "
                                             "brokers: %d."
                                           : "out of memory",
                     rf, nb);
            free(out);
            rc = -1;
            break;
        }
        for (int p = 0; p < nparts && !rc; p++)
            rc = ra_list_add(&proposed, topics[t], p, out + (size_t)p * (size_t)rf, rf, NULL, 0,
                             NULL, 0);
        free(out);
    }
    if (!rc) {
        ra_list_sort(&proposed);
        char *now = ra_format(&cur), *next = ra_format(&proposed);
        printf("Current partition replica assignment\n%s\n\nProposed partition reassignment "
               "configuration\n%s\n",
               now ? now : "", next ? next : "");
        free(now);
        free(next);
    }
    for (int i = 0; i < nt; i++)
        free(topics[i]);
    free(topics);
    free(text);
    free(ids);
    free(live);
    ra_list_free(&cur);
    ra_list_free(&proposed);
    return rc ? fail(err) : 0;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    char err[4096], *text = NULL;
    struct ra_list plan = {0};
    if (o.plan_file && (ra_read_file(o.plan_file, &text, err, sizeof(err)) ||
                        ra_parse_plan(text, &plan, err, sizeof(err)))) {
        free(text);
        return fail(err);
    }
    free(text);
    struct ra_backend b;
    if ((o.zookeeper ? ra_zk_open(o.zookeeper, &b, err, sizeof(err))
                     : ra_boot_open(o.bootstrap, &b, err, sizeof(err)))) {
        ra_list_free(&plan);
        return fail(err);
    }
    rc = o.generate ? generate(&b, &o)
         : o.execute ? execute(&b, &o, &plan)
         : o.verify  ? verify(&b, &o, &plan)
         : o.cancel  ? cancel(&b, &plan)
                     : list_ongoing(&b);
    b.close(b.ctx);
    ra_list_free(&plan);
    return rc;
}
