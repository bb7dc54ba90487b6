/*
 * /healthz, /metrics (written by metrics.c) and the OpenAPI document.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/hub.h"
#include "daemon/metrics.h"
#include "daemon/os.h"
#include "daemon/relay.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

extern const unsigned char lsd_openapi_json[];
extern const size_t lsd_openapi_json_size;

static unsigned total_viewers(struct lsd_server *s)
{
    unsigned n = 0;
    for (struct lsd_relay *r = s->relays; r; r = r->next)
        n += lsd_hub_viewers(r->hub);
    return n;
}

static void healthz(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "status", "ok",
                          "relays", (json_int_t)s->relay_count,
                          "viewers", (json_int_t)total_viewers(s),
                          "uptime_s", (json_int_t)((lsd_wall_ms() - s->started_at_ms) / 1000));
    lsd_reply_json(req, 200, o);
    json_decref(o);
}

static void openapi(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)s;
    (void)m;
    lsd_reply_bytes(req, 200, "application/json", lsd_openapi_json, lsd_openapi_json_size);
}

static void metrics(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    struct evbuffer *b = evbuffer_new();
    if (!b || lsd_metrics_write(s, b) < 0) {
        if (b)
            evbuffer_free(b);
        lsd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    lsd_add_cors(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

const struct lsd_route lsd_routes_misc[] = {
    {LSD_GET | LSD_HEAD, "/healthz", LSD_PUBLIC, healthz},
    {LSD_GET, "/metrics", LSD_API, metrics},
    {LSD_GET | LSD_HEAD, "/api/v1/openapi.json", LSD_PUBLIC, openapi},
    {0, NULL, 0, NULL},
};
