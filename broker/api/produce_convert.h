/*
 * Produce v0-2 with message format v0/v1: the partition's message set is
 * up-converted to one record batch (broker/log/log_convert.h) before the
 * record-batch path validates and appends it, as Kafka 2.8 does for a topic
 * whose message.format.version is 2.x.
 */
#ifndef GREGOR_BROKER_PRODUCE_CONVERT_H
#define GREGOR_BROKER_PRODUCE_CONVERT_H

#include <stdint.h>

#include "broker/proto/proto_str.h"

struct partition;
struct request;

/* When *records (a view of req's frame) holds magic 0/1 messages, replaces
 * it with a view of their up-converted batch in req's arena (freed with the
 * request); record batches are left for the v2 path. Wrappers inflate
 * within what *inflate_left (the request's budget, borrowed; charged by the
 * v2 path, which inflates the re-compressed batch again) has left and the
 * partition's own per-batch bound. Returns GR_OK, or an error for the
 * partition's answer (GR_E_CORRUPT, GR_E_BAD_CODEC, GR_E_POLICY,
 * GR_E_NOMEM), logged with its reason; nothing is appended then. */
int produce_up_convert(struct request *req, struct partition *p, struct proto_bytes *records,
                       const int64_t *inflate_left);

#endif
