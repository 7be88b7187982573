/*
 * The frame buffer pool (see frame_buf.h). Each buffer carries a 16-byte
 * header before the bytes handed out: its capacity, so frame_buf_free knows
 * the size class without the caller keeping it, and 16-byte alignment stays.
 */
#include "broker/net/frame_buf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define HDR 16
/* Size classes 2^16 .. 2^26. */
#define MIN_SHIFT 16
#define MAX_SHIFT 26
#define NCLASSES  (MAX_SHIFT - MIN_SHIFT + 1)

struct hdr {
    size_t cap;     /* usable bytes after the header */
    struct hdr *next; /* free list link while pooled */
};

_Static_assert(sizeof(struct hdr) <= HDR, "the header fits before the bytes");

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hdr *pool[NCLASSES]; /* free buffers per class */
static size_t pooled_bytes;        /* capacity of all of them */

/* The class whose buffers hold size bytes, or -1 outside the pooled range. */
static int class_of(size_t size)
{
    if (size < FRAME_BUF_POOL_MIN || size > FRAME_BUF_POOL_MAX)
        return -1;
    int k = MIN_SHIFT;
    while (((size_t)1 << k) < size)
        k++;
    return k - MIN_SHIFT;
}

uint8_t *frame_buf_alloc(size_t size, size_t *cap)
{
    int k = class_of(size);
    struct hdr *h = NULL;
    if (k >= 0) {
        pthread_mutex_lock(&pool_lock);
        h = pool[k];
        if (h) {
            pool[k] = h->next;
            pooled_bytes -= h->cap;
        }
        pthread_mutex_unlock(&pool_lock);
        size = (size_t)1 << (k + MIN_SHIFT);
    }
    if (!h) {
        h = malloc(HDR + (size ? size : 1));
        if (!h)
            return NULL;
        h->cap = size;
    }
    if (cap)
        *cap = h->cap;
    return (uint8_t *)h + HDR;
}

size_t frame_buf_cap(const uint8_t *p)
{
    return ((const struct hdr *)(const void *)(p - HDR))->cap;
}

void frame_buf_free(uint8_t *p)
{
    if (!p)
        return;
    struct hdr *h = (struct hdr *)(void *)(p - HDR);
    int k = class_of(h->cap);
    if (k >= 0 && h->cap == (size_t)1 << (k + MIN_SHIFT)) {
        bool kept = false;
        pthread_mutex_lock(&pool_lock);
        if (pooled_bytes + h->cap <= FRAME_BUF_POOL_KEEP) {
            h->next = pool[k];
            pool[k] = h;
            pooled_bytes += h->cap;
            kept = true;
        }
        pthread_mutex_unlock(&pool_lock);
        if (kept)
            return;
    }
    free(h);
}

size_t frame_buf_pooled(void)
{
    pthread_mutex_lock(&pool_lock);
    size_t n = pooled_bytes;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

void frame_buf_trim(void)
{
    pthread_mutex_lock(&pool_lock);
    for (int k = 0; k < NCLASSES; k++) {
        while (pool[k]) {
            struct hdr *h = pool[k];
            pool[k] = h->next;
            free(h);
        }
    }
    pooled_bytes = 0;
    pthread_mutex_unlock(&pool_lock);
}
