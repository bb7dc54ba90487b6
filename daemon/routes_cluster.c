/*
 * GET /api/v1/cluster: the fleet as this node sees it (cluster.c), or 404
 * not_configured when the daemon runs without the "cluster" config key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "daemon/cluster.h"
#include "daemon/http.h"
#include "daemon/server.h"

static void cluster_get(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_match *m)
{
    (void)m;
    if (!s->cluster) {
        lsd_reply_error(req, 404, "not_configured",
                        "this node runs alone: no \"cluster\" key in its config");
        return;
    }
    json_t *o = lsd_cluster_json(s->cluster);
    if (!o) {
        lsd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    lsd_reply_json(req, 200, o);
    json_decref(o);
}

const struct lsd_route lsd_routes_cluster[] = {
    {LSD_GET, "/api/v1/cluster", LSD_API, cluster_get},
    {0, NULL, 0, NULL},
};
