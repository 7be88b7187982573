/*
 * Removing the committed offsets of deleted topics from ZooKeeper, as
 * Kafka 2.8 does on partition deletion (GroupMetadataManager.
 * cleanupGroupMetadata): the coordinator of each group forgets them in
 * memory at once and starts one purge per group, which deletes
 *   /consumers/<group>/offsets/<topic>/<partition>            and the topic's znode
 *   /consumers/<group>/offsets_metadata/<topic>/<partition>   and the topic's znode
 * for every deleted topic in one multi(). The children are listed first
 * (asynchronously) rather than taken from memory, so a znode another
 * broker or a person wrote goes too. A listing or multi that fails
 * (ZooKeeper away, the tree changed in between: NOTEMPTY, NONODE) is
 * retried from the listing, after 1 s and then up to 30 s apart, until it
 * succeeds; a tree of more than one multi's worth is deleted a multi at a
 * time. Nothing here blocks the loop, and the group itself is not
 * touched (it may be gone by the time ZooKeeper answers).
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_PURGE_H
#define GREGOR_BROKER_GROUP_GROUP_PURGE_H

struct broker;
struct group_purge;

/* Starts deleting the znodes of topics (ntopics names, copied) of group
 * (copied). Links the job into *list (the coordinator's, so it can stop
 * them); it unlinks and frees itself when done. Returns 0 or GR_E_NOMEM. */
int group_purge_start(struct broker *b, struct group_purge **list, const char *group,
                      const char *const *topics, int ntopics);
/* Stops every job of *list (shutdown): timers are cancelled, reads in
 * flight end without effect. */
void group_purge_stop_all(struct group_purge **list);

#endif
