/*
 * Calls from the metadata cache and the controller back into the broker.
 * Kept apart from broker.h so those modules depend on a narrow interface.
 */
#ifndef GREGOR_BROKER_BROKER_EVENTS_H
#define GREGOR_BROKER_BROKER_EVENTS_H

#include <stdint.h>

struct broker;

/* The metadata cache changed: topic names the topic (NULL: the broker list,
 * the controller, or the end of the first load) and partition the one
 * partition whose state changed (-1: the whole topic). Reconciles the hosted
 * partitions, informs the controller, and re-checks waiting admin requests. */
void broker_metadata_changed(struct broker *b, const char *topic, int32_t partition);

#endif
