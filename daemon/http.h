/*
 * lightstreamd: HTTP routing and replies over libevent's evhttp.
 *
 * Every route file exports a table of routes; http.c matches the method and
 * the path (segments, `*` matches one segment and is captured) and calls the
 * handler on the loop thread. Handlers reply with the helpers below; JSON is
 * built by the callers, the transport lives here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HTTP_H
#define LSD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct lsd_server;
struct evhttp_request;

enum lsd_method {
    LSD_GET = 1 << 0,
    LSD_POST = 1 << 1,
    LSD_PUT = 1 << 2,
    LSD_DELETE = 1 << 3,
    LSD_PATCH = 1 << 4,
    LSD_HEAD = 1 << 5,
    LSD_OPTIONS = 1 << 6,
};

/** Who may call a route. */
enum lsd_access {
    LSD_PUBLIC = 0, /**< anyone (the page, /healthz) */
    LSD_API = 1,    /**< needs the API token when one is configured */
    LSD_VIEWER = 2, /**< needs the viewer token (or the API token) when one is configured */
};

#define LSD_MAX_PARAMS 4

struct lsd_match {
    const char *params[LSD_MAX_PARAMS]; /**< the segments matched by `*`, decoded */
    size_t count;
    const char *path;                   /**< the whole decoded path */
};

typedef void (*lsd_handler_fn)(struct lsd_server *s, struct evhttp_request *req,
                               const struct lsd_match *m);

struct lsd_route {
    unsigned methods;        /**< LSD_GET | ... */
    const char *pattern;     /**< e.g. "/api/v1/relays/ * /outputs" without spaces; a final
                                  segment "*.flv" matches a segment ending in .flv and
                                  captures what precedes the suffix */
    enum lsd_access access;
    lsd_handler_fn handler;
    bool changes_state;      /**< a GET that changes state (the push API's): refused
                                  from other sites' pages like POST, PUT, PATCH, DELETE */
    bool counts_reply;       /**< the handler calls lsd_http_count_reply() itself: it may
                                  free the request before returning (an HTTP-FLV viewer
                                  dropped at once) */
};

/* The route tables, one per file (each ends with a zeroed entry). */
extern const struct lsd_route lsd_routes_api[];    /* routes_api.c: /api/v1/relays... */
extern const struct lsd_route lsd_routes_rec[];    /* routes_rec.c: /api/v1/relays/<id>/recordings... */
extern const struct lsd_route lsd_routes_misc[];   /* routes_misc.c: /healthz /metrics openapi */
extern const struct lsd_route lsd_routes_live[];   /* routes_live.c: /live/<id>.flv */
extern const struct lsd_route lsd_routes_web[];    /* routes_web.c: / and /web/... */
extern const struct lsd_route lsd_routes_openapi_compat[]; /* compat_openapi.c: /openapi/... */
extern const struct lsd_route lsd_routes_push[];   /* compat_push.c: /REAL_STREAM ... */
extern const struct lsd_route lsd_routes_onvif[];  /* onvif.c: /api/v1/onvif, PTZ, /openapi/onvif */

/** HTTP replies by status code and method, for /metrics. */
#define LSD_HTTP_CODE_MIN 100
#define LSD_HTTP_CODE_COUNT 500            /**< 100 to 599 */
#define LSD_HTTP_METHOD_COUNT 8            /**< the 7 methods above, then any other */
struct lsd_http_counts {
    uint64_t n[LSD_HTTP_CODE_COUNT][LSD_HTTP_METHOD_COUNT];
};

/**
 * Count @p req's reply once its status is known (a handler replied, or
 * started an HTTP-FLV stream); a request not answered yet (status 0) is not
 * counted: whoever answers it later calls this again. Loop thread.
 */
void lsd_http_count_reply(struct lsd_server *s, struct evhttp_request *req);

/** The method of a LSD_HTTP_METHOD_COUNT index ("GET"...; "other" for the last). */
const char *lsd_http_method_of_index(size_t i);

/** Install the dispatcher on s->http, trying the @p n route tables in order (the server picks them). */
int lsd_http_init(struct lsd_server *s, const struct lsd_route *const *tables, size_t n);

/** Reply with a JSON body (takes a reference to @p body; may be NULL for no body). */
void lsd_reply_json(struct evhttp_request *req, int status, json_t *body);
/** Reply {"error":{"code":code,"message":message}} with @p status. */
void lsd_reply_error(struct evhttp_request *req, int status, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Reply with raw bytes and a content type. */
void lsd_reply_bytes(struct evhttp_request *req, int status, const char *content_type,
                     const void *data, size_t size);

/**
 * Parse the request body as a JSON object. On failure replies 400/413/415
 * itself and returns NULL. An empty body gives an empty object when
 * @p empty_ok, else an error.
 */
json_t *lsd_read_json(struct lsd_server *s, struct evhttp_request *req, bool empty_ok);

/** The value of a query parameter (decoded, malloc'd) or NULL. */
char *lsd_query_param(struct evhttp_request *req, const char *name);

/** "http://<Host header or listen address>" for building play URLs (malloc'd). */
char *lsd_base_url(struct lsd_server *s, struct evhttp_request *req);

/**
 * "<sep>token=..." (or access_token) as @p req gave it, URI-encoded, for the
 * URIs of a playlist (players do not pass a playlist's query on); "" if none.
 */
void lsd_token_query(struct evhttp_request *req, char sep, char *out, size_t size);

/** Add the CORS headers every browser-facing reply carries. */
void lsd_add_cors(struct evhttp_request *req);

/** Name of a method bit, for logs. */
const char *lsd_method_name(unsigned method);

#endif
