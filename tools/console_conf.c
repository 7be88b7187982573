/* Client properties of the console tools; see console_conf.h. */
#include "tools/console_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/props.h"

int console_conf_set(struct console_conf *c, const char *key, const char *value)
{
    char **k = realloc(c->keys, sizeof(*k) * (size_t)(c->n + 1));
    if (!k)
        return -1;
    c->keys = k;
    char **v = realloc(c->values, sizeof(*v) * (size_t)(c->n + 1));
    if (!v)
        return -1;
    c->values = v;
    c->keys[c->n] = strdup(key);
    c->values[c->n] = strdup(value);
    if (!c->keys[c->n] || !c->values[c->n]) {
        free(c->keys[c->n]);
        free(c->values[c->n]);
        return -1;
    }
    c->n++;
    return 0;
}

int console_conf_add_kv(struct console_conf *c, const char *tool, const char *option,
                        const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "%s: %s \"%s\" is not key=value; give it as --%s key=value\n", tool, option,
                kv, option);
        return -1;
    }
    char key[256];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    return console_conf_set(c, key, eq + 1);
}

static int load_one(const char *key, const char *value, int line, void *arg)
{
    (void)line;
    return console_conf_set(arg, key, value) ? 1 : 0;
}

int console_conf_load(struct console_conf *c, const char *tool, const char *path)
{
    char err[512];
    int rc = props_load_file(path, load_one, c, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", tool, err);
    else if (rc)
        fprintf(stderr, "%s: out of memory reading %s\n", tool, path);
    return rc ? -1 : 0;
}

const char *console_conf_get(const struct console_conf *c, const char *key)
{
    for (int i = c->n - 1; i >= 0; i--)
        if (!strcmp(c->keys[i], key))
            return c->values[i];
    return NULL;
}

int console_conf_apply(const struct console_conf *c, rd_kafka_conf_t *conf, const char *tool)
{
    char err[512];
    for (int i = 0; i < c->n; i++) {
        if (rd_kafka_conf_set(conf, c->keys[i], c->values[i], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s: property %s=%s: %s\n", tool, c->keys[i], c->values[i], err);
            return -1;
        }
    }
    return 0;
}

void console_conf_destroy(struct console_conf *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->keys[i]);
        free(c->values[i]);
    }
    free(c->keys);
    free(c->values);
    c->keys = c->values = NULL;
    c->n = 0;
}

rd_kafka_t *console_conf_client(struct console_conf *c, rd_kafka_type_t type, const char *tool,
                                void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *))
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = console_conf_apply(c, conf, tool);
    console_conf_destroy(c);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (dr)
        rd_kafka_conf_set_dr_msg_cb(conf, dr);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "%s: cannot create the client: %s\n", tool, err);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}
