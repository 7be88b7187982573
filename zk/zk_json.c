/*
 * Kafka's znode formats with cJSON (see zk_json.h for the contract).
 *
 * Every decoder is written as a walk over the schema with small readers
 * (jr_*) that each validate one field and, on failure, write "<znode kind>:
 * <what is wrong>" into errstr and return GR_E_CORRUPT; the first failure ends
 * the decode. Numbers arrive from cJSON as doubles and are accepted only when
 * integral and inside the field's range, so 1.5, 1e99 or NaN never reach an
 * int cast.
 */
#include "zk/zk_json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/err.h"

/* Where a decode reports to, and what it is decoding (for messages). */
struct jr {
    const char *what; /* znode kind, e.g. "broker registration" */
    char *errstr;     /* caller's buffer, may be NULL */
    size_t errsz;     /* its size */
    struct arena *a;  /* where decoded strings and arrays go */
};

__attribute__((format(printf, 2, 3))) static int jr_fail(struct jr *j, const char *fmt, ...)
{
    if (j->errstr && j->errsz) {
        int n = snprintf(j->errstr, j->errsz, "%s: ", j->what);
        if (n >= 0 && (size_t)n < j->errsz) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(j->errstr + n, j->errsz - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return GR_E_CORRUPT;
}

static int jr_nomem(struct jr *j)
{
    if (j->errstr && j->errsz)
        snprintf(j->errstr, j->errsz, "%s: out of memory", j->what);
    return GR_E_NOMEM;
}

/* Parses the znode's bytes into a JSON object. Trailing bytes other than
 * whitespace make it malformed (a half-edited znode must not pass). */
static int jr_parse_object(struct jr *j, const char *data, size_t len, cJSON **root)
{
    *root = NULL;
    if (!data || len == 0)
        return jr_fail(j, "the znode is empty, expected a JSON object");
    const char *end = NULL;
    /* cJSON's own trailing-garbage check wants a NUL inside the length,
     * which znode data does not have; check what follows by hand. */
    cJSON *r = cJSON_ParseWithLengthOpts(data, len, &end, false);
    size_t at = end && end >= data ? (size_t)(end - data) : 0;
    if (!r)
        return jr_fail(j, "malformed JSON near byte %zu", at);
    for (size_t i = at; i < len; i++) {
        if (!isspace((unsigned char)data[i])) {
            cJSON_Delete(r);
            return jr_fail(j, "malformed JSON: unexpected bytes after the value at byte %zu", i);
        }
    }
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return jr_fail(j, "expected a JSON object");
    }
    *root = r;
    return 0;
}

static bool num_in_range(const cJSON *it, int64_t min, int64_t max, int64_t *out)
{
    if (!cJSON_IsNumber(it))
        return false;
    double d = it->valuedouble;
    /* Written so that NaN fails too; the range check comes before the cast.
     * (double)INT64_MAX rounds up to 2^63, which no int64_t holds. */
    if (!(d >= (double)min && d <= (double)max) || d >= 9223372036854775808.0)
        return false;
    int64_t v = (int64_t)d;
    if ((double)v != d)
        return false;
    *out = v;
    return true;
}

/* Strict decimal: optional '-', then digits only; range-checked. */
static bool parse_decimal(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
            return false;
    }
    int64_t r;
    if (neg)
        r = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
    else
        r = (int64_t)v;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}

static char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Reads an integer field. Absent: returns 1 if optional, else an error. */
static int jr_int(struct jr *j, const cJSON *obj, const char *key, bool required, int64_t min,
                  int64_t max, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it) {
        if (required)
            return jr_fail(j, "field \"%s\" is missing", key);
        return 1;
    }
    if (!num_in_range(it, min, max, out))
        return jr_fail(j, "field \"%s\" must be an integer between %" PRId64 " and %" PRId64, key,
                       min, max);
    return 0;
}

static int jr_int32(struct jr *j, const cJSON *obj, const char *key, bool required, int32_t min,
                    int32_t *out)
{
    int64_t v = 0;
    int rc = jr_int(j, obj, key, required, min, INT32_MAX, &v);
    if (rc == 0)
        *out = (int32_t)v;
    return rc;
}

/* Reads a string field into the arena. Absent or null (when nullable): 1. */
static int jr_string(struct jr *j, const cJSON *obj, const char *key, bool required, bool nullable,
                     char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it || (nullable && cJSON_IsNull(it))) {
        if (required && !it)
            return jr_fail(j, "field \"%s\" is missing", key);
        *out = NULL;
        return 1;
    }
    if (!cJSON_IsString(it) || !it->valuestring)
        return jr_fail(j, "field \"%s\" must be a string", key);
    *out = arena_strdup(j->a, it->valuestring);
    return *out ? 0 : jr_nomem(j);
}

/* The optional "version" field: an integer if present (Kafka readers ignore
 * its value, so any non-negative integer is accepted). */
static int jr_version(struct jr *j, const cJSON *obj, int32_t dflt, int32_t *out)
{
    int rc = jr_int32(j, obj, "version", false, 0, out);
    if (rc == 1) {
        *out = dflt;
        rc = 0;
    }
    return rc;
}

/* An array of distinct non-negative broker ids. */
static int jr_broker_ids(struct jr *j, const cJSON *arr, const char *name, bool nonempty,
                         int32_t **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return jr_fail(j, "%s must be an array of broker ids", name);
    int count = cJSON_GetArraySize(arr);
    if (count == 0) {
        if (nonempty)
            return jr_fail(j, "%s is empty", name);
        return 0;
    }
    int32_t *ids = arena_calloc(j->a, (size_t)count, sizeof(*ids));
    if (!ids)
        return jr_nomem(j);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        int64_t v;
        if (!num_in_range(it, 0, INT32_MAX, &v))
            return jr_fail(j, "%s must hold broker ids (integers >= 0)", name);
        for (int k = 0; k < i; k++)
            if (ids[k] == (int32_t)v)
                return jr_fail(j, "%s lists broker %" PRId64 " twice", name, v);
        ids[i++] = (int32_t)v;
    }
    *out = ids;
    *n = i;
    return 0;
}

static const char *const security_protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};

static const char *known_protocol(const char *s)
{
    for (size_t i = 0; i < sizeof(security_protocols) / sizeof(security_protocols[0]); i++)
        if (strcasecmp(s, security_protocols[i]) == 0)
            return security_protocols[i];
    return NULL;
}

static void set_err(char *errstr, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errstr, size_t errsz, const char *fmt, ...)
{
    if (!errstr || !errsz)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errsz, fmt, ap);
    va_end(ap);
}

/* ---- encoding helpers ---------------------------------------------------- */

/* Turns a built tree into compact text; consumes root. */
static int finish_encode(cJSON *root, bool failed, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (!failed && root)
        *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!*out) {
        set_err(errstr, errsz, "out of memory while encoding JSON");
        return GR_E_NOMEM;
    }
    return 0;
}

static bool add_num(cJSON *obj, const char *key, double v)
{
    return cJSON_AddNumberToObject(obj, key, v) != NULL;
}

static bool add_str(cJSON *obj, const char *key, const char *v)
{
    return cJSON_AddStringToObject(obj, key, v) != NULL;
}

static cJSON *int_array(const int32_t *v, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; arr && i < n; i++) {
        cJSON *x = cJSON_CreateNumber(v[i]);
        if (!x || !cJSON_AddItemToArray(arr, x)) {
            cJSON_Delete(x);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static bool add_int_array(cJSON *obj, const char *key, const int32_t *v, int n)
{
    cJSON *arr = int_array(v, n);
    if (!arr)
        return false;
    if (!cJSON_AddItemToObject(obj, key, arr)) {
        cJSON_Delete(arr);
        return false;
    }
    return true;
}

/* ---- broker registration ------------------------------------------------- */

/* Host names and addresses (IPv6 without brackets, with a zone): what an
 * endpoint's host may hold, wherever it comes from. */
static bool host_ok(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && !strchr("-%._:", c))
            return false;
    }
    return true;
}

int zk_json_endpoint_parse(const char *s, struct zk_endpoint *ep, struct arena *a, char *errstr,
                           size_t errsz)
{
    memset(ep, 0, sizeof(*ep));
    const char *sep = strstr(s, "://");
    if (!sep || sep == s) {
        set_err(errstr, errsz, "endpoint \"%s\" is not LISTENER://host:port", s);
        return GR_E_CORRUPT;
    }
    size_t nlen = (size_t)(sep - s);
    for (size_t i = 0; i < nlen; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') {
            set_err(errstr, errsz, "endpoint \"%s\" has an invalid listener name", s);
            return GR_E_CORRUPT;
        }
    }
    const char *hp = sep + 3;
    const char *colon = strrchr(hp, ':');
    if (!colon) {
        set_err(errstr, errsz, "endpoint \"%s\" has no port", s);
        return GR_E_CORRUPT;
    }
    const char *h = hp;
    size_t hlen = (size_t)(colon - hp);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (!host_ok(h, hlen)) {
        set_err(errstr, errsz, "endpoint \"%s\" has an invalid host", s);
        return GR_E_CORRUPT;
    }
    int64_t port;
    if (!parse_decimal(colon + 1, strlen(colon + 1), 0, 65535, &port)) {
        set_err(errstr, errsz, "endpoint \"%s\" has an invalid port", s);
        return GR_E_CORRUPT;
    }
    ep->listener = arena_alloc(a, nlen + 1);
    ep->host = arena_alloc(a, hlen + 1);
    if (!ep->listener || !ep->host) {
        set_err(errstr, errsz, "out of memory");
        return GR_E_NOMEM;
    }
    /* Kafka normalises listener names to upper case. */
    for (size_t i = 0; i < nlen; i++)
        ep->listener[i] = (char)toupper((unsigned char)s[i]);
    memcpy(ep->host, h, hlen);
    ep->port = (int32_t)port;
    return 0;
}

/* "LISTENER://host:port" with an IPv6 address in brackets, as Kafka's
 * EndPoint.connectionString writes it. */
static char *endpoint_string(const struct zk_endpoint *ep)
{
    const char *host = ep->host ? ep->host : "";
    bool v6 = strchr(host, ':') != NULL;
    size_t n = strlen(ep->listener) + strlen(host) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s://%s%s%s:%d", ep->listener, v6 ? "[" : "", host, v6 ? "]" : "",
                 (int)ep->port);
    return s;
}

/* Writes the owner fields that are set. */
static bool add_owner(cJSON *root, uint64_t inc, const char *process)
{
    char hex[17];
    snprintf(hex, sizeof(hex), "%016" PRIx64, inc);
    return (inc == 0 || add_str(root, ZK_JSON_OWNER_INCARNATION, hex)) &&
           (!process || !*process || add_str(root, ZK_JSON_OWNER_PROCESS, process));
}

/* Reads the owner fields of a parsed object: 0 / "" unless well-formed.
 * gregor's own fields, so a bad value only means "not proven". */
static void read_owner(const cJSON *root, struct zk_owner *out)
{
    out->incarnation = 0;
    out->process[0] = '\0';
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, ZK_JSON_OWNER_INCARNATION);
    if (cJSON_IsString(it) && strlen(it->valuestring) == 16) {
        uint64_t v = 0;
        const char *c = it->valuestring;
        for (; *c && isxdigit((unsigned char)*c); c++)
            v = v << 4 | (uint64_t)(isdigit((unsigned char)*c) ? *c - '0'
                                                               : tolower((unsigned char)*c) - 'a' + 10);
        out->incarnation = *c ? 0 : v;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, ZK_JSON_OWNER_PROCESS);
    if (cJSON_IsString(it) && strlen(it->valuestring) < sizeof(out->process) &&
        strspn(it->valuestring, "0123456789abcdef-/") == strlen(it->valuestring))
        snprintf(out->process, sizeof(out->process), "%s", it->valuestring);
}

int zk_json_broker_encode(const struct zk_broker_info *b, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (b->n_endpoints < 1 || !b->endpoints) {
        set_err(errstr, errsz, "broker registration needs at least one endpoint");
        return GR_E_INVALID;
    }
    const struct zk_endpoint *plaintext = NULL;
    for (int i = 0; i < b->n_endpoints; i++) {
        const struct zk_endpoint *ep = &b->endpoints[i];
        if (!ep->listener || !*ep->listener || !ep->security_protocol ||
            !known_protocol(ep->security_protocol) || ep->port < 0 || ep->port > 65535) {
            set_err(errstr, errsz,
                    "endpoint %d needs a listener name, a security protocol and a port", i);
            return GR_E_INVALID;
        }
        for (int k = 0; k < i; k++) {
            if (strcmp(b->endpoints[k].listener, ep->listener) == 0) {
                set_err(errstr, errsz, "listener %s is given twice", ep->listener);
                return GR_E_INVALID;
            }
        }
        if (!plaintext && strcmp(ep->security_protocol, "PLAINTEXT") == 0)
            plaintext = ep;
    }

    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 4);
    /* Clients older than 0.10 read only host/port: Kafka puts the first
     * PLAINTEXT endpoint there, or null/-1 when there is none. */
    if (plaintext)
        bad |= !add_str(root, "host", plaintext->host ? plaintext->host : "");
    else
        bad |= !cJSON_AddNullToObject(root, "host");
    bad |= !add_num(root, "port", plaintext ? plaintext->port : -1);
    bad |= !add_num(root, "jmx_port", b->jmx_port);
    char ts[24];
    snprintf(ts, sizeof(ts), "%" PRId64, b->timestamp_ms);
    bad |= !add_str(root, "timestamp", ts);
    cJSON *eps = cJSON_AddArrayToObject(root, "endpoints");
    cJSON *map = cJSON_AddObjectToObject(root, "listener_security_protocol_map");
    bad |= !eps || !map;
    for (int i = 0; !bad && i < b->n_endpoints; i++) {
        char *s = endpoint_string(&b->endpoints[i]);
        cJSON *x = s ? cJSON_CreateString(s) : NULL;
        free(s);
        if (!x || !cJSON_AddItemToArray(eps, x)) {
            cJSON_Delete(x);
            bad = true;
            break;
        }
        bad |= !add_str(map, b->endpoints[i].listener,
                        known_protocol(b->endpoints[i].security_protocol));
    }
    if (b->rack)
        bad |= !add_str(root, "rack", b->rack);
    bad |= !add_owner(root, b->incarnation, b->process);
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_broker_decode(const char *data, size_t len, struct zk_broker_info *out, char *errstr,
                          size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    out->timestamp_ms = -1;
    out->port = -1;
    struct jr j = {"broker registration", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;

    if ((rc = jr_int32(&j, root, "version", true, 1, &out->version)) != 0)
        goto fail;
    if ((rc = jr_int32(&j, root, "jmx_port", true, INT32_MIN, &out->jmx_port)) != 0)
        goto fail;
    /* Nobody acts on the timestamp (Kafka does not even read it), so an odd
     * value is reported as unknown rather than rejecting the broker. */
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
    int64_t tsv;
    if (cJSON_IsString(ts) &&
        parse_decimal(ts->valuestring, strlen(ts->valuestring), 0, INT64_MAX, &tsv))
        out->timestamp_ms = tsv;
    else if (num_in_range(ts, 0, INT64_MAX, &tsv))
        out->timestamp_ms = tsv;

    if ((rc = jr_string(&j, root, "host", out->version == 1, true, &out->host)) < 0)
        goto fail;
    int32_t port;
    rc = jr_int32(&j, root, "port", out->version == 1, -1, &port);
    if (rc < 0)
        goto fail;
    if (rc == 0)
        out->port = port;

    if (out->version == 1) {
        /* Version 1 had only host and port, implicitly PLAINTEXT. */
        /* The host is checked as an endpoint's is: it is served as one. */
        if (!out->host || !host_ok(out->host, strlen(out->host)) || out->port < 0 ||
            out->port > 65535) {
            rc = jr_fail(&j, "version 1 needs a valid \"host\" and \"port\"");
            goto fail;
        }
        out->endpoints = arena_calloc(&out->mem, 1, sizeof(*out->endpoints));
        if (!out->endpoints) {
            rc = jr_nomem(&j);
            goto fail;
        }
        out->endpoints[0].listener = arena_strdup(&out->mem, "PLAINTEXT");
        out->endpoints[0].security_protocol = arena_strdup(&out->mem, "PLAINTEXT");
        out->endpoints[0].host = out->host;
        out->endpoints[0].port = out->port;
        if (!out->endpoints[0].listener || !out->endpoints[0].security_protocol) {
            rc = jr_nomem(&j);
            goto fail;
        }
        out->n_endpoints = 1;
    } else {
        const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "endpoints");
        if (!eps) {
            rc = jr_fail(&j, "field \"endpoints\" is missing");
            goto fail;
        }
        if (!cJSON_IsArray(eps) || cJSON_GetArraySize(eps) == 0) {
            rc = jr_fail(&j, "\"endpoints\" must be a non-empty array of strings");
            goto fail;
        }
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "listener_security_protocol_map");
        if (map && !cJSON_IsNull(map) && !cJSON_IsObject(map)) {
            rc = jr_fail(&j, "\"listener_security_protocol_map\" must be an object");
            goto fail;
        }
        if (map && cJSON_IsNull(map))
            map = NULL;
        int n = cJSON_GetArraySize(eps);
        out->endpoints = arena_calloc(&out->mem, (size_t)n, sizeof(*out->endpoints));
        if (!out->endpoints) {
            rc = jr_nomem(&j);
            goto fail;
        }
        const cJSON *it;
        int i = 0;
        cJSON_ArrayForEach(it, eps)
        {
            struct zk_endpoint *ep = &out->endpoints[i];
            if (!cJSON_IsString(it)) {
                rc = jr_fail(&j, "\"endpoints\" must be a non-empty array of strings");
                goto fail;
            }
            char why[256];
            rc = zk_json_endpoint_parse(it->valuestring, ep, &out->mem, why, sizeof(why));
            if (rc) {
                rc = rc == GR_E_NOMEM ? jr_nomem(&j) : jr_fail(&j, "%s", why);
                goto fail;
            }
            for (int k = 0; k < i; k++) {
                if (strcmp(out->endpoints[k].listener, ep->listener) == 0) {
                    rc = jr_fail(&j, "listener %s appears twice in \"endpoints\"", ep->listener);
                    goto fail;
                }
            }
            /* Without a map, listener names are security protocol names (the
             * pre-0.10.2 convention Kafka still falls back to). */
            const char *proto = NULL;
            if (map) {
                const cJSON *p = NULL, *m;
                cJSON_ArrayForEach(m, map)
                {
                    if (m->string && strcasecmp(m->string, ep->listener) == 0)
                        p = m;
                }
                if (!p) {
                    rc = jr_fail(&j,
                                 "listener %s has no entry in \"listener_security_protocol_map\"",
                                 ep->listener);
                    goto fail;
                }
                if (!cJSON_IsString(p) || !(proto = known_protocol(p->valuestring))) {
                    rc = jr_fail(&j, "listener %s maps to an unknown security protocol",
                                 ep->listener);
                    goto fail;
                }
            } else if (!(proto = known_protocol(ep->listener))) {
                rc = jr_fail(&j,
                             "listener %s is not a security protocol and there is no "
                             "\"listener_security_protocol_map\"",
                             ep->listener);
                goto fail;
            }
            ep->security_protocol = arena_strdup(&out->mem, proto);
            if (!ep->security_protocol) {
                rc = jr_nomem(&j);
                goto fail;
            }
            i++;
        }
        out->n_endpoints = i;
    }
    if ((rc = jr_string(&j, root, "rack", false, true, &out->rack)) < 0)
        goto fail;
    struct zk_owner owner;
    read_owner(root, &owner);
    out->incarnation = owner.incarnation;
    if (owner.process[0] && !(out->process = arena_strdup(&out->mem, owner.process))) {
        rc = jr_nomem(&j);
        goto fail;
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_broker_destroy(out);
    return rc;
}

void zk_json_broker_destroy(struct zk_broker_info *b)
{
    arena_destroy(&b->mem);
    memset(b, 0, sizeof(*b));
    arena_init(&b->mem);
    b->timestamp_ms = -1;
    b->port = -1;
}

/* ---- topic assignment ---------------------------------------------------- */

static int cmp_partition(const void *x, const void *y)
{
    const struct zk_partition_replicas *a = x, *b = y;
    return (a->partition > b->partition) - (a->partition < b->partition);
}

/* Reads one of the optional {"<partition>":[ids]} maps of a reassignment. */
static int jr_reassign_map(struct jr *j, const cJSON *root, const char *key,
                           struct zk_topic_assignment *t, bool adding)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!m || cJSON_IsNull(m))
        return 0;
    if (!cJSON_IsObject(m))
        return jr_fail(j, "\"%s\" must be an object", key);
    const cJSON *it;
    cJSON_ArrayForEach(it, m)
    {
        int64_t p;
        if (!parse_decimal(it->string, strlen(it->string), 0, INT32_MAX, &p))
            return jr_fail(j, "\"%s\" has a key \"%s\" that is not a partition id", key,
                           it->string);
        struct zk_partition_replicas probe = {.partition = (int32_t)p};
        struct zk_partition_replicas *pr =
            bsearch(&probe, t->partitions, (size_t)t->n_partitions, sizeof(probe), cmp_partition);
        if (!pr)
            return jr_fail(j, "\"%s\" names partition %" PRId64 ", which \"partitions\" lacks", key,
                           p);
        char name[64];
        snprintf(name, sizeof(name), "%s of partition %" PRId64, key, p);
        int rc = adding ? jr_broker_ids(j, it, name, false, &pr->adding, &pr->n_adding)
                        : jr_broker_ids(j, it, name, false, &pr->removing, &pr->n_removing);
        if (rc)
            return rc;
    }
    return 0;
}

int zk_json_topic_decode(const char *data, size_t len, struct zk_topic_assignment *out,
                         char *errstr, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    struct jr j = {"topic assignment", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    if ((rc = jr_version(&j, root, 1, &out->version)) != 0)
        goto fail;
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "partitions");
    if (!parts) {
        rc = jr_fail(&j, "field \"partitions\" is missing");
        goto fail;
    }
    if (!cJSON_IsObject(parts) || cJSON_GetArraySize(parts) == 0) {
        rc = jr_fail(&j, "\"partitions\" must be a non-empty object of partition -> replicas");
        goto fail;
    }
    int n = cJSON_GetArraySize(parts);
    out->partitions = arena_calloc(&out->mem, (size_t)n, sizeof(*out->partitions));
    if (!out->partitions) {
        rc = jr_nomem(&j);
        goto fail;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, parts)
    {
        int64_t p;
        if (!parse_decimal(it->string, strlen(it->string), 0, INT32_MAX, &p)) {
            rc = jr_fail(&j, "\"partitions\" has a key \"%s\" that is not a partition id",
                         it->string);
            goto fail;
        }
        struct zk_partition_replicas *pr = &out->partitions[out->n_partitions];
        pr->partition = (int32_t)p;
        char name[48];
        snprintf(name, sizeof(name), "replicas of partition %" PRId64, p);
        if ((rc = jr_broker_ids(&j, it, name, true, &pr->replicas, &pr->n_replicas)) != 0)
            goto fail;
        out->n_partitions++;
    }
    /* Sorted first: duplicates become neighbours and the reassignment maps
     * can look partitions up by bisection (topics may have thousands). */
    qsort(out->partitions, (size_t)out->n_partitions, sizeof(*out->partitions), cmp_partition);
    for (int i = 1; i < out->n_partitions; i++) {
        if (out->partitions[i].partition == out->partitions[i - 1].partition) {
            rc = jr_fail(&j, "partition %d appears twice", (int)out->partitions[i].partition);
            goto fail;
        }
    }
    if ((rc = jr_reassign_map(&j, root, "adding_replicas", out, true)) != 0)
        goto fail;
    if ((rc = jr_reassign_map(&j, root, "removing_replicas", out, false)) != 0)
        goto fail;
    if ((rc = jr_string(&j, root, "topic_id", false, true, &out->topic_id)) < 0)
        goto fail;
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_topic_destroy(out);
    return rc;
}

static bool add_partition_map(cJSON *root, const char *key, const struct zk_topic_assignment *t,
                              int which)
{
    cJSON *m = cJSON_AddObjectToObject(root, key);
    if (!m)
        return false;
    for (int i = 0; i < t->n_partitions; i++) {
        const struct zk_partition_replicas *pr = &t->partitions[i];
        const int32_t *v = which == 0 ? pr->replicas : which == 1 ? pr->adding : pr->removing;
        int n = which == 0 ? pr->n_replicas : which == 1 ? pr->n_adding : pr->n_removing;
        /* Kafka lists only partitions with a reassignment in the side maps. */
        if (which != 0 && n == 0)
            continue;
        char k[16];
        snprintf(k, sizeof(k), "%d", (int)pr->partition);
        if (!add_int_array(m, k, v, n))
            return false;
    }
    return true;
}

int zk_json_topic_encode(const struct zk_topic_assignment *t, char **out, char *errstr,
                         size_t errsz)
{
    *out = NULL;
    if (t->n_partitions < 1 || !t->partitions) {
        set_err(errstr, errsz, "a topic needs at least one partition");
        return GR_E_INVALID;
    }
    bool reassigning = false;
    for (int i = 0; i < t->n_partitions; i++) {
        const struct zk_partition_replicas *pr = &t->partitions[i];
        if (pr->partition < 0 || pr->n_replicas < 1 || !pr->replicas) {
            set_err(errstr, errsz, "partition %d needs an id >= 0 and at least one replica",
                    (int)pr->partition);
            return GR_E_INVALID;
        }
        for (int k = 0; k < i; k++) {
            if (t->partitions[k].partition == pr->partition) {
                set_err(errstr, errsz, "partition %d is given twice", (int)pr->partition);
                return GR_E_INVALID;
            }
        }
        reassigning |= pr->n_adding > 0 || pr->n_removing > 0;
    }
    int version = t->topic_id ? 3 : reassigning ? 2 : 1;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", version);
    bad |= !add_partition_map(root, "partitions", t, 0);
    if (version >= 2) {
        bad |= !add_partition_map(root, "adding_replicas", t, 1);
        bad |= !add_partition_map(root, "removing_replicas", t, 2);
    }
    if (t->topic_id)
        bad |= !add_str(root, "topic_id", t->topic_id);
    return finish_encode(root, bad, out, errstr, errsz);
}

void zk_json_topic_destroy(struct zk_topic_assignment *t)
{
    arena_destroy(&t->mem);
    memset(t, 0, sizeof(*t));
    arena_init(&t->mem);
}

/* ---- partition state ----------------------------------------------------- */

int zk_json_partition_state_encode(const struct zk_partition_state *s, char **out, char *errstr,
                                   size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 1);
    bad |= !add_num(root, "leader", s->leader);
    bad |= !add_num(root, "leader_epoch", s->leader_epoch);
    bad |= !add_int_array(root, "isr", s->isr, s->n_isr);
    bad |= !add_num(root, "controller_epoch", s->controller_epoch);
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_partition_state_decode(const char *data, size_t len, struct zk_partition_state *out,
                                   char *errstr, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    out->zk_version = -1;
    struct jr j = {"partition state", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    if ((rc = jr_version(&j, root, 1, &version)) != 0)
        goto fail;
    if ((rc = jr_int32(&j, root, "leader", true, -2, &out->leader)) != 0)
        goto fail;
    if ((rc = jr_int32(&j, root, "leader_epoch", true, -2, &out->leader_epoch)) != 0)
        goto fail;
    if ((rc = jr_int32(&j, root, "controller_epoch", true, 0, &out->controller_epoch)) != 0)
        goto fail;
    const cJSON *isr = cJSON_GetObjectItemCaseSensitive(root, "isr");
    if (!isr) {
        rc = jr_fail(&j, "field \"isr\" is missing");
        goto fail;
    }
    if ((rc = jr_broker_ids(&j, isr, "\"isr\"", false, &out->isr, &out->n_isr)) != 0)
        goto fail;
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_partition_state_destroy(out);
    return rc;
}

void zk_json_partition_state_destroy(struct zk_partition_state *s)
{
    arena_destroy(&s->mem);
    memset(s, 0, sizeof(*s));
    arena_init(&s->mem);
    s->zk_version = -1;
}

/* ---- controller, controller epoch, consumer offset ----------------------- */

int zk_json_controller_encode(int32_t broker_id, int64_t timestamp_ms,
                              const struct zk_owner *owner, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    char ts[24];
    snprintf(ts, sizeof(ts), "%" PRId64, timestamp_ms);
    bad |= !add_num(root, "version", 1);
    bad |= !add_num(root, "brokerid", broker_id);
    bad |= !add_str(root, "timestamp", ts);
    if (owner)
        bad |= !add_owner(root, owner->incarnation, owner->process);
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_controller_decode(const char *data, size_t len, int32_t *broker_id, char *errstr,
                              size_t errsz)
{
    struct jr j = {"controller", errstr, errsz, NULL};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    rc = jr_version(&j, root, 1, &version);
    if (!rc)
        rc = jr_int32(&j, root, "brokerid", true, 0, broker_id);
    cJSON_Delete(root);
    return rc;
}

int zk_json_producer_id_block_encode(int32_t broker_id, int64_t block_start, int64_t block_end,
                                     char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    char start[24], end[24];
    snprintf(start, sizeof(start), "%" PRId64, block_start);
    snprintf(end, sizeof(end), "%" PRId64, block_end);
    bad |= !add_num(root, "version", 1);
    bad |= !add_num(root, "broker", broker_id);
    bad |= !add_str(root, "block_start", start);
    bad |= !add_str(root, "block_end", end);
    return finish_encode(root, bad, out, errstr, errsz);
}

/* One of the block's bounds: a decimal string, as Kafka writes it. */
static int jr_decimal_string(struct jr *j, const cJSON *obj, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return jr_fail(j, "field \"%s\" is missing", key);
    if (!cJSON_IsString(it) || !it->valuestring ||
        !parse_decimal(it->valuestring, strlen(it->valuestring), 0, INT64_MAX, out))
        return jr_fail(j, "field \"%s\" must be a string holding a non-negative decimal", key);
    return 0;
}

int zk_json_producer_id_block_decode(const char *data, size_t len, int64_t *block_start,
                                     int64_t *block_end, char *errstr, size_t errsz)
{
    struct jr j = {"producer id block", errstr, errsz, NULL};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version, broker;
    rc = jr_version(&j, root, 1, &version);
    if (!rc)
        rc = jr_int32(&j, root, "broker", true, INT32_MIN, &broker);
    if (!rc)
        rc = jr_decimal_string(&j, root, "block_start", block_start);
    if (!rc)
        rc = jr_decimal_string(&j, root, "block_end", block_end);
    if (!rc && *block_end < *block_start)
        rc = jr_fail(&j, "block_end %" PRId64 " is below block_start %" PRId64, *block_end,
                     *block_start);
    cJSON_Delete(root);
    return rc;
}

int zk_json_controller_epoch_encode(int32_t epoch, char *out, size_t outsz)
{
    if (epoch < 0)
        return GR_E_INVALID;
    int n = snprintf(out, outsz, "%d", (int)epoch);
    return n < 0 || (size_t)n >= outsz ? GR_E_INVALID : n;
}

int zk_json_controller_epoch_decode(const char *data, size_t len, int32_t *epoch, char *errstr,
                                    size_t errsz)
{
    int64_t v;
    if (!data || !parse_decimal(data, len, 0, INT32_MAX, &v)) {
        set_err(errstr, errsz, "controller epoch: expected a plain decimal number, got \"%.*s\"",
                data ? (int)(len > 40 ? 40 : len) : 0, data ? data : "");
        return GR_E_CORRUPT;
    }
    *epoch = (int32_t)v;
    return 0;
}

int zk_json_consumer_offset_encode(int64_t offset, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%" PRId64, offset);
    return n < 0 || (size_t)n >= outsz ? GR_E_INVALID : n;
}

int zk_json_consumer_offset_decode(const char *data, size_t len, int64_t *offset, char *errstr,
                                   size_t errsz)
{
    if (!data || !parse_decimal(data, len, INT64_MIN, INT64_MAX, offset)) {
        set_err(errstr, errsz, "consumer offset: expected a plain decimal number, got \"%.*s\"",
                data ? (int)(len > 40 ? 40 : len) : 0, data ? data : "");
        return GR_E_CORRUPT;
    }
    return 0;
}

/* ---- cluster id ---------------------------------------------------------- */

int zk_json_cluster_id_encode(const char *id, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (!id || !*id || strlen(id) > ZK_CLUSTER_ID_MAX) {
        set_err(errstr, errsz, "a cluster id has 1 to %d characters", ZK_CLUSTER_ID_MAX);
        return GR_E_INVALID;
    }
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_str(root, "version", "1");
    bad |= !add_str(root, "id", id);
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_cluster_id_decode(const char *data, size_t len, char *id, size_t idsz, char *errstr,
                              size_t errsz)
{
    struct jr j = {"cluster id", errstr, errsz, NULL};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    /* Kafka writes "version":"1" as a string; a number is tolerated. */
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (v && !cJSON_IsString(v) && !cJSON_IsNumber(v))
        rc = jr_fail(&j, "field \"version\" must be a string");
    else if (!it)
        rc = jr_fail(&j, "field \"id\" is missing");
    else if (!cJSON_IsString(it) || !*it->valuestring)
        rc = jr_fail(&j, "field \"id\" must be a non-empty string");
    else if (strlen(it->valuestring) > ZK_CLUSTER_ID_MAX || strlen(it->valuestring) >= idsz)
        rc = jr_fail(&j, "field \"id\" is too long");
    else
        memcpy(id, it->valuestring, strlen(it->valuestring) + 1);
    cJSON_Delete(root);
    return rc;
}

void zk_json_owner_decode(const char *data, size_t len, struct zk_owner *out)
{
    struct jr j = {"owner", NULL, 0, NULL};
    cJSON *root;
    out->incarnation = 0;
    out->process[0] = '\0';
    if (jr_parse_object(&j, data, len, &root))
        return;
    read_owner(root, out);
    cJSON_Delete(root);
}

int zk_json_cluster_id_generate(char out[ZK_CLUSTER_ID_LEN + 1])
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    do {
        uint8_t u[16];
        size_t got = 0;
        while (got < sizeof(u)) {
            ssize_t n = getrandom(u + got, sizeof(u) - got, 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return GR_E_IO;
            }
            got += (size_t)n;
        }
        /* A version 4, IETF-variant UUID, exactly what Java's
         * UUID.randomUUID() (Kafka's generator) produces. */
        u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
        u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
        size_t o = 0;
        for (size_t i = 0; i < 16; i += 3) {
            uint32_t v = (uint32_t)u[i] << 16;
            if (i + 1 < 16)
                v |= (uint32_t)u[i + 1] << 8;
            if (i + 2 < 16)
                v |= u[i + 2];
            out[o++] = b64url[(v >> 18) & 63];
            out[o++] = b64url[(v >> 12) & 63];
            if (i + 1 < 16)
                out[o++] = b64url[(v >> 6) & 63];
            if (i + 2 < 16)
                out[o++] = b64url[v & 63];
        }
        out[o] = '\0';
    } while (out[0] == '-');
    return 0;
}

/* ---- topic config and config change notification ------------------------- */

int zk_json_config_encode(const struct zk_config *c, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 1);
    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    bad |= !cfg;
    for (int i = 0; !bad && i < c->n; i++) {
        if (!c->entries[i].key || !*c->entries[i].key || !c->entries[i].value) {
            cJSON_Delete(root);
            set_err(errstr, errsz, "config entry %d needs a key and a value", i);
            return GR_E_INVALID;
        }
        bad |= !add_str(cfg, c->entries[i].key, c->entries[i].value);
    }
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_config_decode(const char *data, size_t len, struct zk_config *out, char *errstr,
                          size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    if (!data || len == 0)
        return 0;
    struct jr j = {"topic config", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    if ((rc = jr_version(&j, root, 1, &version)) != 0)
        goto fail;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!cfg) {
        rc = jr_fail(&j, "field \"config\" is missing");
        goto fail;
    }
    if (!cJSON_IsObject(cfg)) {
        rc = jr_fail(&j, "\"config\" must be an object of string values");
        goto fail;
    }
    int n = cJSON_GetArraySize(cfg);
    if (n > 0) {
        out->entries = arena_calloc(&out->mem, (size_t)n, sizeof(*out->entries));
        if (!out->entries) {
            rc = jr_nomem(&j);
            goto fail;
        }
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, cfg)
    {
        if (!it->string || !*it->string) {
            rc = jr_fail(&j, "\"config\" has an empty key");
            goto fail;
        }
        if (!cJSON_IsString(it)) {
            rc = jr_fail(&j, "config \"%s\" must be a string (Kafka stores all values as strings)",
                         it->string);
            goto fail;
        }
        for (int k = 0; k < out->n; k++) {
            if (strcmp(out->entries[k].key, it->string) == 0) {
                rc = jr_fail(&j, "config \"%s\" appears twice", it->string);
                goto fail;
            }
        }
        struct zk_config_entry *e = &out->entries[out->n];
        e->key = arena_strdup(&out->mem, it->string);
        e->value = arena_strdup(&out->mem, it->valuestring);
        if (!e->key || !e->value) {
            rc = jr_nomem(&j);
            goto fail;
        }
        out->n++;
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_config_destroy(out);
    return rc;
}

void zk_json_config_destroy(struct zk_config *c)
{
    arena_destroy(&c->mem);
    memset(c, 0, sizeof(*c));
    arena_init(&c->mem);
}

int zk_json_config_change_encode(const char *entity_path, char **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (!entity_path || !strchr(entity_path, '/')) {
        set_err(errstr, errsz, "an entity path looks like \"topics/<name>\"");
        return GR_E_INVALID;
    }
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 2);
    bad |= !add_str(root, "entity_path", entity_path);
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_config_change_decode(const char *data, size_t len, char *entity_path, size_t sz,
                                 char *errstr, size_t errsz)
{
    struct arena a;
    arena_init(&a);
    struct jr j = {"config change notification", errstr, errsz, &a};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    char *type = NULL, *name = NULL, *path = NULL;
    if ((rc = jr_int32(&j, root, "version", true, 0, &version)) != 0)
        goto out;
    if (version == 1) {
        if ((rc = jr_string(&j, root, "entity_type", true, false, &type)) != 0)
            goto out;
        if ((rc = jr_string(&j, root, "entity_name", true, false, &name)) != 0)
            goto out;
        if (!*type || !*name) {
            rc = jr_fail(&j, "\"entity_type\" and \"entity_name\" must not be empty");
            goto out;
        }
        if ((size_t)snprintf(entity_path, sz, "%s/%s", type, name) >= sz)
            rc = jr_fail(&j, "entity path is too long");
    } else if (version == 2) {
        if ((rc = jr_string(&j, root, "entity_path", true, false, &path)) != 0)
            goto out;
        const char *slash = strchr(path, '/');
        if (!slash || slash == path || !slash[1])
            rc = jr_fail(&j, "\"entity_path\" must look like \"<type>/<name>\", got \"%s\"", path);
        else if ((size_t)snprintf(entity_path, sz, "%s", path) >= sz)
            rc = jr_fail(&j, "entity path is too long");
    } else {
        rc = jr_fail(&j, "unsupported version %d (Kafka writes 1 or 2)", (int)version);
    }
out:
    cJSON_Delete(root);
    arena_destroy(&a);
    return rc;
}

/* ---- partition lists (ISR change, preferred election) -------------------- */

static int jr_topic_partition(struct jr *j, const cJSON *it, int idx, char **topic, int32_t *part)
{
    if (!cJSON_IsObject(it))
        return jr_fail(j, "entry %d of \"partitions\" must be an object", idx);
    int rc = jr_string(j, it, "topic", true, false, topic);
    if (rc)
        return rc;
    if (!**topic)
        return jr_fail(j, "entry %d of \"partitions\" has an empty topic", idx);
    return jr_int32(j, it, "partition", true, 0, part);
}

static const cJSON *jr_partitions_array(struct jr *j, const cJSON *root, int *rc)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "partitions");
    *rc = 0;
    if (!arr)
        *rc = jr_fail(j, "field \"partitions\" is missing");
    else if (!cJSON_IsArray(arr))
        *rc = jr_fail(j, "\"partitions\" must be an array");
    return arr;
}

int zk_json_partition_list_encode(const struct zk_partition_list *l, char **out, char *errstr,
                                  size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 1);
    cJSON *arr = cJSON_AddArrayToObject(root, "partitions");
    bad |= !arr;
    for (int i = 0; !bad && i < l->n; i++) {
        if (!l->items[i].topic || !*l->items[i].topic || l->items[i].partition < 0) {
            cJSON_Delete(root);
            set_err(errstr, errsz, "entry %d needs a topic and a partition >= 0", i);
            return GR_E_INVALID;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            bad = true;
            break;
        }
        bad |= !add_str(o, "topic", l->items[i].topic);
        bad |= !add_num(o, "partition", l->items[i].partition);
    }
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_partition_list_decode(const char *data, size_t len, struct zk_partition_list *out,
                                  char *errstr, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    struct jr j = {"partition list", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    const cJSON *arr;
    if ((rc = jr_version(&j, root, 1, &version)) != 0)
        goto fail;
    arr = jr_partitions_array(&j, root, &rc);
    if (rc)
        goto fail;
    int n = cJSON_GetArraySize(arr);
    if (n > 0) {
        out->items = arena_calloc(&out->mem, (size_t)n, sizeof(*out->items));
        if (!out->items) {
            rc = jr_nomem(&j);
            goto fail;
        }
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        struct zk_topic_partition *tp = &out->items[out->n];
        if ((rc = jr_topic_partition(&j, it, out->n, &tp->topic, &tp->partition)) != 0)
            goto fail;
        out->n++;
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_partition_list_destroy(out);
    return rc;
}

void zk_json_partition_list_destroy(struct zk_partition_list *l)
{
    arena_destroy(&l->mem);
    memset(l, 0, sizeof(*l));
    arena_init(&l->mem);
}

/* ---- reassignment -------------------------------------------------------- */

int zk_json_reassignment_encode(const struct zk_reassignment *r, char **out, char *errstr,
                                size_t errsz)
{
    *out = NULL;
    bool bad = false;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return finish_encode(NULL, true, out, errstr, errsz);
    bad |= !add_num(root, "version", 1);
    cJSON *arr = cJSON_AddArrayToObject(root, "partitions");
    bad |= !arr;
    for (int i = 0; !bad && i < r->n; i++) {
        const struct zk_reassignment_entry *e = &r->items[i];
        if (!e->topic || !*e->topic || e->partition < 0 || e->n_replicas < 1) {
            cJSON_Delete(root);
            set_err(errstr, errsz, "entry %d needs a topic, a partition >= 0 and replicas", i);
            return GR_E_INVALID;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            bad = true;
            break;
        }
        bad |= !add_str(o, "topic", e->topic);
        bad |= !add_num(o, "partition", e->partition);
        bad |= !add_int_array(o, "replicas", e->replicas, e->n_replicas);
    }
    return finish_encode(root, bad, out, errstr, errsz);
}

int zk_json_reassignment_decode(const char *data, size_t len, struct zk_reassignment *out,
                                char *errstr, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->mem);
    struct jr j = {"partition reassignment", errstr, errsz, &out->mem};
    cJSON *root;
    int rc = jr_parse_object(&j, data, len, &root);
    if (rc)
        return rc;
    int32_t version;
    const cJSON *arr;
    if ((rc = jr_version(&j, root, 1, &version)) != 0)
        goto fail;
    arr = jr_partitions_array(&j, root, &rc);
    if (rc)
        goto fail;
    int n = cJSON_GetArraySize(arr);
    if (n > 0) {
        out->items = arena_calloc(&out->mem, (size_t)n, sizeof(*out->items));
        if (!out->items) {
            rc = jr_nomem(&j);
            goto fail;
        }
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        struct zk_reassignment_entry *e = &out->items[out->n];
        if ((rc = jr_topic_partition(&j, it, out->n, &e->topic, &e->partition)) != 0)
            goto fail;
        for (int k = 0; k < out->n; k++) {
            if (out->items[k].partition == e->partition &&
                strcmp(out->items[k].topic, e->topic) == 0) {
                rc = jr_fail(&j, "%s-%d appears twice", e->topic, (int)e->partition);
                goto fail;
            }
        }
        const cJSON *reps = cJSON_GetObjectItemCaseSensitive(it, "replicas");
        if (!reps) {
            rc = jr_fail(&j, "entry %d of \"partitions\" has no \"replicas\"", out->n);
            goto fail;
        }
        char name[64];
        snprintf(name, sizeof(name), "replicas of entry %d", out->n);
        if ((rc = jr_broker_ids(&j, reps, name, true, &e->replicas, &e->n_replicas)) != 0)
            goto fail;
        out->n++;
    }
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    zk_json_reassignment_destroy(out);
    return rc;
}

void zk_json_reassignment_destroy(struct zk_reassignment *r)
{
    arena_destroy(&r->mem);
    memset(r, 0, sizeof(*r));
    arena_init(&r->mem);
}
