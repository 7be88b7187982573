/*
 * Dumping a .log segment for gregor-dump-log (see dump_log.h): Kafka 2.8's
 * DumpLogSegments.dumpLog and printBatchLevel, line for line.
 */
#include "tools/dump_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_batch.h"
#include "common/bytes.h"
#include "common/crc32c.h"

/* DefaultRecordBatch.isValid: the size covers the header and the stored
 * CRC-32C matches the bytes from Attributes on, read a piece at a time. */
static bool batch_valid(const struct dl_file *f, const struct dl_batch *b)
{
    if (b->size < LOG_BATCH_HEADER_SIZE)
        return false;
    uint8_t buf[64 * 1024];
    uint32_t crc = 0;
    for (int64_t at = LOG_BATCH_OFF_ATTRIBUTES; at < b->size;) {
        size_t n = b->size - at < (int64_t)sizeof(buf) ? (size_t)(b->size - at) : sizeof(buf);
        dl_read(f, b->position + at, buf, n);
        crc = crc32c(crc, buf, n);
        at += (int64_t)n;
    }
    return crc == b->crc;
}

/* printBatchLevel. Kafka prints the first half before it computes the
 * second, so a batch with an unknown codec shows its first half. */
static void print_batch(const struct dl_file *f, const struct dl_batch *b, int64_t position)
{
    printf("baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32
           " baseSequence: %" PRId32 " lastSequence: %" PRId32 " producerId: %" PRId64
           " producerEpoch: %d partitionLeaderEpoch: %" PRId32 " isTransactional: %s isControl: %s",
           b->base_offset, b->last_offset, b->count, b->base_sequence, b->last_sequence,
           b->producer_id, b->producer_epoch, b->leader_epoch,
           (b->attributes & LOG_BATCH_TRANSACTIONAL) ? "true" : "false",
           (b->attributes & LOG_BATCH_CONTROL) ? "true" : "false");
    const char *codec = dl_codec_name(b);
    printf(" position: %" PRId64 " %s: %" PRId64 " size: %" PRId64 " magic: %d"
           " compresscodec: %s crc: %" PRIu32 " isvalid: %s\n",
           position, dl_ts_type(b), b->max_timestamp, b->size, b->magic, codec, b->crc,
           batch_valid(f, b) ? "true" : "false");
}

/* Kafka's StringDecoder: new String(bytes, UTF-8), which replaces each
 * malformed sequence (its maximal valid prefix, or one byte) with U+FFFD. */
static void put_utf8(const uint8_t *p, int32_t n)
{
    int32_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        int need = c < 0x80                 ? 0
                   : c >= 0xc2 && c <= 0xdf ? 1
                   : c >= 0xe0 && c <= 0xef ? 2
                   : c >= 0xf0 && c <= 0xf4 ? 3
                                            : -1;
        if (need < 0) {
            fputs("\xef\xbf\xbd", stdout);
            i++;
            continue;
        }
        int k = 1;
        for (; k <= need && i + k < n; k++) {
            uint8_t lo = 0x80, hi = 0xbf;
            if (k == 1 && c == 0xe0)
                lo = 0xa0;
            else if (k == 1 && c == 0xed)
                hi = 0x9f; /* no surrogates */
            else if (k == 1 && c == 0xf0)
                lo = 0x90;
            else if (k == 1 && c == 0xf4)
                hi = 0x8f;
            if (p[i + k] < lo || p[i + k] > hi)
                break;
        }
        if (k == need + 1) {
            fwrite(p + i, 1, (size_t)k, stdout);
        } else {
            fputs("\xef\xbf\xbd", stdout);
        }
        i += k;
    }
}

/* One decoded key or value as Kafka's decoder classes print it. */
static void put_decoded(int decoder, const uint8_t *p, int32_t n)
{
    if (decoder == DL_DEC_STRING) {
        put_utf8(p, n);
    } else if (decoder == DL_DEC_INTEGER) {
        if (n < 4)
            dl_die("java.nio.BufferUnderflowException", NULL, "IntegerDecoder on %" PRId32 " bytes",
                   n);
        printf("%" PRId32, (int32_t)be32_load(p));
    } else {
        if (n < 8)
            dl_die("java.nio.BufferUnderflowException", NULL, "LongDecoder on %" PRId32 " bytes",
                   n);
        printf("%" PRId64, (int64_t)be64_load(p));
    }
}

struct walk {
    const struct dl_opts *o;
    const char *abs;     /* the file's absolute path, for the report */
    int64_t last_offset; /* -1 before the first record */
    int64_t position;    /* the batch's position (validBytes) */
};

/* The control record part of a record line (endTxnMarker or controlType). */
static void print_control(const struct dl_record *r)
{
    if (r->key_len < 4)
        dl_die("org.apache.kafka.common.InvalidRecordException", NULL,
               "Invalid value size found for end control record key. Must have at least 4 bytes, "
               "but found only %" PRId32,
               r->key_len < 0 ? 0 : r->key_len);
    int16_t type = (int16_t)be16_load(r->key + 2);
    if (type != 0 && type != 1) {
        printf(" controlType: UNKNOWN(%d)", type);
        return;
    }
    if (r->value_len < 6)
        dl_die("org.apache.kafka.common.InvalidRecordException", NULL,
               "Invalid value size found for end transaction marker. Must have at least 6 bytes, "
               "but found only %" PRId32,
               r->value_len < 0 ? 0 : r->value_len);
    printf(" endTxnMarker: %s coordinatorEpoch: %" PRId32, type ? "COMMIT" : "ABORT",
           (int32_t)be32_load(r->value + 2));
}

static void print_record(const struct dl_batch *b, const struct dl_record *r, void *arg)
{
    struct walk *w = arg;
    if (w->last_offset != -1 && r->offset != w->last_offset + 1)
        dl_report_add(DL_NON_CONSECUTIVE, w->abs, w->last_offset, r->offset);
    w->last_offset = r->offset;
    bool control = (b->attributes & LOG_BATCH_CONTROL) != 0;
    const char *prefix = "| ";
    if (!w->o->skip_metadata) {
        printf("| offset: %" PRId64 " isValid: true crc: null keySize: %" PRId32
               " valueSize: %" PRId32 " %s: %" PRId64 " baseOffset: %" PRId64
               " lastOffset: %" PRId64 " baseSequence: %" PRId32 " lastSequence: %" PRId32
               " producerEpoch: %d partitionLeaderEpoch: %" PRId32 " batchSize: %" PRId64
               " magic: %d compressType: %s position: %" PRId64,
               r->offset, r->key_len < 0 ? -1 : r->key_len, r->value_len < 0 ? -1 : r->value_len,
               dl_ts_type(b), r->timestamp, b->base_offset, b->last_offset, b->base_sequence,
               b->last_sequence, b->producer_epoch, b->leader_epoch, b->size, b->magic,
               dl_codec_name(b), w->position);
        prefix = " ";
        printf(" sequence: %" PRId32 " headerKeys: [", r->sequence);
        const uint8_t *p = r->headers;
        for (int32_t k = 0; k < r->nheaders; k++) {
            /* Already checked by dl_records(): the varints decode and the
             * lengths fit. */
            int32_t klen = 0, vlen = 0;
            p += varint_decode(p, p + 5, &klen);
            if (k)
                putchar(',');
            put_utf8(p, klen);
            p += klen;
            p += varint_decode(p, p + 5, &vlen);
            if (vlen > 0)
                p += vlen;
        }
        putchar(']');
        if (control)
            print_control(r);
    }
    if (w->o->print_data && !control) {
        if (w->o->offsets) {
            dl_offsets_print(r, prefix);
            putchar('\n');
            return;
        }
        if (r->key_len >= 0) {
            printf("%skey: ", prefix);
            put_decoded(w->o->key_decoder, r->key, r->key_len);
        }
        if (r->value_len >= 0) {
            fputs(" payload: ", stdout);
            put_decoded(w->o->value_decoder, r->value, r->value_len);
        }
    }
    putchar('\n');
}

void dl_dump_log(const char *path, const struct dl_opts *o)
{
    int64_t base = dl_base_offset(path);
    printf("Starting offset: %" PRId64 "\n", base);
    struct dl_file f;
    dl_open(&f, path);
    char *abs = dl_abs(path);
    struct walk w = {.o = o, .abs = abs, .last_offset = -1};
    int64_t valid = 0;
    struct dl_batch b;
    while (dl_next_batch(&f, valid, f.size, &b)) {
        print_batch(&f, &b, valid);
        if (o->deep) {
            w.position = valid;
            dl_records(&f, &b, o->max_message, print_record, &w);
        }
        valid += b.size;
    }
    if (f.size - valid > 0) {
        const char *name = strrchr(path, '/');
        printf("Found %" PRId64 " invalid bytes at the end of %s\n", f.size - valid,
               name ? name + 1 : path);
    }
    free(abs);
    dl_close(&f);
}
