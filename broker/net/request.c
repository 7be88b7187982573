/*
 * Request lifetime (see request.h).
 */
#define LOG_COMPONENT "request"
#include "broker/net/request.h"

#include <stdio.h>
#include <stdlib.h>

#include "broker/proto/proto_api.h"
#include "broker/core/broker.h"
#include "broker/net/frame_buf.h"
#include "common/logger.h"

struct request *request_new(struct broker *b, struct conn *c, const struct request_conn_ops *ops,
                            uint8_t *frame, size_t len)
{
    struct request *req = calloc(1, sizeof(*req));
    if (!req) {
        frame_buf_free(frame);
        return NULL;
    }
    req->b = b;
    req->conn = c;
    req->conn_ops = ops;
    req->frame = frame;
    req->len = len;
    req->refs = 1;
    req->state = REQ_PENDING;
    req->received_us = broker_now_us(b);
    arena_init(&req->arena);
    proto_out_init(&req->out);
    return req;
}

struct request *request_ref(struct request *req)
{
    req->refs++;
    return req;
}

void request_unref(struct request *req)
{
    if (!req || --req->refs > 0)
        return;
    proto_out_destroy(&req->out);
    arena_destroy(&req->arena);
    frame_buf_free(req->frame);
    free(req);
}

void request_respond(struct request *req)
{
    req->state = REQ_DONE;
    if (req->conn)
        req->conn_ops->kick(req->conn, req);
}

void request_no_response(struct request *req)
{
    req->state = REQ_NO_RESPONSE;
    if (req->conn)
        req->conn_ops->kick(req->conn, req);
}

void request_fail(struct request *req, const char *why)
{
    char desc[256];
    LOG_ERROR("cannot answer %s: %s", request_describe(req, desc, sizeof(desc)), why);
    req->state = REQ_NO_RESPONSE;
    if (req->conn)
        req->conn_ops->close(req->conn, why); /* out of memory is not an encoding failure */
}

const char *request_describe(const struct request *req, char *buf, size_t bufsz)
{
    const char *name = proto_api_name(req->hdr.request_api_key);
    struct proto_str cid = req->hdr.client_id;
    /* client.id is the client's text: escaped, and cut (with "...") where
     * 64 bytes of it would need more room escaped. */
    char esc[LOGGER_ESCAPED_SIZE(64)];
    logger_escape(cid.ptr ? cid.ptr : "", cid.ptr && cid.len > 0 ? (size_t)cid.len : 0, esc,
                  sizeof(esc));
    snprintf(buf, bufsz, "%s v%d (correlation id %d) from client \"%s\" at %s",
             name ? name : "unknown API", req->hdr.request_api_version, req->hdr.correlation_id,
             esc, req->conn ? req->conn_ops->peer(req->conn) : "(closed)");
    return buf;
}
