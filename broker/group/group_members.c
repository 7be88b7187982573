/*
 * A group's members and their indexes (see group_members.h).
 */
#include "broker/group/group_members.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/group/group_member.h"
#include "common/err.h"

void group_members_init(struct group *g)
{
    strmap_init(&g->by_id);
    strmap_init(&g->by_instance);
    strmap_init(&g->pending_by_id);
    strmap_init(&g->protocol_counts);
}

void group_members_destroy(struct group *g)
{
    strmap_destroy(&g->by_id);
    strmap_destroy(&g->by_instance);
    strmap_destroy(&g->pending_by_id);
    strmap_destroy(&g->protocol_counts);
}

int group_members_supporting(const struct group *g, const char *name)
{
    return (int)(intptr_t)strmap_get(&g->protocol_counts, name);
}

/* Adds delta to the count of each of m's protocols. Returns 0 or
 * GR_E_NOMEM (counts unchanged). */
static int count(struct group *g, const struct group_member *m, int delta)
{
    for (int i = 0; i < m->nprotocols; i++) {
        const char *name = m->protocols[i].name;
        intptr_t n = (intptr_t)strmap_get(&g->protocol_counts, name) + delta;
        if (n > 0 && strmap_put(&g->protocol_counts, name, (void *)n)) {
            count(g, &(struct group_member){.protocols = m->protocols, .nprotocols = i}, -delta);
            return GR_E_NOMEM;
        }
        if (n <= 0)
            strmap_del(&g->protocol_counts, name);
    }
    return 0;
}

int group_members_add(struct group *g, struct group_member *m)
{
    if (strmap_put(&g->by_id, m->id, m))
        return GR_E_NOMEM;
    if ((m->instance_id && strmap_put(&g->by_instance, m->instance_id, m)) || count(g, m, 1)) {
        if (m->instance_id)
            strmap_del(&g->by_instance, m->instance_id);
        strmap_del(&g->by_id, m->id);
        return GR_E_NOMEM;
    }
    m->next = NULL;
    m->prev = g->members_tail;
    if (g->members_tail)
        g->members_tail->next = m;
    else
        g->members = m;
    g->members_tail = m;
    g->nmembers++;
    g->nawaiting += m->awaiting_join;
    return 0;
}

/* Takes m out of the doubly linked list at *head (whose last element is
 * *tail, when the list keeps one). */
static void list_unlink(struct group_member **head, struct group_member **tail,
                        struct group_member *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        *head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else if (tail)
        *tail = m->prev;
    m->next = m->prev = NULL;
}

void group_members_del(struct group *g, struct group_member *m)
{
    list_unlink(&g->members, &g->members_tail, m);
    g->nmembers--;
    g->nawaiting -= m->awaiting_join;
    strmap_del(&g->by_id, m->id);
    if (m->instance_id && strmap_get(&g->by_instance, m->instance_id) == m)
        strmap_del(&g->by_instance, m->instance_id);
    count(g, m, -1);
}

int group_members_add_pending(struct group *g, struct group_member *m)
{
    if (strmap_put(&g->pending_by_id, m->id, m))
        return GR_E_NOMEM;
    m->pending = true;
    m->prev = NULL;
    m->next = g->pending;
    if (g->pending)
        g->pending->prev = m;
    g->pending = m;
    g->npending++;
    return 0;
}

void group_members_del_pending(struct group *g, struct group_member *m)
{
    list_unlink(&g->pending, NULL, m);
    g->npending--;
    strmap_del(&g->pending_by_id, m->id);
}

struct group_member *group_members_find(const struct group *g, const char *member_id)
{
    return strmap_get(&g->by_id, member_id);
}

struct group_member *group_members_find_static(const struct group *g, const char *instance_id)
{
    return instance_id ? strmap_get(&g->by_instance, instance_id) : NULL;
}

struct group_member *group_members_find_pending(const struct group *g, const char *member_id)
{
    return strmap_get(&g->pending_by_id, member_id);
}

void group_members_set_awaiting_join(struct group *g, struct group_member *m, bool on)
{
    if (m->awaiting_join != on && strmap_get(&g->by_id, m->id) == m)
        g->nawaiting += on ? 1 : -1;
    m->awaiting_join = on;
}

int group_members_rename(struct group *g, struct group_member *m, char *id)
{
    if (strmap_put(&g->by_id, id, m)) {
        free(id);
        return GR_E_NOMEM;
    }
    strmap_del(&g->by_id, m->id);
    free(m->id);
    m->id = id;
    return 0;
}

int group_members_set_protocols(struct group *g, struct group_member *m,
                                const struct group_join_params *p)
{
    /* the new protocols and their counts first: only they can fail */
    struct group_member fresh = {0};
    if (group_member_set_protocols(&fresh, p))
        return GR_E_NOMEM;
    if (count(g, &fresh, 1)) {
        group_member_move_protocols(&fresh, &(struct group_member){0});
        return GR_E_NOMEM;
    }
    count(g, m, -1);
    group_member_move_protocols(m, &fresh);
    return 0;
}
