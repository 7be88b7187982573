/*
 * A bump allocator for things that live exactly as long as one request.
 *
 * A decoded request's arrays (topics, partitions) come from the request's
 * arena and are freed together when the response has been sent, so decoding
 * never needs a matching free per field. Allocation failure returns NULL.
 */
#ifndef GREGOR_COMMON_ARENA_H
#define GREGOR_COMMON_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* newest chunk first; owned */
    size_t used;              /* bytes used in head */
    size_t total;             /* bytes handed out over the arena's life */
};

/* Initialises a caller-allocated arena (no allocation until first use). */
void arena_init(struct arena *a);
/* Frees every chunk; the arena may be reused after this. */
void arena_destroy(struct arena *a);
/* Returns n zeroed bytes aligned for any type, owned by the arena, or NULL. */
void *arena_alloc(struct arena *a, size_t n);
/* Returns an arena-owned array of count elements of size each, zeroed, or
 * NULL on overflow or allocation failure. */
void *arena_calloc(struct arena *a, size_t count, size_t size);

#endif
