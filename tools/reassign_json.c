/*
 * gregor-reassign-partitions' JSON files and partition lists (see
 * reassign.h).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/topic_name.h"
#include "tools/reassign.h"

void ra_list_free(struct ra_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->p[i].topic);
        free(l->p[i].replicas);
    }
    free(l->p);
    memset(l, 0, sizeof(*l));
}

int ra_list_add(struct ra_list *l, const char *topic, int32_t partition, const int32_t *replicas,
                int n, const int32_t *adding, int na, const int32_t *removing, int nr)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        struct ra_part *p = realloc(l->p, (size_t)cap * sizeof(*p));
        if (!p)
            return -1;
        l->p = p;
        l->cap = cap;
    }
    struct ra_part *p = &l->p[l->n];
    memset(p, 0, sizeof(*p));
    p->topic = strdup(topic);
    p->replicas = calloc((size_t)(n + na + nr) + 1, sizeof(int32_t));
    if (!p->topic || !p->replicas) {
        free(p->topic);
        free(p->replicas);
        return -1;
    }
    p->partition = partition;
    p->n = n;
    p->na = na;
    p->nr = nr;
    p->adding = p->replicas + n;
    p->removing = p->adding + na;
    if (n)
        memcpy(p->replicas, replicas, (size_t)n * sizeof(int32_t));
    if (na)
        memcpy(p->adding, adding, (size_t)na * sizeof(int32_t));
    if (nr)
        memcpy(p->removing, removing, (size_t)nr * sizeof(int32_t));
    l->n++;
    return 0;
}

struct ra_part *ra_list_find(const struct ra_list *l, const char *topic, int32_t partition)
{
    for (int i = 0; i < l->n; i++)
        if (l->p[i].partition == partition && !strcmp(l->p[i].topic, topic))
            return &l->p[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    const struct ra_part *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

void ra_list_sort(struct ra_list *l)
{
    if (l->n > 1)
        qsort(l->p, (size_t)l->n, sizeof(*l->p), by_name);
}

void ra_list_names(const struct ra_list *l, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < l->n && len + 1 < outsz; i++)
        len += (size_t)snprintf(out + len, outsz - len, "%s%s-%d", i ? "," : "", l->p[i].topic,
                                l->p[i].partition);
}

int ra_read_file(const char *path, char **text, char *err, size_t errsz)
{
    return fs_read_text(path, text, RA_FILE_MAX, err, errsz) ? -1 : 0;
}

static bool whole_number(const cJSON *n, double lo, double hi)
{
    return cJSON_IsNumber(n) && n->valuedouble >= lo && n->valuedouble <= hi &&
           n->valuedouble == (double)(int64_t)n->valuedouble;
}

/* One entry of "partitions": appended to out, or err. */
static int parse_entry(const cJSON *e, struct ra_list *out, char *err, size_t errsz)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "topic");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "partition");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "replicas");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "log_dirs");
    if (!cJSON_IsString(t) || !whole_number(p, 0, 2147483647.0) || !cJSON_IsArray(r)) {
        snprintf(err, errsz, "each partition needs \"topic\" (a string), \"partition\" (a "
                             "partition number) and \"replicas\" (a list of broker ids)");
        return -1;
    }
    if (!topic_name_valid(t->valuestring)) {
        snprintf(err, errsz, "\"%s\" is not a legal topic name", t->valuestring);
        return -1;
    }
    int n = cJSON_GetArraySize(r);
    int32_t *ids = calloc((size_t)n + 1, sizeof(int32_t));
    if (!ids) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    int k = 0, rc = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, r)
    {
        if (!whole_number(id, -2147483648.0, 2147483647.0)) {
            snprintf(err, errsz, "the replicas of %s-%d must be broker ids", t->valuestring,
                     (int32_t)p->valuedouble);
            rc = -1;
            break;
        }
        ids[k++] = (int32_t)id->valuedouble;
    }
    char name[300];
    snprintf(name, sizeof(name), "%s-%d", t->valuestring, (int32_t)p->valuedouble);
    if (!rc && !n) {
        snprintf(err, errsz, "Partition replica list cannot be empty");
        rc = -1;
    }
    for (int i = 0; !rc && i < n; i++)
        for (int j = 0; j < i; j++)
            if (ids[i] == ids[j]) {
                snprintf(err, errsz,
                         "Partition replica lists may not contain duplicate entries: %s contains "
                         "multiple entries for %d",
                         name, ids[i]);
                rc = -1;
                break;
            }
    if (!rc && d && (!cJSON_IsArray(d) || cJSON_GetArraySize(d) != n)) {
        snprintf(err, errsz, "Size of replicas list is different from size of log dirs list for "
                             "partition %s",
                 name);
        rc = -1;
    }
    const cJSON *dir;
    if (!rc && d)
        cJSON_ArrayForEach(dir, d) if (!cJSON_IsString(dir) || strcmp(dir->valuestring, "any"))
        {
            snprintf(err, errsz,
                     "%s: gregor keeps each partition in the log dir the broker chooses; "
                     "log_dirs entries must be \"any\"",
                     name);
            rc = -1;
            break;
        }
    if (!rc && ra_list_find(out, t->valuestring, (int32_t)p->valuedouble)) {
        snprintf(err, errsz, "Partition reassignment contains duplicate topic partitions: %s",
                 name);
        rc = -1;
    }
    if (!rc && ra_list_add(out, t->valuestring, (int32_t)p->valuedouble, ids, n, NULL, 0, NULL,
                           0)) {
        snprintf(err, errsz, "out of memory");
        rc = -1;
    }
    free(ids);
    return rc;
}

int ra_parse_plan(const char *text, struct ra_list *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = cJSON_Parse(text);
    const cJSON *parts = root ? cJSON_GetObjectItemCaseSensitive(root, "partitions") : NULL;
    int rc = 0;
    if (!root || !cJSON_IsObject(root)) {
        snprintf(err, errsz, "The partition reassignment file is not JSON");
        rc = -1;
    } else if (!cJSON_IsArray(parts)) {
        snprintf(err, errsz, "Partition reassignment data file is missing \"partitions\"");
        rc = -1;
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, parts) if ((rc = parse_entry(e, out, err, errsz))) break;
        if (!rc && !out->n) {
            snprintf(err, errsz, "Partition reassignment data file is empty");
            rc = -1;
        }
    }
    cJSON_Delete(root);
    if (rc)
        ra_list_free(out);
    return rc;
}

int ra_parse_topics(const char *text, char ***topics, int *n, char *err, size_t errsz)
{
    cJSON *root = cJSON_Parse(text);
    const cJSON *ts = root ? cJSON_GetObjectItemCaseSensitive(root, "topics") : NULL;
    *topics = NULL;
    *n = 0;
    int rc = 0;
    if (!cJSON_IsArray(ts)) {
        snprintf(err, errsz, "The topics to move file must look like {\"topics\": [{\"topic\": "
                             "\"foo\"}], \"version\": 1}");
        cJSON_Delete(root);
        return -1;
    }
    char **names = calloc((size_t)cJSON_GetArraySize(ts) + 1, sizeof(char *));
    const cJSON *e;
    cJSON_ArrayForEach(e, ts)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "topic");
        if (!names || !cJSON_IsString(t) || !topic_name_valid(t->valuestring)) {
            snprintf(err, errsz, names ? "each entry of \"topics\" needs a legal \"topic\" name"
                                       : "out of memory");
            rc = -1;
            break;
        }
        for (int i = 0; i < *n; i++)
            if (!strcmp(names[i], t->valuestring)) {
                snprintf(err, errsz,
                         "List of topics to reassign contains duplicate entries: %s",
                         t->valuestring);
                rc = -1;
            }
        if (rc || !(names[*n] = strdup(t->valuestring))) {
            if (!rc)
                snprintf(err, errsz, "out of memory");
            rc = -1;
            break;
        }
        (*n)++;
    }
    cJSON_Delete(root);
    if (rc) {
        for (int i = 0; names && i < *n; i++)
            free(names[i]);
        free(names);
        *n = 0;
        return -1;
    }
    *topics = names;
    return 0;
}

char *ra_format(const struct ra_list *l)
{
    cJSON *root = cJSON_CreateObject(), *parts = cJSON_CreateArray();
    if (!root || !parts) {
        cJSON_Delete(root);
        cJSON_Delete(parts);
        return NULL;
    }
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddItemToObject(root, "partitions", parts);
    for (int i = 0; i < l->n; i++) {
        const struct ra_part *p = &l->p[i];
        cJSON *e = cJSON_CreateObject(), *r = cJSON_CreateArray(), *d = cJSON_CreateArray();
        if (!e || !r || !d) {
            cJSON_Delete(e);
            cJSON_Delete(r);
            cJSON_Delete(d);
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddStringToObject(e, "topic", p->topic);
        cJSON_AddNumberToObject(e, "partition", p->partition);
        for (int k = 0; k < p->n; k++) {
            cJSON_AddItemToArray(r, cJSON_CreateNumber(p->replicas[k]));
            cJSON_AddItemToArray(d, cJSON_CreateString("any"));
        }
        cJSON_AddItemToObject(e, "replicas", r);
        cJSON_AddItemToObject(e, "log_dirs", d);
        cJSON_AddItemToArray(parts, e);
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}
