/*
 * libFuzzer target: one request frame (the bytes after the int32 size) in,
 * header parsed, body decoded by the matching decoder for every API and
 * version the codec implements, and, when decoding succeeds, a plausible
 * response encoded, flattened and checked.
 *
 * Beyond what the sanitizers catch, it aborts when a response's size prefix
 * disagrees with its length, or when a Fetch file range is not released
 * exactly once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker/proto/proto_out.h"
#include "common/bytes.h"
#include "tests/fuzz/fuzz_respond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small file standing in for a segment, so Fetch responses carry file
 * ranges that proto_out_copy_to() really reads. */
static int records_fd(void)
{
    static int fd = -1;
    if (fd < 0) {
        FILE *f = tmpfile();
        if (!f || fwrite("0123456789abcdef0123456789abcdef", 1, 32, f) != 32 || fflush(f))
            abort();
        fd = fileno(f);
    }
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_respond_cfg cfg = {.node_id = 1,
                                   .host = "localhost",
                                   .port = 9092,
                                   .records_fd = records_fd(),
                                   .records_len = 32};
    struct proto_out o;
    proto_out_init(&o);
    int rc = fuzz_respond(data, size, &cfg, &o, NULL, 0);
    if (rc == FUZZ_RESPONDED) {
        struct buf flat;
        buf_init(&flat);
        if (proto_out_copy_to(&o, &flat) || (int64_t)flat.len != proto_out_size(&o) ||
            flat.len < 8 || be32_load(flat.data) != flat.len - 4)
            abort();
        buf_destroy(&flat);
    }
    proto_out_destroy(&o);
    if (cfg.file_ranges != 0)
        abort();
    return 0;
}
