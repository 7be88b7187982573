/*
 * Small pieces every data-path handler needs: topic names as C strings, and
 * "the partition this broker leads, or the error code that says why not".
 */
#ifndef GREGOR_BROKER_HANDLER_UTIL_H
#define GREGOR_BROKER_HANDLER_UTIL_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct partition;
struct request;

/* A NUL-terminated copy of s in the request's arena ("" for null; NULL only
 * when out of memory). */
char *req_cstr(struct request *req, struct proto_str s);

/* partition_lead() for a handler: the hosted partition topic-id if this
 * broker leads it, else NULL with *error set to the Kafka code of why not. */
struct partition *req_leader(struct request *req, const char *topic, int32_t id,
                             int32_t current_epoch, int16_t *error);

#endif
