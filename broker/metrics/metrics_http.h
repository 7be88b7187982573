/*
 * The metrics endpoint's HTTP server: one listening socket on the broker's
 * loop, answering GET /metrics and closing each connection after its answer.
 *
 * Owns the listening socket and every scrape connection (socket, input
 * head, rendered answer, timer). It knows nothing of what a page holds: the
 * page comes from the render callback, called once per GET, on the loop.
 *
 * Never disturbs the loop: every socket is non-blocking and goes through the
 * broker's transport (broker/net/transport.h), a request head is read into
 * a fixed buffer of METRICS_HTTP_HEAD_MAX bytes (past it: 431), at most
 * METRICS_HTTP_CONNS connections are served at once (one more gets a 503
 * and is closed), and a connection that has not sent its head, or whose
 * answer makes no progress, for METRICS_HTTP_IDLE_S is closed. A bad request
 * gets its error status and closes only its own connection.
 */
#ifndef GREGOR_BROKER_METRICS_METRICS_HTTP_H
#define GREGOR_BROKER_METRICS_METRICS_HTTP_H

#include <ev.h>
#include <stddef.h>

#include "common/buf.h"

#define METRICS_HTTP_CONNS 16
#define METRICS_HTTP_IDLE_S 10.0

struct metrics_http;

/* Appends the page to out (text exposition); ctx is what was given below. */
typedef void (*metrics_http_render_fn)(void *ctx, struct buf *out);

/* Binds host:port (host "" for every address; port 0 picks one) and starts
 * accepting on loop. render and ctx are borrowed until metrics_http_free.
 * Returns the server (caller owns), or NULL with the reason in err. */
struct metrics_http *metrics_http_new(struct ev_loop *loop, const char *host, int port,
                                      metrics_http_render_fn render, void *ctx, char *err,
                                      size_t errsz);
/* The port bound. */
int metrics_http_port(const struct metrics_http *h);
/* Closes the socket and every connection; frees h (NULL is fine). */
void metrics_http_free(struct metrics_http *h);

#endif
