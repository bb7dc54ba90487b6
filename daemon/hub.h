/*
 * Inside the HTTP-FLV hub: between hub.c (the relay's stream as the loop
 * keeps it: headers, GOP cache, timeline) and hub_viewer.c (the viewers'
 * connections). The public side is in daemon/server.h.
 *
 * Threads: lsd_hub_on_tag() runs on the library's subscriber thread and only
 * makes a struct lsd_tag and posts it; everything else here runs on the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HUB_H
#define LSD_HUB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/hub_tag.h"
#include "daemon/server.h"

struct evbuffer;
struct evbuffer_cb_entry;
struct bufferevent;
struct evhttp_connection;

#define LSD_FLV_FILE_HEADER_SIZE 13
#define LSD_FLV_TAG_HEADER_SIZE 11
#define LSD_FLV_PREV_SIZE 4

/**
 * One GET /live/<id>.flv being answered. Its backlog is @ref queue (tag
 * pointers); its connection's output buffer gets the tags a few at a time
 * (@ref inflight), as it drains.
 */
struct lsd_viewer {
    struct lsd_hub *hub;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    struct evbuffer *output;     /**< the connection's output buffer */
    struct evbuffer_cb_entry *drain_cb; /**< on @ref output: refill as it drains */
    struct lsd_tag_queue queue;  /**< admitted, not yet handed to the connection */
    struct lsd_inflight inflight; /**< handed to it, not yet written out */
    struct lsd_viewer *prev, *next;
    bool chunked;                /**< HTTP/1.1: each tag goes out as one chunk */
    bool started;                /**< got the file header */
    bool skipping;               /**< gets no media until a video keyframe */
    int64_t over_since_ms;       /**< when its backlog passed the bound, 0 if under */
};

struct lsd_hub {
    struct lsd_relay *relay;
    struct lsd_server *server;

    /* Subscriber thread → loop. */
    atomic_size_t inflight_bytes; /**< posted, not yet taken by the loop */
    bool sub_skipping;            /**< subscriber thread only: dropping until a keyframe */
    bool sub_has_video;           /**< subscriber thread only: from its file header */

    /* The stream (loop). */
    struct lsd_tag *file_header, *metadata, *video_seq, *audio_seq;
    struct lsd_tag **gop;         /**< tags since the last video keyframe, gop[0] the keyframe */
    size_t gop_count, gop_cap, gop_bytes;
    bool gop_open;                /**< caching: a keyframe was seen and the bound was kept */
    bool has_video;               /**< from the file header */
    bool rebase;                  /**< the next tag starts a new timeline */
    int64_t ts_offset;            /**< added to every incoming timestamp */
    uint32_t last_ts;             /**< latest timestamp sent, on the hub's timeline */
    bool have_ts;

    /* Viewers (loop). */
    struct lsd_viewer *viewers;
    unsigned viewer_count;
    struct event *flush_ev;       /**< hands queued tags to the connections with room */
    struct event *check_ev;       /**< periodic: stuck viewers */
    bool flush_pending;
    bool closing;                 /**< lsd_hub_destroy: no more viewer notifications */
    struct lsd_hub_stats st;
};

/* hub.c */
/** Forget the stream (headers, GOP); the next tag starts a new timeline. */
void lsd_hub_stream_clear(struct lsd_hub *hub);

/* hub_viewer.c */
/** Give a viewer its start: file header, metadata, sequence headers, GOP (when the
 *  hub has a stream; else it starts with the next one). @return 0 or -ENOMEM */
int lsd_hub_viewer_start(struct lsd_hub *hub, struct lsd_viewer *v);
/** Hand one live tag to every viewer (queued; handed to the connections by the flush). */
void lsd_hub_viewers_feed(struct lsd_hub *hub, struct lsd_tag *t);
/** A new stream begins: viewers already playing wait for its keyframe; the others start. */
void lsd_hub_viewers_restart(struct lsd_hub *hub);
/** Set up the flush and check events. @return 0 or -ENOMEM */
int lsd_hub_viewers_init(struct lsd_hub *hub);
/** Close every viewer (@p graceful: end the replies) and free the events when @p final. */
void lsd_hub_viewers_finish(struct lsd_hub *hub, bool final);

#endif
