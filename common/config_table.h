/*
 * Configuration tables: the machinery behind server.properties, for any
 * program that describes its keys in one table.
 *
 * A table lists each key with its type, bounds or allowed values, Kafka's
 * default, where the value lands in the owner's struct (an offset), whether
 * gregor acts on it yet, and one line for people. This module parses values
 * (Kafka's rules: trimmed, decimal, true/false in any case), applies
 * defaults, records where each value came from (for DescribeConfigs), reads
 * .properties files and formats values as Kafka shows them. It knows no key:
 * the broker's table and its cross-key rules live in
 * broker/core/broker_config.c, next to the broker.
 */
#ifndef GREGOR_COMMON_CONFIG_TABLE_H
#define GREGOR_COMMON_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks an optional numeric key that was given neither in the file nor by
 * default (INT fields use CONFIG_UNSET_INT). */
#define CONFIG_UNSET INT64_MIN
#define CONFIG_UNSET_INT INT32_MIN

enum config_type {
    CONFIG_INT,    /* int32_t field */
    CONFIG_LONG,   /* int64_t field (CONFIG_UNSET when absent and no default) */
    CONFIG_BOOL,   /* bool field */
    CONFIG_STRING, /* char * field, owned by the config; NULL when absent */
    CONFIG_LIST    /* char * field holding the comma-separated text as given */
};

enum config_source {
    CONFIG_SRC_DEFAULT = 0, /* Kafka's default */
    CONFIG_SRC_FILE = 1,    /* the properties file */
    CONFIG_SRC_OVERRIDE = 2, /* --override on the command line */
    CONFIG_SRC_DYNAMIC_DEFAULT = 3, /* /config/brokers/<default> in ZooKeeper */
    CONFIG_SRC_DYNAMIC_BROKER = 4   /* /config/brokers/<id> in ZooKeeper */
};

/* Whether gregor acts on a key: the one place that says so. */
enum config_effect {
    CONFIG_ACTIVE = 0,   /* the value changes what gregor does */
    CONFIG_NOT_YET,      /* parsed and checked; the feature it tunes has not landed */
    CONFIG_NO_EFFECT,    /* accepted so Kafka's files load; gregor has no such thing */
};

struct config_def {
    const char *name;            /* the key, Kafka's spelling */
    enum config_type type;       /* how the value is parsed and stored */
    const char *dflt;            /* default as text; NULL means "no value" */
    int64_t min, max;            /* inclusive bounds for INT and LONG */
    const char *const *choices;  /* allowed values for a STRING, or NULL */
    size_t offset;               /* where the value lands in the owner's struct */
    enum config_effect effect;   /* see above */
    const char *doc;             /* one line for people */
};

struct config_table {
    const struct config_def *defs; /* the keys, in documentation order */
    size_t n;                      /* entries in defs */
};

/* The entry for name, or NULL. */
const struct config_def *config_table_find(const struct config_table *t, const char *name);

/* Sets every key of obj to its default and allocates *source (one enum
 * config_source per key, all CONFIG_SRC_DEFAULT). Returns 0 or GR_E_NOMEM;
 * a default the table's own rules refuse is a bug and returns GR_E_CONFIG. */
int config_table_init(const struct config_table *t, void *obj, uint8_t **source);
/* Frees the strings of obj and *source. */
void config_table_destroy(const struct config_table *t, void *obj, uint8_t **source);

/* Sets one key from text (trimmed first, as Kafka does). Returns 0; 1 if
 * the key is unknown (a warning names it and the value is ignored); or
 * GR_E_CONFIG with errstr naming the key, the value and what is allowed. */
int config_table_set(const struct config_table *t, void *obj, uint8_t *source, const char *key,
                     const char *value, enum config_source src, char *errstr, size_t errsz);

/* Puts d's value in obj back to the table's default (no value when the
 * default is none) and its source to CONFIG_SRC_DEFAULT. Returns 0, or
 * GR_E_NOMEM (obj keeps its value). */
int config_table_reset(const struct config_table *t, void *obj, uint8_t *source,
                       const struct config_def *d);

/* Reads a .properties file into obj (keys as config_table_set), with
 * "path:line: " before any error. */
int config_table_load_file(const struct config_table *t, void *obj, uint8_t *source,
                           const char *path, char *errstr, size_t errsz);

/* Writes d's current value in obj as Kafka shows it (empty for no value).
 * Returns the text length. */
size_t config_table_format(const struct config_def *d, const void *obj, char *out, size_t outsz);

/* Writes one line naming the keys gregor does not act on yet
 * (CONFIG_NOT_YET) and those it never will (CONFIG_NO_EFFECT), each set
 * away from its default marked with its value. Returns the text length. */
size_t config_table_inert_keys(const struct config_table *t, const void *obj,
                               const uint8_t *source, char *out, size_t outsz);

#endif
