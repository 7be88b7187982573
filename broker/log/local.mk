# broker/log/: the partition log and the log manager.
noinst_LIBRARIES += broker/log/libgrlog.a
broker_log_libgrlog_a_SOURCES = \
	broker/log/log.c broker/log/log.h
