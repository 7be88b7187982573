/*
 * gregor-reassign-partitions: Kafka 2.8's kafka-reassign-partitions
 * (ReassignPartitionsCommand). reassign_main.c has the command line and the
 * commands; reassign_json.c the JSON files; reassign_zk.c and
 * reassign_boot.c the two ways to reach the cluster, behind struct
 * ra_backend.
 */
#ifndef GREGOR_TOOLS_REASSIGN_H
#define GREGOR_TOOLS_REASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One partition: its replicas (a plan's target, or the cluster's current
 * list), and for the current list the replicas being added and removed. */
struct ra_part {
    char *topic;       /* owned */
    int32_t partition;
    int32_t *replicas; /* owned, with adding and removing in the same allocation */
    int n;
    int32_t *adding, *removing;
    int na, nr;
    bool pending;      /* asked for and not yet picked up by the controller */
};

struct ra_list {
    struct ra_part *p; /* owned */
    int n, cap;
};

void ra_list_free(struct ra_list *l);
/* Appends a copy. Returns 0 or -1 (out of memory). */
int ra_list_add(struct ra_list *l, const char *topic, int32_t partition, const int32_t *replicas,
                int n, const int32_t *adding, int na, const int32_t *removing, int nr);
/* The entry for topic-partition, or NULL. */
struct ra_part *ra_list_find(const struct ra_list *l, const char *topic, int32_t partition);
/* Sorts by topic, then partition. */
void ra_list_sort(struct ra_list *l);
/* "t-0,t-1" into out. */
void ra_list_names(const struct ra_list *l, char *out, size_t outsz);

/* Reads a whole file into *text (free()). Returns 0 or -1 with err. */
int ra_read_file(const char *path, char **text, char *err, size_t errsz);
/* The largest JSON file the tools read (RA_FILE_MAX bytes). */
#define RA_FILE_MAX (256 << 20)
/* Kafka's reassignment JSON ({"version":1,"partitions":[{"topic":"t",
 * "partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}) with
 * Kafka's checks: not empty, no empty replica list, no partition twice, no
 * replica twice, log_dirs (only "any": gregor has one log dir per
 * partition) as long as replicas. Returns 0 or -1 with err. */
int ra_parse_plan(const char *text, struct ra_list *out, char *err, size_t errsz);
/* {"version":1,"topics":[{"topic":"t"}]}: the topic names (*topics, each
 * and the array free()). Returns 0 or -1 with err. */
int ra_parse_topics(const char *text, char ***topics, int *n, char *err, size_t errsz);
/* The list as Kafka's tool writes it (one line, log_dirs "any"); free(). */
char *ra_format(const struct ra_list *l);

/* A way to reach the cluster. Every function returns 0 or -1 with err. */
struct ra_backend {
    void *ctx;
    const char *name; /* "--zookeeper" or "--bootstrap-server", for messages */
    /* The registered brokers' ids, sorted (*ids: free()). */
    int (*brokers)(void *ctx, int32_t **ids, int *n, char *err, size_t errsz);
    /* Every partition of the topics (all topics when ntopics < 0) as the
     * cluster has it, reassignments under way included. */
    int (*current)(void *ctx, char *const *topics, int ntopics, struct ra_list *out, char *err,
                   size_t errsz);
    /* Whether a reassignment is under way anywhere. */
    int (*busy)(void *ctx, bool *busy, char *err, size_t errsz);
    /* Starts the plan's moves. */
    int (*start)(void *ctx, const struct ra_list *plan, char *err, size_t errsz);
    /* Cancels the reassignments of the plan's partitions (NULL: not in this
     * mode). */
    int (*cancel)(void *ctx, const struct ra_list *plan, char *err, size_t errsz);
    /* Sets nadd keys and deletes ndel keys of a topic's or a broker's
     * dynamic configs; deleting an absent key is no error. */
    int (*configs)(void *ctx, bool broker, const char *name, char *const *keys,
                   char *const *values, int nadd, char *const *dels, int ndel, char *err,
                   size_t errsz);
    void (*close)(void *ctx);
};

int ra_zk_open(const char *connect, struct ra_backend *b, char *err, size_t errsz);
int ra_boot_open(const char *bootstrap, struct ra_backend *b, char *err, size_t errsz);

#endif
