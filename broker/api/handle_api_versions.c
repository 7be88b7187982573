/*
 * ApiVersions: the versions gregor serves, straight from the API table.
 * (Requests above our range are answered in api_dispatch().)
 */
#include "broker/api/api.h"
#include "broker/api/handlers.h"
#include "broker/proto/proto_errors.h"
#include "broker/net/request.h"

void handle_ApiVersions(struct request *req)
{
    struct proto_ApiVersion list[64];
    struct proto_ApiVersionsResponse resp = {PROTO_ERR_NONE, 0, list, 0};
    resp.api_keys_count = api_versions(list, 64);
    if (proto_encode_ApiVersionsResponse(&req->out, req->hdr.request_api_version,
                                         req->hdr.correlation_id, &resp))
        request_fail(req, "cannot encode ApiVersions");
    else
        request_respond(req);
}
