/*
 * Replica fetchers: how this broker's follower replicas copy their leaders'
 * logs.
 *
 * Owns one fetcher per (source broker, index), index < num.replica.fetchers
 * (a partition goes to the fetcher its hash picks, as Kafka's
 * AbstractFetcherManager does), each with one net/client.c connection to
 * the source broker. A fetcher has at most one Fetch in flight: replica_id
 * is this broker's id, the fetch offset of each partition is its log end
 * offset (which tells the leader where the follower is), and the limits are
 * replica.fetch.{max,response.max,min,wait.max}.bytes/ms. Fetched batches
 * are appended as they are (log_append_follower: the leader's offsets,
 * epochs and bytes; the leader epoch checkpoint follows), and the follower
 * takes its high watermark from the answer (at most its own log end) and
 * its log start (at most its high watermark). A fetch offset the leader
 * refuses (OFFSET_OUT_OF_RANGE) is followed by ListOffsets for the
 * leader's log start: a log end below it empties the log, which restarts
 * there (Kafka's handleOutOfRangeError); a log end past the leader's goes
 * back to OffsetForLeaderEpoch.
 * Errors and lost connections wait replica.fetch.backoff.ms before the
 * next fetch; the client reconnects with its own backoff.
 *
 * Everything runs on the loop; nothing here blocks. It learns what to fetch
 * from cluster/partition.c through b->follow_changed (a partition's leader
 * or epoch changed, or it goes) and never decides roles itself.
 */
#ifndef GREGOR_BROKER_REPL_REPLICA_FETCHER_H
#define GREGOR_BROKER_REPL_REPLICA_FETCHER_H

struct broker;
struct partition;

/* Creates b->fetchers and sets b->follow_changed. Returns 0 or GR_E_NOMEM. */
int replica_fetchers_init(struct broker *b);
/* Stops every fetcher (their requests are cancelled) and frees them. */
void replica_fetchers_destroy(struct broker *b);
/* p's leader or epoch changed, or p goes: starts, moves or stops following
 * it. Borrows p. */
void replica_fetchers_follow(struct broker *b, struct partition *p);

#endif
