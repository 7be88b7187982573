# broker/proto/: Kafka protocol codec (requests and responses).
