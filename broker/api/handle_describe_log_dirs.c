/*
 * DescribeLogDirs: for each of this broker's log.dirs, the partitions whose
 * logs live there (every one, or those the request names), with the bytes
 * of their segments. Answered from the logs' own counters; nothing is read
 * from disk. Partitions asked for that are not here are left out, as Kafka
 * does. offset_lag is Kafka's: max(high watermark - log end offset, 0) for
 * a current log, so 0; gregor has no future logs (no
 * AlterReplicaLogDirs), so is_future_key is always false. A log taken
 * offline by an I/O error is still listed (gregor takes single logs
 * offline, not whole directories, so no directory answers
 * KAFKA_STORAGE_ERROR).
 */
#include <stdlib.h>
#include <string.h>

#include "broker/api/handler_util.h"
#include "broker/api/handlers.h"
#include "broker/core/broker.h"
#include "broker/core/broker_config.h"
#include "broker/log/log.h"
#include "broker/log/log_manager.h"
#include "broker/net/request.h"
#include "broker/proto/proto_msg.h"
#include "common/arena.h"

/* Whether log l lives directly in dir (its partition directory's parent). */
static bool in_dir(const struct log *l, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(l->dir, dir, n) && l->dir[n] == '/' && !strchr(l->dir + n + 1, '/');
}

static bool wanted(const struct proto_DescribeLogDirsRequest *r, const struct log *l)
{
    if (r->topics_count < 0)
        return true;
    size_t tn = strlen(l->topic);
    for (int32_t t = 0; t < r->topics_count; t++) {
        const struct proto_DescribableLogDirTopic *dt = &r->topics[t];
        if (dt->topic.len != (int32_t)tn || memcmp(dt->topic.ptr, l->topic, tn))
            continue;
        for (int32_t k = 0; k < dt->partition_index_count; k++)
            if (dt->partition_index[k] == l->partition)
                return true;
    }
    return false;
}

static int by_topic_partition(const void *a, const void *b)
{
    const struct log *x = *(const struct log *const *)a, *y = *(const struct log *const *)b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Fills res with the logs of dir that r asks for. Returns 0 or -1 (out of
 * memory). */
static int describe_dir(struct request *req, const char *dir,
                        const struct proto_DescribeLogDirsRequest *r,
                        struct proto_DescribeLogDirsResult *res)
{
    struct broker *b = req->b;
    size_t it = 0;
    int n = 0;
    struct log *l;
    while ((l = log_manager_next(b->logs, &it)))
        n += in_dir(l, dir) && wanted(r, l);
    res->log_dir = proto_str_cstr(dir);
    if (!n)
        return 0;
    struct log **logs = arena_calloc(&req->arena, (size_t)n, sizeof(*logs));
    struct proto_DescribeLogDirsTopic *topics = arena_calloc(&req->arena, (size_t)n,
                                                             sizeof(*topics));
    struct proto_DescribeLogDirsPartition *parts = arena_calloc(&req->arena, (size_t)n,
                                                                sizeof(*parts));
    if (!logs || !topics || !parts)
        return -1;
    int k = 0;
    it = 0;
    while ((l = log_manager_next(b->logs, &it)) && k < n)
        if (in_dir(l, dir) && wanted(r, l))
            logs[k++] = l;
    qsort(logs, (size_t)k, sizeof(*logs), by_topic_partition);
    int nt = 0;
    for (int i = 0; i < k; i++) {
        l = logs[i];
        if (!nt || strcmp(logs[i - 1]->topic, l->topic))
            topics[nt++] = (struct proto_DescribeLogDirsTopic){.name = proto_str_cstr(l->topic),
                                                               .partitions = &parts[i]};
        int64_t lag = l->high_watermark - log_end_offset(l);
        parts[i] = (struct proto_DescribeLogDirsPartition){.partition_index = l->partition,
                                                           .partition_size = log_size(l),
                                                           .offset_lag = lag > 0 ? lag : 0};
        topics[nt - 1].partitions_count++;
    }
    res->topics = topics;
    res->topics_count = nt;
    return 0;
}

void handle_DescribeLogDirs(struct request *req)
{
    const struct proto_DescribeLogDirsRequest *r = req->body;
    const struct broker_config *cfg = req->b->cfg;
    struct proto_DescribeLogDirsResult *res =
        arena_calloc(&req->arena, (size_t)cfg->n_log_dirs + 1, sizeof(*res));
    if (!res) {
        request_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < cfg->n_log_dirs; i++)
        if (describe_dir(req, cfg->log_dir_list[i], r, &res[i])) {
            request_fail(req, "out of memory");
            return;
        }
    struct proto_DescribeLogDirsResponse resp = {.results = res,
                                                 .results_count = cfg->n_log_dirs};
    req_respond(req, DescribeLogDirs, &resp);
}
