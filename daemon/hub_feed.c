/*
 * What the HTTP-FLV hub's viewers are fed: each is a pollable subscription
 * of the hub's library relay, and its tags go to its connection without a
 * copy of their bodies.
 *
 * When a viewer's connection has room, its tags are taken and added to the
 * connection's output buffer as three pieces (hub_tag.h): a small head and
 * tail copied in, the body by reference (evbuffer_add_reference), released
 * back to the library by libevent once written or when the connection goes.
 * The head and tail go in through evbuffer_reserve_space(): evbuffer_add()
 * after a reference would allocate a block as large as the referenced body,
 * while a reserved space after it is a small new chain, which the next tag's
 * head then shares.
 *
 * Wake-ups: every viewer's subscription wakes the hub's one notifier; 40 ms
 * later (GATHER_MS) the hub takes from each viewer with room. With one descriptor per viewer
 * the relay's thread would write (and the loop read) one eventfd per viewer
 * per batch of tags: at 1000 viewers that cost more than the tags. A
 * connection is given tags only while it holds less than a write's worth
 * (and fewer than LSD_INFLIGHT_MAX of them); meanwhile it is left out of the
 * takes (it is "full") until it drains.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon/hub_private.h"
#include "daemon/server.h"

/* A connection is handed more tags while its output holds less than one write's worth
 * (and fewer than LSD_INFLIGHT_MAX of them). */
#define OUTPUT_WINDOW LSD_MAX_SINGLE_WRITE
/* Tags taken at once: as many as a connection may hold. */
#define TAKE_MAX LSD_INFLIGHT_MAX
/* After a wake-up, the takes wait this long for more tags: one socket write per viewer
 * for a frame and its audio rather than one per batch of tags. Measured at 1000 viewers
 * (docs/performance.md): 42 % of a core taking at once, 39 % at 20 ms, 24-30 % at 40 ms. */
#define GATHER_MS 40

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
        lsd_hub_notify(hub);
}

static void gather_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    refill_all(hub, false);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_hub *hub = arg;
    (void)fd;
    (void)what;
    ls_notifier_ack(hub->notifier); /* first: tags that come from now on wake it again */
    /* Take a little later, with what comes meanwhile: fewer, larger socket writes. */
    if (!evtimer_pending(hub->gather_ev, NULL)) {
        struct timeval tv = {0, GATHER_MS * 1000};
        evtimer_add(hub->gather_ev, &tv);
    }
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
void lsd_hub_output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct lsd_viewer *v = arg;
    (void)buf;
    if (!info->n_deleted || !v->full || info->orig_size - info->n_deleted >= OUTPUT_WINDOW)
        return;
    schedule_take(v); /* not here, inside libevent's write */
}

/* Whether @p v is behind: more unsent than the bound, or skipped since last time. */
bool lsd_hub_viewer_behind(struct lsd_hub *hub, struct lsd_viewer *v)
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

int lsd_hub_feed_init(struct lsd_hub *hub)
{
    struct event_base *base = hub->server->base;
    int err = ls_notifier_create(&hub->notifier);
    if (err < 0)
        return err;
    hub->flush_ev = event_new(base, -1, 0, flush_cb, hub);
    hub->ready_ev = event_new(base, ls_notifier_fd(hub->notifier), EV_READ | EV_PERSIST,
                              ready_cb, hub);
    hub->gather_ev = evtimer_new(base, gather_cb, hub);
    if (!hub->flush_ev || !hub->ready_ev || !hub->gather_ev || event_add(hub->ready_ev, NULL)) {
        lsd_hub_feed_finish(hub);
        return -ENOMEM;
    }
    return 0;
}

void lsd_hub_feed_finish(struct lsd_hub *hub)
{
    if (hub->flush_ev)
        event_free(hub->flush_ev);
    if (hub->ready_ev)
        event_free(hub->ready_ev);
    if (hub->gather_ev)
        event_free(hub->gather_ev);
    hub->flush_ev = hub->ready_ev = hub->gather_ev = NULL;
    ls_notifier_destroy(&hub->notifier);
}
