# zk/: the ZooKeeper client on the event loop and the znode codecs.
noinst_LIBRARIES += zk/libgrzk.a
zk_libgrzk_a_SOURCES = \
	zk/zk_json.c zk/zk_json.h

ZK_TEST_LDADD = zk/libgrzk.a tests/unit/libgrtest.a common/libgrcommon.a $(ZK_LIBS) $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_zk_json
tests_unit_test_zk_json_SOURCES = tests/unit/test_zk_json.c
tests_unit_test_zk_json_LDADD = $(ZK_TEST_LDADD)
