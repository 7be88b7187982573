/*
 * Topic-partition identities: interned topic names and the (topic,
 * partition) pair every part of the broker keys partitions by.
 *
 * Owns the process's table of interned topic names: one struct tp_topic per
 * distinct name, reference counted, so two identities name the same topic
 * exactly when their pointers are equal. A lookup from a name on the wire
 * (tp_topic_find) hashes the bytes once and allocates nothing; a map keyed by
 * struct tp (tpmap) compares two words. Nothing formats "topic-partition"
 * strings to find a partition.
 *
 * Loop-thread only, like everything the broker owns; the table is
 * process-wide so the log manager and the broker share one set of names.
 */
#ifndef GREGOR_COMMON_TP_H
#define GREGOR_COMMON_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keymap.h"

/* An interned topic name. */
struct tp_topic {
    uint64_t hash;        /* of the name's bytes */
    int refs;             /* references held by identities and maps */
    size_t len;           /* bytes in name, without the NUL */
    struct tp_topic *next; /* the intern table's chain */
    char name[];          /* NUL-terminated */
};

/* A topic-partition. The topic is interned; holders of a struct tp that
 * outlive a call take a reference with tp_topic_ref. */
struct tp {
    const struct tp_topic *topic; /* interned name */
    int32_t partition;            /* partition number */
};

/* Returns the interned name for the len bytes at name with a new reference
 * (the caller releases it with tp_topic_unref), or NULL when out of memory. */
const struct tp_topic *tp_topic_intern(const char *name, size_t len);
/* Returns the interned name for the len bytes at name, borrowed (no
 * reference taken), or NULL if no identity holds that name: then no
 * partition of that topic exists anywhere in the process. */
const struct tp_topic *tp_topic_find(const char *name, size_t len);
/* Takes / releases a reference. The last release frees the name. */
const struct tp_topic *tp_topic_ref(const struct tp_topic *t);
void tp_topic_unref(const struct tp_topic *t);
/* Interned names alive (for tests and leak checks). */
size_t tp_topic_count(void);

static inline bool tp_eq(struct tp a, struct tp b)
{
    return a.topic == b.topic && a.partition == b.partition;
}

static inline struct keymap_key tp_key(struct tp t)
{
    return (struct keymap_key){t.topic, t.partition};
}

/* A map from topic-partitions to borrowed values. Each entry holds a
 * reference on its topic name, dropped when the entry is deleted. */
struct tpmap {
    struct keymap m; /* keys are tp_key() */
};

static inline void tpmap_init(struct tpmap *m)
{
    keymap_init(&m->m);
}
/* Drops every entry's reference and frees the slots (not the values). */
void tpmap_destroy(struct tpmap *m);
static inline void *tpmap_get(const struct tpmap *m, struct tp t)
{
    return t.topic ? keymap_get(&m->m, tp_key(t)) : NULL;
}
/* Inserts or replaces. Returns 0 or GR_E_NOMEM. */
int tpmap_put(struct tpmap *m, struct tp t, void *value);
/* Removes t; returns its value or NULL. */
void *tpmap_del(struct tpmap *m, struct tp t);
static inline size_t tpmap_count(const struct tpmap *m)
{
    return m->m.count;
}
/* Iteration as keymap_next; deleting the current entry is allowed. */
bool tpmap_next(const struct tpmap *m, size_t *iter, struct tp *t, void **value);

#endif
