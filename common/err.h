/*
 * gregor's internal error codes: the one error space of the whole program.
 *
 * Owns: the negative error numbers every gregor function returns, their
 * names, and the one positive status GR_PENDING. Errors from below gregor
 * are mapped into this space where they enter: errno values by
 * gr_err_from_errno(), ZooKeeper's ZOO_ERRORS inside zk/zk_client.c, so no
 * caller ever sees a foreign number. It deliberately knows nothing about
 * Kafka's wire error codes: the API layer maps these to ErrorCode values in
 * exactly one place (broker/api/errmap.c), so a storage failure can never
 * leak onto the wire as a number a client would misread, and nothing picks
 * an error by reading a message.
 */
#ifndef GREGOR_COMMON_ERR_H
#define GREGOR_COMMON_ERR_H

/* X(NAME, value, "what a person reads") */
#define GR_ERRORS(X)                                                                               \
    /* general */                                                                                  \
    X(GR_E_NOMEM, -1, "out of memory")                                                             \
    X(GR_E_IO, -2, "I/O error")                                                                    \
    X(GR_E_CORRUPT, -3, "corrupt data")                                                            \
    X(GR_E_INVALID, -4, "invalid argument")                                                        \
    X(GR_E_TOO_LARGE, -5, "too large")                                                             \
    X(GR_E_RANGE, -6, "offset out of range")                                                       \
    X(GR_E_NOENT, -7, "does not exist")                                                            \
    X(GR_E_EXISTS, -8, "already exists")                                                           \
    X(GR_E_LOCKED, -9, "locked by another process")                                                \
    X(GR_E_NOSPACE, -10, "no space left on device")                                                \
    X(GR_E_CONFIG, -11, "bad configuration")                                                       \
    X(GR_E_STATE, -12, "not allowed in the current state")                                         \
    X(GR_E_FULL, -13, "full")                                                                      \
    X(GR_E_AGAIN, -14, "not available yet")                                                        \
    X(GR_E_UNSUPPORTED, -15, "unsupported")                                                        \
    X(GR_E_NOFILES, -16, "too many open files (raise the open-file limit, ulimit -n)")             \
    X(GR_E_TIMEOUT, -17, "timed out")                                                              \
    X(GR_E_CLOSING, -18, "closing")                                                                \
    X(GR_E_CANCELLED, -19, "cancelled")                                                            \
    X(GR_E_NETWORK, -20, "network connection failed or closed")                                    \
    /* records and the log */                                                                      \
    X(GR_E_BAD_RECORD, -30, "invalid record batch or record framing")                              \
    X(GR_E_BAD_TIMESTAMP, -32, "record timestamp out of the allowed range")                        \
    X(GR_E_BATCH_OVER_SEGMENT, -33, "record batch larger than a log segment")                      \
    X(GR_E_BAD_CODEC, -34, "compression codec not allowed in this message format")                \
    /* partitions and leadership */                                                                \
    X(GR_E_NOT_LEADER, -40, "this broker does not lead the partition")                             \
    X(GR_E_NO_LEADER, -41, "the partition has no live leader")                                     \
    X(GR_E_FENCED_EPOCH, -42, "the leader epoch given is older than the current one")              \
    X(GR_E_UNKNOWN_EPOCH, -43, "the leader epoch given is newer than the current one")             \
    X(GR_E_NOT_ENOUGH_REPLICAS, -44, "fewer in-sync replicas than min.insync.replicas")            \
    X(GR_E_OFFLINE, -45, "the partition's log is offline")                                         \
    X(GR_E_NOT_ENOUGH_REPLICAS_AFTER_APPEND, -46, "the ISR shrank below min.insync.replicas")      \
    /* idempotent producers (broker/log/log_producer.h) */                                       \
    X(GR_E_OUT_OF_SEQUENCE, -47, "the batch does not continue its producer's sequence")           \
    X(GR_E_PRODUCER_EPOCH, -48, "the batch's producer epoch is older than the producer's")        \
    /* topics and administration */                                                                \
    X(GR_E_BAD_TOPIC, -50, "not a legal topic name")                                               \
    X(GR_E_TOPIC_EXISTS, -51, "topic already exists")                                              \
    X(GR_E_BAD_PARTITIONS, -52, "invalid number of partitions")                                    \
    X(GR_E_BAD_REPLICATION_FACTOR, -53, "invalid replication factor")                              \
    X(GR_E_BAD_ASSIGNMENT, -54, "invalid replica assignment")                                      \
    X(GR_E_DELETE_DISABLED, -55, "topic deletion is disabled (delete.topic.enable=false)")         \
    X(GR_E_NOT_CONTROLLER, -56, "not the controller (or the controller moved)")                    \
    X(GR_E_POLICY, -58, "refused by a broker limit")                                               \
    X(GR_E_BROKER_ID_TAKEN, -57, "broker id is registered by another broker")                      \
    /* ZooKeeper results without a general equivalent (zk/zk_client.c maps them) */                \
    X(GR_E_ZK_CONNLOSS, -70, "ZooKeeper connection lost")                                          \
    X(GR_E_ZK_EXPIRED, -71, "ZooKeeper session expired")                                           \
    X(GR_E_ZK_BADVERSION, -72, "znode version mismatch")                                           \
    X(GR_E_ZK_NOTEMPTY, -73, "znode has children")                                                 \
    X(GR_E_ZK_ROLLEDBACK, -74, "rolled back with the rest of a failed multi")                      \
    X(GR_E_ZK_NOAUTH, -75, "not allowed by the znode's ACL")                                       \
    X(GR_E_ZK_MARSHALLING, -76, "ZooKeeper request could not be encoded")                          \
    X(GR_E_ZK_SYSTEM, -77, "ZooKeeper client system error")                                        \
    X(GR_E_ZK_SESSIONMOVED, -78, "ZooKeeper session moved to another server")                      \
    X(GR_E_ZK_EPHEMERAL_PARENT, -79, "ephemeral znodes cannot have children")

enum gr_err {
    GR_OK = 0,
    /* Not an error: the operation goes on and its callback reports the
     * result (for calls that may finish at once or later). */
    GR_PENDING = 1,
#define GR_ERR_ENUM(name, value, text) name = value,
    GR_ERRORS(GR_ERR_ENUM)
#undef GR_ERR_ENUM
};

/* Returns a static, human-readable name for err (never NULL). */
const char *gr_strerror(int err);

/* Maps an errno value from a failed file operation to a gregor error:
 * ENOSPC/EDQUOT become GR_E_NOSPACE, ENOMEM GR_E_NOMEM, ENOENT GR_E_NOENT,
 * EMFILE/ENFILE GR_E_NOFILES, EEXIST GR_E_EXISTS, everything else GR_E_IO. */
int gr_err_from_errno(int errnum);

#endif
