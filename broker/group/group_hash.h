/*
 * Which partition of __consumer_offsets a group belongs to: Kafka's
 * partitionFor, abs(String.hashCode(group.id)) % partitions. Java hashes
 * the id's UTF-16 code units, so the UTF-8 id from the wire is decoded
 * first (a byte that starts no valid sequence counts as U+FFFD, as Java's
 * decoder replaces it), and Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
 * Pure functions; the coordinator and the load use them.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_HASH_H
#define GREGOR_BROKER_GROUP_GROUP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Java's String.hashCode of the UTF-8 string id (len bytes, borrowed). */
int32_t group_hash_java(const char *id, size_t len);
/* The partition of id among nparts (> 0). */
int32_t group_hash_partition(const char *id, size_t len, int32_t nparts);

#endif
