/*
 * ApiVersions: the versions gregor serves, straight from the API table.
 * (Requests above our range are answered in api_dispatch().)
 */
#include "broker/api/api.h"
#include "broker/api/handlers.h"
#include "broker/api/handler_util.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

void handle_ApiVersions(struct request *req)
{
    struct proto_ApiVersion list[64];
    struct proto_ApiVersionsResponse resp = {
        .error_code = PROTO_ERR_NONE, .api_keys_count = api_versions(list, 64), .api_keys = list};
    req_respond(req, ApiVersions, &resp);
}
