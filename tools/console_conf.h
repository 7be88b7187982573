/*
 * The client properties of a console tool, gathered the way Kafka's tools
 * gather theirs: a --*.config file first, then --*-property k=v in order,
 * then what the tool's own flags set; a later value for a key wins (Java's
 * Properties.put). Kept as pairs until applied, so a tool can ask what the
 * user set (group.id, auto.offset.reset) before building the client.
 *
 * It does not know any key's meaning; librdkafka judges them when applied.
 */
#ifndef GREGOR_TOOLS_CONSOLE_CONF_H
#define GREGOR_TOOLS_CONSOLE_CONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

struct console_conf {
    char **keys;   /* owned */
    char **values; /* owned, parallel to keys */
    int n;         /* pairs */
};

/* Appends key=value (copied). -1 on allocation failure. */
int console_conf_set(struct console_conf *c, const char *key, const char *value);
/* Appends "k=v" (copied); -1 after a message naming tool, option and text on
 * stderr if kv has no '=' or an empty key. */
int console_conf_add_kv(struct console_conf *c, const char *tool, const char *option,
                        const char *kv);
/* Appends every key of the .properties file at path; -1 after a message. */
int console_conf_load(struct console_conf *c, const char *tool, const char *path);
/* The last value set for key, or NULL. Borrowed from c. */
const char *console_conf_get(const struct console_conf *c, const char *key);
/* Sets every pair on conf in order; -1 after a message naming the tool, the
 * key and librdkafka's reason. */
int console_conf_apply(const struct console_conf *c, rd_kafka_conf_t *conf, const char *tool);
void console_conf_destroy(struct console_conf *c);

/* Creates a client of type from c (which it destroys in every case); dr,
 * if not NULL, is the producer's delivery report callback. NULL after a
 * message naming the tool and the reason. */
rd_kafka_t *console_conf_client(struct console_conf *c, rd_kafka_type_t type, const char *tool,
                                void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *));

#endif
