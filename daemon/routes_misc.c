/*
 * /healthz, /metrics (Prometheus text format 0.0.4) and the OpenAPI document.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

extern const unsigned char lsd_openapi_json[];
extern const size_t lsd_openapi_json_size;

static unsigned total_viewers(struct lsd_server *s)
{
    unsigned n = 0;
    for (struct lsd_relay *r = s->relays; r; r = r->next)
        n += lsd_hub_viewers(r->hub);
    return n;
}

static void healthz(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "status", "ok",
                          "relays", (json_int_t)s->relay_count,
                          "viewers", (json_int_t)total_viewers(s),
                          "uptime_s", (json_int_t)((lsd_wall_ms() - s->started_at_ms) / 1000));
    lsd_reply_json(req, 200, o);
    json_decref(o);
}

static void openapi(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)s;
    (void)m;
    lsd_reply_bytes(req, 200, "application/json", lsd_openapi_json, lsd_openapi_json_size);
}

/* Relay ids are [A-Za-z0-9_.-]: nothing in them needs escaping in a label. */
static void out(struct evbuffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct evbuffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
}

static void help(struct evbuffer *b, const char *name, const char *type, const char *text)
{
    out(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void relay_metrics(struct evbuffer *b, struct lsd_server *s)
{
    static const enum ls_state states[] = {LS_STATE_IDLE, LS_STATE_CONNECTING,
                                           LS_STATE_STREAMING, LS_STATE_BACKOFF,
                                           LS_STATE_STOPPED, LS_STATE_FAILED};
    help(b, "lightstream_relay_state", "gauge", "1 for the relay's current input state");
    for (struct lsd_relay *r = s->relays; r; r = r->next) {
        struct ls_relay_stats st;
        enum ls_state now = r->relay && ls_relay_get_stats(r->relay, &st) == 0 ? st.state : r->state;
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
            out(b, "lightstream_relay_state{relay=\"%s\",state=\"%s\"} %d\n", r->spec.id,
                ls_state_name(states[i]), now == states[i]);
    }
    help(b, "lightstream_relay_up", "gauge", "1 when the relay's input is streaming");
    help(b, "lightstream_relay_bytes_in_total", "counter", "media bytes read from the camera");
    help(b, "lightstream_relay_bitrate_kbps", "gauge", "input bitrate");
    help(b, "lightstream_relay_fps", "gauge", "video frame rate measured");
    help(b, "lightstream_relay_reconnects_total", "counter", "camera reconnections");
    help(b, "lightstream_relay_viewers", "gauge", "HTTP-FLV viewers");
    help(b, "lightstream_relay_viewer_bytes_total", "counter", "bytes sent to HTTP-FLV viewers");
    help(b, "lightstream_relay_viewer_skips_total", "counter",
         "times a slow viewer was skipped forward to a keyframe");
    help(b, "lightstream_relay_viewer_drops_total", "counter", "stuck viewers disconnected");
    help(b, "lightstream_relay_ts_repairs_total", "counter", "timestamp repairs by kind");
    help(b, "lightstream_output_bytes_total", "counter", "bytes written to an output");
    for (struct lsd_relay *r = s->relays; r; r = r->next) {
        struct ls_relay_stats st;
        memset(&st, 0, sizeof(st));
        bool live = r->relay && ls_relay_get_stats(r->relay, &st) == 0;
        struct lsd_hub_stats hs;
        lsd_hub_get_stats(r->hub, &hs);
        const char *id = r->spec.id;
        out(b, "lightstream_relay_up{relay=\"%s\"} %d\n", id, live && st.state == LS_STATE_STREAMING);
        out(b, "lightstream_relay_bytes_in_total{relay=\"%s\"} %llu\n", id, (unsigned long long)st.bytes_in);
        out(b, "lightstream_relay_bitrate_kbps{relay=\"%s\"} %u\n", id, st.bitrate_kbps);
        out(b, "lightstream_relay_fps{relay=\"%s\"} %.2f\n", id, st.fps);
        out(b, "lightstream_relay_reconnects_total{relay=\"%s\"} %u\n", id, st.reconnects);
        out(b, "lightstream_relay_viewers{relay=\"%s\"} %u\n", id, hs.viewers);
        out(b, "lightstream_relay_viewer_bytes_total{relay=\"%s\"} %llu\n", id,
            (unsigned long long)hs.bytes_sent);
        out(b, "lightstream_relay_viewer_skips_total{relay=\"%s\"} %llu\n", id,
            (unsigned long long)hs.skips);
        out(b, "lightstream_relay_viewer_drops_total{relay=\"%s\"} %llu\n", id,
            (unsigned long long)hs.drops);
        const struct {
            const char *kind;
            uint64_t n;
        } rep[] = {{"backward", st.repairs.backward}, {"jump", st.repairs.jump},
                   {"equal", st.repairs.equal},       {"wrap", st.repairs.wrap},
                   {"missing", st.repairs.missing},   {"reconnect", st.repairs.reconnect},
                   {"reorder", st.repairs.reorder},   {"interleave", st.repairs.interleave}};
        for (size_t i = 0; i < sizeof(rep) / sizeof(rep[0]); i++)
            out(b, "lightstream_relay_ts_repairs_total{relay=\"%s\",kind=\"%s\"} %llu\n", id,
                rep[i].kind, (unsigned long long)rep[i].n);
        struct ls_output_stats os[LSD_MAX_OUTPUTS + 1];
        size_t n = 0;
        if (r->relay && ls_relay_get_output_stats(r->relay, os, LSD_MAX_OUTPUTS + 1, &n) == 0) {
            for (size_t i = 0; i < r->spec.output_count && i < r->lib_output_cap; i++)
                for (size_t j = 0; j < n && j < LSD_MAX_OUTPUTS + 1; j++)
                    if (os[j].id == r->lib_output_ids[i])
                        out(b, "lightstream_output_bytes_total{relay=\"%s\",output=\"%d\"} %llu\n",
                            id, r->spec.outputs[i].id, (unsigned long long)os[j].bytes_out);
        }
    }
}

static void metrics(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        lsd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    help(b, "lightstream_relays", "gauge", "relays configured");
    out(b, "lightstream_relays %zu\n", s->relay_count);
    help(b, "lightstream_viewers", "gauge", "HTTP-FLV viewers, all relays");
    out(b, "lightstream_viewers %u\n", total_viewers(s));
    help(b, "lightstream_http_requests_total", "counter", "HTTP requests received");
    out(b, "lightstream_http_requests_total %llu\n", (unsigned long long)s->requests);
    help(b, "lightstream_uptime_seconds", "gauge", "time since the daemon started");
    out(b, "lightstream_uptime_seconds %lld\n", (long long)((lsd_wall_ms() - s->started_at_ms) / 1000));
    relay_metrics(b, s);
    lsd_add_cors(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

const struct lsd_route lsd_routes_misc[] = {
    {LSD_GET | LSD_HEAD, "/healthz", LSD_PUBLIC, healthz},
    {LSD_GET, "/metrics", LSD_API, metrics},
    {LSD_GET | LSD_HEAD, "/api/v1/openapi.json", LSD_PUBLIC, openapi},
    {0, NULL, 0, NULL},
};
