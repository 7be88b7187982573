/*
 * A pretend one-broker cluster that records every request frame it gets, for
 * building tests/fuzz/corpus/ from real clients (tests/fuzz/capture-corpus
 * drives kcat, kafka-python and confluent-kafka-python against it).
 *
 *   capture_broker PORT OUTDIR PREFIX SECONDS
 *
 * Listens on 127.0.0.1:PORT, saves each request frame (without its size
 * prefix) as OUTDIR/PREFIX-NNNN-Api-vN.bin, and answers with
 * fuzz_respond(), so clients see gregor's encoders and advertised versions
 * and go on to their next request. Exits after SECONDS or on SIGTERM.
 *
 * Not a broker: one thread, blocking writes, nothing stored; good enough for
 * a handful of local clients and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/proto/proto_api.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "tests/fuzz/fuzz_respond.h"

#define MAX_CLIENTS 64

struct client {
    int fd;        /* connection, -1 when the slot is free */
    struct buf in; /* bytes received and not yet framed */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void save_frame(const char *dir, const char *prefix, const uint8_t *frame, size_t len)
{
    static unsigned seq;
    int16_t key = len >= 4 ? (int16_t)be16_load(frame) : -1;
    int16_t version = len >= 4 ? (int16_t)be16_load(frame + 2) : -1;
    const char *name = proto_api_name(key);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%04u-%s-v%d.bin", dir, prefix, seq++,
             name ? name : "Unknown", version);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(frame, 1, len, f) != len) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* Handles every complete frame in c->in. Returns -1 to drop the client. */
static int serve(struct client *c, struct fuzz_respond_cfg *cfg, const char *dir,
                 const char *prefix)
{
    size_t off = 0;
    int rc = 0;
    while (c->in.len - off >= 4) {
        uint32_t size = be32_load(c->in.data + off);
        if (size > 100 * 1024 * 1024) {
            rc = -1;
            break;
        }
        if (c->in.len - off - 4 < size)
            break;
        const uint8_t *frame = c->in.data + off + 4;
        save_frame(dir, prefix, frame, size);
        off += 4 + (size_t)size;
        /* Fetch with no data would be answered at once and spin the client;
         * a short pause stands in for max_wait_ms. */
        if (size >= 2 && be16_load(frame) == PROTO_API_FETCH)
            usleep(100 * 1000);
        struct proto_out o;
        proto_out_init(&o);
        char why[256] = "";
        int r = fuzz_respond(frame, size, cfg, &o, why, sizeof(why));
        fprintf(stderr, "capture_broker: %s %s v%d: %s\n", prefix,
                size >= 2 && proto_api_name((int16_t)be16_load(frame))
                    ? proto_api_name((int16_t)be16_load(frame))
                    : "?",
                size >= 4 ? (int16_t)be16_load(frame + 2) : -1,
                r == FUZZ_RESPONDED     ? "answered"
                : r == FUZZ_NO_RESPONSE ? "no response"
                                        : why);
        struct buf flat;
        buf_init(&flat);
        if (r == FUZZ_RESPONDED &&
            (proto_out_copy_to(&o, &flat) || write_all(c->fd, flat.data, flat.len)))
            r = -1;
        buf_destroy(&flat);
        proto_out_destroy(&o);
        if (r < 0) {
            rc = -1;
            break;
        }
    }
    memmove(c->in.data, c->in.data + off, c->in.len - off);
    c->in.len -= off;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: capture_broker PORT OUTDIR PREFIX SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *dir = argv[2], *prefix = argv[3];
    time_t deadline = time(NULL) + atoi(argv[4]);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16)) {
        perror("capture_broker: bind/listen");
        return 1;
    }
    struct fuzz_respond_cfg cfg = {
        .node_id = 1, .host = "127.0.0.1", .port = port, .records_fd = -1};
    struct client clients[MAX_CLIENTS];
    for (int i = 0; i < MAX_CLIENTS; i++) {
        clients[i].fd = -1;
        buf_init(&clients[i].in);
    }
    while (!stopping && time(NULL) < deadline) {
        struct pollfd pfd[MAX_CLIENTS + 1];
        int map[MAX_CLIENTS + 1];
        int n = 0;
        pfd[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
        map[n++] = -1;
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
                map[n++] = i;
            }
        }
        if (poll(pfd, (nfds_t)n, 200) <= 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            if (map[k] < 0) {
                int fd = accept(lfd, NULL, NULL);
                int slot = 0;
                while (slot < MAX_CLIENTS && clients[slot].fd >= 0)
                    slot++;
                if (fd >= 0 && slot < MAX_CLIENTS)
                    clients[slot].fd = fd;
                else if (fd >= 0)
                    close(fd);
                continue;
            }
            struct client *c = &clients[map[k]];
            ssize_t got = -1;
            uint8_t *p = buf_grow(&c->in, 65536);
            if (p) {
                got = read(c->fd, p, 65536);
                c->in.len -= 65536 - (got > 0 ? (size_t)got : 0);
            }
            if (got <= 0 || serve(c, &cfg, dir, prefix)) {
                close(c->fd);
                c->fd = -1;
                buf_reset(&c->in);
            }
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i].fd >= 0)
            close(clients[i].fd);
        buf_destroy(&clients[i].in);
    }
    close(lfd);
    return 0;
}
