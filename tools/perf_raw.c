/*
 * gregor-raw-limits: what this machine can do without a broker, measured
 * in the same run as a benchmark so ratios compare like with like.
 *
 *   gregor-raw-limits write DIR MIB CHUNK      sequential write() to DIR
 *   gregor-raw-limits fdatasync DIR CHUNK SECS write() + fdatasync() loop
 *   gregor-raw-limits copy DIR MIB CHUNK       read a cold file, write a copy
 *                                              (and fdatasync it): what a
 *                                              replica catching up costs the
 *                                              disk at least
 *   gregor-raw-limits tcp CHUNK SECS           one loopback TCP stream
 *   gregor-raw-limits rtt SIZE RATE SECS       paced request/response round
 *                                              trips over loopback TCP
 *
 * Each prints one JSON line: {"what":...,"mb_per_sec":...,"ops_per_sec":...};
 * rtt adds latency percentiles. rtt is the floor under any request latency
 * on this machine: one thread sends SIZE bytes at RATE per second, another
 * answers each with 16 bytes, and the sender times the answer. It measures
 * the wakeups and scheduling a broker and its clients cannot avoid either.
 * Files are created under DIR and removed again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "tools/perf_hist.h"

#define TOOL "gregor-raw-limits"

static void die(const char *what)
{
    fprintf(stderr, TOOL ": %s: %s\n", what, strerror(errno));
    exit(1);
}

static void report(const char *what, int64_t bytes, int64_t ops, int64_t us)
{
    double s = (double)us / 1e6;
    printf("{\"what\":\"%s\",\"bytes\":%lld,\"ops\":%lld,\"seconds\":%.6f,\"mb_per_sec\":%.2f,"
           "\"ops_per_sec\":%.2f}\n",
           what, (long long)bytes, (long long)ops, s, (double)bytes / s / 1e6, (double)ops / s);
}

static uint8_t *chunk_of(size_t n)
{
    uint8_t *b = malloc(n);
    if (!b)
        die("malloc");
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 131 + 7);
    return b;
}

static int open_in(const char *dir, char *path, size_t n)
{
    snprintf(path, n, "%s/gregor-raw-%d", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(path);
    return fd;
}

static void full_write(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write");
        b += w;
        n -= (size_t)w;
    }
}

static int cmd_write(const char *dir, long mib, long chunk)
{
    char path[4096];
    uint8_t *b = chunk_of((size_t)chunk);
    int fd = open_in(dir, path, sizeof(path));
    int64_t total = (int64_t)mib << 20, done = 0, ops = 0, t0 = clock_mono_us();
    while (done < total) {
        full_write(fd, b, (size_t)chunk);
        done += chunk;
        ops++;
    }
    int64_t us = clock_mono_us() - t0;
    close(fd);
    unlink(path);
    free(b);
    report("write", done, ops, us);
    return 0;
}

static int cmd_copy(const char *dir, long mib, long chunk)
{
    char src[4096], dst[4200];
    uint8_t *b = chunk_of((size_t)chunk);
    int fd = open_in(dir, src, sizeof(src));
    int64_t total = (int64_t)mib << 20;
    for (int64_t done = 0; done < total; done += chunk)
        full_write(fd, b, (size_t)chunk);
    /* Written, on the disk, and out of the page cache: the copy reads it
     * from the device. */
    if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
        die("fsync");
    close(fd);
    int in = open(src, O_RDONLY);
    if (in < 0)
        die(src);
    snprintf(dst, sizeof(dst), "%s.copy", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0)
        die(dst);
    int64_t done = 0, ops = 0, t0 = clock_mono_us();
    for (;;) {
        ssize_t r = read(in, b, (size_t)chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        if (r == 0)
            break;
        full_write(out, b, (size_t)r);
        done += r;
        ops++;
    }
    if (fdatasync(out))
        die("fdatasync");
    int64_t us = clock_mono_us() - t0;
    close(in);
    close(out);
    unlink(src);
    unlink(dst);
    free(b);
    report("copy", done, ops, us);
    return 0;
}

static int cmd_fdatasync(const char *dir, long chunk, double secs)
{
    char path[4096];
    uint8_t *b = chunk_of((size_t)chunk);
    int fd = open_in(dir, path, sizeof(path));
    int64_t done = 0, ops = 0, t0 = clock_mono_us(), until = t0 + (int64_t)(secs * 1e6), now;
    do {
        full_write(fd, b, (size_t)chunk);
        if (fdatasync(fd))
            die("fdatasync");
        done += chunk;
        ops++;
        now = clock_mono_us();
    } while (now < until);
    close(fd);
    unlink(path);
    free(b);
    report("fdatasync", done, ops, now - t0);
    return 0;
}

/* A connected pair of loopback TCP sockets with Nagle off on both ends
 * (*client, *server: the caller closes them). */
static void loopback_pair(int *client, int *server)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &al))
        die("listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
        die("connect");
    int srv = accept(ls, NULL, NULL);
    if (srv < 0)
        die("accept");
    close(ls);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *client = c;
    *server = srv;
}

struct tcp_rx {
    int fd;
    int64_t bytes;
};

static void *tcp_reader(void *arg)
{
    struct tcp_rx *rx = arg;
    uint8_t *b = malloc(1 << 20);
    ssize_t n;
    while (b && (n = read(rx->fd, b, 1 << 20)) > 0)
        rx->bytes += n;
    free(b);
    return NULL;
}

static int cmd_tcp(long chunk, double secs)
{
    int c;
    struct tcp_rx rx = {0, 0};
    loopback_pair(&c, &rx.fd);
    pthread_t th;
    if (pthread_create(&th, NULL, tcp_reader, &rx))
        die("pthread_create");
    uint8_t *b = chunk_of((size_t)chunk);
    int64_t ops = 0, t0 = clock_mono_us(), until = t0 + (int64_t)(secs * 1e6);
    while (clock_mono_us() < until) {
        full_write(c, b, (size_t)chunk);
        ops++;
    }
    shutdown(c, SHUT_WR);
    pthread_join(th, NULL);
    int64_t us = clock_mono_us() - t0;
    close(c);
    close(rx.fd);
    free(b);
    report("tcp", rx.bytes, ops, us);
    return 0;
}

struct rtt_srv {
    int fd;
    long size;
};

/* Answers each SIZE-byte message with 16 bytes until the peer closes. */
static void *rtt_server(void *arg)
{
    struct rtt_srv *s = arg;
    uint8_t *b = malloc((size_t)s->size), ack[16] = {0};
    for (;;) {
        long got = 0;
        while (b && got < s->size) {
            ssize_t n = read(s->fd, b + got, (size_t)(s->size - got));
            if (n <= 0)
                goto out;
            got += n;
        }
        full_write(s->fd, ack, sizeof(ack));
    }
out:
    free(b);
    return NULL;
}

static int cmd_rtt(long size, long rate, double secs)
{
    int c;
    struct rtt_srv srv = {0, size};
    loopback_pair(&c, &srv.fd);
    pthread_t th;
    if (pthread_create(&th, NULL, rtt_server, &srv))
        die("pthread_create");
    uint8_t *b = chunk_of((size_t)size), ack[16];
    static struct perf_hist h;
    perf_hist_reset(&h);
    int64_t n = (int64_t)((double)rate * secs), t0 = clock_mono_us();
    for (int64_t i = 0; i < n; i++) {
        int64_t due = t0 + i * 1000000 / rate;
        while (clock_mono_us() < due) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
        int64_t s = clock_mono_us();
        full_write(c, b, (size_t)size);
        size_t got = 0;
        while (got < sizeof(ack)) {
            ssize_t r = read(c, ack + got, sizeof(ack) - got);
            if (r <= 0)
                die("read");
            got += (size_t)r;
        }
        perf_hist_record(&h, clock_mono_us() - s);
    }
    int64_t us = clock_mono_us() - t0;
    shutdown(c, SHUT_WR);
    pthread_join(th, NULL);
    close(c);
    close(srv.fd);
    free(b);
    double sec = (double)us / 1e6;
    printf("{\"what\":\"rtt\",\"ops\":%lld,\"seconds\":%.6f,\"ops_per_sec\":%.2f,"
           "\"mb_per_sec\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
           "\"max_ms\":%.3f}\n",
           (long long)n, sec, (double)n / sec, (double)n * (double)size / sec / 1e6,
           (double)perf_hist_quantile_us(&h, 0.5) / 1000.0,
           (double)perf_hist_quantile_us(&h, 0.99) / 1000.0,
           (double)perf_hist_quantile_us(&h, 0.999) / 1000.0, (double)h.max_us / 1000.0);
    return 0;
}

static long num(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0) {
        fprintf(stderr, TOOL ": %s must be a positive number, not \"%s\"\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "write"))
        return cmd_write(argv[2], num(argv[3], "MIB"), num(argv[4], "CHUNK"));
    if (argc == 5 && !strcmp(argv[1], "fdatasync"))
        return cmd_fdatasync(argv[2], num(argv[3], "CHUNK"), (double)num(argv[4], "SECS"));
    if (argc == 5 && !strcmp(argv[1], "copy"))
        return cmd_copy(argv[2], num(argv[3], "MIB"), num(argv[4], "CHUNK"));
    if (argc == 4 && !strcmp(argv[1], "tcp"))
        return cmd_tcp(num(argv[2], "CHUNK"), (double)num(argv[3], "SECS"));
    if (argc == 5 && !strcmp(argv[1], "rtt"))
        return cmd_rtt(num(argv[2], "SIZE"), num(argv[3], "RATE"), (double)num(argv[4], "SECS"));
    fprintf(stderr, "usage: " TOOL " write DIR MIB CHUNK | fdatasync DIR CHUNK SECS | "
                    "copy DIR MIB CHUNK | tcp CHUNK SECS | rtt SIZE RATE SECS\n");
    return 2;
}
