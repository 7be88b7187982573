/*
 * libFuzzer target for the response decoders, the direction the broker's
 * own client (broker/net/client.c) uses on bytes another broker sent.
 *
 * Input: one byte choosing the API (modulo the APIs described in
 * broker/proto/proto_msg_list.h), one choosing the version (modulo that
 * response's range), then the response body. Beyond what the sanitizers
 * catch, it aborts when a body that decodes does not encode again, when our
 * own encoding does not decode whole, or when decoding that encoding and
 * encoding it again gives other bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto/proto_msg.h"
#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/arena.h"
#include "common/buf.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole frame of o in f (initialised here; the caller destroys it). */
static void flatten(const struct proto_out *o, struct buf *f)
{
    buf_init(f);
    if (proto_out_copy_to(o, f) || f->len < 8)
        abort();
}

#define FUZZ_PASS 1
#define PROTO_GEN "tests/fuzz/fuzz_response_gen.h"
#include "broker/proto/proto_msg_list.h"
#undef FUZZ_PASS
#define FUZZ_PASS 2
static void (*const apis[])(uint8_t vsel, const uint8_t *data, size_t size) = {
#include "broker/proto/proto_msg_list.h"
};
#undef PROTO_GEN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* The body is copied to its exact size so that ASan sees any read
     * past its end. */
    size_t n = size - 2;
    uint8_t *body = fuzz_exact_copy(data + 2, n);
    if (!body)
        return 0;
    apis[data[0] % (sizeof(apis) / sizeof(apis[0]))](data[1], body, n);
    free(body);
    return 0;
}
