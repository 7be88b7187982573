/*
 * gregor-configs' entity types: what each of topics, brokers, users and
 * clients is called in Kafka's output, how its name becomes a znode name
 * under /config/<type>, and which keys and values it takes.
 *
 *   topics   the topic config table (the broker's own check)
 *   brokers  the dynamic broker keys (broker/core/broker_dynamic.c), for a
 *            broker id or <default> (--entity-default)
 *   users,   Kafka's quota keys (producer_byte_rate, consumer_byte_rate,
 *   clients  request_percentage, controller_mutation_rate), for a user
 *            principal or client id, or <default>; names sanitized as
 *            Kafka's Sanitizer does (URL-encoded, '*' as %2A). gregor
 *            stores them for Kafka's tools and does not enforce quotas yet.
 */
#ifndef GREGOR_TOOLS_CONFIGS_ENTITY_H
#define GREGOR_TOOLS_CONFIGS_ENTITY_H

#include <stdbool.h>
#include <stddef.h>

enum configs_entity_type { ENTITY_TOPICS, ENTITY_BROKERS, ENTITY_USERS, ENTITY_CLIENTS };

/* The type named by text (Kafka's --entity-type values); -1 if none. */
int configs_entity_type(const char *text);

/* Kafka's name of the type in "Configs for ..." lines: topic, brokers,
 * user-principal, client-id. Static. */
const char *configs_entity_label(enum configs_entity_type t);

/* The znode name of entity name (NULL: the default entity, "<default>")
 * into out. Returns 0, or -1 with err saying why the name is not one. */
int configs_entity_znode(enum configs_entity_type t, const char *name, char *out, size_t outsz,
                         char *err, size_t errsz);

/* The entity as Kafka prints it ("topic 't'", "brokers '0'", "default
 * brokers", "user-principal 'alice'") for a znode name, into out. */
void configs_entity_describe(enum configs_entity_type t, const char *znode, char *out,
                             size_t outsz);

/* Checks one key=value for the type. Returns 0, or -1 with err naming the
 * key, the value and what is allowed. */
int configs_entity_check(enum configs_entity_type t, const char *key, const char *value,
                         char *err, size_t errsz);

#endif
