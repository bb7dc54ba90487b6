/*
 * Between cluster.c (lease, registration, fencing) and cluster_nodes.c (the
 * watched list of nodes).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CLUSTER_PRIVATE_H
#define LSD_CLUSTER_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/cluster.h"
#include "daemon/etcd.h"

/** Where a node stands. */
enum lsd_cluster_state {
    LSD_CLUSTER_JOINING,    /**< no lease yet, or its node key not written yet */
    LSD_CLUSTER_REGISTERED, /**< lease alive, node key written under it */
    LSD_CLUSTER_FENCED,     /**< no keep-alive succeeded for TTL - 1 s: stopped, rejoining */
};

struct lsd_cluster {
    struct lsd_server *s;
    struct lsd_etcd *etcd;
    struct event *tick;            /**< every 100 ms: keep-alive due, fence, retries */
    char node[64];
    char key[320];                 /**< <prefix>nodes/<node> */
    char nodes_prefix[256];        /**< <prefix>nodes/ */
    char advertise[256];
    int64_t ttl_ms;
    enum lsd_cluster_state state;
    int64_t lease;                 /**< 0: none */
    int64_t lease_ok_ms;           /**< monotonic: when the last successful grant or keep-alive
                                        was sent (the lease lives at least TTL after that) */
    int64_t ka_sent_ms;            /**< the keep-alive (or grant) in flight, when sent */
    int64_t ka_lease, put_lease;   /**< the lease the keep-alive, the put in flight are for:
                                        an answer about an older lease changes nothing */
    int64_t next_keepalive_ms, next_grant_ms, next_watch_ms;
    bool grant_busy, keepalive_busy, put_busy, range_busy;
    size_t published_relays;       /**< the relay count in our node key */
    bool reachable;                /**< the last call reached etcd */
    int last_err;                  /**< its error, 0 if it succeeded */
    uint64_t fences;               /**< times this node fenced itself */
    int64_t fenced_at_ms;          /**< wall clock of the last fence, 0 if never */
    json_t *nodes;                 /**< node name -> its key's value (an object) */
    struct lsd_etcd_watch *watch;
};

/** Monotonic milliseconds. */
int64_t lsd_cluster_now_ms(void);
/** A call's outcome: reachable or not (for the API and the logs). */
void lsd_cluster_note(struct lsd_cluster *c, int err);

/* cluster_nodes.c */
/** Range the nodes (fills the cache) and watch them from there, when due. */
void lsd_cluster_nodes_tick(struct lsd_cluster *c, int64_t now);
/** The cache as the API lists it: [{node, advertise_url, self, relays, started}]. */
json_t *lsd_cluster_nodes_json(struct lsd_cluster *c);

#endif
