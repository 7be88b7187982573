/*
 * Replica assignments for gregor-topics (see topics_cmd.h): Kafka's
 * --replica-assignment syntax, Kafka's rack-unaware placement
 * (broker/admin_assign.c, shared with the broker) with its error messages,
 * and reading a topic's assignment with the znode version that --alter
 * writes against.
 */
#include "tools/topics_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin_assign.h"

int topics_assignment_add(struct zk_topic_assignment *a, int32_t p, const int32_t *replicas, int n)
{
    /* The arena cannot grow an array in place; assignments are small and
     * built once, so copying into a larger one is fine. */
    struct zk_partition_replicas *parts =
        arena_calloc(&a->mem, (size_t)a->n_partitions + 1, sizeof(*parts));
    int32_t *reps = arena_calloc(&a->mem, (size_t)n, sizeof(int32_t));
    if (!parts || !reps)
        return -1;
    if (a->n_partitions)
        memcpy(parts, a->partitions, (size_t)a->n_partitions * sizeof(*parts));
    memcpy(reps, replicas, (size_t)n * sizeof(int32_t));
    parts[a->n_partitions] =
        (struct zk_partition_replicas){.partition = p, .replicas = reps, .n_replicas = n};
    a->partitions = parts;
    a->n_partitions++;
    return 0;
}

/* Java's Integer.parseInt after trim(): optional sign, decimal digits. */
static int parse_broker(const char *s, size_t len, int32_t *out, char *err, size_t errsz)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    char buf[32];
    if (len == 0 || len >= sizeof(buf)) {
        snprintf(err, errsz, "For input string: \"%.*s\"", (int)(len < 64 ? len : 64), s);
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (*end || errno || v < INT32_MIN || v > INT32_MAX || buf[0] == ' ') {
        snprintf(err, errsz, "For input string: \"%s\"", buf);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

static void format_list(const int32_t *ids, int n, char *out, size_t outsz)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < outsz; i++)
        used += (size_t)snprintf(out + used, outsz - used, "%s%d", i ? "," : "", (int)ids[i]);
}

int topics_assignment_parse(const char *spec, struct zk_topic_assignment *out, char *err,
                            size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    int32_t replicas[1024];
    int32_t p = 0;
    for (const char *part = spec;; p++) {
        const char *comma = strchr(part, ',');
        size_t plen = comma ? (size_t)(comma - part) : strlen(part);
        int n = 0;
        for (const char *b = part; b <= part + plen;) {
            const char *colon = memchr(b, ':', (size_t)(part + plen - b));
            size_t blen = colon ? (size_t)(colon - b) : (size_t)(part + plen - b);
            if (n == (int)(sizeof(replicas) / sizeof(replicas[0]))) {
                snprintf(err, errsz, "Partition %d has too many replicas", (int)p);
                return -1;
            }
            if (parse_broker(b, blen, &replicas[n++], err, errsz))
                return -1;
            b += blen + 1;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (replicas[i] == replicas[j]) {
                    snprintf(err, errsz,
                             "Partition replica lists may not contain duplicate entries: %d",
                             (int)replicas[i]);
                    return -1;
                }
        if (p > 0 && n != out->partitions[0].n_replicas) {
            char list[256];
            format_list(replicas, n, list, sizeof(list));
            snprintf(err, errsz, "Partition %d has different replication factor: [%s]", (int)p,
                     list);
            return -1;
        }
        if (topics_assignment_add(out, p, replicas, n)) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        if (!comma)
            break;
        part = comma + 1;
    }
    return 0;
}

int topics_assignment_compute(const int32_t *brokers, int n, int32_t nparts, int32_t rf,
                              int32_t first_partition, int start, struct zk_topic_assignment *out,
                              char *err, size_t errsz)
{
    if (nparts <= 0) {
        snprintf(err, errsz, "Number of partitions must be larger than 0.");
        return -1;
    }
    if (rf <= 0) {
        snprintf(err, errsz, "Replication factor must be larger than 0.");
        return -1;
    }
    if (rf > n) {
        snprintf(err, errsz, "Replication factor: %d larger than available brokers: %d.", (int)rf,
                 n);
        return -1;
    }
    int32_t *ids = calloc((size_t)nparts * (size_t)rf, sizeof(int32_t));
    if (!ids) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    int rc = admin_assign_replicas(brokers, n, nparts, rf, first_partition, start, start, ids);
    for (int32_t p = 0; rc == 0 && p < nparts; p++)
        rc = topics_assignment_add(out, first_partition + p, ids + (size_t)p * (size_t)rf, rf);
    free(ids);
    if (rc)
        snprintf(err, errsz, "out of memory");
    return rc;
}

int topics_assignment_read(struct topics_zk *z, const char *topic, struct zk_topic_assignment *out,
                           int32_t *zk_version, char *err, size_t errsz)
{
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", topic);
    char *data = NULL;
    size_t len = 0;
    struct zk_stat st;
    memset(out, 0, sizeof(*out));
    int rc = topics_zk_get(z, path, &data, &len, &st);
    if (rc != GR_OK) {
        snprintf(err, errsz, "cannot read %s: %s", path, gr_strerror(rc));
        return rc;
    }
    char why[256];
    if (zk_json_topic_decode(data, len, out, why, sizeof(why))) {
        snprintf(err, errsz, "cannot read %s: %s", path, why);
        free(data);
        return GR_E_CORRUPT;
    }
    free(data);
    *zk_version = st.version;
    return GR_OK;
}
