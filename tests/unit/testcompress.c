/*
 * Compressed batches for tests and fuzz seeds (see testcompress.h).
 */
#include "tests/unit/testcompress.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "broker/log/log_batch.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/compress.h"
#include "tests/unit/testbatch.h"

static void gzip_into(struct buf *out, const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, n);
    uint8_t *o = buf_grow(out, cap);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = o;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    out->len -= z.avail_out;
    deflateEnd(&z);
}

static void snappy_raw_into(struct buf *out, const uint8_t *p, size_t n)
{
    size_t cap = snappy_max_compressed_length(n);
    char *o = (char *)buf_grow(out, cap);
    if (snappy_compress((const char *)p, n, o, &cap) != SNAPPY_OK)
        abort();
    out->len -= snappy_max_compressed_length(n) - cap;
}

/* snappy-java's SnappyOutputStream: magic, version 1, compatible 1, then
 * blocks (small ones here, so a batch spans several). */
static void snappy_xerial_into(struct buf *out, const uint8_t *p, size_t n)
{
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    buf_append(out, hdr, sizeof(hdr));
    for (size_t off = 0; off < n; off += 100) {
        size_t k = n - off < 100 ? n - off : 100;
        size_t at = buf_put_i32(out, 0);
        size_t before = out->len;
        snappy_raw_into(out, p + off, k);
        buf_patch_i32(out, at, (int32_t)(out->len - before));
    }
}

static void lz4_into(struct buf *out, const uint8_t *p, size_t n)
{
    size_t cap = LZ4F_compressFrameBound(n, NULL);
    uint8_t *o = buf_grow(out, cap);
    size_t k = LZ4F_compressFrame(o, cap, p, n, NULL);
    if (LZ4F_isError(k))
        abort();
    out->len -= cap - k;
}

static void zstd_into(struct buf *out, const uint8_t *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    uint8_t *o = buf_grow(out, cap);
    size_t k = ZSTD_compress(o, cap, p, n, 3);
    if (ZSTD_isError(k))
        abort();
    out->len -= cap - k;
}

void testcompress_into(int codec, struct buf *out, const uint8_t *p, size_t n)
{
    switch (codec) {
    case COMPRESS_GZIP: gzip_into(out, p, n); break;
    case COMPRESS_SNAPPY: snappy_raw_into(out, p, n); break;
    case TESTCOMPRESS_XERIAL: snappy_xerial_into(out, p, n); break;
    case COMPRESS_LZ4: lz4_into(out, p, n); break;
    case COMPRESS_ZSTD: zstd_into(out, p, n); break;
    }
}

/* Wraps records (the bytes after a batch header) compressed with codec into
 * a batch of count records, as a producer would. */
void testcompress_wrap(struct buf *b, int codec, const uint8_t *records, size_t n, int count)
{
    struct testbatch_opts o = {.count = count, .value_size = 0, .timestamp = 1700000000000LL};
    buf_init(b);
    testbatch_build(b, &o);
    b->len = LOG_BATCH_HEADER_SIZE;
    testcompress_into(codec, b, records, n);
    be32_store(b->data + LOG_BATCH_OFF_LENGTH, (uint32_t)(b->len - LOG_BATCH_LOG_OVERHEAD));
    be16_store(b->data + LOG_BATCH_OFF_ATTRIBUTES, (uint16_t)(codec == TESTCOMPRESS_XERIAL ? 2 : codec));
    testbatch_fix_crc(b->data);
}

/* A batch of count records (values of vsize bytes) compressed with codec. */
void testcompress_batch(struct buf *b, int codec, int count, size_t vsize)
{
    struct buf plain;
    struct testbatch_opts o = {.count = count,
                               .value_size = vsize,
                               .key_size = 4,
                               .timestamp = 1700000000000LL,
                               .ts_step = 1,
                               .seed = 3};
    buf_init(&plain);
    testbatch_build(&plain, &o);
    testcompress_wrap(b, codec, plain.data + LOG_BATCH_HEADER_SIZE, plain.len - LOG_BATCH_HEADER_SIZE, count);
    buf_destroy(&plain);
}
