/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * URI surgery on "scheme://[userinfo@]host[:port][/path][?query]". The
 * userinfo ends at the last '@' before the path, as FFmpeg reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lightstream/onvif.h"
#include "lib/onvif/text.h"
#include "lib/onvif/uri.h"
#include "lib/util/url.h"

/* Offsets of the parts of an absolute URI. */
struct parts {
    size_t auth;      /* first byte after "://" */
    size_t host;      /* first byte of the host (after any '@') */
    size_t host_end;  /* end of the host (a ':' port or the path follows) */
    size_t auth_end;  /* end of the authority: the path starts here */
};

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int ls_onvif_percent_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (!cap)
        return -ENOSPC;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
        size_t need = unreserved(*p) ? 1 : 3;
        if (n + need >= cap) {
            out[0] = '\0';
            return -ENOSPC;
        }
        if (need == 1) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    return (int)n;
}

static bool split(const char *s, size_t len, struct parts *p)
{
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || (size_t)(sep - s) >= len)
        return false;
    p->auth = (size_t)(sep - s) + 3;
    p->auth_end = p->auth;
    while (p->auth_end < len && !strchr("/?#", s[p->auth_end]))
        p->auth_end++;
    p->host = p->auth;
    for (size_t i = p->auth; i < p->auth_end; i++)
        if (s[i] == '@')
            p->host = i + 1;
    p->host_end = p->auth_end;
    if (p->host < p->auth_end && s[p->host] == '[') {
        const char *rb = memchr(s + p->host, ']', p->auth_end - p->host);
        if (rb)
            p->host_end = (size_t)(rb - s) + 1;
    } else {
        const char *colon = memchr(s + p->host, ':', p->auth_end - p->host);
        if (colon)
            p->host_end = (size_t)(colon - s);
    }
    return p->host_end > p->host;
}

/* Appends to out, NUL-terminated; false once it no longer fits. */
struct buf {
    char *out;
    size_t cap, len;
    bool ok;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (!b->ok || b->len + n >= b->cap) {
        b->ok = false;
        return;
    }
    memcpy(b->out + b->len, s, n);
    b->len += n;
    b->out[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

int ls_onvif_uri_host(const char *host, char *out, size_t cap)
{
    bool v6 = strchr(host, ':') && host[0] != '[';
    int n = snprintf(out, cap, v6 ? "[%s]" : "%s", host);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* user[:password]@, percent-encoded. */
static void put_userinfo(struct buf *b, const struct ls_onvif_uri_fix *fix)
{
    char enc[3 * 256 + 1];
    if (ls_onvif_percent_encode(fix->user, enc, sizeof(enc)) < 0) {
        b->ok = false;
        return;
    }
    puts_(b, enc);
    if (fix->password) {
        if (ls_onvif_percent_encode(fix->password, enc, sizeof(enc)) < 0) {
            b->ok = false;
            return;
        }
        puts_(b, ":");
        puts_(b, enc);
    }
    puts_(b, "@");
}

int ls_onvif_uri_fix(const char *in, const struct ls_onvif_uri_fix *fix, char *out, size_t cap)
{
    if (!out || !cap)
        return -ENOSPC;
    out[0] = '\0';
    if (!in)
        return -EBADMSG;
    while (ls_onvif_is_space(*in))
        in++;
    size_t len = strlen(in);
    while (len && ls_onvif_is_space(in[len - 1]))
        len--;
    struct parts p;
    if (!split(in, len, &p))
        return -EBADMSG;
    struct buf b = { out, cap, 0, true };
    put(&b, in, p.auth);
    if (fix->user && fix->user[0])
        put_userinfo(&b, fix);
    else
        put(&b, in + p.auth, p.host - p.auth);
    if (fix->host) {
        char host[300];
        if (ls_onvif_uri_host(fix->host, host, sizeof(host)) < 0)
            return -ENOSPC;
        puts_(&b, host);
    } else {
        put(&b, in + p.host, p.host_end - p.host);
    }
    put(&b, in + p.host_end, len - p.host_end);
    if (!b.ok) {
        out[0] = '\0';
        return -ENOSPC;
    }
    return (int)b.len;
}

/* The path of an XAddr (trimmed, the first of a space-separated list). */
static size_t xaddr_path(const char *xaddr, size_t *len)
{
    size_t n = 0;
    while (xaddr[n] && !ls_onvif_is_space(xaddr[n]))
        n++;
    struct parts p;
    size_t start = xaddr[0] == '/' ? 0 : split(xaddr, n, &p) ? p.auth_end : n;
    *len = n - start;
    return start;
}

int ls_onvif_endpoint(const char *xaddr, const char *host, uint16_t port,
                      const char *fallback_path, char *out, size_t cap)
{
    char h[300];
    if (ls_onvif_uri_host(host, h, sizeof(h)) < 0)
        return -ENOSPC;
    size_t plen = 0, start = 0;
    if (xaddr) {
        while (ls_onvif_is_space(*xaddr))
            xaddr++;
        start = xaddr_path(xaddr, &plen);
    }
    const char *path = plen ? xaddr + start : fallback_path ? fallback_path : "/";
    if (!plen)
        plen = strlen(path);
    int n = snprintf(out, cap, "http://%s:%u%s%.*s", h, (unsigned)port, path[0] == '/' ? "" : "/",
                     (int)plen, path);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int ls_onvif_uri_path(const char *uri, char *out, size_t cap)
{
    struct parts p;
    size_t len = strlen(uri);
    const char *path = split(uri, len, &p) && p.auth_end < len ? uri + p.auth_end : "/";
    int n = snprintf(out, cap, "%s", path);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* The one redactor of liblightstream (lib/url.c, compiled into this library
 * too): the same secrets hidden behind the same mask as everywhere else. */
size_t ls_onvif_mask_uri(const char *uri, char *out, size_t cap)
{
    if (!out || !cap)
        return 0;
    size_t n = ls_url_redact(uri, out, cap);
    return n < cap ? n : cap - 1;
}
