/*
 * The codec-independent half of a compressed stream reader (see compress.h):
 * the codec table, the output bound and the sticky error.
 */
#include "common/compress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/compress_codec.h"
#include "common/err.h"

struct compress_reader {
    const struct compress_codec_ops *ops; /* the codec */
    void *state;                          /* the codec's */
    struct compress_src src;              /* input and remaining room */
    uint64_t max_out;                     /* the bound */
    uint64_t produced;                    /* bytes handed out */
    int err;                              /* sticky error, 0 if none */
    char why[160];                        /* its reason */
};

const char *compress_codec_name(int codec)
{
    switch (codec) {
    case COMPRESS_NONE: return "none";
    case COMPRESS_GZIP: return "gzip";
    case COMPRESS_SNAPPY: return "snappy";
    case COMPRESS_LZ4: return "lz4";
    case COMPRESS_ZSTD: return "zstd";
    default: return "unknown";
    }
}

int compress_fail(struct compress_src *s, const char *fmt, ...)
{
    if (s->why && s->whysz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->why, s->whysz, fmt, ap);
        va_end(ap);
    }
    return GR_E_CORRUPT;
}

static const struct compress_codec_ops *codec_ops(int codec)
{
    switch (codec) {
    case COMPRESS_GZIP: return &compress_gzip_ops;
    case COMPRESS_SNAPPY: return &compress_snappy_ops;
    case COMPRESS_LZ4: return &compress_lz4_ops;
    case COMPRESS_ZSTD: return &compress_zstd_ops;
    default: return NULL;
    }
}

int compress_reader_open(int codec, const uint8_t *in, size_t len, uint64_t max_out,
                         struct compress_reader **out)
{
    *out = NULL;
    const struct compress_codec_ops *ops = codec_ops(codec);
    if (!ops)
        return GR_E_UNSUPPORTED;
    struct compress_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return GR_E_NOMEM;
    r->ops = ops;
    r->max_out = max_out;
    r->src = (struct compress_src){in, len, 0, max_out, r->why, sizeof(r->why), false};
    /* A codec that cannot even start (a bad header) fails on the first read,
     * so callers see every error in one place. */
    int rc = ops->open(&r->src, &r->state);
    if (rc == GR_E_NOMEM) {
        free(r);
        return rc;
    }
    r->err = rc;
    *out = r;
    return 0;
}

ssize_t compress_reader_read(struct compress_reader *r, uint8_t *buf, size_t n, char *why,
                             size_t whysz)
{
    if (!r->err) {
        /* Ask for one byte more than the room left: a stream that still has
         * it to give is over the bound, and no codec is asked for more. */
        uint64_t room = r->max_out - r->produced;
        if ((uint64_t)n > room + 1)
            n = (size_t)(room + 1);
        r->src.room = room;
        ssize_t k = r->ops->read(&r->src, r->state, buf, n);
        if (k < 0) {
            r->err = (int)k;
        } else if ((uint64_t)k > room) {
            r->src.over = true;
            r->err = compress_fail(&r->src, "inflates to more than %llu bytes",
                                   (unsigned long long)r->max_out);
        } else {
            r->produced += (uint64_t)k;
            return k;
        }
    }
    if (why && whysz)
        snprintf(why, whysz, "%s", r->why);
    return r->err;
}

uint64_t compress_reader_produced(const struct compress_reader *r)
{
    return r->produced;
}

bool compress_reader_over_bound(const struct compress_reader *r)
{
    return r->src.over;
}

void compress_reader_free(struct compress_reader *r)
{
    if (!r)
        return;
    if (r->state)
        r->ops->close(r->state);
    free(r);
}
