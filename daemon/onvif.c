/*
 * ONVIF in the daemon: probe a device, discover devices, make a relay from a
 * device's profile, and the Python relay's /openapi/onvif/device (PTZ is in
 * onvif_ptz.c). Every exchange with a device runs on its own thread
 * (lsd_async_run) and is bounded by the client's timeouts.
 *
 * Device credentials given to make a relay are kept in the relay's
 * spec.meta.onvif (persisted with the state, never shown): PTZ needs them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/async.h"
#include "daemon/http.h"
#include "daemon/onvif.h"
#include "daemon/recordings.h"
#include "daemon/relay_json.h"
#include "daemon/relays.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

#ifdef LSD_HAVE_ONVIF
#include "lightstream/onvif.h"
#endif

int lsd_onvif_target_from_json(const json_t *o, struct lsd_onvif_target *t, char *err,
                               size_t size)
{
    memset(t, 0, sizeof(*t));
    t->port = 80;
    t->timeout_ms = 5000;
    const char *key;
    json_t *v;
    if (!json_is_object(o)) {
        snprintf(err, size, "'device' must be an object");
        return -EINVAL;
    }
    json_object_foreach((json_t *)o, key, v) {
        char *dst = NULL;
        size_t cap = 0;
        if (!strcmp(key, "host")) {
            dst = t->host;
            cap = sizeof(t->host);
        } else if (!strcmp(key, "user")) {
            dst = t->user;
            cap = sizeof(t->user);
        } else if (!strcmp(key, "password")) {
            dst = t->password;
            cap = sizeof(t->password);
        } else if (!strcmp(key, "path")) {
            dst = t->path;
            cap = sizeof(t->path);
        } else if (!strcmp(key, "profile")) {
            dst = t->profile;
            cap = sizeof(t->profile);
        } else if (!strcmp(key, "port") || !strcmp(key, "timeout_ms")) {
            long long max = !strcmp(key, "port") ? 65535 : 60000;
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
                snprintf(err, size, "'%s' must be an integer from 1 to %lld", key, max);
                return -EINVAL;
            }
            if (!strcmp(key, "port"))
                t->port = (uint16_t)json_integer_value(v);
            else
                t->timeout_ms = (int)json_integer_value(v);
            continue;
        } else {
            snprintf(err, size, "unknown field '%.64s' in the device", key);
            return -EINVAL;
        }
        if (!json_is_string(v) || json_string_length(v) >= cap ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, size, "'%s' must be a string shorter than %zu bytes", key, cap);
            return -EINVAL;
        }
        memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    }
    if (!t->host[0] || strcspn(t->host, " \t\r\n/@?#") != strlen(t->host)) {
        snprintf(err, size, "'host' is required: an address or a name, without a scheme or path");
        return -EINVAL;
    }
    return 0;
}

json_t *lsd_onvif_target_to_json(const struct lsd_onvif_target *t)
{
    return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:i}", "host", t->host, "port", t->port,
                     "user", t->user, "password", t->password, "path", t->path,
                     "profile", t->profile, "timeout_ms", t->timeout_ms);
}

#ifdef LSD_HAVE_ONVIF

/* A device error → status and code word; the message is the library's (password-free).
 * device_fault is a SOAP fault's only (-EPROTO); a device failing otherwise, e.g. HTTP 500
 * without a SOAP fault or an answer that cannot be read (-EBADMSG), is device_error. */
void lsd_onvif_reply_error(struct evhttp_request *req, int err, const char *msg)
{
    int status = err == -ETIMEDOUT ? 504 : err == -EOPNOTSUPP ? 501 : 502;
    const char *code = err == -EACCES ? "device_auth" : err == -ETIMEDOUT ? "device_timeout" :
                       err == -ECONNREFUSED ? "device_unreachable" :
                       err == -EOPNOTSUPP ? "device_unsupported" :
                       err == -EPROTO ? "device_fault" : err == -EINVAL ? "invalid" : "device_error";
    if (err == -EINVAL)
        status = 400;
    lsd_reply_error(req, status, code, "%s (%s)", msg && *msg ? msg : ls_strerror(err),
                    ls_onvif_errname(err));
}

int lsd_onvif_open(const struct lsd_onvif_target *t, bool credentials, struct ls_onvif **out,
                   char *err, size_t size)
{
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    st.host = t->host;
    st.port = t->port;
    if (t->path[0])
        st.path = t->path;
    st.user = t->user;
    st.password = t->password;
    st.connect_timeout_ms = t->timeout_ms;
    st.io_timeout_ms = t->timeout_ms;
    st.uri_credentials = credentials;
    int ret = ls_onvif_open(out, &st);
    if (ret < 0)
        snprintf(err, size, "cannot open the ONVIF device %s:%u: %s", t->host, t->port,
                 ls_strerror(ret));
    return ret;
}

/* ---- probe ------------------------------------------------------------- */

struct probe_job {
    struct lsd_onvif_target target;
    bool compat;        /* /openapi/onvif/device: main/sub and the envelope */
    int err;
    char message[512];
    json_t *result;
};

static json_t *profile_json(struct ls_onvif *dev, const struct ls_onvif_profile *p)
{
    char uri[LS_ONVIF_URI_MAX] = "";
    if (ls_onvif_get_stream_uri(dev, p->token, uri, sizeof(uri)) < 0)
        uri[0] = '\0'; /* a profile without a stream (e.g. JPEG only) is still listed */
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:i, s:b, s:s}", "token", p->token,
                     "name", p->name, "encoding", ls_onvif_encoding_name(p->encoding),
                     "width", (int)p->width, "height", (int)p->height, "fps", p->fps,
                     "bitrate_kbps", (int)p->bitrate_kbps, "ptz", p->ptz, "uri", uri);
}

static void probe_work(void *arg)
{
    struct probe_job *j = arg;
    struct ls_onvif *dev = NULL;
    struct ls_onvif_info info;
    struct ls_onvif_profile profiles[32];
    size_t n = 0;
    /* No credentials in the URIs: replies never carry the password. */
    if ((j->err = lsd_onvif_open(&j->target, false, &dev, j->message, sizeof(j->message))) < 0)
        return;
    if ((j->err = ls_onvif_get_info(dev, &info)) < 0 ||
        (j->err = ls_onvif_get_profiles(dev, profiles, 32, &n)) < 0) {
        snprintf(j->message, sizeof(j->message), "%s", ls_onvif_last_error(dev));
        goto out;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < 32; i++)
        json_array_append_new(list, profile_json(dev, &profiles[i]));
    unsigned svc = ls_onvif_services(dev);
    j->result = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:b, s:b, s:b, s:b}, s:I, s:o}",
        "info", "manufacturer", info.manufacturer, "model", info.model,
        "firmware", info.firmware, "serial", info.serial, "hardware_id", info.hardware_id,
        "services", "media", (svc & LS_ONVIF_SERVICE_MEDIA) != 0,
        "media2", (svc & LS_ONVIF_SERVICE_MEDIA2) != 0, "ptz", (svc & LS_ONVIF_SERVICE_PTZ) != 0,
        "from_capabilities", (svc & LS_ONVIF_SERVICE_FROM_CAPABILITIES) != 0,
        "clock_offset_s", (json_int_t)ls_onvif_clock_offset(dev), "profiles", list);
    if (!j->result)
        j->err = -ENOMEM;
out:
    ls_onvif_close(&dev);
}

/* The Python tool's answer: device info and the main and sub streams' URIs. */
static json_t *compat_data(json_t *probe)
{
    json_t *profiles = json_object_get(probe, "profiles");
    json_t *data = json_pack("{s:O, s:O}", "info", json_object_get(probe, "info"),
                             "profiles", profiles);
    const char *names[] = {"main", "sub"};
    for (size_t i = 0; data && i < 2; i++) {
        json_t *p = json_array_get(profiles, i);
        json_object_set_new(data, names[i], p ? json_pack("{s:O, s:O, s:O, s:O, s:O}",
            "token", json_object_get(p, "token"), "rtsp", json_object_get(p, "uri"),
            "encoding", json_object_get(p, "encoding"), "width", json_object_get(p, "width"),
            "height", json_object_get(p, "height")) : json_null());
    }
    return data;
}

static void compat_envelope(struct evhttp_request *req, int code, const char *msg, json_t *data)
{
    json_t *body = json_pack("{s:b, s:i, s:s, s:o}", "success", code == 0, "code", code,
                             "msg", msg, "data", data ? data : json_null());
    lsd_reply_json(req, body ? 200 : 500, body);
    json_decref(body);
}

static void probe_done(struct lsd_server *s, struct evhttp_request *req, void *arg)
{
    struct probe_job *j = arg;
    (void)s;
    if (req && j->compat) {
        if (j->err < 0)
            compat_envelope(req, j->err == -EACCES ? 401 : j->err == -ETIMEDOUT ? 504 : 502,
                            j->message, NULL);
        else
            compat_envelope(req, 0, "success", compat_data(j->result));
    } else if (req) {
        if (j->err < 0)
            lsd_onvif_reply_error(req, j->err, j->message);
        else
            lsd_reply_json(req, 200, j->result);
    }
    json_decref(j->result);
    free(j);
}

static void start_job(struct lsd_server *s, struct evhttp_request *req, lsd_async_work_fn work,
                      lsd_async_done_fn done, void *job)
{
    int ret = lsd_async_run(s->async, req, work, done, job);
    if (ret < 0) {
        done(s, NULL, job); /* frees it */
        lsd_reply_error(req, 503, "busy", "too many device requests at once; retry");
    }
}

static void probe_route(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    json_t *body = lsd_read_json(s, req, false);
    if (!body)
        return;
    struct probe_job *j = calloc(1, sizeof(*j));
    char err[256];
    if (!j || lsd_onvif_target_from_json(body, &j->target, err, sizeof(err)) < 0) {
        lsd_reply_error(req, j ? 400 : 500, j ? "invalid" : "internal", "%s", j ? err : "no memory");
        free(j);
    } else {
        start_job(s, req, probe_work, probe_done, j);
    }
    json_decref(body);
}

/* POST /openapi/onvif/device {"url", "port", "username", "pwd"} */
static void compat_device(struct lsd_server *s, struct evhttp_request *req,
                          const struct lsd_match *m)
{
    (void)m;
    json_error_t je;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    json_t *body = len <= s->config.max_body_bytes
        ? json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &je) : NULL;
    json_t *dev = json_object();
    struct probe_job *j = calloc(1, sizeof(*j));
    char err[256] = "the body must be a JSON object with url, port, username and pwd";
    if (body && json_is_object(body) && dev && j) {
        json_t *url = json_object_get(body, "url"), *port = json_object_get(body, "port");
        json_t *user = json_object_get(body, "username"), *pwd = json_object_get(body, "pwd");
        if (json_is_string(port) && atoi(json_string_value(port)) > 0)
            port = json_integer(atoi(json_string_value(port)));
        else if (port)
            json_incref(port);
        json_object_set(dev, "host", url ? url : json_null());
        if (port)
            json_object_set_new(dev, "port", port);
        if (user)
            json_object_set(dev, "user", user);
        if (pwd)
            json_object_set(dev, "password", pwd);
        if (lsd_onvif_target_from_json(dev, &j->target, err, sizeof(err)) == 0) {
            j->compat = true;
            start_job(s, req, probe_work, probe_done, j);
            j = NULL;
            goto out;
        }
    }
    compat_envelope(req, 400, err, NULL);
out:
    free(j);
    json_decref(dev);
    json_decref(body);
}

/* ---- discovery --------------------------------------------------------- */

struct discover_job {
    char address[64];
    uint16_t port;
    int timeout_ms;
    int err;
    json_t *result;
};

static void discover_work(void *arg)
{
    struct discover_job *j = arg;
    struct ls_onvif_discover_settings st;
    ls_onvif_default_discover_settings(&st);
    if (j->address[0])
        st.address = j->address;
    if (j->port)
        st.port = j->port;
    if (j->timeout_ms)
        st.timeout_ms = j->timeout_ms;
    struct ls_onvif_discovered found[64];
    size_t n = 0;
    if ((j->err = ls_onvif_discover(&st, found, 64, &n)) < 0)
        return;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n && i < 64; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
            "endpoint", found[i].endpoint, "xaddrs", found[i].xaddrs, "scopes", found[i].scopes,
            "types", found[i].types, "name", found[i].name, "hardware", found[i].hardware));
    j->result = json_pack("{s:o}", "devices", list);
}

static void discover_done(struct lsd_server *s, struct evhttp_request *req, void *arg)
{
    struct discover_job *j = arg;
    (void)s;
    if (req && j->err < 0)
        lsd_reply_error(req, 502, "discovery", "discovery failed: %s", ls_strerror(j->err));
    else if (req)
        lsd_reply_json(req, j->result ? 200 : 500, j->result);
    json_decref(j->result);
    free(j);
}

/* POST /api/v1/onvif/discover {"address": "239.255.255.250", "port": 3702, "timeout_ms": 3000} */
static void discover(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    json_t *body = lsd_read_json(s, req, true);
    if (!body)
        return;
    struct discover_job *j = calloc(1, sizeof(*j));
    json_t *a = json_object_get(body, "address"), *p = json_object_get(body, "port");
    json_t *t = json_object_get(body, "timeout_ms");
    if (!j) {
        lsd_reply_error(req, 500, "internal", "no memory");
    } else if ((a && (!json_is_string(a) || json_string_length(a) >= sizeof(j->address))) ||
               (p && (!json_is_integer(p) || json_integer_value(p) < 1 ||
                      json_integer_value(p) > 65535)) ||
               (t && (!json_is_integer(t) || json_integer_value(t) < 1 ||
                      json_integer_value(t) > 30000)) ||
               json_object_size(body) > (size_t)(!!a + !!p + !!t)) {
        lsd_reply_error(req, 400, "invalid", "fields: 'address' (IPv4), 'port' (1-65535), "
                                             "'timeout_ms' (1-30000)");
        free(j);
    } else {
        if (a)
            snprintf(j->address, sizeof(j->address), "%s", json_string_value(a));
        j->port = p ? (uint16_t)json_integer_value(p) : 0;
        j->timeout_ms = t ? (int)json_integer_value(t) : 0;
        start_job(s, req, discover_work, discover_done, j);
    }
    json_decref(body);
}

/* ---- a relay from a device's profile ----------------------------------- */

struct relay_job {
    struct lsd_onvif_target target;
    json_t *relay;        /* the relay fields of the request */
    int err;
    char message[512];
    char uri[LS_ONVIF_URI_MAX];
};

static void relay_work(void *arg)
{
    struct relay_job *j = arg;
    struct ls_onvif *dev = NULL;
    if ((j->err = lsd_onvif_open(&j->target, true, &dev, j->message, sizeof(j->message))) < 0)
        return;
    j->err = ls_onvif_get_stream_uri(dev, j->target.profile[0] ? j->target.profile : NULL, j->uri,
                                     sizeof(j->uri));
    if (j->err < 0)
        snprintf(j->message, sizeof(j->message), "%s", ls_onvif_last_error(dev));
    ls_onvif_close(&dev);
}

static void relay_done(struct lsd_server *s, struct evhttp_request *req, void *arg)
{
    struct relay_job *j = arg;
    struct lsd_relay_spec spec;
    char err[256];
    lsd_spec_init(&spec);
    if (!req || !s)
        goto out;
    if (j->err < 0) {
        lsd_onvif_reply_error(req, j->err, j->message);
        goto out;
    }
    json_object_set_new(j->relay, "source", json_string(j->uri));
    if (lsd_spec_from_json(&spec, j->relay, LSD_SPEC_CREATE, err, sizeof(err)) < 0) {
        lsd_reply_error(req, 400, "invalid", "%s", err);
        goto out;
    }
    if (!spec.id[0] && lsd_relay_make_id(s, spec.id, sizeof(spec.id)) < 0) {
        lsd_reply_error(req, 500, "internal", "no id could be made");
        goto out;
    }
    spec.meta = json_pack("{s:s, s:o}", "origin", "onvif", "onvif",
                          lsd_onvif_target_to_json(&j->target));
    struct lsd_relay *r;
    int ret = lsd_relay_add(s, &spec, &r);
    if (ret == -EEXIST)
        lsd_reply_error(req, 409, "exists", "relay '%s' exists already", spec.id);
    else if (ret < 0)
        lsd_reply_error(req, 500, "internal", "%s", ls_strerror(ret));
    else {
        char *base = lsd_base_url(s, req);
        json_t *o = base ? lsd_relay_json(s, r, base) : NULL;
        lsd_reply_json(req, o ? 201 : 500, o);
        json_decref(o);
        free(base);
        lsd_spec_init(&spec); /* the registry's now */
    }
out:
    lsd_spec_finish(&spec);
    json_decref(j->relay);
    free(j);
}

/* POST /api/v1/onvif/relays {"device": {...,"profile"}, "relay": {id, transport, ...}} */
static void create_relay(struct lsd_server *s, struct evhttp_request *req,
                         const struct lsd_match *m)
{
    (void)m;
    json_t *body = lsd_read_json(s, req, false);
    if (!body)
        return;
    struct relay_job *j = calloc(1, sizeof(*j));
    char err[256] = "the body holds 'device' and optionally 'relay' (relay fields without source)";
    json_t *relay = json_object_get(body, "relay");
    struct lsd_relay_spec probe;
    lsd_spec_init(&probe);
    if (!j || json_object_size(body) > 1u + (relay != NULL) ||
        (relay && (!json_is_object(relay) || json_object_get(relay, "source"))) ||
        lsd_onvif_target_from_json(json_object_get(body, "device"), &j->target, err,
                                   sizeof(err)) < 0) {
        lsd_reply_error(req, 400, "invalid", "%s", err);
        free(j);
        goto out;
    }
    /* Check the relay fields now, with a stand-in source, rather than after the exchange. */
    j->relay = relay ? json_deep_copy(relay) : json_object();
    json_t *check = json_deep_copy(j->relay);
    json_object_set_new(check, "source", json_string("rtsp://check"));
    int bad = lsd_spec_from_json(&probe, check, LSD_SPEC_CREATE, err, sizeof(err));
    if (!bad)
        bad = lsd_recordings_check_spec(s->config.recordings_dir, &probe, err, sizeof(err));
    json_decref(check);
    if (bad < 0 || (probe.id[0] && lsd_relay_find(s, probe.id))) {
        lsd_reply_error(req, bad < 0 ? 400 : 409, bad < 0 ? "invalid" : "exists", "%s",
                        bad < 0 ? err : "a relay with this id exists already");
        json_decref(j->relay);
        free(j);
        goto out;
    }
    start_job(s, req, relay_work, relay_done, j);
out:
    lsd_spec_finish(&probe);
    json_decref(body);
}

bool lsd_onvif_available(void)
{
    return true;
}

#else /* no ONVIF in this build */

static void not_built(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)s;
    (void)m;
    lsd_reply_error(req, 501, "not_built",
                    "this lightstreamd was built without ONVIF (meson -Donvif=enabled needs gSOAP)");
}

#define probe_route not_built
#define discover not_built
#define create_relay not_built
#define compat_device not_built

bool lsd_onvif_available(void)
{
    return false;
}

int lsd_onvif_ptz(struct lsd_server *s, struct evhttp_request *req,
                  const struct lsd_onvif_target *t, enum lsd_ptz_action action, double pan,
                  double tilt, double zoom, unsigned duration_ms, const char *preset,
                  lsd_onvif_reply_fn reply, void *reply_arg)
{
    (void)s, (void)req, (void)t, (void)action, (void)pan, (void)tilt, (void)zoom;
    (void)duration_ms, (void)preset, (void)reply, (void)reply_arg;
    return -EOPNOTSUPP;
}

void lsd_onvif_route_ptz(struct lsd_server *s, struct evhttp_request *req,
                         const struct lsd_match *m)
{
    not_built(s, req, m);
}

void lsd_onvif_route_presets(struct lsd_server *s, struct evhttp_request *req,
                             const struct lsd_match *m)
{
    not_built(s, req, m);
}
#endif

const struct lsd_route lsd_routes_onvif[] = {
    {LSD_POST, "/api/v1/onvif/probe", LSD_API, probe_route},
    {LSD_POST, "/api/v1/onvif/discover", LSD_API, discover},
    {LSD_POST, "/api/v1/onvif/relays", LSD_API, create_relay},
    {LSD_POST, "/api/v1/relays/*/ptz", LSD_API, lsd_onvif_route_ptz},
    {LSD_GET, "/api/v1/relays/*/ptz/presets", LSD_API, lsd_onvif_route_presets},
    {LSD_POST, "/openapi/onvif/device", LSD_API, compat_device},
    {0, NULL, 0, NULL},
};
