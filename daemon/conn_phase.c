/*
 * A connection's request phases (see conn.h): waiting for a head, for a
 * body, busy with a handler; the deadlines, and closing a connection that
 * waits to make room at a cap.
 *
 * The end of the head is found in the input buffer's own callback, which
 * runs when bytes arrive, before evhttp parses them; a deadline closes the
 * connection the way evhttp's inactivity timeout does.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/conn_private.h"
#include "daemon/log.h"
#include "daemon/server.h"

/* A connection over a cap only needs to send its request to be told 503:
 * it does not hold its descriptor for the whole header deadline. */
#define OVER_CAP_HEAD_S 2
/* At a cap, a connection that has waited this long for a head is idle
 * (keep-alive) or slow, not a request on its way: it makes room. */
#define EVICT_AFTER_MS 1000

/* The counted connections waiting for a head, oldest first: the ones to
 * close first when a cap is reached. */
static void waiting_link(struct lsd_conn *c, bool on)
{
    struct lsd_conns *set = c->set;
    if (on) {
        c->waiting_ms = lsd_conn_now_ms();
        c->wait_next = NULL;
        c->wait_prev = set->waiting_last;
        *(set->waiting_last ? &set->waiting_last->wait_next : &set->waiting) = c;
        set->waiting_last = c;
        return;
    }
    *(c->wait_prev ? &c->wait_prev->wait_next : &set->waiting) = c->wait_next;
    *(c->wait_next ? &c->wait_next->wait_prev : &set->waiting_last) = c->wait_prev;
    c->wait_prev = c->wait_next = NULL;
}

void lsd_conn_enter(struct lsd_conn *c, enum lsd_conn_phase phase)
{
    if (c->phase == LSD_CONN_HEAD && c->over == LSD_OVER_NONE)
        waiting_link(c, false);
    c->phase = phase;
    if (phase == LSD_CONN_HEAD && c->over == LSD_OVER_NONE)
        waiting_link(c, true);
}

static void arm(struct lsd_conn *c, unsigned seconds)
{
    struct timeval tv = {(time_t)seconds, 0};
    event_add(c->timer, &tv);
}

static void watch(struct lsd_conn *c, bool on)
{
    if (!c->watch)
        return;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (on)
        evbuffer_cb_set_flags(in, c->watch, EVBUFFER_CB_ENABLED);
    else
        evbuffer_cb_clear_flags(in, c->watch, EVBUFFER_CB_ENABLED);
}

/* Feed the last @p n bytes of the input to the head scanner. */
static void scan_tail(struct lsd_conn *c, struct evbuffer *in, size_t n)
{
    struct evbuffer_ptr pos;
    size_t len = evbuffer_get_length(in);
    n = n < len ? n : len;
    if (!n || evbuffer_ptr_set(in, &pos, len - n, EVBUFFER_PTR_SET) < 0)
        return;
    while (n) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, (ev_ssize_t)n, &pos, &v, 1) < 1 || !v.iov_len)
            return;
        size_t k = v.iov_len < n ? v.iov_len : n;
        if (lsd_head_scan_feed(&c->scan, v.iov_base, k)) {
            /* The body deadline counts from the end of the head. */
            lsd_conn_enter(c, LSD_CONN_BODY);
            watch(c, false);
            arm(c, c->set->server->config.body_timeout_s);
            return;
        }
        n -= k;
        evbuffer_ptr_set(in, &pos, k, EVBUFFER_PTR_ADD);
    }
}

/* Runs when bytes arrive, before evhttp parses them; only while alive. */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
    struct lsd_conn *c = arg;
    if (info->n_added && c->phase == LSD_CONN_HEAD)
        scan_tail(c, in, info->n_added);
}

void lsd_conn_wait_head(struct lsd_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    lsd_conn_enter(c, LSD_CONN_HEAD);
    memset(&c->scan, 0, sizeof(c->scan));
    arm(c, c->over ? OVER_CAP_HEAD_S : c->set->server->config.header_timeout_s);
    watch(c, true);
    scan_tail(c, in, evbuffer_get_length(in)); /* a pipelined request may be there */
}

/* Close a connection waiting for its request as evhttp's own timeout does.
 * @return false if evhttp kept it (it never should: its timeout and the
 * sweep remain). */
static bool close_waiting(struct lsd_conn *c, bool deadline)
{
    struct lsd_server *s = c->set->server;
    lsd_logf(s->log, LS_LOG_DEBUG, "connections: closing %s: %s", c->peer->text,
             !deadline ? "waiting longest for a request, at max_connections"
             : c->phase == LSD_CONN_HEAD ? "request head not complete in time"
                                         : "request body not complete in time");
    lsd_limits_note_close(c->set, deadline);
    bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
    if (lsd_conn_alive(c))
        return false;
    lsd_conn_gone(c);
    return true;
}

void lsd_conn_deadline(struct lsd_conn *c)
{
    if (lsd_conn_alive(c))
        close_waiting(c, true);
    else
        lsd_conn_gone(c);
}

bool lsd_conn_make_room(struct lsd_conn *c, bool may_close)
{
    if (!lsd_conn_alive(c)) {
        lsd_conn_gone(c);
        return true;
    }
    return may_close && lsd_conn_now_ms() - c->waiting_ms >= EVICT_AFTER_MS &&
           close_waiting(c, false);
}

void lsd_conn_start(struct lsd_conn *c)
{
    c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c);
    lsd_conn_wait_head(c);
}

void lsd_conn_busy(struct lsd_conn *c)
{
    lsd_conn_enter(c, LSD_CONN_BUSY);
    event_del(c->timer);
    watch(c, false);
}
