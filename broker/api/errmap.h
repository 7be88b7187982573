/*
 * The one place where gregor's internal errors become Kafka ErrorCodes.
 *
 * Log errors (common/err.h) and ZooKeeper results (zk/zk_client.h) never go
 * on the wire as they are; handlers ask here.
 */
#ifndef GREGOR_BROKER_ERRMAP_H
#define GREGOR_BROKER_ERRMAP_H

#include <stdint.h>

/* A log operation's GR_E_* result as a Kafka error code. */
int16_t errmap_log(int gr_err);
/* A ZooKeeper operation's ZK_* result as a Kafka error code. */
int16_t errmap_zk(int zk_rc);

#endif
