/*
 * Dynamic configs in ZooKeeper, edited the way Kafka's AdminZkClient does:
 * /config/<type>/<name> read, changed, written back with a compare-and-set
 * on the version read, and the change recorded under /config/changes.
 * Shared by gregor-configs --zookeeper and gregor-reassign-partitions
 * --zookeeper (its throttles).
 */
#ifndef GREGOR_TOOLS_CONFIGS_ZK_H
#define GREGOR_TOOLS_CONFIGS_ZK_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/topics_zk.h"
#include "zk/zk_json.h"

/* Reads /config/<type>/<znode> into c (empty if absent; destroy with
 * zk_json_config_destroy), with its version (-1 if absent). Returns 0, or
 * -1 with err. */
int configs_zk_read(struct topics_zk *z, const char *type, const char *znode,
                    struct zk_config *c, int *version, char *err, size_t errsz);

/* Sets the nadd keys/values and deletes the ndel keys (all borrowed) of
 * /config/<type>/<znode>. A key to delete that is not set is refused
 * ("Invalid config(s): k", nothing written) when strict, else skipped; a
 * change that changes nothing writes nothing. Returns 0, or -1 with err. */
int configs_zk_edit(struct topics_zk *z, const char *type, const char *znode,
                    char *const *keys, char *const *values, int nadd, char *const *dels,
                    int ndel, bool strict, char *err, size_t errsz);

#endif
