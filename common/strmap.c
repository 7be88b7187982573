/*
 * String-keyed open-addressing hash map (see strmap.h).
 */
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static char tombstone_key;
#define STRMAP_TOMBSTONE (&tombstone_key)

/* FNV-1a, 64-bit: short keys, no adversary able to pick them cheaply. */
static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
    return h;
}

void strmap_init(struct strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void strmap_destroy(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != STRMAP_TOMBSTONE)
            free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static struct strmap_slot *find(const struct strmap *m, const char *key, uint64_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != STRMAP_TOMBSTONE && s->h == h && !strcmp(s->key, key))
            return s;
    }
}

void *strmap_get(const struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key, hash(key));
    return s ? s->value : NULL;
}

static int grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    /* Rehash in place of tombstones when they, not live keys, filled it. */
    if (m->count * 2 < m->cap)
        cap = m->cap;
    struct strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return GR_E_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key || s->key == STRMAP_TOMBSTONE)
            continue;
        size_t j = s->h & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
    uint64_t h = hash(key);
    struct strmap_slot *s = find(m, key, h);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((m->used + 1) * 4 > m->cap * 3 && grow(m))
        return GR_E_NOMEM;
    char *k = strdup(key);
    if (!k)
        return GR_E_NOMEM;
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key && m->slots[i].key != STRMAP_TOMBSTONE)
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (struct strmap_slot){k, h, value};
    m->count++;
    return 0;
}

void *strmap_del(struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key, hash(key));
    if (!s)
        return NULL;
    void *v = s->value;
    free(s->key);
    s->key = STRMAP_TOMBSTONE;
    s->value = NULL;
    m->count--;
    return v;
}

int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value)
{
    while (*iter < m->cap) {
        struct strmap_slot *s = &m->slots[(*iter)++];
        if (s->key && s->key != STRMAP_TOMBSTONE) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return 1;
        }
    }
    return 0;
}
