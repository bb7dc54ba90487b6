/*
 * The native API: /api/v1/relays and its sub-resources (docs/http-api.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/recordings.h"
#include "daemon/relay_json.h"
#include "daemon/relays.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

/* Registry errors → HTTP. */
static void reply_registry_error(struct evhttp_request *req, int err, const char *id)
{
    switch (err) {
    case -EEXIST: lsd_reply_error(req, 409, "exists", "relay '%s' exists already", id); break;
    case -ENOSPC: lsd_reply_error(req, 507, "limit", "too many relays or outputs"); break;
    case -ENOENT: lsd_reply_error(req, 404, "not_found", "no such output"); break;
    case -EINVAL: lsd_reply_error(req, 400, "invalid", "invalid value"); break;
    case -EIO: lsd_reply_error(req, 500, "internal", "the state could not be saved; nothing changed"); break;
    default: lsd_reply_error(req, 500, "internal", "%s", ls_strerror(err)); break;
    }
}

static void reply_relay(struct lsd_server *s, struct evhttp_request *req, int status,
                        struct lsd_relay *r)
{
    char *base = lsd_base_url(s, req);
    json_t *o = base ? lsd_relay_json(s, r, base) : NULL;
    free(base);
    if (!o) {
        lsd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    lsd_reply_json(req, status, o);
    json_decref(o);
}

static struct lsd_relay *find_or_404(struct lsd_server *s, struct evhttp_request *req,
                                     const char *id)
{
    struct lsd_relay *r = lsd_relay_find(s, id);
    if (!r)
        lsd_reply_error(req, 404, "not_found", "no relay '%.64s'", id);
    return r;
}

static void list_relays(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    char *base = lsd_base_url(s, req);
    json_t *list = json_array();
    for (struct lsd_relay *r = s->relays; base && list && r; r = r->next)
        json_array_append_new(list, lsd_relay_json(s, r, base));
    free(base);
    json_t *o = json_pack("{s:o}", "relays", list);
    lsd_reply_json(req, o ? 200 : 500, o);
    json_decref(o);
}

/* Parse a body into a spec: defaults (or @p base for PATCH) under it. */
static int read_spec(struct lsd_server *s, struct evhttp_request *req, struct lsd_relay_spec *spec,
                     const struct lsd_relay_spec *base, enum lsd_spec_mode mode,
                     int next_output_id)
{
    json_t *body = lsd_read_json(s, req, false);
    if (!body)
        return -1;
    char err[512];
    if (base)
        lsd_spec_copy(spec, base);
    else
        lsd_spec_init(spec);
    /* Output ids are never given twice within a relay, not even by a PUT. */
    if (next_output_id > spec->next_output_id)
        spec->next_output_id = next_output_id;
    int ret = lsd_spec_from_json(spec, body, mode, err, sizeof(err));
    /* Outputs given now must write inside the recordings directory; those a PATCH
     * leaves alone were checked when given (and are again at every start). */
    if (ret == 0 && json_object_get(body, "outputs"))
        ret = lsd_recordings_check_spec(s->config.recordings_dir, spec, err, sizeof(err));
    json_decref(body);
    if (ret < 0) {
        lsd_spec_finish(spec);
        lsd_reply_error(req, 400, "invalid", "%s", ret == -ENOMEM ? "out of memory" : err);
        return -1;
    }
    return 0;
}

static void create_relay(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    struct lsd_relay_spec spec;
    if (read_spec(s, req, &spec, NULL, LSD_SPEC_CREATE, 1) < 0)
        return;
    if (!spec.id[0] && lsd_relay_make_id(s, spec.id, sizeof(spec.id)) < 0) {
        lsd_spec_finish(&spec);
        lsd_reply_error(req, 500, "internal", "no id could be made");
        return;
    }
    struct lsd_relay *r;
    int ret = lsd_relay_add(s, &spec, &r);
    if (ret < 0) {
        reply_registry_error(req, ret, spec.id);
        lsd_spec_finish(&spec);
        return;
    }
    char location[128];
    snprintf(location, sizeof(location), "/api/v1/relays/%s", r->spec.id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    reply_relay(s, req, 201, r);
}

static void get_relay(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (r)
        reply_relay(s, req, 200, r);
}

static void replace_relay(struct lsd_server *s, struct evhttp_request *req,
                          const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    bool patch = evhttp_request_get_command(req) == EVHTTP_REQ_PATCH;
    struct lsd_relay_spec spec;
    if (read_spec(s, req, &spec, patch ? &r->spec : NULL,
                  patch ? LSD_SPEC_PATCH : LSD_SPEC_CREATE, r->spec.next_output_id) < 0)
        return;
    if (!patch) {
        if (spec.id[0] && strcmp(spec.id, r->spec.id) != 0) {
            lsd_spec_finish(&spec);
            lsd_reply_error(req, 400, "invalid", "'id' does not match the path");
            return;
        }
        /* What the client cannot set stays: id, creation, output ids' counter. */
        snprintf(spec.id, sizeof(spec.id), "%s", r->spec.id);
        spec.created_ms = r->spec.created_ms;
        if (r->spec.meta)
            spec.meta = json_incref(r->spec.meta);
    }
    /* A new or changed lease starts counting now; a PATCH that leaves lease_s
     * alone does not renew it (POST .../lease does). */
    if (!patch || spec.lease_s != r->spec.lease_s)
        spec.lease_deadline_ms = 0;
    int ret = lsd_relay_update(s, r, &spec);
    if (ret < 0) {
        lsd_spec_finish(&spec);
        reply_registry_error(req, ret, r->spec.id);
        return;
    }
    reply_relay(s, req, 200, r);
}

static void delete_relay(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    int ret = lsd_relay_remove(s, r);
    if (ret < 0)
        reply_registry_error(req, ret, m->params[0]);
    else
        lsd_reply_json(req, 204, NULL);
}

static void add_output(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    json_t *body = lsd_read_json(s, req, false);
    if (!body)
        return;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "url") != 0) {
            lsd_reply_error(req, 400, "invalid", "unknown field '%.64s'", key);
            goto out;
        }
    }
    json_t *url = json_object_get(body, "url");
    if (!json_is_string(url) || !lsd_spec_output_valid(json_string_value(url))) {
        lsd_reply_error(req, 400, "invalid", "'url' must be an rtmp:// or rtmps:// URL, or a "
                        ".flv file in the recordings directory (no '..')");
        goto out;
    }
    char path[LSD_URL_MAX * 2], why[LSD_URL_MAX + 512];
    if (lsd_output_is_file(json_string_value(url)) &&
        lsd_recordings_resolve(s->config.recordings_dir, json_string_value(url), path,
                               sizeof(path), why, sizeof(why)) < 0) {
        lsd_reply_error(req, 400, "invalid", "'url': %s", why);
        goto out;
    }
    int id, ret = lsd_relay_add_output(s, r, json_string_value(url), &id);
    if (ret < 0) {
        reply_registry_error(req, ret, r->spec.id);
        goto out;
    }
    json_t *o = lsd_output_json(r, r->spec.output_count - 1);
    lsd_reply_json(req, 201, o);
    json_decref(o);
out:
    json_decref(body);
}

static void remove_output(struct lsd_server *s, struct evhttp_request *req,
                          const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    char *end;
    long id = strtol(m->params[1], &end, 10);
    int ret = (*m->params[1] && !*end && id > 0 && id < 1000000)
                  ? lsd_relay_remove_output(s, r, (int)id) : -ENOENT;
    if (ret < 0)
        reply_registry_error(req, ret, r->spec.id);
    else
        lsd_reply_json(req, 204, NULL);
}

static void renew_lease(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    struct lsd_relay *r = find_or_404(s, req, m->params[0]);
    if (!r)
        return;
    json_t *body = lsd_read_json(s, req, true);
    if (!body)
        return;
    json_t *sec = json_object_get(body, "seconds");
    size_t keys = json_object_size(body);
    if (keys > (sec ? 1u : 0u) || (sec && (!json_is_integer(sec) || json_integer_value(sec) < 1 ||
                                           json_integer_value(sec) > 86400))) {
        json_decref(body);
        lsd_reply_error(req, 400, "invalid", "'seconds' must be an integer from 1 to 86400");
        return;
    }
    uint32_t seconds = sec ? (uint32_t)json_integer_value(sec) : 0;
    json_decref(body);
    if (!seconds && !r->spec.lease_s) {
        lsd_reply_error(req, 400, "invalid", "relay '%s' has no lease; give 'seconds'", r->spec.id);
        return;
    }
    int ret = lsd_relay_renew_lease(s, r, seconds);
    if (ret < 0)
        reply_registry_error(req, ret, r->spec.id);
    else
        reply_relay(s, req, 200, r);
}

const struct lsd_route lsd_routes_api[] = {
    {LSD_GET | LSD_HEAD, "/api/v1/relays", LSD_API, list_relays},
    {LSD_POST, "/api/v1/relays", LSD_API, create_relay},
    {LSD_GET | LSD_HEAD, "/api/v1/relays/*", LSD_API, get_relay},
    {LSD_PUT | LSD_PATCH, "/api/v1/relays/*", LSD_API, replace_relay},
    {LSD_DELETE, "/api/v1/relays/*", LSD_API, delete_relay},
    {LSD_POST, "/api/v1/relays/*/outputs", LSD_API, add_output},
    {LSD_DELETE, "/api/v1/relays/*/outputs/*", LSD_API, remove_output},
    {LSD_POST, "/api/v1/relays/*/lease", LSD_API, renew_lease},
    {0, NULL, 0, NULL},
};
