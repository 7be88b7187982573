/*
 * gregor-topics: Kafka 2.8's kafka-topics in ZooKeeper mode
 * (kafka-topics --zookeeper ...), talking to ZooKeeper only; no broker needs
 * to be reachable. It creates, lists, describes, alters and deletes topics by
 * reading and writing the znodes Kafka's TopicCommand does, with Kafka's
 * output lines and error messages.
 *
 *   gregor-topics --zookeeper 127.0.0.1:2181 --create --topic T \
 *       --partitions 3 --replication-factor 1
 *   gregor-topics --zookeeper 127.0.0.1:2181 --describe --topic T
 *   gregor-topics --help
 *
 * Exit status 0 on success, 1 on any error (as Kafka's). Errors of the
 * command line print the reason and the usage on stderr; errors of the
 * command print "Error while executing topic command : ..." on stdout (where
 * Kafka prints it) and once more on stderr. The zk client's own log lines are
 * silent unless GREGOR_LOG_LEVEL is set.
 *
 * This file owns the order of things: options, checks, session, command.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/logger.h"
#include "tools/topics_cmd.h"

static int usage_error(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    topics_opts_usage(stderr);
    return 1;
}

static int run(struct topics_zk *z, const struct topics_opts *o)
{
    if (o->create)
        return topics_create(z, o);
    if (o->alter)
        return topics_alter(z, o);
    if (o->list)
        return topics_list(z, o);
    if (o->describe)
        return topics_describe(z, o);
    return topics_delete(z, o);
}

int main(int argc, char **argv)
{
    struct topics_opts o;
    char err[1024];
    topics_zk_quiet_logs();
    if (argc < 2)
        return usage_error("Create, delete, describe, or change a topic.");
    if (topics_opts_parse(argc, argv, &o, err, sizeof(err))) {
        topics_opts_destroy(&o);
        return usage_error(err);
    }
    if (o.help) {
        printf("This tool helps to create, delete, describe, or change a topic.\n");
        topics_opts_usage(stdout);
        topics_opts_destroy(&o);
        return 0;
    }
    if (o.version) {
        printf("%s\n", PACKAGE_VERSION);
        topics_opts_destroy(&o);
        return 0;
    }
    if (topics_opts_check(&o, err, sizeof(err))) {
        topics_opts_destroy(&o);
        return usage_error(err);
    }
    struct topics_zk *z = topics_zk_open(o.zookeeper, err, sizeof(err));
    if (!z) {
        int status = topics_error("%s", err);
        topics_opts_destroy(&o);
        return status;
    }
    int status = run(z, &o);
    fflush(stdout);
    topics_zk_close(z);
    topics_opts_destroy(&o);
    return status;
}
