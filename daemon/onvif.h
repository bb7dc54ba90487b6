/*
 * ONVIF in the daemon (onvif.c): routes, and PTZ for the push API adapter.
 * Without the onvif build feature the routes answer 501 and PTZ -EOPNOTSUPP.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ONVIF_H
#define LSD_ONVIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct lsd_server;
struct evhttp_request;
struct ls_onvif;

/** A device and the profile to use, as kept in a relay's spec.meta.onvif. */
struct lsd_onvif_target {
    char host[256];
    uint16_t port;         /**< default 80 */
    char path[256];        /**< "" = the library's default */
    char user[128];
    char password[128];
    char profile[64];      /**< "" = the first profile */
    int timeout_ms;        /**< connect and I/O, default 5000 */
};

enum lsd_ptz_action {
    LSD_PTZ_MOVE = 0,      /**< ContinuousMove, then Stop after the duration */
    LSD_PTZ_STOP,
    LSD_PTZ_ABSOLUTE,
    LSD_PTZ_RELATIVE,
    LSD_PTZ_GOTO,
    LSD_PTZ_PRESETS,
};

/** Called on the loop with the outcome (@p req NULL if the client has gone). */
typedef void (*lsd_onvif_reply_fn)(struct lsd_server *s, struct evhttp_request *req, int err,
                                   const char *message, void *arg);

/** Read {"host", "port", "user", "password", "path", "profile", "timeout_ms"}. Pure. */
int lsd_onvif_target_from_json(const json_t *o, struct lsd_onvif_target *t, char *err,
                               size_t size);
json_t *lsd_onvif_target_to_json(const struct lsd_onvif_target *t);

/** True when this build has the ONVIF client. */
bool lsd_onvif_available(void);

/**
 * Run a PTZ action on a thread; @p reply (or, when NULL, a JSON reply) on the loop.
 * @return 0, -EBUSY, -ENOMEM, -EOPNOTSUPP (no ONVIF in this build)
 */
int lsd_onvif_ptz(struct lsd_server *s, struct evhttp_request *req,
                  const struct lsd_onvif_target *t, enum lsd_ptz_action action, double pan,
                  double tilt, double zoom, unsigned duration_ms, const char *preset,
                  lsd_onvif_reply_fn reply, void *reply_arg);

struct lsd_match;
/** POST /api/v1/relays/{id}/ptz and GET .../ptz/presets (onvif_ptz.c; 501 without ONVIF). */
void lsd_onvif_route_ptz(struct lsd_server *s, struct evhttp_request *req,
                         const struct lsd_match *m);
void lsd_onvif_route_presets(struct lsd_server *s, struct evhttp_request *req,
                             const struct lsd_match *m);

#ifdef LSD_HAVE_ONVIF
/** Reply with a device error: status and code word from the error, the library's message. */
void lsd_onvif_reply_error(struct evhttp_request *req, int err, const char *msg);
/** Open a device per @p t. @p credentials: insert them into stream URIs. */
int lsd_onvif_open(const struct lsd_onvif_target *t, bool credentials, struct ls_onvif **out,
                   char *err, size_t size);
#endif

#endif
