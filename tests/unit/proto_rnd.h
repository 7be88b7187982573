/*
 * A test-only expansion pass over a .def (PROTO_DEF): rnd_<Struct>() fills a
 * struct with random values that the version may carry (null only in the
 * field's nullable versions; arrays of 0-3 elements). Uses the rnd_* value
 * makers of tests/unit/test_proto_roundtrip.c. No include guard: included
 * once per .def.
 */
#define STRUCT(Api, S)                                                                             \
    static void rnd_##S(struct rnd *g, int16_t version, struct proto_##S *s)                       \
    {                                                                                              \
        (void)version;
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt) s->name = rnd_##T(g, PROTO_IN(version, nlo, nhi));
#define FIELD(T, name, lo, hi, dflt)            NFIELD(T, name, lo, hi, 1, 0, dflt)
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt) NFIELD(T, name, lo, hi, nlo, nhi, dflt)
#define RND_ARRAY(ctype, name, nlo, nhi, make_one)                                                 \
    {                                                                                              \
        int32_t n_ = rnd_count(g, PROTO_IN(version, nlo, nhi));                                    \
        ctype *v_ = rnd_alloc(g, n_, sizeof(*v_));                                                 \
        for (int32_t i_ = 0; i_ < n_; i_++)                                                        \
            make_one;                                                                              \
        s->name##_count = n_;                                                                      \
        s->name = v_;                                                                              \
    }
#define NARRAY(T, name, lo, hi, nlo, nhi)                                                          \
    RND_ARRAY(PROTO_CT_##T, name, nlo, nhi, v_[i_] = rnd_##T(g, false))
#define ARRAY(T, name, lo, hi) NARRAY(T, name, lo, hi, 1, 0)
#define NSARRAY(S, name, lo, hi, nlo, nhi)                                                         \
    RND_ARRAY(struct proto_##S, name, nlo, nhi, rnd_##S(g, version, &v_[i_]))
#define SARRAY(S, name, lo, hi) NSARRAY(S, name, lo, hi, 1, 0)
#define END(Api, S)             }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef RND_ARRAY

/* Pass 2: one round-trip test per API, over every version of both messages
 * (check_message() and ROUNDS come from the test program). Both are encoded
 * in a frame: size and correlation id, 8 bytes before the body. */
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    static int enc_request_##Api(struct proto_out *o, int16_t v, int32_t correlation_id,          \
                                 const void *m)                                                    \
    {                                                                                              \
        /* Framed like a response so that proto_out closes its chunks. */                          \
        proto_out_begin_response(o, correlation_id);                                               \
        proto_encode_##Api##Request(o, v, m);                                                      \
        return proto_out_end_response(o);                                                          \
    }                                                                                              \
    static int enc_response_##Api(struct proto_out *o, int16_t v, int32_t correlation_id,         \
                                  const void *m)                                                   \
    {                                                                                              \
        return proto_encode_##Api##Response(o, v, correlation_id, m);                              \
    }                                                                                              \
    static void roundtrip_##Api(struct rnd *g)                                                     \
    {                                                                                              \
        for (int16_t v = req_min; v <= req_max; v++) {                                             \
            for (int i = 0; i < ROUNDS; i++) {                                                     \
                struct proto_##Api##Request m;                                                     \
                rnd_##Api##Request(g, v, &m);                                                      \
                check_message(#Api "Request", v, &m, enc_request_##Api, 8, proto_decode_##Api,     \
                              sizeof(m));                                                          \
                rnd_reset(g);                                                                      \
            }                                                                                      \
        }                                                                                          \
        for (int16_t v = resp_min; v <= resp_max; v++) {                                           \
            for (int i = 0; i < ROUNDS; i++) {                                                     \
                struct proto_##Api##Response m;                                                    \
                rnd_##Api##Response(g, v, &m);                                                     \
                /* Size, correlation id, and for flexible versions (but              \
                 * ApiVersions) response header v1's empty tagged fields. */         \
                size_t skip_ = 8 + (proto_##Api##_first_flexible >= 0 &&             \
                                    v >= proto_##Api##_first_flexible && (key) != 18); \
                check_message(#Api "Response", v, &m, enc_response_##Api, skip_,                 \
                              proto_decode_##Api##Response, sizeof(m));                            \
                rnd_reset(g);                                                                      \
            }                                                                                      \
        }                                                                                          \
    }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef PROTO_DEF
