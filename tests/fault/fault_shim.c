/*
 * An LD_PRELOAD shim for tests only (never linked into gregord): makes
 * fsync() and fdatasync() of a gregord process fail or stall on demand.
 *
 * GREGOR_FAULT_TRIGGER names a file. While it does not exist the calls go
 * straight to libc. While it exists, each call reads it:
 *   "eio"        the call fails with EIO (a disk that lost the write);
 *   "delay N"    the call sleeps N ms first, then runs (a slow disk).
 * Only a process whose executable is named gregord is affected, so the
 * shim can sit in the environment of the scripts that start it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 1: act, 0: pass through, -1: not yet known. */
static int is_gregord = -1;

static int targeted(void)
{
    if (is_gregord < 0) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
        const char *base = strrchr(exe, '/');
        is_gregord = !strcmp(base ? base + 1 : exe, "gregord");
    }
    return is_gregord;
}

/* Returns -1 (errno EIO) if the call must fail, else 0 after any delay. */
static int fault(void)
{
    const char *trigger = getenv("GREGOR_FAULT_TRIGGER");
    if (!trigger || !targeted())
        return 0;
    int saved = errno;
    int fd = open(trigger, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return 0;
    }
    char buf[64] = "";
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    long ms;
    if (sscanf(buf, "delay %ld", &ms) == 1) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR) {
        }
        errno = saved;
        return 0;
    }
    if (!strncmp(buf, "eio", 3)) {
        errno = EIO;
        return -1;
    }
    errno = saved;
    return 0;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return fault() ? -1 : real(fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return fault() ? -1 : real(fd);
}
