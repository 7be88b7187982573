/*
 * The request handlers, one file each (handle_<api>.c), named after the
 * Kafka API they answer. Each takes the request with its decoded body in
 * req->body and finishes it with request_respond(), request_no_response()
 * or request_fail(), possibly later (delayed produce and fetch, ZooKeeper
 * writes).
 */
#ifndef GREGOR_BROKER_HANDLERS_H
#define GREGOR_BROKER_HANDLERS_H

struct request;

void handle_ApiVersions(struct request *req);
void handle_Metadata(struct request *req);
void handle_Produce(struct request *req);
void handle_Fetch(struct request *req);
void handle_ListOffsets(struct request *req);
void handle_CreateTopics(struct request *req);
void handle_DeleteTopics(struct request *req);
void handle_DeleteRecords(struct request *req);
void handle_DescribeConfigs(struct request *req);
void handle_CreatePartitions(struct request *req);
void handle_OffsetCommit(struct request *req);
void handle_OffsetFetch(struct request *req);
void handle_FindCoordinator(struct request *req);
void handle_JoinGroup(struct request *req);
void handle_Heartbeat(struct request *req);
void handle_LeaveGroup(struct request *req);
void handle_SyncGroup(struct request *req);
void handle_DescribeGroups(struct request *req);
void handle_ListGroups(struct request *req);
void handle_DeleteGroups(struct request *req);
void handle_OffsetDelete(struct request *req);

void handle_OffsetForLeaderEpoch(struct request *req);
void handle_ControlledShutdown(struct request *req);
void handle_ElectLeaders(struct request *req);
void handle_AlterPartitionReassignments(struct request *req);
void handle_ListPartitionReassignments(struct request *req);
void handle_DescribeLogDirs(struct request *req);
void handle_AlterConfigs(struct request *req);
void handle_IncrementalAlterConfigs(struct request *req);
void handle_InitProducerId(struct request *req);

#endif
