/*
 * The HTTP-FLV hub's viewers: one evhttp reply each (chunked for HTTP/1.1),
 * fed with references to the hub's tags (zero-copy: the bytes are the
 * subscriber's copy, shared by every viewer and freed when the last holder
 * lets go).
 *
 * A viewer never slows the relay or another viewer: a tag goes into its
 * queue and nothing waits for it. The queue holds pointers; the connection's
 * output buffer is given the tags a few at a time, as it drains, each as one
 * reference to a block that already holds its chunk framing (hub_tag.h), so
 * that what a viewer costs is its queue and a few libevent chains, not its
 * backlog: the backlog's bytes are the tags every viewer shares.
 *
 * Its backlog is bounded: past config.viewer_buffer_bytes of unsent stream,
 * or past VIEWER_MEMORY_MAX of memory of its own, it gets no media until a
 * video keyframe finds it under the bound again (a skip), and a viewer still
 * over the bound after config.viewer_stall_ms is disconnected (a drop).
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
/* libevent 2.1 allocates a 1 KiB chain (MIN_BUFFER_SIZE) for every evbuffer_add_reference. */
#define REFERENCE_COST 1024
/* A viewer's own memory (its queue's ring and its connection's chains) before it counts as
 * over the bound. The ring may just have doubled past it, so a viewer holds at most
 * LSD_TAG_QUEUE_MAX pointers (64 KiB) and LSD_INFLIGHT_MAX chains (16 KiB) of its own;
 * with the test camera's 720p stream it is over viewer_buffer_bytes first, at ~25 KiB. */
#define VIEWER_MEMORY_MAX (64u << 10)
/* evhttp's connection, request, bufferevent and buffers: ~11 KiB of RSS per viewer measured. */
#define CONNECTION_COST (12u << 10)
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

/* What the viewer takes on its own: the tags are shared, its queue and chains are not. */
static size_t viewer_memory(const struct lsd_viewer *v)
{
    return sizeof(*v) + lsd_tag_queue_memory(&v->queue) + v->inflight.count * REFERENCE_COST;
}

/* Too far behind (unsent bytes: what the connection holds plus the queue), or too
 * costly (the queue of a stream of many small tags). */
static bool over_bound(const struct lsd_viewer *v)
{
    size_t unsent = evbuffer_get_length(v->output) + v->queue.bytes;
    return unsent > v->hub->server->config.viewer_buffer_bytes ||
           viewer_memory(v) > VIEWER_MEMORY_MAX;
}

/* ---- handing tags to the connection ---------------------------------------- */

static void tag_cleanup(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    lsd_tag_unref(arg);
}

/* Add @p t to the connection's output by reference (its own reference, dropped by the
 * evbuffer's cleanup), framed as one chunk when the reply is chunked. */
static int add_tag(struct lsd_viewer *v, struct lsd_tag *t)
{
    size_t len = v->chunked ? t->chunk_size : t->size;
    t->refs++;
    /* On failure evbuffer does not call the cleanup: the reference is ours to drop. */
    if (evbuffer_add_reference(v->output, v->chunked ? t->chunk : t->data, len, tag_cleanup,
                               t) < 0) {
        t->refs--;
        return -ENOMEM;
    }
    lsd_inflight_add(&v->inflight, len);
    v->hub->st.bytes_sent += t->size;
    return 0;
}

/* Hand queued tags over while the connection has room (@p all: every one, the reply
 * ends after them). Out of memory, the tag stays queued for the next try. */
static void refill(struct lsd_viewer *v, bool all)
{
    size_t out = evbuffer_get_length(v->output);
    lsd_inflight_settle(&v->inflight, out);
    while (v->queue.count) {
        if (!all && (v->inflight.count >= LSD_INFLIGHT_MAX || out >= OUTPUT_WINDOW))
            return;
        struct lsd_tag *t = lsd_tag_queue_peek(&v->queue);
        if (add_tag(v, t) < 0)
            return;
        out += v->chunked ? t->chunk_size : t->size;
        lsd_tag_unref(lsd_tag_queue_pop(&v->queue));
    }
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
    /* What goes with it, roughly: its own memory, its connection's, and at most its
     * unsent tags (if nobody else holds them). The server trims once that adds up. */
    hub->server->trim_bytes += viewer_memory(v) + CONNECTION_COST + evbuffer_get_length(v->output) +
                               v->queue.bytes;
    if (v->prev)
        v->prev->next = v->next;
    else
        hub->viewers = v->next;
    if (v->next)
        v->next->prev = v->prev;
    if (--hub->viewer_count == 0)
        event_del(hub->check_ev);
    evbuffer_remove_cb_entry(v->output, v->drain_cb);
    lsd_tag_queue_clear(&v->queue);
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

/* Disconnect now, whatever is unsent (the request goes with the connection). */
static void viewer_drop(struct lsd_viewer *v)
{
    struct evhttp_connection *evcon = v->evcon;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    viewer_free(v->hub, v);
    evhttp_connection_free(evcon);
}

/* End the reply cleanly; a viewer that is stuck anyway is just disconnected. */
static void viewer_end(struct lsd_viewer *v)
{
    if (over_bound(v)) {
        viewer_drop(v);
        return;
    }
    refill(v, true);
    evhttp_connection_set_closecb(v->evcon, NULL, NULL);
    struct timeval tv = {CONNECTION_TIMEOUT_S, 0};
    bufferevent_set_timeouts(v->bev, &tv, &tv);
    bufferevent_setwatermark(v->bev, EV_READ, 0, 0);
    evhttp_send_reply_end(v->req);
    viewer_free(v->hub, v);
}

/* ---- events --------------------------------------------------------------- */

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    hub->flush_pending = false;
    for (struct lsd_viewer *v = hub->viewers; v; v = v->next)
        refill(v, false);
}

/* After the tags of one loop turn were queued (often several: the mailbox hands
 * them over in batches), or when a connection's output drained. */
static void schedule_flush(struct lsd_hub *hub)
{
    if (hub->flush_pending)
        return;
    hub->flush_pending = true;
    event_active(hub->flush_ev, EV_TIMEOUT, 1);
}

/* Callback of the connection's output buffer, on every change: bytes written out
 * make room for queued tags. */
static void output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct lsd_viewer *v = arg;
    (void)buf;
    if (info->n_deleted && v->queue.count)
        schedule_flush(v->hub);
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
        if (!over_bound(v)) {
            v->over_since_ms = 0;
        } else if (!v->over_since_ms) {
            v->over_since_ms = now;
        } else if (now - v->over_since_ms >= hub->server->config.viewer_stall_ms) {
            lsd_logf(hub->server->log, LS_LOG_INFO,
                     "relay %s: viewer stuck for %lld ms, disconnecting it", hub->relay->spec.id,
                     (long long)(now - v->over_since_ms));
            hub->st.drops++;
            viewer_drop(v);
            changed = true;
        }
    }
    if (changed)
        notify(hub);
}

/* ---- feeding -------------------------------------------------------------- */

/* Queue a copy of header-kind tag @p t with its timestamp set to @p ts. */
static int push_retimed(struct lsd_viewer *v, const struct lsd_tag *t, uint32_t ts)
{
    struct lsd_tag *c = lsd_tag_copy(t);
    if (!c)
        return -ENOMEM;
    lsd_tag_set_ts(c, ts);
    int err = lsd_tag_queue_push(&v->queue, c);
    lsd_tag_unref(c);
    return err;
}

int lsd_hub_viewer_start(struct lsd_hub *hub, struct lsd_viewer *v)
{
    if (!hub->file_header)
        return 0; /* no stream yet: it starts with the next file header */
    /* The cached sequence headers take the time of the first frame that follows
     * them; onMetaData keeps its own (see retime() in hub.c). */
    uint32_t ts = hub->gop_count ? lsd_tag_ts(hub->gop[0]) : hub->last_ts;
    int err = lsd_tag_queue_push(&v->queue, hub->file_header);
    if (!err && hub->metadata)
        err = lsd_tag_queue_push(&v->queue, hub->metadata);
    const struct lsd_tag *heads[] = {hub->video_seq, hub->audio_seq};
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]) && !err; i++)
        if (heads[i])
            err = push_retimed(v, heads[i], ts);
    for (size_t i = 0; i < hub->gop_count && !err; i++)
        err = lsd_tag_queue_push(&v->queue, hub->gop[i]);
    if (err)
        return err;
    v->started = true;
    v->skipping = hub->has_video && hub->gop_count == 0;
    schedule_flush(hub);
    return 0;
}

/* Whether a media tag goes to @p v. */
static bool admit(struct lsd_hub *hub, struct lsd_viewer *v, bool keyframe)
{
    bool over = over_bound(v);
    if (v->skipping) {
        /* Audio-only streams have no keyframes: they resume once under the bound. */
        if (over || (hub->has_video && !keyframe))
            return false;
        v->skipping = false;
        return true;
    }
    if (over) {
        v->skipping = true;
        hub->st.skips++;
        return false;
    }
    return true;
}

void lsd_hub_viewers_feed(struct lsd_hub *hub, struct lsd_tag *t)
{
    /* Headers always pass (they are small and what follows needs them). */
    bool header = t->flags & (LS_TAG_METADATA | LS_TAG_SEQUENCE_HEADER);
    bool keyframe = (t->flags & LS_TAG_VIDEO) && (t->flags & LS_TAG_KEYFRAME);
    for (struct lsd_viewer *v = hub->viewers; v; v = v->next) {
        if (!v->started || (!header && !admit(hub, v, keyframe)))
            continue;
        if (lsd_tag_queue_push(&v->queue, t) < 0)
            v->skipping = true; /* out of memory, or its queue full: resume at a keyframe */
    }
    if (hub->viewers)
        schedule_flush(hub);
}

void lsd_hub_viewers_restart(struct lsd_hub *hub)
{
    bool changed = false;
    struct lsd_viewer *v, *next;
    for (v = hub->viewers; v; v = next) {
        next = v->next;
        if (v->started) {
            v->skipping = true; /* the new stream's headers come live, then its keyframe */
        } else if (lsd_hub_viewer_start(hub, v) < 0) {
            viewer_drop(v);
            changed = true;
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
    /* An idle on-demand relay's cache is from its last run: never serve it. */
    if (!hub->relay->relay)
        lsd_hub_stream_clear(hub);
    notify(hub); /* may start an on-demand relay: its stream then comes live */
    if (lsd_hub_viewer_start(hub, v) < 0) {
        viewer_drop(v);
        notify(hub);
    }
}

int lsd_hub_viewers_init(struct lsd_hub *hub)
{
    struct event_base *base = hub->server->base;
    hub->flush_ev = event_new(base, -1, 0, flush_cb, hub);
    hub->check_ev = event_new(base, -1, EV_PERSIST, check_cb, hub);
    if (!hub->flush_ev || !hub->check_ev) {
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
    if (final) {
        if (hub->flush_ev)
            event_free(hub->flush_ev);
        if (hub->check_ev)
            event_free(hub->check_ev);
        hub->flush_ev = hub->check_ev = NULL;
    }
}
