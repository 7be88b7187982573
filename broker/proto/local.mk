# broker/proto/: Kafka protocol codec (requests and responses).
# The fuzz target compiles these itself, with coverage instrumentation.
PROTO_SOURCES = \
	broker/proto/proto_api.c broker/proto/proto_api.h \
	broker/proto/proto_codec.h \
	broker/proto/proto_errors.c broker/proto/proto_errors.h \
	broker/proto/proto_gen.h \
	broker/proto/proto_gen_check.h broker/proto/proto_gen_decl.h broker/proto/proto_gen_empty.h \
	broker/proto/proto_gen_impl.h \
	broker/proto/proto_gen_undef.h \
	broker/proto/proto_header.c broker/proto/proto_header.h \
	broker/proto/proto_msg.c broker/proto/proto_msg.h broker/proto/proto_msg_list.h \
	broker/proto/proto_out.c broker/proto/proto_out.h \
	broker/proto/proto_reader.c broker/proto/proto_reader.h \
	broker/proto/proto_str.h
# The message descriptions proto_msg.{h,c} expand (docs/PROTOCOL-DESCRIPTIONS.md).
PROTO_DEFS = \
	broker/proto/proto_api_versions.def broker/proto/proto_create_partitions.def \
	broker/proto/proto_create_topics.def broker/proto/proto_delete_records.def \
	broker/proto/proto_delete_topics.def broker/proto/proto_describe_configs.def \
	broker/proto/proto_fetch.def broker/proto/proto_list_offsets.def \
	broker/proto/proto_metadata.def broker/proto/proto_produce.def \
	broker/proto/proto_offset_for_leader_epoch.def \
	broker/proto/proto_find_coordinator.def broker/proto/proto_join_group.def \
	broker/proto/proto_sync_group.def broker/proto/proto_heartbeat.def \
	broker/proto/proto_leave_group.def broker/proto/proto_offset_commit.def \
	broker/proto/proto_offset_fetch.def broker/proto/proto_describe_groups.def \
	broker/proto/proto_list_groups.def broker/proto/proto_delete_groups.def \
	broker/proto/proto_offset_delete.def \
	broker/proto/proto_controlled_shutdown.def broker/proto/proto_elect_leaders.def \
	broker/proto/proto_alter_partition_reassignments.def \
	broker/proto/proto_list_partition_reassignments.def \
	broker/proto/proto_describe_log_dirs.def \
	broker/proto/proto_alter_configs.def broker/proto/proto_incremental_alter_configs.def \
	broker/proto/proto_init_producer_id.def
EXTRA_DIST += $(PROTO_DEFS)
noinst_LIBRARIES += broker/proto/libgrproto.a
broker_proto_libgrproto_a_SOURCES = $(PROTO_SOURCES)

# Unit tests of the codec (run by tests/run-tests like every tests/unit/test_*).
PROTO_TEST_LDADD = broker/proto/libgrproto.a tests/unit/libgrtest.a common/libgrcommon.a $(CUNIT_LIBS)
check_PROGRAMS += tests/unit/test_proto_reader tests/unit/test_proto_out tests/unit/test_proto_requests \
	tests/unit/test_proto_responses
tests_unit_test_proto_reader_SOURCES = tests/unit/test_proto_reader.c tests/unit/proto_build.h
tests_unit_test_proto_reader_LDADD = $(PROTO_TEST_LDADD)
tests_unit_test_proto_out_SOURCES = tests/unit/test_proto_out.c
tests_unit_test_proto_out_LDADD = $(PROTO_TEST_LDADD)
tests_unit_test_proto_requests_SOURCES = tests/unit/test_proto_requests.c tests/unit/proto_build.h
tests_unit_test_proto_requests_LDADD = $(PROTO_TEST_LDADD)
tests_unit_test_proto_responses_SOURCES = tests/unit/test_proto_responses.c tests/unit/proto_build.h
tests_unit_test_proto_responses_LDADD = $(PROTO_TEST_LDADD)

# A pretend broker that records real clients' requests (tests/fuzz/capture-corpus),
# and the test that decodes every recorded request.
check_PROGRAMS += tests/fuzz/capture_broker tests/unit/test_proto_corpus
tests_fuzz_capture_broker_SOURCES = tests/fuzz/capture_broker.c \
	tests/fuzz/fuzz_respond.c tests/fuzz/fuzz_respond.h
tests_fuzz_capture_broker_LDADD = broker/proto/libgrproto.a common/libgrcommon.a
tests_unit_test_proto_corpus_SOURCES = tests/unit/test_proto_corpus.c \
	tests/fuzz/fuzz_respond.c tests/fuzz/fuzz_respond.h
tests_unit_test_proto_corpus_CPPFLAGS = $(AM_CPPFLAGS) -DCORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus\"
tests_unit_test_proto_corpus_LDADD = $(PROTO_TEST_LDADD)

# libFuzzer targets (clang only): tests/fuzz/run builds and runs them.
if ENABLE_FUZZ
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
noinst_PROGRAMS += tests/fuzz/fuzz_request
tests_fuzz_fuzz_request_SOURCES = tests/fuzz/fuzz_request.c \
	tests/fuzz/fuzz_respond.c tests/fuzz/fuzz_respond.h $(PROTO_SOURCES)
tests_fuzz_fuzz_request_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_request_LDADD = common/libgrcommon.a
noinst_PROGRAMS += tests/fuzz/fuzz_response
tests_fuzz_fuzz_response_SOURCES = tests/fuzz/fuzz_response.c tests/fuzz/fuzz_response_gen.h \
	$(FUZZ_UTIL_SOURCES) $(PROTO_SOURCES)
tests_fuzz_fuzz_response_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_response_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_response_LDADD = common/libgrcommon.a
endif

EXTRA_DIST += tests/fuzz/run tests/fuzz/capture-corpus tests/fuzz/corpus
