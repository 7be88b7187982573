/* Shared pieces of the perf tools; see perf_util.h. */
#include "tools/perf_util.h"

#include <string.h>
#include <sys/resource.h>

#include "common/props.h"

int perf_take_props(int argc, char **argv, int *i, char **props, int *nprops, int max,
                    const char *tool)
{
    while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2)) {
        if (*nprops == max) {
            fprintf(stderr, "%s: more than %d properties after %s\n", tool, max, argv[*i]);
            return -1;
        }
        props[(*nprops)++] = argv[++*i];
    }
    return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *tool, const char *key, const char *value,
                    const char *where)
{
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s%s: %s\n", tool, where, key, err);
        return -1;
    }
    return 0;
}

int perf_conf_set_kv(rd_kafka_conf_t *conf, const char *tool, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "%s: \"%s\" is not key=value\n", tool, kv);
        return -1;
    }
    char key[256];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    return conf_set(conf, tool, key, eq + 1, "");
}

struct load_ctx {
    rd_kafka_conf_t *conf;
    const char *tool;
    const char *path;
};

static int load_one(const char *key, const char *value, int line, void *arg)
{
    struct load_ctx *c = arg;
    char where[600];
    snprintf(where, sizeof(where), "%s line %d: ", c->path, line);
    return conf_set(c->conf, c->tool, key, value, where) ? 1 : 0;
}

int perf_conf_load(rd_kafka_conf_t *conf, const char *tool, const char *path)
{
    char err[512];
    struct load_ctx c = {conf, tool, path};
    int rc = props_load_file(path, load_one, &c, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", tool, err);
    return rc ? -1 : 0;
}

/* "gregorE2" little-endian: a value that happens to start with it is
 * improbable enough for a benchmark. */
static const uint8_t stamp_magic[8] = {'g', 'r', 'e', 'g', 'o', 'r', 'E', '2'};

void perf_stamp_put(uint8_t *value, int64_t wall_us)
{
    memcpy(value, stamp_magic, 8);
    for (int i = 0; i < 8; i++)
        value[8 + i] = (uint8_t)((uint64_t)wall_us >> (8 * i));
}

int perf_stamp_get(const uint8_t *value, size_t len, int64_t *wall_us)
{
    if (len < PERF_STAMP_LEN || memcmp(value, stamp_magic, 8))
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)value[8 + i] << (8 * i);
    *wall_us = (int64_t)v;
    return 0;
}

int perf_write_json(const char *path, const char *tool, int64_t records, int64_t bytes,
                    double seconds, const struct perf_hist *h, int64_t failed)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "%s: cannot write %s: %m\n", tool, path);
        return -1;
    }
    double s = seconds > 0 ? seconds : 1e-9;
    /* The tool's own CPU time: on a small machine the client is often the
     * bound, and this shows when. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "{\"client_cpu_s\":%.3f,", cpu);
    fprintf(f,
            "\"tool\":\"%s\",\"records\":%lld,\"bytes\":%lld,\"seconds\":%.6f,"
            "\"records_per_sec\":%.2f,\"mb_per_sec\":%.4f,\"failed\":%lld",
            tool, (long long)records, (long long)bytes, seconds, (double)records / s,
            (double)bytes / s / (1024.0 * 1024.0), (long long)failed);
    if (h && h->count)
        fprintf(f,
                ",\"latency_count\":%lld,\"avg_ms\":%.3f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,"
                "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f",
                (long long)h->count, perf_hist_mean_us(h) / 1000.0,
                (double)perf_hist_quantile_us(h, 0.5) / 1000.0,
                (double)perf_hist_quantile_us(h, 0.95) / 1000.0,
                (double)perf_hist_quantile_us(h, 0.99) / 1000.0,
                (double)perf_hist_quantile_us(h, 0.999) / 1000.0, (double)h->max_us / 1000.0);
    fprintf(f, "}\n");
    if (f != stdout)
        return fclose(f) ? -1 : 0;
    fflush(f);
    return 0;
}

void perf_print_latency(FILE *f, const char *what, const struct perf_hist *h)
{
    fprintf(f, "%s latency ms: avg %.3f, p50 %.3f, p95 %.3f, p99 %.3f, p99.9 %.3f, max %.3f\n", what,
            perf_hist_mean_us(h) / 1000.0, (double)perf_hist_quantile_us(h, 0.5) / 1000.0,
            (double)perf_hist_quantile_us(h, 0.95) / 1000.0,
            (double)perf_hist_quantile_us(h, 0.99) / 1000.0,
            (double)perf_hist_quantile_us(h, 0.999) / 1000.0, (double)h->max_us / 1000.0);
}
