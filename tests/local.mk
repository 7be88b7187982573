# tests/: CUnit suites (one program per module) and fault tests.
noinst_LIBRARIES += tests/unit/libgrtest.a
tests_unit_libgrtest_a_SOURCES = tests/unit/testutil.c tests/unit/testutil.h \
	tests/unit/testbatch.c tests/unit/testbatch.h \
	tests/unit/testcompress.c tests/unit/testcompress.h

# Link line for unit test programs of common/.

TEST_COMMON_LDADD = tests/unit/libgrtest.a common/libgrcommon.a $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_crc32c tests/unit/test_buf
tests_unit_test_crc32c_SOURCES = tests/unit/test_crc32c.c
tests_unit_test_crc32c_LDADD = $(TEST_COMMON_LDADD)
tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_LDADD = $(TEST_COMMON_LDADD)
check_PROGRAMS += tests/unit/test_logger
tests_unit_test_logger_SOURCES = tests/unit/test_logger.c
tests_unit_test_logger_LDADD = $(TEST_COMMON_LDADD)

# Link line for unit test programs of broker/log/.
TEST_LOG_LDADD = tests/unit/libgrtest.a broker/log/libgrlog.a common/libgrcommon.a $(CUNIT_LIBS)
check_PROGRAMS += tests/unit/test_batch
tests_unit_test_batch_SOURCES = tests/unit/test_batch.c
tests_unit_test_batch_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_log_convert
tests_unit_test_log_convert_SOURCES = tests/unit/test_log_convert.c
tests_unit_test_log_convert_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_compress
tests_unit_test_compress_SOURCES = tests/unit/test_compress.c
tests_unit_test_compress_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_index
tests_unit_test_index_SOURCES = tests/unit/test_index.c
tests_unit_test_index_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_segment
tests_unit_test_segment_SOURCES = tests/unit/test_segment.c
tests_unit_test_segment_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_log_producer
tests_unit_test_log_producer_SOURCES = tests/unit/test_log_producer.c
tests_unit_test_log_producer_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_log_cold
tests_unit_test_log_cold_SOURCES = tests/unit/test_log_cold.c
tests_unit_test_log_cold_LDADD = $(TEST_LOG_LDADD)
check_PROGRAMS += tests/unit/test_log_manager
tests_unit_test_log_manager_SOURCES = tests/unit/test_log_manager.c
tests_unit_test_log_manager_LDADD = $(TEST_LOG_LDADD)

# Fault tests: crash simulation against the real log code.
check_PROGRAMS += tests/fault/test_crash_recovery
tests_fault_test_crash_recovery_SOURCES = tests/fault/test_crash_recovery.c
tests_fault_test_crash_recovery_LDADD = $(TEST_LOG_LDADD)
# Full disks (tmpfs; needs root, else skipped), no descriptors, unloadable
# partitions, checkpoint retries, file modes.
check_PROGRAMS += tests/fault/test_disk_faults
tests_fault_test_disk_faults_SOURCES = tests/fault/test_disk_faults.c
tests_fault_test_disk_faults_LDADD = $(TEST_LOG_LDADD)
# An LD_PRELOAD shim, for tests only, that fails or stalls gregord's fsyncs
# while a trigger file exists (tests/integration/suite_disk.py). Built with
# plain flags: it is preloaded into the normal build's gregord.
check_DATA = tests/fault/libgrfault.so
tests/fault/libgrfault.so: $(srcdir)/tests/fault/fault_shim.c
	@$(MKDIR_P) tests/fault
	$(AM_V_CC)$(CC) -O2 -Wall -shared -fPIC -o $@ $(srcdir)/tests/fault/fault_shim.c -ldl
CLEANFILES += tests/fault/libgrfault.so
EXTRA_DIST += tests/fault/fault_shim.c

# Benchmarks: built with the tests, never run by CI (see docs/BENCHMARKS.md).
check_PROGRAMS += tests/bench/bench_log
tests_bench_bench_log_SOURCES = tests/bench/bench_log.c
tests_bench_bench_log_LDADD = $(TEST_LOG_LDADD)

check_PROGRAMS += tests/unit/test_admin_assign
tests_unit_test_admin_assign_SOURCES = tests/unit/test_admin_assign.c
tests_unit_test_admin_assign_LDADD = tests/unit/libgrtest.a broker/cluster/libgradmin.a common/libgrcommon.a $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_tp
tests_unit_test_tp_SOURCES = tests/unit/test_tp.c
tests_unit_test_tp_LDADD = $(TEST_COMMON_LDADD)

# Delayed operations on a real libev loop.
check_PROGRAMS += tests/unit/test_delay
tests_unit_test_delay_SOURCES = tests/unit/test_delay.c
tests_unit_test_delay_LDADD = tests/unit/libgrtest.a broker/core/libgrcore.a common/libgrcommon.a \
	$(CUNIT_LIBS)

# The broker's configuration keys (broker/core/broker_config.c) on the
# generic table machinery (common/config_table.c).
check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR=\"$(abs_top_srcdir)\"
tests_unit_test_config_LDADD = tests/unit/libgrtest.a broker/core/libgrcore.a broker/log/libgrlog.a \
	common/libgrcommon.a $(CUNIT_LIBS)

# Dynamic broker configs (broker/core/broker_dynamic.c): keys, checks and
# the precedence of the ZooKeeper layers over the file.
check_PROGRAMS += tests/unit/test_broker_dynamic
tests_unit_test_broker_dynamic_SOURCES = tests/unit/test_broker_dynamic.c
tests_unit_test_broker_dynamic_LDADD = tests/unit/libgrtest.a broker/core/libgrcore.a \
	broker/log/libgrlog.a common/libgrcommon.a $(CUNIT_LIBS)

# Replication throttles (broker/cluster/throttle.c) and their lists.
check_PROGRAMS += tests/unit/test_throttle
tests_unit_test_throttle_SOURCES = tests/unit/test_throttle.c
tests_unit_test_throttle_LDADD = tests/unit/libgrtest.a broker/cluster/libgrcluster.a \
	broker/core/libgrcore.a broker/log/libgrlog.a zk/libgrzk.a common/libgrcommon.a \
	$(ZK_LIBS) $(CUNIT_LIBS)

# Hosted partitions against real logs and a real loop.
# The group coordinator's hash and state machine (broker/group/).
check_PROGRAMS += tests/unit/test_group
tests_unit_test_group_SOURCES = tests/unit/test_group.c
tests_unit_test_group_LDADD = tests/unit/libgrtest.a broker/group/libgrgroup.a \
	broker/core/libgrcore.a broker/log/libgrlog.a zk/libgrzk.a common/libgrcommon.a \
	$(ZK_LIBS) $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_partition
tests_unit_test_partition_SOURCES = tests/unit/test_partition.c tests/unit/testbroker.c \
	tests/unit/testbroker.h
tests_unit_test_partition_LDADD = tests/unit/libgrtest.a broker/net/libgrnet.a \
	broker/cluster/libgrcluster.a \
	broker/core/libgrcore.a broker/proto/libgrproto.a broker/log/libgrlog.a zk/libgrzk.a \
	common/libgrcommon.a \
	$(ZK_LIBS) $(CUNIT_LIBS)

# The API dispatch end to end: a real listener, the API table, real logs.
check_PROGRAMS += tests/unit/test_dispatch
tests_unit_test_dispatch_SOURCES = tests/unit/test_dispatch.c tests/unit/testbroker.c \
	tests/unit/testbroker.h
tests_unit_test_dispatch_LDADD = tests/unit/libgrtest.a $(BROKER_LDADD) $(CUNIT_LIBS)

# Request cost limits: repeated names, topic-creation limits (issue 9).
check_PROGRAMS += tests/unit/test_req_limits
tests_unit_test_req_limits_SOURCES = tests/unit/test_req_limits.c tests/unit/testbroker.c \
	tests/unit/testbroker.h
tests_unit_test_req_limits_LDADD = tests/unit/libgrtest.a $(BROKER_LDADD) $(CUNIT_LIBS)

# Server connections and the broker's client connections, on a real loop
# with real sockets.
TEST_NET_LDADD = tests/unit/libgrtest.a broker/net/libgrnet.a broker/core/libgrcore.a \
	broker/proto/libgrproto.a common/libgrcommon.a $(CUNIT_LIBS)
# Received frames' pooled memory (broker/net/frame_buf.c) and big frames on a link.
check_PROGRAMS += tests/unit/test_frame_buf
tests_unit_test_frame_buf_SOURCES = tests/unit/test_frame_buf.c
tests_unit_test_frame_buf_LDADD = $(TEST_NET_LDADD)
check_PROGRAMS += tests/unit/test_conn tests/unit/test_client
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c
tests_unit_test_conn_LDADD = $(TEST_NET_LDADD)
tests_unit_test_client_SOURCES = tests/unit/test_client.c
tests_unit_test_client_LDADD = $(TEST_NET_LDADD)

# Generated codecs: random round trips of every API, message and version,
# truncations, and the test-only flexible API of proto_flex_test.def.
check_PROGRAMS += tests/unit/test_proto_roundtrip
tests_unit_test_proto_roundtrip_SOURCES = tests/unit/test_proto_roundtrip.c tests/unit/proto_rnd.h
tests_unit_test_proto_roundtrip_LDADD = broker/proto/libgrproto.a tests/unit/libgrtest.a \
	common/libgrcommon.a $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/proto_flex_test.def

# Codec micro-benchmark (built, never run by the suite; docs/PROTOCOL-DESCRIPTIONS.md).
check_PROGRAMS += tests/bench/bench_proto
tests_bench_bench_proto_SOURCES = tests/bench/bench_proto.c
tests_bench_bench_proto_LDADD = broker/proto/libgrproto.a common/libgrcommon.a

# The metrics endpoint: HTTP parser, exposition renderer, server on a real loop.
check_PROGRAMS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_LDADD = tests/unit/libgrtest.a broker/metrics/libgrmetrics.a \
	broker/net/libgrnet.a broker/core/libgrcore.a common/libgrcommon.a $(CUNIT_LIBS)
