/*
 * Fetch v0-3: the consumer reads only magic 0 (v0-1) or magic 1 (v2-3), so
 * the record batches of its answer are down-converted
 * (broker/log/log_convert.h) just before the answer is encoded, after the
 * answer's ranges have been brought into the page cache like any other
 * (handle_fetch.c). Each partition's range, at most its partition_max_bytes
 * (or its first batch), is read, converted into at most partition_max_bytes
 * of messages (or the first message whole), and sent from memory; the
 * records that did not fit are fetched next time. Memory is bounded by the
 * answer's own limits, and only old consumers pay: v4+ answers stay file
 * ranges sent with sendfile.
 */
#ifndef GREGOR_BROKER_FETCH_CONVERT_H
#define GREGOR_BROKER_FETCH_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

struct proto_FetchablePartitionResponse;
struct request;

/* The magic a Fetch of this version reads (0, 1 or 2). */
int fetch_convert_magic(int16_t version);

/* Down-converts o's record set (a file range whose reference o holds) for a
 * consumer of req's version: the records at or after fetch_offset as
 * messages of fetch_convert_magic(), within max_bytes, in req's arena. The
 * file reference is released. With allowed false (the topic's
 * message.downconversion.enable=false) the partition is answered
 * UNSUPPORTED_VERSION with no records, as Kafka answers; a read or
 * conversion failure answers KAFKA_STORAGE_ERROR or CORRUPT_MESSAGE. */
void fetch_down_convert(struct request *req, struct proto_FetchablePartitionResponse *o,
                        int64_t fetch_offset, int32_t max_bytes, bool allowed);

#endif
