/*
 * The controller's znodes in Kafka's ZooKeeper mode, asynchronous, on top of
 * zk_client: election through /controller and /controller_epoch, and the
 * epoch fence around every controller write (partition states, deletions).
 *
 * Owns: the election sequence of Kafka 2.8's
 * registerControllerAndIncrementControllerEpoch and the fencing rule: every
 * controller write is one multi() that starts with a check of
 * /controller_epoch at the version the controller's election produced, so a
 * deposed controller -- whose check fails because a newer election bumped
 * that version -- cannot write anything (GR_E_NOT_CONTROLLER). It decides
 * nothing: leaders, ISRs and what to do after losing an election belong to
 * the controller logic above it.
 *
 * Rules as in zk_kafka.h: arguments are borrowed for the call only; a call
 * returns 0 (callback later, exactly once) or a negative ZK_* code (no
 * callback); `why` is a sentence for the log when rc is not GR_OK; steps are
 * retried after a connection loss; GR_E_ZK_EXPIRED / GR_E_CLOSING end an
 * operation.
 */
#ifndef GREGOR_ZK_ZK_CONTROLLER_H
#define GREGOR_ZK_ZK_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "zk/zk_client.h"
#include "zk/zk_json.h"
#include "zk/zk_owner.h"

/* Pass as epoch_zk_version for an unfenced write (admin tools, tests). */
#define ZK_CONTROLLER_UNFENCED ZK_ANY_VERSION

typedef void (*zk_controller_done_cb)(int rc, const char *why, void *ctx);

/* The outcome of a controller election. */
struct zk_controller_election {
    int rc;                   /* GR_OK if the election ran to a result */
    bool won;                 /* this call created /controller and bumped the epoch */
    int32_t controller_id;    /* who holds /controller now; -1 if nobody */
    int32_t epoch;            /* won: the new controller epoch */
    int32_t epoch_zk_version; /* won: /controller_epoch's version, the fence for writes */
    const char *why;          /* rc != GR_OK: what went wrong */
};
typedef void (*zk_controller_election_cb)(const struct zk_controller_election *e, void *ctx);

/* Tries to become controller: reads /controller_epoch (creating it as "0"),
 * then one multi() creates the ephemeral /controller (carrying owner, this
 * process's identity, zk_owner.h; may be NULL) and sets /controller_epoch to epoch+1 at the
 * version read. If another broker won, won is false and controller_id names
 * it (-1 if it already went away; the owner watches /controller and tries
 * again). controller_id equal to our own id with won false means /controller
 * was ours (our session or owner->incarnation) before this call, or is held by
 * another process with the same broker id. A malformed /controller_epoch or
 * /controller gives GR_E_CORRUPT. */
int zk_controller_elect(struct zk_client *zc, int32_t broker_id, const struct zk_owner *owner,
                        zk_controller_election_cb cb, void *ctx);

typedef void (*zk_controller_id_cb)(int rc, int32_t controller_id, const char *why, void *ctx);
/* Reads /controller: controller_id -1 when there is none (rc GR_OK). watch
 * (may be NULL) fires on its creation, change or deletion. */
int zk_controller_get(struct zk_client *zc, const struct zk_watcher *watch, zk_controller_id_cb cb,
                      void *ctx);

typedef void (*zk_controller_epoch_cb)(int rc, int32_t epoch, int32_t zk_version, const char *why,
                                       void *ctx);
/* Reads /controller_epoch and its version (GR_E_NOENT before any election). */
int zk_controller_get_epoch(struct zk_client *zc, zk_controller_epoch_cb cb, void *ctx);

/* A controller write: one multi() of a check of /controller_epoch at
 * epoch_zk_version followed by ops (1..999). cb gets the results of ops only;
 * rc is GR_E_NOT_CONTROLLER if the check failed. */
int zk_controller_multi(struct zk_client *zc, int32_t epoch_zk_version, const struct zk_op *ops,
                        int n, zk_multi_cb cb, void *ctx);
/* Deletes path at any version, fenced; a missing path counts as deleted. */
int zk_controller_delete(struct zk_client *zc, int32_t epoch_zk_version, const char *path,
                         zk_controller_done_cb cb, void *ctx);

typedef void (*zk_controller_version_cb)(int rc, int32_t zk_version, const char *why, void *ctx);
/* Creates /brokers/topics/<t>/partitions/<p>/state (and the two parents),
 * fenced. The new znode's version is 0. GR_E_EXISTS if it exists, GR_E_NOENT
 * if the topic znode does not. */
int zk_controller_create_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                         const char *topic, int32_t partition,
                                         const struct zk_partition_state *st,
                                         zk_controller_version_cb cb, void *ctx);
/* Replaces the state if its version (the partition epoch) still is
 * expected_zk_version, fenced. GR_E_ZK_BADVERSION if someone (the leader changing
 * its ISR) wrote it meanwhile: re-read and retry. cb gets the new version. */
int zk_controller_set_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                      const char *topic, int32_t partition,
                                      const struct zk_partition_state *st,
                                      int32_t expected_zk_version, zk_controller_version_cb cb,
                                      void *ctx);
/* Deletes the state znode at expected_zk_version (or ZK_ANY_VERSION), fenced. */
int zk_controller_delete_partition_state(struct zk_client *zc, int32_t epoch_zk_version,
                                         const char *topic, int32_t partition,
                                         int32_t expected_zk_version, zk_controller_done_cb cb,
                                         void *ctx);

#endif
