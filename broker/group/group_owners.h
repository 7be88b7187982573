/*
 * A stable consumer group's membership, published where Kafka's old
 * ZooKeeper consumers kept theirs, for the tools that read it (Burrow,
 * zkCli.sh, kazoo):
 *   /consumers/<group>/ids/<member.id>
 * {"version":1,"subscription":{"<topic>":1,...},"pattern":"static","timestamp":"<ms>"}
 *   /consumers/<group>/owners/<topic>/<partition>       the owning member.id
 * Ephemeral znodes of the coordinator's session, so they vanish with a
 * coordinator that dies. Best effort and asynchronous: written when the
 * group becomes Stable (only the differences from what was written
 * before), removed when it empties, moves away or is deleted; a failure is
 * logged and never touches the group. Only "consumer" groups (whose
 * metadata and assignments follow Kafka's consumer protocol) are
 * published; ids that cannot name a znode are left out.
 */
#ifndef GREGOR_BROKER_GROUP_GROUP_OWNERS_H
#define GREGOR_BROKER_GROUP_GROUP_OWNERS_H

struct group;

/* Brings g's membership znodes in line with its members and assignments. */
void group_owners_publish(struct group *g);
/* Deletes every membership znode g published. */
void group_owners_clear(struct group *g);

#endif
