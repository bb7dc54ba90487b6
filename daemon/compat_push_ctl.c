/*
 * The push API's per-stream controls: /STREAM/<handle>/BEATS, POSITION,
 * PTZControl and STOP. A handle names the relay "push-<handle>" made by
 * compat_push.c; a relay of that name made by another API is not one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/compat.h"
#include "daemon/onvif.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/relays.h"
#include "daemon/server.h"
#include "daemon/spec.h"

/* The push relay of a handle segment (decimal digits only), or NULL after answering 605. */
static struct lsd_relay *find_push(struct lsd_server *s, struct evhttp_request *req,
                                   const char *handle)
{
    char id[LSD_ID_MAX + 1];
    size_t n = strlen(handle);
    struct lsd_relay *r = NULL;
    if (n > 0 && n <= 18 && strspn(handle, "0123456789") == n) {
        snprintf(id, sizeof(id), "push-%s", handle);
        r = lsd_relay_find(s, id);
    }
    if (r && strcmp(lsd_compat_origin(r), "push") == 0)
        return r;
    /* the handle is echoed only when it is digits: it comes from the client */
    lsd_push_answer(req, NULL, LSD_PUSH_ERR_NO_PUSHER_FOUND, "no stream with play_handle %s",
                    n > 0 && n <= 18 && strspn(handle, "0123456789") == n ? handle : "(invalid)");
    return NULL;
}

/* The stream's own data (see push_meta in compat_push.c). */
static const json_t *push_data(const struct lsd_relay *r)
{
    return json_object_get(r->spec.meta, "push");
}

static bool is_playback(const struct lsd_relay *r)
{
    const char *kind = json_string_value(json_object_get(push_data(r), "kind"));
    return kind && strcmp(kind, "playback") == 0;
}

void lsd_push_beats(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_push(s, req, m->params[0]);
    if (!r)
        return;
    int e = lsd_relay_renew_lease(s, r, 0);
    if (e) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PLAY_CONTROL, "the lease could not be renewed: %s",
                        e == -EIO ? "the state could not be saved" : ls_strerror(e));
        return;
    }
    lsd_logf(s->log, LS_LOG_DEBUG, "push: beat for %s", r->spec.id);
    lsd_push_answer(req, NULL, LSD_PUSH_OK, "OK");
}

void lsd_push_stop(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_push(s, req, m->params[0]);
    if (!r)
        return;
    char id[LSD_ID_MAX + 1];
    snprintf(id, sizeof(id), "%s", r->spec.id);
    if (lsd_relay_remove(s, r)) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PLAY_CONTROL,
                        "the stream could not be stopped: the state could not be saved");
        return;
    }
    lsd_logf(s->log, LS_LOG_INFO, "push: %s stopped", id);
    lsd_push_answer(req, NULL, LSD_PUSH_OK, "OK");
}

/* Read the body of a control request; NULL after answering 600. */
static json_t *control_body(struct lsd_server *s, struct evhttp_request *req)
{
    char err[256];
    json_t *body = NULL;
    if (lsd_compat_read_body(s, req, &body, err, sizeof(err)) != LSD_BODY_OK)
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER, "parameter error: %s", err);
    return body;
}

/* A time of the stream's meta ("start_time", "end_time"). */
static int meta_time(const struct lsd_relay *r, const char *key, struct lsd_push_time *out)
{
    const char *v = json_string_value(json_object_get(push_data(r), key));
    return v ? lsd_push_time_parse(v, out) : -EINVAL;
}

/* A new spec for playback from @p pos: same URL up to its query, new range, new meta. */
static int reseek_spec(const struct lsd_relay *r, const struct lsd_push_time *pos,
                       const struct lsd_push_time *end, struct lsd_relay_spec *spec)
{
    const json_t *p = push_data(r);
    long long vendor = json_integer_value(json_object_get(p, "nvr_category"));
    long long channel = json_integer_value(json_object_get(p, "nvr_channel"));
    char text[32];
    lsd_spec_copy(spec, &r->spec);
    /* the copy shares the running relay's meta: drop that reference, we make our own below */
    lsd_spec_finish(spec);
    int e = lsd_push_playback_reseek(r->spec.source, (enum lsd_nvr_vendor)vendor,
                                     (unsigned)channel, pos, end, spec->source,
                                     sizeof(spec->source));
    if (e)
        return e;
    if (!(spec->meta = json_deep_copy(r->spec.meta)))
        return -ENOMEM;
    lsd_push_time_format(pos, text, sizeof(text));
    return json_object_set_new(json_object_get(spec->meta, "push"), "pos_time",
                               json_string(text))
               ? -ENOMEM
               : 0;
}

void lsd_push_position(struct lsd_server *s, struct evhttp_request *req,
                       const struct lsd_match *m)
{
    struct lsd_relay *r = find_push(s, req, m->params[0]);
    struct lsd_push_time start, end, pos;
    struct lsd_relay_spec spec;
    char text[64], err[256];
    json_t *body;
    lsd_spec_init(&spec);
    if (!r || !(body = control_body(s, req)))
        return;
    if (lsd_compat_str_field(body, "pos_time", true, text, sizeof(text), err, sizeof(err)) ||
        lsd_push_time_parse(text, &pos)) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER,
                        "parameter error: 'pos_time' must be a time \"YYYY-MM-DD hh:mm:ss\"");
        goto out;
    }
    if (!is_playback(r) || meta_time(r, "start_time", &start) || meta_time(r, "end_time", &end)) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PLAY_CONTROL,
                        "POSITION needs a playback stream (BACK_STREAM)");
        goto out;
    }
    if (lsd_push_time_key(&pos) < lsd_push_time_key(&start) ||
        lsd_push_time_key(&pos) >= lsd_push_time_key(&end)) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER,
                        "parameter error: 'pos_time' is outside the stream's range");
        goto out;
    }
    int e = reseek_spec(r, &pos, &end, &spec);
    if (!e && (e = lsd_relay_update(s, r, &spec)) == 0)
        lsd_spec_init(&spec); /* the registry owns it now */
    else if (e && spec.meta && r->spec.meta == spec.meta)
        lsd_spec_init(&spec); /* saved, but the restart failed: the registry owns it anyway */
    if (e) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PLAY_CONTROL, "POSITION failed: %s",
                        e == -EIO ? "the state could not be saved" : ls_strerror(e));
        goto out;
    }
    lsd_logf(s->log, LS_LOG_INFO, "push: %s repositioned to %s", r->spec.id, text);
    lsd_push_answer(req, NULL, LSD_PUSH_OK, "OK");
out:
    lsd_spec_finish(&spec);
    json_decref(body);
}

/* The ONVIF device behind a push stream: the NVR's address, the ONVIF port
 * and profile given with REAL_STREAM, and the credentials of the source URL
 * (the one place the password is kept). */
static int push_onvif_target(const struct lsd_relay *r, struct lsd_onvif_target *t)
{
    json_t *push = json_object_get(r->spec.meta, "push");
    const char *addr = json_string_value(json_object_get(push, "nvr_addr"));
    json_int_t port = json_integer_value(json_object_get(push, "onvif_port"));
    const char *profile = json_string_value(json_object_get(push, "onvif_profile"));
    memset(t, 0, sizeof(*t));
    if (!addr || lsd_url_credentials(r->spec.source, t->user, sizeof(t->user), t->password,
                                     sizeof(t->password)) < 0)
        return -EINVAL;
    snprintf(t->host, sizeof(t->host), "%s", addr);
    t->port = port > 0 && port < 65536 ? (uint16_t)port : 80;
    snprintf(t->profile, sizeof(t->profile), "%s", profile ? profile : "");
    t->timeout_ms = 5000;
    return 0;
}

static void ptz_reply(struct lsd_server *s, struct evhttp_request *req, int err,
                      const char *message, void *arg)
{
    (void)arg;
    if (!req)
        return;
    if (err < 0) {
        lsd_logf(s->log, LS_LOG_WARN, "push: PTZ failed: %s", message);
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL, "PTZ control failed: %s", message);
    } else {
        lsd_push_answer(req, NULL, LSD_PUSH_OK, "OK");
    }
}

/*
 * PTZControl: validated like the original, then ONVIF ContinuousMove with
 * the command's velocities for "duration" ms, and Stop (the reply comes after
 * the Stop). Focus and iris need ONVIF's Imaging service: refused with 609.
 */
void lsd_push_ptz(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_push(s, req, m->params[0]);
    char err[256];
    long long command, duration;
    struct lsd_ptz_vector v;
    struct lsd_onvif_target t;
    json_t *body;
    if (!r || !(body = control_body(s, req)))
        return;
    if (lsd_compat_int_field(body, "command", true, 0, 13, 0, &command, err, sizeof(err)) ||
        lsd_compat_int_field(body, "duration", false, 100, 1000, 200, &duration, err,
                             sizeof(err))) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PARAMETER, "parameter error: %s", err);
        goto out;
    }
    if (is_playback(r)) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL,
                        "PTZ control is only for live streams (REAL_STREAM)");
        goto out;
    }
    lsd_push_ptz_vector((int)command, 0.5, &v);
    if (v.focus != 0 || v.iris != 0) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL,
                        "PTZ control failed: focus and iris need ONVIF's Imaging service, "
                        "which lightstreamd does not drive");
        goto out;
    }
    if (!lsd_onvif_available()) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL,
                        "PTZ control failed: this lightstreamd was built without ONVIF");
        goto out;
    }
    if (push_onvif_target(r, &t) < 0) {
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL,
                        "PTZ control failed: the stream has no device credentials");
        goto out;
    }
    lsd_logf(s->log, LS_LOG_DEBUG, "push: %s PTZ command %lld for %lld ms via ONVIF %s:%u",
             r->spec.id, command, duration, t.host, t.port);
    if (lsd_onvif_ptz(s, req, &t, LSD_PTZ_MOVE, v.pan, v.tilt, v.zoom, (unsigned)duration, NULL,
                      ptz_reply, NULL) < 0)
        lsd_push_answer(req, NULL, LSD_PUSH_ERR_PTZ_CONTROL,
                        "PTZ control failed: too many device requests at once");
out:
    json_decref(body);
}
