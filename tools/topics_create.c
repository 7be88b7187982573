/*
 * gregor-topics --create (see topics_cmd.h): Kafka 2.8's
 * ZookeeperTopicService.createTopic with AdminZkClient's checks, in Kafka's
 * order, so that the first error reported is the one Kafka reports: the
 * --replica-assignment and --config syntax, the assignment (replication
 * factor against live brokers), then the name, a pending deletion, an
 * existing topic and names that collide in metrics. The znodes are written by
 * zk_topic_create(): /config/topics/<t>, then /brokers/topics/<t>. The
 * controller takes it from there (partition states, leaders).
 */
#include "tools/topics_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/topic_name.h"

/* Kafka's Topic.validate() messages; topic_name_valid() has the rule. */
static int check_name(const char *t)
{
    if (topic_name_valid(t))
        return 0;
    if (!*t)
        return topics_error("Topic name is illegal, it can't be empty");
    if (!strcmp(t, ".") || !strcmp(t, ".."))
        return topics_error("Topic name cannot be \".\" or \"..\"");
    if (strlen(t) > 249)
        return topics_error(
            "Topic name is illegal, it can't be longer than 249 characters, topic name: %s", t);
    return topics_error("Topic name \"%s\" is illegal, it contains a character other than ASCII "
                        "alphanumerics, '.', '_' and '-'",
                        t);
}

/* Kafka's metric names turn '.' into '_', so "a.b" and "a_b" would share
 * them: Topic.hasCollision. */
static bool collide(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
        if (x != y)
            return false;
    }
    return !*a && !*b;
}

enum existing { FREE, FAILED, EXISTS, MARKED };

/* The existence checks of AdminZkClient.validateTopicCreate. FAILED means an
 * error was printed; EXISTS and MARKED are left to the caller, since
 * --if-not-exists silences both (Kafka throws TopicExistsException for
 * both). */
static enum existing check_existing(struct topics_zk *z, const char *t)
{
    if (topics_marked_for_deletion(z, t))
        return MARKED;
    char **all = NULL;
    int n = 0;
    int rc = topics_zk_children(z, "/brokers/topics", &all, &n);
    if (rc == GR_E_NOENT)
        rc = GR_OK;
    if (rc != GR_OK) {
        topics_zk_error("cannot list /brokers/topics", rc);
        return FAILED;
    }
    enum existing status = FREE;
    char colliding[4096] = "";
    size_t used = 0;
    for (int i = 0; i < n && status == FREE; i++) {
        if (!strcmp(all[i], t))
            status = EXISTS;
        else if (collide(all[i], t) && used < sizeof(colliding))
            used += (size_t)snprintf(colliding + used, sizeof(colliding) - used, "%s%s",
                                     used ? ", " : "", all[i]);
    }
    topics_zk_free_names(all, n);
    if (status == FREE && used) {
        topics_error("Topic '%s' collides with existing topics: %s", t, colliding);
        return FAILED;
    }
    return status;
}

/* Kafka's placement over the live brokers into a (initialised here).
 * Returns 0 or the exit status (error printed). */
static int compute_assignment(struct topics_zk *z, const struct topics_opts *o,
                              struct zk_topic_assignment *a)
{
    char err[512];
    memset(a, 0, sizeof(*a));
    arena_init(&a->mem);
    int32_t *brokers = NULL;
    int n = 0;
    int rc = topics_zk_broker_ids(z, &brokers, &n, err, sizeof(err));
    if (rc != GR_OK)
        return topics_error("cannot list the live brokers: %s", err);
    rc = topics_assignment_compute(brokers, n, o->partitions, o->replication_factor, 0, -1, a, err,
                                   sizeof(err));
    free(brokers);
    return rc ? topics_error("%s", err) : 0;
}

int topics_create(struct topics_zk *z, const struct topics_opts *o)
{
    const char *t = o->topic;
    struct zk_topic_assignment a;
    struct zk_config cfg;
    char err[512];
    memset(&a, 0, sizeof(a));
    memset(&cfg, 0, sizeof(cfg));
    int status = 0;

    /* Kafka parses the assignment before the configs. */
    if (o->replica_assignment &&
        topics_assignment_parse(o->replica_assignment, &a, err, sizeof(err))) {
        status = topics_error("%s", err);
        goto out;
    }
    if (topics_config_parse(o->configs, o->n_configs, &cfg, err, sizeof(err))) {
        status = topics_error("%s", err);
        goto out;
    }
    if (strchr(t, '.') || strchr(t, '_'))
        printf("WARNING: Due to limitations in metric names, topics with a period ('.') or "
               "underscore ('_') could collide. To avoid issues it is best to use either, but not "
               "both.\n");
    if (!o->replica_assignment && (status = compute_assignment(z, o, &a)) != 0)
        goto out;
    if ((status = check_name(t)) != 0)
        goto out;
    int rc = GR_OK;
    switch (check_existing(z, t)) {
    case FREE: rc = topics_zk_topic_create(z, t, &a, &cfg, err, sizeof(err)); break;
    case FAILED: status = 1; goto out;
    case EXISTS: rc = GR_E_TOPIC_EXISTS; break;
    case MARKED:
        if (!o->if_not_exists)
            status = topics_error("Topic '%s' is marked for deletion.", t);
        goto out;
    }
    /* GR_E_TOPIC_EXISTS also when another client created it meanwhile. */
    if (rc == GR_E_TOPIC_EXISTS) {
        if (!o->if_not_exists)
            status = topics_error("Topic '%s' already exists.", t);
        goto out;
    }
    if (rc != GR_OK) {
        status = topics_error("%s", err);
        goto out;
    }
    printf("Created topic %s.\n", t);
out:
    zk_json_topic_destroy(&a);
    zk_json_config_destroy(&cfg);
    return status;
}
