# broker/log/: the partition log and the log manager.
noinst_LIBRARIES += broker/log/libgrlog.a
broker_log_libgrlog_a_SOURCES = \
	broker/log/log.c broker/log/log.h \
	broker/log/log_batch.c broker/log/log_batch.h \
	broker/log/log_batch_inner.c broker/log/log_batch_inner.h \
	broker/log/log_bg.c broker/log/log_bg.h \
	broker/log/log_checkpoint.c broker/log/log_checkpoint.h \
	broker/log/log_config.c broker/log/log_config.h \
	broker/log/log_convert.c broker/log/log_convert.h \
	broker/log/log_dir.c broker/log/log_dir.h \
	broker/log/log_epoch.c broker/log/log_epoch.h \
	broker/log/log_file.c broker/log/log_file.h \
	broker/log/log_idxfile.c broker/log/log_idxfile.h \
	broker/log/log_index.c broker/log/log_index.h \
	broker/log/log_internal.h \
	broker/log/log_load.c \
	broker/log/log_manager.c broker/log/log_manager.h \
	broker/log/log_producer.c broker/log/log_producer.h \
	broker/log/log_producer_load.c \
	broker/log/log_producer_snapshot.c broker/log/log_producer_snapshot.h \
	broker/log/log_segment.c broker/log/log_segment.h \
	broker/log/log_timeindex.c broker/log/log_timeindex.h \
	broker/log/log_verify.c broker/log/log_verify.h \
	broker/log/log_warm.c broker/log/log_warm.h
