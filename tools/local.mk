# tools/: gregor-cluster, gregor-topics and gregor-replica-verification.

# gregor-topics: Kafka's kafka-topics --zookeeper. It reuses the broker's
# replica placement (libgradmin) and topic config table (log_config.o from
# libgrlog; the static library contributes only that object).
bin_PROGRAMS += tools/gregor-topics
tools_gregor_topics_SOURCES = \
	tools/topics_main.c \
	tools/topics_opts.c tools/topics_opts.h \
	tools/topics_zk.c tools/topics_zk.h \
	tools/topics_cmd.h \
	tools/topics_select.c \
	tools/topics_config.c \
	tools/topics_assignment.c \
	tools/topics_create.c \
	tools/topics_describe.c \
	tools/topics_alter.c \
	tools/topics_delete.c
tools_gregor_topics_LDADD = broker/cluster/libgradmin.a broker/log/libgrlog.a zk/libgrzk.a \
	common/libgrcommon.a $(ZK_LIBS)

# gregor-configs: Kafka's kafka-configs, on gregor-topics' ZooKeeper
# session and the broker's own config checks.
bin_PROGRAMS += tools/gregor-configs
tools_gregor_configs_SOURCES = tools/configs_main.c tools/configs_boot.c tools/configs_cmd.h \
	tools/configs_entity.c tools/configs_entity.h tools/configs_zk.c tools/configs_zk.h \
	tools/topics_zk.c tools/topics_zk.h tools/topics_config.c tools/topics_cmd.h \
	tools/cli_opts.c tools/cli_opts.h tools/kconn.c tools/kconn.h
tools_gregor_configs_LDADD = broker/core/libgrcore.a broker/log/libgrlog.a \
	broker/proto/libgrproto.a zk/libgrzk.a \
	common/libgrcommon.a $(ZK_LIBS)

# gregor-replica-verification: Kafka's kafka-replica-verification, a small
# client of its own on broker/proto's codecs (librdkafka cannot send the
# debugging consumer's replica id -2).
bin_PROGRAMS += tools/gregor-replica-verification
tools_gregor_replica_verification_SOURCES = \
	tools/replica_verify.h \
	tools/replica_verify_main.c \
	tools/replica_verify_fetch.c \
	tools/replica_verify_check.c \
	tools/replica_verify_batch.c tools/replica_verify_batch.h \
	tools/kconn.c tools/kconn.h
tools_gregor_replica_verification_LDADD = broker/proto/libgrproto.a common/libgrcommon.a
# gregor-leader-election: Kafka's kafka-leader-election on ElectLeaders
# (librdkafka 2.0 has none).
bin_PROGRAMS += tools/gregor-leader-election
tools_gregor_leader_election_SOURCES = tools/leader_election.c tools/kconn.c tools/kconn.h \
	tools/cli_opts.c tools/cli_opts.h
tools_gregor_leader_election_LDADD = broker/proto/libgrproto.a common/libgrcommon.a
# gregor-reassign-partitions: Kafka's kafka-reassign-partitions, through
# the brokers (AlterPartitionReassignments) or ZooKeeper
# (/admin/reassign_partitions).
bin_PROGRAMS += tools/gregor-reassign-partitions
tools_gregor_reassign_partitions_SOURCES = tools/reassign_main.c tools/reassign.h \
	tools/reassign_json.c tools/reassign_zk.c tools/reassign_boot.c \
	tools/configs_zk.c tools/configs_zk.h tools/topics_zk.c tools/topics_zk.h \
	tools/kconn.c tools/kconn.h tools/cli_opts.c tools/cli_opts.h
tools_gregor_reassign_partitions_LDADD = broker/cluster/libgradmin.a broker/proto/libgrproto.a \
	zk/libgrzk.a common/libgrcommon.a $(ZK_LIBS)
# gregor-log-dirs: Kafka's kafka-log-dirs --describe on DescribeLogDirs.
bin_PROGRAMS += tools/gregor-log-dirs
tools_gregor_log_dirs_SOURCES = tools/log_dirs.c tools/kconn.c tools/kconn.h tools/cli_opts.c \
	tools/cli_opts.h
tools_gregor_log_dirs_LDADD = broker/proto/libgrproto.a common/libgrcommon.a
check_PROGRAMS += tests/unit/test_replica_verify_batch
tests_unit_test_replica_verify_batch_SOURCES = tests/unit/test_replica_verify_batch.c \
	tools/replica_verify_batch.c
tests_unit_test_replica_verify_batch_LDADD = broker/proto/libgrproto.a $(TEST_COMMON_LDADD)

EXTRA_DIST += tests/tools/run

# gregor-dump-log: Kafka's kafka-dump-log on segment files. It reads batch
# headers with broker/log's parser (log_batch.o from libgrlog) and inflates
# with common/compress.h; it opens no connection and writes no file.
bin_PROGRAMS += tools/gregor-dump-log
tools_gregor_dump_log_SOURCES = tools/dump_log.h \
	tools/dump_log_main.c tools/dump_log_util.c \
	tools/dump_log_batch.c \
	tools/dump_log_log.c \
	tools/dump_log_offsets.c \
	tools/dump_log_index.c \
	tools/cli_opts.c tools/cli_opts.h
tools_gregor_dump_log_LDADD = broker/log/libgrlog.a common/libgrcommon.a
