# zk/: the ZooKeeper client on the event loop and the znode codecs.
noinst_LIBRARIES += zk/libgrzk.a
zk_libgrzk_a_SOURCES = \
	zk/zk_client.c zk/zk_client.h \
	zk/zk_controller.c zk/zk_controller.h \
	zk/zk_json.c zk/zk_json.h \
	zk/zk_kafka.c zk/zk_kafka.h \
	zk/zk_owner.c zk/zk_owner.h \
	zk/zk_producer_id.c zk/zk_producer_id.h \
	zk/zk_step.c zk/zk_step.h \
	zk/zk_topic.c zk/zk_topic.h

ZK_TEST_LDADD = zk/libgrzk.a tests/unit/libgrtest.a common/libgrcommon.a $(ZK_LIBS) $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_zk_json
tests_unit_test_zk_json_SOURCES = tests/unit/test_zk_json.c
tests_unit_test_zk_json_LDADD = $(ZK_TEST_LDADD)

# Integration tests: each program starts its own ZooKeeper through
# tools/gregor-zookeeper, found through TOP_SRCDIR.
EXTRA_DIST += tools/gregor-zookeeper
ZK_ITEST_SOURCES = \
	tests/integration/zk_harness.c tests/integration/zk_harness.h \
	tests/integration/zk_testlib.c tests/integration/zk_testlib.h
ZK_ITEST_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR=\"$(abs_top_srcdir)\"

check_PROGRAMS += tests/integration/test_zk_client
tests_integration_test_zk_client_SOURCES = tests/integration/test_zk_client.c $(ZK_ITEST_SOURCES)
tests_integration_test_zk_client_CPPFLAGS = $(ZK_ITEST_CPPFLAGS)
tests_integration_test_zk_client_LDADD = $(ZK_TEST_LDADD)

check_PROGRAMS += tests/integration/test_zk_kafka
tests_integration_test_zk_kafka_SOURCES = tests/integration/test_zk_kafka.c $(ZK_ITEST_SOURCES)
tests_integration_test_zk_kafka_CPPFLAGS = $(ZK_ITEST_CPPFLAGS)
tests_integration_test_zk_kafka_LDADD = $(ZK_TEST_LDADD)

check_PROGRAMS += tests/integration/test_zk_startup
tests_integration_test_zk_startup_SOURCES = tests/integration/test_zk_startup.c $(ZK_ITEST_SOURCES)
tests_integration_test_zk_startup_CPPFLAGS = $(ZK_ITEST_CPPFLAGS)
tests_integration_test_zk_startup_LDADD = $(ZK_TEST_LDADD)
