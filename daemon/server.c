/*
 * The server: event loop, HTTP listener, signals, the 1 s tick, and the
 * order in which it all starts and stops.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "daemon/accept_guard.h"
#include "daemon/async.h"
#include "daemon/cluster.h"
#include "daemon/conn.h"
#include "daemon/http.h"
#include "daemon/lifecycle.h"
#include "daemon/log.h"
#include "daemon/mailbox.h"
#include "daemon/os.h"
#include "daemon/recordings.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"
#include "daemon/worker.h"

/* What viewers that left must have freed before the tick gives it back. */
#define TRIM_MIN_BYTES (1u << 20)

/* Every route the daemon answers, in the order they are tried: http.c knows none of them. */
static const struct lsd_route *const route_tables[] = {
    lsd_routes_api, lsd_routes_rec, lsd_routes_misc, lsd_routes_live, lsd_routes_web,
    lsd_routes_openapi_compat, lsd_routes_push, lsd_routes_onvif, lsd_routes_cluster,
};
#define ROUTE_TABLES (sizeof(route_tables) / sizeof(route_tables[0]))

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct lsd_server *s = arg;
    (void)what;
    if (sig == SIGHUP) {
        lsd_server_reload(s);
        return;
    }
    lsd_logf(s->log, LS_LOG_INFO, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    s->stopping = true;
    event_base_loopbreak(s->base);
}

/* glibc keeps freed memory in its arenas unless it is at the top of one, and
 * what viewers free (their queues, libevent's chains, the tags only they still
 * held) is spread through them: after 200 stuck viewers were dropped, RSS
 * stayed 15-24 % above where it was until malloc_trim gave the free pages back.
 * malloc_trim walks every free chunk (~55 ms for a 440 MB heap with 100k of
 * them), so it runs only once much was freed; a few viewers leaving leave their
 * memory to the next ones. */
static void release_memory(struct lsd_server *s)
{
    if (s->trim_bytes < TRIM_MIN_BYTES)
        return;
    s->trim_bytes = 0;
#ifdef __GLIBC__
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    malloc_trim(0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lsd_logf(s->log, LS_LOG_DEBUG, "freed memory given back to the system (malloc_trim: %lld us)",
             (long long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
#endif
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lsd_relays_expire(arg);
    release_memory(arg);
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Not fatal: a recordings disk that is missing at boot must not stop the live streams;
 * file outputs are refused (and say why) until it is there. */
static void prepare_recordings(struct lsd_server *s)
{
    struct lsd_config *c = &s->config;
    if (!c->recordings_dir[0] &&
        snprintf(c->recordings_dir, sizeof(c->recordings_dir), "%s/recordings", c->data_dir) >=
            (int)sizeof(c->recordings_dir))
        c->recordings_dir[0] = '\0';
    int ret = c->recordings_dir[0] ? lsd_recordings_prepare(c->recordings_dir) : -ENAMETOOLONG;
    if (ret < 0)
        lsd_logf(s->log, LS_LOG_ERROR, "recordings directory %s: %s; file outputs are refused",
                 c->recordings_dir[0] ? c->recordings_dir : "(too long)", strerror(-ret));
    else
        lsd_logf(s->log, LS_LOG_INFO, "recordings directory: %s", c->recordings_dir);
}

static int bind_http(struct lsd_server *s)
{
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(s->http, s->config.listen, s->config.port);
    if (!sock) {
        lsd_logf(s->log, LS_LOG_ERROR, "cannot listen on %s:%u: %s", s->config.listen,
                 s->config.port, strerror(errno));
        return -EADDRINUSE;
    }
    int ret = lsd_accept_guard_create(&s->accept_guard, s, sock);
    if (ret < 0) {
        lsd_logf(s->log, LS_LOG_ERROR, "cannot guard the listener: %s", strerror(-ret));
        return ret;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(sock);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET)
            s->bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            s->bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

static int write_port_file(struct lsd_server *s)
{
    if (!s->config.port_file[0])
        return 0;
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->config.port_file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "%u\n", s->bound_port);
    if (fclose(f) != 0 || rename(tmp, s->config.port_file) < 0)
        return -errno;
    return 0;
}

static int add_signals(struct lsd_server *s)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    signal(SIGPIPE, SIG_IGN); /* a viewer gone mid-write is an error return, not a death */
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        s->sig_events[i] = evsignal_new(s->base, sigs[i], on_signal, s);
        if (!s->sig_events[i] || evsignal_add(s->sig_events[i], NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int start_parts(struct lsd_server *s)
{
    int ret;
    if ((ret = make_dir(s->config.data_dir)) < 0) {
        lsd_logf(s->log, LS_LOG_ERROR, "data directory %s: %s", s->config.data_dir,
                 strerror(-ret));
        return ret;
    }
    prepare_recordings(s);
    evthread_use_pthreads();
    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    s->compat = json_object();
    if (!s->http || !s->compat)
        return -ENOMEM;
    if ((ret = lsd_mailbox_create(&s->mailbox, s)) < 0 || (ret = ls_io_create(&s->io)) < 0 ||
        (ret = lsd_worker_create(&s->worker, s)) < 0 ||
        (ret = lsd_async_create(&s->async, s, 16)) < 0 || (ret = lsd_http_init(s, route_tables, ROUTE_TABLES)) < 0 ||
        (ret = lsd_conns_create(&s->conns, s)) < 0 || (ret = add_signals(s)) < 0)
        return ret;
    if ((ret = bind_http(s)) < 0 || (ret = lsd_cluster_create(&s->cluster, s)) < 0)
        return ret;
    s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    struct timeval sec = {.tv_sec = 1};
    if (!s->tick || event_add(s->tick, &sec) < 0)
        return -ENOMEM;
    return lsd_relays_restore(s);
}

int lsd_server_create(struct lsd_server **out, const struct lsd_config *config, int argc,
                      char **argv)
{
    struct lsd_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->config = *config;
    s->argc = argc;
    s->argv = argv;
    s->started_at_ms = lsd_wall_ms();
    int ret = lsd_log_create(&s->log, config->log_file, config->log_level);
    if (ret < 0) {
        fprintf(stderr, "lightstreamd: log file %s: %s\n", config->log_file, strerror(-ret));
        free(s);
        return ret;
    }
    lsd_log_capture_ffmpeg(s->log);
    /* Before anything listens: an open API must not be reachable even briefly. */
    if (lsd_config_exposure(config) == LSD_EXPOSURE_REFUSED) {
        lsd_logf(s->log, LS_LOG_ERROR,
                 "refusing to start: listen is %s, beyond loopback, and api_token is not set "
                 "while require_token_beyond_loopback is true", config->listen);
        ret = -EACCES;
        goto fail;
    }
    lsd_server_warn_exposure(s, config);
    if ((ret = start_parts(s)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    lsd_server_destroy(&s);
    return ret;
}

int lsd_server_run(struct lsd_server *s)
{
    int ret = write_port_file(s);
    if (ret < 0) {
        lsd_logf(s->log, LS_LOG_ERROR, "port file %s: %s", s->config.port_file, strerror(-ret));
        return ret;
    }
    lsd_logf(s->log, LS_LOG_INFO, "lightstreamd %s: listening on http://%s:%u/ (%zu relays)",
             LSD_VERSION, s->config.listen, s->bound_port, s->relay_count);
    event_base_dispatch(s->base);
    return 0;
}

void lsd_server_destroy(struct lsd_server **ps)
{
    struct lsd_server *s = *ps;
    if (!s)
        return;
    s->stopping = true;
    /* ONVIF exchanges still running end first: their answers may add relays. */
    lsd_async_destroy(&s->async);
    lsd_cluster_destroy(&s->cluster);
    /* Viewers first (their connections belong to evhttp), then the relays:
     * their destroy jobs run on the worker, whose last mails the mailbox
     * delivers as it is destroyed. The state file is already up to date. */
    if (s->worker)
        lsd_relays_destroy_all(s);
    lsd_accept_guard_destroy(&s->accept_guard); /* its listener is evhttp's */
    if (s->http)
        evhttp_free(s->http);
    lsd_conns_destroy(&s->conns); /* evhttp_free closed their connections */
    lsd_worker_destroy(&s->worker);
    ls_io_destroy(&s->io); /* after the relays, whose outputs it wrote to */
    lsd_mailbox_destroy(&s->mailbox);
    if (s->tick)
        event_free(s->tick);
    for (size_t i = 0; i < sizeof(s->sig_events) / sizeof(s->sig_events[0]); i++)
        if (s->sig_events[i])
            event_free(s->sig_events[i]);
    if (s->base)
        event_base_free(s->base);
    json_decref(s->compat);
    free(s->replies);
    lsd_logf(s->log, LS_LOG_INFO, "stopped");
    lsd_log_destroy(&s->log);
    free(s);
    *ps = NULL;
}
