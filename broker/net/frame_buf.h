/*
 * Memory for received frames: what link.c reads a request or a response
 * into, and what request.c and client.c free once the frame is handled.
 *
 * Large frames (Produce requests of bulk records, replica Fetch responses)
 * are read into buffers kept in a bounded pool of power-of-two sizes, so a
 * stream of 1 MB requests reuses the same few buffers: no fresh pages faulted
 * in (and zeroed) per request, which on a virtual machine costs more than the
 * copy from the socket (docs/BENCHMARKS.md §11), and no realloc chain. Small
 * frames come from malloc. Both are returned with frame_buf_free.
 *
 * Thread-safe (a mutex around the pool), though today every caller runs on
 * the broker's loop.
 */
#ifndef GREGOR_FRAME_BUF_H
#define GREGOR_FRAME_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Smallest pooled buffer; below it frames use malloc. */
#define FRAME_BUF_POOL_MIN (64 * 1024)
/* Largest pooled buffer: larger frames are malloc'd and freed. */
#define FRAME_BUF_POOL_MAX (64 * 1024 * 1024)
/* Free bytes the pool keeps at most, all sizes together. */
#define FRAME_BUF_POOL_KEEP (64 * 1024 * 1024)

/* A buffer of at least size bytes (size 0 allowed). *cap, if not NULL, gets
 * the bytes usable. Returns owned memory for frame_buf_free, or NULL. */
uint8_t *frame_buf_alloc(size_t size, size_t *cap);

/* The bytes usable in p (from frame_buf_alloc). */
size_t frame_buf_cap(const uint8_t *p);

/* Returns p (from frame_buf_alloc; NULL allowed) to the pool or to malloc. */
void frame_buf_free(uint8_t *p);

/* Bytes of free buffers the pool holds now (tests, diagnostics). */
size_t frame_buf_pooled(void);

/* Frees every pooled buffer (shutdown, leak checks). */
void frame_buf_trim(void);

#endif
