/*
 * libFuzzer target for the ZooKeeper znode decoders (zk/zk_json.c): the
 * bytes a person with zkCli.sh, another broker or a Kafka tool may have left
 * in /brokers/ids/<id>, /brokers/topics/<t>, .../partitions/<p>/state,
 * /controller, /controller_epoch, /consumers/..., /cluster/id,
 * /config/topics/<t>, /config/changes/..., /isr_change_notification/...,
 * /admin/preferred_replica_election and /admin/reassign_partitions, and the
 * owner fields gregor adds to its ephemeral znodes.
 *
 * Input: one byte choosing the decoder (modulo the table below), then the
 * znode's data, copied to a buffer of exactly its size (znode data is not
 * NUL-terminated, and ASan must see a read past its end).
 *
 * Beyond what the sanitizers catch, it aborts when a decoder accepts a znode
 * and the matching encoder cannot write what was decoded, or when decoding
 * that encoding gives other values (the broker rewrites znodes it read, e.g.
 * a partition state with a new leader, and must not corrupt what it keeps).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "tests/fuzz/fuzz_util.h"
#include "zk/zk_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The one place a round-trip mismatch is reported: says which znode kind. */
static void mismatch(const char *kind, const char *what, const char *encoded)
{
    fprintf(stderr, "%s: %s (re-encoded as %s)\n", kind, what, encoded ? encoded : "(nothing)");
    abort();
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool ids_eq(const int32_t *a, int na, const int32_t *b, int nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

static void broker(const char *d, size_t n)
{
    struct zk_broker_info a, b;
    char err[256], *enc = NULL;
    if (zk_json_broker_decode(d, n, &a, err, sizeof(err))) {
        zk_json_broker_destroy(&a);
        return;
    }
    if (a.n_endpoints < 1)
        mismatch("broker", "decoded without endpoints", NULL);
    if (zk_json_broker_encode(&a, &enc, err, sizeof(err)))
        mismatch("broker", err, NULL);
    if (zk_json_broker_decode(enc, strlen(enc), &b, err, sizeof(err)))
        mismatch("broker", err, enc);
    if (a.n_endpoints != b.n_endpoints || a.jmx_port != b.jmx_port || !str_eq(a.rack, b.rack) ||
        a.timestamp_ms != b.timestamp_ms || a.incarnation != b.incarnation ||
        strcmp(a.process ? a.process : "", b.process ? b.process : ""))
        mismatch("broker", "fields differ", enc);
    for (int i = 0; i < a.n_endpoints; i++) {
        const struct zk_endpoint *x = &a.endpoints[i], *y = &b.endpoints[i];
        if (!str_eq(x->listener, y->listener) || !str_eq(x->host, y->host) ||
            !str_eq(x->security_protocol, y->security_protocol) || x->port != y->port)
            mismatch("broker", "endpoints differ", enc);
    }
    free(enc);
    zk_json_broker_destroy(&a);
    zk_json_broker_destroy(&b);
}

static void topic(const char *d, size_t n)
{
    struct zk_topic_assignment a, b;
    char err[256], *enc = NULL;
    if (zk_json_topic_decode(d, n, &a, err, sizeof(err))) {
        zk_json_topic_destroy(&a);
        return;
    }
    if (zk_json_topic_encode(&a, &enc, err, sizeof(err)))
        mismatch("topic", err, NULL);
    if (zk_json_topic_decode(enc, strlen(enc), &b, err, sizeof(err)))
        mismatch("topic", err, enc);
    if (a.n_partitions != b.n_partitions || !str_eq(a.topic_id, b.topic_id))
        mismatch("topic", "fields differ", enc);
    for (int i = 0; i < a.n_partitions; i++) {
        const struct zk_partition_replicas *x = &a.partitions[i], *y = &b.partitions[i];
        if (i > 0 && x->partition <= a.partitions[i - 1].partition)
            mismatch("topic", "partitions not sorted", enc);
        if (x->partition != y->partition ||
            !ids_eq(x->replicas, x->n_replicas, y->replicas, y->n_replicas) ||
            !ids_eq(x->adding, x->n_adding, y->adding, y->n_adding) ||
            !ids_eq(x->removing, x->n_removing, y->removing, y->n_removing))
            mismatch("topic", "replicas differ", enc);
    }
    free(enc);
    zk_json_topic_destroy(&a);
    zk_json_topic_destroy(&b);
}

static void partition_state(const char *d, size_t n)
{
    struct zk_partition_state a, b;
    char err[256], *enc = NULL;
    if (zk_json_partition_state_decode(d, n, &a, err, sizeof(err))) {
        zk_json_partition_state_destroy(&a);
        return;
    }
    if (zk_json_partition_state_encode(&a, &enc, err, sizeof(err)))
        mismatch("partition state", err, NULL);
    if (zk_json_partition_state_decode(enc, strlen(enc), &b, err, sizeof(err)))
        mismatch("partition state", err, enc);
    if (a.leader != b.leader || a.leader_epoch != b.leader_epoch ||
        a.controller_epoch != b.controller_epoch || !ids_eq(a.isr, a.n_isr, b.isr, b.n_isr))
        mismatch("partition state", "fields differ", enc);
    free(enc);
    zk_json_partition_state_destroy(&a);
    zk_json_partition_state_destroy(&b);
}

static bool owner_eq(const struct zk_owner *a, const struct zk_owner *b)
{
    return a->incarnation == b->incarnation && strcmp(a->process, b->process) == 0;
}

static void controller(const char *d, size_t n)
{
    int32_t id, id2;
    struct zk_owner o, o2;
    char err[256], *enc = NULL;
    if (zk_json_controller_decode(d, n, &id, err, sizeof(err)))
        return;
    zk_json_owner_decode(d, n, &o);
    if (zk_json_controller_encode(id, 1, &o, &enc, err, sizeof(err)))
        mismatch("controller", err, NULL);
    zk_json_owner_decode(enc, strlen(enc), &o2);
    if (zk_json_controller_decode(enc, strlen(enc), &id2, err, sizeof(err)) || id != id2 ||
        !owner_eq(&o, &o2))
        mismatch("controller", "broker id or owner differs", enc);
    free(enc);
}

/* The owner fields any of gregor's ephemeral znodes may carry: never an
 * error, at worst "not proven" (0 / ""). */
static void owner(const char *d, size_t n)
{
    struct zk_owner o, o2;
    char err[256], *enc = NULL;
    zk_json_owner_decode(d, n, &o);
    if (strnlen(o.process, sizeof(o.process)) == sizeof(o.process))
        mismatch("owner", "process not terminated", NULL);
    if (zk_json_controller_encode(1, 1, &o, &enc, err, sizeof(err)))
        mismatch("owner", err, NULL);
    zk_json_owner_decode(enc, strlen(enc), &o2);
    if (!owner_eq(&o, &o2))
        mismatch("owner", "owner fields differ", enc);
    free(enc);
}

static void controller_epoch(const char *d, size_t n)
{
    int32_t e, e2;
    char err[256], enc[16];
    if (zk_json_controller_epoch_decode(d, n, &e, err, sizeof(err)))
        return;
    int len = zk_json_controller_epoch_encode(e, enc, sizeof(enc));
    if (len < 0)
        mismatch("controller epoch", "cannot encode", NULL);
    if (zk_json_controller_epoch_decode(enc, (size_t)len, &e2, err, sizeof(err)) || e != e2)
        mismatch("controller epoch", "epoch differs", enc);
}

static void consumer_offset(const char *d, size_t n)
{
    int64_t o, o2;
    char err[256], enc[32];
    if (zk_json_consumer_offset_decode(d, n, &o, err, sizeof(err)))
        return;
    int len = zk_json_consumer_offset_encode(o, enc, sizeof(enc));
    if (len < 0)
        mismatch("consumer offset", "cannot encode", NULL);
    if (zk_json_consumer_offset_decode(enc, (size_t)len, &o2, err, sizeof(err)) || o != o2)
        mismatch("consumer offset", "offset differs", enc);
}

static void cluster_id(const char *d, size_t n)
{
    char id[ZK_CLUSTER_ID_MAX + 1], id2[ZK_CLUSTER_ID_MAX + 1], err[256], *enc = NULL;
    if (zk_json_cluster_id_decode(d, n, id, sizeof(id), err, sizeof(err)))
        return;
    if (zk_json_cluster_id_encode(id, &enc, err, sizeof(err)))
        mismatch("cluster id", err, NULL);
    if (zk_json_cluster_id_decode(enc, strlen(enc), id2, sizeof(id2), err, sizeof(err)) ||
        strcmp(id, id2))
        mismatch("cluster id", "id differs", enc);
    free(enc);
}

static void config(const char *d, size_t n)
{
    struct zk_config a, b;
    char err[256], *enc = NULL;
    if (zk_json_config_decode(d, n, &a, err, sizeof(err))) {
        zk_json_config_destroy(&a);
        return;
    }
    if (zk_json_config_encode(&a, &enc, err, sizeof(err)))
        mismatch("config", err, NULL);
    if (zk_json_config_decode(enc, strlen(enc), &b, err, sizeof(err)) || a.n != b.n)
        mismatch("config", "entries differ", enc);
    for (int i = 0; i < a.n; i++)
        if (!str_eq(a.entries[i].key, b.entries[i].key) ||
            !str_eq(a.entries[i].value, b.entries[i].value))
            mismatch("config", "entries differ", enc);
    free(enc);
    zk_json_config_destroy(&a);
    zk_json_config_destroy(&b);
}

static void config_change(const char *d, size_t n)
{
    char path[512], path2[512], err[256], *enc = NULL;
    if (zk_json_config_change_decode(d, n, path, sizeof(path), err, sizeof(err)))
        return;
    if (zk_json_config_change_encode(path, &enc, err, sizeof(err)))
        mismatch("config change", err, NULL);
    if (zk_json_config_change_decode(enc, strlen(enc), path2, sizeof(path2), err, sizeof(err)) ||
        strcmp(path, path2))
        mismatch("config change", "entity path differs", enc);
    free(enc);
}

static void partition_list(const char *d, size_t n)
{
    struct zk_partition_list a, b;
    char err[256], *enc = NULL;
    if (zk_json_partition_list_decode(d, n, &a, err, sizeof(err))) {
        zk_json_partition_list_destroy(&a);
        return;
    }
    if (zk_json_partition_list_encode(&a, &enc, err, sizeof(err)))
        mismatch("partition list", err, NULL);
    if (zk_json_partition_list_decode(enc, strlen(enc), &b, err, sizeof(err)) || a.n != b.n)
        mismatch("partition list", "entries differ", enc);
    for (int i = 0; i < a.n; i++)
        if (!str_eq(a.items[i].topic, b.items[i].topic) ||
            a.items[i].partition != b.items[i].partition)
            mismatch("partition list", "entries differ", enc);
    free(enc);
    zk_json_partition_list_destroy(&a);
    zk_json_partition_list_destroy(&b);
}

static void reassignment(const char *d, size_t n)
{
    struct zk_reassignment a, b;
    char err[256], *enc = NULL;
    if (zk_json_reassignment_decode(d, n, &a, err, sizeof(err))) {
        zk_json_reassignment_destroy(&a);
        return;
    }
    if (zk_json_reassignment_encode(&a, &enc, err, sizeof(err)))
        mismatch("reassignment", err, NULL);
    if (zk_json_reassignment_decode(enc, strlen(enc), &b, err, sizeof(err)) || a.n != b.n)
        mismatch("reassignment", "entries differ", enc);
    for (int i = 0; i < a.n; i++)
        if (!str_eq(a.items[i].topic, b.items[i].topic) ||
            a.items[i].partition != b.items[i].partition ||
            !ids_eq(a.items[i].replicas, a.items[i].n_replicas, b.items[i].replicas,
                    b.items[i].n_replicas))
            mismatch("reassignment", "entries differ", enc);
    free(enc);
    zk_json_reassignment_destroy(&a);
    zk_json_reassignment_destroy(&b);
}

/* An endpoint string ("LISTENER://host:port", from the broker's own
 * listeners/advertised.listeners as well as from znodes): NUL-terminated. */
static void endpoint(const char *d, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return;
    if (n)
        memcpy(s, d, n);
    s[n] = '\0'; /* one byte more than the input: a string, not a znode */
    struct arena a;
    struct zk_endpoint ep;
    char err[256];
    arena_init(&a);
    if (!zk_json_endpoint_parse(s, &ep, &a, err, sizeof(err)) &&
        (!ep.listener || !*ep.listener || !ep.host || ep.port < 0 || ep.port > 65535))
        mismatch("endpoint", "parsed into an impossible endpoint", s);
    arena_destroy(&a);
    free(s);
}

static void (*const decoders[])(const char *d, size_t n) = {
    broker,          topic,      partition_state, controller,     controller_epoch, consumer_offset,
    cluster_id,      config,     config_change,   partition_list, reassignment,     endpoint,
    owner,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = size - 1;
    char *d = fuzz_exact_copy(data + 1, n);
    if (!d)
        return 0;
    decoders[data[0] % (sizeof(decoders) / sizeof(decoders[0]))](n ? d : NULL, n);
    free(d);
    return 0;
}
