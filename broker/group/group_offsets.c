/*
 * A group's committed offsets in memory (see group_offsets.h).
 */
#include "broker/group/group_offsets.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void group_offsets_init(struct group_offsets *o)
{
    tpmap_init(&o->map);
    strmap_init(&o->znodes);
    /* every broker creates it at start (docs/KAFKA-COMPAT.md §3); if that
     * failed, a commit learns so and creates it */
    strmap_put(&o->znodes, "/consumers", GROUP_ZNODE_KNOWN);
}

static void offset_free(struct group_offset *e)
{
    if (e) {
        free(e->metadata);
        free(e);
    }
}

void group_offsets_destroy(struct group_offsets *o)
{
    size_t it = 0;
    void *v;
    while (tpmap_next(&o->map, &it, NULL, &v))
        offset_free(v);
    tpmap_destroy(&o->map);
    strmap_destroy(&o->znodes);
}

struct group_offset *group_offsets_get(const struct group_offsets *o, struct tp tp)
{
    return tpmap_get(&o->map, tp);
}

int group_offsets_put(struct group_offsets *o, struct tp tp, int64_t offset, int32_t leader_epoch,
                      const char *metadata, int64_t commit_ms)
{
    char *m = NULL;
    if (metadata && *metadata && !(m = strdup(metadata)))
        return GR_E_NOMEM;
    struct group_offset *e = tpmap_get(&o->map, tp);
    if (!e) {
        if (!(e = calloc(1, sizeof(*e))) || tpmap_put(&o->map, tp, e)) {
            free(e);
            free(m);
            return GR_E_NOMEM;
        }
    }
    free(e->metadata);
    e->metadata = m;
    e->offset = offset;
    e->leader_epoch = leader_epoch;
    e->commit_ms = commit_ms;
    return 0;
}

void group_offsets_del(struct group_offsets *o, struct tp tp)
{
    offset_free(tpmap_del(&o->map, tp));
}

bool group_offsets_valid_group(const char *g)
{
    if (!*g || !strcmp(g, ".") || !strcmp(g, ".."))
        return false;
    for (const unsigned char *p = (const unsigned char *)g; *p; p++)
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool path(char *buf, size_t bufsz, const char *tree, const char *group, const char *topic,
                 int32_t partition)
{
    if (!group_offsets_valid_group(group))
        return false;
    int n = snprintf(buf, bufsz, "/consumers/%s/%s/%s/%" PRId32, group, tree, topic, partition);
    return n > 0 && (size_t)n < bufsz;
}

bool group_offsets_path(char *buf, size_t bufsz, const char *group, const char *topic,
                        int32_t partition)
{
    return path(buf, bufsz, "offsets", group, topic, partition);
}

bool group_offsets_meta_path(char *buf, size_t bufsz, const char *group, const char *topic,
                             int32_t partition)
{
    return path(buf, bufsz, "offsets_metadata", group, topic, partition);
}

void group_offsets_mark_known(struct group_offsets *o, const char *path)
{
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return;
    memcpy(buf, path, n + 1);
    strmap_put(&o->znodes, buf, GROUP_ZNODE_KNOWN);
    for (char *s = strrchr(buf, '/'); s && s > buf; s = strrchr(buf, '/')) {
        *s = 0;
        strmap_put(&o->znodes, buf, GROUP_ZNODE_KNOWN);
    }
}

bool group_offsets_parse(const char *data, size_t len, int64_t *out)
{
    char tmp[32];
    if (!data || len == 0 || len >= sizeof(tmp))
        return false;
    memcpy(tmp, data, len);
    tmp[len] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || end == tmp || *end)
        return false;
    *out = (int64_t)v;
    return true;
}
