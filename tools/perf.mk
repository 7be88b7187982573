# tools/: the performance tools (librdkafka based) and the benchmark driver.
dist_bin_SCRIPTS += tools/gregor-bench
bin_PROGRAMS += tools/gregor-raw-limits
tools_gregor_raw_limits_SOURCES = tools/perf_raw.c tools/perf_hist.c tools/perf_hist.h
tools_gregor_raw_limits_LDADD = -lpthread

if HAVE_RDKAFKA
noinst_LIBRARIES += tools/libgrperf.a
tools_libgrperf_a_SOURCES = tools/perf_hist.c tools/perf_hist.h tools/perf_util.c tools/perf_util.h

bin_PROGRAMS += tools/gregor-producer-perf-test tools/gregor-consumer-perf-test \
	tools/gregor-mock-cluster tools/gregor-commit-perf-test
tools_gregor_producer_perf_test_SOURCES = tools/perf_producer.c
tools_gregor_producer_perf_test_LDADD = tools/libgrperf.a common/libgrcommon.a $(RDKAFKA_LIBS) -lpthread
tools_gregor_consumer_perf_test_SOURCES = tools/perf_consumer.c
tools_gregor_consumer_perf_test_LDADD = tools/libgrperf.a common/libgrcommon.a $(RDKAFKA_LIBS)
# Committed offsets: OffsetCommit against the broker, or the raw ZooKeeper
# multi() under it, with the ZooKeeper C client the broker uses.
tools_gregor_commit_perf_test_SOURCES = tools/perf_commit.c
tools_gregor_commit_perf_test_LDADD = tools/libgrperf.a common/libgrcommon.a $(RDKAFKA_LIBS) $(ZK_LIBS)
tools_gregor_mock_cluster_SOURCES = tools/perf_mock.c
tools_gregor_mock_cluster_LDADD = $(RDKAFKA_LIBS)

# The console tools: Kafka's kafka-console-producer, kafka-console-consumer
# and kafka-consumer-groups on librdkafka.
noinst_LIBRARIES += tools/libgrcli.a
tools_libgrcli_a_SOURCES = tools/cli_opts.c tools/cli_opts.h \
	tools/console_conf.c tools/console_conf.h
bin_PROGRAMS += tools/gregor-console-producer tools/gregor-console-consumer
tools_gregor_console_producer_SOURCES = tools/console_producer.c
tools_gregor_console_producer_LDADD = tools/libgrcli.a common/libgrcommon.a $(RDKAFKA_LIBS)
tools_gregor_console_consumer_SOURCES = tools/console_consumer.c \
	tools/console_format.c tools/console_format.h
tools_gregor_console_consumer_LDADD = tools/libgrcli.a common/libgrcommon.a $(RDKAFKA_LIBS)
bin_PROGRAMS += tools/gregor-consumer-groups
tools_gregor_consumer_groups_SOURCES = \
	tools/groups_main.c \
	tools/groups_opts.c tools/groups_opts.h \
	tools/groups_admin.c tools/groups_admin.h \
	tools/groups_cmd.h \
	tools/groups_time.c tools/groups_time.h \
	tools/groups_list.c \
	tools/groups_describe.c \
	tools/groups_reset.c \
	tools/groups_delete.c
tools_gregor_consumer_groups_LDADD = tools/libgrcli.a common/libgrcommon.a $(RDKAFKA_LIBS)
endif
EXTRA_DIST += tests/tools/run-console
