/*
 * A hash map keyed by an (object, number) pair: open addressing, linear
 * probing, no allocation per entry.
 *
 * The key is two words that identify something without formatting a string:
 * a topic-partition is (interned topic, partition number), a delayed
 * operation's key is (the object it waits on, which of its events). Keys are
 * compared by value; the map owns neither the objects the keys point at nor
 * the values. Not thread-safe: one owner (the event loop).
 */
#ifndef GREGOR_COMMON_KEYMAP_H
#define GREGOR_COMMON_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keymap_key {
    const void *p; /* an object, compared by address */
    int64_t n;     /* a number qualifying it */
};

static inline bool keymap_key_eq(struct keymap_key a, struct keymap_key b)
{
    return a.p == b.p && a.n == b.n;
}

struct keymap_slot {
    struct keymap_key key; /* the key, when state is live */
    void *value;           /* borrowed */
    uint8_t state;         /* 0 empty, 1 live, 2 deleted */
};

struct keymap {
    struct keymap_slot *slots; /* owned array of cap slots */
    size_t cap;                /* power of two, or 0 */
    size_t count;              /* live keys */
    size_t used;               /* live + deleted */
};

void keymap_init(struct keymap *m);
/* Frees the slots (not what keys or values point at). */
void keymap_destroy(struct keymap *m);
/* The value for key, or NULL. */
void *keymap_get(const struct keymap *m, struct keymap_key key);
/* Inserts or replaces. Returns 0 or GR_E_NOMEM (the map is unchanged). */
int keymap_put(struct keymap *m, struct keymap_key key, void *value);
/* Removes key; returns its value or NULL. */
void *keymap_del(struct keymap *m, struct keymap_key key);
/* Iteration: for (size_t i = 0; keymap_next(m, &i, &k, &v);) ...
 * Do not insert while iterating; deleting the current key is allowed.
 * key and value may be NULL. */
bool keymap_next(const struct keymap *m, size_t *iter, struct keymap_key *key, void **value);

#endif
