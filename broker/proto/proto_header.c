/*
 * Request header parsing (see proto_header.h).
 */
#include "broker/proto/proto_header.h"

#include <string.h>

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_reader.h"

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
