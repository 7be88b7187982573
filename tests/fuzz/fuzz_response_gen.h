/*
 * Expansion pass for fuzz_response.c over broker/proto/proto_msg_list.h:
 * with FUZZ_PASS 1, one function per API that fuzzes its response decoder;
 * with FUZZ_PASS 2, one table entry per API. No include guard: included
 * once per .def and pass.
 */
#include "broker/proto/proto_gen_empty.h"
#if FUZZ_PASS == 1
#undef MESSAGE
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    static void fuzz_##Api(uint8_t vsel, const uint8_t *data, size_t size)                         \
    {                                                                                              \
        int16_t v = (int16_t)((resp_min) + vsel % ((resp_max) - (resp_min) + 1));                  \
        struct proto_##Api##Response m1, m2;                                                       \
        struct proto_out o1, o2;                                                                   \
        struct arena a;                                                                            \
        struct proto_reader r;                                                                     \
        arena_init(&a);                                                                            \
        proto_reader_init(&r, data, size);                                                         \
        if (proto_decode_##Api##Response(&r, v, &a, &m1) == 0) {                                   \
            proto_out_init(&o1);                                                                   \
            proto_out_init(&o2);                                                                   \
            if (proto_encode_##Api##Response(&o1, v, 7, &m1))                                      \
                abort(); /* what was decoded must encode */                                        \
            struct buf f1, f2;                                                                     \
            flatten(&o1, &f1);                                                                     \
            /* Size and correlation id; flexible versions (not ApiVersions) \
             * add response header v1's empty tagged fields. */                \
            size_t skip_ = 8 + (proto_##Api##_first_flexible >= 0 &&                           \
                                v >= proto_##Api##_first_flexible && (key) != 18);               \
            proto_reader_init(&r, f1.data + skip_, f1.len - skip_);                                \
            if (proto_decode_##Api##Response(&r, v, &a, &m2) || proto_reader_remaining(&r))        \
                abort(); /* our own encoding must decode, whole */                                 \
            if (proto_encode_##Api##Response(&o2, v, 7, &m2))                                      \
                abort();                                                                           \
            flatten(&o2, &f2);                                                                     \
            if (f1.len != f2.len || memcmp(f1.data, f2.data, f1.len))                              \
                abort(); /* decode and encode agree */                                             \
            buf_destroy(&f1);                                                                      \
            buf_destroy(&f2);                                                                      \
            proto_out_destroy(&o1);                                                                \
            proto_out_destroy(&o2);                                                                \
        }                                                                                          \
        arena_destroy(&a);                                                                         \
    }
#elif FUZZ_PASS == 2
#undef MESSAGE
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible) fuzz_##Api,
#endif
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef PROTO_DEF
