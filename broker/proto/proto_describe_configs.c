/*
 * DescribeConfigs codec (see proto_describe_configs.h).
 */
#include "broker/proto/proto_describe_configs.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_DescribeConfigs(struct proto_reader *r, int16_t version, struct arena *a,
                                 void *out)
{
    struct proto_DescribeConfigsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "DescribeConfigs", version, 0, 3))
        return proto_reader_status(r);
    /* A resource: type (1), name length (2), key count (4). */
    req->resources_count = proto_reader_array(r, 1 + 2 + 4);
    req->resources = proto_reader_alloc(r, a, req->resources_count, sizeof(*req->resources));
    for (int32_t i = 0; i < req->resources_count && !proto_reader_failed(r); i++) {
        struct proto_DescribeConfigsResource *res = &req->resources[i];
        res->resource_type = proto_reader_i8(r);
        res->resource_name = proto_reader_string(r);
        res->configuration_keys =
            proto_reader_string_array(r, a, &res->configuration_keys_count, true);
    }
    if (version >= 1)
        req->include_synonyms = proto_reader_bool(r);
    if (version >= 3)
        req->include_documentation = proto_reader_bool(r);
    return proto_reader_status(r);
}

static void encode_config(struct proto_out *o, int16_t version,
                          const struct proto_DescribeConfigsResourceResult *c)
{
    proto_out_string(o, c->name);
    proto_out_nullable_string(o, c->value);
    proto_out_bool(o, c->read_only);
    if (version == 0)
        proto_out_bool(o, c->is_default);
    else
        proto_out_i8(o, c->config_source);
    proto_out_bool(o, c->is_sensitive);
    if (version >= 1) {
        proto_out_array(o, c->synonyms_count, c->synonyms);
        for (int32_t i = 0; i < c->synonyms_count && !proto_out_status(o); i++) {
            proto_out_string(o, c->synonyms[i].name);
            proto_out_nullable_string(o, c->synonyms[i].value);
            proto_out_i8(o, c->synonyms[i].source);
        }
    }
    if (version >= 3) {
        proto_out_i8(o, c->config_type);
        proto_out_nullable_string(o, c->documentation);
    }
}

int proto_encode_DescribeConfigsResponse(struct proto_out *o, int16_t version,
                                         int32_t correlation_id,
                                         const struct proto_DescribeConfigsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 3))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->results_count, resp->results);
    for (int32_t i = 0; i < resp->results_count && !proto_out_status(o); i++) {
        const struct proto_DescribeConfigsResult *res = &resp->results[i];
        proto_out_i16(o, res->error_code);
        proto_out_nullable_string(o, res->error_message);
        proto_out_i8(o, res->resource_type);
        proto_out_string(o, res->resource_name);
        proto_out_array(o, res->configs_count, res->configs);
        for (int32_t j = 0; j < res->configs_count && !proto_out_status(o); j++)
            encode_config(o, version, &res->configs[j]);
    }
    return proto_out_end_response(o);
}
