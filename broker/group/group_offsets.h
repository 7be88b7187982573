/*
 * A group's committed offsets in memory, and where they live in ZooKeeper.
 *
 * Owns the cache the coordinator answers OffsetFetch from (filled by the
 * load, group_load.c, and by every commit that ZooKeeper confirmed,
 * group_commit.c) and the set of the group's znodes known to exist, which
 * lets a commit choose create or set without reading first. It does no
 * I/O.
 *
 * The ZooKeeper layout is Kafka's old consumer's, so zkCli.sh, kazoo and
 * Burrow read it as they always have:
 *   /consumers/<group>/offsets/<topic>/<partition>            the offset, in decimal
 * and, only for commits that carried metadata (a string Kafka hands back
 * on OffsetFetch), a sibling tree that old readers never look at:
 *   /consumers/<group>/offsets_metadata/<topic>/<partition>
 * {"version":1,"metadata":"...","leader_epoch":N} The commit time is the offset znode's mtime.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_OFFSETS_H
#define GREGOR_BROKER_GROUP_GROUP_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strmap.h"
#include "common/tp.h"

/* The value of every entry of a set of znode paths (strmap_get tells an
 * absent key by NULL). */
#define GROUP_ZNODE_KNOWN ((void *)1)

/* One committed offset. */
struct group_offset {
    int64_t offset;       /* the committed offset */
    int32_t leader_epoch; /* committed with it (-1: none); kept in memory and the metadata znode */
    char *metadata;       /* owned; NULL for "" */
    int64_t commit_ms;    /* wall clock of the commit (the znode's mtime after a load) */
};

struct group_offsets {
    struct tpmap map;     /* topic-partition -> struct group_offset (owned) */
    struct strmap znodes; /* paths known to exist (value GROUP_ZNODE_KNOWN) */
};

void group_offsets_init(struct group_offsets *o);
/* Frees every entry. */
void group_offsets_destroy(struct group_offsets *o);
/* The offset of tp, or NULL. */
struct group_offset *group_offsets_get(const struct group_offsets *o, struct tp tp);
/* Records a commit of tp (metadata copied, NULL or "" for none). Returns 0
 * or GR_E_NOMEM. */
int group_offsets_put(struct group_offsets *o, struct tp tp, int64_t offset, int32_t leader_epoch,
                      const char *metadata, int64_t commit_ms);
/* Forgets tp. */
void group_offsets_del(struct group_offsets *o, struct tp tp);
static inline size_t group_offsets_count(const struct group_offsets *o)
{
    return tpmap_count(&o->map);
}

/* The znode paths (written into buf of bufsz bytes; false when they do not
 * fit or a name cannot be a znode name). */
bool group_offsets_path(char *buf, size_t bufsz, const char *group, const char *topic,
                        int32_t partition);
bool group_offsets_meta_path(char *buf, size_t bufsz, const char *group, const char *topic,
                             int32_t partition);
/* Whether a group id can name a znode (not "", ".", "..", no '/', no NUL,
 * no control characters): other ids cannot commit offsets. */
bool group_offsets_valid_group(const char *group);
/* Records that path and each of its ancestors exist (a later write
 * creates none of them). Out of memory only loses knowledge: a write then
 * creates and meets EXISTS, which the writers handle. */
void group_offsets_mark_known(struct group_offsets *o, const char *path);
/* Parses a decimal offset znode's data. */
bool group_offsets_parse(const char *data, size_t len, int64_t *out);

#endif
