/*
 * Where a request comes from, as browsers tell it: the Host header (DNS
 * rebinding) and the Origin / Sec-Fetch-Site headers (cross-site requests).
 * Pure: strings in, answers out; http.c reads the headers and replies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ORIGIN_H
#define LSD_ORIGIN_H

#include <stdbool.h>

/** A Host header value (or an URL's authority), parsed strictly. */
struct lsd_host {
    char name[256]; /**< a DNS name or an IPv4 address, or an IPv6 address without brackets */
    bool ipv6;      /**< the value was "[...]" */
    int port;       /**< 0-65535, or -1 when the value has none */
};

/**
 * Parse "name[:port]" or "[IPv6][:port]" as RFC 7230 writes a Host: the name
 * only of letters, digits, '.' and '-'; the brackets only around an address
 * inet_pton() reads; the port 1 to 5 digits, at most 65535; nothing after.
 * @return 0, or -EINVAL (nothing else is accepted: "[::1]evil", "h:80x", "h:").
 */
int lsd_host_parse(const char *text, struct lsd_host *out);

/** localhost, 127.0.0.0/8 (dotted quad), ::1 or ::ffff:127.x.x.x. */
bool lsd_host_is_loopback(const struct lsd_host *h);

/**
 * The Host check of a daemon listening on loopback: @p host (the header) is
 * a loopback name, or the host of @p public_url ("" when unset).
 */
bool lsd_host_allowed(const char *host, const char *public_url);

/** What decides whether a request comes from another site's page. */
struct lsd_site {
    const char *host;        /**< the Host header, or NULL */
    const char *origin;      /**< the Origin header, or NULL */
    const char *fetch_site;  /**< the Sec-Fetch-Site header, or NULL */
    const char *public_url;  /**< config public_url, "" when unset */
    const char *cors_origin; /**< config cors_origin, "" when unset, "*" for any */
};

/**
 * Whether a browser sent this request for a page of another site — which
 * must not change state. With an Origin, it decides: the daemon's own origin
 * ("http(s)://" + Host, or public_url's origin) and cors_origin pass, nothing
 * else does ("null" neither). Without one, Sec-Fetch-Site decides: only
 * "same-origin" and "none" (typed by the user) pass; "same-site" does not (a
 * page on another port of the same host is another program). With neither
 * header the client is not a browser (curl, a camera, the push API's
 * clients) and passes.
 */
bool lsd_from_other_site(const struct lsd_site *q);

#endif
