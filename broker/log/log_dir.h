/*
 * One log directory (an entry of log.dirs): its lock, its meta.properties
 * (which broker and cluster it belongs to) and its clean-shutdown marker.
 *
 * It does not know about partitions; the log manager does.
 */
#ifndef GREGOR_LOG_DIR_H
#define GREGOR_LOG_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_DIR_CLEAN_SHUTDOWN ".kafka_cleanshutdown"
#define LOG_DIR_LOCK ".lock"
#define LOG_DIR_META "meta.properties"

struct log_dir {
    char *path;          /* the directory; owned */
    int lock_fd;         /* holds flock() on .lock while open */
    bool clean_shutdown; /* the marker was present at open */
    int nlogs;           /* partitions placed here */
};

struct log_dir_meta {
    bool present;        /* meta.properties exists */
    int32_t broker_id;   /* broker.id, -1 if absent */
    char cluster_id[64]; /* cluster.id, "" if absent */
};

/* Creates the directory if needed, takes its lock and notes the marker.
 * Returns 0, GR_E_LOCKED (another process holds it) or an I/O error, with
 * errstr saying what to do. */
int log_dir_open(struct log_dir *d, const char *path, char *errstr, size_t errsz);
/* Releases the lock and frees the path. */
void log_dir_close(struct log_dir *d);

/* Reads meta.properties. A missing file gives present=false and 0. */
int log_dir_read_meta(const struct log_dir *d, struct log_dir_meta *m, char *errstr,
                      size_t errsz);
/* Writes meta.properties durably (Kafka's v0 layout). Blocking: start-up only. */
int log_dir_write_meta(const struct log_dir *d, int32_t broker_id, const char *cluster_id);

/* Removes the clean-shutdown marker durably (a later crash must not look
 * clean). Blocking: start-up only. */
int log_dir_clear_marker(struct log_dir *d);
/* Writes the marker durably. Blocking: shutdown only. */
int log_dir_write_marker(struct log_dir *d);

#endif
