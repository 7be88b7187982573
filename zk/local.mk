# zk/: the ZooKeeper client on the event loop and the znode codecs.
