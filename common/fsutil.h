/*
 * Small file-system helpers shared by the log, the config reader and tools.
 *
 * They block: call them at start-up, from tests, or from the log's
 * background thread, never from the broker's event loop for anything that
 * syncs to disk.
 */
#ifndef GREGOR_COMMON_FSUTIL_H
#define GREGOR_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Appends the whole file to out (borrowed). Fails with GR_E_TOO_LARGE past
 * maxlen bytes. Returns 0 or a negative gregor error (errno is kept). */
int fs_read_file(const char *path, struct buf *out, size_t maxlen);

/* The whole file as a NUL-terminated string: *text is owned by the caller
 * (free). Errors as fs_read_file; *text is NULL then, and err (if not NULL)
 * says what went wrong, naming the file. */
int fs_read_text(const char *path, char **text, size_t maxlen, char *err, size_t errsz);

/* Replaces path with data atomically: writes path.tmp, fsyncs it (if sync),
 * renames it over path and fsyncs the directory (if sync). Returns 0 or a
 * negative gregor error (errno is kept). */
int fs_write_file_atomic(const char *path, const void *data, size_t len, bool sync);

/* fsyncs a directory so that entries created or renamed in it are durable. */
int fs_fsync_dir(const char *dir);

/* Creates dir and any missing parents (mode 0755). Existing dirs are fine. */
int fs_mkdirs(const char *dir);

/* Removes a file or a whole directory tree. A missing path is not an error. */
int fs_remove_tree(const char *path);

bool fs_is_dir(const char *path);
bool fs_exists(const char *path);

#endif
