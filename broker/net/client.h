/*
 * The broker as a Kafka client: one connection to one other broker, for
 * replica fetchers, controller-to-broker requests and group coordination.
 *
 * Owns the socket (through a link, the same framing the server side uses),
 * the correlation ids, the requests waiting to be sent and those in flight,
 * their deadlines, and reconnecting. It does not encode or decode request
 * bodies (the caller hands over body bytes and gets response body bytes),
 * and it never retries a request that was sent: whether to resend is the
 * caller's decision, as in Kafka.
 *
 * Contract (like zk/zk_client.h):
 * - If client_send() returns 0, its callback runs exactly once, never inside
 *   client_send(): with the response (err 0), or GR_E_TIMEOUT (its deadline
 *   passed), GR_E_NETWORK (the connection failed or closed while it was in
 *   flight, or the response could not be read), or GR_E_CANCELLED
 *   (client_free). If client_send() returns an error, the callback never
 *   runs.
 * - Requests leave in client_send() order; at most max_in_flight are sent
 *   and unanswered, the others wait. Writing happens from the loop only.
 * - A request whose deadline passes after it was sent takes the connection
 *   down (as Kafka's NetworkClient does: the broker may still answer it, and
 *   a late answer must not be mistaken for another's), so every other
 *   request in flight fails with GR_E_NETWORK. Requests not yet sent survive
 *   a dropped connection and go out on the next one.
 * - The connection is opened when there is something to send, and reopened
 *   after a failure with exponential backoff, from backoff_ms up to
 *   backoff_max_ms, reset by a successful connect.
 * - Callbacks may call client_send() and client_free() (and free the
 *   caller's own state). From inside a callback, client_free() cancels
 *   everything at once but releases the client's memory on the loop's next
 *   iteration.
 *
 * Host names: a numeric address connects without blocking. A name is
 * resolved with getaddrinfo(3), which blocks the loop for as long as the
 * resolver takes; broker addresses should be numeric until an asynchronous
 * resolver exists.
 */
#ifndef GREGOR_BROKER_NET_CLIENT_H
#define GREGOR_BROKER_NET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct client;
struct ev_loop;

struct client_config {
    const char *host;           /* address of the broker; copied */
    int port;                   /* its port */
    const char *client_id;      /* sent in every request header; copied; NULL: null */
    int max_in_flight;          /* sent and unanswered requests (>= 1; 0: 5, Kafka's) */
    int backoff_ms;             /* first reconnect delay (0: 50, reconnect.backoff.ms) */
    int backoff_max_ms;         /* largest reconnect delay (0: 1000) */
    int connect_timeout_ms;     /* a connect taking longer fails (0: 10000) */
    int32_t max_response_bytes; /* larger responses fail the connection (0: 256 MiB) */
};

/* The response body (after the response header) as bytes borrowed for the
 * call, or an error (see the contract above; body is NULL then). */
typedef void client_cb(int err, const uint8_t *body, size_t len, void *opaque);

/* A client for cfg's broker on loop (borrowed; must outlive the client).
 * Connects only when a request is sent. Returns new, or NULL when out of
 * memory or cfg is invalid. */
struct client *client_new(struct ev_loop *loop, const struct client_config *cfg);

/* Queues a request: api_key at api_version with the body's len bytes
 * (borrowed; copied into the frame before this returns). The header (v1, or
 * v2 for flexible versions) and the correlation id are the client's.
 * timeout_ms (> 0) counts from now. cb and opaque (borrowed) get the result.
 * Returns 0, GR_E_INVALID (unknown key or version, timeout_ms <= 0, a body
 * too large for a frame), GR_E_NOMEM, or GR_E_CLOSING (client_free began). */
int client_send(struct client *c, int16_t api_key, int16_t api_version, const uint8_t *body,
                size_t len, int timeout_ms, client_cb *cb, void *opaque);

/* Requests sent and unanswered / waiting to be sent. */
int client_in_flight(const struct client *c);
int client_waiting(const struct client *c);

/* Closes the connection and calls every outstanding callback with
 * GR_E_CANCELLED before it returns, then frees c (see the contract for
 * calls from a callback). c must not be used afterwards. */
void client_free(struct client *c);

#endif
