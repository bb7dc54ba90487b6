/*
 * Fleet mode, first step (docs/cluster.md): with the config key "cluster"
 * this node holds a lease in etcd, registers itself under it, keeps it
 * alive, fences itself when it cannot, and keeps a watched list of the
 * fleet's nodes for GET /api/v1/cluster. Without the key nothing here runs.
 *
 * Threads: the loop thread only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CLUSTER_H
#define LSD_CLUSTER_H

#include <jansson.h>

#include "daemon/http.h"

struct lsd_server;
struct lsd_cluster;


/** routes_cluster.c: GET /api/v1/cluster. */
extern const struct lsd_route lsd_routes_cluster[];

/**
 * Join the fleet s->config.cluster names (after the HTTP listener is bound: the default
 * advertise URL has its port). Not configured: 0 and NULL in @p out. Joining is
 * asynchronous: an etcd that is down is retried, never an error here.
 * @return 0, -EINVAL (no usable node name), -ENOMEM
 */
int lsd_cluster_create(struct lsd_cluster **out, struct lsd_server *s);
/** Leave (the node key goes when its lease expires, TTL later); NULL is a no-op. */
void lsd_cluster_destroy(struct lsd_cluster **c);

/** This node's view of the fleet, the reply of GET /api/v1/cluster (new reference). */
json_t *lsd_cluster_json(struct lsd_cluster *c);

#endif
