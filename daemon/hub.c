/*
 * The HTTP-FLV hub of a relay: which library relay its viewers subscribe to.
 *
 * Every viewer is its own pollable subscription of the library relay
 * (hub_viewer.c), so the start from the GOP cache, each viewer's timeline and
 * the skip to the next keyframe are the library's. A daemon relay makes a new
 * library relay at every start: the hub attaches to it (each viewer
 * subscribes) and detaches from it before it is handed to the worker to be
 * destroyed (each viewer unsubscribes: this never waits). Viewers stay
 * connected across a restart; their timelines continue (hub_tag.h).
 *
 * Lifetime: everything runs on the loop. Tags a connection still sends hold
 * their own references to the library's bodies, released by libevent when
 * written or when the connection goes, whether the library relay is still
 * there or not.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>

#include "daemon/hls_live.h"
#include "daemon/hub_private.h"
#include "daemon/log.h"
#include "daemon/server.h"

/* A running HLS packager is one more viewer. */
static void hls_changed(void *cookie)
{
    lsd_hub_notify(cookie);
}

int lsd_hub_create(struct lsd_hub **out, struct lsd_server *s, const char *name,
                   const struct lsd_hub_listener *listener)
{
    struct lsd_hub *hub = calloc(1, sizeof(*hub));
    if (!hub)
        return -ENOMEM;
    hub->server = s;
    hub->name = name;
    hub->listener = *listener;
    int ret = lsd_hub_viewers_init(hub);
    if (ret < 0) {
        free(hub);
        return ret;
    }
    struct lsd_hls_listener hls_listener = {.active_changed = hls_changed, .cookie = hub};
    if ((ret = lsd_hls_create(&hub->hls, s, name, &hls_listener)) < 0) {
        lsd_hub_viewers_finish(hub, true);
        free(hub);
        return ret;
    }
    *out = hub;
    return 0;
}

void lsd_hub_destroy(struct lsd_hub **phub)
{
    struct lsd_hub *hub = *phub;
    if (!hub)
        return;
    hub->closing = true; /* its owner is going: no viewers_changed from here */
    lsd_hub_detach(hub);
    lsd_hls_destroy(&hub->hls);
    lsd_hub_viewers_finish(hub, true);
    free(hub);
    *phub = NULL;
}

void lsd_hub_attach(struct lsd_hub *hub, struct ls_relay *lib)
{
    lsd_hub_detach(hub);
    hub->lib = lib;
    struct lsd_viewer *v, *next;
    bool changed = false;
    for (v = hub->viewers; v; v = next) {
        next = v->next;
        if (lsd_hub_viewer_subscribe(hub, v) < 0) {
            lsd_logf(hub->server->log, LS_LOG_WARN, "relay %s: a viewer cannot subscribe",
                     hub->name);
            lsd_hub_viewer_drop(v);
            changed = true;
        }
    }
    lsd_hls_attach(hub->hls, lib);
    if (changed)
        lsd_hub_notify(hub);
}

void lsd_hub_detach(struct lsd_hub *hub)
{
    if (!hub->lib)
        return;
    for (struct lsd_viewer *v = hub->viewers; v; v = v->next)
        lsd_hub_viewer_unsubscribe(hub, v);
    lsd_hls_detach(hub->hls);
    hub->lib = NULL;
}

void lsd_hub_close_viewers(struct lsd_hub *hub)
{
    lsd_hls_stop(hub->hls);
    lsd_hub_viewers_finish(hub, false);
}

/* A running HLS packager is one more viewer: it keeps an on-demand relay running. */
unsigned lsd_hub_viewers(const struct lsd_hub *hub)
{
    return hub->viewer_count + (lsd_hls_active(hub->hls) ? 1 : 0);
}

void lsd_hub_serve_hls(struct lsd_hub *hub, struct evhttp_request *req, enum lsd_hls_what what,
                       const char *name)
{
    lsd_hls_serve(hub->hls, req, what, name);
}

void lsd_hub_get_stats(const struct lsd_hub *hub, struct lsd_hub_stats *out)
{
    *out = hub->st;
    out->viewers = hub->viewer_count;
    out->hls_active = lsd_hls_active(hub->hls);
    out->hls_segments_served = lsd_hls_served(hub->hls);
}
