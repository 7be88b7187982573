/*
 * lz4 (Kafka codec 3) through liblz4's frame API: the LZ4 frame format that
 * Kafka's KafkaLZ4BlockOutputStream and librdkafka write for v2 batches
 * (one frame; bytes after its end are corrupt). liblz4 bounds its own buffers
 * by the frame's declared block size (4 MiB at most).
 */
#include <lz4frame.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/compress_codec.h"
#include "common/err.h"

struct lz {
    LZ4F_dctx *dctx; /* liblz4's state */
    bool done;       /* the frame ended */
};

static int lz_open(struct compress_src *s, void **state)
{
    (void)s;
    struct lz *z = calloc(1, sizeof(*z));
    if (!z)
        return GR_E_NOMEM;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&z->dctx, LZ4F_VERSION))) {
        free(z);
        return GR_E_NOMEM;
    }
    *state = z;
    return 0;
}

static ssize_t lz_read(struct compress_src *s, void *state, uint8_t *buf, size_t n)
{
    struct lz *z = state;
    size_t o = 0;
    while (!z->done && o < n) {
        size_t src = s->len - s->pos, dst = n - o;
        size_t hint = LZ4F_decompress(z->dctx, buf + o, &dst, s->in + s->pos, &src, NULL);
        if (LZ4F_isError(hint))
            return compress_fail(s, "lz4 data is corrupt (%s)", LZ4F_getErrorName(hint));
        s->pos += src;
        o += dst;
        if (hint == 0) {
            z->done = true;
            if (s->pos != s->len)
                return compress_fail(s, "%zu bytes follow the end of the lz4 frame",
                                     s->len - s->pos);
        } else if (s->pos == s->len && o < n) {
            /* Room for output, no input left, and the frame wants more. */
            return compress_fail(s, "lz4 frame is cut short");
        }
    }
    return (ssize_t)o;
}

static void lz_close(void *state)
{
    struct lz *z = state;
    LZ4F_freeDecompressionContext(z->dctx);
    free(z);
}

const struct compress_codec_ops compress_lz4_ops = {lz_open, lz_read, lz_close};
