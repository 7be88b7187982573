/*
 * The owner of gregor's ephemeral znodes (see zk_owner.h). The process
 * description comes from /proc: the boot id (a new one every boot), the
 * inode of the pid namespace (pids mean something only inside one), the pid
 * and its start time in clock ticks since boot (a reused pid has another).
 */
#include "zk/zk_owner.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Reads the whole of a small /proc file into buf; its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t sz)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sz - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* Start time of pid in clock ticks since boot (field 22 of its stat);
 * 0 if it does not exist, -1 if unknown. */
static long long start_time(long pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (read_small(path, stat, sizeof(stat)) < 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -1;
    /* The command name may hold spaces and parentheses: fields resume after
     * the last ')'. Field 3 (state) follows it; start time is field 22. */
    char *p = strrchr(stat, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoll(p + 1, NULL, 10) : -1;
}

/* "<boot id>/<pid ns inode>" of this process, or false. */
static bool this_machine(char *out, size_t sz)
{
    char boot[64], ns[64];
    ssize_t n = read_small("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    ssize_t m = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    if (n < 36 || m <= 0)
        return false;
    boot[36] = '\0';
    ns[m] = '\0';
    unsigned long long inode;
    if (sscanf(ns, "pid:[%llu]", &inode) != 1)
        return false;
    snprintf(out, sz, "%s/%llu", boot, inode);
    return true;
}

void zk_owner_init(struct zk_owner *o)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = 0;
    /* splitmix64's finaliser spreads pid and clock over all bits; with
     * randomness it is a bijection and changes nothing. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z =
        r ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec * 1000000000u ^ (uint64_t)ts.tv_nsec;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    o->incarnation = z ? z : 1;

    char here[96];
    long long start = start_time((long)getpid());
    o->process[0] = '\0';
    if (this_machine(here, sizeof(here)) && start > 0)
        snprintf(o->process, sizeof(o->process), "%s/%ld/%lld", here, (long)getpid(), start);
}

bool zk_owner_process_gone(const char *process)
{
    char here[96];
    if (!process || !*process || !this_machine(here, sizeof(here)))
        return false;
    size_t hl = strlen(here);
    if (strncmp(process, here, hl) != 0 || process[hl] != '/')
        return false;
    long pid;
    long long start;
    char end;
    if (sscanf(process + hl + 1, "%ld/%lld%c", &pid, &start, &end) != 2 || pid <= 0 || start <= 0 ||
        pid == (long)getpid())
        return false;
    long long now = start_time(pid);
    return now == 0 || (now > 0 && now != start);
}
