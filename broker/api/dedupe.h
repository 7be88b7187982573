/*
 * Repeated names in one request: topics, or topic-partitions, named more
 * than once. A client may repeat an entry as often as its request size
 * allows, so every handler whose work or answer grows per entry finds the
 * repeats first, in time linear in the request's bytes (one hash of each
 * name, one probe in a table sized by the entry count), and then does the
 * work once per distinct entry.
 *
 * Owns nothing beyond the call: the table and the result live in the
 * request's arena.
 */
#ifndef GREGOR_BROKER_API_DEDUPE_H
#define GREGOR_BROKER_API_DEDUPE_H

#include <stdint.h>

#include "broker/proto/proto_str.h"
#include "common/arena.h"

/* Entry i of a request as a key: its name bytes (null and empty are equal
 * to themselves only by bytes) and a number (a partition, or 0). */
typedef void (*dedupe_key_fn)(const void *ctx, int32_t i, struct proto_str *name, int32_t *num);

/* For n entries, returns first[] with first[i] the index of the first entry
 * whose key equals entry i's (i itself when none before it does), or NULL
 * when out of memory. Arena-owned (a), like everything it allocates. The
 * hash is seeded per process, so a client cannot choose names that collide. */
int32_t *dedupe_first(struct arena *a, int32_t n, dedupe_key_fn key, const void *ctx);

#endif
