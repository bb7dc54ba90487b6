/*
 * ONVIF PTZ in the daemon: the actions of /api/v1/relays/{id}/ptz for relays
 * made from a device, and lsd_onvif_ptz() for the push API's PTZControl.
 * Each runs on its own thread (lsd_async_run); ContinuousMove is always
 * followed by Stop (the library sees to it).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/async.h"
#include "daemon/http.h"
#include "daemon/onvif.h"
#include "daemon/relays.h"
#include "daemon/server.h"

#ifdef LSD_HAVE_ONVIF
#include "lightstream/onvif.h"

/* ---- PTZ ---------------------------------------------------------------- */

struct ptz_job {
    struct lsd_onvif_target target;
    enum lsd_ptz_action action;
    struct ls_onvif_ptz_vector v;
    unsigned duration_ms;
    char preset[64];
    int err;
    char message[512];
    json_t *result;
    lsd_onvif_reply_fn reply;   /* NULL: the native API's reply */
    void *reply_arg;
};

static int ptz_presets(struct ls_onvif *dev, struct ptz_job *j, const char *token)
{
    struct ls_onvif_preset presets[64];
    size_t n = 0;
    int ret = ls_onvif_ptz_get_presets(dev, token, presets, 64, &n);
    if (ret < 0)
        return ret;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n && i < 64; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "token", presets[i].token,
                                              "name", presets[i].name));
    j->result = json_pack("{s:o}", "presets", list);
    return j->result ? 0 : -ENOMEM;
}

static void ptz_work(void *arg)
{
    struct ptz_job *j = arg;
    struct ls_onvif *dev = NULL;
    if ((j->err = lsd_onvif_open(&j->target, false, &dev, j->message, sizeof(j->message))) < 0)
        return;
    const char *token = j->target.profile[0] ? j->target.profile : NULL;
    switch (j->action) {
    case LSD_PTZ_MOVE: j->err = ls_onvif_ptz_move(dev, token, &j->v, j->duration_ms); break;
    case LSD_PTZ_STOP: j->err = ls_onvif_ptz_stop(dev, token); break;
    case LSD_PTZ_ABSOLUTE: j->err = ls_onvif_ptz_absolute_move(dev, token, &j->v); break;
    case LSD_PTZ_RELATIVE: j->err = ls_onvif_ptz_relative_move(dev, token, &j->v); break;
    case LSD_PTZ_GOTO: j->err = ls_onvif_ptz_goto_preset(dev, token, j->preset); break;
    case LSD_PTZ_PRESETS: j->err = ptz_presets(dev, j, token); break;
    }
    if (j->err < 0)
        snprintf(j->message, sizeof(j->message), "%s", ls_onvif_last_error(dev));
    ls_onvif_close(&dev);
}

static void ptz_done(struct lsd_server *s, struct evhttp_request *req, void *arg)
{
    struct ptz_job *j = arg;
    if (j->reply) {
        j->reply(s, req, j->err, j->message, j->reply_arg);
    } else if (req) {
        if (j->err < 0)
            lsd_onvif_reply_error(req, j->err, j->message);
        else if (j->result)
            lsd_reply_json(req, 200, j->result);
        else {
            json_t *ok = json_pack("{s:b}", "ok", 1);
            lsd_reply_json(req, 200, ok);
            json_decref(ok);
        }
    }
    json_decref(j->result);
    free(j);
}

int lsd_onvif_ptz(struct lsd_server *s, struct evhttp_request *req,
                  const struct lsd_onvif_target *t, enum lsd_ptz_action action, double pan,
                  double tilt, double zoom, unsigned duration_ms, const char *preset,
                  lsd_onvif_reply_fn reply, void *reply_arg)
{
    struct ptz_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->target = *t;
    j->action = action;
    j->v = (struct ls_onvif_ptz_vector){pan, tilt, zoom};
    j->duration_ms = duration_ms;
    snprintf(j->preset, sizeof(j->preset), "%s", preset ? preset : "");
    j->reply = reply;
    j->reply_arg = reply_arg;
    int ret = lsd_async_run(s->async, req, ptz_work, ptz_done, j);
    if (ret < 0)
        free(j);
    return ret;
}

/* The device of a relay made from ONVIF, or a 409 reply. */
static bool relay_target(struct lsd_server *s, struct evhttp_request *req, const char *id,
                         struct lsd_onvif_target *t)
{
    struct lsd_relay *r = lsd_relay_find(s, id);
    char err[256];
    if (!r) {
        lsd_reply_error(req, 404, "not_found", "no relay '%.64s'", id);
        return false;
    }
    json_t *dev = r->spec.meta ? json_object_get(r->spec.meta, "onvif") : NULL;
    if (!dev || lsd_onvif_target_from_json(dev, t, err, sizeof(err)) < 0) {
        lsd_reply_error(req, 409, "no_onvif",
                        "relay '%s' was not made from an ONVIF device (POST /api/v1/onvif/relays)",
                        r->spec.id);
        return false;
    }
    return true;
}

static int number(const json_t *body, const char *key, double lo, double hi, double *out)
{
    const json_t *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return -EINVAL;
    *out = json_number_value(v);
    return 0;
}

static const char *const action_names[] = {"move", "stop", "absolute", "relative", "goto"};

/* POST /api/v1/relays/{id}/ptz {"action", "pan", "tilt", "zoom", "duration_ms", "preset"} */
void lsd_onvif_route_ptz(struct lsd_server *s, struct evhttp_request *req,
                         const struct lsd_match *m)
{
    struct lsd_onvif_target t;
    if (!relay_target(s, req, m->params[0], &t))
        return;
    json_t *body = lsd_read_json(s, req, false);
    if (!body)
        return;
    const char *action = json_string_value(json_object_get(body, "action"));
    int a = -1;
    for (int i = 0; action && i < 5; i++)
        if (!strcmp(action, action_names[i]))
            a = i;
    double pan = 0, tilt = 0, zoom = 0, dur = 500;
    const char *preset = json_string_value(json_object_get(body, "preset"));
    if (a < 0 || number(body, "pan", -1, 1, &pan) || number(body, "tilt", -1, 1, &tilt) ||
        number(body, "zoom", -1, 1, &zoom) || number(body, "duration_ms", 1, 60000, &dur) ||
        (a == LSD_PTZ_GOTO && (!preset || strlen(preset) >= 64))) {
        lsd_reply_error(req, 400, "invalid", "'action' is move, stop, absolute, relative or goto; "
                        "pan, tilt, zoom in -1..1; duration_ms 1..60000; goto needs 'preset'");
    } else if (lsd_onvif_ptz(s, req, &t, (enum lsd_ptz_action)a, pan, tilt, zoom, (unsigned)dur,
                             preset, NULL, NULL) < 0) {
        lsd_reply_error(req, 503, "busy", "too many device requests at once; retry");
    }
    json_decref(body);
}

void lsd_onvif_route_presets(struct lsd_server *s, struct evhttp_request *req,
                             const struct lsd_match *m)
{
    struct lsd_onvif_target t;
    if (relay_target(s, req, m->params[0], &t) &&
        lsd_onvif_ptz(s, req, &t, LSD_PTZ_PRESETS, 0, 0, 0, 0, NULL, NULL, NULL) < 0)
        lsd_reply_error(req, 503, "busy", "too many device requests at once; retry");
}
#endif
