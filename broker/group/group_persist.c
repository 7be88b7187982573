/*
 * A group's membership record in ZooKeeper (see group_persist.h): its
 * JSON both ways, and the conditional writes that keep the newest one.
 */
#define LOG_COMPONENT "group"
#include "broker/group/group_persist.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/group/group_member.h"
#include "common/err.h"
#include "common/logger.h"
#include "zk/zk_client.h"

#define PATH_MAX_LEN 1024
#define RETRY_MS     1000
#define ATTEMPTS_MAX 8 /* conflicts resolved for one record before giving it up */

bool group_persist_path(char *buf, size_t bufsz, const char *group)
{
    if (!group_offsets_valid_group(group))
        return false;
    int n = snprintf(buf, bufsz, "/consumers/%s/%s", group, GROUP_PERSIST_ZNODE);
    return n > 0 && (size_t)n < bufsz;
}

/* ---- base64 (RFC 4648, padded) for the opaque bytes ---------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A new string, or NULL when out of memory. */
static char *b64_encode(const uint8_t *p, int32_t n)
{
    size_t len = n > 0 ? (size_t)n : 0;
    char *s = malloc((len + 2) / 3 * 4 + 1), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            w |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            w |= p[i + 2];
        *o++ = b64_alphabet[w >> 18];
        *o++ = b64_alphabet[(w >> 12) & 63];
        *o++ = i + 1 < len ? b64_alphabet[(w >> 6) & 63] : '=';
        *o++ = i + 2 < len ? b64_alphabet[w & 63] : '=';
    }
    *o = 0;
    return s;
}

static int b64_value(char c)
{
    const char *at = c ? strchr(b64_alphabet, c) : NULL;
    return at ? (int)(at - b64_alphabet) : -1;
}

/* Decodes s into *out (NULL when empty) of *outlen bytes, at most max.
 * Returns 0, GR_E_CORRUPT (not padded base64), GR_E_TOO_LARGE or
 * GR_E_NOMEM. */
static int b64_decode(const char *s, int32_t max, uint8_t **out, int32_t *outlen)
{
    size_t n = strlen(s), pad = 0;
    *out = NULL;
    *outlen = 0;
    if (n % 4)
        return GR_E_CORRUPT;
    if (n && s[n - 1] == '=')
        pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
    size_t len = n / 4 * 3 - pad;
    if (len > (size_t)max)
        return GR_E_TOO_LARGE;
    if (!len)
        return n ? GR_E_CORRUPT : 0;
    uint8_t *b = malloc(len);
    if (!b)
        return GR_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t w = 0;
        for (size_t q = 0; q < 4; q++) {
            bool padding = i + 4 == n && q >= 4 - pad;
            int v = padding ? 0 : b64_value(s[i + q]);
            if (v < 0) {
                free(b);
                return GR_E_CORRUPT;
            }
            w = w << 6 | (uint32_t)v;
        }
        for (int shift = 16; shift >= 0 && k < len; shift -= 8)
            b[k++] = (uint8_t)(w >> shift);
    }
    *out = b;
    *outlen = (int32_t)len;
    return 0;
}

/* ---- encoding -------------------------------------------------------------------- */

static bool add_str(cJSON *o, const char *key, const char *s)
{
    return s ? cJSON_AddStringToObject(o, key, s) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

/* Adds bytes as base64 under key. */
static bool add_bytes(cJSON *o, const char *key, const uint8_t *p, int32_t n)
{
    char *s = b64_encode(p, n);
    bool ok = s && cJSON_AddStringToObject(o, key, s);
    free(s);
    return ok;
}

static bool add_member(cJSON *arr, const struct group *g, const struct group_member *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o))
        return cJSON_Delete(o), false;
    const struct group_protocol *p = group_member_protocol(m, g->protocol_name);
    return add_str(o, "member_id", m->id) && add_str(o, "group_instance_id", m->instance_id) &&
           add_str(o, "client_id", m->client_id) && add_str(o, "client_host", m->client_host) &&
           cJSON_AddNumberToObject(o, "session_timeout", m->session_timeout_ms) &&
           cJSON_AddNumberToObject(o, "rebalance_timeout", m->rebalance_timeout_ms) &&
           add_bytes(o, "subscription", p ? p->meta : NULL, p ? p->len : 0) &&
           add_bytes(o, "assignment", m->assignment, m->assignment_len);
}

char *group_persist_encode(const struct group *g, size_t *len, int *err)
{
    *len = 0;
    *err = GR_E_NOMEM;
    bool stable = g->state == GROUP_STABLE;
    if (!stable && g->state != GROUP_EMPTY) {
        *err = GR_E_STATE;
        return NULL;
    }
    cJSON *o = cJSON_CreateObject(), *arr = NULL;
    bool ok = o && cJSON_AddNumberToObject(o, "version", GROUP_PERSIST_VERSION) &&
              cJSON_AddNumberToObject(o, "coordinator_epoch", g->coord_epoch) &&
              cJSON_AddNumberToObject(o, "generation", g->generation) &&
              cJSON_AddStringToObject(o, "state", stable ? "Stable" : "Empty") &&
              add_str(o, "protocol_type", g->protocol_type) &&
              add_str(o, "protocol", stable ? g->protocol_name : NULL) &&
              add_str(o, "leader", stable ? g->leader_id : NULL) &&
              cJSON_AddNumberToObject(o, "current_state_timestamp", (double)g->state_since_ms) &&
              (arr = cJSON_AddArrayToObject(o, "members"));
    for (const struct group_member *m = stable ? g->members : NULL; ok && m; m = m->next)
        ok = add_member(arr, g, m);
    char *js = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (js && strlen(js) > GROUP_PERSIST_BYTES_MAX) {
        free(js);
        *err = GR_E_TOO_LARGE;
        return NULL;
    }
    if (js)
        *len = strlen(js);
    return js;
}

/* ---- decoding -------------------------------------------------------------------- */

void group_record_free(struct group_record *r)
{
    for (int i = 0; r->members && i < r->nmembers; i++) {
        struct group_record_member *m = &r->members[i];
        free(m->member_id);
        free(m->instance_id);
        free(m->client_id);
        free(m->client_host);
        free(m->meta);
        free(m->assignment);
    }
    free(r->members);
    free(r->protocol_type);
    free(r->protocol_name);
    free(r->leader_id);
    *r = (struct group_record){0};
}

/* What one decode is at: the reason of its failure goes to why. */
struct dec {
    char *why;
    size_t whysz;
    int rc; /* the first failure (GR_E_CORRUPT unless said) */
};

static bool bad(struct dec *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool bad(struct dec *d, int rc, const char *fmt, ...)
{
    if (!d->rc) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->why, d->whysz, fmt, ap);
        va_end(ap);
        d->rc = rc;
    }
    return false;
}

/* An integer field within [lo, hi]. */
static bool get_int(struct dec *d, const cJSON *o, const char *key, int64_t lo, int64_t hi,
                    int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double x = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (!cJSON_IsNumber(v) || x != (double)(int64_t)x || x < (double)lo || x > (double)hi)
        return bad(d, GR_E_CORRUPT, "\"%s\" is not an integer from %" PRId64 " to %" PRId64, key,
                   lo, hi);
    *out = (int64_t)x;
    return true;
}

static bool get_i32(struct dec *d, const cJSON *o, const char *key, int32_t lo, int32_t *out)
{
    int64_t v;
    if (!get_int(d, o, key, lo, INT32_MAX, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

/* A string field copied into *out; null gives NULL when nullable. */
static bool get_str(struct dec *d, const cJSON *o, const char *key, bool nullable, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (nullable && cJSON_IsNull(v))
        return true;
    if (!cJSON_IsString(v))
        return bad(d, GR_E_CORRUPT, "\"%s\" is not a string%s", key, nullable ? " or null" : "");
    if (!(*out = strdup(v->valuestring)))
        return bad(d, GR_E_NOMEM, "out of memory");
    return true;
}

/* A base64 field within the members' own limit. */
static bool get_bytes(struct dec *d, const cJSON *o, const char *key, uint8_t **out, int32_t *len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    int rc = cJSON_IsString(v) ? b64_decode(v->valuestring, GROUP_MEMBER_BYTES_MAX, out, len)
                               : GR_E_CORRUPT;
    if (rc == GR_E_TOO_LARGE)
        return bad(d, rc, "\"%s\" holds more than %d bytes", key, GROUP_MEMBER_BYTES_MAX);
    if (rc)
        return bad(d, rc, "\"%s\" is not base64", key);
    return true;
}

static bool get_member(struct dec *d, const cJSON *o, struct group_record_member *m)
{
    return cJSON_IsObject(o)
               ? get_str(d, o, "member_id", false, &m->member_id) &&
                     get_str(d, o, "group_instance_id", true, &m->instance_id) &&
                     get_str(d, o, "client_id", false, &m->client_id) &&
                     get_str(d, o, "client_host", false, &m->client_host) &&
                     get_i32(d, o, "session_timeout", 0, &m->session_timeout_ms) &&
                     get_i32(d, o, "rebalance_timeout", INT32_MIN, &m->rebalance_timeout_ms) &&
                     get_bytes(d, o, "subscription", &m->meta, &m->meta_len) &&
                     get_bytes(d, o, "assignment", &m->assignment, &m->assignment_len)
               : bad(d, GR_E_CORRUPT, "not an object");
}

/* The members: ids present and unique, static ids unique, the leader among them. */
static bool get_members(struct dec *d, const cJSON *arr, struct group_record *r)
{
    int n = cJSON_GetArraySize(arr);
    if (r->state == GROUP_EMPTY ? n != 0 : n == 0)
        return bad(d, GR_E_CORRUPT, "a%s group with %d members",
                   r->state == GROUP_EMPTY ? "n Empty" : " Stable", n);
    if (n && !(r->members = calloc((size_t)n, sizeof(*r->members))))
        return bad(d, GR_E_NOMEM, "out of memory");
    struct strmap ids, statics;
    strmap_init(&ids);
    strmap_init(&statics);
    bool ok = true, leader = false;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        struct group_record_member *m = &r->members[r->nmembers++];
        if (!(ok = get_member(d, o, m))) {
            size_t at = d->whysz ? strlen(d->why) : 0;
            if (at + 1 < d->whysz)
                snprintf(d->why + at, d->whysz - at, " (member %d%s%s)", r->nmembers,
                         m->member_id ? " " : "", m->member_id ? m->member_id : "");
            break;
        }
        if (!m->member_id[0] || strmap_get(&ids, m->member_id) ||
            (m->instance_id && strmap_get(&statics, m->instance_id))) {
            ok = bad(d, GR_E_CORRUPT, "member %d (%s) repeats an id or has none", r->nmembers,
                     m->member_id);
            break;
        }
        if (strmap_put(&ids, m->member_id, m) ||
            (m->instance_id && strmap_put(&statics, m->instance_id, m))) {
            ok = bad(d, GR_E_NOMEM, "out of memory");
            break;
        }
        leader |= r->leader_id && !strcmp(r->leader_id, m->member_id);
    }
    strmap_destroy(&ids);
    strmap_destroy(&statics);
    if (ok && n && !leader)
        ok = bad(d, GR_E_CORRUPT, "the leader %s is not a member", r->leader_id);
    return ok;
}

/* The JSON value that is the whole of data (whitespace around it aside),
 * or NULL. */
static cJSON *parse(const char *data, size_t len)
{
    const char *end = NULL;
    cJSON *js = data ? cJSON_ParseWithLengthOpts(data, len, &end, false) : NULL;
    while (js && end < data + len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (js && end != data + len) {
        cJSON_Delete(js);
        js = NULL;
    }
    return js;
}

int group_persist_decode(const char *data, size_t len, struct group_record *r, char *why,
                         size_t whysz)
{
    struct dec d = {why, whysz, 0};
    *r = (struct group_record){0};
    if (whysz)
        why[0] = 0;
    if (len > GROUP_PERSIST_BYTES_MAX) {
        bad(&d, GR_E_TOO_LARGE, "%zu bytes, more than the %d a record may hold", len,
            GROUP_PERSIST_BYTES_MAX);
        return d.rc;
    }
    cJSON *js = parse(data, len);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(js, "state");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(js, "members");
    int64_t version, since = 0;
    bool stable = cJSON_IsString(st) && !strcmp(st->valuestring, "Stable");
    r->state = stable ? GROUP_STABLE : GROUP_EMPTY;
    if (!cJSON_IsObject(js))
        bad(&d, GR_E_CORRUPT, "not a JSON object");
    else if (!get_int(&d, js, "version", 0, INT32_MAX, &version))
        ;
    else if (version != GROUP_PERSIST_VERSION)
        bad(&d, GR_E_CORRUPT, "version %" PRId64 ", not %d", version, GROUP_PERSIST_VERSION);
    else if (!stable && !(cJSON_IsString(st) && !strcmp(st->valuestring, "Empty")))
        bad(&d, GR_E_CORRUPT, "\"state\" is neither \"Stable\" nor \"Empty\"");
    else if (!cJSON_IsArray(arr))
        bad(&d, GR_E_CORRUPT, "\"members\" is not an array");
    else if (get_i32(&d, js, "coordinator_epoch", -1, &r->coord_epoch) &&
             get_i32(&d, js, "generation", 0, &r->generation) &&
             get_int(&d, js, "current_state_timestamp", 0, INT64_C(1) << 53, &since) &&
             get_str(&d, js, "protocol_type", !stable, &r->protocol_type) &&
             get_str(&d, js, "protocol", !stable, &r->protocol_name) &&
             get_str(&d, js, "leader", !stable, &r->leader_id))
        get_members(&d, arr, r);
    cJSON_Delete(js);
    r->state_since_ms = since;
    if (!d.rc && stable && (!r->protocol_type[0] || !r->protocol_name[0]))
        bad(&d, GR_E_CORRUPT, "a Stable group without a protocol");
    if (d.rc)
        group_record_free(r);
    return d.rc;
}

bool group_persist_yields(int32_t their_epoch, int32_t their_generation, int32_t our_epoch,
                          int32_t our_generation)
{
    (void)their_generation;
    (void)our_generation;
    return their_epoch > our_epoch;
}

/* ---- writing ---------------------------------------------------------------------- */

/* One record to write, and who wrote it. */
struct doc {
    char *json; /* owned; NULL for none */
    size_t len;
    int32_t epoch, generation;
};

struct group_persist {
    struct broker *b; /* borrowed */
    struct group *g;  /* the group; NULL once it was freed */
    char *path;       /* the record's znode; owned */
    int32_t version;  /* its data version last seen; -1: none known (create) */
    struct doc cur;   /* being written, or waiting to be retried */
    struct doc next;  /* saved while cur was in flight */
    bool busy;        /* a request or a retry timer is outstanding */
    int attempts;     /* conflicts met by cur */
};

static void doc_free(struct doc *d)
{
    free(d->json);
    *d = (struct doc){0};
}

static void job_free(struct group_persist *j)
{
    doc_free(&j->cur);
    doc_free(&j->next);
    free(j->path);
    free(j);
}

static struct group_persist *job_of(struct group *g, const char *path)
{
    struct group_persist *j = g->persist;
    if (j)
        return j;
    if (!(j = calloc(1, sizeof(*j))) || !(j->path = strdup(path))) {
        free(j);
        return NULL;
    }
    j->b = g->b;
    j->g = g;
    j->version = -1;
    g->persist = j;
    return j;
}

/* Every callback starts here: false (j freed) once the group is gone. */
static bool held(struct group_persist *j)
{
    j->busy = false;
    if (j->g)
        return true;
    job_free(j);
    return false;
}

static void send_cur(struct group_persist *j);

/* cur is done with (written, given up or yielded): the next record. */
static void finished(struct group_persist *j)
{
    doc_free(&j->cur);
    j->attempts = 0;
    if (j->next.json) {
        j->cur = j->next;
        j->next = (struct doc){0};
        send_cur(j);
    }
}

static void retry_due(int rc, void *ctx)
{
    struct group_persist *j = ctx;
    if (!held(j))
        return;
    if (rc) { /* the client is closing */
        doc_free(&j->next);
        doc_free(&j->cur);
        return;
    }
    if (j->next.json) {
        doc_free(&j->cur);
        j->cur = j->next;
        j->next = (struct doc){0};
    }
    j->attempts = 0;
    send_cur(j);
}

/* ZooKeeper failed (away, or the session is going): the latest record is
 * written again after a second, unless the client is closing. */
static void failed(struct group_persist *j, const char *what, int rc)
{
    struct zk_client *zk = j->b->zk;
    if (rc == GR_E_CLOSING || !zk || zk_client_after(zk, RETRY_MS, retry_due, j)) {
        doc_free(&j->next);
        doc_free(&j->cur);
        return;
    }
    j->busy = true;
    LOG_RATE(LOGGER_WARN, "group %s: %s its membership record %s failed (%s); retrying in %d ms",
             j->g->id, what, j->path, gr_strerror(rc), RETRY_MS);
}

/* One more conflict for cur: false (and cur given up) past ATTEMPTS_MAX. */
static bool again(struct group_persist *j)
{
    if (++j->attempts <= ATTEMPTS_MAX)
        return true;
    LOG_WARN("group %s: %s keeps changing under this coordinator; generation %d not written",
             j->g->id, j->path, j->cur.generation);
    finished(j);
    return false;
}

/* The epoch and generation of a record read back; false when unreadable
 * (then this coordinator's replaces it). */
static bool header(const char *data, size_t len, int32_t *epoch, int32_t *generation)
{
    cJSON *js = parse(data, len);
    struct dec d = {NULL, 0, 0};
    char why[1];
    d.why = why;
    d.whysz = sizeof(why);
    bool ok = cJSON_IsObject(js) && get_i32(&d, js, "coordinator_epoch", -1, epoch) &&
              get_i32(&d, js, "generation", 0, generation);
    cJSON_Delete(js);
    return ok;
}

static void reread(int rc, const char *data, size_t len, const struct zk_stat *stat, void *ctx)
{
    struct group_persist *j = ctx;
    int32_t epoch, generation;
    if (!held(j))
        return;
    if (rc == GR_OK && header(data, len, &epoch, &generation) &&
        group_persist_yields(epoch, generation, j->cur.epoch, j->cur.generation)) {
        LOG_INFO("group %s: %s holds the record of a newer coordinator (epoch %d, generation "
                 "%d; this one's epoch is %d): left as it is",
                 j->g->id, j->path, epoch, generation, j->cur.epoch);
        finished(j); /* the version stays old: the next record meets the same check */
    } else if (rc == GR_OK || rc == GR_E_NOENT) {
        j->version = rc == GR_OK ? stat->version : -1;
        send_cur(j);
    } else {
        failed(j, "reading", rc);
    }
}

/* The znode is not what this coordinator last saw: read it, and the
 * newer record stays. */
static void conflict(struct group_persist *j)
{
    if (!again(j))
        return;
    int rc = zk_client_get(j->b->zk, j->path, NULL, reread, j);
    if (rc)
        failed(j, "reading", rc);
    else
        j->busy = true;
}

static void set_done(int rc, const struct zk_stat *stat, void *ctx)
{
    struct group_persist *j = ctx;
    if (!held(j))
        return;
    if (rc == GR_OK) {
        j->version = stat->version;
        finished(j);
    } else if (rc == GR_E_ZK_BADVERSION) {
        conflict(j);
    } else if (rc == GR_E_NOENT) {
        j->version = -1; /* deleted under us: create it */
        if (again(j))
            send_cur(j);
    } else {
        failed(j, "writing", rc);
    }
}

static void created(int rc, const char *path, const struct zk_stat *stat, void *ctx)
{
    (void)path;
    struct group_persist *j = ctx;
    if (!held(j))
        return;
    if (rc == GR_OK) {
        j->version = stat ? stat->version : 0;
        group_offsets_mark_known(&j->g->offsets, j->path);
        finished(j);
    } else if (rc == GR_E_EXISTS) {
        conflict(j);
    } else {
        failed(j, "creating", rc);
    }
}

/* Writes cur: set at the version seen, or create (with the parents) when
 * none is known. */
static void send_cur(struct group_persist *j)
{
    struct zk_client *zk = j->b->zk;
    int rc = !zk ? GR_E_STATE
             : j->version >= 0
                 ? zk_client_set(zk, j->path, j->cur.json, j->cur.len, j->version, set_done, j)
                 : zk_client_create_recursive(zk, j->path, j->cur.json, j->cur.len, created, j);
    if (rc)
        failed(j, "sending", rc);
    else
        j->busy = true;
}

void group_persist_save(struct group *g)
{
    char path[PATH_MAX_LEN];
    if (!g->b->zk || !group_persist_path(path, sizeof(path), g->id))
        return;
    struct group_persist *j = job_of(g, path);
    size_t len;
    int err = GR_E_NOMEM;
    char *js = j ? group_persist_encode(g, &len, &err) : NULL;
    if (!js) {
        LOG_RATE(LOGGER_WARN,
                 "group %s: generation %d is not kept in ZooKeeper (%s%s); if its coordinator "
                 "moves, its members join again",
                 g->id, g->generation, gr_strerror(err),
                 err == GR_E_TOO_LARGE ? ": more members and metadata than one znode holds" : "");
        return;
    }
    struct doc d = {js, len, g->coord_epoch, g->generation};
    if (j->busy) { /* the newest record waits for the one in flight */
        doc_free(&j->next);
        j->next = d;
        return;
    }
    doc_free(&j->cur);
    j->cur = d;
    j->attempts = 0;
    send_cur(j);
}

void group_persist_seen(struct group *g, int32_t version)
{
    char path[PATH_MAX_LEN];
    struct group_persist *j =
        group_persist_path(path, sizeof(path), g->id) ? job_of(g, path) : NULL;
    if (j && !j->busy)
        j->version = version;
    if (j)
        group_offsets_mark_known(&g->offsets, path);
}

static void deleted(int rc, void *ctx)
{
    char *path = ctx;
    if (rc && rc != GR_E_NOENT && rc != GR_E_CLOSING)
        LOG_RATE(LOGGER_WARN, "cannot delete the membership record %s: %s", path, gr_strerror(rc));
    free(path);
}

void group_persist_remove(struct group *g)
{
    char path[PATH_MAX_LEN];
    if (!group_persist_path(path, sizeof(path), g->id) ||
        (!g->persist && !strmap_get(&g->offsets.znodes, path)))
        return;
    /* sent after any write of it in flight, so ZooKeeper applies it last */
    group_persist_detach(g);
    strmap_del(&g->offsets.znodes, path);
    char *c = strdup(path);
    if (c && (!g->b->zk || zk_client_delete(g->b->zk, c, ZK_ANY_VERSION, deleted, c)))
        free(c);
}

void group_persist_detach(struct group *g)
{
    struct group_persist *j = g->persist;
    if (!j)
        return;
    g->persist = NULL;
    j->g = NULL;
    if (!j->busy)
        job_free(j);
}
