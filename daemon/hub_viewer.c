/*
 * The HTTP-FLV hub's viewers: one evhttp reply each (chunked for HTTP/1.1),
 * each its own pollable subscription of the library relay.
 *
 * No copies between the library and the socket: when a viewer's
 * subscription descriptor is readable, its tags are taken and added to the
 * connection's output buffer as three pieces (hub_tag.h): a small head and
 * tail copied in, the body by reference (evbuffer_add_reference), released
 * back to the library by libevent once written or when the connection goes.
 * The head and tail go in through evbuffer_reserve_space(): evbuffer_add()
 * after a reference would allocate a block as large as the referenced body,
 * while a reserved space after it is a small new chain, which the next tag's
 * head then shares.
 *
 * Wake-ups: every viewer's subscription wakes the hub's one notifier; then
 * the hub takes from each viewer with room. With one descriptor per viewer
 * the relay's thread would write (and the loop read) one eventfd per viewer
 * per batch of tags: at 1000 viewers that cost more than the tags.
 *
 * A viewer never slows the relay or another viewer: its backlog is its
 * subscription's queue, bounded by config.viewer_buffer_bytes, and the
 * library drops its queued media and skips to the next keyframe when it
 * overflows. Its connection is given tags only while it holds less than a
 * write's worth (and fewer than LSD_INFLIGHT_MAX of them); meanwhile it is
 * left out of the takes (it is "full") until it drains. A viewer that falls behind (its backlog over
 * the bound, or a skip) and does not catch up (empty its backlog) within
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
#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define CHECK_INTERVAL_MS 250
/* bufferevent writes 16 KiB per turn by default: a viewer takes ~2 Mbit/s, fewer calls. */
#define MAX_SINGLE_WRITE (256u << 10)
/* A connection is handed more tags while its output holds less than one write's worth
 * (and fewer than LSD_INFLIGHT_MAX of them). */
#define OUTPUT_WINDOW MAX_SINGLE_WRITE
/* Tags taken at once: as many as a connection may hold. */
#define TAKE_MAX LSD_INFLIGHT_MAX
/* libevent 2.1 allocates a 1 KiB chain for every evbuffer_add_reference, and one for the
 * tail and next head: about 2 KiB a tag handed over. */
#define TAG_COST 2048
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

static void notify(struct lsd_hub *hub)
{
    if (!hub->closing)
        lsd_relay_viewers_changed(hub->relay, hub->viewer_count);
}

/* ---- handing tags to the connection ---------------------------------------- */

static void body_cleanup(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    ls_tag_body_release(arg);
}

/* Copy a small piece in without a body-sized allocation (see the top of the file). */
static int add_small(struct evbuffer *out, const uint8_t *data, size_t len)
{
    struct evbuffer_iovec vec;
    if (evbuffer_reserve_space(out, (ev_ssize_t)len, &vec, 1) < 1 || vec.iov_len < len)
        return -ENOMEM;
    memcpy(vec.iov_base, data, len);
    vec.iov_len = len;
    return evbuffer_commit_space(out, &vec, 1) < 0 ? -ENOMEM : 0;
}

/* Add a taken tag to the connection; its body reference passes to the output buffer
 * (or is released here on failure). @return the bytes added, or -ENOMEM */
static int add_tag(struct lsd_viewer *v, struct ls_sub_tag *t)
{
    uint8_t head[LSD_TAG_HEAD_MAX], tail[LSD_TAG_TAIL_MAX];
    size_t head_len = lsd_tag_head(t, v->chunked, head);
    size_t tail_len = lsd_tag_tail(t, v->chunked, tail);
    int err = add_small(v->output, head, head_len);
    if (!err && t->body_size) {
        /* On failure evbuffer does not call the cleanup: the reference is ours to drop. */
        if (evbuffer_add_reference(v->output, t->body, t->body_size, body_cleanup,
                                   t->body_ref) < 0)
            err = -ENOMEM;
        else
            t->body_ref = NULL;
    }
    if (!err && tail_len)
        err = add_small(v->output, tail, tail_len);
    ls_tag_body_release(t->body_ref);
    if (err)
        return err;
    v->hub->st.bytes_sent += lsd_tag_flv_size(t);
    return (int)(head_len + t->body_size + tail_len);
}

/* Whether @p t goes to the connection: a file header only starts a viewer; a new
 * subscription of one already playing continues its timeline instead. */
static bool admit(struct lsd_viewer *v, struct ls_sub_tag *t)
{
    if (t->flags & LS_TAG_FILE_HEADER) {
        if (!v->started) {
            v->started = true;
            return true;
        }
        lsd_timeline_restart(&v->timeline);
        return false;
    }
    lsd_timeline_apply(&v->timeline, t);
    return true;
}

/* Take tags while the connection has room. A broken stream (out of memory in the
 * middle of a tag) cannot be repaired: @return -ENOMEM and the viewer is dropped. */
static int refill(struct lsd_viewer *v)
{
    size_t out = evbuffer_get_length(v->output);
    lsd_inflight_settle(&v->inflight, out);
    while (v->sub) {
        unsigned room = LSD_INFLIGHT_MAX - v->inflight.count;
        if (!room || out >= OUTPUT_WINDOW) {
            v->caught_up = false;
            v->full = true; /* output_changed() clears it as it drains */
            return 0;
        }
        struct ls_sub_tag tags[TAKE_MAX];
        int n = ls_subscription_take(v->sub, tags, room < TAKE_MAX ? room : TAKE_MAX);
        int err = 0;
        for (int i = 0; i < n; i++) {
            if (err || !admit(v, &tags[i])) {
                ls_tag_body_release(tags[i].body_ref);
                continue;
            }
            int len = add_tag(v, &tags[i]);
            if (len < 0) {
                err = len;
                continue;
            }
            lsd_inflight_add(&v->inflight, (size_t)len);
            out += (size_t)len;
        }
        if (err)
            return err;
        if ((unsigned)n < room) {
            v->caught_up = true; /* nothing left waiting */
            return 0;
        }
    }
    return 0;
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
    hub->server->trim_bytes += CONNECTION_COST + v->inflight.count * TAG_COST +
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
    lsd_logf(hub->server->log, LS_LOG_DEBUG, "relay %s: viewer left", hub->relay->spec.id);
    if (!evhttp_request_get_connection(v->req))
        evhttp_request_free(v->req);
    viewer_free(hub, v);
    notify(hub);
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

/* ---- the subscription ------------------------------------------------------ */

/* Take from @p v on the next turn (not inside libevent's callbacks), with the others. */
static void schedule_take(struct lsd_viewer *v)
{
    v->full = false;
    v->drained = true;
    if (!v->hub->flush_pending) {
        v->hub->flush_pending = true;
        event_active(v->hub->flush_ev, EV_TIMEOUT, 1);
    }
}

/* Take from every viewer that has room (@p drained_only: those that drained since). */
static void refill_all(struct lsd_hub *hub, bool drained_only)
{
    bool changed = false;
    struct lsd_viewer *v, *next;
    for (v = hub->viewers; v; v = next) {
        next = v->next;
        if (v->full || (drained_only && !v->drained))
            continue;
        v->drained = false;
        if (refill(v) < 0) {
            lsd_hub_viewer_drop(v);
            changed = true;
        }
    }
    if (changed)
        notify(hub);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    ls_notifier_ack(hub->notifier); /* first: tags that come from now on wake it again */
    refill_all(hub, false);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    hub->flush_pending = false;
    refill_all(hub, true);
}

int lsd_hub_viewer_subscribe(struct lsd_hub *hub, struct lsd_viewer *v)
{
    if (v->sub || !hub->lib)
        return 0;
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    os.start_with_gop_cache = true;
    os.queue_max_bytes = hub->server->config.viewer_buffer_bytes;
    int err = ls_relay_subscribe_notify(hub->lib, &os, hub->notifier, &v->sub);
    if (err < 0)
        return err;
    v->skips_seen = 0;
    schedule_take(v); /* its start may be there already: no need to wait for a tag */
    return 0;
}

/* Count the skips the library made for @p v since last time. */
static void count_skips(struct lsd_hub *hub, struct lsd_viewer *v, uint64_t skips)
{
    if (skips > v->skips_seen)
        hub->st.skips += skips - v->skips_seen;
    v->skips_seen = skips;
}

void lsd_hub_viewer_unsubscribe(struct lsd_hub *hub, struct lsd_viewer *v)
{
    if (!v->sub)
        return;
    uint64_t skips;
    if (ls_subscription_backlog(v->sub, NULL, &skips) == 0)
        count_skips(hub, v, skips);
    ls_relay_unsubscribe(hub->lib, &v->sub);
}

/* ---- events --------------------------------------------------------------- */

/* Callback of the connection's output buffer, on every change: bytes written out
 * make room for more tags. */
static void output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct lsd_viewer *v = arg;
    (void)buf;
    if (!info->n_deleted || !v->full || info->orig_size - info->n_deleted >= OUTPUT_WINDOW)
        return;
    schedule_take(v); /* not here, inside libevent's write */
}

/* Whether @p v is behind: more unsent than the bound, or skipped since last time. */
static bool behind(struct lsd_hub *hub, struct lsd_viewer *v)
{
    if (v->caught_up)
        return false;
    size_t queued = 0;
    uint64_t skips = v->skips_seen;
    if (v->sub)
        ls_subscription_backlog(v->sub, &queued, &skips);
    bool skipped = skips > v->skips_seen;
    count_skips(hub, v, skips);
    return skipped ||
           queued + evbuffer_get_length(v->output) > hub->server->config.viewer_buffer_bytes;
}

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
            if (behind(hub, v))
                v->over_since_ms = now;
        } else if (now - v->over_since_ms >= hub->server->config.viewer_stall_ms) {
            lsd_logf(hub->server->log, LS_LOG_INFO,
                     "relay %s: viewer stuck for %lld ms, disconnecting it", hub->relay->spec.id,
                     (long long)(now - v->over_since_ms));
            hub->st.drops++;
            lsd_hub_viewer_drop(v);
            changed = true;
        } else {
            behind(hub, v); /* count its skips as they come */
        }
    }
    if (changed)
        notify(hub);
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
    bufferevent_set_max_single_write(v->bev, MAX_SINGLE_WRITE);
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
        v->drain_cb = evbuffer_add_cb(v->output, output_changed, v);
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
    lsd_logf(hub->server->log, LS_LOG_DEBUG, "relay %s: viewer %u joined", hub->relay->spec.id,
             hub->viewer_count);
    notify(hub); /* may start an on-demand relay: the hub then subscribes every viewer */
    if (lsd_hub_viewer_subscribe(hub, v) < 0) {
        lsd_hub_viewer_drop(v);
        notify(hub);
    }
}

int lsd_hub_viewers_init(struct lsd_hub *hub)
{
    struct event_base *base = hub->server->base;
    int err = ls_notifier_create(&hub->notifier);
    if (err < 0)
        return err;
    hub->check_ev = event_new(base, -1, EV_PERSIST, check_cb, hub);
    hub->flush_ev = event_new(base, -1, 0, flush_cb, hub);
    hub->ready_ev = event_new(base, ls_notifier_fd(hub->notifier), EV_READ | EV_PERSIST,
                              ready_cb, hub);
    if (!hub->check_ev || !hub->flush_ev || !hub->ready_ev || event_add(hub->ready_ev, NULL)) {
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
        notify(hub);
    if (!final)
        return;
    struct event **evs[] = {&hub->check_ev, &hub->flush_ev, &hub->ready_ev};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        if (*evs[i])
            event_free(*evs[i]);
        *evs[i] = NULL;
    }
    ls_notifier_destroy(&hub->notifier);
}
