/*
 * Private helpers shared by the per-API decoders and encoders.
 *
 * Owns only the version-range checks every codec starts with, so that each
 * refuses a version it does not implement in the same way. Not part of the
 * public API: the broker includes the per-API headers, never this one.
 */
#ifndef GREGOR_BROKER_PROTO_CODEC_H
#define GREGOR_BROKER_PROTO_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/proto/proto_out.h"
#include "broker/proto/proto_reader.h"
#include "common/err.h"

/* True if min <= version <= max; otherwise fails r with GR_E_UNSUPPORTED. */
static inline bool proto_codec_decode_version(struct proto_reader *r, const char *api,
                                              int16_t version, int16_t min, int16_t max)
{
    if (version >= min && version <= max)
        return true;
    proto_reader_fail(r, GR_E_UNSUPPORTED, "%s v%d is not supported (v%d-%d)", api, version, min,
                      max);
    return false;
}

/* True if min <= version <= max; otherwise fails o with GR_E_UNSUPPORTED. */
static inline bool proto_codec_encode_version(struct proto_out *o, int16_t version, int16_t min,
                                              int16_t max)
{
    if (version >= min && version <= max)
        return true;
    proto_out_fail(o, GR_E_UNSUPPORTED);
    return false;
}

#endif
