/*
 * The per-codec half of common/compress.h: each compress_<codec>.c fills one
 * table of these functions. compress.c owns the reader, the bound and the
 * sticky error; a codec only turns input into output.
 */
#ifndef GREGOR_COMMON_COMPRESS_CODEC_H
#define GREGOR_COMMON_COMPRESS_CODEC_H

#include <stdbool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a codec sees of its reader. */
struct compress_src {
    const uint8_t *in; /* the compressed bytes, borrowed */
    size_t len;        /* their number */
    size_t pos;        /* bytes consumed so far */
    uint64_t room;     /* output still allowed before the bound */
    char *why;         /* where a failure is described */
    size_t whysz;      /* its size */
    bool over;         /* the failure was the bound (set by the codec or reader) */
};

struct compress_codec_ops {
    /* Sets up *state (returns 0, GR_E_NOMEM or GR_E_CORRUPT with why). */
    int (*open)(struct compress_src *s, void **state);
    /* Produces up to n bytes into buf: > 0, 0 at a proper end, or a negative
     * error with why. Must fail with GR_E_CORRUPT rather than produce more
     * than s->room bytes in total (or allocate for more). */
    ssize_t (*read)(struct compress_src *s, void *state, uint8_t *buf, size_t n);
    void (*close)(void *state);
};

extern const struct compress_codec_ops compress_gzip_ops;
extern const struct compress_codec_ops compress_snappy_ops;
extern const struct compress_codec_ops compress_lz4_ops;
extern const struct compress_codec_ops compress_zstd_ops;

/* snprintf into s->why; returns GR_E_CORRUPT. */
int compress_fail(struct compress_src *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
