# tests/integration/: clusters of real brokers driven by real clients.

if HAVE_RDKAFKA
# Driven by tests/integration/suite.py against a broker it started (so not
# named test_*, which tests/run-tests would run on its own).
check_PROGRAMS += tests/integration/rdkafka_client
tests_integration_rdkafka_client_SOURCES = tests/integration/rdkafka_client.c \
	tests/integration/rdkafka_check.h
tests_integration_rdkafka_client_LDADD = $(RDKAFKA_LIBS)
check_PROGRAMS += tests/integration/rdkafka_group
tests_integration_rdkafka_group_SOURCES = tests/integration/rdkafka_group.c \
	tests/integration/rdkafka_check.h
tests_integration_rdkafka_group_LDADD = $(RDKAFKA_LIBS)
endif

# broker/net/client against a real gregord and a real ZooKeeper, started by
# the C harnesses (run by tests/run-tests like every test_* program).
check_PROGRAMS += tests/integration/test_net_client
tests_integration_test_net_client_SOURCES = tests/integration/test_net_client.c \
	tests/integration/broker_harness.c tests/integration/broker_harness.h \
	$(ZK_ITEST_SOURCES)
tests_integration_test_net_client_CPPFLAGS = $(ZK_ITEST_CPPFLAGS) \
	-DTOP_BUILDDIR=\"$(abs_top_builddir)\"
tests_integration_test_net_client_LDADD = broker/net/libgrnet.a broker/proto/libgrproto.a \
	tests/unit/libgrtest.a broker/log/libgrlog.a $(ZK_TEST_LDADD)
