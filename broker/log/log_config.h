/*
 * Per-topic log settings: Kafka's topic-level config keys (segment.bytes,
 * retention.ms, ...) and how they default to the broker's keys
 * (log.segment.bytes, log.retention.hours, ...).
 *
 * Owns the topic key table used to validate CreateTopics/AlterConfigs
 * configs, to answer DescribeConfigs for topics, and to build the settings a
 * partition log runs with. It does not store which overrides a topic has
 * (that comes from ZooKeeper's /config/topics/<t>).
 */
#ifndef GREGOR_LOG_CONFIG_H
#define GREGOR_LOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log_config {
    int32_t segment_bytes;               /* segment.bytes: roll at this size */
    int64_t segment_ms;                  /* segment.ms: roll at this age */
    int64_t segment_jitter_ms;           /* segment.jitter.ms: max random roll jitter */
    int32_t segment_index_bytes;         /* segment.index.bytes: max offset index size */
    int32_t index_interval_bytes;        /* index.interval.bytes: bytes between index entries */
    int64_t retention_ms;                /* retention.ms: -1 keeps forever */
    int64_t retention_bytes;             /* retention.bytes: -1 = no size limit */
    int64_t flush_messages;              /* flush.messages: fsync after this many records */
    int64_t flush_ms;                    /* flush.ms: fsync data older than this */
    int32_t max_message_bytes;           /* max.message.bytes: largest batch */
    bool log_append_time;                /* message.timestamp.type=LogAppendTime */
    int64_t timestamp_difference_max_ms; /* message.timestamp.difference.max.ms */
    int32_t min_insync_replicas;         /* min.insync.replicas */
    bool unclean_leader_election;        /* unclean.leader.election.enable */
    bool downconversion_enable;          /* message.downconversion.enable */
    int64_t file_delete_delay_ms;        /* file.delete.delay.ms */
    int64_t roll_jitter_ms;              /* this log's jitter, drawn once in [0, segment_jitter_ms] */
    /* Broker-wide only (no topic key): */
    int64_t writeback_bytes;             /* gregor.log.writeback.bytes: 0 = the kernel decides */
    int64_t cache_behind_bytes;          /* gregor.log.page.cache.behind.bytes: -1 = never dropped */
};

enum log_config_type { LOG_CONFIG_INT, LOG_CONFIG_LONG, LOG_CONFIG_BOOL, LOG_CONFIG_STRING };

struct log_config_def {
    const char *name;           /* topic-level key */
    const char *broker_key;     /* the broker key it defaults to (its "synonym") */
    enum log_config_type type;  /* value type */
    int64_t min, max;           /* inclusive bounds for numbers */
    const char *const *choices; /* allowed strings, or NULL */
    int offset;                 /* where it lands in struct log_config; -1: not used by gregor */
};

extern const struct log_config_def log_config_defs[];
extern const size_t log_config_ndefs;

const struct log_config_def *log_config_find(const char *name);

/* Applies one topic override. Returns 0, or GR_E_CONFIG with errstr naming
 * the key, the value and what is allowed (unknown keys included). */
int log_config_set(struct log_config *lc, const char *key, const char *value, char *errstr,
                   size_t errsz);

/* A throttled-replicas list (leader/follower.replication.throttled.replicas):
 * "", "*" or "partition:broker" entries separated by commas. Returns false
 * if value is not one; else sets *found to whether it names partition on
 * broker ("*" names every one). */
bool log_config_throttled_lookup(const char *value, int32_t partition, int32_t broker,
                                 bool *found);

/* Formats def's value in lc as Kafka shows it. For a key gregor does not
 * use (offset -1) it writes Kafka's default; callers that know the broker's
 * value of def->broker_key show that instead. Returns the length. */
size_t log_config_format(const struct log_config *lc, const struct log_config_def *def, char *out,
                         size_t outsz);

#endif
