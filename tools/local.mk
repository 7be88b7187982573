# tools/: gregor-cluster and gregor-topics.

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

EXTRA_DIST += tests/tools/run
