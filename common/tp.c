/*
 * Interned topic names and topic-partition maps (see tp.h).
 */
#include "common/tp.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* The intern table: chained buckets, grown by doubling. */
static struct tp_topic **buckets;
static size_t nbuckets, ntopics;

/* FNV-1a, 64-bit: topic names are short and chosen by admins, not by an
 * adversary who can make them collide cheaply. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

const struct tp_topic *tp_topic_find(const char *name, size_t len)
{
    if (!nbuckets || !name)
        return NULL;
    uint64_t h = hash_bytes(name, len);
    for (struct tp_topic *t = buckets[h & (nbuckets - 1)]; t; t = t->next)
        if (t->hash == h && t->len == len && !memcmp(t->name, name, len))
            return t;
    return NULL;
}

static int grow(void)
{
    size_t n = nbuckets ? nbuckets * 2 : 64;
    struct tp_topic **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return GR_E_NOMEM;
    for (size_t i = 0; i < nbuckets; i++) {
        while (buckets[i]) {
            struct tp_topic *t = buckets[i];
            buckets[i] = t->next;
            t->next = nb[t->hash & (n - 1)];
            nb[t->hash & (n - 1)] = t;
        }
    }
    free(buckets);
    buckets = nb;
    nbuckets = n;
    return 0;
}

const struct tp_topic *tp_topic_intern(const char *name, size_t len)
{
    const struct tp_topic *found = tp_topic_find(name, len);
    if (found)
        return tp_topic_ref(found);
    if (ntopics >= nbuckets && grow())
        return NULL;
    struct tp_topic *t = malloc(sizeof(*t) + len + 1);
    if (!t)
        return NULL;
    t->hash = hash_bytes(name, len);
    t->refs = 1;
    t->len = len;
    memcpy(t->name, name, len);
    t->name[len] = '\0';
    t->next = buckets[t->hash & (nbuckets - 1)];
    buckets[t->hash & (nbuckets - 1)] = t;
    ntopics++;
    return t;
}

const struct tp_topic *tp_topic_ref(const struct tp_topic *t)
{
    if (t)
        ((struct tp_topic *)t)->refs++;
    return t;
}

void tp_topic_unref(const struct tp_topic *ct)
{
    struct tp_topic *t = (struct tp_topic *)ct;
    if (!t || --t->refs > 0)
        return;
    for (struct tp_topic **pp = &buckets[t->hash & (nbuckets - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t);
    if (--ntopics == 0) {
        /* The last name is gone: free the table too, so a process that
         * ends with no topics leaves nothing behind for leak checkers. */
        free(buckets);
        buckets = NULL;
        nbuckets = 0;
    }
}

size_t tp_topic_count(void)
{
    return ntopics;
}

void tpmap_destroy(struct tpmap *m)
{
    size_t it = 0;
    struct keymap_key k;
    while (keymap_next(&m->m, &it, &k, NULL))
        tp_topic_unref(k.p);
    keymap_destroy(&m->m);
}

int tpmap_put(struct tpmap *m, struct tp t, void *value)
{
    size_t before = m->m.count;
    if (keymap_put(&m->m, tp_key(t), value))
        return GR_E_NOMEM;
    if (m->m.count > before) /* a new entry, not a replaced value */
        tp_topic_ref(t.topic);
    return 0;
}

void *tpmap_del(struct tpmap *m, struct tp t)
{
    struct keymap_key k = tp_key(t);
    size_t before = m->m.count;
    void *v = keymap_del(&m->m, k);
    if (m->m.count < before)
        tp_topic_unref(t.topic);
    return v;
}

bool tpmap_next(const struct tpmap *m, size_t *iter, struct tp *t, void **value)
{
    struct keymap_key k;
    if (!keymap_next(&m->m, iter, &k, value))
        return false;
    if (t)
        *t = (struct tp){k.p, (int32_t)k.n};
    return true;
}
