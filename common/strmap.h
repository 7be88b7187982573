/*
 * A string-keyed hash map (open addressing, linear probing).
 *
 * Used for the broker's lookups by name (topics, partition logs). Keys are
 * copied and owned by the map; values are borrowed pointers the map never
 * frees. Not thread-safe: one owner (the event loop).
 */
#ifndef GREGOR_COMMON_STRMAP_H
#define GREGOR_COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    char *key;   /* owned; NULL = empty; STRMAP_TOMBSTONE = deleted */
    uint64_t h;  /* hash of key */
    void *value; /* borrowed */
};

struct strmap {
    struct strmap_slot *slots; /* owned array of cap slots */
    size_t cap;                /* power of two, or 0 */
    size_t count;              /* live keys */
    size_t used;               /* live + tombstones */
};

void strmap_init(struct strmap *m);
/* Frees keys and slots (not values). */
void strmap_destroy(struct strmap *m);
/* Returns the value for key or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces. Returns 0 or GR_E_NOMEM. */
int strmap_put(struct strmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v);) ...
 * Do not insert while iterating; deleting the current key is allowed. */
int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value);

#endif
