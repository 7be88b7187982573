/*
 * Dynamic configs in ZooKeeper (see configs_zk.h).
 */
#include "tools/configs_zk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"


int configs_zk_read(struct topics_zk *z, const char *type, const char *znode,
                    struct zk_config *c, int *version, char *err, size_t errsz)
{
    char path[640];
    snprintf(path, sizeof(path), "/config/%s/%s", type, znode);
    char *data = NULL;
    size_t len = 0;
    struct zk_stat st;
    int rc = topics_zk_get(z, path, &data, &len, &st);
    *version = -1;
    if (rc == GR_E_NOENT) {
        memset(c, 0, sizeof(*c));
        arena_init(&c->mem);
        return 0;
    }
    if (rc) {
        snprintf(err, errsz, "cannot read %s: %s", path, gr_strerror(rc));
        return -1;
    }
    *version = st.version;
    rc = zk_json_config_decode(data ? data : "", data ? len : 0, c, err, errsz);
    free(data);
    return rc ? -1 : 0;
}

int configs_zk_edit(struct topics_zk *z, const char *type, const char *znode,
                    char *const *keys, char *const *values, int nadd, char *const *dels,
                    int ndel, bool strict, char *err, size_t errsz)
{
    struct zk_config c;
    int version;
    if (configs_zk_read(z, type, znode, &c, &version, err, errsz))
        return -1;
    /* The new set: the old one, minus deletions, plus additions. */
    struct zk_config_entry *entries = calloc((size_t)(c.n + nadd) + 1, sizeof(*entries));
    int n = 0, rc = entries ? 0 : -1;
    bool changed = false;
    if (!entries)
        snprintf(err, errsz, "out of memory");
    for (int i = 0; !rc && i < c.n; i++)
        entries[n++] = c.entries[i];
    for (int d = 0; !rc && d < ndel; d++) {
        int at = 0;
        while (at < n && strcmp(entries[at].key, dels[d]))
            at++;
        if (at == n) {
            if (strict) {
                snprintf(err, errsz, "Invalid config(s): %s", dels[d]);
                rc = -1;
            }
            continue;
        }
        memmove(&entries[at], &entries[at + 1], (size_t)(n - at - 1) * sizeof(*entries));
        n--;
        changed = true;
    }
    for (int i = 0; !rc && i < nadd; i++) {
        int at = 0;
        while (at < n && strcmp(entries[at].key, keys[i]))
            at++;
        changed |= at == n || strcmp(entries[at].value, values[i]);
        if (at == n)
            n++;
        entries[at] = (struct zk_config_entry){keys[i], values[i]};
    }
    char *json = NULL, path[640];
    snprintf(path, sizeof(path), "/config/%s/%s", type, znode);
    if (!rc && changed) {
        struct zk_config out = {.entries = entries, .n = n};
        rc = zk_json_config_encode(&out, &json, err, errsz) ? -1 : 0;
    }
    if (!rc && changed) {
        /* Compare-and-set on the version read: a concurrent change is not
         * overwritten unseen. */
        int zrc = version < 0 ? topics_zk_create(z, path, json, strlen(json))
                              : topics_zk_set(z, path, json, strlen(json), version);
        if (zrc) {
            snprintf(err, errsz, "cannot write %s: %s%s", path, gr_strerror(zrc),
                     zrc == GR_E_ZK_BADVERSION || zrc == GR_E_EXISTS
                         ? " (changed meanwhile by someone else; run the command again)"
                         : "");
            rc = -1;
        }
    }
    if (!rc && changed) {
        char entity[600];
        snprintf(entity, sizeof(entity), "%s/%s", type, znode);
        err[0] = '\0';
        int zrc = topics_zk_config_changed(z, entity, err, errsz);
        if (zrc) {
            if (!err[0])
                snprintf(err, errsz, "%s", gr_strerror(zrc));
            rc = -1;
        }
    }
    free(json);
    free(entries);
    zk_json_config_destroy(&c);
    return rc;
}
