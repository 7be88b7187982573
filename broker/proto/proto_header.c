/*
 * Request and response headers, both directions (see proto_header.h).
 */
#include "broker/proto/proto_header.h"

#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_reader.h"
#include "common/buf.h"
#include "common/err.h"

int proto_header_decode(struct proto_reader *r, struct proto_RequestHeader *h)
{
    memset(h, 0, sizeof(*h));
    h->request_api_key = proto_reader_i16(r);
    h->request_api_version = proto_reader_i16(r);
    h->correlation_id = proto_reader_i32(r);
    int v = proto_api_request_header_version(h->request_api_key, h->request_api_version);
    h->header_version = (int8_t)(v < 0 ? 1 : v);
    /* Even the flexible header v2 keeps the int16-length client id, so that a
     * broker can read the header of an ApiVersions request of any version. */
    if (h->header_version >= 1)
        h->client_id = proto_reader_nullable_string(r);
    if (h->header_version >= 2)
        proto_reader_skip_tagged_fields(r);
    return proto_reader_status(r);
}

int proto_header_encode_request(struct buf *out, const struct proto_RequestHeader *h)
{
    if (h->header_version < 0 || h->header_version > 2 ||
        (h->client_id.ptr && h->client_id.len > INT16_MAX))
        return GR_E_INVALID;
    buf_put_i16(out, h->request_api_key);
    buf_put_i16(out, h->request_api_version);
    buf_put_i32(out, h->correlation_id);
    if (h->header_version >= 1) {
        /* Kept as an int16-length string even in v2 (see decode above). */
        buf_put_i16(out, h->client_id.ptr ? (int16_t)h->client_id.len : -1);
        if (h->client_id.ptr)
            buf_append(out, h->client_id.ptr, h->client_id.len);
    }
    if (h->header_version >= 2)
        buf_put_uvarint(out, 0); /* no tagged fields */
    return buf_failed(out) ? GR_E_NOMEM : 0;
}

int proto_header_response_version(int16_t api_key, int16_t api_version)
{
    int v = proto_api_request_header_version(api_key, api_version);
    if (v < 0)
        return -1;
    return v >= 2 && api_key != PROTO_API_API_VERSIONS ? 1 : 0;
}

int proto_header_decode_response(struct proto_reader *r, int header_version,
                                 int32_t *correlation_id)
{
    if (header_version < 0 || header_version > 1)
        return GR_E_INVALID;
    *correlation_id = proto_reader_i32(r);
    if (header_version >= 1)
        proto_reader_skip_tagged_fields(r);
    return proto_reader_status(r);
}
