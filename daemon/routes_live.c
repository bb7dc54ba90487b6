/*
 * GET /live/<id>.flv: a relay's HTTP-FLV stream (hub.c serves it).
 *
 * HEAD answers the headers only. OPTIONS is not declared here on purpose:
 * http.c answers a preflight for any known path itself, without asking for
 * the viewer token (browsers send none with a preflight).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/server.h"

static void live_flv(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = lsd_relay_find(s, m->params[0]);
    if (!r) {
        lsd_reply_error(req, 404, "not_found", "no relay with this id");
        lsd_http_count_reply(s, req);
        return;
    }
    lsd_hub_serve(r->hub, req);
}

const struct lsd_route lsd_routes_live[] = {
    {LSD_GET | LSD_HEAD, "/live/*.flv", LSD_VIEWER, live_flv, false, true},
    {0, NULL, 0, NULL},
};
