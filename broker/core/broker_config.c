/*
 * The broker's configuration keys and their rules (see broker_config.h).
 *
 * Defaults are Kafka 2.8's, so a server.properties written for Kafka means the
 * same thing here. Keys Kafka knows but gregor has no use for are accepted and
 * type-checked (CONFIG_NO_EFFECT) rather than warned about, so Kafka's stock
 * config file loads without noise; keys for features still to come are marked
 * CONFIG_NOT_YET, and the start-up log names both kinds in one line. Keys
 * nobody knows get a warning naming them.
 */
#define LOG_COMPONENT "config"
#include "broker/core/broker_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_config.h"
#include "common/err.h"
#include "common/logger.h"

#define F(field) offsetof(struct broker_config, field)
#define I32MAX INT32_MAX
#define I64MAX INT64_MAX
#define INT(n, f, d, lo, hi, doc) {n, CONFIG_INT, d, lo, hi, NULL, F(f), CONFIG_ACTIVE, doc}
#define LONG(n, f, d, lo, hi, doc) {n, CONFIG_LONG, d, lo, hi, NULL, F(f), CONFIG_ACTIVE, doc}
#define BOOL(n, f, d, doc) {n, CONFIG_BOOL, d, 0, 0, NULL, F(f), CONFIG_ACTIVE, doc}
#define STR(n, f, d, doc) {n, CONFIG_STRING, d, 0, 0, NULL, F(f), CONFIG_ACTIVE, doc}
#define ENUM(n, f, d, ch, doc) {n, CONFIG_STRING, d, 0, 0, ch, F(f), CONFIG_ACTIVE, doc}
#define LIST(n, f, d, doc) {n, CONFIG_LIST, d, 0, 0, NULL, F(f), CONFIG_ACTIVE, doc}
/* Accepted for compatibility with Kafka's files; gregor has no such thing. */
#define IGN_INT(n, f, d, lo, hi) {n, CONFIG_INT, d, lo, hi, NULL, F(f), CONFIG_NO_EFFECT, "accepted, no effect"}
#define IGN_BOOL(n, f, d) {n, CONFIG_BOOL, d, 0, 0, NULL, F(f), CONFIG_NO_EFFECT, "accepted, no effect"}
#define IGN_STR(n, f, d) {n, CONFIG_STRING, d, 0, 0, NULL, F(f), CONFIG_NO_EFFECT, "accepted, no effect"}
/* Parsed and checked now; the feature they tune has not landed yet. */
#define LATER_INT(n, f, d, lo, hi, doc) {n, CONFIG_INT, d, lo, hi, NULL, F(f), CONFIG_NOT_YET, doc}
#define LATER_LONG(n, f, d, lo, hi, doc) {n, CONFIG_LONG, d, lo, hi, NULL, F(f), CONFIG_NOT_YET, doc}
#define LATER_BOOL(n, f, d, doc) {n, CONFIG_BOOL, d, 0, 0, NULL, F(f), CONFIG_NOT_YET, doc}
#define LATER_STR(n, f, d, doc) {n, CONFIG_STRING, d, 0, 0, NULL, F(f), CONFIG_NOT_YET, doc}

static const char *const timestamp_types[] = {"CreateTime", "LogAppendTime", NULL};
static const char *const cleanup_policies[] = {"delete", NULL};
static const char *const security_protocols[] = {"PLAINTEXT", NULL};

static const struct config_def defs[] = {
    /* identity */
    INT("broker.id", broker_id, "-1", -1, I32MAX,
        "this broker's id; -1 lets ZooKeeper generate one"),
    BOOL("broker.id.generation.enable", broker_id_generation_enable, "true",
         "allow broker.id=-1 to take a generated id"),
    INT("reserved.broker.max.id", reserved_broker_max_id, "1000", 0, I32MAX,
        "generated ids start above this"),
    STR("broker.rack", broker_rack, NULL, "rack of this broker, shown to clients"),
    /* network */
    LIST("listeners", listeners, "PLAINTEXT://:9092", "NAME://host:port the broker binds"),
    LIST("advertised.listeners", advertised_listeners, NULL,
         "NAME://host:port clients are told to use; defaults to listeners"),
    LIST("listener.security.protocol.map", listener_security_protocol_map,
         "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
         "listener name to security protocol"),
    STR("inter.broker.listener.name", inter_broker_listener_name, NULL,
        "listener brokers use among themselves"),
    ENUM("security.inter.broker.protocol", security_inter_broker_protocol, "PLAINTEXT",
         security_protocols, "protocol brokers use among themselves"),
    INT("socket.request.max.bytes", socket_request_max_bytes, "104857600", 1, I32MAX,
        "largest request a client may send"),
    INT("socket.send.buffer.bytes", socket_send_buffer_bytes, "102400", -1, I32MAX,
        "SO_SNDBUF; -1 keeps the OS default"),
    INT("socket.receive.buffer.bytes", socket_receive_buffer_bytes, "102400", -1, I32MAX,
        "SO_RCVBUF; -1 keeps the OS default"),
    LONG("connections.max.idle.ms", connections_max_idle_ms, "600000", -1, I64MAX,
         "idle connections are closed after this long"),
    INT("max.connections", max_connections, "2147483647", 0, I32MAX,
        "connections accepted at once; unset: what the open-file limit leaves after the logs"),
    IGN_INT("num.network.threads", num_network_threads, "3", 1, I32MAX),
    IGN_INT("num.io.threads", num_io_threads, "8", 1, I32MAX),
    INT("queued.max.requests", queued_max_requests, "500", 1, I32MAX,
        "requests read ahead per connection before reading pauses"),
    /* connections and memory: who may connect, and what a connection may hold */
    INT("max.connections.per.ip", max_connections_per_ip, "2147483647", 0, I32MAX,
        "connections from one address; more are closed at once"),
    LIST("max.connections.per.ip.overrides", max_connections_per_ip_overrides, "",
         "host:count,host:count exceptions to max.connections.per.ip"),
    LONG("queued.max.request.bytes", queued_max_request_bytes, "268435456", -1, I64MAX,
         "bytes of requests read and not yet answered, broker-wide, before the connections "
         "holding the most stop reading; -1 = no limit (not Kafka's -1 default: see "
         "docs/ARCHITECTURE.md)"),
    INT("gregor.queued.max.response.bytes", queued_max_response_bytes, "8388608", 1, I32MAX,
        "bytes of answers waiting to be sent on one connection before it stops reading"),
    /* zookeeper */
    STR("zookeeper.connect", zookeeper_connect, NULL, "host:port[,host:port...][/chroot]"),
    INT("zookeeper.session.timeout.ms", zookeeper_session_timeout_ms, "18000", 1, I32MAX,
        "ZooKeeper session timeout"),
    INT("zookeeper.connection.timeout.ms", zookeeper_connection_timeout_ms, NULL, 1, I32MAX,
        "how long to wait for a ZooKeeper connection; defaults to the session timeout"),
    LATER_INT("zookeeper.max.in.flight.requests", zookeeper_max_in_flight_requests, "10", 1, I32MAX,
        "ZooKeeper requests in flight before the client waits"),
    BOOL("zookeeper.set.acl", zookeeper_set_acl, "false", "secure ACLs (not supported)"),
    /* topics */
    INT("num.partitions", num_partitions, "1", 1, I32MAX, "partitions of auto-created topics"),
    INT("default.replication.factor", default_replication_factor, "1", 1, I32MAX,
        "replicas of auto-created topics"),
    INT("min.insync.replicas", min_insync_replicas, "1", 1, I32MAX,
        "in-sync replicas an acks=all write needs"),
    BOOL("unclean.leader.election.enable", unclean_leader_election_enable, "false",
         "allow a replica outside the ISR to lead (loses data)"),
    BOOL("auto.create.topics.enable", auto_create_topics_enable, "true",
         "create unknown topics on Metadata and Produce"),
    BOOL("delete.topic.enable", delete_topic_enable, "true", "allow topic deletion"),
    INT("message.max.bytes", message_max_bytes, "1048588", 0, I32MAX,
        "largest record batch accepted"),
    INT("fetch.max.bytes", fetch_max_bytes, "57671680", 1024, I32MAX,
        "largest Fetch response"),
    INT("gregor.fetch.response.max.bytes", fetch_response_max_bytes, "1048576", 1024, I32MAX,
        "largest Fetch response to a consumer (not Kafka's: see docs/BENCHMARKS.md, W2)"),
    /* request cost limits (issue 9): what one request may make the broker do */
    INT("gregor.fetch.parked.max", fetch_parked_max, "10000", 0, I32MAX,
        "Fetch requests waiting for min_bytes at once; more are answered at once"),
    INT("gregor.fetch.parked.partitions.max", fetch_parked_partitions_max, "200000", 0, I32MAX,
        "partition entries of all waiting Fetch requests together; more are answered at once"),
    INT("gregor.metadata.response.max.bytes", metadata_response_max_bytes, "100000000", 1024,
        I32MAX, "largest Metadata response; a larger one closes the connection"),
    INT("gregor.create.partitions.max", create_partitions_max, "10000", 1, I32MAX,
        "partitions one CreateTopics, CreatePartitions or Metadata request may create"),
    INT("gregor.broker.partitions.max", broker_partitions_max, "20000", 1, I32MAX,
        "partition replicas per live broker, on average, beyond which creation is refused"),
    LONG("gregor.produce.inflate.max.bytes", produce_inflate_max_bytes, "134217728", 1, I64MAX,
         "bytes all compressed batches of one Produce request may inflate to when validated"),
    STR("gregor.metrics.listener", metrics_listener, NULL,
        "host:port (or http://host:port) of the Prometheus endpoint GET /metrics; off unless set"),
    /* log */
    STR("log.dir", log_dir, "/tmp/kafka-logs", "log directory, used when log.dirs is absent"),
    LIST("log.dirs", log_dirs, NULL, "comma-separated log directories"),
    STR("gregor.log.umask", log_umask, "077",
        "umask (octal) for the files and directories the broker creates; 077 = 0600/0700"),
    LONG("gregor.log.writeback.bytes", log_writeback_bytes, "0", 0, I64MAX,
         "bytes appended to a partition after which the broker starts writing them to disk "
         "(not an fsync); 0 leaves it to the kernel's dirty-page writeback, as Kafka"),
    LONG("gregor.log.page.cache.behind.bytes", log_page_cache_behind_bytes, "-1", -1, I64MAX,
         "bytes of each partition's newest data kept in the page cache once written to disk; "
         "older data is dropped from it (-1: never, as Kafka; needs gregor.log.writeback.bytes)"),
    INT("log.segment.bytes", log_segment_bytes, "1073741824", 14, I32MAX,
        "segment size that forces a roll"),
    LONG("log.roll.ms", log_roll_ms, NULL, 1, I64MAX, "segment age that forces a roll"),
    INT("log.roll.hours", log_roll_hours, "168", 1, I32MAX, "log.roll.ms in hours"),
    LONG("log.roll.jitter.ms", log_roll_jitter_ms, NULL, 0, I64MAX,
         "random jitter subtracted from the roll age"),
    INT("log.roll.jitter.hours", log_roll_jitter_hours, "0", 0, I32MAX,
        "log.roll.jitter.ms in hours"),
    LONG("log.retention.ms", log_retention_ms, NULL, -1, I64MAX,
         "age after which segments are deleted; -1 keeps forever"),
    INT("log.retention.minutes", log_retention_minutes, NULL, -1, I32MAX,
        "log.retention.ms in minutes"),
    INT("log.retention.hours", log_retention_hours, "168", -1, I32MAX,
        "log.retention.ms in hours"),
    LONG("log.retention.bytes", log_retention_bytes, "-1", -1, I64MAX,
         "size per partition beyond which old segments are deleted; -1 = no limit"),
    LONG("log.retention.check.interval.ms", log_retention_check_interval_ms, "300000", 1, I64MAX,
         "how often retention runs"),
    INT("log.index.interval.bytes", log_index_interval_bytes, "4096", 0, I32MAX,
        "log bytes between offset index entries"),
    INT("log.index.size.max.bytes", log_index_size_max_bytes, "10485760", 4, I32MAX,
        "largest offset index; a full index rolls the segment"),
    LONG("log.flush.interval.messages", log_flush_interval_messages, "9223372036854775807", 1,
         I64MAX, "records appended before the log is fsynced"),
    LONG("log.flush.interval.ms", log_flush_interval_ms, NULL, 0, I64MAX,
         "age of unflushed data before the log is fsynced"),
    LONG("log.flush.scheduler.interval.ms", log_flush_scheduler_interval_ms,
         "9223372036854775807", 0, I64MAX, "default for log.flush.interval.ms"),
    INT("log.flush.offset.checkpoint.interval.ms", log_flush_offset_checkpoint_interval_ms,
        "60000", 0, I32MAX, "how often recovery points are checkpointed"),
    INT("log.flush.start.offset.checkpoint.interval.ms",
        log_flush_start_offset_checkpoint_interval_ms, "60000", 0, I32MAX,
        "how often log start offsets are checkpointed"),
    ENUM("log.cleanup.policy", log_cleanup_policy, "delete", cleanup_policies,
         "delete old segments (compaction is not supported)"),
    ENUM("log.message.timestamp.type", log_message_timestamp_type, "CreateTime",
         timestamp_types, "which timestamp records keep"),
    LONG("log.message.timestamp.difference.max.ms", log_message_timestamp_difference_max_ms,
         "9223372036854775807", 0, I64MAX, "largest CreateTime skew accepted"),
    BOOL("log.message.downconversion.enable", log_message_downconversion_enable, "true",
         "down-convert records for Fetch v0-3 consumers (else UNSUPPORTED_VERSION)"),
    IGN_BOOL("log.preallocate", log_preallocate, "false"),
    LONG("log.segment.delete.delay.ms", log_segment_delete_delay_ms, "60000", 0, I64MAX,
         "grace period before a deleted segment's files are removed"),
    IGN_STR("log.message.format.version", log_message_format_version, "2.8-IV1"),
    IGN_BOOL("log.cleaner.enable", log_cleaner_enable, "true"),
    IGN_INT("num.recovery.threads.per.data.dir", num_recovery_threads_per_data_dir, "1", 1,
            I32MAX),
    /* replication */
    LONG("replica.lag.time.max.ms", replica_lag_time_max_ms, "30000", 1, I64MAX,
         "a follower this far behind leaves the ISR"),
    INT("replica.fetch.wait.max.ms", replica_fetch_wait_max_ms, "500", 0, I32MAX,
        "follower fetch long-poll time"),
    INT("replica.fetch.max.bytes", replica_fetch_max_bytes, "1048576", 0, I32MAX,
        "follower fetch bytes per partition"),
    INT("replica.fetch.min.bytes", replica_fetch_min_bytes, "1", 1, I32MAX,
        "follower fetch minimum bytes"),
    INT("replica.fetch.response.max.bytes", replica_fetch_response_max_bytes, "10485760", 0,
        I32MAX, "follower fetch bytes per response"),
    INT("replica.fetch.backoff.ms", replica_fetch_backoff_ms, "1000", 0, I32MAX,
        "follower wait after a fetch error"),
    INT("replica.socket.timeout.ms", replica_socket_timeout_ms, "30000", 1, I32MAX,
        "follower socket timeout"),
    LONG("replica.high.watermark.checkpoint.interval.ms",
         replica_high_watermark_checkpoint_interval_ms, "5000", 1, I64MAX,
         "how often high watermarks are checkpointed"),
    INT("num.replica.fetchers", num_replica_fetchers, "1", 1, I32MAX,
        "fetcher connections per source broker"),
    /* Kafka keeps these two in /config/brokers only (DynamicConfig.Broker);
     * gregor also takes them from the file. */
    LONG("leader.replication.throttled.rate", leader_replication_throttled_rate,
         "9223372036854775807", 0, I64MAX,
         "bytes per second a leader sends to the replicas of leader.replication.throttled.replicas"),
    LONG("follower.replication.throttled.rate", follower_replication_throttled_rate,
         "9223372036854775807", 0, I64MAX,
         "bytes per second a follower fetches for follower.replication.throttled.replicas"),
    /* controller */
    BOOL("auto.leader.rebalance.enable", auto_leader_rebalance_enable, "true",
         "move leadership back to preferred replicas"),
    LONG("leader.imbalance.check.interval.seconds", leader_imbalance_check_interval_seconds,
         "300", 1, I64MAX, "how often leadership balance is checked"),
    INT("leader.imbalance.per.broker.percentage", leader_imbalance_per_broker_percentage, "10",
        0, 100, "imbalance that triggers a preferred election"),
    BOOL("controlled.shutdown.enable", controlled_shutdown_enable, "true",
         "move leadership away before shutting down"),
    INT("controlled.shutdown.max.retries", controlled_shutdown_max_retries, "3", 0, I32MAX,
        "controlled shutdown attempts"),
    LONG("controlled.shutdown.retry.backoff.ms", controlled_shutdown_retry_backoff_ms, "5000", 0,
         I64MAX, "wait between controlled shutdown attempts"),
    INT("controller.socket.timeout.ms", controller_socket_timeout_ms, "30000", 1, I32MAX,
        "controller to broker socket timeout"),
    /* groups and committed offsets */
    INT("group.min.session.timeout.ms", group_min_session_timeout_ms, "6000", 0, I32MAX,
        "shortest consumer session timeout allowed"),
    INT("group.max.session.timeout.ms", group_max_session_timeout_ms, "1800000", 0, I32MAX,
        "longest consumer session timeout allowed"),
    INT("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, "3000", 0, I32MAX,
        "wait for more members before the first rebalance"),
    INT("group.max.size", group_max_size, "2147483647", 1, I32MAX, "members per group"),
    INT("offsets.retention.minutes", offsets_retention_minutes, "10080", 1, I32MAX,
        "how long committed offsets of empty groups are kept"),
    LONG("offsets.retention.check.interval.ms", offsets_retention_check_interval_ms, "600000", 1,
         I64MAX, "how often expired offsets are removed"),
    INT("offsets.topic.replication.factor", offsets_topic_replication_factor, "3", 1, 32767,
        "replicas of __consumer_offsets, created on the first FindCoordinator"),
    INT("offsets.topic.num.partitions", offsets_topic_num_partitions, "50", 1, I32MAX,
        "partitions of __consumer_offsets: how groups spread over coordinators"),
    INT("offsets.commit.timeout.ms", offsets_commit_timeout_ms, "5000", 1, I32MAX,
        "how long an offset commit may wait"),
    INT("offset.metadata.max.bytes", offset_metadata_max_bytes, "4096", 0, I32MAX,
        "largest metadata string of a committed offset"),
    LONG("transactional.id.expiration.ms", transactional_id_expiration_ms, "604800000", 1,
         I32MAX, "how long a partition keeps an idle idempotent producer's sequence state"),
    LONG("producer.id.expiration.check.interval.ms", producer_id_expiration_check_interval_ms,
         "600000", 1, I32MAX, "how often idle producers' state is dropped"),
    IGN_INT("transaction.state.log.replication.factor", transaction_state_log_replication_factor,
            "3", 1, 32767),
    IGN_INT("transaction.state.log.min.isr", transaction_state_log_min_isr, "2", 1, I32MAX),
};

const struct config_table broker_config_table = {defs, sizeof(defs) / sizeof(defs[0])};

const struct config_def *broker_config_find(const char *name)
{
    return config_table_find(&broker_config_table, name);
}

int broker_config_init(struct broker_config *c)
{
    memset(c, 0, sizeof(*c));
    return config_table_init(&broker_config_table, c, &c->source);
}

void broker_config_destroy(struct broker_config *c)
{
    if (!c->source)
        return;
    for (int i = 0; i < c->n_log_dirs; i++)
        free(c->log_dir_list[i]);
    free(c->ip_overrides);
    config_table_destroy(&broker_config_table, c, &c->source);
    memset(c, 0, sizeof(*c));
}

int broker_config_set(struct broker_config *c, const char *key, const char *value,
                      enum config_source src, char *errstr, size_t errsz)
{
    return config_table_set(&broker_config_table, c, c->source, key, value, src, errstr, errsz);
}

int broker_config_load_file(struct broker_config *c, const char *path, char *errstr, size_t errsz)
{
    return config_table_load_file(&broker_config_table, c, c->source, path, errstr, errsz);
}

size_t broker_config_format(const struct broker_config *c, const struct config_def *d, char *out,
                            size_t outsz)
{
    return config_table_format(d, c, out, outsz);
}

enum config_source broker_config_source(const struct broker_config *c,
                                        const struct config_def *d)
{
    return (enum config_source)c->source[d - broker_config_table.defs];
}

size_t broker_config_inert_keys(const struct broker_config *c, char *out, size_t outsz)
{
    return config_table_inert_keys(&broker_config_table, c, c->source, out, outsz);
}

void broker_config_log_defaults(const struct broker_config *c, struct log_config *o)
{
    memset(o, 0, sizeof(*o));
    o->segment_bytes = c->log_segment_bytes;
    o->segment_ms = c->eff_log_roll_ms;
    o->segment_jitter_ms = c->eff_log_roll_jitter_ms;
    o->segment_index_bytes = c->log_index_size_max_bytes;
    o->index_interval_bytes = c->log_index_interval_bytes;
    o->retention_ms = c->eff_log_retention_ms;
    o->retention_bytes = c->log_retention_bytes;
    o->flush_messages = c->log_flush_interval_messages;
    o->flush_ms = c->eff_log_flush_interval_ms;
    o->max_message_bytes = c->message_max_bytes;
    o->log_append_time = !strcmp(c->log_message_timestamp_type, "LogAppendTime");
    o->timestamp_difference_max_ms = c->log_message_timestamp_difference_max_ms;
    o->min_insync_replicas = c->min_insync_replicas;
    o->unclean_leader_election = c->unclean_leader_election_enable;
    o->downconversion_enable = c->log_message_downconversion_enable;
    o->file_delete_delay_ms = c->log_segment_delete_delay_ms;
    o->writeback_bytes = c->log_writeback_bytes;
    o->cache_behind_bytes = c->log_page_cache_behind_bytes;
}

int broker_config_parse_listeners(const char *key, const char *text,
                                  struct config_listener *out, int max, char *errstr,
                                  size_t errsz)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[512];
        if (len >= sizeof(item) || n == max) {
            snprintf(errstr, errsz, "invalid value for %s: too many or too long entries", key);
            return GR_E_CONFIG;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        while (len && item[len - 1] == ' ')
            item[--len] = '\0';
        char *sep = strstr(item, "://");
        char *colon = sep ? strrchr(sep + 3, ':') : NULL;
        char *endp = NULL;
        long port = colon ? strtol(colon + 1, &endp, 10) : -1;
        if (!sep || sep == item || (size_t)(sep - item) >= sizeof(out[n].name) || !colon ||
            !*(colon + 1) || *endp || port < 0 || port > 65535) {
            snprintf(errstr, errsz,
                     "invalid value \"%s\" for %s: each entry must look like "
                     "PLAINTEXT://host:port (port 0-65535, host may be empty)",
                     item, key);
            return GR_E_CONFIG;
        }
        struct config_listener *l = &out[n];
        memcpy(l->name, item, (size_t)(sep - item));
        l->name[sep - item] = '\0';
        const char *host = sep + 3;
        size_t hlen = (size_t)(colon - host);
        /* [::1]:9092 style IPv6 literals keep their address without brackets. */
        if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
            host++;
            hlen -= 2;
        }
        if (hlen >= sizeof(l->host)) {
            snprintf(errstr, errsz, "invalid value \"%s\" for %s: host name too long", item, key);
            return GR_E_CONFIG;
        }
        memcpy(l->host, host, hlen);
        l->host[hlen] = '\0';
        l->port = (int)port;
        for (int i = 0; i < n; i++)
            if (!strcmp(out[i].name, l->name)) {
                snprintf(errstr, errsz, "invalid value for %s: listener name %s appears twice",
                         key, l->name);
                return GR_E_CONFIG;
            }
        n++;
        p += end ? (size_t)(end - p) : strlen(p);
    }
    if (!n) {
        snprintf(errstr, errsz, "%s must name at least one listener, e.g. PLAINTEXT://:9092", key);
        return GR_E_CONFIG;
    }
    return n;
}

/* Returns the security protocol mapped to a listener name, or NULL. */
static const char *protocol_of(const struct broker_config *c, const char *name, char *out, size_t outsz)
{
    const char *p = c->listener_security_protocol_map;
    size_t nlen = strlen(name);
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *colon = strchr(p, ':');
        if (!colon)
            return NULL;
        const char *end = strchr(colon, ',');
        size_t vlen = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
        if ((size_t)(colon - p) == nlen && !strncmp(p, name, nlen) && vlen < outsz) {
            memcpy(out, colon + 1, vlen);
            out[vlen] = '\0';
            return out;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static int split_log_dirs(struct broker_config *c, char *errstr, size_t errsz)
{
    const char *src = c->log_dirs ? c->log_dirs : c->log_dir;
    const char *key = c->log_dirs ? "log.dirs" : "log.dir";
    const char *p = src;
    while (p && *p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        while (len > 1 && p[len - 1] == '/')
            len--;
        if (c->n_log_dirs == CONFIG_MAX_LOG_DIRS) {
            snprintf(errstr, errsz, "%s names more than %d directories", key,
                     CONFIG_MAX_LOG_DIRS);
            return GR_E_CONFIG;
        }
        if (p[0] != '/') {
            snprintf(errstr, errsz,
                     "invalid value \"%s\" for %s: \"%.*s\" is not an absolute path", src, key,
                     (int)len, p);
            return GR_E_CONFIG;
        }
        char *d = strndup(p, len);
        if (!d)
            return GR_E_NOMEM;
        for (int i = 0; i < c->n_log_dirs; i++)
            if (!strcmp(c->log_dir_list[i], d)) {
                snprintf(errstr, errsz, "invalid value \"%s\" for %s: %s appears twice", src, key,
                         d);
                free(d);
                return GR_E_CONFIG;
            }
        c->log_dir_list[c->n_log_dirs++] = d;
        p += strcspn(p, ",");
    }
    if (!c->n_log_dirs) {
        snprintf(errstr, errsz, "%s must name at least one directory", key);
        return GR_E_CONFIG;
    }
    return 0;
}

/* Parses max.connections.per.ip.overrides ("host:count,host:count") into
 * c->ip_overrides. The count follows the last ':', so an IPv6 address may be
 * written as it is (Kafka splits on every ':' and cannot take one). */
static int parse_ip_overrides(struct broker_config *c, char *errstr, size_t errsz)
{
    const char *key = "max.connections.per.ip.overrides";
    const char *p = c->max_connections_per_ip_overrides ? c->max_connections_per_ip_overrides : "";
    free(c->ip_overrides);
    c->ip_overrides = NULL;
    c->n_ip_overrides = 0;
    size_t n = 1;
    for (const char *q = p; *q; q++)
        n += *q == ',';
    c->ip_overrides = calloc(n, sizeof(*c->ip_overrides));
    if (!c->ip_overrides)
        return GR_E_NOMEM;
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[300];
        const char *start = p;
        p += len + (p[len] == ',');
        while (len && *start == ' ')
            start++, len--;
        while (len && start[len - 1] == ' ')
            len--;
        if (!len)
            continue;
        snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : sizeof(item) - 1),
                 start);
        char *colon = strrchr(item, ':'), *end = NULL;
        long count = colon ? strtol(colon + 1, &end, 10) : -1;
        struct config_ip_override *o = &c->ip_overrides[c->n_ip_overrides];
        if (len >= sizeof(item) || !colon || colon == item || !colon[1] || *end || count < 0 ||
            count > INT32_MAX || (size_t)(colon - item) >= sizeof(o->host)) {
            snprintf(errstr, errsz,
                     "invalid entry \"%s\" in %s: each entry must be host:count with a count of "
                     "0 or more, e.g. 10.0.0.5:200,client.example.com:50",
                     item, key);
            return GR_E_CONFIG;
        }
        *colon = '\0';
        memcpy(o->host, item, (size_t)(colon - item) + 1);
        o->count = (int32_t)count;
        c->n_ip_overrides++;
    }
    return 0;
}

/* gregor.metrics.listener: [http://]host:port, host a name, an IPv4
 * address, a [bracketed] IPv6 address or empty (every address). */
static int parse_metrics_listener(struct broker_config *c, char *errstr, size_t errsz)
{
    const char *v = c->metrics_listener;
    c->eff_metrics_host[0] = '\0';
    c->eff_metrics_port = -1;
    if (!v || !v[0])
        return 0;
    const char *hp = strncmp(v, "http://", 7) ? v : v + 7;
    const char *colon = strrchr(hp, ':');
    const char *host = hp;
    size_t hlen = colon ? (size_t)(colon - hp) : 0;
    char *end = NULL;
    long port = colon && colon[1] ? strtol(colon + 1, &end, 10) : -1;
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    bool bad = !colon || port < 0 || port > 65535 || !end || *end || colon[1] == '-' ||
               colon[1] == '+' || hlen >= sizeof(c->eff_metrics_host) || strstr(hp, "://") ||
               (memchr(host, ':', hlen) && host == hp) || strpbrk(hp, "/ ?#@");
    if (bad) {
        snprintf(errstr, errsz,
                 "invalid value \"%s\" for gregor.metrics.listener: expected host:port or "
                 "http://host:port (port 0-65535, IPv6 addresses in brackets, an empty host "
                 "for every address), e.g. http://127.0.0.1:9404",
                 v);
        return GR_E_CONFIG;
    }
    memcpy(c->eff_metrics_host, host, hlen);
    c->eff_metrics_host[hlen] = '\0';
    c->eff_metrics_port = (int)port;
    return 0;
}

/* The connection and memory limits (see the keys' block in the table). */
static int check_connection_limits(struct broker_config *c, char *errstr, size_t errsz)
{
    int rc = parse_ip_overrides(c, errstr, errsz);
    if (rc)
        return rc;
    if (c->max_connections_per_ip == 0 && !c->n_ip_overrides) {
        snprintf(errstr, errsz,
                 "max.connections.per.ip is 0 and max.connections.per.ip.overrides is empty, so "
                 "no client could connect: raise max.connections.per.ip or name the allowed "
                 "hosts in the overrides");
        return GR_E_CONFIG;
    }
    if (c->queued_max_request_bytes == 0) {
        snprintf(errstr, errsz,
                 "queued.max.request.bytes must be -1 (no limit) or at least 1, not 0");
        return GR_E_CONFIG;
    }
    return 0;
}

int broker_config_derive_log(struct broker_config *c, char *errstr, size_t errsz)
{
    const int64_t hour = 3600000, minute = 60000;
    c->eff_log_roll_ms = c->log_roll_ms != CONFIG_UNSET ? c->log_roll_ms
                                                        : (int64_t)c->log_roll_hours * hour;
    c->eff_log_roll_jitter_ms = c->log_roll_jitter_ms != CONFIG_UNSET
                                    ? c->log_roll_jitter_ms
                                    : (int64_t)c->log_roll_jitter_hours * hour;
    if (c->log_retention_ms != CONFIG_UNSET)
        c->eff_log_retention_ms = c->log_retention_ms;
    else if (c->log_retention_minutes != CONFIG_UNSET_INT)
        c->eff_log_retention_ms = (int64_t)c->log_retention_minutes * minute;
    else
        c->eff_log_retention_ms = (int64_t)c->log_retention_hours * hour;
    /* Kafka treats any negative retention as "forever". */
    if (c->eff_log_retention_ms < 0)
        c->eff_log_retention_ms = -1;
    c->eff_log_flush_interval_ms = c->log_flush_interval_ms != CONFIG_UNSET
                                       ? c->log_flush_interval_ms
                                       : c->log_flush_scheduler_interval_ms;
    if (c->log_page_cache_behind_bytes >= 0 && c->log_writeback_bytes == 0) {
        /* The writeback job is what drops the pages: without it the key
         * would silently do nothing. */
        snprintf(errstr, errsz,
                 "gregor.log.page.cache.behind.bytes (%" PRId64 ") needs "
                 "gregor.log.writeback.bytes above 0 (e.g. 4194304), or set it to -1",
                 c->log_page_cache_behind_bytes);
        return GR_E_CONFIG;
    }
    if (c->eff_log_roll_jitter_ms >= c->eff_log_roll_ms && c->eff_log_roll_jitter_ms > 0) {
        snprintf(errstr, errsz, "log.roll.jitter.ms (%" PRId64 ") must be below log.roll.ms (%" PRId64 ")",
                 c->eff_log_roll_jitter_ms, c->eff_log_roll_ms);
        return GR_E_CONFIG;
    }
    return 0;
}

int broker_config_finalize(struct broker_config *c, char *errstr, size_t errsz)
{
    for (int i = 0; i < c->n_log_dirs; i++)
        free(c->log_dir_list[i]);
    c->n_log_dirs = 0;
    c->eff_zookeeper_connection_timeout_ms =
        c->zookeeper_connection_timeout_ms != CONFIG_UNSET_INT ? c->zookeeper_connection_timeout_ms
                                                               : c->zookeeper_session_timeout_ms;
    if (broker_config_derive_log(c, errstr, errsz))
        return GR_E_CONFIG;

    int rc = split_log_dirs(c, errstr, errsz);
    if (rc)
        return rc;
    char *end;
    long mask = strtol(c->log_umask, &end, 8);
    if (!c->log_umask[0] || *end || mask < 0 || mask > 0777) {
        snprintf(errstr, errsz,
                 "invalid value \"%s\" for gregor.log.umask: expected an octal umask such as 077 "
                 "(files 0600) or 022 (files 0644)",
                 c->log_umask);
        return GR_E_CONFIG;
    }
    c->eff_log_umask = (int)mask;

    int n = broker_config_parse_listeners("listeners", c->listeners, c->listener, CONFIG_MAX_LISTENERS,
                                   errstr, errsz);
    if (n < 0)
        return n;
    c->n_listeners = n;
    if (c->advertised_listeners) {
        n = broker_config_parse_listeners("advertised.listeners", c->advertised_listeners, c->advertised,
                                   CONFIG_MAX_LISTENERS, errstr, errsz);
        if (n < 0)
            return n;
        c->n_advertised = n;
    } else {
        memcpy(c->advertised, c->listener, sizeof(c->listener));
        c->n_advertised = c->n_listeners;
    }
    for (int i = 0; i < c->n_listeners; i++) {
        char proto[64];
        if (!protocol_of(c, c->listener[i].name, proto, sizeof(proto))) {
            snprintf(errstr, errsz,
                     "listener %s in listeners has no entry in listener.security.protocol.map",
                     c->listener[i].name);
            return GR_E_CONFIG;
        }
        if (strcmp(proto, "PLAINTEXT")) {
            snprintf(errstr, errsz,
                     "listener %s uses security protocol %s; gregor supports only PLAINTEXT",
                     c->listener[i].name, proto);
            return GR_E_CONFIG;
        }
    }
    for (int i = 0; i < c->n_advertised; i++) {
        bool found = false;
        for (int j = 0; j < c->n_listeners; j++)
            found |= !strcmp(c->advertised[i].name, c->listener[j].name);
        if (!found) {
            snprintf(errstr, errsz,
                     "advertised.listeners names %s, which is not one of the listeners",
                     c->advertised[i].name);
            return GR_E_CONFIG;
        }
    }
    if (c->inter_broker_listener_name) {
        bool found = false;
        for (int j = 0; j < c->n_listeners; j++)
            found |= !strcmp(c->inter_broker_listener_name, c->listener[j].name);
        if (!found) {
            snprintf(errstr, errsz, "inter.broker.listener.name %s is not one of the listeners",
                     c->inter_broker_listener_name);
            return GR_E_CONFIG;
        }
    }

    if ((rc = check_connection_limits(c, errstr, errsz)) ||
        (rc = parse_metrics_listener(c, errstr, errsz)))
        return rc;
    if (c->zookeeper_set_acl) {
        snprintf(errstr, errsz, "zookeeper.set.acl=true is not supported by gregor; set it to false");
        return GR_E_CONFIG;
    }
    if (c->broker_id < 0 && !c->broker_id_generation_enable) {
        snprintf(errstr, errsz,
                 "broker.id is -1 and broker.id.generation.enable is false: set broker.id");
        return GR_E_CONFIG;
    }
    if (c->broker_id > c->reserved_broker_max_id && c->broker_id_generation_enable) {
        snprintf(errstr, errsz,
                 "broker.id %d is above reserved.broker.max.id %d, the range kept for generated "
                 "ids: choose an id of at most %d or raise reserved.broker.max.id",
                 c->broker_id, c->reserved_broker_max_id, c->reserved_broker_max_id);
        return GR_E_CONFIG;
    }
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms) {
        snprintf(errstr, errsz,
                 "group.min.session.timeout.ms (%d) is larger than group.max.session.timeout.ms "
                 "(%d)",
                 c->group_min_session_timeout_ms, c->group_max_session_timeout_ms);
        return GR_E_CONFIG;
    }
    return 0;
}

