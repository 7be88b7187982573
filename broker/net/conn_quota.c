/*
 * Connection limits (see conn_quota.h).
 */
#define LOG_COMPONENT "listener"
#include "broker/net/conn_quota.h"

#include <dirent.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "broker/core/broker_config.h"
#include "common/err.h"
#include "common/logger.h"
#include "common/strmap.h"

struct conn_quota {
    int32_t max;             /* max.connections in force (derived or set) */
    int32_t per_ip;          /* max.connections.per.ip */
    struct strmap overrides; /* address -> (void *)(limit + 1), resolved overrides */
    struct strmap counts;    /* address -> (void *)count of live connections */
};

int64_t conn_quota_reserve(int64_t in_use, int nlogs)
{
    return in_use + 2 * (int64_t)nlogs + CONN_QUOTA_SPARE_FDS;
}

/* Descriptors open in this process now, or -1 if /proc cannot tell. */
static int64_t fds_in_use(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* Decides max.connections and says where it came from. */
static void decide_max(struct conn_quota *q, const struct broker_config *cfg, int nlogs)
{
    const struct config_def *def = broker_config_find("max.connections");
    bool set = def && broker_config_source(cfg, def) != CONFIG_SRC_DEFAULT;
    struct rlimit rl;
    int64_t in_use = fds_in_use();
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || in_use < 0) {
        q->max = cfg->max_connections;
        LOG_INFO("max.connections=%d (%s; the open-file limit is unknown)", q->max,
                 set ? "set" : "Kafka's default");
        return;
    }
    int64_t limit = (int64_t)rl.rlim_cur;
    int64_t reserve = conn_quota_reserve(in_use, nlogs);
    int64_t room = limit > reserve ? limit - reserve : 0;
    if (room > INT32_MAX)
        room = INT32_MAX;
    if (!set) {
        q->max = (int32_t)room;
        LOG_INFO("max.connections=%d (from open-file limit %lld, reserving %lld for logs, "
                 "ZooKeeper and the listeners)",
                 q->max, (long long)limit, (long long)reserve);
        if (!room)
            LOG_WARN("the open-file limit %lld leaves no room for client connections after "
                     "%lld descriptors for logs and ZooKeeper: raise it (ulimit -n, LimitNOFILE "
                     "in a systemd unit)",
                     (long long)limit, (long long)reserve);
        return;
    }
    q->max = cfg->max_connections;
    if (q->max > room)
        LOG_WARN("max.connections=%d is above what the open-file limit allows: %lld, after "
                 "reserving %lld of %lld descriptors for logs and ZooKeeper. Past that, accepting "
                 "fails with EMFILE and log rolls and ZooKeeper reconnects may fail too: lower "
                 "max.connections or raise the open-file limit (ulimit -n)",
                 q->max, (long long)room, (long long)reserve, (long long)limit);
    else
        LOG_INFO("max.connections=%d (set; the open-file limit %lld leaves room for %lld)", q->max,
                 (long long)limit, (long long)room);
}

/* Resolves one override's host into q->overrides. */
static int add_override(struct conn_quota *q, const struct config_ip_override *o, char *errstr,
                        size_t errsz)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(o->host, NULL, &hints, &ai);
    if (rc) {
        snprintf(errstr, errsz,
                 "max.connections.per.ip.overrides names %s, which does not resolve (%s): fix "
                 "or remove the entry",
                 o->host, gai_strerror(rc));
        return GR_E_CONFIG;
    }
    for (struct addrinfo *a = ai; a && !rc; a = a->ai_next) {
        char host[NI_MAXHOST];
        if (!getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST))
            rc = strmap_put(&q->overrides, host, (void *)(uintptr_t)((uint32_t)o->count + 1u));
    }
    freeaddrinfo(ai);
    if (rc)
        snprintf(errstr, errsz, "out of memory for max.connections.per.ip.overrides");
    return rc;
}

struct conn_quota *conn_quota_new(const struct broker_config *cfg, int nlogs, char *errstr,
                                  size_t errsz)
{
    struct conn_quota *q = calloc(1, sizeof(*q));
    if (!q) {
        snprintf(errstr, errsz, "out of memory for the connection limits");
        return NULL;
    }
    strmap_init(&q->overrides);
    strmap_init(&q->counts);
    q->per_ip = cfg->max_connections_per_ip;
    for (int i = 0; i < cfg->n_ip_overrides; i++)
        if (add_override(q, &cfg->ip_overrides[i], errstr, errsz)) {
            conn_quota_free(q);
            return NULL;
        }
    decide_max(q, cfg, nlogs);
    return q;
}

void conn_quota_free(struct conn_quota *q)
{
    if (!q)
        return;
    strmap_destroy(&q->overrides);
    strmap_destroy(&q->counts);
    free(q);
}

int32_t conn_quota_max(const struct conn_quota *q)
{
    return q->max;
}

int32_t conn_quota_ip_limit(const struct conn_quota *q, const char *ip)
{
    uintptr_t o = (uintptr_t)strmap_get(&q->overrides, ip);
    return o ? (int32_t)(o - 1) : q->per_ip;
}

enum conn_quota_verdict conn_quota_admit(struct conn_quota *q, const char *ip, int nconns)
{
    uintptr_t n = (uintptr_t)strmap_get(&q->counts, ip);
    if (n >= (uintptr_t)conn_quota_ip_limit(q, ip))
        return CONN_QUOTA_PER_IP;
    if (nconns >= q->max)
        return CONN_QUOTA_TOTAL;
    /* Out of memory for the count: admit uncounted rather than refuse a
     * client for the broker's own trouble; release finds no entry. */
    strmap_put(&q->counts, ip, (void *)(n + 1));
    return CONN_QUOTA_OK;
}

void conn_quota_release(struct conn_quota *q, const char *ip)
{
    uintptr_t n = (uintptr_t)strmap_get(&q->counts, ip);
    if (n > 1)
        strmap_put(&q->counts, ip, (void *)(n - 1));
    else if (n == 1)
        strmap_del(&q->counts, ip);
}
