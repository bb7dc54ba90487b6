/*
 * HTTP dispatch: method + path → a route of one of the route tables, after
 * the access check; replies and request-body reading for every handler.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lightstream/lightstream.h"

#include "daemon/conn.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/origin.h"
#include "daemon/redact.h"
#include "daemon/server.h"

static const struct {
    enum evhttp_cmd_type cmd;
    unsigned bit;
    const char *name;
} methods[] = {
    {EVHTTP_REQ_GET, LSD_GET, "GET"},       {EVHTTP_REQ_POST, LSD_POST, "POST"},
    {EVHTTP_REQ_PUT, LSD_PUT, "PUT"},       {EVHTTP_REQ_DELETE, LSD_DELETE, "DELETE"},
    {EVHTTP_REQ_PATCH, LSD_PATCH, "PATCH"}, {EVHTTP_REQ_HEAD, LSD_HEAD, "HEAD"},
    {EVHTTP_REQ_OPTIONS, LSD_OPTIONS, "OPTIONS"},
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

const char *lsd_method_name(unsigned bit)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (methods[i].bit == bit)
            return methods[i].name;
    return "?";
}

static unsigned method_bit(enum evhttp_cmd_type cmd)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (methods[i].cmd == cmd)
            return methods[i].bit;
    return 0;
}

const char *lsd_http_method_of_index(size_t i)
{
    return i < NMETHODS ? lsd_method_name(1u << i) : "other";
}

void lsd_http_count_reply(struct lsd_server *s, struct evhttp_request *req)
{
    int code = evhttp_request_get_response_code(req);
    unsigned bit = method_bit(evhttp_request_get_command(req));
    if (!s->replies || code < LSD_HTTP_CODE_MIN || code >= LSD_HTTP_CODE_MIN + LSD_HTTP_CODE_COUNT)
        return;
    size_t m = bit ? (size_t)__builtin_ctz(bit) : LSD_HTTP_METHOD_COUNT - 1;
    s->replies->n[code - LSD_HTTP_CODE_MIN][m < NMETHODS ? m : LSD_HTTP_METHOD_COUNT - 1]++;
}

/* Players on other origins must read /live/ (that is what HTTP-FLV is for);
 * everything else is same-origin unless cors_origin says otherwise, so a web
 * page the user happens to open cannot drive a token-less API. */
static bool is_live(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    return uri && strncmp(uri, "/live/", 6) == 0;
}

void lsd_add_cors(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (is_live(req) && !evhttp_find_header(h, "Access-Control-Allow-Origin"))
        evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
}

void lsd_reply_bytes(struct evhttp_request *req, int status, const char *content_type,
                     const void *data, size_t size)
{
    struct evbuffer *buf = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    lsd_add_cors(req);
    if (content_type)
        evhttp_add_header(h, "Content-Type", content_type);
    if (buf && size && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(buf, data, size);
    evhttp_send_reply(req, status, NULL, buf);
    if (buf)
        evbuffer_free(buf);
}

#define OOM_REPLY "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}"

void lsd_reply_json(struct evhttp_request *req, int status, json_t *body)
{
    /* The last line of defence: whatever a library message or a stored URL
     * holds, no password leaves in a reply. Every string is redacted before
     * it is serialized, so JSON's escapes cannot hide one from the redactor. */
    json_t *clean = body ? lsd_redact_json(body) : NULL;
    char *text = clean ? json_dumps(clean, JSON_COMPACT) : NULL;
    json_decref(clean);
    if (body && !text) {
        lsd_reply_bytes(req, 500, "application/json",
                        OOM_REPLY, sizeof(OOM_REPLY) - 1);
        return;
    }
    lsd_reply_bytes(req, status, text ? "application/json" : NULL, text,
                    text ? strlen(text) : 0);
    free(text);
}

void lsd_reply_error(struct evhttp_request *req, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message may quote what the client sent: never echo a URL's password. */
    char clean[600];
    ls_redact_text(msg, NULL, clean, sizeof(clean));
    json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", clean);
    lsd_reply_json(req, status, body);
    json_decref(body);
}

json_t *lsd_read_json(struct lsd_server *s, struct evhttp_request *req, bool empty_ok)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > s->config.max_body_bytes) {
        lsd_reply_error(req, 413, "too_large", "the body is %zu bytes; the limit is %u", len,
                        s->config.max_body_bytes);
        return NULL;
    }
    if (len == 0 && empty_ok)
        return json_object();
    const unsigned char *data = evbuffer_pullup(in, -1);
    json_error_t je;
    json_t *obj = data ? json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!obj) {
        /* Not je.text: it quotes the input, which may hold a password. */
        if (len)
            lsd_reply_error(req, 400, "bad_json", "the body is not valid JSON (line %d, column %d)",
                            je.line, je.column);
        else
            lsd_reply_error(req, 400, "bad_json", "the body is empty");
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        lsd_reply_error(req, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return obj;
}

char *lsd_query_param(struct evhttp_request *req, const char *name)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq params = {0};
    char *out = NULL;
    if (!query || evhttp_parse_query_str(query, &params) < 0)
        return NULL;
    const char *v = evhttp_find_header(&params, name);
    if (v)
        out = strdup(v);
    evhttp_clear_headers(&params);
    return out;
}

char *lsd_base_url(struct lsd_server *s, struct evhttp_request *req)
{
    char *out = NULL;
    if (s->config.public_url[0]) {
        size_t n = strlen(s->config.public_url);
        while (n && s->config.public_url[n - 1] == '/')
            n--;
        return strndup(s->config.public_url, n);
    }
    const char *host = req ? evhttp_find_header(evhttp_request_get_input_headers(req), "Host")
                           : NULL;
    /* Only a plain host[:port] is echoed back into URLs. */
    if (host && (strlen(host) > 255 || host[strspn(host, "abcdefghijklmnopqrstuvwxyz"
                                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")]))
        host = NULL;
    if (host && *host) {
        if (asprintf(&out, "http://%s", host) < 0)
            out = NULL;
    } else if (asprintf(&out, "http://%s:%u", s->config.listen, s->bound_port) < 0) {
        out = NULL;
    }
    return out;
}

/* Constant-time comparison: a token must not leak through timing. */
static bool token_equal(const char *given, const char *want)
{
    size_t n = strlen(want), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(want[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

static bool has_token(struct evhttp_request *req, const char *want, const char *param)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(auth + 7, want))
        return true;
    char *q = lsd_query_param(req, param);
    bool ok = q && token_equal(q, want);
    free(q);
    return ok;
}

static bool allowed(struct lsd_server *s, struct evhttp_request *req, enum lsd_access access)
{
    const char *api = s->config.api_token, *viewer = s->config.viewer_token;
    switch (access) {
    case LSD_PUBLIC:
        return true;
    case LSD_API:
        return !api[0] || has_token(req, api, "access_token");
    case LSD_VIEWER:
        /* The API token can do everything the viewer token can, so it passes
         * wherever that one does: also as ?token=, the one way a <video>
         * element or a player URL carries a credential (no headers). */
        return !viewer[0] || has_token(req, viewer, "token") ||
               (api[0] && (has_token(req, api, "access_token") || has_token(req, api, "token")));
    }
    return false;
}

/* Match one pattern against the decoded path's segments; captures into m. */
static bool match(const char *pattern, const char *path, struct lsd_match *m, char *store,
                  size_t store_size)
{
    size_t used = 0;
    m->count = 0;
    while (*pattern == '/' && *path == '/') {
        pattern++;
        path++;
        size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");
        const char *suffix = pattern[0] == '*' ? pattern + 1 : NULL;
        size_t suffix_len = suffix ? pl - 1 : 0;
        if (!suffix) {
            if (pl != sl || strncmp(pattern, path, pl) != 0)
                return false;
        } else {
            if (sl <= suffix_len || strncmp(path + sl - suffix_len, suffix, suffix_len) != 0 ||
                m->count == LSD_MAX_PARAMS || used + sl - suffix_len + 1 > store_size)
                return false;
            memcpy(store + used, path, sl - suffix_len);
            store[used + sl - suffix_len] = '\0';
            m->params[m->count++] = store + used;
            used += sl - suffix_len + 1;
        }
        pattern += pl;
        path += sl;
    }
    return *pattern == '\0' && *path == '\0';
}

static void allow_header(struct evhttp_request *req, unsigned mask)
{
    char allow[96] = "";
    for (size_t i = 0; i < NMETHODS; i++) {
        if (mask & methods[i].bit) {
            size_t n = strlen(allow);
            snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", methods[i].name);
        }
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
}

static void preflight(struct lsd_server *s, struct evhttp_request *req, unsigned mask)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    allow_header(req, mask | LSD_OPTIONS);
    const char *origin = is_live(req) ? "*" : s->config.cors_origin;
    if (origin[0]) {
        evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
        evhttp_add_header(h, "Access-Control-Allow-Methods",
                          "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
        evhttp_add_header(h, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        evhttp_add_header(h, "Access-Control-Max-Age", "600");
    }
    lsd_reply_bytes(req, 204, NULL, NULL, 0);
}

/* A body must say it is JSON: browsers send text/plain or form bodies across
 * origins without asking first, JSON only after a preflight. */
static bool body_type_ok(struct evhttp_request *req)
{
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) == 0)
        return true;
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    return ct && strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/* DNS rebinding: a page from evil.example whose name now points at
 * 127.0.0.1 reaches a loopback daemon with "Host: evil.example". When we
 * listen on loopback, only loopback names (and public_url's host) pass. */
static bool host_ok(struct lsd_server *s, struct evhttp_request *req)
{
    const char *l = s->config.listen;
    if (strncmp(l, "127.", 4) != 0 && strcmp(l, "::1") != 0 && strcmp(l, "localhost") != 0)
        return true;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    if (!host)
        return true; /* HTTP/1.0 without Host: no browser sends that */
    return lsd_host_allowed(host, s->config.public_url);
}

/* A page on another site can make the browser send requests here (an <img>
 * is enough for a GET) but must not change anything: refused with 403 when
 * the browser says where the request comes from (docs/compat.md). Clients
 * that are not browsers send neither header and are not concerned. */
static bool refuse_other_site(struct lsd_server *s, struct evhttp_request *req,
                              const struct lsd_route *r, unsigned bit)
{
    if (!r->changes_state && !(bit & (LSD_POST | LSD_PUT | LSD_PATCH | LSD_DELETE)))
        return false;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct lsd_site site = {
        .host = evhttp_find_header(in, "Host"),
        .origin = evhttp_find_header(in, "Origin"),
        .fetch_site = evhttp_find_header(in, "Sec-Fetch-Site"),
        .public_url = s->config.public_url,
        .cors_origin = s->config.cors_origin,
    };
    if (!lsd_from_other_site(&site))
        return false;
    lsd_logf(s->log, LS_LOG_DEBUG, "%s refused: sent for another site's page",
             lsd_method_name(bit));
    lsd_reply_error(req, 403, "cross_site",
                    "a request that changes state is refused from another site's page "
                    "(Origin or Sec-Fetch-Site); set cors_origin to allow one");
    return true;
}

/* Debug: what was asked and by whom. All of it comes from the client (the
 * path decoded): the log escapes it. */
static void log_request(struct lsd_server *s, struct evhttp_request *req, unsigned bit,
                        const char *path)
{
    if (lsd_log_level(s->log) < LS_LOG_DEBUG)
        return;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (evcon)
        evhttp_connection_get_peer(evcon, &addr, &port);
    const char *ua = evhttp_find_header(evhttp_request_get_input_headers(req), "User-Agent");
    lsd_logf(s->log, LS_LOG_DEBUG, "%s %s from %s:%u (%s)", lsd_method_name(bit), path,
             addr ? addr : "?", port, ua ? ua : "no User-Agent");
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct lsd_server *s = arg;
    if (lsd_conns_request(s->conns, req)) {
        lsd_http_count_reply(s, req);
        return; /* over a connection cap: answered 503 */
    }
    s->requests++;
    unsigned bit = method_bit(evhttp_request_get_command(req));
    const char *raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    char *path = evhttp_uridecode(raw ? raw : "/", 0, NULL);
    char store[1024];
    struct lsd_match m = {.path = path};
    const struct lsd_route *handled = NULL;
    unsigned mask = 0;
    if (!host_ok(s, req)) {
        lsd_reply_error(req, 421, "host_not_allowed",
                        "this daemon listens on loopback and answers only loopback host names "
                        "(set public_url to allow another)");
        goto out;
    }
    for (size_t t = 0; path && t < s->n_route_tables; t++) {
        for (const struct lsd_route *r = s->route_tables[t]; r->pattern; r++) {
            if (!match(r->pattern, path, &m, store, sizeof(store)))
                continue;
            mask |= r->methods;
            if (!(r->methods & bit))
                continue;
            if (refuse_other_site(s, req, r, bit))
                goto out;
            if (!allowed(s, req, r->access)) {
                evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                                  "Bearer");
                lsd_reply_error(req, 401, "unauthorized", "a valid token is required");
            } else if (r->access != LSD_PUBLIC && !body_type_ok(req)) {
                lsd_reply_error(req, 415, "unsupported_media_type",
                                "the body must be sent as Content-Type: application/json");
            } else {
                handled = r;
                log_request(s, req, bit, path);
                if (s->config.cors_origin[0] && !is_live(req))
                    evhttp_add_header(evhttp_request_get_output_headers(req),
                                      "Access-Control-Allow-Origin", s->config.cors_origin);
                r->handler(s, req, &m);
            }
            goto out;
        }
    }
    if (!mask)
        lsd_reply_error(req, 404, "not_found", "no such resource");
    else if (bit == LSD_OPTIONS)
        preflight(s, req, mask);
    else {
        allow_header(req, mask);
        lsd_reply_error(req, 405, "method_not_allowed", "%s is not allowed here",
                        bit ? lsd_method_name(bit) : "this method");
    }
out:
    /* The request is still valid: evhttp frees it once the reply is written,
     * later in the loop (except where the handler counts it itself). */
    if (!handled || !handled->counts_reply)
        lsd_http_count_reply(s, req);
    free(path);
}

int lsd_http_init(struct lsd_server *s, const struct lsd_route *const *tables, size_t n)
{
    s->route_tables = tables;
    s->n_route_tables = n;
    s->replies = calloc(1, sizeof(*s->replies));
    if (!s->replies)
        return -ENOMEM;
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    /* evhttp's own limit sits well above ours, so that lsd_read_json answers
     * oversized bodies with a JSON 413 rather than evhttp's HTML one. */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)s->config.max_body_bytes * 4 + 65536);
    evhttp_set_max_headers_size(s->http, 16384);
    evhttp_set_timeout(s->http, 60);
    evhttp_set_gencb(s->http, dispatch, s);
    return 0;
}

void lsd_token_query(struct evhttp_request *req, char sep, char *out, size_t size)
{
    const char *names[2] = {"token", "access_token"};
    out[0] = '\0';
    for (int i = 0; i < 2 && !out[0]; i++) {
        char *v = lsd_query_param(req, names[i]);
        char *enc = v ? evhttp_encode_uri(v) : NULL;
        if (enc && (size_t)snprintf(out, size, "%c%s=%s", sep, names[i], enc) >= size)
            out[0] = '\0';
        free(enc);
        free(v);
    }
}
