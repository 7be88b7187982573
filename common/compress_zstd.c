/*
 * zstd (Kafka codec 4) through libzstd's streaming decoder; frames may follow
 * one another, as zstd-jni's ZstdInputStream reads them. The window a frame
 * may ask for is capped (ZSTD_WINDOW_LOG_MAX): the decoder allocates it, and
 * a tiny frame must not make it allocate 2 GiB. Kafka clients compress at
 * level 3 by default, whose window is at most 2 MiB.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <zstd.h>

#include "common/compress_codec.h"
#include "common/err.h"

/* 16 MiB: room for levels up to 19 (8 MiB windows) and more. */
#define ZSTD_WINDOW_LOG_MAX 24

struct zs {
    ZSTD_DStream *ds; /* libzstd's state */
    bool between;     /* the last frame ended (or none began) */
};

static int zs_open(struct compress_src *s, void **state)
{
    (void)s;
    struct zs *z = calloc(1, sizeof(*z));
    if (!z)
        return GR_E_NOMEM;
    z->ds = ZSTD_createDStream();
    if (!z->ds ||
        ZSTD_isError(ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
        ZSTD_freeDStream(z->ds);
        free(z);
        return GR_E_NOMEM;
    }
    *state = z;
    return 0;
}

static ssize_t zs_read(struct compress_src *s, void *state, uint8_t *buf, size_t n)
{
    struct zs *z = state;
    ZSTD_outBuffer out = {buf, n, 0};
    ZSTD_inBuffer in = {s->in, s->len, s->pos};
    /* An empty payload is not an empty stream: a frame must be there. */
    if (s->len == 0)
        return compress_fail(s, "zstd payload is empty");
    while (out.pos < out.size) {
        if (z->between && in.pos == in.size)
            break;
        size_t hint = ZSTD_decompressStream(z->ds, &out, &in);
        s->pos = in.pos;
        if (ZSTD_isError(hint))
            return compress_fail(s, "zstd data is corrupt (%s)", ZSTD_getErrorName(hint));
        z->between = hint == 0;
        if (!z->between && in.pos == in.size && out.pos < out.size)
            return compress_fail(s, "zstd frame is cut short");
    }
    return (ssize_t)out.pos;
}

static void zs_close(void *state)
{
    struct zs *z = state;
    ZSTD_freeDStream(z->ds);
    free(z);
}

const struct compress_codec_ops compress_zstd_ops = {zs_open, zs_read, zs_close};
