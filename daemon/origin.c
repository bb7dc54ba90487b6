/*
 * Host, Origin and Sec-Fetch-Site: strict parsing and the two browser
 * defences built on them (see origin.h, docs/compat.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/origin.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"

/* Nothing, or ":" and 1-5 digits up to 65535; then the end. */
static int parse_port(const char *p, int *port)
{
    *port = -1;
    if (*p == '\0')
        return 0;
    if (*p++ != ':')
        return -EINVAL;
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 5 || p[n] != '\0')
        return -EINVAL;
    long v = strtol(p, NULL, 10);
    if (v > 65535)
        return -EINVAL;
    *port = (int)v;
    return 0;
}

int lsd_host_parse(const char *text, struct lsd_host *out)
{
    const char *end;
    size_t n;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        struct in6_addr a;
        n = close ? (size_t)(close - text - 1) : 0;
        if (!n || n >= sizeof(out->name))
            return -EINVAL;
        memcpy(out->name, text + 1, n);
        out->name[n] = '\0';
        if (inet_pton(AF_INET6, out->name, &a) != 1)
            return -EINVAL;
        out->ipv6 = true;
        end = close + 1;
    } else {
        n = strspn(text, NAME_CHARS);
        if (!n || n >= sizeof(out->name))
            return -EINVAL;
        memcpy(out->name, text, n);
        out->name[n] = '\0';
        out->ipv6 = false;
        end = text + n;
    }
    return parse_port(end, &out->port);
}

bool lsd_host_is_loopback(const struct lsd_host *h)
{
    if (h->ipv6) {
        struct in6_addr a;
        if (inet_pton(AF_INET6, h->name, &a) != 1)
            return false;
        return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    }
    if (strcasecmp(h->name, "localhost") == 0)
        return true;
    /* inet_pton reads only the dotted quad: not "127.1", not "127.0.0.1.evil.com". */
    struct in_addr a;
    return inet_pton(AF_INET, h->name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static bool same_host(const struct lsd_host *a, const struct lsd_host *b)
{
    return a->ipv6 == b->ipv6 && a->port == b->port && strcasecmp(a->name, b->name) == 0;
}

/* "scheme://authority" followed by the end or, when @p path_ok, a path, a
 * query or a fragment. The scheme (http or https) into @p scheme. */
static int parse_origin(const char *url, bool path_ok, char scheme[8], struct lsd_host *h)
{
    const char *sep = strstr(url, "://");
    size_t sn = sep ? (size_t)(sep - url) : 0;
    if (!((sn == 4 && strncasecmp(url, "http", 4) == 0) ||
          (sn == 5 && strncasecmp(url, "https", 5) == 0)))
        return -EINVAL;
    memcpy(scheme, url, sn);
    scheme[sn] = '\0';
    const char *auth = sep + 3;
    size_t an = path_ok ? strcspn(auth, "/?#") : strlen(auth);
    char copy[300];
    if (an >= sizeof(copy))
        return -EINVAL;
    memcpy(copy, auth, an);
    copy[an] = '\0';
    if (lsd_host_parse(copy, h) < 0)
        return -EINVAL;
    /* Browsers leave the scheme's own port out of an Origin: so do we. */
    if (h->port == (sn == 4 ? 80 : 443))
        h->port = -1;
    return 0;
}

bool lsd_host_allowed(const char *host, const char *public_url)
{
    struct lsd_host h, pub;
    char scheme[8];
    if (lsd_host_parse(host, &h) < 0)
        return false;
    if (lsd_host_is_loopback(&h))
        return true;
    /* public_url's name, whatever the port: a proxy may forward another one. */
    return public_url[0] && parse_origin(public_url, true, scheme, &pub) == 0 &&
           pub.ipv6 == h.ipv6 && strcasecmp(pub.name, h.name) == 0;
}

static bool origin_ok(const struct lsd_site *q)
{
    const char *cors = q->cors_origin;
    if (strcmp(cors, "*") == 0)
        return true;
    size_t cn = strlen(cors);
    while (cn && cors[cn - 1] == '/')
        cn--;
    if (cn && strlen(q->origin) == cn && strncasecmp(q->origin, cors, cn) == 0)
        return true;
    struct lsd_host o, h;
    char scheme[8], pub_scheme[8];
    if (parse_origin(q->origin, false, scheme, &o) < 0)
        return false; /* "null" (sandboxes, cross-site redirects) or garbage */
    /* The page was served by this daemon: its authority is our Host. The
     * scheme may be https when a TLS proxy forwards the Host unchanged. */
    if (q->host && lsd_host_parse(q->host, &h) == 0 && same_host(&o, &h))
        return true;
    struct lsd_host pub;
    return q->public_url[0] && parse_origin(q->public_url, true, pub_scheme, &pub) == 0 &&
           strcasecmp(scheme, pub_scheme) == 0 && same_host(&o, &pub);
}

bool lsd_from_other_site(const struct lsd_site *q)
{
    if (q->origin)
        return !origin_ok(q);
    if (!q->fetch_site)
        return false;
    return strcasecmp(q->fetch_site, "same-origin") != 0 && strcasecmp(q->fetch_site, "none") != 0;
}
