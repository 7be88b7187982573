/*
 * Who wrote a gregor ephemeral znode (/brokers/ids/<id>, /controller), and
 * whether that writer is provably gone.
 *
 * Owns: this process's owner identity -- a random 64-bit incarnation, drawn
 * once per process, and a description of the process ("<boot id>/<pid
 * namespace>/<pid>/<start time>") -- and the one test that may declare
 * another writer dead. zk_json.c writes both into the znodes (ZK_JSON_OWNER_*
 * fields, which Kafka and its tools ignore); zk_kafka.c and the broker's
 * controller apply the rule: a znode is deleted only when it was created by
 * our session, carries our incarnation, or names a process that provably no
 * longer runs. Equal endpoints prove nothing (a second broker may advertise
 * the same address), and neither does the broker id.
 */
#ifndef GREGOR_ZK_ZK_OWNER_H
#define GREGOR_ZK_ZK_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#define ZK_OWNER_PROCESS_MAX 128

struct zk_owner {
    uint64_t incarnation;               /* random, never 0; 0 = unknown (Kafka, old gregor) */
    char process[ZK_OWNER_PROCESS_MAX]; /* "<boot id>/<pid ns>/<pid>/<start>", "" = unknown */
};

/* Fills o for this process: a new random incarnation (mixed with the pid and
 * the clock, in case the kernel has no randomness to give) and the process
 * description ("" where /proc cannot tell). Call once per process. */
void zk_owner_init(struct zk_owner *o);

/* True only if process (another writer's, as read from a znode) provably no
 * longer runs: it names this machine's current boot and this process's pid
 * namespace, and its pid is gone or belongs to a process started at another
 * time. Anything unknown, malformed or elsewhere gives false. */
bool zk_owner_process_gone(const char *process);

#endif
