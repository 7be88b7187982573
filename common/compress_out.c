/*
 * The writing half of Kafka's codecs (see compress_out.h).
 */
#include "common/compress_out.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/compress.h"
#include "common/err.h"

/* snappy-java's block size: each block of input is one length-prefixed
 * raw snappy block after the xerial header. */
#define XERIAL_BLOCK (32 * 1024)

static int gzip_out(const uint8_t *in, size_t n, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return GR_E_NOMEM;
    int rc = 0;
    z.next_in = (Bytef *)in;
    for (;;) {
        /* zlib counts in uInt: feed and drain in pieces. */
        if (!z.avail_in && n) {
            z.avail_in = n > (1u << 30) ? (1u << 30) : (uInt)n;
            n -= z.avail_in;
        }
        uint8_t *o = buf_grow(out, 65536);
        if (!o) {
            rc = GR_E_NOMEM;
            break;
        }
        z.next_out = o;
        z.avail_out = 65536;
        int zr = deflate(&z, n || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
        out->len -= z.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = GR_E_NOMEM;
            break;
        }
    }
    deflateEnd(&z);
    return rc;
}

static int snappy_out(const uint8_t *in, size_t n, struct buf *out)
{
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    buf_append(out, hdr, sizeof(hdr));
    for (size_t off = 0; off < n; off += XERIAL_BLOCK) {
        size_t k = n - off < XERIAL_BLOCK ? n - off : XERIAL_BLOCK;
        size_t cap = snappy_max_compressed_length(k);
        size_t at = buf_put_i32(out, 0);
        char *o = (char *)buf_grow(out, cap);
        if (!o)
            return GR_E_NOMEM;
        size_t got = cap;
        if (snappy_compress((const char *)in + off, k, o, &got) != SNAPPY_OK)
            return GR_E_NOMEM;
        out->len -= cap - got;
        buf_patch_i32(out, at, (int32_t)got);
    }
    return buf_failed(out) ? GR_E_NOMEM : 0;
}

static int lz4_out(const uint8_t *in, size_t n, struct buf *out)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    uint8_t *o = buf_grow(out, cap);
    if (!o)
        return GR_E_NOMEM;
    size_t k = LZ4F_compressFrame(o, cap, in, n, &prefs);
    if (LZ4F_isError(k)) {
        out->len -= cap;
        return GR_E_NOMEM;
    }
    out->len -= cap - k;
    return 0;
}

int compress_out(int codec, const uint8_t *in, size_t n, struct buf *out)
{
    switch (codec) {
    case COMPRESS_GZIP: return gzip_out(in, n, out);
    case COMPRESS_SNAPPY: return snappy_out(in, n, out);
    case COMPRESS_LZ4: return lz4_out(in, n, out);
    default: return GR_E_UNSUPPORTED;
    }
}
