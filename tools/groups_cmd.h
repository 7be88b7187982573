/*
 * gregor-consumer-groups' commands, one file each. Every command prints
 * Kafka 2.8's output and returns the exit status: 0, or 1 when something it
 * was asked to do failed (Kafka exits 0 there; a script wants to know).
 */
#ifndef GREGOR_TOOLS_GROUPS_CMD_H
#define GREGOR_TOOLS_GROUPS_CMD_H

#include "tools/groups_admin.h"
#include "tools/groups_opts.h"

/* --list [--state [S,...]] */
int groups_list(struct groups_admin *a);
/* --describe [--offsets | --members [--verbose] | --state] */
int groups_describe(struct groups_admin *a);
/* --reset-offsets */
int groups_reset(struct groups_admin *a);
/* --delete */
int groups_delete(struct groups_admin *a);
/* --delete-offsets */
int groups_delete_offsets(struct groups_admin *a);

/* Kafka's shouldPrintMemberState: prints the line for a Dead, Empty or
 * rebalancing group; true if rows should follow (the group exists and
 * rows > 0). Sets *failed for a Dead group. */
int groups_print_state_note(const char *group, rd_kafka_consumer_group_state_t state, size_t rows,
                            int *failed);

#endif
