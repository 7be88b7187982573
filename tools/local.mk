# tools/: gregor-cluster and gregor-topics.
