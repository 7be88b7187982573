/*
 * gzip (Kafka codec 1) through zlib: gzip members, one after another as
 * Java's GZIPInputStream accepts them; anything else after a member, or a
 * member cut short, is corrupt.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <zlib.h>

#include "common/compress_codec.h"
#include "common/err.h"

struct gz {
    z_stream z;      /* zlib's state */
    bool member_end; /* the last member ended; another may follow */
    bool done;       /* the input is used up at a member's end */
};

static int gz_open(struct compress_src *s, void **state)
{
    (void)s;
    struct gz *g = calloc(1, sizeof(*g));
    if (!g)
        return GR_E_NOMEM;
    /* 15 + 16: a gzip wrapper (not zlib's), the largest window. */
    if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
        free(g);
        return GR_E_NOMEM;
    }
    *state = g;
    return 0;
}

static ssize_t gz_read(struct compress_src *s, void *state, uint8_t *buf, size_t n)
{
    struct gz *g = state;
    g->z.next_out = buf;
    g->z.avail_out = n > UINT_MAX ? UINT_MAX : (uInt)n;
    uInt want = g->z.avail_out;
    while (!g->done && g->z.avail_out > 0) {
        if (g->member_end) {
            if (s->pos == s->len) {
                g->done = true;
                break;
            }
            inflateReset(&g->z);
            g->member_end = false;
        }
        size_t left = s->len - s->pos;
        g->z.next_in = (Bytef *)(s->in + s->pos);
        g->z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
        uInt given = g->z.avail_in;
        int zr = inflate(&g->z, Z_NO_FLUSH);
        s->pos += given - g->z.avail_in;
        if (zr == Z_STREAM_END) {
            g->member_end = true;
        } else if (zr == Z_MEM_ERROR) {
            return GR_E_NOMEM;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return compress_fail(s, "gzip data is corrupt (%s)",
                                 g->z.msg ? g->z.msg : "zlib error");
        } else if (s->pos == s->len && g->z.avail_out > 0) {
            /* Output room left and all input taken, yet the member goes on. */
            return compress_fail(s, "gzip data ends in the middle of a member");
        }
    }
    return (ssize_t)(want - g->z.avail_out);
}

static void gz_close(void *state)
{
    struct gz *g = state;
    inflateEnd(&g->z);
    free(g);
}

const struct compress_codec_ops compress_gzip_ops = {gz_open, gz_read, gz_close};
