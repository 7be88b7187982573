/*
 * gregor-configs' two modes: configs_main.c (the command line and the
 * --zookeeper mode) and configs_boot.c (the --bootstrap-server mode).
 */
#ifndef GREGOR_TOOLS_CONFIGS_CMD_H
#define GREGOR_TOOLS_CONFIGS_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* Prints the dynamic configs (all of them with all) of topic name, or of
 * broker name when broker is set ("" for the brokers' default), as Kafka's
 * tool does in --bootstrap-server mode. Returns 0, or -1 with the reason
 * in err. */
int configs_boot_describe(const char *bootstrap, bool broker, const char *name, bool all,
                          char *err, size_t errsz);
/* Sets the nadd keys/values and deletes the ndel keys of the topic or
 * broker (as above; all borrowed) with one IncrementalAlterConfigs, after
 * checking that every key to delete is set. Returns 0 (and prints Kafka's
 * line), or -1 with the reason in err. */
int configs_boot_alter(const char *bootstrap, bool broker, const char *name, char *const *keys,
                       char *const *values, int nadd, char *const *dels, int ndel, char *err,
                       size_t errsz);

#endif
