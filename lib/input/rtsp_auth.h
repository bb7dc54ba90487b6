/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP credentials for the native input: the URL's userinfo split off
 * (percent-decoded), and the Authorization header answering a 401's
 * WWW-Authenticate, Basic or Digest (MD5, qop=auth or none; RFC 2617).
 * Pure: no I/O. The password lives only here and in the relay's URL; it is
 * never logged.
 */
#ifndef LS_LIB_RTSP_AUTH_H
#define LS_LIB_RTSP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/input/rtsp_msg.h"

/** An rtsp:// URL taken apart. */
struct ls_rtsp_url {
    char host[256];
    int port;               /**< 554 when absent */
    char user[128];
    char pass[128];
    char request[1024];     /**< the URL without its userinfo: what requests carry */
};

/** @return 0, -EINVAL (not rtsp://host…), -ENAMETOOLONG. */
int ls_rtsp_url_parse(const char *url, struct ls_rtsp_url *out);

struct ls_rtsp_auth {
    char user[128];
    char pass[128];
    bool digest;            /**< a challenge was taken: Digest, else Basic */
    bool basic;
    bool qop_auth;
    char realm[128];
    char nonce[256];
    char opaque[256];
    char cnonce[17];
    unsigned nc;
};

/**
 * Take the challenges of a 401 reply (Digest preferred over Basic).
 * @return 0 when a retry can answer it; -EACCES when there is no usable
 *         challenge or no credentials, or when this nonce was answered
 *         already and the server did not call it stale (wrong password).
 */
int ls_rtsp_auth_challenge(struct ls_rtsp_auth *a, const struct ls_rtsp_msg *reply,
                           unsigned seed);

/**
 * The "Authorization: …\r\n" line for a request, "" before any challenge.
 * @return 0 or -ENAMETOOLONG.
 */
int ls_rtsp_auth_line(struct ls_rtsp_auth *a, const char *method, const char *uri, char *out,
                      size_t cap);

#endif
