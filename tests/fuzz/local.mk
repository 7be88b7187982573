# tests/fuzz/: libFuzzer targets beyond the protocol codecs (those two are
# built in broker/proto/local.mk): framing, log recovery, checkpoint files,
# ZooKeeper JSON and produced record batches (with their codecs, so
# fuzz_batch compiles common/ too). Each compiles the code it fuzzes itself, with coverage
# instrumentation; the library source lists are reused so that a file added
# to a library is fuzzed without touching this file.
FUZZ_UTIL_SOURCES = tests/fuzz/fuzz_util.c tests/fuzz/fuzz_util.h

# The seed corpora (tests/fuzz/seeds/<target>/) are written by this program,
# from the encoders and the log layer themselves: tests/fuzz/make-seeds.
check_PROGRAMS += tests/fuzz/fuzz_seeds
tests_fuzz_fuzz_seeds_SOURCES = tests/fuzz/fuzz_seeds.c $(FUZZ_UTIL_SOURCES)
tests_fuzz_fuzz_seeds_LDADD = tests/unit/libgrtest.a broker/log/libgrlog.a broker/proto/libgrproto.a \
	zk/libgrzk.a common/libgrcommon.a
EXTRA_DIST += tests/fuzz/make-seeds tests/fuzz/seeds

if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_frame tests/fuzz/fuzz_recovery tests/fuzz/fuzz_checkpoint \
	tests/fuzz/fuzz_zk_json tests/fuzz/fuzz_batch

tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c $(FUZZ_UTIL_SOURCES) \
	$(broker_net_libgrnet_a_SOURCES) $(PROTO_SOURCES)
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_frame_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_frame_LDADD = broker/core/libgrcore.a broker/log/libgrlog.a common/libgrcommon.a

tests_fuzz_fuzz_recovery_SOURCES = tests/fuzz/fuzz_recovery.c $(FUZZ_UTIL_SOURCES) \
	tests/unit/testbatch.c tests/unit/testbatch.h $(broker_log_libgrlog_a_SOURCES)
tests_fuzz_fuzz_recovery_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_recovery_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_recovery_LDADD = common/libgrcommon.a

tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c $(FUZZ_UTIL_SOURCES) \
	tests/unit/testbatch.c tests/unit/testbatch.h $(broker_log_libgrlog_a_SOURCES)
tests_fuzz_fuzz_checkpoint_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_checkpoint_LDADD = common/libgrcommon.a

tests_fuzz_fuzz_zk_json_SOURCES = tests/fuzz/fuzz_zk_json.c $(FUZZ_UTIL_SOURCES) zk/zk_json.c zk/zk_json.h
tests_fuzz_fuzz_zk_json_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_zk_json_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_zk_json_LDADD = common/libgrcommon.a
tests_fuzz_fuzz_batch_SOURCES = tests/fuzz/fuzz_batch.c $(FUZZ_UTIL_SOURCES) \
	tests/unit/testbatch.c tests/unit/testbatch.h $(broker_log_libgrlog_a_SOURCES) \
	$(common_libgrcommon_a_SOURCES)
tests_fuzz_fuzz_batch_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_batch_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
endif
