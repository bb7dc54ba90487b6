/*
 * The HTTP-FLV (and live HLS) hub of one relay: its viewers, each a pollable
 * subscription of the relay's library relay while it has one.
 *
 * The hub does not know the relay that owns it: it reports a change in its
 * viewer count through the listener it was given (the wlroots listener
 * model), and its owner decides what that means (an on-demand start, an idle
 * stop). Inside the hub: hub_private.h.
 *
 * Threads: everything here runs on the loop, the listener too.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HUB_H
#define LSD_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/hls_live.h"

struct evhttp_request;
struct ls_relay;
struct lsd_hub;
struct lsd_server;

/** What the hub tells its owner. Copied at creation; @ref cookie is the owner's. */
struct lsd_hub_listener {
    /**
     * The number of viewers changed to @p viewers (a running HLS packager
     * counted as one). Not called while the hub is being destroyed. May be NULL.
     */
    void (*viewers_changed)(void *cookie, unsigned viewers);
    void *cookie;
};

/**
 * Create a hub. @p name names it in logs (the relay's id) and must outlive
 * the hub; @p listener is copied. @return 0, -ENOMEM or -EMFILE
 */
int lsd_hub_create(struct lsd_hub **out, struct lsd_server *s, const char *name,
                   const struct lsd_hub_listener *listener);
/** Close every viewer and free the hub; NULL-safe, sets *@p hub to NULL. */
void lsd_hub_destroy(struct lsd_hub **hub);
/** A new library relay: every viewer subscribes to it (and keeps its timeline going). */
void lsd_hub_attach(struct lsd_hub *hub, struct ls_relay *lib);
/** Before the library relay goes: every viewer unsubscribes (never waits); they stay. */
void lsd_hub_detach(struct lsd_hub *hub);
/** Close every viewer now (relay removed, daemon stopping). */
void lsd_hub_close_viewers(struct lsd_hub *hub);
/** Viewers now connected, a running HLS packager counted as one (on-demand relays). */
unsigned lsd_hub_viewers(const struct lsd_hub *hub);
/** Serve GET /live/<id>.flv for this hub (takes over the request). */
void lsd_hub_serve(struct lsd_hub *hub, struct evhttp_request *req);
/** Serve GET /live/<id>/… (live HLS, hls_live.h) for this hub; counts its reply itself. */
void lsd_hub_serve_hls(struct lsd_hub *hub, struct evhttp_request *req, enum lsd_hls_what what,
                       const char *name);

/** Totals for /metrics and the API. */
struct lsd_hub_stats {
    unsigned viewers;
    uint64_t bytes_sent;       /**< to all viewers, ever */
    uint64_t viewers_total;    /**< viewers that ever connected */
    uint64_t skips;            /**< times a slow viewer was skipped to a keyframe */
    uint64_t drops;            /**< slow viewers disconnected */
    bool hls_active;           /**< a live HLS packager runs */
    uint64_t hls_segments_served; /**< live HLS media segments served, ever */
};
void lsd_hub_get_stats(const struct lsd_hub *hub, struct lsd_hub_stats *out);

#endif
