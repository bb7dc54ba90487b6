/*
 * lightstreamd at its file-descriptor limit (see accept_guard.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "daemon/accept_guard.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define RETRY_MS 250
#define SETTLE_MS 1000      /* accepting this long without a failure ends an episode */
#define TURN_AWAY_MAX 64    /* clients answered per turn: bounded work while paused */
#define FD_HEADROOM 1024    /* descriptors beyond max_connections: relays, files, the log */
#define FD_TARGET 65536     /* what the systemd unit gives too */

struct lsd_accept_guard {
    struct lsd_server *server;
    struct evconnlistener *lev;
    struct event *timer;
    int reserve;            /* /dev/null: the descriptor to answer one client with */
    bool paused;
    bool in_episode;
    int64_t episode_ms;
    uint64_t turned_away;
};

/* libevent calls a listener's error callback with the listener's user data,
 * which evhttp owns (its struct evhttp): the guard is found here. One
 * listener per process; a second guard is refused. */
static struct lsd_accept_guard *the_guard;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void arm(struct lsd_accept_guard *g, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(g->timer, &tv);
}

static void reopen_reserve(struct lsd_accept_guard *g)
{
    if (g->reserve < 0)
        g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* The answer is written without reading the request; what the client sent
 * already is read first, since closing with unread data resets the
 * connection, and the client may then never see the answer. */
static void answer_busy(int fd)
{
    static const char body[] = "{\"error\":{\"code\":\"too_many_connections\",\"message\":"
                               "\"the server is out of file descriptors; retry later\"}}";
    char reply[512], sink[2048];
    int n = snprintf(reply, sizeof(reply),
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Retry-After: 1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof(body) - 1, body);
    for (int i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
        ;
    if (send(fd, reply, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        return; /* gone already */
    shutdown(fd, SHUT_WR);
}

/* Each client waiting in the listen queue gets the reserve descriptor in
 * turn: accepted, answered 503, closed. */
static void turn_away(struct lsd_accept_guard *g)
{
    evutil_socket_t lfd = evconnlistener_get_fd(g->lev);
    for (int i = 0; i < TURN_AWAY_MAX; i++) {
        if (g->reserve >= 0) {
            close(g->reserve);
            g->reserve = -1;
        }
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break; /* nobody waiting, or a thread took the descriptor */
        answer_busy(fd);
        close(fd);
        g->turned_away++;
    }
    reopen_reserve(g); /* may fail: retried at the next turn */
}

/* One descriptor beyond the reserve? */
static bool descriptor_free(struct lsd_accept_guard *g)
{
    reopen_reserve(g);
    int probe = g->reserve >= 0 ? fcntl(g->reserve, F_DUPFD_CLOEXEC, 0) : -1;
    if (probe < 0)
        return false;
    close(probe);
    return true;
}

static void episode_start(struct lsd_accept_guard *g, int err)
{
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_NOFILE, &rl);
    g->in_episode = true;
    g->episode_ms = now_ms();
    g->turned_away = 0;
    lsd_logf(g->server->log, LS_LOG_WARN,
             "connections: %s (accept: %s; descriptor limit %llu): new clients are answered 503 "
             "until descriptors are free",
             err == EMFILE || err == ENFILE ? "out of file descriptors" : "accept() fails",
             strerror(err), (unsigned long long)rl.rlim_cur);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct lsd_accept_guard *g = the_guard;
    int err = EVUTIL_SOCKET_ERROR();
    (void)arg;
    if (!g || g->lev != lev)
        return;
    evconnlistener_disable(lev);
    if (!g->paused) {
        g->paused = true;
        if (!g->in_episode)
            episode_start(g, err);
    }
    turn_away(g);
    arm(g, RETRY_MS);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_accept_guard *g = arg;
    (void)fd;
    (void)what;
    if (g->paused) {
        if (descriptor_free(g)) {
            g->paused = false;
            evconnlistener_enable(g->lev);
            arm(g, SETTLE_MS);
        } else {
            turn_away(g);
            arm(g, RETRY_MS);
        }
        return;
    }
    if (g->in_episode) {
        g->in_episode = false;
        lsd_logf(g->server->log, LS_LOG_INFO,
                 "connections: accepting connections again after %.1f s; %llu clients were "
                 "answered 503 meanwhile", (double)(now_ms() - g->episode_ms) / 1000.0 -
                 SETTLE_MS / 1000.0, (unsigned long long)g->turned_away);
    }
}

/* max_connections (4096 by default) needs more than the usual soft limit of
 * 1024; the hard limit is the administrator's word. */
static void raise_fd_limit(struct lsd_server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t want = (rlim_t)s->config.max_connections + FD_HEADROOM;
    want = want > FD_TARGET ? want : FD_TARGET;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)s->config.max_connections + FD_HEADROOM)
        lsd_logf(s->log, LS_LOG_WARN,
                 "connections: the descriptor limit (%llu) leaves less than max_connections "
                 "(%u) plus %d for relays: it is reached first (raise LimitNOFILE)",
                 (unsigned long long)rl.rlim_cur, s->config.max_connections, FD_HEADROOM);
}

int lsd_accept_guard_create(struct lsd_accept_guard **out, struct lsd_server *s,
                            struct evhttp_bound_socket *sock)
{
    if (the_guard)
        return -EBUSY;
    struct lsd_accept_guard *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->server = s;
    g->lev = evhttp_bound_socket_get_listener(sock);
    g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g->timer = event_new(s->base, -1, 0, on_timer, g);
    if (g->reserve < 0 || !g->timer) {
        int ret = g->reserve < 0 ? -errno : -ENOMEM;
        lsd_accept_guard_destroy(&g);
        return ret;
    }
    raise_fd_limit(s);
    /* evhttp listens with a queue of 128: a burst of connections (viewers
     * coming back after a network blip, a flood) overflows it, and each SYN
     * dropped costs its client a second. Listening again sets the length. */
    listen(evconnlistener_get_fd(g->lev), SOMAXCONN);
    the_guard = g;
    evconnlistener_set_error_cb(g->lev, on_accept_error);
    *out = g;
    return 0;
}

void lsd_accept_guard_destroy(struct lsd_accept_guard **pg)
{
    struct lsd_accept_guard *g = *pg;
    if (!g)
        return;
    if (the_guard == g) {
        evconnlistener_set_error_cb(g->lev, NULL);
        the_guard = NULL;
    }
    if (g->timer)
        event_free(g->timer);
    if (g->reserve >= 0)
        close(g->reserve);
    free(g);
    *pg = NULL;
}

void lsd_accept_guard_kick(struct lsd_accept_guard *g)
{
    if (g && g->paused)
        arm(g, 0);
}
