/*
 * (object, number)-keyed open-addressing hash map (see keymap.h).
 */
#include "common/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

enum { EMPTY = 0, LIVE = 1, DELETED = 2 };

/* A 64-bit mix of both words (the finaliser of MurmurHash3): addresses
 * differ mostly in their middle bits and partition numbers are small, so
 * both need spreading before the low bits pick a slot. */
static uint64_t hash(struct keymap_key k)
{
    uint64_t h = (uint64_t)(uintptr_t)k.p ^ ((uint64_t)k.n * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

void keymap_init(struct keymap *m)
{
    memset(m, 0, sizeof(*m));
}

void keymap_destroy(struct keymap *m)
{
    free(m->slots);
    keymap_init(m);
}

static struct keymap_slot *find(const struct keymap *m, struct keymap_key key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct keymap_slot *s = &m->slots[i];
        if (s->state == EMPTY)
            return NULL;
        if (s->state == LIVE && keymap_key_eq(s->key, key))
            return s;
    }
}

void *keymap_get(const struct keymap *m, struct keymap_key key)
{
    struct keymap_slot *s = find(m, key);
    return s ? s->value : NULL;
}

static int rehash(struct keymap *m, size_t cap)
{
    struct keymap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return GR_E_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].state != LIVE)
            continue;
        size_t k = hash(m->slots[i].key) & (cap - 1);
        while (slots[k].state == LIVE)
            k = (k + 1) & (cap - 1);
        slots[k] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return 0;
}

int keymap_put(struct keymap *m, struct keymap_key key, void *value)
{
    struct keymap_slot *s = find(m, key);
    if (s) {
        s->value = value;
        return 0;
    }
    /* Keep the load (deleted slots included) under 3/4; grow only when live
     * keys, not deleted ones, fill the table. */
    if ((m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        if ((m->count + 1) * 2 > cap)
            cap *= 2;
        if (rehash(m, cap))
            return GR_E_NOMEM;
    }
    size_t i = hash(key) & (m->cap - 1);
    while (m->slots[i].state == LIVE)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].state == EMPTY)
        m->used++;
    m->slots[i] = (struct keymap_slot){key, value, LIVE};
    m->count++;
    return 0;
}

void *keymap_del(struct keymap *m, struct keymap_key key)
{
    struct keymap_slot *s = find(m, key);
    if (!s)
        return NULL;
    void *v = s->value;
    s->state = DELETED;
    s->value = NULL;
    m->count--;
    return v;
}

bool keymap_next(const struct keymap *m, size_t *iter, struct keymap_key *key, void **value)
{
    while (*iter < m->cap) {
        struct keymap_slot *s = &m->slots[(*iter)++];
        if (s->state != LIVE)
            continue;
        if (key)
            *key = s->key;
        if (value)
            *value = s->value;
        return true;
    }
    return false;
}
