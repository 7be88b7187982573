# common/: pieces every part of gregor uses. Built as one static library.
noinst_LIBRARIES += common/libgrcommon.a
common_libgrcommon_a_SOURCES = \
	common/arena.c common/arena.h \
	common/buf.c common/buf.h \
	common/compress.c common/compress.h common/compress_codec.h \
	common/compress_gzip.c common/compress_lz4.c \
	common/compress_out.c common/compress_out.h \
	common/compress_snappy.c common/compress_zstd.c \
	common/clock.h \
	common/bytes.h \
	common/config_table.c common/config_table.h \
	common/crc32c.c common/crc32c.h \
	common/err.c common/err.h \
	common/fsutil.c common/fsutil.h \
	common/keymap.c common/keymap.h \
	common/logger.c common/logger.h \
	common/props.c common/props.h \
	common/strmap.c common/strmap.h \
	common/topic_name.c common/topic_name.h \
	common/tp.c common/tp.h
