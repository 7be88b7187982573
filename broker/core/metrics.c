/*
 * The broker's counters (see metrics.h): allocation and the recent window.
 */
#include "broker/core/metrics.h"

#include <stdlib.h>
#include <string.h>

/* Every window, the older recent window is emptied and filled next: a
 * quantile then covers between one and two windows of requests. */
static void window_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct metrics *m = w->data;
    (void)loop;
    (void)revents;
    m->cur ^= 1;
    for (int k = 0; k < METRICS_API_SLOTS; k++)
        memset(m->api[k].recent[m->cur], 0, sizeof(m->api[k].recent[m->cur]));
}

struct metrics *metrics_new(struct ev_loop *loop)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->zk_state = METRICS_ZK_CONNECTING;
    ev_timer_init(&m->window, window_cb, METRICS_WINDOW_S, METRICS_WINDOW_S);
    m->window.data = m;
    if (loop)
        ev_timer_start(loop, &m->window);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    if (m->loop)
        ev_timer_stop(m->loop, &m->window);
    free(m);
}
