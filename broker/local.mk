# broker/: the gregord server. Each folder is one library; the link order
# below is the dependency order (a folder links before what it uses).
#   api/      the API table and one handler per Kafka API
#   repl/     replica fetchers (followers copying their leaders)
#   group/    the group coordinator, committed offsets in ZooKeeper
#   metrics/  the Prometheus endpoint: the page and its HTTP server (counters: core/)
#   net/      listeners, connections, requests
#   cluster/  metadata cache, hosted partitions, controller, administration
#   core/     the state every part shares
#   log/ proto/ (their own local.mk)
noinst_LIBRARIES += broker/api/libgrapi.a
broker_api_libgrapi_a_SOURCES = \
	broker/api/admin_request.c broker/api/admin_request.h \
	broker/api/api.c broker/api/api.h \
	broker/api/handle_alter_configs.c \
	broker/api/dedupe.c broker/api/dedupe.h \
	broker/api/errmap.c broker/api/errmap.h \
	broker/api/group_request.c broker/api/group_request.h \
	broker/api/handle_api_versions.c \
	broker/api/handle_create_partitions.c \
	broker/api/handle_controlled_shutdown.c \
	broker/api/handle_create_topics.c \
	broker/api/handle_elect_leaders.c \
	broker/api/handle_alter_partition_reassignments.c \
	broker/api/handle_list_partition_reassignments.c \
	broker/api/handle_delete_records.c \
	broker/api/handle_delete_topics.c \
	broker/api/handle_delete_groups.c \
	broker/api/handle_describe_configs.c \
	broker/api/handle_describe_groups.c \
	broker/api/handle_describe_log_dirs.c \
	broker/api/handle_find_coordinator.c \
	broker/api/handle_heartbeat.c \
	broker/api/handle_init_producer_id.c \
	broker/api/handle_join_group.c \
	broker/api/handle_leave_group.c \
	broker/api/handle_list_groups.c \
	broker/api/handle_offset_commit.c \
	broker/api/handle_offset_delete.c \
	broker/api/handle_offset_fetch.c \
	broker/api/handle_sync_group.c \
	broker/api/handle_fetch.c \
	broker/api/fetch_convert.c broker/api/fetch_convert.h \
	broker/api/handle_list_offsets.c \
	broker/api/handle_metadata.c \
	broker/api/handle_offset_for_leader_epoch.c \
	broker/api/handle_produce.c \
	broker/api/produce_convert.c broker/api/produce_convert.h \
	broker/api/handler_util.c broker/api/handler_util.h \
	broker/api/handlers.h \
	broker/api/req_cold.c broker/api/req_cold.h

noinst_LIBRARIES += broker/repl/libgrrepl.a
broker_repl_libgrrepl_a_SOURCES = broker/repl/replica_fetcher.c broker/repl/replica_fetcher.h

noinst_LIBRARIES += broker/group/libgrgroup.a
broker_group_libgrgroup_a_SOURCES = \
	broker/group/group.c broker/group/group.h \
	broker/group/group_commit.c broker/group/group_commit.h \
	broker/group/group_coord.c broker/group/group_coord.h \
	broker/group/group_hash.c broker/group/group_hash.h \
	broker/group/group_load.c broker/group/group_load.h \
	broker/group/group_purge.c broker/group/group_purge.h \
	broker/group/group_member.c broker/group/group_member.h \
	broker/group/group_members.c broker/group/group_members.h \
	broker/group/group_offsets.c broker/group/group_offsets.h \
	broker/group/group_owners.c broker/group/group_owners.h \
	broker/group/group_persist.c broker/group/group_persist.h

# metrics/ reads cluster/ and log/ at scrape time; net/ and api/ count into
# core/metrics.h, below them all.
noinst_LIBRARIES += broker/metrics/libgrmetrics.a
broker_metrics_libgrmetrics_a_SOURCES = \
	broker/metrics/metrics_broker.c broker/metrics/metrics_broker.h \
	broker/metrics/metrics_http.c broker/metrics/metrics_http.h \
	broker/metrics/metrics_http_parse.c broker/metrics/metrics_http_parse.h \
	broker/metrics/metrics_render.c broker/metrics/metrics_render.h

noinst_LIBRARIES += broker/net/libgrnet.a
broker_net_libgrnet_a_SOURCES = \
	broker/net/client.c broker/net/client.h \
	broker/net/conn.c broker/net/conn.h \
	broker/net/conn_quota.c broker/net/conn_quota.h \
	broker/net/frame_buf.c broker/net/frame_buf.h \
	broker/net/link.c broker/net/link.h \
	broker/net/listener.c broker/net/listener.h \
	broker/net/request.c broker/net/request.h \
	broker/net/transport.c broker/net/transport.h \
	broker/net/transport_plain.c

noinst_LIBRARIES += broker/cluster/libgrcluster.a
broker_cluster_libgrcluster_a_SOURCES = \
	broker/cluster/admin.c broker/cluster/admin.h \
	broker/cluster/admin_config.c broker/cluster/admin_config.h \
	broker/cluster/controller.c broker/cluster/controller.h \
	broker/cluster/controller_leaders.c broker/cluster/controller_reassign.c \
	broker/cluster/dynconfig.c broker/cluster/dynconfig.h \
	broker/cluster/metadata.c broker/cluster/metadata.h \
	broker/cluster/partition.c broker/cluster/partition.h \
	broker/cluster/partition_isr.c broker/cluster/partition_isr.h \
	broker/cluster/throttle.c broker/cluster/throttle.h

# Replica assignment is shared with tools/gregor-topics.
noinst_LIBRARIES += broker/cluster/libgradmin.a
broker_cluster_libgradmin_a_SOURCES = broker/cluster/admin_assign.c broker/cluster/admin_assign.h

noinst_LIBRARIES += broker/core/libgrcore.a
broker_core_libgrcore_a_SOURCES = broker/core/broker.h broker/core/broker_config.c \
	broker/core/broker_config.h broker/core/broker_dynamic.c broker/core/broker_dynamic.h \
	broker/core/delay.c broker/core/delay.h broker/core/metrics.c broker/core/metrics.h

noinst_LIBRARIES += broker/libgrserver.a
broker_libgrserver_a_SOURCES = broker/server.c broker/server.h \
	broker/server_shutdown.c broker/server_shutdown.h

BROKER_LDADD = broker/libgrserver.a broker/api/libgrapi.a broker/group/libgrgroup.a \
	broker/repl/libgrrepl.a broker/metrics/libgrmetrics.a broker/net/libgrnet.a \
	broker/cluster/libgrcluster.a broker/cluster/libgradmin.a broker/core/libgrcore.a \
	broker/proto/libgrproto.a \
	broker/log/libgrlog.a zk/libgrzk.a common/libgrcommon.a $(ZK_LIBS)

bin_PROGRAMS += broker/gregord
broker_gregord_SOURCES = broker/gregord.c
broker_gregord_LDADD = $(BROKER_LDADD)
