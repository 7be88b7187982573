/*
 * Expands the message description named by PROTO_DEF (a .def file, see
 * docs/PROTOCOL-DESCRIPTIONS.md) into declarations: the API's version
 * constants, one C struct per described struct, and the prototypes of its
 * four public codec functions (documented in broker/proto/proto_msg.h).
 *
 * Included once per .def, with PROTO_DEF defined to the .def's path; it
 * undefines PROTO_DEF at the end. No include guard for that reason.
 */
#include "broker/proto/proto_gen.h"

#ifndef PROTO_DEF
#error "define PROTO_DEF to the .def file to expand"
#endif

/* Pass 1: proto_<Api>_{request,response}_{min,max}, proto_<Api>_first_flexible. */
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    enum {                                                                                         \
        proto_##Api##_key = key,                                                                   \
        proto_##Api##_request_min = req_min,                                                       \
        proto_##Api##_request_max = req_max,                                                       \
        proto_##Api##_response_min = resp_min,                                                     \
        proto_##Api##_response_max = resp_max,                                                     \
        proto_##Api##_first_flexible = first_flexible,                                             \
    };
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

/* Pass 2: the structs. Arrays are a count (-1 for null) and a pointer that
 * a decoder fills from its arena and an encoder borrows. */
#define STRUCT(Api, S)                          struct proto_##S {
#define FIELD(T, name, lo, hi, dflt)            PROTO_CT_##T name;
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt) PROTO_CT_##T name;
#define ARRAY(T, name, lo, hi)                                                                     \
    int32_t name##_count;                                                                          \
    const PROTO_CT_##T *name;
#define NARRAY(T, name, lo, hi, nlo, nhi) ARRAY(T, name, lo, hi)
#define SARRAY(S, name, lo, hi)                                                                    \
    int32_t name##_count;                                                                          \
    const struct proto_##S *name;
#define NSARRAY(S, name, lo, hi, nlo, nhi)           SARRAY(S, name, lo, hi)
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt) PROTO_CT_##T name;
#define END(Api, S)                                                                                \
    }                                                                                              \
    ;
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

/* Pass 3: the public functions. */
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    int proto_decode_##Api(struct proto_reader *r, int16_t version, struct arena *a, void *out);   \
    int proto_encode_##Api##Request(struct proto_out *o, int16_t version,                          \
                                    const struct proto_##Api##Request *req);                       \
    int proto_encode_##Api##Response(struct proto_out *o, int16_t version, int32_t correlation_id, \
                                     const struct proto_##Api##Response *resp);                    \
    int proto_decode_##Api##Response(struct proto_reader *r, int16_t version, struct arena *a,     \
                                     void *out);
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

#undef PROTO_DEF
