/*
 * Record batch builder for tests (see testbatch.h).
 */
#include "tests/unit/testbatch.h"

#include "broker/log/log_batch.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/crc32c.h"

void testbatch_fix_crc(uint8_t *p)
{
    int32_t length = (int32_t)be32_load(p + LOG_BATCH_OFF_LENGTH);
    size_t size = (size_t)length + LOG_BATCH_LOG_OVERHEAD;
    be32_store(p + LOG_BATCH_OFF_CRC,
               crc32c(0, p + LOG_BATCH_OFF_ATTRIBUTES, size - LOG_BATCH_OFF_ATTRIBUTES));
}

size_t testbatch_build(struct buf *b, const struct testbatch_opts *o)
{
    size_t start = b->len;
    buf_put_i64(b, o->base_offset);
    size_t len_off = buf_put_i32(b, 0);
    buf_put_i32(b, -1); /* PartitionLeaderEpoch */
    buf_put_i8(b, 2);
    buf_put_i32(b, 0); /* CRC, patched below */
    buf_put_i16(b, o->attributes);
    buf_put_i32(b, o->count - 1);
    buf_put_i64(b, o->timestamp);
    buf_put_i64(b, o->timestamp + o->ts_step * (o->count - 1));
    buf_put_i64(b, -1); /* ProducerId */
    buf_put_i16(b, -1);
    buf_put_i32(b, -1);
    buf_put_i32(b, o->count);
    uint64_t x = o->seed | 1;
    for (int i = 0; i < o->count; i++) {
        struct buf r;
        buf_init(&r);
        buf_put_i8(&r, 0);
        buf_put_varlong(&r, o->ts_step * i);
        buf_put_varint(&r, i);
        if (o->key_size) {
            buf_put_varint(&r, (int32_t)o->key_size);
            for (size_t k = 0; k < o->key_size; k++)
                buf_put_i8(&r, (int8_t)('a' + (i + (int)k) % 26));
        } else {
            buf_put_varint(&r, -1);
        }
        buf_put_varint(&r, (int32_t)o->value_size);
        uint8_t *v = buf_grow(&r, o->value_size);
        for (size_t k = 0; v && k < o->value_size; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v[k] = (uint8_t)x;
        }
        buf_put_varint(&r, 0); /* headers */
        buf_put_varint(b, (int32_t)r.len);
        buf_append(b, r.data, r.len);
        buf_destroy(&r);
    }
    buf_patch_i32(b, len_off, (int32_t)(b->len - start - LOG_BATCH_LOG_OVERHEAD));
    if (!buf_failed(b))
        testbatch_fix_crc(b->data + start);
    return start;
}

struct log_config testbatch_log_config(void)
{
    struct log_config c = {.segment_bytes = 1 << 30, .segment_ms = INT64_MAX / 2,
                           .segment_index_bytes = 1 << 20, .index_interval_bytes = 4096,
                           .retention_ms = -1, .retention_bytes = -1,
                           .flush_messages = INT64_MAX, .flush_ms = INT64_MAX,
                           .max_message_bytes = 1 << 20,
                           .timestamp_difference_max_ms = INT64_MAX, .min_insync_replicas = 1};
    return c;
}

void testbatch_fix_crcs(uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (n - pos >= LOG_BATCH_HEADER_SIZE) {
        int32_t length = (int32_t)be32_load(p + pos + LOG_BATCH_OFF_LENGTH);
        if (length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD ||
            (size_t)length + LOG_BATCH_LOG_OVERHEAD > n - pos)
            return;
        testbatch_fix_crc(p + pos);
        pos += (size_t)length + LOG_BATCH_LOG_OVERHEAD;
    }
}
