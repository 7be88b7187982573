/*
 * Log directory lock, identity and clean-shutdown marker (see log_dir.h).
 */
#define LOG_COMPONENT "log"
#include "broker/log/log_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "common/props.h"

int log_dir_open(struct log_dir *d, const char *path, char *errstr, size_t errsz)
{
    memset(d, 0, sizeof(*d));
    d->lock_fd = -1;
    int rc = fs_mkdirs(path);
    if (rc) {
        snprintf(errstr, errsz, "cannot create log dir %s: %s (check log.dirs and permissions)",
                 path, strerror(errno));
        return rc;
    }
    if (!(d->path = strdup(path)))
        return GR_E_NOMEM;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", path, LOG_DIR_LOCK);
    d->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (d->lock_fd < 0) {
        rc = gr_err_from_errno(errno);
        snprintf(errstr, errsz, "cannot open %s: %s", p, strerror(errno));
        log_dir_close(d);
        return rc;
    }
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
        snprintf(errstr, errsz,
                 "log dir %s is locked by another process: another broker is using it; stop it "
                 "or give this broker its own log.dirs",
                 path);
        log_dir_close(d);
        return GR_E_LOCKED;
    }
    snprintf(p, sizeof(p), "%s/%s", path, LOG_DIR_CLEAN_SHUTDOWN);
    d->clean_shutdown = fs_exists(p);
    return 0;
}

void log_dir_close(struct log_dir *d)
{
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* releases the flock */
    free(d->path);
    d->path = NULL;
    d->lock_fd = -1;
}

struct meta_ctx {
    struct log_dir_meta *m;
    bool bad_id;
};

static int meta_cb(const char *key, const char *value, int line, void *arg)
{
    struct meta_ctx *mc = arg;
    (void)line;
    if (!strcmp(key, "broker.id")) {
        char *end;
        long v = strtol(value, &end, 10);
        if (!*value || *end || v < 0 || v > INT32_MAX)
            mc->bad_id = true;
        else
            mc->m->broker_id = (int32_t)v;
    } else if (!strcmp(key, "cluster.id")) {
        snprintf(mc->m->cluster_id, sizeof(mc->m->cluster_id), "%s", value);
    }
    return 0;
}

int log_dir_read_meta(const struct log_dir *d, struct log_dir_meta *m, char *errstr,
                      size_t errsz)
{
    char p[PATH_MAX];
    memset(m, 0, sizeof(*m));
    m->broker_id = -1;
    snprintf(p, sizeof(p), "%s/%s", d->path, LOG_DIR_META);
    if (!fs_exists(p))
        return 0;
    struct meta_ctx mc = {m, false};
    int rc = props_load_file(p, meta_cb, &mc, errstr, errsz);
    if (rc)
        return rc;
    if (mc.bad_id) {
        snprintf(errstr, errsz, "%s has an invalid broker.id; fix or remove the file", p);
        return GR_E_CORRUPT;
    }
    m->present = true;
    return 0;
}

int log_dir_write_meta(const struct log_dir *d, int32_t broker_id, const char *cluster_id)
{
    char p[PATH_MAX], date[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", &tm);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "#\n#%s\n", date);
    if (cluster_id && *cluster_id)
        buf_printf(&b, "cluster.id=%s\n", cluster_id);
    buf_printf(&b, "version=0\nbroker.id=%d\n", broker_id);
    snprintf(p, sizeof(p), "%s/%s", d->path, LOG_DIR_META);
    int rc = buf_failed(&b) ? GR_E_NOMEM : fs_write_file_atomic(p, b.data, b.len, true);
    buf_destroy(&b);
    return rc;
}

int log_dir_clear_marker(struct log_dir *d)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", d->path, LOG_DIR_CLEAN_SHUTDOWN);
    if (unlink(p) && errno != ENOENT)
        return gr_err_from_errno(errno);
    return fs_fsync_dir(d->path);
}

int log_dir_write_marker(struct log_dir *d)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", d->path, LOG_DIR_CLEAN_SHUTDOWN);
    return fs_write_file_atomic(p, "", 0, true);
}
