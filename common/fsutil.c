/*
 * Blocking file-system helpers (see fsutil.h).
 */
#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"

int fs_read_file(const char *path, struct buf *out, size_t maxlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gr_err_from_errno(errno);
    size_t total = 0;
    for (;;) {
        if (buf_reserve(out, 65536)) {
            close(fd);
            return GR_E_NOMEM;
        }
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return gr_err_from_errno(e);
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        total += (size_t)n;
        if (total > maxlen) {
            close(fd);
            return GR_E_TOO_LARGE;
        }
    }
    close(fd);
    return 0;
}

int fs_read_text(const char *path, char **text, size_t maxlen, char *err, size_t errsz)
{
    struct buf b;
    buf_init(&b);
    *text = NULL;
    int rc = fs_read_file(path, &b, maxlen);
    if (!rc) {
        buf_put_i8(&b, 0);
        size_t len;
        *text = buf_failed(&b) ? NULL : (char *)buf_steal(&b, &len);
        rc = *text ? 0 : GR_E_NOMEM;
    }
    int e = errno;
    buf_destroy(&b);
    if (rc == GR_E_NOMEM && err)
        snprintf(err, errsz, "out of memory reading %s", path);
    else if (rc == GR_E_TOO_LARGE && err)
        snprintf(err, errsz, "%s is larger than %zu MiB", path, maxlen >> 20);
    else if (rc && err)
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(e));
    errno = e;
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return gr_err_from_errno(errno);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gr_err_from_errno(errno);
    int rc = fsync(fd) ? gr_err_from_errno(errno) : 0;
    close(fd);
    return rc;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, bool sync)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return GR_E_INVALID;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return gr_err_from_errno(errno);
    int rc = write_all(fd, data, len);
    if (!rc && sync && fsync(fd))
        rc = gr_err_from_errno(errno);
    int e = errno;
    if (close(fd) && !rc)
        rc = gr_err_from_errno(e = errno);
    if (!rc && rename(tmp, path))
        rc = gr_err_from_errno(e = errno);
    if (rc) {
        unlink(tmp);
        errno = e;
        return rc;
    }
    if (sync) {
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(dir, ".");
        rc = fs_fsync_dir(dir);
    }
    return rc;
}

int fs_mkdirs(const char *dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
        errno = ENAMETOOLONG;
        return GR_E_INVALID;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) && errno != EEXIST)
            return gr_err_from_errno(errno);
        *s = '/';
    }
    if (mkdir(p, 0777) && errno != EEXIST)
        return gr_err_from_errno(errno);
    return fs_is_dir(p) ? 0 : GR_E_IO;
}

int fs_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0 : gr_err_from_errno(errno);
    if (!S_ISDIR(st.st_mode))
        return unlink(path) && errno != ENOENT ? gr_err_from_errno(errno) : 0;
    DIR *d = opendir(path);
    if (!d)
        return gr_err_from_errno(errno);
    int rc = 0;
    struct dirent *de;
    char child[PATH_MAX];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >= (int)sizeof(child)) {
            rc = GR_E_INVALID;
            continue;
        }
        int r = fs_remove_tree(child);
        if (r && !rc)
            rc = r;
    }
    closedir(d);
    if (rmdir(path) && errno != ENOENT && !rc)
        rc = gr_err_from_errno(errno);
    return rc;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

bool fs_exists(const char *path)
{
    return !access(path, F_OK);
}
