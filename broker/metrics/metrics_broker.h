/*
 * The metrics of one broker: turning the endpoint on (gregor.metrics.listener)
 * and the page of a scrape, read from the broker's state at that moment.
 *
 * Owns, through struct broker, the counters (b->metrics) and the HTTP server
 * (b->metrics_http). Reads the hosted partitions, the controller and the
 * metadata cache, on the loop, once per scrape; writes nothing of them.
 */
#ifndef GREGOR_BROKER_METRICS_METRICS_BROKER_H
#define GREGOR_BROKER_METRICS_METRICS_BROKER_H

#include "broker/metrics/metrics_render.h"

struct broker;

/* With gregor.metrics.listener set, allocates the counters and binds the
 * endpoint, which serves from then on (start-up included). Returns 0 (also
 * when off), or -1 with the reason logged. */
int metrics_broker_start(struct broker *b);
/* Closes the endpoint; the counters stay until metrics_broker_free. */
void metrics_broker_stop(struct broker *b);
/* Frees the counters (after stop). */
void metrics_broker_free(struct broker *b);

/* Fills s from b (arrays malloc'd; free with metrics_snapshot_free).
 * Returns 0, or -1 when out of memory (s then holds no arrays). */
int metrics_collect(const struct broker *b, struct metrics_snapshot *s);
void metrics_snapshot_free(struct metrics_snapshot *s);

#endif
