/*
 * Inside live HLS (hls_live.h): hls_live.c runs the packager (its
 * subscription, its idle stop), hls_reply.c answers the requests (the
 * playlists, the files, the playlists that wait for the first segment).
 * Loop thread only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HLS_LIVE_PRIVATE_H
#define LSD_HLS_LIVE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/hls_live.h"

struct ls_hls;
struct ls_subscription;
struct event;
struct evhttp_connection;

struct waiter {
    struct lsd_hls *h;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    enum lsd_hls_what what;
    struct waiter *next;
};

struct lsd_hls {
    struct lsd_server *server;
    const char *name;             /**< the relay's id, for logs (the owner's string) */
    struct lsd_hls_listener listener; /**< the hub: told when a packager starts or stops */
    struct ls_relay *lib;         /**< the hub's library relay, between attach and detach */
    struct ls_hls *pkg;           /**< NULL while no packager runs */
    struct ls_subscription *sub;  /**< of @ref lib, while both exist */
    struct event *ready_ev;       /**< the subscription has tags */
    struct event *idle_ev;        /**< no HLS request for hls_idle_s */
    struct event *hold_ev;        /**< the waiting playlist requests give up */
    struct waiter *waiting;
    int64_t asked_ms;             /**< monotonic: the request that started the packager */
    bool first_done;              /**< its first playlist was answered (and logged) */
    bool warned;                  /**< a packaging error was logged (once per packager) */
    uint64_t served;              /**< media segments served, ever */
};

/* hls_reply.c */
/** Monotonic milliseconds. */
int64_t lsd_hls_now_ms(void);
/** The relay's id, for log lines. */
const char *lsd_hls_relay_id(const struct lsd_hls *h);
/** Answer a playlist request now (a segment is ready). */
void lsd_hls_reply_playlist(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what);
/** Answer an init or media segment request (404 when it is not kept). */
void lsd_hls_reply_file(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what,
                        const char *name);
/** Answer @p status with an error body (503: with Retry-After). */
void lsd_hls_reply_error(struct lsd_hls *h, struct evhttp_request *req, int status,
                         const char *msg);
/** Hold a playlist request until the first segment (at most HOLD_S, then 503). */
void lsd_hls_wait(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what);
/** Answer every held request: with the playlist, or 503 when @p ok is false. */
void lsd_hls_answer_waiting(struct lsd_hls *h, bool ok);
/** hold_ev's callback: the held requests give up. */
void lsd_hls_hold_fire(int fd, short what, void *arg);

#endif
