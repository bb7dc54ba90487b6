/*
 * Live HLS of a relay (hls_live.h): the daemon's side of the library's
 * packager: its subscription, its idle stop. The replies: hls_reply.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "lightstream/lightstream.h"

#include "daemon/hls_live_private.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define TAKE_MAX 64
#define SEGMENTS_KEPT 6

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
            if ((ret == -ENOMEM || ret == -ENOTSUP) && !h->warned) {
                h->warned = true; /* once per packager: it would repeat at every frame */
                lsd_logf(h->server->log, LS_LOG_WARN, "relay %s: HLS: %s",
                         lsd_hls_relay_id(h), ls_strerror(ret));
            }
            made |= ret == 1;
            ls_tag_body_release(tags[i].body_ref);
        }
    } while (n == TAKE_MAX);
    if (made && h->waiting)
        lsd_hls_answer_waiting(h, true);
}

static void unsubscribe(struct lsd_hls *h)
{
    if (h->ready_ev)
        event_free(h->ready_ev);
    h->ready_ev = NULL;
    if (h->sub)
        ls_relay_unsubscribe(h->lib, &h->sub);
}

static void subscribe(struct lsd_hls *h)
{
    struct ls_relay *lib = h->lib;
    if (!h->pkg || h->sub || !lib)
        return;
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    os.start_with_gop_cache = true; /* the first segment is finished at the next keyframe */
    os.queue_max_bytes = h->server->config.viewer_buffer_bytes;
    int err = ls_relay_subscribe(lib, &os, &h->sub);
    if (err == 0) {
        h->ready_ev = event_new(h->server->base, ls_subscription_fd(h->sub),
                                EV_READ | EV_PERSIST, on_ready, h);
        err = h->ready_ev && event_add(h->ready_ev, NULL) == 0 ? 0 : -ENOMEM;
    }
    if (err < 0) {
        lsd_logf(h->server->log, LS_LOG_WARN, "relay %s: HLS cannot subscribe: %s",
                 lsd_hls_relay_id(h), ls_strerror(err));
        unsubscribe(h);
    }
}

void lsd_hls_attach(struct lsd_hls *h, struct ls_relay *lib)
{
    unsubscribe(h);
    h->lib = lib;
    subscribe(h);
}

void lsd_hls_detach(struct lsd_hls *h)
{
    unsubscribe(h);
    h->lib = NULL;
}

static int start(struct lsd_hls *h)
{
    struct ls_hls_settings st;
    ls_hls_default_settings(&st);
    st.segments = SEGMENTS_KEPT;
    int err = ls_hls_create(&h->pkg, &st);
    if (err < 0)
        return err;
    h->asked_ms = lsd_hls_now_ms();
    h->first_done = false;
    h->warned = false;
    lsd_logf(h->server->log, LS_LOG_INFO, "relay %s: HLS packager started",
             lsd_hls_relay_id(h));
    subscribe(h);
    /* Counted as a viewer: an on-demand relay starts (and attaches: subscribe()). */
    h->listener.active_changed(h->listener.cookie);
    return 0;
}

void lsd_hls_stop(struct lsd_hls *h)
{
    if (!h->pkg)
        return;
    unsubscribe(h); /* the library relay stays known: a packager started later subscribes */
    evtimer_del(h->idle_ev);
    lsd_hls_answer_waiting(h, false);
    ls_hls_destroy(&h->pkg);
}

static void idle_fire(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hls *h = arg;
    (void)fd;
    (void)what;
    lsd_logf(h->server->log, LS_LOG_INFO,
             "relay %s: no HLS request for %u s, packager stopped", lsd_hls_relay_id(h),
             h->server->config.hls_idle_s);
    lsd_hls_stop(h);
    h->listener.active_changed(h->listener.cookie);
}

/* ---- the public side ------------------------------------------------------ */

int lsd_hls_create(struct lsd_hls **out, struct lsd_server *s, const char *name,
                   const struct lsd_hls_listener *listener)
{
    struct lsd_hls *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->server = s;
    h->name = name;
    h->listener = *listener;
    h->idle_ev = evtimer_new(s->base, idle_fire, h);
    h->hold_ev = evtimer_new(s->base, lsd_hls_hold_fire, h);
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

void lsd_hls_serve(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what,
                   const char *name)
{
    bool playlist = what == LSD_HLS_MASTER || what == LSD_HLS_MEDIA;
    if (!h->pkg && playlist) {
        int err = start(h);
        if (err < 0) {
            lsd_hls_reply_error(h, req, 503, "the HLS packager cannot start");
            return;
        }
    }
    if (h->pkg) {
        struct timeval tv = {.tv_sec = h->server->config.hls_idle_s};
        evtimer_add(h->idle_ev, &tv);
    }
    if (!playlist) {
        lsd_hls_reply_file(h, req, what, name);
        return;
    }
    struct ls_hls_info info;
    ls_hls_get_info(h->pkg, &info);
    if (info.segments)
        lsd_hls_reply_playlist(h, req, what);
    else
        lsd_hls_wait(h, req, what);
}
