/*
 * Live HLS replies (hls_live_private.h): the master playlist (its CODECS
 * read from the init segment by the recordings' MP4 index), the media
 * playlist, the init and media segments, and the playlist requests held
 * until the first segment is finished.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>

#include "lightstream/lightstream.h"

#include "daemon/hls_live_private.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/mp4_index.h"
#include "daemon/server.h"

/* A playlist asked for before the first segment waits this long at most: an
 * on-demand relay has to connect and see two keyframes first. */
#define HOLD_S 10

int64_t lsd_hls_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *lsd_hls_relay_id(const struct lsd_hls *h)
{
    return h->name;
}

static void reply(struct lsd_hls *h, struct evhttp_request *req, const char *type,
                  const void *data, size_t size)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    /* Names are reused by the next packager (numbers start again): never cached. */
    evhttp_add_header(hd, "Cache-Control", "no-cache");
    lsd_reply_bytes(req, 200, type, data, size);
    lsd_http_count_reply(h->server, req);
}

void lsd_hls_reply_error(struct lsd_hls *h, struct evhttp_request *req, int status,
                         const char *msg)
{
    if (status == 503)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    lsd_reply_error(req, status, status == 404 ? "not_found" : "unavailable", "%s", msg);
    lsd_http_count_reply(h->server, req);
}

/* The CODECS of the init segment, as the recordings' index reads them (RFC 6381). */
static void init_codecs(const struct lsd_hls *h, char *out, size_t size)
{
    const uint8_t *data;
    size_t n;
    out[0] = '\0';
    if (ls_hls_init_segment(h->pkg, &data, &n) < 0)
        return;
    struct lsd_mp4_index idx;
    if (lsd_mp4_index_read_mem(data, n, &idx) == 0)
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
        lsd_hls_reply_error(h, req, 503, "no segment yet");
    else
        reply(h, req, "application/vnd.apple.mpegurl", text, (size_t)n);
    if (text != small)
        free(text);
}

void lsd_hls_reply_playlist(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what)
{
    if (!h->first_done) {
        h->first_done = true;
        lsd_logf(h->server->log, LS_LOG_INFO,
                 "relay %s: HLS playlist ready %" PRId64 " ms after the first request",
                 lsd_hls_relay_id(h), lsd_hls_now_ms() - h->asked_ms);
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
void lsd_hls_answer_waiting(struct lsd_hls *h, bool ok)
{
    struct waiter *w = h->waiting;
    h->waiting = NULL;
    evtimer_del(h->hold_ev);
    while (w) {
        struct waiter *next = w->next;
        evhttp_connection_set_closecb(w->evcon, NULL, NULL);
        if (ok)
            lsd_hls_reply_playlist(h, w->req, w->what);
        else
            lsd_hls_reply_error(h, w->req, 503, "the live stream has no segment yet");
        free(w);
        w = next;
    }
}

void lsd_hls_hold_fire(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lsd_hls_answer_waiting(arg, false);
}

void lsd_hls_wait(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what)
{
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w) {
        lsd_hls_reply_error(h, req, 503, "out of memory");
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

/* A decimal number and nothing else (a segment's or an epoch's). */
static bool parse_number(const char *name, uint64_t *out)
{
    char *end;
    if (!name || name[0] < '0' || name[0] > '9')
        return false;
    *out = strtoull(name, &end, 10);
    return *end == '\0';
}

void lsd_hls_reply_file(struct lsd_hls *h, struct evhttp_request *req, enum lsd_hls_what what,
                        const char *name)
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
        lsd_hls_reply_error(h, req, 404, "no such segment (any more)");
        return;
    }
    if (what == LSD_HLS_SEGMENT)
        h->served++;
    reply(h, req, "video/mp4", data, size);
}

