/*
 * Live HLS of a relay: GET /live/<id>/index.m3u8 (a master playlist naming
 * the codecs), stream.m3u8 (the media playlist), init<N>.mp4 and <seq>.m4s.
 *
 * On demand like HTTP-FLV: the first playlist request makes a packager
 * (lightstream/hls.h) fed by a pollable subscription of the hub's library
 * relay; while it lives it counts as one viewer of the relay (an on-demand
 * relay starts for it and keeps running), and it goes after hls_idle_s with
 * no HLS request. A playlist asked for before the first segment is finished
 * waits for it (at most HOLD_S seconds, then 503).
 *
 * Threads: everything here runs on the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HLS_LIVE_H
#define LSD_HLS_LIVE_H

#include <stdbool.h>
#include <stdint.h>

struct lsd_hls;
struct lsd_server;
struct ls_relay;
struct evhttp_request;

/** What is asked for under /live/<id>/. */
enum lsd_hls_what {
    LSD_HLS_MASTER,   /**< index.m3u8 */
    LSD_HLS_MEDIA,    /**< stream.m3u8 */
    LSD_HLS_INIT,     /**< init<N>.mp4 */
    LSD_HLS_SEGMENT,  /**< <seq>.m4s */
};

/** What live HLS tells its owner (the hub). Copied at creation; @ref cookie is the owner's. */
struct lsd_hls_listener {
    /** A packager started or stopped (lsd_hls_active() changed). Loop thread. */
    void (*active_changed)(void *cookie);
    void *cookie;
};

/**
 * @p name names it in logs (the relay's id) and must outlive it; @p listener is copied.
 * @return 0 or -ENOMEM
 */
int lsd_hls_create(struct lsd_hls **out, struct lsd_server *s, const char *name,
                   const struct lsd_hls_listener *listener);
/** Stop the packager (waiting requests get 503) and free it all. */
void lsd_hls_destroy(struct lsd_hls **h);
/** The hub has a new library relay: kept, and subscribed to while a packager runs. */
void lsd_hls_attach(struct lsd_hls *h, struct ls_relay *lib);
/** Before the library relay goes: unsubscribe and forget it (the segments kept stay served). */
void lsd_hls_detach(struct lsd_hls *h);
/** Stop the packager now (relay removed, daemon stopping); waiting requests get 503. */
void lsd_hls_stop(struct lsd_hls *h);
/** Whether a packager runs (it counts as one viewer of the relay). */
bool lsd_hls_active(const struct lsd_hls *h);
/** Segments served, ever (/metrics). */
uint64_t lsd_hls_served(const struct lsd_hls *h);
/**
 * Answer a request for @p what (@p name: the N of init<N>.mp4 or the seq of
 * <seq>.m4s as the path gave it). Counts its reply itself.
 */
void lsd_hls_serve(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what,
                   const char *name);

#endif
