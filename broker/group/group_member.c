/*
 * A group member's own data (see group_member.h).
 */
#include "broker/group/group_member.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/clock.h"

#include "common/err.h"

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

struct group_member *group_member_new(struct group *g, char *id, const struct group_join_params *p,
                                      void (*expired)(struct delay_op *op, bool timed_out))
{
    struct group_member *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->g = g;
    m->id = id;
    m->client_id = dup_or_empty(p->client_id);
    m->client_host = dup_or_empty(p->client_host);
    m->instance_id = p->instance_id ? strdup(p->instance_id) : NULL;
    delay_op_init(&m->session, NULL, expired);
    if (!m->client_id || !m->client_host || (p->instance_id && !m->instance_id) ||
        group_member_set_protocols(m, p)) {
        m->id = NULL;
        group_member_free(m);
        return NULL;
    }
    return m;
}

static void protocols_free(struct group_protocol *ps, int n)
{
    for (int i = 0; i < n; i++) {
        free(ps[i].name);
        free(ps[i].meta);
    }
    free(ps);
}

void group_member_free(struct group_member *m)
{
    if (!m)
        return;
    protocols_free(m->protocols, m->nprotocols);
    free(m->assignment);
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m);
}

int group_member_set_protocols(struct group_member *m, const struct group_join_params *p)
{
    struct group_protocol *ps = calloc((size_t)p->nprotocols + 1, sizeof(*ps));
    if (!ps)
        return GR_E_NOMEM;
    for (int i = 0; i < p->nprotocols; i++) {
        ps[i].name = strdup(p->protocol_names[i]);
        ps[i].len = p->protocol_len[i];
        if (ps[i].len > 0 && (ps[i].meta = malloc((size_t)ps[i].len)))
            memcpy(ps[i].meta, p->protocol_meta[i], (size_t)ps[i].len);
        if (!ps[i].name || (ps[i].len > 0 && !ps[i].meta)) {
            protocols_free(ps, i + 1);
            return GR_E_NOMEM;
        }
    }
    protocols_free(m->protocols, m->nprotocols);
    m->protocols = ps;
    m->nprotocols = p->nprotocols;
    m->session_timeout_ms = p->session_timeout_ms;
    m->rebalance_timeout_ms = p->rebalance_timeout_ms;
    return 0;
}

void group_member_move_protocols(struct group_member *to, struct group_member *from)
{
    protocols_free(to->protocols, to->nprotocols);
    to->protocols = from->protocols;
    to->nprotocols = from->nprotocols;
    to->session_timeout_ms = from->session_timeout_ms;
    to->rebalance_timeout_ms = from->rebalance_timeout_ms;
    from->protocols = NULL;
    from->nprotocols = 0;
}

bool group_member_matches(const struct group_member *m, const struct group_join_params *p)
{
    if (m->nprotocols != p->nprotocols)
        return false;
    for (int i = 0; i < p->nprotocols; i++)
        if (strcmp(m->protocols[i].name, p->protocol_names[i]) ||
            m->protocols[i].len != p->protocol_len[i] ||
            (p->protocol_len[i] > 0 &&
             memcmp(m->protocols[i].meta, p->protocol_meta[i], (size_t)p->protocol_len[i])))
            return false;
    return true;
}

const struct group_protocol *group_member_protocol(const struct group_member *m, const char *name)
{
    for (int i = 0; name && i < m->nprotocols; i++)
        if (!strcmp(m->protocols[i].name, name))
            return &m->protocols[i];
    return NULL;
}

int group_member_set_assignment(struct group_member *m, const uint8_t *data, int32_t len)
{
    uint8_t *copy = NULL;
    if (len > 0) {
        if (!(copy = malloc((size_t)len)))
            return GR_E_NOMEM;
        memcpy(copy, data, (size_t)len);
    }
    free(m->assignment);
    m->assignment = copy;
    m->assignment_len = len > 0 ? len : 0;
    return 0;
}

static bool read_i16(const uint8_t **p, const uint8_t *end, int16_t *out)
{
    if (end - *p < 2)
        return false;
    *out = (int16_t)(((*p)[0] << 8) | (*p)[1]);
    *p += 2;
    return true;
}

static bool read_i32(const uint8_t **p, const uint8_t *end, int32_t *out)
{
    if (end - *p < 4)
        return false;
    *out = (int32_t)(((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) |
                     ((uint32_t)(*p)[2] << 8) | (*p)[3]);
    *p += 4;
    return true;
}

/* A string of the consumer protocol: int16 length, bytes. */
static bool read_str(const uint8_t **p, const uint8_t *end, const char **s, int *len)
{
    int16_t n;
    if (!read_i16(p, end, &n) || n < 0 || end - *p < n)
        return false;
    *s = (const char *)*p;
    *len = n;
    *p += n;
    return true;
}

/* The version and the count of the array that follows it, capped by the
 * bytes left (each element takes at least min bytes). */
static bool read_head(const uint8_t **p, const uint8_t *end, int min, int32_t *n)
{
    int16_t version;
    return read_i16(p, end, &version) && version >= 0 && read_i32(p, end, n) && *n >= 0 &&
           *n <= (end - *p) / min;
}

int group_member_topics(const uint8_t *meta, int32_t len,
                        void (*fn)(const char *topic, int topic_len, void *ctx), void *ctx)
{
    const uint8_t *p = meta, *end = meta + (len > 0 ? len : 0);
    int32_t n;
    if (!meta || !read_head(&p, end, 2, &n))
        return -1;
    for (int32_t i = 0; i < n; i++) {
        const char *t;
        int tlen;
        if (!read_str(&p, end, &t, &tlen))
            return -1;
        fn(t, tlen, ctx);
    }
    return 0;
}

struct subscribes {
    const char *topic; /* looked for */
    size_t len;
    bool found;
};

static void match_topic(const char *t, int len, void *ctx)
{
    struct subscribes *s = ctx;
    s->found |= (size_t)len == s->len && !memcmp(t, s->topic, s->len);
}

int group_member_subscribes(const uint8_t *meta, int32_t len, const char *topic)
{
    struct subscribes s = {topic, strlen(topic), false};
    if (group_member_topics(meta, len, match_topic, &s))
        return -1;
    return s.found;
}

int group_member_assigned(const uint8_t *data, int32_t len,
                          void (*fn)(const char *topic, int topic_len, int32_t partition,
                                     void *ctx),
                          void *ctx)
{
    const uint8_t *p = data, *end = data + (len > 0 ? len : 0);
    int32_t n;
    if (!data || !read_head(&p, end, 6, &n))
        return -1;
    for (int32_t i = 0; i < n; i++) {
        const char *t;
        int tlen;
        int32_t np, part = 0;
        if (!read_str(&p, end, &t, &tlen) || !read_i32(&p, end, &np) || np < 0 ||
            np > (end - p) / 4)
            return -1;
        for (int32_t k = 0; k < np; k++) {
            read_i32(&p, end, &part);
            fn(t, tlen, part, ctx);
        }
    }
    return 0;
}

char *group_member_new_id(const char *client_id)
{
    static uint64_t counter; /* keeps ids apart should getrandom fail */
    uint8_t r[16] = {0};
    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        uint64_t x = (uint64_t)clock_wall_ms() ^ (++counter << 40);
        memcpy(r, &x, sizeof(x));
        memcpy(r + 8, &counter, sizeof(counter));
    }
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40); /* a version 4 UUID, as Java's randomUUID */
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
    size_t n = strlen(client_id) + 38;
    char *id = malloc(n);
    if (id)
        snprintf(id, n, "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 client_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                 r[11], r[12], r[13], r[14], r[15]);
    return id;
}
