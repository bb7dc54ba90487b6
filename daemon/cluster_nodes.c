/*
 * Fleet mode: the list of nodes, kept from etcd. A range of <prefix>nodes/
 * fills it, a watch from the range's revision keeps it; when the watch ends
 * (etcd gone, restarted) the range is done again, so a missed event costs
 * nothing but a fresh read.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>

#include "daemon/cluster_private.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define RETRY_MS 500

/* Put a node's key (value: JSON object) into the cache, or take it out. */
static void cache_set(struct lsd_cluster *c, const struct lsd_etcd_kv *kv, bool deleted)
{
    size_t plen = strlen(c->nodes_prefix);
    const char *name = kv->key + plen;
    if (strncmp(kv->key, c->nodes_prefix, plen) != 0 || !lsd_cluster_node_valid(name))
        return; /* not a node key of ours */
    if (deleted) {
        json_object_del(c->nodes, name);
        return;
    }
    json_error_t je;
    json_t *v = json_loadb(kv->value, kv->value_len, 0, &je);
    if (json_is_object(v))
        json_object_set(c->nodes, name, v);
    else
        lsd_logf(c->s->log, LS_LOG_WARN, "cluster: the value of node %s is not a JSON object",
                 name);
    json_decref(v);
}

static void on_watch(void *arg, int err, int64_t revision, const struct lsd_etcd_event *events,
                     size_t count)
{
    struct lsd_cluster *c = arg;
    (void)revision;
    if (err < 0)
        return; /* the end callback follows */
    for (size_t i = 0; i < count; i++)
        cache_set(c, &events[i].kv, events[i].deleted);
}

static void on_watch_end(void *arg, int err)
{
    struct lsd_cluster *c = arg;
    c->watch = NULL;
    c->next_watch_ms = lsd_cluster_now_ms() + RETRY_MS;
    lsd_logf(c->s->log, LS_LOG_DEBUG, "cluster: node watch ended (%s); reading again",
             strerror(-err));
}

static int fill(struct lsd_cluster *c, json_t *reply)
{
    json_t *kvs = json_object_get(reply, "kvs"), *one;
    size_t i;
    json_object_clear(c->nodes);
    json_array_foreach(kvs, i, one) {
        struct lsd_etcd_kv kv;
        int ret = lsd_etcd_kv_parse(one, &kv);
        if (ret < 0)
            return ret;
        cache_set(c, &kv, false);
        lsd_etcd_kv_clear(&kv);
    }
    return 0;
}

static void on_range(void *arg, int err, json_t *reply)
{
    struct lsd_cluster *c = arg;
    c->range_busy = false;
    lsd_cluster_note(c, err);
    int64_t rev = err == 0 ? lsd_etcd_revision(reply) : 0;
    if (err == 0)
        err = fill(c, reply);
    if (err == 0 && rev > 0)
        err = lsd_etcd_watch_prefix(c->etcd, c->nodes_prefix, rev + 1, on_watch, on_watch_end,
                                    c, &c->watch);
    else if (err == 0)
        err = -EIO;
    if (err < 0)
        c->next_watch_ms = lsd_cluster_now_ms() + RETRY_MS;
}

void lsd_cluster_nodes_tick(struct lsd_cluster *c, int64_t now)
{
    if (c->watch || c->range_busy || now < c->next_watch_ms)
        return;
    c->range_busy = lsd_etcd_range_prefix(c->etcd, c->nodes_prefix, on_range, c) == 0;
    if (!c->range_busy)
        c->next_watch_ms = now + RETRY_MS;
}

json_t *lsd_cluster_nodes_json(struct lsd_cluster *c)
{
    json_t *list = json_array();
    const char *name;
    json_t *v;
    if (!list)
        return NULL;
    json_object_foreach(c->nodes, name, v) {
        json_t *url = json_object_get(v, "advertise_url");
        json_t *relays = json_object_get(v, "relays"), *started = json_object_get(v, "started");
        json_t *one = json_pack("{s:s, s:O?, s:b, s:O?, s:O?}", "node", name,
                                "advertise_url", json_is_string(url) ? url : NULL,
                                "self", strcmp(name, c->node) == 0,
                                "relays", json_is_integer(relays) ? relays : NULL,
                                "started", json_is_integer(started) ? started : NULL);
        if (!one || json_array_append_new(list, one) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}
