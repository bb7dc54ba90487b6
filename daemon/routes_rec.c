/*
 * The recordings of a relay over HTTP (docs/http-api.md, "Recordings"):
 * listing by time range, deletion, the HLS playlists of a range, and the
 * segment files with Range support.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/rec_file.h"
#include "daemon/rec_hls.h"
#include "daemon/rec_list.h"
#include "daemon/rec_output.h"
#include "daemon/rec_retention.h"
#include "daemon/relays.h"

static struct lsd_relay *find_or_404(struct lsd_server *s, struct evhttp_request *req,
                                     const char *id)
{
    struct lsd_relay *r = lsd_relay_find(s, id);
    if (!r)
        lsd_reply_error(req, 404, "not_found", "no relay '%.64s'", id);
    return r;
}

/* ?from=&to= (RFC 3339 or epoch seconds), both optional. @return 0, or -1 after a 400 */
static int read_range(struct evhttp_request *req, int64_t *from, int64_t *to)
{
    const char *names[2] = {"from", "to"};
    int64_t *vals[2] = {from, to};
    *from = INT64_MIN;
    *to = INT64_MAX;
    for (int i = 0; i < 2; i++) {
        char *v = lsd_query_param(req, names[i]);
        int ret = v ? lsd_rec_parse_time(v, vals[i]) : 0;
        free(v);
        if (ret < 0) {
            lsd_reply_error(req, 400, "invalid", "'%s' must be an RFC 3339 time "
                            "(2026-12-07T17:35:01Z) or seconds since 1970", names[i]);
            return -1;
        }
    }
    if (*from > *to) {
        lsd_reply_error(req, 400, "invalid", "'from' is after 'to'");
        return -1;
    }
    return 0;
}

static json_t *time_json(int64_t ms)
{
    char text[40];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(text + n, sizeof(text) - n, ".%03dZ", (int)(ms % 1000));
    return json_string(text);
}

static json_t *segment_json(const struct lsd_rec_segment *seg)
{
    const char *comma = strchr(seg->idx.codecs, ',');
    json_t *o = json_pack("{s:s, s:o, s:o, s:I, s:I, s:f, s:I, s:s#, s:s, s:b}",
                          "name", seg->name, "start", time_json(seg->start_ms),
                          "end", time_json(seg->end_ms), "start_ms", (json_int_t)seg->start_ms,
                          "end_ms", (json_int_t)seg->end_ms,
                          "duration_s", (double)(seg->end_ms - seg->start_ms) / 1000,
                          "bytes", (json_int_t)seg->bytes, "codec", seg->idx.codecs,
                          (int)(comma ? (size_t)(comma - seg->idx.codecs) : strlen(seg->idx.codecs)),
                          "codecs", seg->idx.codecs, "writing", seg->writing);
    return o;
}

static void list_recordings(struct lsd_server *s, struct evhttp_request *req,
                            const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    int64_t from, to;
    if (!r || read_range(req, &from, &to) < 0)
        return;
    struct lsd_rec_list l;
    int ret = lsd_rec_list(s, r, from, to, LSD_REC_TIMES, &l);
    if (ret < 0) {
        lsd_reply_error(req, 500, "internal", "the recordings cannot be listed: %s",
                        strerror(-ret));
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; list && i < l.count; i++)
        json_array_append_new(list, segment_json(&l.seg[i]));
    lsd_rec_list_free(&l);
    json_t *o = json_pack("{s:o}", "recordings", list);
    lsd_reply_json(req, o ? 200 : 500, o);
    json_decref(o);
}

static void delete_recording(struct lsd_server *s, struct evhttp_request *req,
                             const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    int ret = lsd_rec_delete(s, r, m->params[1]);
    if (ret == -ENOENT)
        lsd_reply_error(req, 404, "not_found", "no recording '%.128s'", m->params[1]);
    else if (ret == -EBUSY)
        lsd_reply_error(req, 409, "busy", "'%.128s' is being written", m->params[1]);
    else if (ret < 0)
        lsd_reply_error(req, 500, "internal", "not deleted: %s", strerror(-ret));
    else
        lsd_reply_json(req, 204, NULL);
}

static void reply_playlist(struct evhttp_request *req, struct evbuffer *b)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    lsd_add_cors(req);
    evhttp_add_header(h, "Content-Type", "application/vnd.apple.mpegurl");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
        evbuffer_drain(b, evbuffer_get_length(b));
    evhttp_send_reply(req, 200, NULL, b);
}

static void playlist(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    int64_t from, to;
    if (!r || read_range(req, &from, &to) < 0)
        return;
    struct lsd_rec_list l;
    struct evbuffer *b = evbuffer_new();
    int ret = b ? lsd_rec_list(s, r, from, to, LSD_REC_FRAGMENTS, &l) : -ENOMEM;
    if (ret < 0) {
        if (b)
            evbuffer_free(b);
        lsd_reply_error(req, 500, "internal", "%s", strerror(-ret));
        return;
    }
    char *media = lsd_query_param(req, "media"), token[600], uri[800];
    if (media) {
        lsd_token_query(req, '?', token, sizeof(token));
        ret = lsd_rec_hls_playlist(&l, from, to, token, b);
    } else {
        lsd_token_query(req, '&', token, sizeof(token));
        snprintf(uri, sizeof(uri), "recordings.m3u8?from=%.3f&to=%.3f&media=1%s",
                 from == INT64_MIN ? 0 : from / 1000.0, to == INT64_MAX ? 1e11 : to / 1000.0,
                 token);
        lsd_rec_hls_master(&l, uri, b);
        ret = (int)l.count;
    }
    free(media);
    bool empty = l.count == 0 || ret == 0;
    lsd_rec_list_free(&l);
    if (ret < 0 || empty)
        lsd_reply_error(req, ret < 0 ? 500 : 404, ret < 0 ? "internal" : "not_found",
                        ret < 0 ? "out of memory" : "nothing recorded in that range");
    else
        reply_playlist(req, b);
    evbuffer_free(b);
}

static void get_file(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (r)
        lsd_rec_serve_file(s, req, r, m->params[1]);
}

/* Listing and deleting need the API token; playing a range needs the viewer token,
 * like the live streams (a <video> or hls.js passes it as ?token=). */
const struct lsd_route lsd_routes_rec[] = {
    {LSD_GET | LSD_HEAD, "/api/v1/relays/*/recordings", LSD_API, list_recordings},
    {LSD_GET | LSD_HEAD, "/api/v1/relays/*/recordings.m3u8", LSD_VIEWER, playlist},
    {LSD_GET | LSD_HEAD, "/api/v1/relays/*/recordings/*", LSD_VIEWER, get_file},
    {LSD_DELETE, "/api/v1/relays/*/recordings/*", LSD_API, delete_recording},
    {0, NULL, 0, NULL},
};
