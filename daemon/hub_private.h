/*
 * Inside the HTTP-FLV hub: between hub.c (the hub's relay instance: which
 * library relay its viewers subscribe to, the totals) and hub_viewer.c (the
 * viewers' connections). The public side is daemon/hub.h.
 *
 * Each viewer is a pollable subscription of the library relay
 * (lightstream/subscription.h): the library gives it its start from the GOP
 * cache, its own timeline and the skip to the next keyframe when it falls
 * behind; the hub only moves the taken tags to the connection, by reference.
 * All of a hub's subscriptions share one notifier: the relay's thread writes
 * one descriptor once per batch of tags, not one per viewer.
 *
 * Threads: everything here runs on the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HUB_PRIVATE_H
#define LSD_HUB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/hub.h"
#include "daemon/hub_tag.h"

struct evbuffer;
struct evbuffer_cb_entry;
struct evbuffer_cb_info;
struct bufferevent;
struct evhttp_connection;
struct event;

/**
 * One GET /live/<id>.flv being answered. Its backlog is its subscription's
 * queue, in the library; its connection's output buffer gets the tags a few
 * at a time (@ref inflight), as it drains.
 */
struct lsd_viewer {
    struct lsd_hub *hub;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    struct evbuffer *output;     /**< the connection's output buffer */
    struct evbuffer_cb_entry *drain_cb; /**< on @ref output: take more as it drains */
    struct ls_subscription *sub; /**< of the hub's library relay; NULL while it has none */
    bool full;                   /**< its connection has no room: not taken from until it drains */
    bool drained;                /**< it drained since: the next flush takes from it */
    struct lsd_inflight inflight; /**< handed to the connection, not yet written out */
    struct lsd_timeline timeline;
    struct lsd_viewer *prev, *next;
    bool chunked;                /**< HTTP/1.1: each tag goes out as one chunk */
    bool started;                /**< got a file header */
    bool caught_up;              /**< its last take left nothing waiting */
    uint64_t skips_seen;         /**< its subscription's skips already counted */
    int64_t over_since_ms;       /**< when it fell behind for good, 0 if it keeps up */
};

struct lsd_hub {
    struct lsd_server *server;
    const char *name;             /**< the relay's id, for logs (the owner's string) */
    struct lsd_hub_listener listener; /**< the owner: told when the viewer count changes */
    struct ls_relay *lib;         /**< the library relay viewers subscribe to, or NULL */
    struct ls_notifier *notifier; /**< every viewer's subscription wakes this one descriptor */
    struct event *ready_ev;       /**< the notifier is readable: take from every viewer */
    struct event *gather_ev;      /**< a little after a wake-up: take from every viewer */
    struct event *flush_ev;       /**< take from the viewers whose connection drained */
    bool flush_pending;

    struct lsd_viewer *viewers;
    unsigned viewer_count;
    struct event *check_ev;       /**< periodic: stuck viewers */
    bool closing;                 /**< lsd_hub_destroy: no more viewer notifications */
    struct lsd_hls *hls;          /**< live HLS (hls_live.h): one more viewer while it runs */
    struct lsd_hub_stats st;
};

/* bufferevent writes 16 KiB per turn by default: a viewer takes ~2 Mbit/s, fewer calls. */
#define LSD_MAX_SINGLE_WRITE (256u << 10)
/* libevent 2.1 allocates a 1 KiB chain for every evbuffer_add_reference, and one for the
 * tail and next head: about 2 KiB a tag handed over. */
#define LSD_TAG_COST 2048

/* hub_feed.c */
/** Subscribe @p v to the hub's library relay, if any. @return 0 or a negative errno */
int lsd_hub_viewer_subscribe(struct lsd_hub *hub, struct lsd_viewer *v);
/** End @p v's subscription (counting its skips); it waits for the next one. */
void lsd_hub_viewer_unsubscribe(struct lsd_hub *hub, struct lsd_viewer *v);
/** Whether @p v fell behind (more unsent than the bound, or a skip); counts its skips. */
bool lsd_hub_viewer_behind(struct lsd_hub *hub, struct lsd_viewer *v);
/** The connection's output buffer callback: bytes written out make room for more tags. */
void lsd_hub_output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
/** Set up the notifier and its events. @return 0, -ENOMEM or -EMFILE */
int lsd_hub_feed_init(struct lsd_hub *hub);
/** Free them (every viewer unsubscribed). */
void lsd_hub_feed_finish(struct lsd_hub *hub);

/* hub_viewer.c */
/** Set up the notifier and the events. @return 0, -ENOMEM or -EMFILE */
int lsd_hub_viewers_init(struct lsd_hub *hub);
/** Close every viewer (@p graceful: end the replies); free the notifier and events when @p final. */
void lsd_hub_viewers_finish(struct lsd_hub *hub, bool final);
/** Drop a viewer now (it cannot be fed). */
void lsd_hub_viewer_drop(struct lsd_viewer *v);
/** Tell the owner the viewer count changed (unless the hub is going). */
void lsd_hub_notify(struct lsd_hub *hub);

#endif
