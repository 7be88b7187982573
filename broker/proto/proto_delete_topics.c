/*
 * DeleteTopics codec (see proto_delete_topics.h).
 */
#include "broker/proto/proto_delete_topics.h"

#include <string.h>

#include "broker/proto/proto_codec.h"

int proto_decode_DeleteTopics(struct proto_reader *r, int16_t version, struct arena *a, void *out)
{
    struct proto_DeleteTopicsRequest *req = out;
    memset(req, 0, sizeof(*req));
    if (!proto_codec_decode_version(r, "DeleteTopics", version, 0, 3))
        return proto_reader_status(r);
    req->topic_names = proto_reader_string_array(r, a, &req->topic_names_count, false);
    req->timeout_ms = proto_reader_i32(r);
    return proto_reader_status(r);
}

int proto_encode_DeleteTopicsResponse(struct proto_out *o, int16_t version, int32_t correlation_id,
                                      const struct proto_DeleteTopicsResponse *resp)
{
    if (!proto_codec_encode_version(o, version, 0, 3))
        return proto_out_status(o);
    proto_out_begin_response(o, correlation_id);
    if (version >= 1)
        proto_out_i32(o, resp->throttle_time_ms);
    proto_out_array(o, resp->responses_count, resp->responses);
    for (int32_t i = 0; i < resp->responses_count && !proto_out_status(o); i++) {
        proto_out_string(o, resp->responses[i].name);
        proto_out_i16(o, resp->responses[i].error_code);
    }
    return proto_out_end_response(o);
}
