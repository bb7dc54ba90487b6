/*
 * The HTTP-FLV hub's viewers: one evhttp reply each (chunked for HTTP/1.1),
 * its connection's life, and the stuck-viewer policy. What a viewer is fed,
 * and how, is hub_feed.c.
 *
 * A viewer never slows the relay or another viewer: its backlog is its
 * subscription's queue, bounded by config.viewer_buffer_bytes, and the
 * library drops its queued media and skips to the next keyframe when it
 * overflows. A viewer that falls behind (its backlog over the bound, or a
 * skip) and does not catch up (empty its backlog) within
 * config.viewer_stall_ms is disconnected (a drop).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/hub_private.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define CHECK_INTERVAL_MS 250
/* evhttp's connection, request, bufferevent and buffers, the subscription and its event:
 * ~16 KiB of RSS per viewer. */
#define CONNECTION_COST (16u << 10)
/* What a viewer may send us while it watches (nothing, normally): read only to see it go. */
#define INPUT_HIGH_WATER 4096
/* As evhttp_set_timeout() in http.c: for writes while streaming, and both ways after. */
#define CONNECTION_TIMEOUT_S 60

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lsd_hub_notify(struct lsd_hub *hub)
{
    if (!hub->closing && hub->listener.viewers_changed)
        hub->listener.viewers_changed(hub->listener.cookie, lsd_hub_viewers(hub)); /* HLS counts */
}

/* ---- lifecycle ------------------------------------------------------------ */

static void viewer_link(struct lsd_hub *hub, struct lsd_viewer *v)
{
    v->next = hub->viewers;
    if (hub->viewers)
        hub->viewers->prev = v;
    hub->viewers = v;
    if (hub->viewer_count++ == 0) {
        struct timeval tv = {0, CHECK_INTERVAL_MS * 1000};
        event_add(hub->check_ev, &tv);
    }
    hub->st.viewers_total++;
}

/* Forget a viewer; its connection and request are the caller's business. */
static void viewer_free(struct lsd_hub *hub, struct lsd_viewer *v)
{
    lsd_hub_viewer_unsubscribe(hub, v);
    /* What goes with it, roughly: its connection and at most its unsent tags (if
     * nobody else holds them). The server trims once that adds up. */
    hub->server->trim_bytes += CONNECTION_COST + v->inflight.count * LSD_TAG_COST +
                               evbuffer_get_length(v->output);
    if (v->prev)
        v->prev->next = v->next;
    else
        hub->viewers = v->next;
    if (v->next)
        v->next->prev = v->prev;
    if (--hub->viewer_count == 0)
        event_del(hub->check_ev);
    evbuffer_remove_cb_entry(v->output, v->drain_cb);
    free(v);
}

/* closecb: the connection is being freed. When it failed (viewer gone, write
 * timeout), evhttp detached our unfinished request from it and leaves it to
 * us; when the server frees every connection, it frees the request itself. */
static void viewer_gone(struct evhttp_connection *evcon, void *arg)
{
    struct lsd_viewer *v = arg;
    struct lsd_hub *hub = v->hub;
    (void)evcon;
    lsd_logf(hub->server->log, LS_LOG_DEBUG, "relay %s: viewer left", hub->name);
    if (!evhttp_request_get_connection(v->req))
        evhttp_request_free(v->req);
    viewer_free(hub, v);
    lsd_hub_notify(hub);
}

void lsd_hub_viewer_drop(struct lsd_viewer *v)
{
    struct evhttp_connection *evcon = v->evcon;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    viewer_free(v->hub, v);
    evhttp_connection_free(evcon);
}

/* End the reply cleanly; a viewer that is stuck anyway is just disconnected. */
static void viewer_end(struct lsd_viewer *v)
{
    if (v->over_since_ms) {
        lsd_hub_viewer_drop(v);
        return;
    }
    evhttp_connection_set_closecb(v->evcon, NULL, NULL);
    struct timeval tv = {CONNECTION_TIMEOUT_S, 0};
    bufferevent_set_timeouts(v->bev, &tv, &tv);
    bufferevent_setwatermark(v->bev, EV_READ, 0, 0);
    evhttp_send_reply_end(v->req);
    viewer_free(v->hub, v);
}

/* ---- events --------------------------------------------------------------- */

static void check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    int64_t now = now_ms();
    bool changed = false;
    struct lsd_viewer *v, *next;
    for (v = hub->viewers; v; v = next) {
        next = v->next;
        /* Behind once, it stays so until it catches up: a stuck viewer's backlog
         * shrinks at every skip, a slow one's empties. */
        if (v->caught_up) {
            v->over_since_ms = 0;
        } else if (!v->over_since_ms) {
            if (lsd_hub_viewer_behind(hub, v))
                v->over_since_ms = now;
        } else if (now - v->over_since_ms >= hub->server->config.viewer_stall_ms) {
            lsd_logf(hub->server->log, LS_LOG_INFO,
                     "relay %s: viewer stuck for %lld ms, disconnecting it", hub->name,
                     (long long)(now - v->over_since_ms));
            hub->st.drops++;
            lsd_hub_viewer_drop(v);
            changed = true;
        } else {
            lsd_hub_viewer_behind(hub, v); /* count its skips as they come */
        }
    }
    if (changed)
        lsd_hub_notify(hub);
}

/* ---- serving -------------------------------------------------------------- */

static void setup_connection(struct lsd_viewer *v)
{
    /* evhttp stops reading once it has the request, so a viewer that leaves
     * would only be noticed at a failed write, and not at all while the relay
     * is down: read (and ignore) to see the close at once. Bounded by the
     * watermark; no read timeout, a viewer sends nothing for hours. */
    bufferevent_setwatermark(v->bev, EV_READ, 0, INPUT_HIGH_WATER);
    struct timeval wtv = {CONNECTION_TIMEOUT_S, 0};
    bufferevent_set_timeouts(v->bev, NULL, &wtv);
    bufferevent_set_max_single_write(v->bev, LSD_MAX_SINGLE_WRITE);
    bufferevent_enable(v->bev, EV_READ);
}

static void add_headers(struct evhttp_request *req)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    lsd_add_cors(req);
    evhttp_add_header(out, "Content-Type", "video/x-flv");
    evhttp_add_header(out, "Cache-Control", "no-cache");
    /* For an HTTP/1.0 keep-alive request evhttp would announce Content-Length: 0;
     * without it the body runs until the close. (For 1.1 keep-alive is the default.) */
    const char *conn = evhttp_find_header(in, "Connection");
    if (conn && strncasecmp(conn, "keep-alive", 10) == 0)
        evhttp_remove_header(in, "Connection");
}

void lsd_hub_serve(struct lsd_hub *hub, struct evhttp_request *req)
{
    add_headers(req);
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        evhttp_send_reply(req, 200, "OK", NULL);
        lsd_http_count_reply(hub->server, req);
        return;
    }
    struct lsd_viewer *v = calloc(1, sizeof(*v));
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (v && evcon) {
        v->bev = evhttp_connection_get_bufferevent(evcon);
        v->output = bufferevent_get_output(v->bev);
        v->drain_cb = evbuffer_add_cb(v->output, lsd_hub_output_changed, v);
    }
    if (!v || !evcon || !v->drain_cb) {
        free(v);
        lsd_reply_error(req, 503, "internal", "out of memory");
        lsd_http_count_reply(hub->server, req);
        return;
    }
    v->hub = hub;
    v->req = req;
    v->evcon = evcon;
    v->caught_up = true;
    evhttp_send_reply_start(req, 200, "OK");
    lsd_http_count_reply(hub->server, req); /* now: a viewer dropped below frees req */
    /* evhttp chose: chunked for HTTP/1.1, the body until the close for 1.0. From here
     * the body is written on the connection directly (tags carry their framing). */
    const char *te = evhttp_find_header(evhttp_request_get_output_headers(req),
                                        "Transfer-Encoding");
    v->chunked = te && strcasecmp(te, "chunked") == 0;
    setup_connection(v);
    evhttp_connection_set_closecb(evcon, viewer_gone, v);
    viewer_link(hub, v);
    lsd_logf(hub->server->log, LS_LOG_DEBUG, "relay %s: viewer %u joined", hub->name,
             hub->viewer_count);
    lsd_hub_notify(hub); /* may start an on-demand relay: the hub then subscribes every viewer */
    if (lsd_hub_viewer_subscribe(hub, v) < 0) {
        lsd_hub_viewer_drop(v);
        lsd_hub_notify(hub);
    }
}

int lsd_hub_viewers_init(struct lsd_hub *hub)
{
    int err = lsd_hub_feed_init(hub);
    if (err < 0)
        return err;
    hub->check_ev = event_new(hub->server->base, -1, EV_PERSIST, check_cb, hub);
    if (!hub->check_ev) {
        lsd_hub_viewers_finish(hub, true);
        return -ENOMEM;
    }
    return 0;
}

void lsd_hub_viewers_finish(struct lsd_hub *hub, bool final)
{
    bool had = hub->viewers != NULL;
    while (hub->viewers)
        viewer_end(hub->viewers);
    if (had)
        lsd_hub_notify(hub);
    if (!final)
        return;
    if (hub->check_ev)
        event_free(hub->check_ev);
    hub->check_ev = NULL;
    lsd_hub_feed_finish(hub);
}
