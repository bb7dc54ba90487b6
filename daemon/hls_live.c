/*
 * Live HLS of a relay (hls_live.h): the daemon's side of the library's
 * packager: its subscription, its idle stop, and the HTTP replies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/hls_live.h"
#include "daemon/hub.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/mp4_index.h"

/* A playlist asked for before the first segment waits this long at most: an
 * on-demand relay has to connect and see two keyframes first. */
#define HOLD_S 10
#define TAKE_MAX 64
#define SEGMENTS_KEPT 6

struct waiter {
    struct lsd_hls *h;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    enum lsd_hls_what what;
    struct waiter *next;
};

struct lsd_hls {
    struct lsd_hub *hub;
    struct ls_hls *pkg;           /**< NULL while no packager runs */
    struct ls_subscription *sub;  /**< of hub->lib, while both exist */
    struct event *ready_ev;       /**< the subscription has tags */
    struct event *idle_ev;        /**< no HLS request for hls_idle_s */
    struct event *hold_ev;        /**< the waiting playlist requests give up */
    struct waiter *waiting;
    int64_t asked_ms;             /**< monotonic: the request that started the packager */
    bool first_done;              /**< its first playlist was answered (and logged) */
    uint64_t served;              /**< media segments served, ever */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *relay_id(const struct lsd_hls *h)
{
    return h->hub->relay->spec.id;
}

/* ---- replies ------------------------------------------------------------ */

static void reply(struct lsd_hls *h, struct evhttp_request *req, const char *type,
                  const void *data, size_t size)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    /* Names are reused by the next packager (numbers start again): never cached. */
    evhttp_add_header(hd, "Cache-Control", "no-cache");
    lsd_reply_bytes(req, 200, type, data, size);
    lsd_http_count_reply(h->hub->server, req);
}

static void reply_error(struct lsd_hls *h, struct evhttp_request *req, int status,
                        const char *msg)
{
    if (status == 503)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    lsd_reply_error(req, status, status == 404 ? "not_found" : "unavailable", "%s", msg);
    lsd_http_count_reply(h->hub->server, req);
}

static long mem_read(void *opaque, uint64_t offset, void *buf, size_t n)
{
    const uint8_t **d = opaque;
    size_t size = (size_t)(uintptr_t)d[1];
    if (offset >= size)
        return 0;
    size_t k = size - offset < n ? size - (size_t)offset : n;
    memcpy(buf, d[0] + offset, k);
    return (long)k;
}

/* The CODECS of the init segment, as the recordings' index reads them (RFC 6381). */
static void init_codecs(const struct lsd_hls *h, char *out, size_t size)
{
    const uint8_t *data;
    size_t n;
    out[0] = '\0';
    if (ls_hls_init_segment(h->pkg, &data, &n) < 0)
        return;
    const uint8_t *pair[2] = {data, (const uint8_t *)(uintptr_t)n};
    struct lsd_mp4_source src = {.read = mem_read, .opaque = pair, .size = n};
    struct lsd_mp4_index idx;
    if (lsd_mp4_index_read(&src, &idx) == 0)
        snprintf(out, size, "%s", idx.codecs);
    lsd_mp4_index_free(&idx);
}

static void reply_master(struct lsd_hls *h, struct evhttp_request *req)
{
    struct ls_hls_info info;
    char codecs[96], token[600], text[1024];
    ls_hls_get_info(h->pkg, &info);
    init_codecs(h, codecs, sizeof(codecs));
    lsd_token_query(req, '?', token, sizeof(token));
    int n = snprintf(text, sizeof(text),
                     "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                     "#EXT-X-STREAM-INF:BANDWIDTH=%" PRIu64 "%s%s%s,RESOLUTION=%ux%u\n"
                     "stream.m3u8%s\n",
                     info.peak_bits_per_s ? info.peak_bits_per_s : 1000000,
                     codecs[0] ? ",CODECS=\"" : "", codecs, codecs[0] ? "\"" : "",
                     info.width, info.height, token);
    reply(h, req, "application/vnd.apple.mpegurl", text,
          n > 0 && (size_t)n < sizeof(text) ? (size_t)n : 0);
}

static void reply_media(struct lsd_hls *h, struct evhttp_request *req)
{
    char token[600], small[4096];
    lsd_token_query(req, '?', token, sizeof(token));
    long n = ls_hls_playlist(h->pkg, token, small, sizeof(small));
    char *text = small;
    if (n >= (long)sizeof(small)) {
        text = malloc((size_t)n + 1);
        n = text ? ls_hls_playlist(h->pkg, token, text, (size_t)n + 1) : -ENOMEM;
    }
    if (n < 0)
        reply_error(h, req, 503, "no segment yet");
    else
        reply(h, req, "application/vnd.apple.mpegurl", text, (size_t)n);
    if (text != small)
        free(text);
}

static void reply_playlist(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what)
{
    if (!h->first_done) {
        h->first_done = true;
        lsd_logf(h->hub->server->log, LS_LOG_INFO,
                 "relay %s: HLS playlist ready %" PRId64 " ms after the first request",
                 relay_id(h), mono_ms() - h->asked_ms);
    }
    if (what == LSD_HLS_MASTER)
        reply_master(h, req);
    else
        reply_media(h, req);
}

/* ---- playlists that wait for the first segment --------------------------- */

static void waiter_gone(struct evhttp_connection *evcon, void *arg)
{
    struct waiter *w = arg, **p;
    (void)evcon;
    for (p = &w->h->waiting; *p && *p != w; p = &(*p)->next)
        ;
    if (*p)
        *p = w->next;
    free(w);
}

/* Answer every waiting request: with the playlist, or 503 when @p ok is false. */
static void answer_waiting(struct lsd_hls *h, bool ok)
{
    struct waiter *w = h->waiting;
    h->waiting = NULL;
    evtimer_del(h->hold_ev);
    while (w) {
        struct waiter *next = w->next;
        evhttp_connection_set_closecb(w->evcon, NULL, NULL);
        if (ok)
            reply_playlist(h, w->req, w->what);
        else
            reply_error(h, w->req, 503, "the live stream has no segment yet");
        free(w);
        w = next;
    }
}

static void hold_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    answer_waiting(arg, false);
}

static void wait_for_segment(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what)
{
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w) {
        reply_error(h, req, 503, "out of memory");
        return;
    }
    w->h = h;
    w->req = req;
    w->evcon = evhttp_request_get_connection(req);
    w->what = what;
    w->next = h->waiting;
    h->waiting = w;
    evhttp_connection_set_closecb(w->evcon, waiter_gone, w);
    if (!evtimer_pending(h->hold_ev, NULL)) {
        struct timeval tv = {.tv_sec = HOLD_S};
        evtimer_add(h->hold_ev, &tv);
    }
}

/* ---- the packager and its subscription ----------------------------------- */

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hls *h = arg;
    struct ls_sub_tag tags[TAKE_MAX];
    bool made = false;
    int n;
    (void)fd;
    (void)what;
    do {
        n = h->sub ? ls_subscription_take(h->sub, tags, TAKE_MAX) : 0;
        for (int i = 0; i < n; i++) {
            int ret = ls_hls_push(h->pkg, &tags[i]);
            if (ret == -ENOMEM || ret == -ENOTSUP)
                lsd_logf(h->hub->server->log, LS_LOG_WARN, "relay %s: HLS: %s", relay_id(h),
                         ls_strerror(ret));
            made |= ret == 1;
            ls_tag_body_release(tags[i].body_ref);
        }
    } while (n == TAKE_MAX);
    if (made && h->waiting)
        answer_waiting(h, true);
}

static void subscribe(struct lsd_hls *h)
{
    struct ls_relay *lib = h->hub->lib;
    if (!h->pkg || h->sub || !lib)
        return;
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    os.start_with_gop_cache = true; /* the first segment is finished at the next keyframe */
    os.queue_max_bytes = h->hub->server->config.viewer_buffer_bytes;
    int err = ls_relay_subscribe(lib, &os, &h->sub);
    if (err == 0) {
        h->ready_ev = event_new(h->hub->server->base, ls_subscription_fd(h->sub),
                                EV_READ | EV_PERSIST, on_ready, h);
        err = h->ready_ev && event_add(h->ready_ev, NULL) == 0 ? 0 : -ENOMEM;
    }
    if (err < 0) {
        lsd_logf(h->hub->server->log, LS_LOG_WARN, "relay %s: HLS cannot subscribe: %s",
                 relay_id(h), ls_strerror(err));
        lsd_hls_detach(h);
    }
}

void lsd_hls_attach(struct lsd_hls *h, struct ls_relay *lib)
{
    (void)lib; /* the hub's: subscribe() reads it there */
    subscribe(h);
}

void lsd_hls_detach(struct lsd_hls *h)
{
    if (h->ready_ev)
        event_free(h->ready_ev);
    h->ready_ev = NULL;
    if (h->sub)
        ls_relay_unsubscribe(h->hub->lib, &h->sub);
}

static int start(struct lsd_hls *h)
{
    struct ls_hls_settings st;
    ls_hls_default_settings(&st);
    st.segments = SEGMENTS_KEPT;
    int err = ls_hls_create(&h->pkg, &st);
    if (err < 0)
        return err;
    h->asked_ms = mono_ms();
    h->first_done = false;
    lsd_logf(h->hub->server->log, LS_LOG_INFO, "relay %s: HLS packager started", relay_id(h));
    subscribe(h);
    /* Counted as a viewer: an on-demand relay starts (and attaches: subscribe()). */
    lsd_relay_viewers_changed(h->hub->relay, lsd_hub_viewers(h->hub));
    return 0;
}

void lsd_hls_stop(struct lsd_hls *h)
{
    if (!h->pkg)
        return;
    lsd_hls_detach(h);
    evtimer_del(h->idle_ev);
    answer_waiting(h, false);
    ls_hls_destroy(&h->pkg);
}

static void idle_fire(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hls *h = arg;
    (void)fd;
    (void)what;
    lsd_logf(h->hub->server->log, LS_LOG_INFO, "relay %s: no HLS request for %u s, packager stopped",
             relay_id(h), h->hub->server->config.hls_idle_s);
    lsd_hls_stop(h);
    if (!h->hub->closing)
        lsd_relay_viewers_changed(h->hub->relay, lsd_hub_viewers(h->hub));
}

/* ---- the public side ------------------------------------------------------ */

int lsd_hls_create(struct lsd_hls **out, struct lsd_hub *hub)
{
    struct lsd_hls *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->hub = hub;
    h->idle_ev = evtimer_new(hub->server->base, idle_fire, h);
    h->hold_ev = evtimer_new(hub->server->base, hold_fire, h);
    if (!h->idle_ev || !h->hold_ev) {
        lsd_hls_destroy(&h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

void lsd_hls_destroy(struct lsd_hls **hp)
{
    struct lsd_hls *h = *hp;
    if (!h)
        return;
    lsd_hls_stop(h);
    if (h->idle_ev)
        event_free(h->idle_ev);
    if (h->hold_ev)
        event_free(h->hold_ev);
    free(h);
    *hp = NULL;
}

bool lsd_hls_active(const struct lsd_hls *h)
{
    return h && h->pkg;
}

uint64_t lsd_hls_served(const struct lsd_hls *h)
{
    return h ? h->served : 0;
}

static bool parse_number(const char *name, uint64_t *out)
{
    char *end;
    if (!name || name[0] < '0' || name[0] > '9')
        return false;
    *out = strtoull(name, &end, 10);
    return *end == '\0';
}

static void serve_media_file(struct lsd_hls *h, struct evhttp_request *req,
                             enum lsd_hls_what what, const char *name)
{
    const uint8_t *data;
    size_t size;
    uint64_t n;
    struct ls_hls_info info;
    int err = -ENOENT;
    if (h->pkg && parse_number(name, &n) && ls_hls_get_info(h->pkg, &info) == 0) {
        if (what == LSD_HLS_SEGMENT)
            err = ls_hls_segment(h->pkg, n, &data, &size);
        else if (n == info.discontinuity_seq)
            err = ls_hls_init_segment(h->pkg, &data, &size);
    }
    if (err < 0) {
        reply_error(h, req, 404, "no such segment (any more)");
        return;
    }
    if (what == LSD_HLS_SEGMENT)
        h->served++;
    reply(h, req, "video/mp4", data, size);
}

void lsd_hls_serve(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what,
                   const char *name)
{
    bool playlist = what == LSD_HLS_MASTER || what == LSD_HLS_MEDIA;
    if (!h->pkg && playlist) {
        int err = start(h);
        if (err < 0) {
            reply_error(h, req, 503, "the HLS packager cannot start");
            return;
        }
    }
    if (h->pkg) {
        struct timeval tv = {.tv_sec = h->hub->server->config.hls_idle_s};
        evtimer_add(h->idle_ev, &tv);
    }
    if (!playlist) {
        serve_media_file(h, req, what, name);
        return;
    }
    struct ls_hls_info info;
    ls_hls_get_info(h->pkg, &info);
    if (info.segments)
        reply_playlist(h, req, what);
    else
        wait_for_segment(h, req, what);
}
