/*
 * ApiVersions codec (see proto_api_versions.h).
 */
#include "broker/proto/proto_api_versions.h"

#include <string.h>

#include "broker/proto/proto_codec.h"
#include "broker/proto/proto_errors.h"

int proto_decode_ApiVersions(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_ApiVersionsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "ApiVersions", version, 0, 3))
        return proto_reader_status(r);
    if (version >= 3) {
        req->client_software_name = proto_reader_compact_string(r);
        req->client_software_version = proto_reader_compact_string(r);
        proto_reader_skip_tagged_fields(r);
    }
    return proto_reader_status(r);
}

int proto_encode_ApiVersionsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                     const struct proto_ApiVersionsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 2))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    proto_out_i16(o, resp->error_code);
    proto_out_array(o, resp->api_keys_count, resp->api_keys);
    for (int32_t i = 0; i < resp->api_keys_count && !proto_out_status(o); i++) {
        proto_out_i16(o, resp->api_keys[i].api_key);
        proto_out_i16(o, resp->api_keys[i].min_version);
        proto_out_i16(o, resp->api_keys[i].max_version);
    }
    if (version >= 1)
        proto_out_i32(o, resp->throttle_time_ms);
    return proto_out_end_response(o);
}

int proto_encode_ApiVersionsFallback(struct proto_out *o, int32_t correlation_id,
                                     const struct proto_ApiVersion *keys, int32_t count)
{
    struct proto_ApiVersionsResponse resp = {
        .error_code = PROTO_ERR_UNSUPPORTED_VERSION,
        .api_keys_count = count,
        .api_keys = keys,
    };
    return proto_encode_ApiVersionsResponse(o, 0, correlation_id, &resp);
}
