/*
 * A compile-time check over the .def named by PROTO_DEF: its first flexible
 * version must be the one broker/proto/proto_api.h records for its key, since
 * the header decoder finds the end of a request header from that table.
 * proto_msg.c declares proto_api_first_flexible_<key> before including this.
 * Included once per .def; no include guard.
 */
#define MESSAGE(Api, key, req_min, req_max, resp_min, resp_max, first_flexible)                     \
    _Static_assert(first_flexible == proto_api_first_flexible_##key,                               \
                   #Api ".def and proto_api.h disagree on the first flexible version");
#include "broker/proto/proto_gen_empty.h"
#include PROTO_DEF
#include "broker/proto/proto_gen_undef.h"
#undef PROTO_DEF
