/*
 * Who may connect: max.connections, max.connections.per.ip with its
 * overrides, and the default of max.connections, derived from the open-file
 * limit.
 *
 * Owns the limits in force and the count of live connections per client
 * address. The listener asks before it adopts a connection and the
 * connection gives its slot back when it closes. It does not accept, close
 * or log per connection: the listener decides what a refusal looks like.
 *
 * Kafka 2.8's ConnectionQuotas closes a connection over the per-address
 * limit at once, and so does this. Over max.connections Kafka's acceptor
 * blocks (clients wait in the listen backlog until a slot frees); gregor
 * closes the connection at once instead, so a client learns it at once and
 * retries with its own back-off rather than sending requests into a backlog
 * nobody reads. Either way the loop keeps serving the connections it has.
 *
 * Why the default is not Kafka's "unlimited": every connection is a file
 * descriptor, and so is every segment of every hosted log and the ZooKeeper
 * session. Past the open-file limit accept() fails with EMFILE, a roll
 * cannot open its new segment, and a ZooKeeper reconnect cannot get a
 * socket. The derived default leaves room for all three.
 */
#ifndef GREGOR_BROKER_NET_CONN_QUOTA_H
#define GREGOR_BROKER_NET_CONN_QUOTA_H

#include <stddef.h>
#include <stdint.h>

struct broker_config;
struct conn_quota;

/* Descriptors kept free beyond those open at start and two per log: the
 * ZooKeeper session and its reconnect, the log workers' checkpoint and
 * flush files, the listener's spare, the first segments of topics created
 * later, and reading /proc or meta.properties. */
#define CONN_QUOTA_SPARE_FDS 64

/* Why a connection is refused. */
enum conn_quota_verdict {
    CONN_QUOTA_OK = 0, /* admitted; its slot is taken */
    CONN_QUOTA_PER_IP, /* its address already has max.connections.per.ip (or its override) */
    CONN_QUOTA_TOTAL,  /* the broker already has max.connections */
};

/* Descriptors to reserve for everything but client connections: in_use
 * (open now: logs, listeners, the loop), two per log (a roll opens the next
 * segment and an index file while the old ones stay open) and
 * CONN_QUOTA_SPARE_FDS. */
int64_t conn_quota_reserve(int64_t in_use, int nlogs);

/* Sets up the limits of cfg (borrowed; must outlive the quota). When
 * max.connections is not set, it becomes what the open-file limit leaves
 * after conn_quota_reserve(); when it is set above that, a warning says so.
 * Either way the start-up log gets one line naming the value and where it
 * came from. Host names of max.connections.per.ip.overrides are resolved
 * here. Returns new, or NULL with errstr set (a name that does not resolve,
 * out of memory). */
struct conn_quota *conn_quota_new(const struct broker_config *cfg, int nlogs, char *errstr,
                                  size_t errsz);
void conn_quota_free(struct conn_quota *q);

/* Takes a slot for a connection from ip (numeric, as getnameinfo writes it;
 * borrowed) when both limits allow it, with nconns connections live now.
 * Returns the verdict. */
enum conn_quota_verdict conn_quota_admit(struct conn_quota *q, const char *ip, int nconns);
/* Gives back the slot of a closed connection from ip. */
void conn_quota_release(struct conn_quota *q, const char *ip);

/* The limits in force: the whole broker's, and one address's. */
int32_t conn_quota_max(const struct conn_quota *q);
int32_t conn_quota_ip_limit(const struct conn_quota *q, const char *ip);

#endif
