/*
 * The one place where gregor's internal errors become Kafka ErrorCodes.
 *
 * Everything below the API layer (the log, the cluster state, ZooKeeper)
 * reports gregor errors (common/err.h); handlers turn them into wire codes
 * here and nowhere else, so each internal error means one thing on the wire
 * whichever handler meets it. Handlers still choose wire codes directly for
 * decisions that belong to the protocol itself (INVALID_REQUIRED_ACKS,
 * FETCH_SESSION_ID_NOT_FOUND).
 */
#ifndef GREGOR_BROKER_API_ERRMAP_H
#define GREGOR_BROKER_API_ERRMAP_H

#include <stdint.h>

/* A gregor error (GR_OK, GR_E_*) as a Kafka error code (PROTO_ERR_*). */
int16_t errmap_kafka(int gr_err);

#endif
