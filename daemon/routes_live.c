/*
 * GET /live/<id>.flv: a relay's HTTP-FLV stream (hub.c serves it), and
 * GET /live/<id>/index.m3u8 with what it names: live HLS (hls_live.c).
 *
 * HEAD answers the headers only. OPTIONS is not declared here on purpose:
 * http.c answers a preflight for any known path itself, without asking for
 * the viewer token (browsers send none with a preflight).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/hub.h"
#include "daemon/relays.h"

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

static void live_hls(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m,
                     enum lsd_hls_what what)
{
    struct lsd_relay *r = lsd_relay_find(s, m->params[0]);
    if (!r) {
        lsd_reply_error(req, 404, "not_found", "no relay with this id");
        lsd_http_count_reply(s, req);
        return;
    }
    lsd_hub_serve_hls(r->hub, req, what, m->count > 1 ? m->params[1] : NULL);
}

static void hls_master(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    live_hls(s, req, m, LSD_HLS_MASTER);
}

static void hls_media(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    live_hls(s, req, m, LSD_HLS_MEDIA);
}

/* init<N>.mp4: the N of the playlist's discontinuity sequence. */
static void hls_init(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    if (strncmp(m->params[1], "init", 4) != 0) {
        lsd_reply_error(req, 404, "not_found", "no such file");
        lsd_http_count_reply(s, req);
        return;
    }
    struct lsd_match sub = *m;
    sub.params[1] = m->params[1] + 4;
    live_hls(s, req, &sub, LSD_HLS_INIT);
}

static void hls_segment(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    live_hls(s, req, m, LSD_HLS_SEGMENT);
}

const struct lsd_route lsd_routes_live[] = {
    {LSD_GET | LSD_HEAD, "/live/*.flv", LSD_VIEWER, live_flv, false, true},
    {LSD_GET | LSD_HEAD, "/live/*/index.m3u8", LSD_VIEWER, hls_master, false, true},
    {LSD_GET | LSD_HEAD, "/live/*/stream.m3u8", LSD_VIEWER, hls_media, false, true},
    {LSD_GET | LSD_HEAD, "/live/*/*.mp4", LSD_VIEWER, hls_init, false, true},
    {LSD_GET | LSD_HEAD, "/live/*/*.m4s", LSD_VIEWER, hls_segment, false, true},
    {0, NULL, 0, NULL},
};
