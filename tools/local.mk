# tools/: gregor-cluster and gregor-topics.
# gregor-topics stands alone (python3-kazoo); gregor-cluster and quickstart
# work on a checkout and stay there.
dist_bin_SCRIPTS += tools/gregor-topics
