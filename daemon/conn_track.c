/*
 * Each HTTP connection's life as lightstreamd follows it (see conn.h):
 * accepted, waiting for a head, for a body, busy with a handler, done (the
 * waiting and its deadlines are conn_phase.c's).
 *
 * libevent 2.1's evhttp tells nobody when it accepts or frees a connection
 * (its close callback has one slot, which the HTTP-FLV hub and the async
 * requests take). What it does offer is a callback that makes each
 * connection's bufferevent: here, a record is made beside it. The record
 * learns the socket right after, and the end of the head from the input
 * buffer's own callback; the deadlines close the connection the way evhttp's
 * timeout does. That the connection is gone shows as its socket being closed
 * (or the descriptor holding another socket): then the record is forgotten.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/accept_guard.h"
#include "daemon/conn_private.h"
#include "daemon/server.h"

#define SWEEP_INTERVAL_S 2

int64_t lsd_conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool lsd_conn_alive(const struct lsd_conn *c)
{
    struct stat st;
    if (fstat(c->fd, &st) < 0)
        return errno != EBADF; /* only a closed descriptor proves it */
    return st.st_ino == c->ino && st.st_dev == c->dev;
}

/* Never touches c->bev: when this runs, it is freed or about to be. */
static void forget(struct lsd_conn *c)
{
    struct lsd_conns *set = c->set;
    lsd_conn_enter(c, LSD_CONN_DONE); /* off the waiting list */
    lsd_limits_leave(set, c);
    if (c->fd >= 0 && (size_t)c->fd < set->by_fd_size && set->by_fd[c->fd] == c)
        set->by_fd[c->fd] = NULL;
    event_free(c->timer);
    free(c);
}

void lsd_conn_gone(struct lsd_conn *c)
{
    struct lsd_server *s = c->set->server;
    forget(c);
    lsd_accept_guard_kick(s->accept_guard);
}

/* Make the descriptor's slot ours; a record still there is of a socket
 * since closed (the kernel reuses only free descriptors). */
static int track(struct lsd_conns *set, struct lsd_conn *c)
{
    if ((size_t)c->fd >= set->by_fd_size) {
        size_t size = set->by_fd_size ? set->by_fd_size : 256;
        while (size <= (size_t)c->fd)
            size *= 2;
        struct lsd_conn **t = realloc(set->by_fd, size * sizeof(*t));
        if (!t)
            return -ENOMEM;
        memset(t + set->by_fd_size, 0, (size - set->by_fd_size) * sizeof(*t));
        set->by_fd = t;
        set->by_fd_size = size;
    }
    if (set->by_fd[c->fd])
        forget(set->by_fd[c->fd]);
    set->by_fd[c->fd] = c;
    return 0;
}

static void unadopted_link(struct lsd_conn *c, bool on)
{
    struct lsd_conns *set = c->set;
    if (on) {
        c->peer_next = set->unadopted;
        if (set->unadopted)
            set->unadopted->peer_prev = c;
        set->unadopted = c;
        return;
    }
    if (c->peer_prev)
        c->peer_prev->peer_next = c->peer_next;
    else
        set->unadopted = c->peer_next;
    if (c->peer_next)
        c->peer_next->peer_prev = c->peer_prev;
    c->peer_prev = c->peer_next = NULL;
}

/* evhttp has set the socket up by now, unless it gave up on the connection
 * (out of memory): then its callbacks are unset and the record goes. */
static void adopt(struct lsd_conn *c)
{
    struct lsd_conns *set = c->set;
    struct bufferevent *bev = c->bev;
    unadopted_link(c, false);
    bufferevent_event_cb evhttp_cb = NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct stat st;
    bufferevent_getcb(bev, NULL, NULL, &evhttp_cb, NULL);
    c->fd = bufferevent_getfd(bev);
    bool ok = evhttp_cb && c->fd >= 0 && fstat(c->fd, &st) == 0 &&
              getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0 && track(set, c) == 0;
    if (ok) {
        c->dev = st.st_dev;
        c->ino = st.st_ino;
        ok = lsd_limits_admit(set, c, (struct sockaddr *)&ss) == 0;
    }
    if (ok)
        lsd_conn_start(c);
    bufferevent_decref(bev);
    if (!ok)
        forget(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_conn *c = arg;
    (void)fd;
    (void)what;
    switch (c->phase) {
    case LSD_CONN_NEW:
        adopt(c);
        break;
    case LSD_CONN_HEAD:
    case LSD_CONN_BODY:
        lsd_conn_deadline(c);
        break;
    case LSD_CONN_DONE: /* evhttp has closed the connection or waits for the next request */
        if (lsd_conn_alive(c))
            lsd_conn_wait_head(c);
        else
            lsd_conn_gone(c);
        break;
    case LSD_CONN_BUSY:
        break;
    }
}

/* evhttp calls this for each new connection, before it sets the socket. */
static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    /* Without BEV_OPT_CLOSE_ON_FREE, like evhttp's own: evhttp then closes
     * the socket in the call that frees the bufferevent, so that an open
     * socket means a live bufferevent (lsd_conn_alive). */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    struct lsd_conn *c = bev ? calloc(1, sizeof(*c)) : NULL;
    if (c && !(c->timer = event_new(base, -1, 0, on_timer, c))) {
        free(c);
        c = NULL;
    }
    if (!c)
        return bev; /* out of memory: this one goes unfollowed */
    c->set = arg;
    c->bev = bev;
    c->fd = -1;
    c->phase = LSD_CONN_NEW;
    unadopted_link(c, true);
    /* Adopted once evhttp has set it up, before any of its I/O can run; the
     * reference keeps bev valid should evhttp give up on it before. */
    bufferevent_incref(bev);
    event_active(c->timer, EV_TIMEOUT, 1);
    return bev;
}

/* A response was sent; evhttp is about to close the connection or to wait
 * for its next request. Which one is seen later in this loop turn. */
static void on_complete(struct evhttp_request *req, void *arg)
{
    struct lsd_conn *c = arg;
    (void)req;
    lsd_conn_enter(c, LSD_CONN_DONE);
    event_active(c->timer, EV_TIMEOUT, 1);
}

bool lsd_conns_request(struct lsd_conns *set, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    int fd = bev ? bufferevent_getfd(bev) : -1;
    struct lsd_conn *c = fd >= 0 && (size_t)fd < set->by_fd_size ? set->by_fd[fd] : NULL;
    if (!c || c->bev != bev || !lsd_conn_alive(c))
        return false; /* not followed (out of memory when it came) */
    lsd_conn_busy(c);
    evhttp_request_set_on_complete_cb(req, on_complete, c);
    if (c->over == LSD_OVER_NONE)
        return false;
    lsd_limits_refuse(set, c, req);
    return true;
}

void lsd_conns_sweep(struct lsd_conns *set)
{
    for (size_t fd = 0; fd < set->by_fd_size; fd++) {
        struct lsd_conn *c = set->by_fd[fd];
        if (c && c->phase != LSD_CONN_NEW && !lsd_conn_alive(c))
            lsd_conn_gone(c);
    }
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lsd_conns_sweep(arg);
    lsd_limits_report(arg);
}

int lsd_conns_create(struct lsd_conns **out, struct lsd_server *s)
{
    struct lsd_conns *set = calloc(1, sizeof(*set));
    if (!set)
        return -ENOMEM;
    set->server = s;
    set->sweep = event_new(s->base, -1, EV_PERSIST, on_sweep, set);
    struct timeval tv = {SWEEP_INTERVAL_S, 0};
    if (!set->sweep || event_add(set->sweep, &tv) < 0) {
        lsd_conns_destroy(&set);
        return -ENOMEM;
    }
    evhttp_set_bevcb(s->http, new_bev, set);
    *out = set;
    return 0;
}

void lsd_conns_destroy(struct lsd_conns **pset)
{
    struct lsd_conns *set = *pset;
    if (!set)
        return;
    for (size_t fd = 0; fd < set->by_fd_size; fd++)
        if (set->by_fd[fd])
            forget(set->by_fd[fd]);
    while (set->unadopted) {
        struct lsd_conn *c = set->unadopted;
        unadopted_link(c, false);
        bufferevent_decref(c->bev);
        forget(c);
    }
    lsd_limits_finish(set);
    if (set->sweep)
        event_free(set->sweep);
    free(set->by_fd);
    free(set);
    *pset = NULL;
}
