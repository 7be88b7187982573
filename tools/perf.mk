# tools/: the performance tools (librdkafka based) and the benchmark driver.
dist_bin_SCRIPTS += tools/gregor-bench
bin_PROGRAMS += tools/gregor-raw-limits
tools_gregor_raw_limits_SOURCES = tools/perf_raw.c tools/perf_hist.c tools/perf_hist.h
tools_gregor_raw_limits_LDADD = -lpthread

if HAVE_RDKAFKA
noinst_LIBRARIES += tools/libgrperf.a
tools_libgrperf_a_SOURCES = tools/perf_hist.c tools/perf_hist.h tools/perf_util.c tools/perf_util.h

bin_PROGRAMS += tools/gregor-producer-perf-test tools/gregor-consumer-perf-test \
	tools/gregor-mock-cluster
tools_gregor_producer_perf_test_SOURCES = tools/perf_producer.c
tools_gregor_producer_perf_test_LDADD = tools/libgrperf.a common/libgrcommon.a $(RDKAFKA_LIBS) -lpthread
tools_gregor_consumer_perf_test_SOURCES = tools/perf_consumer.c
tools_gregor_consumer_perf_test_LDADD = tools/libgrperf.a common/libgrcommon.a $(RDKAFKA_LIBS)
tools_gregor_mock_cluster_SOURCES = tools/perf_mock.c
tools_gregor_mock_cluster_LDADD = $(RDKAFKA_LIBS)
endif
