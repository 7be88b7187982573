/*
 * The list of message descriptions: expands every .def with the pass header
 * named by PROTO_GEN (proto_gen_decl.h in proto_msg.h, proto_gen_impl.h in
 * proto_msg.c). Adding an API adds its .def here. Included twice on purpose,
 * so it has no include guard.
 */
#define PROTO_DEF "broker/proto/proto_api_versions.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_create_partitions.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_create_topics.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_delete_records.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_delete_topics.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_describe_configs.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_fetch.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_list_offsets.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_metadata.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_produce.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_offset_for_leader_epoch.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_find_coordinator.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_join_group.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_sync_group.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_heartbeat.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_leave_group.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_offset_commit.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_offset_fetch.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_describe_groups.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_list_groups.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_delete_groups.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_offset_delete.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_controlled_shutdown.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_elect_leaders.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_describe_log_dirs.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_alter_configs.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_incremental_alter_configs.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_init_producer_id.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_alter_partition_reassignments.def"
#include PROTO_GEN
#define PROTO_DEF "broker/proto/proto_list_partition_reassignments.def"
#include PROTO_GEN
