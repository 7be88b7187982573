/*
 * Received frames' memory (broker/net/frame_buf.c) and the link reading
 * frames larger than its first 1 MiB buffer (broker/net/link.c) over a real
 * socket.
 */
#include <ev.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/net/frame_buf.h"
#include "broker/net/link.h"
#include "broker/net/transport.h"
#include "common/bytes.h"
#include "tests/unit/testutil.h"

static void test_pool(void)
{
    frame_buf_trim();
    size_t cap;
    /* Small frames: malloc'd at their size. */
    uint8_t *s = frame_buf_alloc(100, &cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(cap, 100);
    CU_ASSERT_EQUAL(frame_buf_cap(s), 100);
    memset(s, 1, 100);
    frame_buf_free(s);
    uint8_t *z = frame_buf_alloc(0, &cap);
    CU_ASSERT_PTR_NOT_NULL(z);
    CU_ASSERT_EQUAL(cap, 0);
    frame_buf_free(z);
    frame_buf_free(NULL);
    /* Large ones: a power of two, and the same buffer again once freed. */
    uint8_t *a = frame_buf_alloc(1000000, &cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(cap, 1u << 20);
    memset(a, 2, cap);
    frame_buf_free(a);
    uint8_t *b = frame_buf_alloc(700000, &cap);
    CU_ASSERT_PTR_EQUAL(b, a);
    CU_ASSERT_EQUAL(cap, 1u << 20);
    /* Another class does not take it. */
    uint8_t *c = frame_buf_alloc(3u << 20, &cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(cap, 4u << 20);
    CU_ASSERT_PTR_NOT_EQUAL(c, b);
    frame_buf_free(b);
    frame_buf_free(c);
    /* The pool keeps at most FRAME_BUF_POOL_KEEP bytes: of 80 freed 1 MiB
     * buffers, it keeps 64; allocations take them back. */
    enum { N = 80 };
    uint8_t *v[N];
    frame_buf_trim();
    CU_ASSERT_EQUAL(frame_buf_pooled(), 0);
    for (int i = 0; i < N; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(v[i] = frame_buf_alloc(1u << 20, NULL));
    for (int i = 0; i < N; i++)
        frame_buf_free(v[i]);
    CU_ASSERT_EQUAL(frame_buf_pooled(), FRAME_BUF_POOL_KEEP);
    for (int i = 0; i < N; i++)
        v[i] = frame_buf_alloc(1u << 20, NULL);
    CU_ASSERT_EQUAL(frame_buf_pooled(), 0);
    for (int i = 0; i < N; i++)
        frame_buf_free(v[i]);
    /* Beyond the largest class: plain malloc, not pooled. */
    frame_buf_trim();
    uint8_t *huge = frame_buf_alloc((size_t)FRAME_BUF_POOL_MAX + 1, &cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
    CU_ASSERT_EQUAL(cap, (size_t)FRAME_BUF_POOL_MAX + 1);
    frame_buf_free(huge);
    CU_ASSERT_EQUAL(frame_buf_pooled(), 0);
    frame_buf_trim();
}

/* ---- a link reading frames of 3 MiB, 1 MiB + 1 and 10 bytes ---- */

static const size_t sizes[] = {3u << 20, (1u << 20) + 1, 10, 1u << 20, 40000};
#define NFRAMES (sizeof(sizes) / sizeof(sizes[0]))

struct rx {
    size_t got;       /* frames delivered */
    bool bad;         /* a frame's bytes or size were wrong */
    int64_t held;     /* what held() says is held now */
    int64_t held_max; /* the most it ever held */
    bool failed;
};
static struct rx R;

static uint8_t pattern(size_t frame, size_t i)
{
    return (uint8_t)(i * 31 + frame * 7 + (i >> 13));
}

static void on_frame(struct link *l, uint8_t *frame, size_t len)
{
    if (R.got >= NFRAMES || len != sizes[R.got]) {
        R.bad = true;
    } else {
        for (size_t i = 0; i < len; i++)
            if (frame[i] != pattern(R.got, i)) {
                R.bad = true;
                break;
            }
    }
    R.got++;
    frame_buf_free(frame);
    if (R.got == NFRAMES)
        ev_break(l->loop, EVBREAK_ALL);
}

static void on_failed(struct link *l, int err, const char *why)
{
    (void)err;
    (void)why;
    R.failed = true;
    ev_break(l->loop, EVBREAK_ALL);
}

static void on_held(struct link *l, ptrdiff_t delta)
{
    (void)l;
    R.held += delta;
    if (R.held > R.held_max)
        R.held_max = R.held;
}

static void *writer(void *arg)
{
    int fd = *(int *)arg;
    for (size_t f = 0; f < NFRAMES; f++) {
        uint8_t *b = malloc(4 + sizes[f]);
        be32_store(b, (uint32_t)sizes[f]);
        for (size_t i = 0; i < sizes[f]; i++)
            b[4 + i] = pattern(f, i);
        /* Dribbled in uneven pieces so reads end anywhere. */
        size_t off = 0, step = 777;
        while (off < 4 + sizes[f]) {
            size_t n = 4 + sizes[f] - off < step ? 4 + sizes[f] - off : step;
            ssize_t w = write(fd, b + off, n);
            if (w <= 0)
                break;
            off += (size_t)w;
            step = step * 3 % 200003 + 1;
        }
        free(b);
    }
    return NULL;
}

static void test_link_big_frames(void)
{
    int sv[2];
    CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CU_ASSERT_EQUAL_FATAL(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
    memset(&R, 0, sizeof(R));
    static const struct link_ops ops = {on_frame, on_failed, on_held};
    struct transport tr;
    transport_plain_init(&tr, sv[0]);
    struct link l;
    CU_ASSERT_EQUAL_FATAL(link_init(&l, loop, &tr, &ops, 8 << 20, "socket.request.max.bytes"), 0);
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, writer, &sv[1]), 0);
    ev_run(loop, 0);
    pthread_join(t, NULL);
    CU_ASSERT_FALSE(R.failed);
    CU_ASSERT_FALSE(R.bad);
    CU_ASSERT_EQUAL(R.got, NFRAMES);
    CU_ASSERT_EQUAL(R.held, 0);
    /* The 3 MiB frame held its 1 MiB first buffer and its own 4 MiB one,
     * never more. */
    CU_ASSERT(R.held_max >= 4 << 20);
    CU_ASSERT(R.held_max <= 5 << 20);
    link_destroy(&l);
    close(sv[1]);
    ev_loop_destroy(loop);
    frame_buf_trim();
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"pooled buffers: classes, reuse, the bound", test_pool},
        {"a link reads frames past its first 1 MiB buffer intact", test_link_big_frames},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"frame_buf", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_frame_buf", suites);
}
