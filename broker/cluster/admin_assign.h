/*
 * Replica assignment for new topics and partitions: Kafka's rack-unaware
 * algorithm (AdminUtils.assignReplicasToBrokers), so a topic created here or
 * by gregor-topics is spread the way Kafka spreads it.
 *
 * Pure computation; used by the broker (CreateTopics, auto-creation,
 * CreatePartitions) and by tools/gregor-topics.
 */
#ifndef GREGOR_BROKER_ADMIN_ASSIGN_H
#define GREGOR_BROKER_ADMIN_ASSIGN_H

#include <stdint.h>

/* Assigns rf replicas to each of nparts partitions numbered from
 * first_partition, over brokers (ids sorted ascending, n of them). The first
 * replica of partition first_partition+k goes to broker (start + k) % n; the
 * others follow at a shift that grows every n partitions, so leaders and
 * followers both spread evenly. start and shift are random in Kafka
 * (pass -1 to draw them). out is nparts * rf ids, row by partition.
 * Returns 0, or -1 if rf > n, rf < 1, n < 1 or nparts < 0. */
int admin_assign_replicas(const int32_t *brokers, int n, int32_t nparts, int32_t rf,
                          int32_t first_partition, int start, int shift, int32_t *out);

#endif
