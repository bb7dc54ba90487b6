/*
 * Relay specs: what a camera URL, an output target and an id may be, and the
 * credentials in a URL (decoded). Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/spec.h"

bool lsd_spec_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > LSD_ID_MAX || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* No control characters or spaces anywhere in a URL we pass on. */
static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

/* scheme://[userinfo@]host... : a non-empty host must follow. */
static bool has_host(const char *url, const char *scheme)
{
    size_t n = strlen(scheme);
    if (strncasecmp(url, scheme, n) != 0)
        return false;
    const char *auth = url + n;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    const char *host = at ? at + 1 : auth;
    return host < end && *host != ':';
}

bool lsd_spec_source_valid(const char *url)
{
    return strlen(url) < LSD_URL_MAX && printable(url) &&
           (has_host(url, "rtsp://") || has_host(url, "rtsps://"));
}

/* A ".." path component anywhere. */
static bool has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        p += *p == '/';
    }
    return false;
}

bool lsd_spec_output_valid(const char *url)
{
    size_t n = strlen(url);
    if (n == 0 || n >= LSD_URL_MAX || !printable(url))
        return false;
    if (has_host(url, "rtmp://") || has_host(url, "rtmps://"))
        return true;
    /* A file: a name with a stem, no other scheme, no way up. Where it really goes
     * (symlinks, absolute paths) is the recordings directory's check (recordings.c). */
    return n > 4 && strcasecmp(url + n - 4, ".flv") == 0 && url[n - 5] != '/' &&
           !strstr(url, "://") && !has_dotdot(url);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
           c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode [s, end) into out; no NUL may come out of it. */
static int decode(const char *s, const char *end, char *out, size_t size)
{
    size_t o = 0;
    for (; s < end; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            if (end - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0)
                return -EINVAL;
            c = hexval(s[1]) * 16 + hexval(s[2]);
            s += 2;
        }
        if (c == 0 || o + 1 >= size)
            return -EINVAL;
        out[o++] = (char)c;
    }
    if (size)
        out[o] = '\0';
    return 0;
}

int lsd_url_credentials(const char *url, char *user, size_t user_size, char *password,
                        size_t password_size)
{
    if (user_size)
        user[0] = '\0';
    if (password_size)
        password[0] = '\0';
    const char *sep = strstr(url, "://");
    if (!sep)
        return -EINVAL;
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#"), *at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return 0;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (decode(auth, colon ? colon : at, user, user_size) < 0)
        return -EINVAL;
    return colon ? decode(colon + 1, at, password, password_size) : 0;
}
