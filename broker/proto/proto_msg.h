/*
 * Every message gregor speaks, generated from its description
 * (broker/proto/proto_<api>.def, format in docs/PROTOCOL-DESCRIPTIONS.md).
 *
 * Owns nothing at run time. For each API <Api> listed below it declares the
 * structs of the .def (struct proto_<Api>Request, struct proto_<Api>Response
 * and their nested structs; an array is <name>_count and a pointer) and four
 * functions, both directions of both messages:
 *
 *   int proto_decode_<Api>(struct proto_reader *r, int16_t version,
 *                          struct arena *a, void *out);
 *       A proto_decode_fn: reads a request body of the version from r into
 *       *out (a struct proto_<Api>Request). Strings, bytes and records are
 *       views into r's frame, which must outlive *out; arrays come from a.
 *       Fields absent from the version get the .def's default. Returns 0,
 *       GR_E_CORRUPT, GR_E_UNSUPPORTED (a version the .def does not
 *       describe) or GR_E_NOMEM, with the reason in proto_reader_reason(r);
 *       *out is unspecified after a failure.
 *   int proto_decode_<Api>Response(...same...);
 *       The same for a response body (after the response header).
 *   int proto_encode_<Api>Request(struct proto_out *o, int16_t version,
 *                                 const struct proto_<Api>Request *req);
 *       Appends a request body (the caller writes the frame and the request
 *       header). Borrows req.
 *   int proto_encode_<Api>Response(struct proto_out *o, int16_t version,
 *                                  int32_t correlation_id,
 *                                  const struct proto_<Api>Response *resp);
 *       Writes a whole response frame: size, response header v0, body.
 *   Both encoders return proto_out_status(o); they borrow the message
 *   except that they always take ownership of the owner of every
 *   PROTO_RECORDS_FILE range in it (released when o is destroyed, or before
 *   returning if the version is refused or encoding fails).
 *
 * Does not know which versions the broker serves (broker/api/api.c does)
 * and does not encode or decode headers (proto_header.h).
 */
#ifndef GREGOR_BROKER_PROTO_MSG_H
#define GREGOR_BROKER_PROTO_MSG_H

#include <stdbool.h>
#include <stdint.h>

#define PROTO_GEN "broker/proto/proto_gen_decl.h"
#include "broker/proto/proto_msg_list.h"
#undef PROTO_GEN

/* True if a Metadata request asks for every topic: a null list in v1+, and
 * in v0 (where the list is not nullable) an empty one. Borrows req. */
static inline bool proto_MetadataRequest_all_topics(const struct proto_MetadataRequest *req,
                                                    int16_t version)
{
    return req->topics_count < 0 || (version == 0 && req->topics_count == 0);
}

/* Writes the answer to an ApiVersions request whose version is above the
 * broker's maximum, without looking at its body: the v0 layout (error 35
 * UNSUPPORTED_VERSION, then the count entries of keys, borrowed) with the
 * plain v0 response header. The client retries with a version from the list.
 * Returns proto_out_status(o). */
int proto_encode_ApiVersionsFallback(struct proto_out *o, int32_t correlation_id,
                                     const struct proto_ApiVersion *keys, int32_t count);

#endif
