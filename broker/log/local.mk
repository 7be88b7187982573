# broker/log/: the partition log and the log manager.
