/*
 * gregor-topics --delete (see topics_cmd.h): Kafka 2.8's
 * ZookeeperTopicService.deleteTopic. It only asks: it creates
 * /admin/delete_topics/<t>, and the controller deletes the topic's znodes and
 * every broker its log directories.
 */
#include "tools/topics_cmd.h"

#include <stdio.h>
#include <stdlib.h>

int topics_delete(struct topics_zk *z, const struct topics_opts *o)
{
    char **names;
    int n;
    int status = topics_select(z, o, &names, &n);
    if (status)
        return status;
    status = topics_ensure_exist(o, n);
    for (int i = 0; !status && i < n; i++) {
        const char *t = names[i];
        if (topics_is_internal(t)) {
            status = topics_error(
                "Topic %s is a kafka internal topic and is not allowed to be marked for deletion.",
                t);
            break;
        }
        char path[512];
        snprintf(path, sizeof(path), "/admin/delete_topics/%s", t);
        int rc = topics_zk_create(z, path, NULL, 0);
        if (rc == GR_OK) {
            printf("Topic %s is marked for deletion.\n", t);
            printf("Note: This will have no impact if delete.topic.enable is not set to true.\n");
        } else if (rc == GR_E_EXISTS) {
            printf("Topic %s is already marked for deletion.\n", t);
        } else {
            status = topics_error("Error while deleting topic %s (%s)", t, gr_strerror(rc));
        }
    }
    topics_zk_free_names(names, n);
    return status;
}
