/*
 * Names of Kafka's error codes, for logs (see proto_errors.h).
 */
#include "broker/proto/proto_errors.h"

const char *proto_error_name(int16_t code)
{
    switch (code) {
#define PROTO_ERROR_NAME(name, num)                                                                \
    case num: return #name;
        PROTO_ERRORS(PROTO_ERROR_NAME)
#undef PROTO_ERROR_NAME
    }
    return "UNKNOWN_ERROR_CODE";
}
