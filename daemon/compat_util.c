/*
 * Helpers shared by the two compatibility adapters: request bodies read
 * without replying (each adapter has its own error envelope), lenient field
 * readers, and the play addresses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "lightstream/lightstream.h"

#include "daemon/compat.h"
#include "daemon/recordings.h"
#include "daemon/http.h"
#include "daemon/relay.h"
#include "daemon/server.h"

enum lsd_compat_body lsd_compat_read_body(struct lsd_server *s, struct evhttp_request *req,
                                          json_t **out, char *err, size_t err_size)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = in ? evbuffer_get_length(in) : 0;
    *out = NULL;
    if (len == 0) {
        snprintf(err, err_size, "a JSON object body is required");
        return LSD_BODY_EMPTY;
    }
    if (s->config.max_body_bytes && len > s->config.max_body_bytes) {
        snprintf(err, err_size, "the body is larger than %u bytes", s->config.max_body_bytes);
        return LSD_BODY_TOO_LARGE;
    }
    const char *data = (const char *)evbuffer_pullup(in, -1);
    json_error_t jerr;
    json_t *v = data ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!v || !json_is_object(v)) {
        if (v)
            snprintf(err, err_size, "the body must be a JSON object");
        else
            /* not jerr.text: it quotes the input, which may hold a password */
            snprintf(err, err_size, "the body is not valid JSON (line %d, column %d)",
                     jerr.line, jerr.column);
        json_decref(v);
        return LSD_BODY_BAD_JSON;
    }
    *out = v;
    return LSD_BODY_OK;
}

void lsd_compat_reply(struct evhttp_request *req, json_t *body)
{
    if (!body) {
        lsd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    lsd_reply_json(req, 200, body);
    json_decref(body);
}

/* A decimal string: 1-18 digits, nothing else (no sign, spaces or "1e3"). */
static bool parse_decimal(const char *p, long long *out)
{
    size_t n = strlen(p);
    if (n == 0 || n > 18 || strspn(p, "0123456789") != n)
        return false;
    *out = strtoll(p, NULL, 10);
    return true;
}

int lsd_compat_int_field(const json_t *obj, const char *key, bool required, long long min,
                         long long max, long long def, long long *out, char *err,
                         size_t err_size)
{
    const json_t *v = json_object_get(obj, key);
    long long x;
    if (!v || json_is_null(v)) {
        if (!required) {
            *out = def;
            return 0;
        }
        snprintf(err, err_size, "'%s' is required", key);
        return -EINVAL;
    }
    if (json_is_integer(v))
        x = json_integer_value(v);
    else if (!json_is_string(v) || !parse_decimal(json_string_value(v), &x))
        goto bad;
    if (x < min || x > max)
        goto bad;
    *out = x;
    return 0;
bad:
    snprintf(err, err_size, "'%s' must be an integer from %lld to %lld", key, min, max);
    return -EINVAL;
}

int lsd_compat_str_field(const json_t *obj, const char *key, bool required, char *out,
                         size_t cap, char *err, size_t err_size)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        out[0] = '\0';
        if (!required)
            return 0;
        snprintf(err, err_size, "'%s' is required", key);
        return -EINVAL;
    }
    if (!json_is_string(v)) {
        snprintf(err, err_size, "'%s' must be a string", key);
        return -EINVAL;
    }
    size_t n = json_string_length(v);
    const char *p = json_string_value(v);
    if (n >= cap) {
        snprintf(err, err_size, "'%s' is longer than %zu bytes", key, cap - 1);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
            snprintf(err, err_size, "'%s' holds a control character", key);
            return -EINVAL;
        }
    }
    memcpy(out, p, n + 1);
    return 0;
}

/* The base without its trailing slashes. */
static void trim_slashes(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
}

int lsd_compat_flv_url(struct lsd_server *s, struct evhttp_request *req, const char *id,
                       char *out, size_t size)
{
    char base[512];
    if (s->config.public_url[0]) {
        snprintf(base, sizeof(base), "%s", s->config.public_url);
    } else {
        char *b = lsd_base_url(s, req);
        if (!b)
            return -ENOMEM;
        snprintf(base, sizeof(base), "%s", b);
        free(b);
    }
    trim_slashes(base);
    int n = snprintf(out, size, "%s/live/%s.flv", base, id);
    return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int lsd_compat_rtmp_target(const struct lsd_server *s, const char *id, char *out, size_t size)
{
    char base[sizeof(s->config.rtmp_push_base)];
    out[0] = '\0';
    if (!s->config.rtmp_push_base[0])
        return 0;
    snprintf(base, sizeof(base), "%s", s->config.rtmp_push_base);
    trim_slashes(base);
    int n = snprintf(out, size, "%s/%s", base, id);
    /* An RTMP URL only: a base that made a .flv path would record behind the user's back. */
    if (n < 0 || (size_t)n >= size || !lsd_spec_output_valid(out) || lsd_output_is_file(out)) {
        out[0] = '\0';
        return -EINVAL;
    }
    return 0;
}

void lsd_compat_relay_rtmp(const struct lsd_relay *r, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->spec.output_count; i++) {
        const char *url = r->spec.outputs[i].url;
        if (strncasecmp(url, "rtmp://", 7) == 0 || strncasecmp(url, "rtmps://", 8) == 0) {
            ls_url_redact(url, out, size);
            return;
        }
    }
}

const char *lsd_compat_origin(const struct lsd_relay *r)
{
    const char *o = json_string_value(json_object_get(r->spec.meta, "origin"));
    return o ? o : "";
}
