/*
 * Drop-in adapter for the Python relay's API ("lightStream", a Flask app):
 *   POST/PUT/DELETE /openapi/source/<id>  {"source": "rtsp://…", "transport": "udp"|"tcp"}
 *   GET /openapi/source, GET /openapi/source/<id>
 * Every answer is HTTP 200 with {"success", "code", "msg", "data"}: front-ends
 * written for that app test `success`/`code` in the body, and an HTTP error
 * status would send many of them (axios, jQuery) down a generic failure path
 * instead. See docs/compat.md for the codes.
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

/* The envelope's codes: 0, else the HTTP status a native API call would have given. */
enum {
    OA_OK = 0,
    OA_INVALID = 400,
    OA_NOT_FOUND = 404,
    OA_TOO_LARGE = 413,
    OA_INTERNAL = 500,
    OA_LIMIT = 507,
};

/* Reply {"success", "code", "msg", "data"}; @p data is consumed (NULL → null). */
static void envelope(struct evhttp_request *req, int code, const char *msg, json_t *data)
{
    json_t *body = json_pack("{s:b, s:i, s:s, s:o}", "success", code == OA_OK, "code", code,
                             "msg", msg, "data", data ? data : json_null());
    lsd_compat_reply(req, body);
}

static void fail(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    envelope(req, code, msg, NULL);
}

/* data of one relay: id, redacted source, transport, play addresses, state */
static json_t *source_json(struct lsd_server *s, struct evhttp_request *req,
                           const struct lsd_relay *r)
{
    char source[LSD_URL_MAX], rtmp[LSD_URL_MAX], flv[LSD_URL_MAX + 64];
    ls_url_redact(r->spec.source, source, sizeof(source));
    lsd_compat_relay_rtmp(r, rtmp, sizeof(rtmp));
    if (lsd_compat_flv_url(s, req, r->spec.id, flv, sizeof(flv)))
        flv[0] = '\0';
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->spec.id, "source", source,
                     "transport", lsd_transport_name(r->spec.transport), "rtmp", rtmp, "flv", flv,
                     "state", r->relay ? ls_state_name(r->state) : "idle");
}

/* Errors of lsd_relay_add/update as envelope codes. */
static void fail_registry(struct evhttp_request *req, int e, const char *id)
{
    if (e == -ENOSPC)
        fail(req, OA_LIMIT, "too many relays: cannot add source '%s'", id);
    else if (e == -EIO)
        fail(req, OA_INTERNAL, "the state could not be saved: source '%s' unchanged", id);
    else
        fail(req, OA_INTERNAL, "source '%s' could not be started: %s", id, ls_strerror(e));
}

/* Read the body; on error answer and return NULL. */
static json_t *read_body(struct lsd_server *s, struct evhttp_request *req)
{
    char err[256];
    json_t *body = NULL;
    enum lsd_compat_body b = lsd_compat_read_body(s, req, &body, err, sizeof(err));
    if (b != LSD_BODY_OK)
        fail(req, b == LSD_BODY_TOO_LARGE ? OA_TOO_LARGE : OA_INVALID, "%s", err);
    return body;
}

/*
 * Apply "source" and "transport" from @p body to @p spec; when @p need_source,
 * "source" is required. Other fields are ignored, as the Flask app did.
 */
static int apply_body(struct lsd_relay_spec *spec, const json_t *body, bool need_source,
                      char *err, size_t size)
{
    char source[LSD_URL_MAX], transport[16];
    if (lsd_compat_str_field(body, "source", need_source, source, sizeof(source), err, size) ||
        lsd_compat_str_field(body, "transport", false, transport, sizeof(transport), err, size))
        return -EINVAL;
    if (source[0] && !lsd_spec_source_valid(source)) {
        snprintf(err, size, "'source' must be an rtsp:// or rtsps:// URL with a host");
        return -EINVAL;
    }
    if (source[0])
        memcpy(spec->source, source, sizeof(source));
    if (!transport[0])
        return 0;
    for (int t = LS_TRANSPORT_TCP; t <= LS_TRANSPORT_AUTO; t++) {
        if (strcmp(transport, lsd_transport_name((enum ls_transport)t)) == 0) {
            spec->transport = (enum ls_transport)t;
            return 0;
        }
    }
    snprintf(err, size, "'transport' must be udp or tcp (or http, auto)");
    return -EINVAL;
}

/* Give the relay the configured RTMP output, unless it has it already. */
static int add_rtmp_output(struct lsd_server *s, struct lsd_relay_spec *spec, char *err,
                           size_t size)
{
    char url[LSD_URL_MAX];
    if (lsd_compat_rtmp_target(s, spec->id, url, sizeof(url))) {
        snprintf(err, size, "rtmp_push_base in the configuration is not a valid rtmp:// URL");
        return -EINVAL;
    }
    if (!url[0])
        return 0;
    for (size_t i = 0; i < spec->output_count; i++)
        if (strcmp(spec->outputs[i].url, url) == 0)
            return 0;
    if (spec->output_count >= LSD_MAX_OUTPUTS) {
        snprintf(err, size, "the relay already has %d outputs", LSD_MAX_OUTPUTS);
        return -ENOSPC;
    }
    struct lsd_output_spec *o = &spec->outputs[spec->output_count++];
    o->id = spec->next_output_id++;
    snprintf(o->url, sizeof(o->url), "%s", url);
    return 0;
}

static int mark_origin(struct lsd_relay_spec *spec)
{
    if (spec->meta)
        return 0;
    spec->meta = json_pack("{s:s}", "origin", "openapi");
    return spec->meta ? 0 : -ENOMEM;
}

/*
 * lsd_relay_update() keeps the new spec once it is saved, even when the
 * restart that follows fails: then the spec is the registry's, not ours.
 */
static bool owned_anyway(const struct lsd_relay *r, const struct lsd_relay_spec *spec)
{
    return r && spec->meta && r->spec.meta == spec->meta;
}

/* Answer with the relay's data after a successful change. */
static void done(struct lsd_server *s, struct evhttp_request *req, const char *id,
                 const char *what)
{
    struct lsd_relay *r = lsd_relay_find(s, id);
    char redacted[LSD_URL_MAX];
    if (!r) {
        fail(req, OA_INTERNAL, "source '%s' vanished", id);
        return;
    }
    ls_url_redact(r->spec.source, redacted, sizeof(redacted));
    lsd_logf(s->log, LS_LOG_INFO, "openapi: %s source %s (%s)", what, id, redacted);
    envelope(req, OA_OK, "success", source_json(s, req, r));
}

/* POST creates, or replaces an existing relay of that id (as the Flask app did). */
static void source_post(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_match *m)
{
    const char *id = m->params[0];
    char err[256];
    struct lsd_relay_spec spec;
    struct lsd_relay *r;
    lsd_spec_init(&spec);
    json_t *body = NULL;
    if (!lsd_spec_id_valid(id)) {
        fail(req, OA_INVALID, "the id must match [A-Za-z0-9_.-]{1,64}");
        return;
    }
    if (!(body = read_body(s, req)))
        return;
    snprintf(spec.id, sizeof(spec.id), "%s", id);
    /* A replaced relay's output ids are never given again. */
    r = lsd_relay_find(s, id);
    if (r)
        spec.next_output_id = r->spec.next_output_id;
    int e = apply_body(&spec, body, true, err, sizeof(err));
    if (!e)
        e = add_rtmp_output(s, &spec, err, sizeof(err));
    if (e) {
        fail(req, e == -ENOSPC ? OA_LIMIT : OA_INVALID, "%s", err);
        goto out;
    }
    if (mark_origin(&spec)) {
        fail(req, OA_INTERNAL, "out of memory");
        goto out;
    }
    r = lsd_relay_find(s, id);
    e = r ? lsd_relay_update(s, r, &spec) : lsd_relay_add(s, &spec, NULL);
    if (!e || owned_anyway(r, &spec))
        lsd_spec_init(&spec); /* the registry owns its meta now */
    if (e) {
        fail_registry(req, e, id);
        goto out;
    }
    done(s, req, id, r ? "replaced" : "added");
out:
    lsd_spec_finish(&spec);
    json_decref(body);
}

/* PUT changes the source and/or transport of an existing relay and restarts it. */
static void source_put(struct lsd_server *s, struct evhttp_request *req,
                       const struct lsd_match *m)
{
    const char *id = m->params[0];
    char err[256];
    struct lsd_relay *r = lsd_relay_find(s, id);
    if (!r) {
        fail(req, OA_NOT_FOUND, "no source '%s'", id);
        return;
    }
    json_t *body = read_body(s, req);
    if (!body)
        return;
    struct lsd_relay_spec spec;
    lsd_spec_copy(&spec, &r->spec);
    int e = apply_body(&spec, body, false, err, sizeof(err));
    if (!e)
        e = add_rtmp_output(s, &spec, err, sizeof(err));
    if (e) {
        fail(req, e == -ENOSPC ? OA_LIMIT : OA_INVALID, "%s", err);
        goto out;
    }
    if (mark_origin(&spec)) {
        fail(req, OA_INTERNAL, "out of memory");
        goto out;
    }
    e = lsd_relay_update(s, r, &spec);
    if (!e || owned_anyway(r, &spec))
        lsd_spec_init(&spec); /* the registry owns its meta now */
    if (e) {
        fail_registry(req, e, id);
        goto out;
    }
    done(s, req, id, "updated");
out:
    lsd_spec_finish(&spec);
    json_decref(body);
}

static void source_delete(struct lsd_server *s, struct evhttp_request *req,
                          const struct lsd_match *m)
{
    const char *id = m->params[0];
    struct lsd_relay *r = lsd_relay_find(s, id);
    if (!r) {
        fail(req, OA_NOT_FOUND, "no source '%s'", id);
        return;
    }
    json_t *data = source_json(s, req, r);
    int e = lsd_relay_remove(s, r);
    if (e) {
        json_decref(data);
        fail(req, OA_INTERNAL, "the state could not be saved: source '%s' not removed", id);
        return;
    }
    lsd_logf(s->log, LS_LOG_INFO, "openapi: removed source %s", id);
    envelope(req, OA_OK, "success", data);
}

static void source_get(struct lsd_server *s, struct evhttp_request *req,
                       const struct lsd_match *m)
{
    struct lsd_relay *r = lsd_relay_find(s, m->params[0]);
    if (!r) {
        fail(req, OA_NOT_FOUND, "no source '%s'", m->params[0]);
        return;
    }
    envelope(req, OA_OK, "success", source_json(s, req, r));
}

/* Every relay is listed, whichever API made it: all of them play at /live/<id>.flv. */
static void source_list(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_match *m)
{
    (void)m;
    json_t *list = json_array();
    for (struct lsd_relay *r = s->relays; list && r; r = r->next) {
        if (json_array_append_new(list, source_json(s, req, r))) {
            json_decref(list);
            list = NULL;
        }
    }
    if (!list) {
        fail(req, OA_INTERNAL, "out of memory");
        return;
    }
    envelope(req, OA_OK, "success", list);
}

const struct lsd_route lsd_routes_openapi_compat[] = {
    {LSD_GET, "/openapi/source", LSD_API, source_list},
    {LSD_GET, "/openapi/source/*", LSD_API, source_get},
    {LSD_POST, "/openapi/source/*", LSD_API, source_post},
    {LSD_PUT, "/openapi/source/*", LSD_API, source_put},
    {LSD_DELETE, "/openapi/source/*", LSD_API, source_delete},
    {0, NULL, 0, NULL},
};
