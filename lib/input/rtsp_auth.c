/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP URL userinfo and Basic/Digest answers: see rtsp_auth.h. MD5 and
 * base64 come from libavutil, which the library links already.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/base64.h>
#include <libavutil/md5.h>

#include "lib/input/rtsp_auth.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/** Copy [p, p + n) percent-decoded. @return 0 or -ENAMETOOLONG. */
static int decode(char *out, size_t cap, const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            c = (char)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
            i += 2;
        }
        if (k + 1 >= cap)
            return -ENAMETOOLONG;
        out[k++] = c;
    }
    out[k] = '\0';
    return 0;
}

int ls_rtsp_url_parse(const char *url, struct ls_rtsp_url *u)
{
    memset(u, 0, sizeof(*u));
    if (strncasecmp(url, "rtsp://", 7))
        return -EINVAL;
    const char *auth = url + 7, *path = auth + strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', (size_t)(path - auth));
    const char *host = at ? at + 1 : auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        const char *uend = colon ? colon : at;
        if (decode(u->user, sizeof(u->user), auth, (size_t)(uend - auth)) < 0 ||
            (colon && decode(u->pass, sizeof(u->pass), colon + 1, (size_t)(at - colon - 1)) < 0))
            return -ENAMETOOLONG;
    }
    const char *hend = path, *port = NULL;
    if (*host == '[') { /* IPv6 literal */
        const char *close = memchr(host, ']', (size_t)(path - host));
        if (!close)
            return -EINVAL;
        port = close + 1 < path && close[1] == ':' ? close + 2 : NULL;
        host++;
        hend = close;
    } else {
        const char *colon = memchr(host, ':', (size_t)(path - host));
        if (colon)
            port = colon + 1, hend = colon;
    }
    if (hend == host || (size_t)(hend - host) >= sizeof(u->host))
        return hend == host ? -EINVAL : -ENAMETOOLONG;
    memcpy(u->host, host, (size_t)(hend - host));
    u->port = port ? atoi(port) : 554;
    if (u->port <= 0 || u->port > 65535)
        return -EINVAL;
    const char *hostport = at ? at + 1 : auth; /* as written, brackets included */
    int n = snprintf(u->request, sizeof(u->request), "rtsp://%.*s%s", (int)(path - hostport),
                     hostport, path);
    return n < 0 || (size_t)n >= sizeof(u->request) ? -ENAMETOOLONG : 0;
}

/** Parameter @p key of a challenge (`key=value` or `key="value"`, comma-separated). */
static bool challenge_param(const struct ls_rtsp_text *v, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    const char *p = v->p, *end = v->p + v->n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq)
            return false;
        bool match = (size_t)(eq - p) == k && !strncasecmp(p, key, k);
        const char *val = eq + 1, *vend;
        if (val < end && *val == '"') {
            val++;
            vend = memchr(val, '"', (size_t)(end - val));
            if (!vend)
                vend = end;
            p = vend < end ? vend + 1 : end;
        } else {
            vend = memchr(val, ',', (size_t)(end - val));
            if (!vend)
                vend = end;
            p = vend;
        }
        if (match) {
            size_t n = (size_t)(vend - val) < cap - 1 ? (size_t)(vend - val) : cap - 1;
            memcpy(out, val, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

static int take_digest(struct ls_rtsp_auth *a, const struct ls_rtsp_text *v, unsigned seed)
{
    struct ls_rtsp_text params = {v->p + 6, v->n - 6};
    char nonce[sizeof(a->nonce)] = "", stale[8] = "", qop[64] = "";
    if (!challenge_param(&params, "nonce", nonce, sizeof(nonce)))
        return -EACCES;
    challenge_param(&params, "stale", stale, sizeof(stale));
    /* The same nonce again, not stale: our answer was wrong, retrying would lock accounts. */
    if (a->digest && !strcmp(nonce, a->nonce) && strcasecmp(stale, "true"))
        return -EACCES;
    a->digest = true;
    snprintf(a->nonce, sizeof(a->nonce), "%s", nonce);
    if (!challenge_param(&params, "realm", a->realm, sizeof(a->realm)))
        a->realm[0] = '\0';
    if (!challenge_param(&params, "opaque", a->opaque, sizeof(a->opaque)))
        a->opaque[0] = '\0';
    a->qop_auth = challenge_param(&params, "qop", qop, sizeof(qop)) && strstr(qop, "auth");
    snprintf(a->cnonce, sizeof(a->cnonce), "%08x%08x", seed, seed * 2654435761u);
    a->nc = 0;
    return 0;
}

int ls_rtsp_auth_challenge(struct ls_rtsp_auth *a, const struct ls_rtsp_msg *reply,
                           unsigned seed)
{
    if (!a->user[0])
        return -EACCES;
    const struct ls_rtsp_text *basic = NULL;
    for (size_t i = 0; i < reply->n_headers; i++) {
        const struct ls_rtsp_header *h = &reply->headers[i];
        if (h->name.n != 16 || strncasecmp(h->name.p, "WWW-Authenticate", 16))
            continue;
        if (h->value.n > 7 && !strncasecmp(h->value.p, "Digest ", 7))
            return take_digest(a, &h->value, seed);
        if (h->value.n >= 5 && !strncasecmp(h->value.p, "Basic", 5))
            basic = &h->value;
    }
    if (!basic || a->basic)
        return -EACCES; /* nothing to answer, or Basic refused once already */
    a->basic = true;
    return 0;
}

static void md5_hex(const char *text, char out[33])
{
    uint8_t sum[16];
    av_md5_sum(sum, (const uint8_t *)text, strlen(text));
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

static int digest_line(struct ls_rtsp_auth *a, const char *method, const char *uri, char *out,
                       size_t cap)
{
    char buf[1024], ha1[33], ha2[33], resp[33], nc[9];
    snprintf(buf, sizeof(buf), "%s:%s:%s", a->user, a->realm, a->pass);
    md5_hex(buf, ha1);
    explicit_bzero(buf, sizeof(buf));
    snprintf(buf, sizeof(buf), "%s:%s", method, uri);
    md5_hex(buf, ha2);
    snprintf(nc, sizeof(nc), "%08x", ++a->nc);
    if (a->qop_auth)
        snprintf(buf, sizeof(buf), "%s:%s:%s:%s:auth:%s", ha1, a->nonce, nc, a->cnonce, ha2);
    else
        snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, a->nonce, ha2);
    md5_hex(buf, resp);
    int n = snprintf(out, cap,
                     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                     "uri=\"%s\", response=\"%s\"%s%s%s",
                     a->user, a->realm, a->nonce, uri, resp, a->opaque[0] ? ", opaque=\"" : "",
                     a->opaque, a->opaque[0] ? "\"" : "");
    if (n >= 0 && (size_t)n < cap && a->qop_auth)
        n += snprintf(out + n, cap - (size_t)n, ", qop=auth, nc=%s, cnonce=\"%s\"", nc,
                      a->cnonce);
    if (n >= 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, "\r\n");
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int ls_rtsp_auth_line(struct ls_rtsp_auth *a, const char *method, const char *uri, char *out,
                      size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (a->digest)
        return digest_line(a, method, uri, out, cap);
    if (!a->basic)
        return 0;
    char plain[260], b64[AV_BASE64_SIZE(260)];
    int n = snprintf(plain, sizeof(plain), "%s:%s", a->user, a->pass);
    if (n < 0 || (size_t)n >= sizeof(plain))
        return -ENAMETOOLONG;
    av_base64_encode(b64, sizeof(b64), (const uint8_t *)plain, n);
    explicit_bzero(plain, sizeof(plain));
    n = snprintf(out, cap, "Authorization: Basic %s\r\n", b64);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
