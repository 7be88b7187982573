/*
 * The znode formats of Kafka's ZooKeeper mode, encoded and decoded with cJSON.
 *
 * Owns: the bytes of every znode gregor reads or writes (docs/KAFKA-COMPAT.md §3;
 * Kafka 2.8's ZkData.scala is the reference), strict validation of what it
 * decodes, and Kafka's cluster id generator. It does not talk to ZooKeeper or
 * know znode paths (zk_kafka.c does both), and it does not act on the values.
 *
 * Encoders write compact JSON, the way Kafka's Jackson does, into a new
 * NUL-terminated string the caller frees with free().
 *
 * Decoders read a znode's data (not NUL-terminated; NULL/0 for an empty znode)
 * into a caller-allocated struct. Strings and arrays of a decoded struct live
 * in the struct's own arena and are released together by its _destroy(); a
 * zero-initialised struct is valid to destroy, and so is one whose decode
 * failed. Decoding is strict about every field a broker acts on: malformed
 * JSON, a missing field, a wrong type, an out-of-range number or a duplicate
 * broker id returns GR_E_CORRUPT and writes a reason naming the znode kind and
 * the field to errstr -- a znode typed by hand in zkCli.sh must produce an
 * error message, never a crash. Fields Kafka adds in later versions (broker
 * "features", topic "topic_id") or that nobody reads are accepted.
 *
 * Not here because they carry no data: /admin/delete_topics/<t> (empty) and
 * the persistent parents (null data, as Kafka's createRecursive leaves them).
 *
 * All functions return 0 or a negative gregor error (common/err.h).
 */
#ifndef GREGOR_ZK_ZK_JSON_H
#define GREGOR_ZK_ZK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "zk/zk_owner.h"

/* Kafka's cluster id: 16 random bytes in URL-safe base64 without padding. */
#define ZK_CLUSTER_ID_LEN 22
/* The longest cluster id a decoder accepts (a person may have chosen one). */
#define ZK_CLUSTER_ID_MAX 255

/* One advertised listener of a broker: "LISTENER://host:port". */
struct zk_endpoint {
    char *listener;          /* listener name, upper case ("PLAINTEXT", "INTERNAL") */
    char *security_protocol; /* PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL */
    char *host;              /* host name or address; "" means all interfaces */
    int32_t port;            /* TCP port */
};

/* /brokers/ids/<id>: a live broker's registration (ephemeral). */
struct zk_broker_info {
    int32_t version;               /* format version read; the encoder always writes 4 */
    int32_t jmx_port;              /* -1 when JMX is off */
    int64_t timestamp_ms;          /* registration time, -1 if absent or unreadable */
    struct zk_endpoint *endpoints; /* advertised listeners, in the order given */
    int n_endpoints;               /* entries in endpoints (at least 1) */
    char *rack;                    /* broker.rack, NULL when unset */
    char *host;                    /* legacy "host": first PLAINTEXT endpoint, NULL if none */
    int32_t port;                  /* legacy "port", -1 if no PLAINTEXT endpoint */
    uint64_t incarnation;          /* writer's incarnation (zk_owner.h); 0 = none (Kafka, old gregor) */
    char *process;                 /* writer's process (zk_owner.h); NULL = none */
    struct arena mem;              /* owns the strings and arrays above after a decode */
};

/* Encodes version 4 (endpoints, listener_security_protocol_map, jmx_port,
 * timestamp as a string, rack if set, and the owner fields when
 * b->incarnation / b->process are set). host/port are derived from the first
 * PLAINTEXT endpoint as Kafka does; b->host/b->port are ignored. Borrows b;
 * returns a new string in *out. */
int zk_json_broker_encode(const struct zk_broker_info *b, char **out, char *errstr, size_t errsz);
/* Decodes versions 1 to 5 (Kafka 2.8 writes 5 with "features", ignored).
 * Borrows data; fills *out (its arena owns the results). */
int zk_json_broker_decode(const char *data, size_t len, struct zk_broker_info *out, char *errstr,
                          size_t errsz);
/* Frees what a decode put into b's arena. */
void zk_json_broker_destroy(struct zk_broker_info *b);
/* Parses "LISTENER://host:port" ("[v6addr]" allowed, empty host allowed) into
 * ep, with strings from a. Security protocol is left NULL. */
int zk_json_endpoint_parse(const char *s, struct zk_endpoint *ep, struct arena *a, char *errstr,
                           size_t errsz);

/* The replicas of one partition in /brokers/topics/<t>. */
struct zk_partition_replicas {
    int32_t partition; /* partition id */
    int32_t *replicas; /* broker ids, the first is the preferred leader */
    int n_replicas;    /* at least 1 */
    int32_t *adding;   /* replicas being added by a reassignment (may be empty) */
    int n_adding;      /* entries in adding */
    int32_t *removing; /* replicas being removed by a reassignment (may be empty) */
    int n_removing;    /* entries in removing */
};

/* /brokers/topics/<t>: the replica assignment of a topic. */
struct zk_topic_assignment {
    int32_t version;                          /* format version read (1, 2 or 3) */
    char *topic_id;                           /* Kafka 2.8's "topic_id", NULL if absent */
    struct zk_partition_replicas *partitions; /* sorted by partition id */
    int n_partitions;                         /* entries in partitions */
    struct arena mem;                         /* owns the above after a decode */
};

/* Encodes {"version":1,"partitions":{"0":[1,2]}}; version 2 (with
 * adding_replicas/removing_replicas) when a reassignment is recorded and 3 when
 * a topic id is set, so that what Kafka wrote survives a round trip. */
int zk_json_topic_encode(const struct zk_topic_assignment *t, char **out, char *errstr,
                         size_t errsz);
/* Decodes versions 1 to 3. Every partition needs a non-empty list of distinct
 * broker ids. */
int zk_json_topic_decode(const char *data, size_t len, struct zk_topic_assignment *out,
                         char *errstr, size_t errsz);
void zk_json_topic_destroy(struct zk_topic_assignment *t);

/* /brokers/topics/<t>/partitions/<p>/state: leader and ISR. */
struct zk_partition_state {
    int32_t leader;           /* broker id; -1 no leader, -2 leader during delete */
    int32_t leader_epoch;     /* incremented by every leader change */
    int32_t controller_epoch; /* epoch of the controller that wrote it */
    int32_t *isr;             /* in-sync replicas */
    int n_isr;                /* entries in isr */
    int32_t zk_version;       /* the znode's version (partition epoch); set by readers, not JSON */
    struct arena mem;         /* owns isr after a decode */
};

int zk_json_partition_state_encode(const struct zk_partition_state *s, char **out, char *errstr,
                                   size_t errsz);
/* zk_version is set to -1; readers that have the Stat fill it in. */
int zk_json_partition_state_decode(const char *data, size_t len, struct zk_partition_state *out,
                                   char *errstr, size_t errsz);
void zk_json_partition_state_destroy(struct zk_partition_state *s);

/* /controller: {"version":1,"brokerid":1,"timestamp":"..."} (ephemeral), plus
 * the owner fields when owner is not NULL. */
int zk_json_controller_encode(int32_t broker_id, int64_t timestamp_ms,
                              const struct zk_owner *owner, char **out, char *errstr, size_t errsz);
int zk_json_controller_decode(const char *data, size_t len, int32_t *broker_id, char *errstr,
                              size_t errsz);

/* /controller_epoch: a plain decimal integer ("0" when created). Writes at most
 * 11 bytes plus NUL into out; returns the length or GR_E_INVALID. */
int zk_json_controller_epoch_encode(int32_t epoch, char *out, size_t outsz);
int zk_json_controller_epoch_decode(const char *data, size_t len, int32_t *epoch, char *errstr,
                                    size_t errsz);

/* /latest_producer_id_block, Kafka's ZooKeeper-mode producer id allocation:
 * {"version":1,"broker":<id>,"block_start":"<n>","block_end":"<n>"}, the
 * block's first and last ids (both inclusive) as decimal strings. */
int zk_json_producer_id_block_encode(int32_t broker_id, int64_t block_start, int64_t block_end,
                                     char **out, char *errstr, size_t errsz);
int zk_json_producer_id_block_decode(const char *data, size_t len, int64_t *block_start,
                                     int64_t *block_end, char *errstr, size_t errsz);

/* /consumers/<group>/offsets/<topic>/<partition>: a plain decimal offset, as
 * Burrow and Kafka's old consumers read it. Returns the length written. */
int zk_json_consumer_offset_encode(int64_t offset, char *out, size_t outsz);
int zk_json_consumer_offset_decode(const char *data, size_t len, int64_t *offset, char *errstr,
                                   size_t errsz);

/* /cluster/id: {"version":"1","id":"..."} (the version is a string here). */
int zk_json_cluster_id_encode(const char *id, char **out, char *errstr, size_t errsz);
/* Copies the id (1..ZK_CLUSTER_ID_MAX bytes) into id[idsz]. */
int zk_json_cluster_id_decode(const char *data, size_t len, char *id, size_t idsz, char *errstr,
                              size_t errsz);
/* Writes a new random cluster id (ZK_CLUSTER_ID_LEN chars + NUL) into out; it
 * never starts with '-', so it cannot be mistaken for a command-line option.
 * Returns 0 or GR_E_IO if the kernel has no randomness to give. */
int zk_json_cluster_id_generate(char out[ZK_CLUSTER_ID_LEN + 1]);

/* gregor's owner fields (zk_owner.h) in the ephemeral znodes it writes:
 * "gregor_incarnation" as 16 hex digits (a string, so that JSON readers
 * holding numbers as doubles cannot round it) and "gregor_process". Kafka's
 * decoders and the tools read fields by name and ignore them. */
#define ZK_JSON_OWNER_INCARNATION "gregor_incarnation"
#define ZK_JSON_OWNER_PROCESS "gregor_process"
/* The owner fields of a znode's JSON object: incarnation 0 and process ""
 * where absent or malformed (nothing is proven then). Borrows data. */
void zk_json_owner_decode(const char *data, size_t len, struct zk_owner *out);

/* One key of a topic's dynamic configuration. */
struct zk_config_entry {
    char *key;   /* e.g. "retention.ms" */
    char *value; /* always a string in the znode, e.g. "86400000" */
};

/* /config/topics/<t>: {"version":1,"config":{"retention.ms":"86400000"}}. */
struct zk_config {
    struct zk_config_entry *entries; /* in znode order */
    int n;                           /* entries in entries */
    struct arena mem;                /* owns the above after a decode */
};

int zk_json_config_encode(const struct zk_config *c, char **out, char *errstr, size_t errsz);
/* An empty znode decodes to an empty config, as in Kafka. */
int zk_json_config_decode(const char *data, size_t len, struct zk_config *out, char *errstr,
                          size_t errsz);
void zk_json_config_destroy(struct zk_config *c);

/* /config/changes/config_change_<seq>: {"version":2,"entity_path":"topics/t"}. */
int zk_json_config_change_encode(const char *entity_path, char **out, char *errstr, size_t errsz);
/* Accepts version 2 and Kafka's older version 1 ({"entity_type":"topics",
 * "entity_name":"t"}, returned as "topics/t"). */
int zk_json_config_change_decode(const char *data, size_t len, char *entity_path, size_t sz,
                                 char *errstr, size_t errsz);

/* A topic and partition, as listed in notification znodes. */
struct zk_topic_partition {
    char *topic;       /* topic name */
    int32_t partition; /* partition id */
};

/* /isr_change_notification/isr_change_<seq> and
 * /admin/preferred_replica_election: {"version":1,"partitions":[{"topic":"t",
 * "partition":0}]}. */
struct zk_partition_list {
    struct zk_topic_partition *items; /* in znode order */
    int n;                            /* entries in items */
    struct arena mem;                 /* owns the above after a decode */
};

int zk_json_partition_list_encode(const struct zk_partition_list *l, char **out, char *errstr,
                                  size_t errsz);
int zk_json_partition_list_decode(const char *data, size_t len, struct zk_partition_list *out,
                                  char *errstr, size_t errsz);
void zk_json_partition_list_destroy(struct zk_partition_list *l);

/* One partition's target replicas in /admin/reassign_partitions. */
struct zk_reassignment_entry {
    char *topic;       /* topic name */
    int32_t partition; /* partition id */
    int32_t *replicas; /* the new replica list */
    int n_replicas;    /* at least 1 */
};

/* /admin/reassign_partitions: {"version":1,"partitions":[{"topic":"t",
 * "partition":0,"replicas":[1,2]}]} (extra keys such as "log_dirs" ignored). */
struct zk_reassignment {
    struct zk_reassignment_entry *items; /* in znode order */
    int n;                               /* entries in items */
    struct arena mem;                    /* owns the above after a decode */
};

int zk_json_reassignment_encode(const struct zk_reassignment *r, char **out, char *errstr,
                                size_t errsz);
int zk_json_reassignment_decode(const char *data, size_t len, struct zk_reassignment *out,
                                char *errstr, size_t errsz);
void zk_json_reassignment_destroy(struct zk_reassignment *r);

#endif
