/*
 * The codecs of every message in proto_msg.h, expanded from the .def files
 * (proto_msg_list.h) by broker/proto/proto_gen_impl.h,
 * and the one hand-written message: the ApiVersions fallback.
 */
#include "broker/proto/proto_msg.h"

#include "broker/proto/proto_api.h"
#include "broker/proto/proto_errors.h"

#define PROTO_GEN "broker/proto/proto_gen_impl.h"
#include "broker/proto/proto_msg_list.h"
#undef PROTO_GEN

#define PROTO_API_FIRST_FLEXIBLE(name, key, str, flex) proto_api_first_flexible_##key = flex,
enum { PROTO_APIS(PROTO_API_FIRST_FLEXIBLE) };
#undef PROTO_API_FIRST_FLEXIBLE
#define PROTO_GEN "broker/proto/proto_gen_check.h"
#include "broker/proto/proto_msg_list.h"
#undef PROTO_GEN

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
