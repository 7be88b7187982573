/*
 * The broker's configuration: every server.properties key gregord knows, in
 * one table (broker_config.c) that gives each key's type, bounds, Kafka 2.8
 * default, where it lands in struct broker_config, and whether gregor acts
 * on it yet.
 *
 * Owns the key table, the precedence rules between related keys
 * (log.retention.ms over .minutes over .hours, and so on), the cross-key
 * checks, and turning listeners and log.dirs into lists. Parsing values,
 * defaults and sources are the generic machinery of common/config_table.c;
 * topic-level overrides live in broker/log/log_config.c.
 */
#ifndef GREGOR_BROKER_CORE_BROKER_CONFIG_H
#define GREGOR_BROKER_CORE_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config_table.h"

struct log_config;

/* One listener from "listeners" (e.g. PLAINTEXT://127.0.0.1:9092). */
struct config_listener {
    char name[32];  /* listener name, e.g. PLAINTEXT */
    char host[256]; /* empty means all interfaces */
    int port;       /* 0 lets the kernel pick */
};

/* One entry of max.connections.per.ip.overrides ("host:count"). */
struct config_ip_override {
    char host[256]; /* a host name or address, resolved when the listeners are bound */
    int32_t count;  /* connections allowed from it */
};

#define CONFIG_MAX_LISTENERS 8
#define CONFIG_MAX_LOG_DIRS 64

struct broker_config {
    /* identity */
    int32_t broker_id;                        /* broker.id; -1 asks ZooKeeper for one */
    bool broker_id_generation_enable;         /* broker.id.generation.enable */
    int32_t reserved_broker_max_id;           /* reserved.broker.max.id */
    char *broker_rack;                        /* broker.rack */
    /* network */
    char *listeners;                          /* listeners */
    char *advertised_listeners;               /* advertised.listeners; defaults to listeners */
    char *listener_security_protocol_map;     /* listener.security.protocol.map */
    char *inter_broker_listener_name;         /* inter.broker.listener.name */
    char *security_inter_broker_protocol;     /* security.inter.broker.protocol */
    int32_t socket_request_max_bytes;         /* socket.request.max.bytes */
    int32_t socket_send_buffer_bytes;         /* socket.send.buffer.bytes; -1 = OS default */
    int32_t socket_receive_buffer_bytes;      /* socket.receive.buffer.bytes; -1 = OS default */
    int64_t connections_max_idle_ms;          /* connections.max.idle.ms */
    int32_t max_connections;                  /* max.connections */
    int32_t num_network_threads;              /* num.network.threads (ignored) */
    int32_t num_io_threads;                   /* num.io.threads (ignored) */
    int32_t queued_max_requests;              /* queued.max.requests: in flight per connection */
    int32_t max_connections_per_ip;           /* max.connections.per.ip */
    char *max_connections_per_ip_overrides;   /* max.connections.per.ip.overrides, as given */
    int64_t queued_max_request_bytes;         /* queued.max.request.bytes: broker-wide; -1 = none */
    int32_t queued_max_response_bytes;        /* gregor.queued.max.response.bytes: per connection */
    /* zookeeper */
    char *zookeeper_connect;                  /* zookeeper.connect host:port[,..][/chroot] */
    int32_t zookeeper_session_timeout_ms;     /* zookeeper.session.timeout.ms */
    int32_t zookeeper_connection_timeout_ms;  /* zookeeper.connection.timeout.ms */
    int32_t zookeeper_max_in_flight_requests; /* zookeeper.max.in.flight.requests */
    bool zookeeper_set_acl;                   /* zookeeper.set.acl (must stay false) */
    /* topics */
    int32_t num_partitions;                   /* num.partitions for auto-created topics */
    int32_t default_replication_factor;       /* default.replication.factor */
    int32_t min_insync_replicas;              /* min.insync.replicas */
    bool unclean_leader_election_enable;      /* unclean.leader.election.enable */
    bool auto_create_topics_enable;           /* auto.create.topics.enable */
    bool delete_topic_enable;                 /* delete.topic.enable */
    int32_t message_max_bytes;                /* message.max.bytes: largest batch */
    int32_t fetch_max_bytes;                  /* fetch.max.bytes: cap on a Fetch response */
    int32_t fetch_response_max_bytes;         /* gregor.fetch.response.max.bytes: consumers' cap */
    int32_t fetch_parked_max;                 /* gregor.fetch.parked.max: waiting Fetch requests */
    int32_t fetch_parked_partitions_max;      /* gregor.fetch.parked.partitions.max: their entries */
    int32_t metadata_response_max_bytes;      /* gregor.metadata.response.max.bytes */
    int32_t create_partitions_max;            /* gregor.create.partitions.max: per request */
    int32_t broker_partitions_max;            /* gregor.broker.partitions.max: replicas per broker */
    int64_t produce_inflate_max_bytes;        /* gregor.produce.inflate.max.bytes: per request */
    char *metrics_listener;                   /* gregor.metrics.listener; NULL or "": off */
    /* log */
    char *log_dir;                            /* log.dir, used when log.dirs is absent */
    char *log_dirs;                           /* log.dirs */
    char *log_umask;                          /* gregor.log.umask (octal text) */
    int64_t log_writeback_bytes;              /* gregor.log.writeback.bytes */
    int64_t log_page_cache_behind_bytes;      /* gregor.log.page.cache.behind.bytes */
    int32_t log_segment_bytes;                /* log.segment.bytes */
    int64_t log_roll_ms;                      /* log.roll.ms (wins over hours) */
    int32_t log_roll_hours;                   /* log.roll.hours */
    int64_t log_roll_jitter_ms;               /* log.roll.jitter.ms (wins over hours) */
    int32_t log_roll_jitter_hours;            /* log.roll.jitter.hours */
    int64_t log_retention_ms;                 /* log.retention.ms (wins over minutes) */
    int32_t log_retention_minutes;            /* log.retention.minutes */
    int32_t log_retention_hours;              /* log.retention.hours */
    int64_t log_retention_bytes;              /* log.retention.bytes; -1 = no limit */
    int64_t log_retention_check_interval_ms;  /* log.retention.check.interval.ms */
    int32_t log_index_interval_bytes;         /* log.index.interval.bytes */
    int32_t log_index_size_max_bytes;         /* log.index.size.max.bytes */
    int64_t log_flush_interval_messages;      /* log.flush.interval.messages */
    int64_t log_flush_interval_ms;            /* log.flush.interval.ms */
    int64_t log_flush_scheduler_interval_ms;  /* log.flush.scheduler.interval.ms */
    int32_t log_flush_offset_checkpoint_interval_ms;       /* recovery points */
    int32_t log_flush_start_offset_checkpoint_interval_ms; /* log start offsets */
    char *log_cleanup_policy;                 /* log.cleanup.policy (delete only) */
    char *log_message_timestamp_type;         /* CreateTime or LogAppendTime */
    bool log_message_downconversion_enable;   /* log.message.downconversion.enable */
    int64_t log_message_timestamp_difference_max_ms; /* allowed clock skew of CreateTime */
    bool log_preallocate;                     /* log.preallocate (ignored) */
    int64_t log_segment_delete_delay_ms;      /* log.segment.delete.delay.ms */
    char *log_message_format_version;         /* log.message.format.version (ignored) */
    bool log_cleaner_enable;                  /* log.cleaner.enable (ignored: no compaction) */
    int32_t num_recovery_threads_per_data_dir;/* num.recovery.threads.per.data.dir (ignored) */
    /* replication */
    int64_t replica_lag_time_max_ms;          /* replica.lag.time.max.ms */
    int32_t replica_fetch_wait_max_ms;        /* replica.fetch.wait.max.ms */
    int32_t replica_fetch_max_bytes;          /* replica.fetch.max.bytes */
    int32_t replica_fetch_min_bytes;          /* replica.fetch.min.bytes */
    int32_t replica_fetch_response_max_bytes; /* replica.fetch.response.max.bytes */
    int32_t replica_socket_timeout_ms;        /* replica.socket.timeout.ms */
    int32_t replica_fetch_backoff_ms;         /* replica.fetch.backoff.ms */
    int64_t replica_high_watermark_checkpoint_interval_ms; /* HW checkpoint period */
    int32_t num_replica_fetchers;             /* num.replica.fetchers */
    int64_t leader_replication_throttled_rate;   /* bytes/s a leader sends throttled replicas */
    int64_t follower_replication_throttled_rate; /* bytes/s a follower fetches for them */
    /* controller */
    bool auto_leader_rebalance_enable;        /* auto.leader.rebalance.enable */
    int64_t leader_imbalance_check_interval_seconds; /* leader.imbalance.check.interval.seconds */
    int32_t leader_imbalance_per_broker_percentage;  /* leader.imbalance.per.broker.percentage */
    bool controlled_shutdown_enable;          /* controlled.shutdown.enable */
    int32_t controlled_shutdown_max_retries;  /* controlled.shutdown.max.retries */
    int64_t controlled_shutdown_retry_backoff_ms; /* controlled.shutdown.retry.backoff.ms */
    int32_t controller_socket_timeout_ms;     /* controller.socket.timeout.ms */
    /* consumer groups and committed offsets */
    int32_t group_min_session_timeout_ms;     /* group.min.session.timeout.ms */
    int32_t group_max_session_timeout_ms;     /* group.max.session.timeout.ms */
    int32_t group_initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms */
    int32_t group_max_size;                   /* group.max.size */
    int32_t offsets_retention_minutes;        /* offsets.retention.minutes */
    int64_t offsets_retention_check_interval_ms; /* offsets.retention.check.interval.ms */
    int32_t offsets_topic_replication_factor; /* offsets.topic.replication.factor */
    int32_t offsets_topic_num_partitions;     /* offsets.topic.num.partitions */
    int32_t offsets_commit_timeout_ms;        /* offsets.commit.timeout.ms */
    int32_t offset_metadata_max_bytes;        /* offset.metadata.max.bytes */
    int64_t transactional_id_expiration_ms; /* transactional.id.expiration.ms: producer state */
    int64_t producer_id_expiration_check_interval_ms; /* producer.id.expiration.check.interval.ms */
    int32_t transaction_state_log_replication_factor; /* (ignored) */
    int32_t transaction_state_log_min_isr;    /* (ignored) */

    /* Derived by config_finalize(); read these, not the raw keys above. */
    int64_t eff_log_roll_ms;                  /* segment age that forces a roll */
    int64_t eff_log_roll_jitter_ms;           /* random jitter subtracted from it */
    int64_t eff_log_retention_ms;             /* -1 = keep forever */
    int64_t eff_log_flush_interval_ms;        /* INT64_MAX = never by time */
    int64_t eff_zookeeper_connection_timeout_ms;
    int eff_log_umask;                        /* gregor.log.umask as a number */
    char eff_metrics_host[256];               /* gregor.metrics.listener's host ("": all) */
    int eff_metrics_port;                     /* and port (0: any free one) */
    int n_log_dirs;                           /* entries in log_dir_list */
    char *log_dir_list[CONFIG_MAX_LOG_DIRS];  /* owned, no trailing slash */
    int n_listeners;                          /* entries in listener */
    struct config_listener listener[CONFIG_MAX_LISTENERS];
    int n_advertised;                         /* entries in advertised */
    struct config_listener advertised[CONFIG_MAX_LISTENERS];
    int n_ip_overrides;                       /* entries in ip_overrides */
    struct config_ip_override *ip_overrides;  /* max.connections.per.ip.overrides parsed; owned */

    uint8_t *source;                          /* enum config_source per table entry; owned */
};

/* The table, in documentation order. */
extern const struct config_table broker_config_table;

/* The entry for name, or NULL. */
const struct config_def *broker_config_find(const char *name);

/* Fills c with Kafka's defaults. Returns 0 or GR_E_NOMEM. */
int broker_config_init(struct broker_config *c);
/* Frees everything broker_config_init and broker_config_set allocated. */
void broker_config_destroy(struct broker_config *c);

/* Sets one key from text. Returns 0; 1 if the key is unknown (a warning has
 * been logged naming it and the value is ignored); or GR_E_CONFIG with errstr
 * naming the key, the value and what is allowed. */
int broker_config_set(struct broker_config *c, const char *key, const char *value,
                      enum config_source src, char *errstr, size_t errsz);

/* Reads a server.properties file into c (keys as broker_config_set). */
int broker_config_load_file(struct broker_config *c, const char *path, char *errstr,
                            size_t errsz);

/* Applies precedence between related keys, parses listeners and log dirs,
 * and checks combinations. Call once after all sets. Returns 0 or GR_E_CONFIG
 * with errstr set. */
int broker_config_finalize(struct broker_config *c, char *errstr, size_t errsz);

/* Recomputes the eff_log_* values from the log keys (the part of
 * broker_config_finalize that dynamic broker configs change) and checks
 * them. Returns 0 or GR_E_CONFIG with errstr set. */
int broker_config_derive_log(struct broker_config *c, char *errstr, size_t errsz);

/* Writes def's current value in c as Kafka would show it (empty string for
 * no value). Returns the text length. */
size_t broker_config_format(const struct broker_config *c, const struct config_def *def,
                            char *out, size_t outsz);

/* Where def's value came from (enum config_source). */
enum config_source broker_config_source(const struct broker_config *c,
                                        const struct config_def *def);

/* One line naming the keys accepted without effect (see
 * config_table_inert_keys), for the start-up log. Returns its length. */
size_t broker_config_inert_keys(const struct broker_config *c, char *out, size_t outsz);

/* The settings a topic without overrides gets from the broker's keys
 * (log.segment.bytes becomes segment.bytes, and so on). */
void broker_config_log_defaults(const struct broker_config *c, struct log_config *out);

/* Parses "NAME://host:port[,NAME://host:port...]" into out (at most max).
 * Returns the count, or GR_E_CONFIG with errstr set. */
int broker_config_parse_listeners(const char *key, const char *text,
                                  struct config_listener *out, int max, char *errstr,
                                  size_t errsz);

/* The listener other brokers reach this one on: inter.broker.listener.name,
 * else the one named like security.inter.broker.protocol (Kafka's rule).
 * Borrowed from c. */
static inline const char *broker_config_inter_broker_listener(const struct broker_config *c)
{
    return c->inter_broker_listener_name ? c->inter_broker_listener_name
                                         : c->security_inter_broker_protocol;
}

#endif
