/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * URIs reported by devices: service addresses (XAddrs) turned into the
 * endpoint we actually reach, and stream/snapshot URIs trimmed, their host
 * rewritten and credentials inserted percent-encoded. Pure.
 */
#ifndef LS_ONVIF_URI_H
#define LS_ONVIF_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How ls_onvif_uri_fix() changes a media URI. */
struct ls_onvif_uri_fix {
    const char *host;     /**< the host reached; NULL: keep the URI's host */
    const char *user;     /**< NULL or "": insert no credentials */
    const char *password; /**< NULL: user only */
};

/**
 * Percent-encode everything but RFC 3986 unreserved characters.
 * @return the length written, or -ENOSPC (out is then "").
 */
int ls_onvif_percent_encode(const char *in, char *out, size_t cap);

/**
 * Trim @p in; then, as @p fix says, replace its host (keeping its port) and
 * put user:password@ (percent-encoded) in front of the host, replacing any
 * userinfo the device put there.
 * @return the length of the result, -EBADMSG if @p in is not an absolute
 *         URI ("scheme://host..."), or -ENOSPC.
 */
int ls_onvif_uri_fix(const char *in, const struct ls_onvif_uri_fix *fix, char *out, size_t cap);

/**
 * The endpoint to send a service's requests to: "http://host:port" followed
 * by the path (and query) of @p xaddr — a device's XAddr names its own idea
 * of its address (often a LAN IP), we keep only the path. If @p xaddr is
 * NULL or has no path, @p fallback_path is used.
 * @return the length, or -ENOSPC.
 */
int ls_onvif_endpoint(const char *xaddr, const char *host, uint16_t port,
                      const char *fallback_path, char *out, size_t cap);

/** The path and query of an absolute URI ("/" if none), for HTTP digest. */
int ls_onvif_uri_path(const char *uri, char *out, size_t cap);

/**
 * Write @p host as it goes in a URI authority: IPv6 addresses get brackets.
 * @return the length, or -ENOSPC.
 */
int ls_onvif_uri_host(const char *host, char *out, size_t cap);

#endif
