/*
 * Expands the message description named by PROTO_DEF into its codec:
 * straight-line C, one static function per struct and direction, each field
 * behind `if (version >= lo && version <= hi)` with constant bounds, so the
 * compiler folds and inlines it like a hand-written codec. Nothing walks a
 * field table at run time.
 *
 * Include after proto_gen_decl.h has expanded the same .def, with PROTO_DEF
 * defined again; it undefines PROTO_DEF at the end. No include guard.
 *
 * Local names in the expansions end in '_' so they cannot collide with a
 * field name of a .def.
 */
#include "broker/proto/proto_codec.h"
#include "broker/proto/proto_gen.h"

#ifndef PROTO_DEF
#error "define PROTO_DEF to the .def file to expand"
#endif

/* True in the flexible versions of an API (compact encodings, tagged
 * fields); constant false for an API without any. */
#define PROTO_FLEX(Api, v)                                                                         \
    (proto_##Api##_first_flexible >= 0 &&                                                          \
     (proto_##Api##_first_flexible <= proto_##Api##_request_max ||                                 \
      proto_##Api##_first_flexible <= proto_##Api##_response_max) &&                               \
     (v) >= proto_##Api##_first_flexible)

/* Pass 1: the smallest encoding of each struct in a version, which the
 * array-count check of its decoder needs before allocating. */
#define STRUCT(Api, S)                                                                             \
    static inline size_t proto_min_##S(int16_t version)                                            \
    {                                                                                              \
        const bool flex = PROTO_FLEX(Api, version);                                                \
        size_t n_ = 0;
#define FIELD(T, name, lo, hi, dflt)                                                               \
    if (PROTO_IN(version, lo, hi))                                                                 \
        n_ += PROTO_MIN_##T(flex);
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt) FIELD(T, name, lo, hi, dflt)
#define ARRAY(T, name, lo, hi)                                                                     \
    if (PROTO_IN(version, lo, hi))                                                                 \
        n_ += flex ? 1 : 4;
#define NARRAY(T, name, lo, hi, nlo, nhi) ARRAY(T, name, lo, hi)
#define SARRAY(S, name, lo, hi)           ARRAY(S, name, lo, hi)
#define NSARRAY(S, name, lo, hi, nlo, nhi) ARRAY(S, name, lo, hi)
#define END(Api, S)                                                                                \
    if (flex)                                                                                      \
        n_ += 1; /* the tagged-field count */                                                      \
    return n_ ? n_ : 1;                                                                            \
    }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

/* Pass 2: tagged fields start at their defaults (a decoder sets every other
 * field as it goes). */
#define STRUCT(Api, S)                                                                             \
    static inline void proto_tagdef_##S(struct proto_##S *s)                                       \
    {                                                                                              \
        (void)s;
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt) s->name = dflt;
#define END(Api, S)                                  }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

/* Pass 3: release every file range in a struct, for an encoder that refuses
 * the whole message or skips a field (an encoder always takes ownership). */
#define STRUCT(Api, S)                                                                             \
    static inline void proto_drop_##S(const struct proto_##S *s)                                   \
    {                                                                                              \
        (void)s;
#define FIELD(T, name, lo, hi, dflt)            PROTO_DROP_##T(s->name);
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt) PROTO_DROP_##T(s->name);
#define SARRAY(S, name, lo, hi)                                                                    \
    if (proto_gen_walkable(s->name##_count, s->name))                                              \
        for (int32_t i_ = 0; i_ < s->name##_count; i_++)                                           \
            proto_drop_##S(&s->name[i_]);
#define NSARRAY(S, name, lo, hi, nlo, nhi)           SARRAY(S, name, lo, hi)
#define END(Api, S)                                  }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

/* Pass 4: decoders. A field absent from the version gets its default; a
 * nullable one accepts null only in its nullable versions; an array count
 * is checked against the bytes left before anything is allocated. Unknown
 * tagged fields are skipped; a known one is read from a reader bounded by
 * its declared size. */
#define STRUCT(Api, S)                                                                             \
    static inline void proto_dec_##S(struct proto_reader *r, int16_t version, struct arena *a,     \
                                     struct proto_##S *s)                                          \
    {                                                                                              \
        const bool flex = PROTO_FLEX(Api, version);                                                \
        (void)flex;                                                                                \
        (void)a;                                                                                   \
        proto_tagdef_##S(s);
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt)                                                    \
    if (PROTO_IN(version, lo, hi))                                                                 \
        PROTO_GET_##T(r, &s->name, flex, PROTO_IN(version, nlo, nhi));                            \
    else                                                                                           \
        s->name = dflt;
#define FIELD(T, name, lo, hi, dflt) NFIELD(T, name, lo, hi, 1, 0, dflt)
#define PROTO_DEC_ARRAY(ctype, name, lo, hi, nlo, nhi, min, read_one)                              \
    if (PROTO_IN(version, lo, hi)) {                                                               \
        int32_t n_ = proto_gen_read_count(r, flex, PROTO_IN(version, nlo, nhi), min);              \
        ctype *v_ = proto_reader_alloc(r, a, n_, sizeof(*v_));                                     \
        for (int32_t i_ = 0; i_ < n_ && !proto_reader_failed(r); i_++)                             \
            read_one;                                                                              \
        s->name##_count = n_;                                                                      \
        s->name = v_;                                                                              \
    } else {                                                                                       \
        s->name##_count = 0;                                                                       \
        s->name = NULL;                                                                            \
    }
#define NARRAY(T, name, lo, hi, nlo, nhi)                                                          \
    PROTO_DEC_ARRAY(PROTO_CT_##T, name, lo, hi, nlo, nhi, PROTO_MIN_##T(flex),                     \
                    v_[i_] = PROTO_RD_##T(r, flex, false))
#define ARRAY(T, name, lo, hi) NARRAY(T, name, lo, hi, 1, 0)
#define NSARRAY(S, name, lo, hi, nlo, nhi)                                                         \
    PROTO_DEC_ARRAY(struct proto_##S, name, lo, hi, nlo, nhi, proto_min_##S(version),              \
                    proto_dec_##S(r, version, a, &v_[i_]))
#define SARRAY(S, name, lo, hi) NSARRAY(S, name, lo, hi, 1, 0)
#define TAGS                                                                                       \
    if (flex) {                                                                                    \
        uint32_t ntags_ = proto_reader_tagged_count(r);                                            \
        for (uint32_t t_ = 0; t_ < ntags_ && !proto_reader_failed(r); t_++) {                      \
            struct proto_reader sub_;                                                              \
            switch (proto_reader_tagged_field(r, &sub_)) {                                         \
            default: break;
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt)                                               \
    case tag:                                                                                      \
        if (PROTO_IN(version, lo, hi))                                                             \
            PROTO_GET_##T(&sub_, &s->name, flex, PROTO_IN(version, nlo, nhi));                    \
        break;
#define END(Api, S)                                                                                \
    }                                                                                              \
    proto_reader_tagged_field_end(r, &sub_);                                                       \
    }                                                                                              \
    }                                                                                              \
    }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef PROTO_DEC_ARRAY

/* Pass 5: encoders. A field absent from the version is not written (a file
 * range in it is released); a tagged field is written only when it differs
 * from its default, in tag order, each preceded by its size. Arrays are
 * walked even after a failure, so every file range reaches the out and is
 * released by it; an array that cannot be walked fails the out instead. */
#define STRUCT(Api, S)                                                                             \
    static inline void proto_enc_##S(struct proto_out *o, int16_t version,                         \
                                     const struct proto_##S *s)                                    \
    {                                                                                              \
        const bool flex = PROTO_FLEX(Api, version);                                                \
        (void)flex;
#define NFIELD(T, name, lo, hi, nlo, nhi, dflt)                                                    \
    if (PROTO_IN(version, lo, hi))                                                                 \
        PROTO_WR_##T(o, s->name, flex, PROTO_IN(version, nlo, nhi));                               \
    else                                                                                           \
        PROTO_DROP_##T(s->name);
#define FIELD(T, name, lo, hi, dflt) NFIELD(T, name, lo, hi, 1, 0, dflt)
#define PROTO_ENC_ARRAY(name, lo, hi, nlo, nhi, write_one, skip)                                   \
    if (PROTO_IN(version, lo, hi)) {                                                               \
        proto_gen_write_count(o, flex, PROTO_IN(version, nlo, nhi), s->name##_count, s->name);     \
        if (proto_gen_walkable(s->name##_count, s->name))                                          \
            for (int32_t i_ = 0; i_ < s->name##_count; i_++)                                       \
                write_one;                                                                         \
    } else {                                                                                       \
        skip;                                                                                      \
    }
#define NARRAY(T, name, lo, hi, nlo, nhi)                                                          \
    PROTO_ENC_ARRAY(name, lo, hi, nlo, nhi, PROTO_WR_##T(o, s->name[i_], flex, false), (void)0)
#define ARRAY(T, name, lo, hi) NARRAY(T, name, lo, hi, 1, 0)
#define NSARRAY(S, name, lo, hi, nlo, nhi)                                                         \
    PROTO_ENC_ARRAY(name, lo, hi, nlo, nhi, proto_enc_##S(o, version, &s->name[i_]),               \
                    if (proto_gen_walkable(s->name##_count, s->name)) for (int32_t i_ = 0;         \
                                                                          i_ < s->name##_count;    \
                                                                          i_++)                    \
                        proto_drop_##S(&s->name[i_]))
#define SARRAY(S, name, lo, hi) NSARRAY(S, name, lo, hi, 1, 0)
#define TAGS                                                                                       \
    {                                                                                              \
        struct proto_out tags_ = {0}; /* zeroed is initialised, and costs nothing when unused */   \
        uint32_t ntags_ = 0;
#define TAGGED(T, name, tag, lo, hi, nlo, nhi, dflt)                                               \
    if (flex && PROTO_IN(version, lo, hi) && !PROTO_SAME_##T(s->name, dflt)) {                     \
        struct proto_out val_ = {0};                                                               \
        PROTO_WR_##T(&val_, s->name, flex, PROTO_IN(version, nlo, nhi));                           \
        proto_out_uvarint(&tags_, tag);                                                            \
        proto_out_uvarint(&tags_, (uint32_t)val_.buf.len);                                         \
        proto_out_append_mem(&tags_, &val_);                                                       \
        proto_out_destroy(&val_);                                                                  \
        ntags_++;                                                                                  \
    }
#define END(Api, S)                                                                                \
    if (flex) {                                                                                    \
        proto_out_uvarint(o, ntags_);                                                              \
        proto_out_append_mem(o, &tags_);                                                           \
        proto_out_destroy(&tags_);                                                                 \
    }                                                                                              \
    }                                                                                              \
    }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef PROTO_ENC_ARRAY

/* Pass 6: the public functions (see proto_msg.h for their contracts). */
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    int proto_decode_##Api(struct proto_reader *r, int16_t version, struct arena *a, void *out)    \
    {                                                                                              \
        struct proto_##Api##Request *m = out;                                                      \
        if (!proto_codec_decode_version(r, #Api, version, req_min, req_max)) {                     \
            memset(m, 0, sizeof(*m));                                                              \
            return proto_reader_status(r);                                                         \
        }                                                                                          \
        proto_dec_##Api##Request(r, version, a, m);                                                \
        return proto_reader_status(r);                                                             \
    }                                                                                              \
    int proto_encode_##Api##Request(struct proto_out *o, int16_t version,                          \
                                    const struct proto_##Api##Request *req)                        \
    {                                                                                              \
        if (!proto_codec_encode_version(o, version, req_min, req_max)) {                           \
            proto_drop_##Api##Request(req);                                                        \
            return proto_out_status(o);                                                            \
        }                                                                                          \
        proto_enc_##Api##Request(o, version, req);                                                 \
        return proto_out_status(o);                                                                \
    }                                                                                              \
    int proto_encode_##Api##Response(struct proto_out *o, int16_t version, int32_t correlation_id, \
                                     const struct proto_##Api##Response *resp)                     \
    {                                                                                              \
        if (!proto_codec_encode_version(o, version, resp_min, resp_max)) {                         \
            proto_drop_##Api##Response(resp);                                                      \
            return proto_out_status(o);                                                            \
        }                                                                                          \
        proto_out_begin_response(o, correlation_id);                                               \
        /* Response header v1 for flexible versions (never ApiVersions). */                       \
        if (PROTO_FLEX(Api, version) && (key) != 18)                                               \
            proto_out_uvarint(o, 0);                                                               \
        proto_enc_##Api##Response(o, version, resp);                                               \
        return proto_out_end_response(o);                                                          \
    }                                                                                              \
    int proto_decode_##Api##Response(struct proto_reader *r, int16_t version, struct arena *a,     \
                                     void *out)                                                    \
    {                                                                                              \
        struct proto_##Api##Response *m = out;                                                     \
        if (!proto_codec_decode_version(r, #Api, version, resp_min, resp_max)) {                   \
            memset(m, 0, sizeof(*m));                                                              \
            return proto_reader_status(r);                                                         \
        }                                                                                          \
        proto_dec_##Api##Response(r, version, a, m);                                               \
        return proto_reader_status(r);                                                             \
    }
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"

#undef PROTO_FLEX
#undef PROTO_DEF
