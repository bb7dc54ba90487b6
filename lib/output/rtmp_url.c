/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rtmp:// URLs split the way FFmpeg and the servers expect: application =
 * first path segment, stream name = the rest, query included.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/output/rtmp_publish.h"

static int copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return -ENAMETOOLONG;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* host[:port] or [v6]:port, credentials before the last '@' skipped. */
static int parse_authority(struct ls_rtmp_url *u, const char *a, size_t n)
{
    const char *at = memrchr(a, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *colon = NULL;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close)
            return -EINVAL;
        if (copy(u->host, sizeof(u->host), a + 1, (size_t)(close - a - 1)) < 0)
            return -ENAMETOOLONG;
        colon = close + 1 < a + n && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(a, ':', n);
        if (copy(u->host, sizeof(u->host), a, colon ? (size_t)(colon - a) : n) < 0)
            return -ENAMETOOLONG;
    }
    if (!u->host[0])
        return -EINVAL;
    if (!colon)
        return copy(u->port, sizeof(u->port), "1935", 4);
    size_t plen = (size_t)(a + n - colon - 1);
    if (plen == 0 || strspn(colon + 1, "0123456789") < plen)
        return -EINVAL;
    return copy(u->port, sizeof(u->port), colon + 1, plen);
}

int ls_rtmp_url_parse(struct ls_rtmp_url *u, const char *url)
{
    memset(u, 0, sizeof(*u));
    if (!url || strncmp(url, "rtmp://", 7) != 0)
        return -EINVAL;
    const char *auth = url + 7, *path = strchr(auth, '/');
    if (!path)
        return -EINVAL;
    int err = parse_authority(u, auth, (size_t)(path - auth));
    if (err < 0)
        return err;
    const char *app = path + 1, *slash = strchr(app, '/');
    if (!slash || slash == app || !slash[1])
        return -EINVAL; /* no application, or no stream name */
    if ((err = copy(u->app, sizeof(u->app), app, (size_t)(slash - app))) < 0 ||
        (err = copy(u->stream, sizeof(u->stream), slash + 1, strlen(slash + 1))) < 0)
        return err;
    bool v6 = strchr(u->host, ':') != NULL;
    int n = snprintf(u->tc_url, sizeof(u->tc_url), "rtmp://%s%s%s:%s/%s", v6 ? "[" : "", u->host,
                     v6 ? "]" : "", u->port, u->app);
    return n < 0 || (size_t)n >= sizeof(u->tc_url) ? -ENAMETOOLONG : 0;
}
