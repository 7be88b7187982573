/*
 * gregor and ZooKeeper errors to Kafka error codes (see errmap.h).
 */
#include "broker/api/errmap.h"

#include "broker/proto/proto_errors.h"
#include "common/err.h"
#include "zk/zk_client.h"

int16_t errmap_log(int e)
{
    switch (e) {
    case GR_OK: return PROTO_ERR_NONE;
    case GR_E_CORRUPT: return PROTO_ERR_CORRUPT_MESSAGE;
    case GR_E_TOO_LARGE: return PROTO_ERR_MESSAGE_TOO_LARGE;
    case GR_E_INVALID: return PROTO_ERR_INVALID_RECORD;
    case GR_E_RANGE: return PROTO_ERR_OFFSET_OUT_OF_RANGE;
    case GR_E_NOENT: return PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    case GR_E_IO:
    case GR_E_NOFILES:
    case GR_E_NOSPACE: return PROTO_ERR_KAFKA_STORAGE_ERROR;
    case GR_E_UNSUPPORTED: return PROTO_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
    default: return PROTO_ERR_UNKNOWN_SERVER_ERROR;
    }
}

int16_t errmap_zk(int rc)
{
    switch (rc) {
    case ZK_OK: return PROTO_ERR_NONE;
    case ZK_NODEEXISTS:
    case ZK_E_TOPIC_EXISTS: return PROTO_ERR_TOPIC_ALREADY_EXISTS;
    case ZK_NONODE: return PROTO_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    case ZK_E_CONTROLLER_MOVED: return PROTO_ERR_NOT_CONTROLLER;
    case ZK_CONNECTIONLOSS:
    case ZK_SESSIONEXPIRED:
    case ZK_OPERATIONTIMEOUT:
    case ZK_CLOSING: return PROTO_ERR_REQUEST_TIMED_OUT;
    case ZK_BADARGUMENTS: return PROTO_ERR_INVALID_REQUEST;
    default: return PROTO_ERR_UNKNOWN_SERVER_ERROR;
    }
}
