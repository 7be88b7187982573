/*
 * snappy (Kafka codec 2) through libsnappy's C API, in the two forms Kafka
 * clients write: the Java client's xerial framing (a 16-byte header, then
 * blocks each preceded by its 4-byte big-endian compressed length) and
 * librdkafka's raw snappy (the whole payload one block). Each block states
 * its inflated length up front, so one larger than the room left is refused
 * before anything is allocated.
 */
#include <snappy-c.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/compress_codec.h"
#include "common/err.h"

/* SnappyCodec.MAGIC_HEADER of snappy-java, then two 4-byte versions. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER 16

struct sn {
    bool xerial;  /* framed, or one raw block */
    uint8_t *blk; /* the current inflated block */
    size_t cap;   /* its allocation */
    size_t len;   /* its length */
    size_t off;   /* bytes of it handed out */
};

static int sn_open(struct compress_src *s, void **state)
{
    struct sn *z = calloc(1, sizeof(*z));
    if (!z)
        return GR_E_NOMEM;
    if (s->len >= XERIAL_HEADER && memcmp(s->in, xerial_magic, sizeof(xerial_magic)) == 0) {
        z->xerial = true;
        s->pos = XERIAL_HEADER;
    }
    *state = z;
    return 0;
}

/* Inflates the next block into z->blk; 0 if there is none. */
static int next_block(struct compress_src *s, struct sn *z, bool *none)
{
    const uint8_t *p = s->in + s->pos;
    size_t clen = s->len - s->pos;
    *none = clen == 0 && (z->xerial || s->pos > 0);
    if (*none)
        return 0;
    if (z->xerial) {
        if (clen < 4)
            return compress_fail(s, "snappy (xerial) block length is cut short");
        uint32_t bl = be32_load(p);
        if (bl > clen - 4)
            return compress_fail(s, "snappy (xerial) block of %u bytes runs past the payload", bl);
        p += 4;
        clen = bl;
        s->pos += 4;
    }
    size_t ulen;
    if (snappy_uncompressed_length((const char *)p, clen, &ulen) != SNAPPY_OK)
        return compress_fail(s, "snappy block is corrupt (bad length header)");
    s->over = (uint64_t)ulen > s->room;
    if (s->over)
        return compress_fail(s, "snappy block claims %zu bytes, more than the %llu allowed", ulen,
                             (unsigned long long)s->room);
    if (ulen > z->cap) {
        uint8_t *nb = realloc(z->blk, ulen);
        if (!nb)
            return GR_E_NOMEM;
        z->blk = nb;
        z->cap = ulen;
    }
    size_t got = ulen;
    if (snappy_uncompress((const char *)p, clen, (char *)z->blk, &got) != SNAPPY_OK || got != ulen)
        return compress_fail(s, "snappy block is corrupt");
    s->pos += clen;
    z->len = ulen;
    z->off = 0;
    return 0;
}

static ssize_t sn_read(struct compress_src *s, void *state, uint8_t *buf, size_t n)
{
    struct sn *z = state;
    size_t o = 0;
    while (o < n) {
        if (z->off == z->len) {
            bool none;
            int rc = next_block(s, z, &none);
            if (rc)
                return rc;
            if (none)
                break;
            continue; /* an empty block is allowed; look at the next */
        }
        size_t k = z->len - z->off < n - o ? z->len - z->off : n - o;
        memcpy(buf + o, z->blk + z->off, k);
        z->off += k;
        o += k;
    }
    return (ssize_t)o;
}

static void sn_close(void *state)
{
    struct sn *z = state;
    free(z->blk);
    free(z);
}

const struct compress_codec_ops compress_snappy_ops = {sn_open, sn_read, sn_close};
