/*
 * Removing the committed offsets of deleted topics (see group_purge.h).
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/core/delay.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"

#define OPS_MAX      900 /* below zk_client_multi's 1000 */
#define RETRY_MS     1000
#define RETRY_MAX_MS 30000
#define PATH_MAX_LEN 1024

static const char *const trees[] = {"offsets", "offsets_metadata"};
#define NTREES ((int)(sizeof(trees) / sizeof(trees[0])))

struct group_purge {
    struct broker *b;          /* borrowed */
    struct group_purge **list; /* the coordinator's list; NULL once stopped */
    struct group_purge *next;  /* in the list */
    char *group;               /* owned */
    char **topics;             /* owned, ntopics of them */
    int ntopics;
    int inflight;            /* listings outstanding */
    int failed;              /* listings that failed this round */
    char **children, **dirs; /* what the multi deletes, children first; owned */
    int nchildren, ndirs;
    int backoff_ms;        /* the next retry's wait */
    struct delay_op retry; /* the retry timer */
};

static void paths_free(struct group_purge *j)
{
    for (int i = 0; i < j->nchildren; i++)
        free(j->children[i]);
    for (int i = 0; i < j->ndirs; i++)
        free(j->dirs[i]);
    j->nchildren = j->ndirs = 0;
}

static void job_free(struct group_purge *j)
{
    if (j->list)
        for (struct group_purge **pp = j->list; *pp; pp = &(*pp)->next)
            if (*pp == j) {
                *pp = j->next;
                break;
            }
    paths_free(j);
    free(j->children);
    free(j->dirs);
    for (int i = 0; i < j->ntopics; i++)
        free(j->topics[i]);
    free(j->topics);
    free(j->group);
    free(j);
}

static void list_all(struct group_purge *j);

static void retry_later(struct group_purge *j, const char *what, int rc)
{
    LOG_RATE(LOGGER_WARN,
             "group %s: removing the offsets of deleted topics: %s failed (%s); "
             "retrying in %d ms",
             j->group, what, gr_strerror(rc), j->backoff_ms);
    delay_start(j->b->delay, &j->retry, j->backoff_ms);
    j->backoff_ms = j->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : j->backoff_ms * 2;
}

static void retry_due(struct delay_op *op, bool timed_out)
{
    (void)timed_out;
    struct group_purge *j =
        (struct group_purge *)(void *)((char *)op - offsetof(struct group_purge, retry));
    list_all(j);
}

static void deleted(int rc, const struct zk_op_result *res, int n, void *ctx)
{
    (void)res;
    (void)n;
    struct group_purge *j = ctx;
    bool partial = j->nchildren > OPS_MAX;
    paths_free(j);
    if (!j->list || rc == GR_E_CLOSING) {
        job_free(j);
    } else if (rc) {
        retry_later(j, "the multi", rc);
    } else if (partial) {
        list_all(j); /* the rest of a tree too big for one multi */
    } else {
        LOG_INFO("group %s: removed the committed offsets of %d deleted topics from ZooKeeper",
                 j->group, j->ntopics);
        job_free(j);
    }
}

static void send_multi(struct group_purge *j)
{
    int n = j->nchildren > OPS_MAX ? OPS_MAX : j->nchildren + j->ndirs;
    if (n == 0) {
        job_free(j); /* nothing left in ZooKeeper */
        return;
    }
    struct zk_op *ops = calloc((size_t)n, sizeof(*ops));
    if (!ops) {
        retry_later(j, "allocating the multi", GR_E_NOMEM);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *p = i < j->nchildren ? j->children[i] : j->dirs[i - j->nchildren];
        ops[i] = zk_client_op_delete(p, ZK_ANY_VERSION);
    }
    int rc = j->b->zk ? zk_client_multi(j->b->zk, ops, n, deleted, j) : GR_E_STATE;
    free(ops);
    if (rc) {
        paths_free(j);
        retry_later(j, "sending the multi", rc);
    }
}

static bool push(char ***arr, int *n, const char *path)
{
    char **a = realloc(*arr, (size_t)(*n + 1) * sizeof(**arr));
    if (!a)
        return false;
    *arr = a;
    if (!(a[*n] = strdup(path)))
        return false;
    ++*n;
    return true;
}

/* One listing of a topic's directory, its path in dir (owned). */
struct listing {
    struct group_purge *j;
    char *dir;
};

static void listed(int rc, const char *const *names, int n, const struct zk_stat *stat, void *ctx)
{
    (void)stat;
    struct listing *l = ctx;
    struct group_purge *j = l->j;
    if (rc == GR_OK) {
        char path[PATH_MAX_LEN];
        for (int i = 0; i < n; i++) {
            int len = snprintf(path, sizeof(path), "%s/%s", l->dir, names[i]);
            if (len <= 0 || (size_t)len >= sizeof(path) || !push(&j->children, &j->nchildren, path))
                j->failed++;
        }
        if (!push(&j->dirs, &j->ndirs, l->dir))
            j->failed++;
    } else if (rc != GR_E_NOENT) {
        j->failed++; /* GR_E_NOENT: that tree never had the topic, or it is gone */
    }
    free(l->dir);
    free(l);
    if (--j->inflight > 0)
        return;
    if (!j->list || rc == GR_E_CLOSING) {
        job_free(j);
    } else if (j->failed) {
        paths_free(j);
        retry_later(j, "listing the znodes", GR_E_STATE);
    } else {
        send_multi(j);
    }
}

static void list_all(struct group_purge *j)
{
    j->failed = 0;
    paths_free(j);
    j->inflight = 1; /* held until every listing is sent */
    char path[PATH_MAX_LEN];
    for (int t = 0; t < j->ntopics; t++)
        for (int k = 0; k < NTREES; k++) {
            int len = snprintf(path, sizeof(path), "/consumers/%s/%s/%s", j->group, trees[k],
                               j->topics[t]);
            struct listing *l = calloc(1, sizeof(*l));
            if (len <= 0 || (size_t)len >= sizeof(path) || !l || !(l->dir = strdup(path))) {
                free(l);
                j->failed++;
                continue;
            }
            l->j = j;
            j->inflight++;
            int rc =
                j->b->zk ? zk_client_get_children(j->b->zk, path, NULL, listed, l) : GR_E_STATE;
            if (rc)
                listed(rc, NULL, 0, NULL, l);
        }
    /* the hold: the last listing back (maybe this one) decides */
    struct listing *hold = calloc(1, sizeof(*hold));
    if (hold) {
        hold->j = j;
        listed(GR_E_NOENT, NULL, 0, NULL, hold);
    } else if (--j->inflight == 0) {
        retry_later(j, "listing the znodes", GR_E_NOMEM);
    }
}

int group_purge_start(struct broker *b, struct group_purge **list, const char *group,
                      const char *const *topics, int ntopics)
{
    struct group_purge *j = calloc(1, sizeof(*j));
    if (!j || !(j->group = strdup(group)) ||
        !(j->topics = calloc((size_t)ntopics + 1, sizeof(*j->topics)))) {
        if (j)
            free(j->group);
        free(j);
        return GR_E_NOMEM;
    }
    j->b = b;
    for (; j->ntopics < ntopics; j->ntopics++)
        if (!(j->topics[j->ntopics] = strdup(topics[j->ntopics]))) {
            job_free(j);
            return GR_E_NOMEM;
        }
    j->backoff_ms = RETRY_MS;
    delay_op_init(&j->retry, NULL, retry_due);
    j->list = list;
    j->next = *list;
    *list = j;
    list_all(j);
    return 0;
}

void group_purge_stop_all(struct group_purge **list)
{
    struct group_purge *j = *list;
    *list = NULL;
    while (j) {
        struct group_purge *next = j->next;
        j->list = NULL;
        if (j->inflight == 0 && !j->nchildren && !j->ndirs) {
            delay_cancel(j->b->delay, &j->retry);
            job_free(j);
        }
        j = next;
    }
}
