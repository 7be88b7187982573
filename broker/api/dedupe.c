/*
 * Repeated names in one request (see dedupe.h): open addressing with linear
 * probing over a table at most half full.
 */
#include "broker/api/dedupe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct key {
    struct proto_str name; /* as on the wire */
    int32_t num;           /* partition or 0 */
    uint64_t hash;         /* seeded hash of both */
};

static uint64_t seed(void)
{
    static uint64_t s;
    static bool have;
    if (!have) {
        if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
            s = (uint64_t)(uintptr_t)&s ^ (uint64_t)rand();
        have = true;
    }
    return s;
}

/* FNV-1a over the seed, the name and the number, with a final mix so the
 * low bits (the table index) depend on every byte. */
static uint64_t hash_key(struct proto_str name, int32_t num)
{
    uint64_t h = 1469598103934665603ULL ^ seed();
    for (int32_t i = 0; i < name.len; i++)
        h = (h ^ (uint8_t)name.ptr[i]) * 1099511628211ULL;
    h = (h ^ (uint32_t)num) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static bool key_eq(const struct key *a, const struct key *b)
{
    return a->hash == b->hash && a->num == b->num && a->name.len == b->name.len &&
           (a->name.ptr == NULL) == (b->name.ptr == NULL) &&
           (!a->name.len || !memcmp(a->name.ptr, b->name.ptr, (size_t)a->name.len));
}

int32_t *dedupe_first(struct arena *a, int32_t n, dedupe_key_fn key, const void *ctx)
{
    if (n < 0)
        n = 0;
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap *= 2;
    int32_t *first = arena_alloc(a, ((size_t)n + 1) * sizeof(int32_t));
    struct key *keys = arena_alloc(a, ((size_t)n + 1) * sizeof(*keys));
    int32_t *slot = arena_alloc(a, cap * sizeof(int32_t));
    if (!first || !keys || !slot)
        return NULL;
    memset(slot, 0xff, cap * sizeof(int32_t)); /* -1: empty */
    for (int32_t i = 0; i < n; i++) {
        struct key *k = &keys[i];
        key(ctx, i, &k->name, &k->num);
        k->hash = hash_key(k->name, k->num);
        size_t s = (size_t)k->hash & (cap - 1);
        while (slot[s] >= 0 && !key_eq(&keys[slot[s]], k))
            s = (s + 1) & (cap - 1);
        if (slot[s] < 0)
            slot[s] = i;
        first[i] = slot[s];
    }
    return first;
}
