/*
 * Drop-in adapter for the Hikvision/Dahua push server's API:
 *   POST /REAL_STREAM, POST /BACK_STREAM            (here)
 *   /STREAM/<handle>/BEATS|POSITION|PTZControl|STOP  (compat_push_ctl.c)
 * The original pulled the stream with the vendor's SDK; we open the NVR's own
 * RTSP URL instead and relay it like any other relay ("push-<handle>", with a
 * lease of 3 beat intervals). Answers are HTTP 200 with
 * {"status_code", "status_message", ...}; the codes are the original's
 * (200, 600-609). See docs/compat.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "lightstream/lightstream.h"

#include "daemon/compat.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/relays.h"
#include "daemon/server.h"
#include "daemon/spec.h"

/* A lease can be at most what the native API allows. */
#define LEASE_MAX_S 86400u

void lsd_push_answer(struct evhttp_request *req, json_t *extra, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:i, s:s}", "status_code", code, "status_message", msg);
    if (body && extra && json_object_update(body, extra)) {
        json_decref(body);
        body = NULL;
    }
    json_decref(extra);
    lsd_compat_reply(req, body);
}

/* What a REAL_STREAM or BACK_STREAM request asks for. */
struct push_request {
    struct lsd_push_target target;
    long long nvr_port;        /**< the SDK port: kept for reference only */
    long long onvif_port;      /**< where PTZControl finds the device's ONVIF service */
    char onvif_profile[64];    /**< its profile token; "" = the first */
    bool playback;
    struct lsd_push_time start, end;
};

static int parse_range(const json_t *body, struct push_request *p, char *err, size_t size)
{
    char a[32], b[32];
    if (lsd_compat_str_field(body, "startTime", true, a, sizeof(a), err, size) ||
        lsd_compat_str_field(body, "endTime", true, b, sizeof(b), err, size))
        return -EINVAL;
    if (lsd_push_time_parse(a, &p->start) || lsd_push_time_parse(b, &p->end)) {
        snprintf(err, size, "'%s' must be a time \"YYYY-MM-DD hh:mm:ss\"",
                 lsd_push_time_parse(a, &p->start) ? "startTime" : "endTime");
        return -EINVAL;
    }
    if (lsd_push_time_key(&p->start) >= lsd_push_time_key(&p->end)) {
        snprintf(err, size, "'startTime' must be before 'endTime'");
        return -EINVAL;
    }
    return 0;
}

static int parse_request(const json_t *body, struct push_request *p, char *err, size_t size)
{
    struct lsd_push_target *t = &p->target;
    long long vendor, port, channel;
    if (lsd_compat_int_field(body, "nvr_category", true, 0, 1, 0, &vendor, err, size) ||
        lsd_compat_str_field(body, "nvr_addr", true, t->addr, sizeof(t->addr), err, size) ||
        lsd_compat_int_field(body, "nvr_port", false, 1, 65535, 0, &p->nvr_port, err, size) ||
        lsd_compat_str_field(body, "nvr_user", false, t->user, sizeof(t->user), err, size) ||
        lsd_compat_str_field(body, "nvr_pwd", false, t->password, sizeof(t->password), err,
                             size) ||
        lsd_compat_int_field(body, "nvr_channel", true, 0, 9999, 0, &channel, err, size) ||
        lsd_compat_int_field(body, "rtsp_port", false, 1, 65535, 554, &port, err, size) ||
        lsd_compat_int_field(body, "onvif_port", false, 1, 65535, 80, &p->onvif_port, err, size) ||
        lsd_compat_str_field(body, "onvif_profile", false, p->onvif_profile,
                             sizeof(p->onvif_profile), err, size))
        return -EINVAL;
    if (!lsd_push_addr_valid(t->addr)) {
        snprintf(err, size, "'nvr_addr' must be a host name or an IP address");
        return -EINVAL;
    }
    t->vendor = (enum lsd_nvr_vendor)vendor;
    t->channel = (unsigned)channel;
    t->rtsp_port = (unsigned)port;
    return p->playback ? parse_range(body, p, err, size) : 0;
}

/* The next play handle: counted in s->compat.push.next_handle, which the state
 * file keeps, so a handle is never given twice, not even across restarts. */
static int next_handle(struct lsd_server *s, long long *out)
{
    if (!s->compat && !(s->compat = json_object()))
        return -ENOMEM;
    json_t *push = json_object_get(s->compat, "push");
    if (!json_is_object(push)) {
        push = json_object();
        if (!push || json_object_set_new(s->compat, "push", push))
            return -ENOMEM;
    }
    long long h = json_integer_value(json_object_get(push, "next_handle"));
    char id[LSD_ID_MAX + 1];
    if (h < 1)
        h = 1;
    for (;; h++) {
        snprintf(id, sizeof(id), "push-%lld", h);
        if (!lsd_relay_find(s, id))
            break;
    }
    if (json_object_set_new(push, "next_handle", json_integer(h + 1)))
        return -ENOMEM;
    *out = h;
    return 0;
}

/* What the control endpoints need later, in spec.meta (never the password:
 * it lives only in the source URL). */
static json_t *push_meta(const struct push_request *p, long long handle)
{
    char a[32], b[32];
    json_t *m = json_pack("{s:I, s:s, s:i, s:s, s:I, s:i, s:i}", "handle", (json_int_t)handle,
                          "kind", p->playback ? "playback" : "live", "nvr_category",
                          (int)p->target.vendor, "nvr_addr", p->target.addr, "nvr_port",
                          (json_int_t)p->nvr_port, "rtsp_port", (int)p->target.rtsp_port,
                          "nvr_channel", (int)p->target.channel);
    if (m && (json_object_set_new(m, "onvif_port", json_integer(p->onvif_port)) ||
              json_object_set_new(m, "onvif_profile", json_string(p->onvif_profile)))) {
        json_decref(m);
        return NULL;
    }
    if (m && p->playback) {
        lsd_push_time_format(&p->start, a, sizeof(a));
        lsd_push_time_format(&p->end, b, sizeof(b));
        if (json_object_set_new(m, "start_time", json_string(a)) ||
            json_object_set_new(m, "end_time", json_string(b)) ||
            json_object_set_new(m, "pos_time", json_string(a))) {
            json_decref(m);
            return NULL;
        }
    }
    return m ? json_pack("{s:s, s:o}", "origin", "push", "push", m) : NULL;
}

/* Fill the relay spec of a request; @return 0, -EINVAL (message in err) or -ENOMEM. */
static int build_spec(struct lsd_server *s, const struct push_request *p, long long handle,
                      struct lsd_relay_spec *spec, char *err, size_t size)
{
    snprintf(spec->id, sizeof(spec->id), "push-%lld", handle);
    int e = p->playback ? lsd_push_playback_url(&p->target, &p->start, &p->end, spec->source,
                                                sizeof(spec->source))
                        : lsd_push_live_url(&p->target, spec->source, sizeof(spec->source));
    if (e || !lsd_spec_source_valid(spec->source)) {
        snprintf(err, size, "the NVR's RTSP URL would be too long or invalid");
        return -EINVAL;
    }
    spec->transport = LS_TRANSPORT_TCP; /* NVRs over a WAN: no UDP loss */
    uint32_t beat = s->config.beat_interval_s ? s->config.beat_interval_s : 20;
    spec->lease_s = beat > LEASE_MAX_S / 3 ? LEASE_MAX_S : 3 * beat;
    char rtmp[LSD_URL_MAX];
    if (lsd_compat_rtmp_target(s, spec->id, rtmp, sizeof(rtmp))) {
        snprintf(err, size, "rtmp_push_base in the configuration is not a valid rtmp:// URL");
        return -EINVAL;
    }
    if (rtmp[0]) {
        spec->outputs[0].id = spec->next_output_id++;
        snprintf(spec->outputs[0].url, sizeof(spec->outputs[0].url), "%s", rtmp);
        spec->output_count = 1;
    }
    spec->meta = push_meta(p, handle);
    return spec->meta ? 0 : -ENOMEM;
}

/* rtmp_url of the answers: the relay's RTMP output, else its HTTP-FLV address. */
int lsd_push_play_url(struct lsd_server *s, struct evhttp_request *req,
                      const struct lsd_relay *r, char *out, size_t size)
{
    lsd_compat_relay_rtmp(r, out, size);
    return out[0] ? 0 : lsd_compat_flv_url(s, req, r->spec.id, out, size);
}

static void start_stream(struct lsd_server *s, struct evhttp_request *req, bool playback)
{
    const int fail_code = playback ? LSD_PUSH_ERR_PLAY_BACK : LSD_PUSH_ERR_PLAY_REAL;
    char err[256], url[LSD_URL_MAX + 64], a[32], b[32];
    struct push_request p = {.playback = playback};
    struct lsd_relay_spec spec;
    struct lsd_relay *r = NULL;
    long long handle;
    json_t *body = NULL;
    lsd_spec_init(&spec);
    if (lsd_compat_read_body(s, req, &body, err, sizeof(err)) != LSD_BODY_OK ||
        parse_request(body, &p, err, sizeof(err))) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER, "parameter error: %s", err);
        goto out;
    }
    int e = next_handle(s, &handle);
    if (!e)
        e = build_spec(s, &p, handle, &spec, err, sizeof(err));
    if (e == -EINVAL) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER, "parameter error: %s", err);
        goto out;
    }
    if (!e && (e = lsd_relay_add(s, &spec, &r)) == 0)
        lsd_spec_init(&spec); /* the registry owns it now */
    if (e) {
        lsd_push_answer(req, NULL, fail_code, "%s failed: %s",
                        playback ? "playback" : "live play",
                        e == -ENOSPC ? "too many relays"
                        : e == -EIO  ? "the state could not be saved"
                                     : ls_strerror(e));
        goto out;
    }
    ls_url_redact(r->spec.source, url, sizeof(url));
    lsd_logf(s->log, LS_LOG_INFO, "push: %s handle %lld from %s (lease %u s)",
             playback ? "BACK_STREAM" : "REAL_STREAM", handle, url, r->spec.lease_s);
    if (lsd_push_play_url(s, req, r, url, sizeof(url)))
        url[0] = '\0';
    json_t *extra = json_pack("{s:s, s:I}", "rtmp_url", url, "play_handle", (json_int_t)handle);
    if (extra && playback) {
        lsd_push_time_format(&p.start, a, sizeof(a));
        lsd_push_time_format(&p.end, b, sizeof(b));
        json_object_set_new(extra, "start_time", json_string(a));
        json_object_set_new(extra, "stop_time", json_string(b));
        json_object_set_new(extra, "record_files", json_array()); /* not available over RTSP */
    }
    lsd_push_answer(req, extra, LSD_PUSH_OK, "OK");
out:
    lsd_spec_finish(&spec);
    json_decref(body);
}

static void real_stream(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_match *m)
{
    (void)m;
    start_stream(s, req, false);
}

static void back_stream(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_match *m)
{
    (void)m;
    start_stream(s, req, true);
}

const struct lsd_route lsd_routes_push[] = {
    {LSD_POST, "/REAL_STREAM", LSD_API, real_stream},
    {LSD_POST, "/BACK_STREAM", LSD_API, back_stream},
    {LSD_GET, "/STREAM/*/BEATS", LSD_API, lsd_push_beats, true},
    {LSD_POST, "/STREAM/*/POSITION", LSD_API, lsd_push_position},
    {LSD_POST, "/STREAM/*/PTZControl", LSD_API, lsd_push_ptz},
    {LSD_GET, "/STREAM/*/STOP", LSD_API, lsd_push_stop, true},
    {0, NULL, 0, NULL},
};
