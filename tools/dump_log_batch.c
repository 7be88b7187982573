/*
 * Reading batches and records out of a segment file for gregor-dump-log
 * (see dump_log.h): Kafka 2.8's FileLogInputStream and DefaultRecordBatch
 * iteration, with their checks and messages, on bounded pread()s. The batch
 * header is decoded by broker/log's log_batch_parse(), compressed records
 * are inflated by common/compress.h, varints by common/bytes.h.
 */
#include "tools/dump_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_batch.h"
#include "broker/log/log_batch_inner.h"
#include "common/bytes.h"
#include "common/compress.h"

#define HEADER_UP_TO_MAGIC 17 /* Kafka's HEADER_SIZE_UP_TO_MAGIC */
#define RECORD_OVERHEAD_V0 14 /* the smallest size Kafka's iteration accepts */
#define INVALID_RECORD     "org.apache.kafka.common.InvalidRecordException"

void dl_open(struct dl_file *f, const char *path)
{
    f->path = path;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (f->fd < 0 && errno == ENOENT)
        dl_die("java.nio.file.NoSuchFileException", NULL, "%s", path);
    if (f->fd < 0 || fstat(f->fd, &st))
        dl_die("java.io.IOException", NULL, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        dl_die("java.io.IOException", NULL, "%s: not a regular file", path);
    f->size = st.st_size;
}

void dl_close(struct dl_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

void dl_read(const struct dl_file *f, int64_t pos, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(f->fd, (uint8_t *)buf + done, n - done, (off_t)(pos + (int64_t)done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            dl_die("java.io.EOFException", NULL,
                   "Failed to read %zu bytes at position %" PRId64 " of %s: %s", n, pos, f->path,
                   k < 0 ? strerror(errno) : "the file shrank");
        done += (size_t)k;
    }
}

int dl_next_batch(const struct dl_file *f, int64_t pos, int64_t end, struct dl_batch *b)
{
    if (pos >= end - HEADER_UP_TO_MAGIC)
        return 0;
    uint8_t h[LOG_BATCH_HEADER_SIZE];
    dl_read(f, pos, h, HEADER_UP_TO_MAGIC);
    int32_t size = (int32_t)be32_load(h + LOG_BATCH_OFF_LENGTH);
    if (size < RECORD_OVERHEAD_V0)
        dl_die("org.apache.kafka.common.errors.CorruptRecordException", NULL,
               "Found record size %" PRId32
               " smaller than minimum record overhead (%d) in file %s.",
               size, RECORD_OVERHEAD_V0, f->path);
    if (pos > end - LOG_BATCH_LOG_OVERHEAD - size)
        return 0;
    int8_t magic = (int8_t)h[LOG_BATCH_OFF_MAGIC];
    if (magic < LOG_BATCH_MAGIC)
        dl_die("java.lang.UnsupportedOperationException",
               "(gregor stores magic 2 batches only; it does not read magic 0 and 1 message sets)",
               "magic %d message set at position %" PRId64 " of %s", magic, pos, f->path);
    /* Kafka reads the 61-byte header whatever the batch's size; a batch
     * shorter than that shows the bytes after it, and is invalid. */
    if (pos + LOG_BATCH_HEADER_SIZE > f->size)
        dl_die("org.apache.kafka.common.KafkaException", NULL,
               "Failed to load record batch at position %" PRId64 " from %s", pos, f->path);
    dl_read(f, pos, h, LOG_BATCH_HEADER_SIZE);
    struct log_batch_hdr hd;
    log_batch_parse(h, &hd);
    *b = (struct dl_batch){
        .position = pos,
        .size = (int64_t)size + LOG_BATCH_LOG_OVERHEAD,
        .magic = magic,
        .base_offset = hd.base_offset,
        .last_offset =
            (int64_t)((uint64_t)hd.base_offset + (uint64_t)(int64_t)hd.last_offset_delta),
        .leader_epoch = hd.leader_epoch,
        .crc = hd.crc,
        .attributes = hd.attributes,
        .base_timestamp = hd.base_timestamp,
        .max_timestamp = hd.max_timestamp,
        .producer_id = hd.producer_id,
        .producer_epoch = hd.producer_epoch,
        .base_sequence = hd.base_sequence,
        .count = hd.record_count,
    };
    /* DefaultRecordBatch.lastSequence. */
    b->last_sequence =
        hd.base_sequence == -1 ? -1 : dl_increment_sequence(hd.base_sequence, hd.last_offset_delta);
    return 1;
}

const char *dl_codec_name(const struct dl_batch *b)
{
    static const char *const names[] = {"NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"};
    int id = (int8_t)b->attributes & LOG_BATCH_COMPRESSION_MASK;
    if (id >= (int)(sizeof(names) / sizeof(names[0])))
        dl_die("java.lang.IllegalArgumentException", NULL, "Unknown compression type id: %d", id);
    return names[id];
}

const char *dl_ts_type(const struct dl_batch *b)
{
    return (b->attributes & LOG_BATCH_TIMESTAMP_LOG_APPEND) ? "LogAppendTime" : "CreateTime";
}

/* A cursor over record bytes. */
struct cur {
    const uint8_t *p, *end;
};

static bool take_varint(struct cur *c, int32_t *v)
{
    size_t n = varint_decode(c->p, c->end, v);
    c->p += n;
    return n > 0;
}

static bool take_varlong(struct cur *c, int64_t *v)
{
    size_t n = varlong_decode(c->p, c->end, v);
    c->p += n;
    return n > 0;
}

/* A nullable length-prefixed field: -1 (or below) is null, as Kafka reads it. */
static bool take_field(struct cur *c, int32_t *len, const uint8_t **at)
{
    if (!take_varint(c, len))
        return false;
    *at = c->p;
    if (*len < 0)
        return true;
    if (*len > c->end - c->p)
        return false;
    c->p += *len;
    return true;
}

static void bad_structure(void)
{
    dl_die(INVALID_RECORD, NULL, "Found invalid record structure");
}

/* DefaultRecord.readFrom's body, from c (whose end is what Kafka's buffer
 * lets it read) for a record of body_len bytes. */
static void read_body(struct cur *c, int32_t body_len, const struct dl_batch *b,
                      struct dl_record *r)
{
    const uint8_t *start = c->p;
    int64_t ts_delta;
    int32_t off_delta;
    if (c->p >= c->end)
        bad_structure();
    c->p++; /* attributes: unused */
    if (!take_varlong(c, &ts_delta) || !take_varint(c, &off_delta) ||
        !take_field(c, &r->key_len, &r->key) || !take_field(c, &r->value_len, &r->value) ||
        !take_varint(c, &r->nheaders))
        bad_structure();
    if (r->nheaders < 0)
        dl_die(INVALID_RECORD, NULL, "Found invalid number of record headers %" PRId32,
               r->nheaders);
    if (r->nheaders > c->end - c->p)
        dl_die(INVALID_RECORD, NULL,
               "Found invalid number of record headers. %" PRId32
               " is larger than the remaining size of the buffer",
               r->nheaders);
    r->headers = c->p;
    for (int32_t k = 0; k < r->nheaders; k++) {
        int32_t klen, vlen;
        const uint8_t *at;
        if (!take_varint(c, &klen))
            bad_structure();
        if (klen < 0)
            dl_die(INVALID_RECORD, NULL, "Invalid negative header key size %" PRId32, klen);
        if (klen > c->end - c->p)
            bad_structure();
        c->p += klen;
        if (!take_field(c, &vlen, &at))
            bad_structure();
    }
    if (c->p - start != body_len)
        dl_die(INVALID_RECORD, NULL,
               "Invalid record size: expected to read %" PRId32
               " bytes in record payload, but instead read %td",
               body_len, c->p - start);
    r->offset = (int64_t)((uint64_t)b->base_offset + (uint64_t)(int64_t)off_delta);
    r->timestamp = (b->attributes & LOG_BATCH_TIMESTAMP_LOG_APPEND)
                       ? b->max_timestamp
                       : (int64_t)((uint64_t)b->base_timestamp + (uint64_t)ts_delta);
    r->sequence = b->base_sequence < 0 ? -1 : dl_increment_sequence(b->base_sequence, off_delta);
}

static void premature_eof(const char *detail)
{
    dl_die(INVALID_RECORD, detail, "Incorrect declared batch size, premature EOF reached");
}

static void records_remain(void)
{
    dl_die(INVALID_RECORD, NULL, "Incorrect declared batch size, records still remaining in file");
}

/* Kafka's uncompressedIterator: each record is read from what is left of
 * the batch and handed out before the next is read. */
static void walk_plain(const uint8_t *p, size_t len, const struct dl_batch *b, dl_record_fn fn,
                       void *arg)
{
    struct cur c = {p, p + len};
    for (int32_t i = 0; i < b->count; i++) {
        int32_t body;
        if (!take_varint(&c, &body))
            premature_eof(NULL);
        if (c.end - c.p < body)
            premature_eof("(a record is longer than what is left of its batch; Kafka 2.8's tool "
                          "fails here with a NullPointerException)");
        struct dl_record r;
        read_body(&c, body, b, &r);
        if (i == b->count - 1 && c.p != c.end)
            records_remain();
        fn(b, &r, arg);
    }
}

/* Kafka's compressed iterator (DataInput): each record's body is read into
 * a buffer of its own size, and all records are read before any is handed
 * out. check_only: the first of the two passes. */
static void walk_inflated(const uint8_t *p, size_t len, const struct dl_batch *b, dl_record_fn fn,
                          void *arg, bool check_only)
{
    struct cur c = {p, p + len};
    for (int32_t i = 0; i < b->count; i++) {
        int32_t body;
        if (!take_varint(&c, &body))
            premature_eof(NULL);
        if (body < 0)
            bad_structure();
        if (c.end - c.p < body)
            premature_eof(NULL);
        struct cur rc = {c.p, c.p + body};
        struct dl_record r;
        read_body(&rc, body, b, &r);
        c.p += body;
        if (!check_only)
            fn(b, &r, arg);
    }
    if (c.p != c.end)
        records_remain();
}

/* Inflates the records of batch bytes p (size bytes) into a new buffer. */
static uint8_t *inflate_all(const uint8_t *p, const struct dl_batch *b, int codec,
                            int32_t max_message, size_t *outlen)
{
    uint64_t bound = (uint64_t)log_batch_inflate_max(max_message);
    struct compress_reader *r;
    if (compress_reader_open(codec, p + LOG_BATCH_HEADER_SIZE,
                             (size_t)b->size - LOG_BATCH_HEADER_SIZE, bound, &r))
        dl_die("java.lang.OutOfMemoryError", NULL, "opening the %s reader",
               compress_codec_name(codec));
    size_t cap = 64 * 1024, len = 0;
    uint8_t *out = malloc(cap);
    char why[200] = "";
    for (;;) {
        if (!out)
            dl_die("java.lang.OutOfMemoryError", NULL, "inflating the batch at position %" PRId64,
                   b->position);
        if (len == cap) {
            uint8_t *grown = realloc(out, cap * 2);
            if (!grown)
                free(out);
            out = grown;
            cap *= 2;
            continue;
        }
        ssize_t k = compress_reader_read(r, out + len, cap - len, why, sizeof(why));
        if (k == 0)
            break;
        if (k < 0) {
            char detail[320];
            snprintf(
                detail, sizeof(detail), "(%s payload of the batch at position %" PRId64 ": %s%s)",
                compress_codec_name(codec), b->position, why,
                compress_reader_over_bound(r) ? "; gregor stops at 32 x --max-message-size" : "");
            dl_die("org.apache.kafka.common.KafkaException", detail,
                   "Failed to decompress record stream");
        }
        len += (size_t)k;
    }
    compress_reader_free(r);
    *outlen = len;
    return out;
}

void dl_records(const struct dl_file *f, const struct dl_batch *b, int32_t max_message,
                dl_record_fn fn, void *arg)
{
    if (b->size < LOG_BATCH_HEADER_SIZE)
        dl_die("java.lang.IndexOutOfBoundsException", NULL,
               "the batch at position %" PRId64 " is %" PRId64 " bytes, shorter than its header",
               b->position, b->size);
    if (b->count < 0)
        dl_die(INVALID_RECORD, NULL, "Found invalid record count %" PRId32 " in magic v%d batch",
               b->count, b->magic);
    if (b->count == 0)
        return;
    uint8_t *p = malloc((size_t)b->size);
    if (!p)
        dl_die("java.lang.OutOfMemoryError", NULL, "reading the batch at position %" PRId64,
               b->position);
    dl_read(f, b->position, p, (size_t)b->size);
    int codec = b->attributes & LOG_BATCH_COMPRESSION_MASK;
    if (codec == COMPRESS_NONE) {
        walk_plain(p + LOG_BATCH_HEADER_SIZE, (size_t)b->size - LOG_BATCH_HEADER_SIZE, b, fn, arg);
    } else {
        (void)dl_codec_name(b); /* dies on an unknown codec */
        size_t len;
        uint8_t *in = inflate_all(p, b, codec, max_message, &len);
        walk_inflated(in, len, b, fn, arg, true);
        walk_inflated(in, len, b, fn, arg, false);
        free(in);
    }
    free(p);
}
