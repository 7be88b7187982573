/*
 * Kafka API keys, their names, and which request header each version uses.
 *
 * Owns: the one table of every API key Kafka defines (up to ShareGroup state,
 * key 87) with the first version of each that is "flexible" (compact
 * encodings, tagged fields, request header v2), taken from each request
 * schema's "flexibleVersions". The header parser needs it for keys gregor
 * does not implement too, so it can still find the correlation id and the
 * end of the header of anything a client sends.
 *
 * Does not say which APIs or versions gregor supports: the broker's handler
 * table owns that, and answers ApiVersions from it.
 */
#ifndef GREGOR_BROKER_PROTO_API_H
#define GREGOR_BROKER_PROTO_API_H

#include <stdint.h>

struct arena;
struct proto_reader;

/* X(KAFKA_NAME, key, "MessageName", first flexible version or -1 for never) */
#define PROTO_APIS(X)                                                                              \
    X(PRODUCE, 0, "Produce", 9)                                                                    \
    X(FETCH, 1, "Fetch", 12)                                                                       \
    X(LIST_OFFSETS, 2, "ListOffsets", 6)                                                           \
    X(METADATA, 3, "Metadata", 9)                                                                  \
    X(LEADER_AND_ISR, 4, "LeaderAndIsr", 4)                                                        \
    X(STOP_REPLICA, 5, "StopReplica", 2)                                                           \
    X(UPDATE_METADATA, 6, "UpdateMetadata", 6)                                                     \
    X(CONTROLLED_SHUTDOWN, 7, "ControlledShutdown", 3)                                             \
    X(OFFSET_COMMIT, 8, "OffsetCommit", 8)                                                         \
    X(OFFSET_FETCH, 9, "OffsetFetch", 6)                                                           \
    X(FIND_COORDINATOR, 10, "FindCoordinator", 3)                                                  \
    X(JOIN_GROUP, 11, "JoinGroup", 6)                                                              \
    X(HEARTBEAT, 12, "Heartbeat", 4)                                                               \
    X(LEAVE_GROUP, 13, "LeaveGroup", 4)                                                            \
    X(SYNC_GROUP, 14, "SyncGroup", 4)                                                              \
    X(DESCRIBE_GROUPS, 15, "DescribeGroups", 5)                                                    \
    X(LIST_GROUPS, 16, "ListGroups", 3)                                                            \
    X(SASL_HANDSHAKE, 17, "SaslHandshake", -1)                                                     \
    X(API_VERSIONS, 18, "ApiVersions", 3)                                                          \
    X(CREATE_TOPICS, 19, "CreateTopics", 5)                                                        \
    X(DELETE_TOPICS, 20, "DeleteTopics", 4)                                                        \
    X(DELETE_RECORDS, 21, "DeleteRecords", 2)                                                      \
    X(INIT_PRODUCER_ID, 22, "InitProducerId", 2)                                                   \
    X(OFFSET_FOR_LEADER_EPOCH, 23, "OffsetForLeaderEpoch", 4)                                      \
    X(ADD_PARTITIONS_TO_TXN, 24, "AddPartitionsToTxn", 3)                                          \
    X(ADD_OFFSETS_TO_TXN, 25, "AddOffsetsToTxn", 3)                                                \
    X(END_TXN, 26, "EndTxn", 3)                                                                    \
    X(WRITE_TXN_MARKERS, 27, "WriteTxnMarkers", 1)                                                 \
    X(TXN_OFFSET_COMMIT, 28, "TxnOffsetCommit", 3)                                                 \
    X(DESCRIBE_ACLS, 29, "DescribeAcls", 2)                                                        \
    X(CREATE_ACLS, 30, "CreateAcls", 2)                                                            \
    X(DELETE_ACLS, 31, "DeleteAcls", 2)                                                            \
    X(DESCRIBE_CONFIGS, 32, "DescribeConfigs", 4)                                                  \
    X(ALTER_CONFIGS, 33, "AlterConfigs", 2)                                                        \
    X(ALTER_REPLICA_LOG_DIRS, 34, "AlterReplicaLogDirs", 2)                                        \
    X(DESCRIBE_LOG_DIRS, 35, "DescribeLogDirs", 2)                                                 \
    X(SASL_AUTHENTICATE, 36, "SaslAuthenticate", 2)                                                \
    X(CREATE_PARTITIONS, 37, "CreatePartitions", 2)                                                \
    X(CREATE_DELEGATION_TOKEN, 38, "CreateDelegationToken", 2)                                     \
    X(RENEW_DELEGATION_TOKEN, 39, "RenewDelegationToken", 2)                                       \
    X(EXPIRE_DELEGATION_TOKEN, 40, "ExpireDelegationToken", 2)                                     \
    X(DESCRIBE_DELEGATION_TOKEN, 41, "DescribeDelegationToken", 2)                                 \
    X(DELETE_GROUPS, 42, "DeleteGroups", 2)                                                        \
    X(ELECT_LEADERS, 43, "ElectLeaders", 2)                                                        \
    X(INCREMENTAL_ALTER_CONFIGS, 44, "IncrementalAlterConfigs", 1)                                 \
    X(ALTER_PARTITION_REASSIGNMENTS, 45, "AlterPartitionReassignments", 0)                         \
    X(LIST_PARTITION_REASSIGNMENTS, 46, "ListPartitionReassignments", 0)                           \
    X(OFFSET_DELETE, 47, "OffsetDelete", -1)                                                       \
    X(DESCRIBE_CLIENT_QUOTAS, 48, "DescribeClientQuotas", 1)                                       \
    X(ALTER_CLIENT_QUOTAS, 49, "AlterClientQuotas", 1)                                             \
    X(DESCRIBE_USER_SCRAM_CREDENTIALS, 50, "DescribeUserScramCredentials", 0)                      \
    X(ALTER_USER_SCRAM_CREDENTIALS, 51, "AlterUserScramCredentials", 0)                            \
    X(VOTE, 52, "Vote", 0)                                                                         \
    X(BEGIN_QUORUM_EPOCH, 53, "BeginQuorumEpoch", 1)                                               \
    X(END_QUORUM_EPOCH, 54, "EndQuorumEpoch", 1)                                                   \
    X(DESCRIBE_QUORUM, 55, "DescribeQuorum", 0)                                                    \
    X(ALTER_PARTITION, 56, "AlterPartition", 0)                                                    \
    X(UPDATE_FEATURES, 57, "UpdateFeatures", 0)                                                    \
    X(ENVELOPE, 58, "Envelope", 0)                                                                 \
    X(FETCH_SNAPSHOT, 59, "FetchSnapshot", 0)                                                      \
    X(DESCRIBE_CLUSTER, 60, "DescribeCluster", 0)                                                  \
    X(DESCRIBE_PRODUCERS, 61, "DescribeProducers", 0)                                              \
    X(BROKER_REGISTRATION, 62, "BrokerRegistration", 0)                                            \
    X(BROKER_HEARTBEAT, 63, "BrokerHeartbeat", 0)                                                  \
    X(UNREGISTER_BROKER, 64, "UnregisterBroker", 0)                                                \
    X(DESCRIBE_TRANSACTIONS, 65, "DescribeTransactions", 0)                                        \
    X(LIST_TRANSACTIONS, 66, "ListTransactions", 0)                                                \
    X(ALLOCATE_PRODUCER_IDS, 67, "AllocateProducerIds", 0)                                         \
    X(CONSUMER_GROUP_HEARTBEAT, 68, "ConsumerGroupHeartbeat", 0)                                   \
    X(CONSUMER_GROUP_DESCRIBE, 69, "ConsumerGroupDescribe", 0)                                     \
    X(CONTROLLER_REGISTRATION, 70, "ControllerRegistration", 0)                                    \
    X(GET_TELEMETRY_SUBSCRIPTIONS, 71, "GetTelemetrySubscriptions", 0)                             \
    X(PUSH_TELEMETRY, 72, "PushTelemetry", 0)                                                      \
    X(ASSIGN_REPLICAS_TO_DIRS, 73, "AssignReplicasToDirs", 0)                                      \
    X(LIST_CLIENT_METRICS_RESOURCES, 74, "ListClientMetricsResources", 0)                          \
    X(DESCRIBE_TOPIC_PARTITIONS, 75, "DescribeTopicPartitions", 0)                                 \
    X(SHARE_GROUP_HEARTBEAT, 76, "ShareGroupHeartbeat", 0)                                         \
    X(SHARE_GROUP_DESCRIBE, 77, "ShareGroupDescribe", 0)                                           \
    X(SHARE_FETCH, 78, "ShareFetch", 0)                                                            \
    X(SHARE_ACKNOWLEDGE, 79, "ShareAcknowledge", 0)                                                \
    X(ADD_RAFT_VOTER, 80, "AddRaftVoter", 0)                                                       \
    X(REMOVE_RAFT_VOTER, 81, "RemoveRaftVoter", 0)                                                 \
    X(UPDATE_RAFT_VOTER, 82, "UpdateRaftVoter", 0)                                                 \
    X(INITIALIZE_SHARE_GROUP_STATE, 83, "InitializeShareGroupState", 0)                            \
    X(READ_SHARE_GROUP_STATE, 84, "ReadShareGroupState", 0)                                        \
    X(WRITE_SHARE_GROUP_STATE, 85, "WriteShareGroupState", 0)                                      \
    X(DELETE_SHARE_GROUP_STATE, 86, "DeleteShareGroupState", 0)                                    \
    X(READ_SHARE_GROUP_STATE_SUMMARY, 87, "ReadShareGroupStateSummary", 0)

enum proto_api_key {
#define PROTO_API_ENUM(name, key, str, flex) PROTO_API_##name = key,
    PROTO_APIS(PROTO_API_ENUM)
#undef PROTO_API_ENUM
};

/* Returns Kafka's name of the API ("Produce"; static), or NULL for a key
 * Kafka does not define. */
const char *proto_api_name(int16_t api_key);

/* Returns the request header version (0, 1 or 2) a request of this key and
 * version carries, or -1 for a key Kafka does not define. Header v0 (no
 * client id) is used only by ControlledShutdown v0; v2 by flexible versions. */
int proto_api_request_header_version(int16_t api_key, int16_t api_version);

/* The signature every request decoder shares, so the broker can keep one
 * table {api key, min version, max version, decoder, handler}. Reads the body
 * of a request of the given version from r (whose frame must outlive out),
 * allocates arrays from a, fills out (the API's request struct). Returns 0 or
 * a negative gregor error: GR_E_CORRUPT (malformed or ends early),
 * GR_E_UNSUPPORTED (version outside the decoder's range), GR_E_NOMEM; the
 * reason is in proto_reader_reason(r) and *out is then unspecified. Bytes
 * after the last field are left unread, as Kafka tolerates them. */
typedef int proto_decode_fn(struct proto_reader *r, int16_t version, struct arena *a, void *out);

#endif
