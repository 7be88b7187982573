/*
 * Topic-level log config keys (see log_config.h). Bounds and synonyms follow
 * Kafka 2.8's LogConfig.
 */
#include "broker/log/log_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

#define OFF(f) ((int)offsetof(struct log_config, f))
#define I64MAX INT64_MAX
#define I32MAX INT32_MAX

static const char *const ts_types[] = {"CreateTime", "LogAppendTime", NULL};
static const char *const cleanup[] = {"delete", NULL};
static const char *const compression[] = {"producer", NULL};

const struct log_config_def log_config_defs[] = {
    {"cleanup.policy", "log.cleanup.policy", LOG_CONFIG_STRING, 0, 0, cleanup, -1},
    {"compression.type", "compression.type", LOG_CONFIG_STRING, 0, 0, compression, -1},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", LOG_CONFIG_LONG, 0, I64MAX, NULL, -1},
    {"file.delete.delay.ms", "log.segment.delete.delay.ms", LOG_CONFIG_LONG, 0, I64MAX, NULL,
     OFF(file_delete_delay_ms)},
    {"flush.messages", "log.flush.interval.messages", LOG_CONFIG_LONG, 0, I64MAX, NULL,
     OFF(flush_messages)},
    {"flush.ms", "log.flush.interval.ms", LOG_CONFIG_LONG, 0, I64MAX, NULL, OFF(flush_ms)},
    {"index.interval.bytes", "log.index.interval.bytes", LOG_CONFIG_INT, 0, I32MAX, NULL,
     OFF(index_interval_bytes)},
    {"max.message.bytes", "message.max.bytes", LOG_CONFIG_INT, 0, I32MAX, NULL,
     OFF(max_message_bytes)},
    {"message.downconversion.enable", "log.message.downconversion.enable", LOG_CONFIG_BOOL, 0, 0,
     NULL, OFF(downconversion_enable)},
    {"message.format.version", "log.message.format.version", LOG_CONFIG_STRING, 0, 0, NULL, -1},
    {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms",
     LOG_CONFIG_LONG, 0, I64MAX, NULL, OFF(timestamp_difference_max_ms)},
    {"message.timestamp.type", "log.message.timestamp.type", LOG_CONFIG_STRING, 0, 0, ts_types,
     OFF(log_append_time)},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", LOG_CONFIG_STRING, 0, 0, NULL,
     -1},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", LOG_CONFIG_LONG, 0, I64MAX, NULL,
     -1},
    {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", LOG_CONFIG_LONG, 1, I64MAX, NULL,
     -1},
    {"min.insync.replicas", "min.insync.replicas", LOG_CONFIG_INT, 1, I32MAX, NULL,
     OFF(min_insync_replicas)},
    {"preallocate", "log.preallocate", LOG_CONFIG_BOOL, 0, 0, NULL, -1},
    {"retention.bytes", "log.retention.bytes", LOG_CONFIG_LONG, INT64_MIN + 1, I64MAX, NULL,
     OFF(retention_bytes)},
    {"retention.ms", "log.retention.ms", LOG_CONFIG_LONG, -1, I64MAX, NULL, OFF(retention_ms)},
    {"segment.bytes", "log.segment.bytes", LOG_CONFIG_INT, 14, I32MAX, NULL, OFF(segment_bytes)},
    {"segment.index.bytes", "log.index.size.max.bytes", LOG_CONFIG_INT, 4, I32MAX, NULL,
     OFF(segment_index_bytes)},
    {"segment.jitter.ms", "log.roll.jitter.ms", LOG_CONFIG_LONG, 0, I64MAX, NULL,
     OFF(segment_jitter_ms)},
    {"segment.ms", "log.roll.ms", LOG_CONFIG_LONG, 1, I64MAX, NULL, OFF(segment_ms)},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", LOG_CONFIG_BOOL, 0, 0,
     NULL, OFF(unclean_leader_election)},
    {"leader.replication.throttled.replicas", "", LOG_CONFIG_STRING, 0, 0, NULL, -1},
    {"follower.replication.throttled.replicas", "", LOG_CONFIG_STRING, 0, 0, NULL, -1},
};

const size_t log_config_ndefs = sizeof(log_config_defs) / sizeof(log_config_defs[0]);

const struct log_config_def *log_config_find(const char *name)
{
    for (size_t i = 0; i < log_config_ndefs; i++)
        if (!strcmp(log_config_defs[i].name, name))
            return &log_config_defs[i];
    return NULL;
}

int log_config_set(struct log_config *lc, const char *key, const char *value, char *errstr,
                   size_t errsz)
{
    const struct log_config_def *d = log_config_find(key);
    if (!d) {
        snprintf(errstr, errsz, "unknown topic config %s", key);
        return GR_E_CONFIG;
    }
    char *field = d->offset >= 0 ? (char *)lc + d->offset : NULL;
    switch (d->type) {
    case LOG_CONFIG_INT:
    case LOG_CONFIG_LONG: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!*value || errno || *end || v < d->min || v > d->max) {
            snprintf(errstr, errsz,
                     "invalid value \"%s\" for topic config %s: must be an integer from %" PRId64
                     " to %" PRId64,
                     value, key, d->min, d->max);
            return GR_E_CONFIG;
        }
        if (field && d->type == LOG_CONFIG_INT)
            *(int32_t *)field = (int32_t)v;
        else if (field)
            *(int64_t *)field = v;
        /* Kafka treats any negative retention as "forever". */
        if (field == (char *)&lc->retention_ms && v < 0)
            lc->retention_ms = -1;
        return 0;
    }
    case LOG_CONFIG_BOOL:
        if (strcasecmp(value, "true") && strcasecmp(value, "false")) {
            snprintf(errstr, errsz, "invalid value \"%s\" for topic config %s: must be true or false",
                     value, key);
            return GR_E_CONFIG;
        }
        if (field)
            *(bool *)field = !strcasecmp(value, "true");
        return 0;
    case LOG_CONFIG_STRING:
        if (d->choices) {
            const char *const *ch = d->choices;
            while (*ch && strcmp(*ch, value))
                ch++;
            if (!*ch) {
                char allowed[128] = "";
                for (ch = d->choices; *ch; ch++)
                    snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
                             allowed[0] ? ", " : "", *ch);
                snprintf(errstr, errsz,
                         "invalid value \"%s\" for topic config %s: gregor supports %s", value, key,
                         allowed);
                return GR_E_CONFIG;
            }
        }
        bool found;
        if (strstr(key, ".throttled.replicas") && !log_config_throttled_lookup(value, -1, -1,
                                                                               &found)) {
            snprintf(errstr, errsz,
                     "invalid value \"%s\" for topic config %s: must be \"*\" or "
                     "partition:broker entries separated by commas, e.g. 0:101,0:102",
                     value, key);
            return GR_E_CONFIG;
        }
        if (field == (char *)&lc->log_append_time)
            lc->log_append_time = !strcmp(value, "LogAppendTime");
        return 0;
    }
    return GR_E_CONFIG;
}

/* Reads a decimal number of at most 10 digits at *p (spaces around it
 * skipped), advancing it. Returns -1 if there is none. */
static int64_t list_number(const char **p)
{
    const char *s = *p;
    int64_t v = 0;
    int digits = 0;
    while (*s == ' ')
        s++;
    while (*s >= '0' && *s <= '9' && digits < 11) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    while (*s == ' ')
        s++;
    *p = s;
    return digits && digits <= 10 && v <= INT32_MAX ? v : -1;
}

bool log_config_throttled_lookup(const char *value, int32_t partition, int32_t broker,
                                 bool *found)
{
    const char *p = value;
    *found = false;
    while (*p == ' ')
        p++;
    if (!*p)
        return true;
    if (!strcmp(p, "*")) {
        *found = true;
        return true;
    }
    for (;;) {
        int64_t part = list_number(&p);
        if (part < 0 || *p++ != ':')
            return false;
        int64_t b = list_number(&p);
        if (b < 0)
            return false;
        *found |= part == partition && b == broker;
        if (!*p)
            return true;
        if (*p++ != ',')
            return false;
    }
}

size_t log_config_format(const struct log_config *lc, const struct log_config_def *d, char *out,
                         size_t outsz)
{
    int n;
    if (d->offset < 0) {
        /* Keys neither side uses: Kafka's defaults. */
        const char *v = !strcmp(d->name, "compression.type")      ? "producer"
                        : !strcmp(d->name, "delete.retention.ms") ? "86400000"
                        : !strcmp(d->name, "min.cleanable.dirty.ratio")     ? "0.5"
                        : !strcmp(d->name, "min.compaction.lag.ms")         ? "0"
                        : !strcmp(d->name, "max.compaction.lag.ms") ? "9223372036854775807"
                                                                    : "";
        n = snprintf(out, outsz, "%s", v);
        return n < 0 ? 0 : (size_t)n;
    }
    const char *field = (const char *)lc + d->offset;
    if (field == (const char *)&lc->log_append_time)
        n = snprintf(out, outsz, "%s", lc->log_append_time ? "LogAppendTime" : "CreateTime");
    else if (d->type == LOG_CONFIG_INT)
        n = snprintf(out, outsz, "%" PRId32, *(const int32_t *)field);
    else if (d->type == LOG_CONFIG_LONG)
        n = snprintf(out, outsz, "%" PRId64, *(const int64_t *)field);
    else
        n = snprintf(out, outsz, "%s", *(const bool *)field ? "true" : "false");
    return n < 0 ? 0 : (size_t)n;
}
