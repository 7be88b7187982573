# broker/: the gregord server (protocol handlers, connections, controller).
noinst_LIBRARIES += broker/libgrbroker.a
broker_libgrbroker_a_SOURCES = \
	broker/admin.c broker/admin.h \
	broker/admin_request.c broker/admin_request.h \
	broker/api.c broker/api.h \
	broker/broker.c broker/broker.h broker/broker_events.h \
	broker/conn.c broker/conn.h \
	broker/controller.c broker/controller.h \
	broker/errmap.c broker/errmap.h \
	broker/handle_api_versions.c \
	broker/handle_create_partitions.c \
	broker/handle_create_topics.c \
	broker/handle_delete_records.c \
	broker/handle_delete_topics.c \
	broker/handle_describe_configs.c \
	broker/handle_fetch.c \
	broker/handle_list_offsets.c \
	broker/handle_metadata.c \
	broker/handle_produce.c \
	broker/handler_util.c broker/handler_util.h \
	broker/handlers.h \
	broker/metadata.c broker/metadata.h \
	broker/partition.c broker/partition.h \
	broker/request.c broker/request.h

# Replica assignment is shared with tools/gregor-topics.
noinst_LIBRARIES += broker/libgradmin.a
broker_libgradmin_a_SOURCES = broker/admin_assign.c broker/admin_assign.h

BROKER_LDADD = broker/libgrbroker.a broker/libgradmin.a broker/proto/libgrproto.a \
	broker/log/libgrlog.a zk/libgrzk.a common/libgrcommon.a $(ZK_LIBS)

bin_PROGRAMS += broker/gregord
broker_gregord_SOURCES = broker/gregord.c
broker_gregord_LDADD = $(BROKER_LDADD)
