/*
 * The etcd client's transport: one evhttp connection per call, failover to
 * the next endpoint, streams (watch) read chunk by chunk.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/etcd.h"
#include "daemon/etcd_private.h"

struct endpoint {
    char url[256];
    char host[128];
    uint16_t port;
};

struct lsd_etcd_watch;

/* One call in flight (a unary call, or a watch when fn is NULL). */
struct call {
    struct lsd_etcd *e;
    char path[48];
    char *body;
    size_t tries;                    /* endpoints tried */
    size_t endpoint;                 /* the one this attempt went to */
    struct evhttp_connection *conn;
    lsd_etcd_reply_fn fn;
    void *arg;
    struct lsd_etcd_watch *watch;    /* a stream: its handle */
    struct call *prev, *next;
};

struct lsd_etcd_watch {
    struct call *call;
    struct lsd_etcd_lines lines;
    lsd_etcd_watch_fn fn;
    lsd_etcd_watch_end_fn end;
    void *arg;
    int err;                         /* the first bad message */
    struct event *fail;              /* ends the stream after a bad message, from the loop */
};

struct lsd_etcd {
    struct event_base *base;
    struct endpoint *endpoints;
    size_t n, current;
    unsigned timeout_ms;
    struct call *calls;
    /* Connections whose request is done: freed from a timer, never inside their own
     * callback (evhttp still uses the connection after the callback returns). */
    struct evhttp_connection **dead;
    size_t dead_count, dead_cap;
    struct event *reaper;
};

static int parse_endpoint(const char *url, struct endpoint *ep)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    int ret = -EINVAL;
    if (!u)
        return ret;
    const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u);
    int port = evhttp_uri_get_port(u);
    if (scheme && strcmp(scheme, "http") == 0 && host && *host && port > 0 && port < 65536 &&
        !evhttp_uri_get_userinfo(u) && (!path || !*path || strcmp(path, "/") == 0) &&
        strlen(host) < sizeof(ep->host) && strlen(url) < sizeof(ep->url)) {
        snprintf(ep->url, sizeof(ep->url), "%s", url);
        snprintf(ep->host, sizeof(ep->host), "%s", host);
        ep->port = (uint16_t)port;
        ret = 0;
    }
    evhttp_uri_free(u);
    return ret;
}

static void reap(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_etcd *e = arg;
    (void)fd;
    (void)what;
    for (size_t i = 0; i < e->dead_count; i++)
        evhttp_connection_free(e->dead[i]);
    e->dead_count = 0;
}

int lsd_etcd_create(struct lsd_etcd **out, struct event_base *base,
                    const char *const *endpoints, size_t n, unsigned timeout_ms)
{
    struct lsd_etcd *e = calloc(1, sizeof(*e));
    int ret = -ENOMEM;
    if (!e)
        return ret;
    e->base = base;
    e->timeout_ms = timeout_ms ? timeout_ms : 1000;
    e->endpoints = calloc(n ? n : 1, sizeof(*e->endpoints));
    e->reaper = evtimer_new(base, reap, e);
    if (!e->endpoints || !e->reaper)
        goto fail;
    ret = n ? 0 : -EINVAL;
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = parse_endpoint(endpoints[i], &e->endpoints[i]);
    if (ret < 0)
        goto fail;
    e->n = n;
    *out = e;
    return 0;
fail:
    lsd_etcd_destroy(&e);
    return ret;
}

static void call_free(struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (c->e->calls == c)
        c->e->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->body);
    free(c);
}

static void watch_free(struct lsd_etcd_watch *w)
{
    if (w->fail)
        event_free(w->fail);
    lsd_etcd_lines_clear(&w->lines);
    free(w);
}

void lsd_etcd_destroy(struct lsd_etcd **pe)
{
    struct lsd_etcd *e = *pe;
    if (!e)
        return;
    while (e->calls) {
        struct call *c = e->calls;
        if (c->conn)
            evhttp_connection_free(c->conn); /* frees its request; no callback */
        if (c->watch)
            watch_free(c->watch);
        call_free(c);
    }
    reap(-1, 0, e);
    if (e->reaper)
        event_free(e->reaper);
    free(e->dead);
    free(e->endpoints);
    free(e);
    *pe = NULL;
}

const char *lsd_etcd_endpoint(const struct lsd_etcd *e)
{
    return e->endpoints[e->current].url;
}

/* The connection of a finished attempt goes to the reaper. */
static void retire(struct call *c)
{
    struct lsd_etcd *e = c->e;
    if (!c->conn)
        return;
    if (e->dead_count == e->dead_cap) {
        size_t cap = e->dead_cap ? e->dead_cap * 2 : 8;
        struct evhttp_connection **p = realloc(e->dead, cap * sizeof(*p));
        if (!p)
            return; /* leaked rather than freed under evhttp's feet */
        e->dead = p;
        e->dead_cap = cap;
    }
    e->dead[e->dead_count++] = c->conn;
    c->conn = NULL;
    struct timeval now = {0, 0};
    evtimer_add(e->reaper, &now);
}

static int send_attempt(struct call *c);

static void on_chunk(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    struct lsd_etcd_watch *w = c->watch;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    const char *data = (const char *)evbuffer_pullup(in, -1);
    if (w->err == 0 && n > 0)
        w->err = lsd_etcd_lines_feed(&w->lines, data, n, w->fn, w->arg);
    evbuffer_drain(in, n);
    if (w->err < 0) {
        struct timeval now = {0, 0};
        evtimer_add(w->fail, &now); /* not here: evhttp is inside the connection */
    }
}

static int reply_errno(struct evhttp_request *req, json_t **root, json_t **reply)
{
    *root = NULL;
    *reply = NULL;
    if (!req || evhttp_request_get_response_code(req) == 0)
        return -ECONNREFUSED;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    json_error_t je;
    *root = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0, &je);
    return *root ? lsd_etcd_reply(*root, reply) : -EIO;
}

static void finish_watch(struct call *c, int err)
{
    struct lsd_etcd_watch *w = c->watch;
    lsd_etcd_watch_end_fn end = w->end;
    void *arg = w->arg;
    watch_free(w);
    call_free(c);
    end(arg, err);
}

static void on_watch_fail(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;
    (void)fd;
    (void)what;
    if (c->conn)
        evhttp_connection_free(c->conn); /* its request too, without callbacks */
    c->conn = NULL;
    finish_watch(c, c->watch->err);
}

static void on_done(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    struct lsd_etcd *e = c->e;
    bool answered = req && evhttp_request_get_response_code(req) != 0;
    retire(c);
    if (!answered && c->tries < e->n) { /* this endpoint is down: the next one */
        e->current = (c->endpoint + 1) % e->n;
        if (send_attempt(c) == 0)
            return;
    }
    if (c->watch) {
        finish_watch(c, c->watch->err ? c->watch->err : answered ? -EPIPE : -ECONNREFUSED);
        return;
    }
    json_t *root, *reply;
    int err = reply_errno(req, &root, &reply);
    if (err != -ECONNREFUSED)
        e->current = c->endpoint;
    lsd_etcd_reply_fn fn = c->fn;
    void *fn_arg = c->arg;
    call_free(c);
    if (fn)
        fn(fn_arg, err, err == 0 ? reply : NULL);
    json_decref(root);
}

static int send_attempt(struct call *c)
{
    struct lsd_etcd *e = c->e;
    c->endpoint = e->current;
    c->tries++;
    const struct endpoint *ep = &e->endpoints[c->endpoint];
    c->conn = evhttp_connection_base_new(e->base, NULL, ep->host, ep->port);
    struct evhttp_request *req = c->conn ? evhttp_request_new(on_done, c) : NULL;
    if (!req)
        goto fail;
    struct timeval tv = {.tv_sec = e->timeout_ms / 1000, .tv_usec = e->timeout_ms % 1000 * 1000};
    if (c->watch) {
        tv.tv_sec = 3600; /* a quiet watch is not a dead one; keep-alives tell */
        tv.tv_usec = 0;
        evhttp_request_set_chunked_cb(req, on_chunk);
    }
    evhttp_connection_set_timeout_tv(c->conn, &tv);
    evhttp_connection_set_retries(c->conn, 0);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", ep->host);
    evhttp_add_header(h, "Content-Type", "application/json");
    evbuffer_add(evhttp_request_get_output_buffer(req), c->body, strlen(c->body));
    char uri[64];
    snprintf(uri, sizeof(uri), "/v3/%s", c->path);
    if (evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, uri) < 0)
        goto fail_sent; /* evhttp freed the request */
    return 0;
fail:
    if (req)
        evhttp_request_free(req);
fail_sent:
    if (c->conn)
        evhttp_connection_free(c->conn);
    c->conn = NULL;
    return -ENOMEM;
}

static struct call *call_new(struct lsd_etcd *e, const char *path, json_t *body)
{
    struct call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->e = e;
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->body = json_dumps(body, JSON_COMPACT);
    if (!c->body) {
        free(c);
        return NULL;
    }
    c->next = e->calls;
    if (e->calls)
        e->calls->prev = c;
    e->calls = c;
    return c;
}

int lsd_etcd_call(struct lsd_etcd *e, const char *path, json_t *body, lsd_etcd_reply_fn fn,
                  void *arg)
{
    struct call *c = body ? call_new(e, path, body) : NULL;
    if (!c)
        return -ENOMEM;
    c->fn = fn;
    c->arg = arg;
    if (send_attempt(c) < 0) {
        call_free(c);
        return -ENOMEM;
    }
    return 0;
}

int lsd_etcd_watch_start_(struct lsd_etcd *e, json_t *body, lsd_etcd_watch_fn fn,
                          lsd_etcd_watch_end_fn end, void *arg, struct lsd_etcd_watch **out)
{
    struct lsd_etcd_watch *w = calloc(1, sizeof(*w));
    struct call *c = w && body ? call_new(e, "watch", body) : NULL;
    if (c)
        w->fail = evtimer_new(e->base, on_watch_fail, c);
    if (!c || !w->fail) {
        if (c)
            call_free(c);
        free(w);
        return -ENOMEM;
    }
    lsd_etcd_lines_init(&w->lines, 0);
    w->fn = fn;
    w->end = end;
    w->arg = arg;
    w->call = c;
    c->watch = w;
    if (send_attempt(c) < 0) {
        watch_free(w);
        call_free(c);
        return -ENOMEM;
    }
    *out = w;
    return 0;
}

void lsd_etcd_watch_cancel(struct lsd_etcd_watch **pw)
{
    struct lsd_etcd_watch *w = *pw;
    if (!w)
        return;
    struct call *c = w->call;
    if (c->conn)
        evhttp_connection_free(c->conn); /* its request too, without callbacks */
    watch_free(w);
    call_free(c);
    *pw = NULL;
}
