/*
 * The append verifier thread (see log_verify.h). One job slot guarded by a
 * mutex; the loop waits on a condition variable, which for the large appends
 * that come here costs little next to the copy it overlaps.
 */
#include "broker/log/log_verify.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum job_state { IDLE, WORK, DONE, STOP };

struct log_verifier {
    pthread_t thread;                  /* the verifier */
    pthread_mutex_t lock;              /* guards everything below */
    pthread_cond_t cond;               /* state changed */
    enum job_state state;              /* the slot */
    const uint8_t *data;               /* the job's batches; borrowed */
    const struct log_batch_hdr *hdrs;  /* their headers; borrowed */
    int n;                             /* batches */
    struct log_batch_limits lim;       /* the leader's limits */
    int rc;                            /* the result */
    int64_t inflated;                  /* bytes its compressed batches inflated */
    char why[256];                     /* its reason */
};

static void *run(void *arg)
{
    struct log_verifier *v = arg;
    pthread_mutex_lock(&v->lock);
    for (;;) {
        while (v->state != WORK && v->state != STOP)
            pthread_cond_wait(&v->cond, &v->lock);
        if (v->state == STOP)
            break;
        pthread_mutex_unlock(&v->lock);
        int rc = 0;
        char why[256] = "";
        size_t off = 0;
        int64_t total = 0;
        for (int i = 0; i < v->n && !rc; i++) {
            int64_t k;
            rc = log_batch_verify(v->data + off, &v->hdrs[i], &v->lim, &k, why, sizeof(why));
            v->lim.inflate_left -= k; /* only this thread reads lim during a job */
            total += k;
            off += (size_t)log_batch_size(&v->hdrs[i]);
        }
        pthread_mutex_lock(&v->lock);
        v->rc = rc;
        v->inflated = total;
        memcpy(v->why, why, sizeof(why));
        v->state = DONE;
        pthread_cond_broadcast(&v->cond);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

struct log_verifier *log_verifier_new(void)
{
    struct log_verifier *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->cond, NULL);
    if (pthread_create(&v->thread, NULL, run, v)) {
        pthread_mutex_destroy(&v->lock);
        pthread_cond_destroy(&v->cond);
        free(v);
        return NULL;
    }
    return v;
}

void log_verifier_free(struct log_verifier *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&v->lock);
    v->state = STOP;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    pthread_join(v->thread, NULL);
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->cond);
    free(v);
}

void log_verifier_start(struct log_verifier *v, const uint8_t *data,
                        const struct log_batch_hdr *hdrs, int n,
                        const struct log_batch_limits *lim)
{
    pthread_mutex_lock(&v->lock);
    v->data = data;
    v->hdrs = hdrs;
    v->n = n;
    v->lim = *lim;
    v->state = WORK;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
}

int log_verifier_wait(struct log_verifier *v, int64_t *inflated, char *why, size_t whysz)
{
    pthread_mutex_lock(&v->lock);
    while (v->state != DONE)
        pthread_cond_wait(&v->cond, &v->lock);
    int rc = v->rc;
    *inflated = v->inflated;
    if (rc)
        snprintf(why, whysz, "%s", v->why);
    v->state = IDLE;
    v->data = NULL;
    v->hdrs = NULL;
    pthread_mutex_unlock(&v->lock);
    return rc;
}
