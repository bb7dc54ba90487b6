/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 2617 HTTP digest (MD5, qop=auth or none): the answer to a 401, for
 * firmware that wants HTTP digest instead of WS-Security. gSOAP's httpda
 * plugin would pull in OpenSSL; this is the few lines it takes with libavutil.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/md5.h>

#include "lib/onvif/auth.h"
#include "lib/onvif/text.h"

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y || !x)
            return false;
    }
    return true;
}

/* Reads `key=value` or `key="quoted value"` at *p; false at the end. */
static bool next_param(const char **p, char *key, size_t kcap, char *val, size_t vcap)
{
    const char *s = *p;
    while (*s == ',' || ls_onvif_is_space(*s))
        s++;
    if (!*s)
        return false;
    size_t k = 0, v = 0;
    for (; *s && *s != '=' && *s != ',' && !ls_onvif_is_space(*s); s++)
        if (k + 1 < kcap)
            key[k++] = *s;
    key[k] = '\0';
    while (ls_onvif_is_space(*s))
        s++;
    if (*s == '=') {
        s++;
        while (ls_onvif_is_space(*s))
            s++;
        bool quoted = *s == '"';
        s += quoted;
        for (; *s && (quoted ? *s != '"' : *s != ','); s++) {
            if (quoted && *s == '\\' && s[1])
                s++;
            if (v + 1 < vcap)
                val[v++] = *s;
        }
        s += quoted && *s == '"';
    }
    while (v && ls_onvif_is_space(val[v - 1]))
        v--;
    val[v] = '\0';
    *p = s;
    return true;
}

/* Does the comma/space list @p list contain the token "auth"? */
static bool lists_auth(const char *list)
{
    for (const char *s = list; *s;) {
        while (*s == ',' || ls_onvif_is_space(*s))
            s++;
        size_t n = 0;
        while (s[n] && s[n] != ',' && !ls_onvif_is_space(s[n]))
            n++;
        if (n == 4 && ieq_n(s, "auth", 4))
            return true;
        s += n;
    }
    return false;
}

int ls_onvif_parse_challenge(const char *value, struct ls_onvif_challenge *c)
{
    memset(c, 0, sizeof(*c));
    while (value && ls_onvif_is_space(*value))
        value++;
    if (!value || !ieq_n(value, "digest", 6) || (value[6] && !ls_onvif_is_space(value[6])))
        return -EINVAL;
    const char *p = value + 6;
    char key[32], val[512];
    bool qop_listed = false;
    while (next_param(&p, key, sizeof(key), val, sizeof(val))) {
        if (ls_onvif_word_eq(key, "realm"))
            snprintf(c->realm, sizeof(c->realm), "%s", val);
        else if (ls_onvif_word_eq(key, "nonce"))
            snprintf(c->nonce, sizeof(c->nonce), "%s", val);
        else if (ls_onvif_word_eq(key, "opaque"))
            snprintf(c->opaque, sizeof(c->opaque), "%s", val);
        else if (ls_onvif_word_eq(key, "algorithm") && !ls_onvif_word_eq(val, "MD5"))
            return -EINVAL;
        else if (ls_onvif_word_eq(key, "qop")) {
            qop_listed = true;
            c->qop_auth = lists_auth(val);
        }
    }
    if (!c->nonce[0] || (qop_listed && !c->qop_auth))
        return -EINVAL;
    return 0;
}

static void md5_hex(const char *text, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[16];
    av_md5_sum(h, (const uint8_t *)text, (int)strlen(text));
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[32] = '\0';
}

/* Copy into a quoted-string body: '"' and '\' get a backslash. */
static void quote(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 2 < cap; in++) {
        if (*in == '"' || *in == '\\')
            out[n++] = '\\';
        out[n++] = *in;
    }
    out[n] = '\0';
}

int ls_onvif_digest_answer(const struct ls_onvif_challenge *c,
                           const struct ls_onvif_digest_input *in, char *out, size_t cap)
{
    char a[1024], ha1[33], ha2[33], resp[33], nc[9];
    char user[300], realm[300], nonce[600], opaque[600], uri[2100], qop[300] = "", op[620] = "";
    snprintf(a, sizeof(a), "%s:%s:%s", in->user, c->realm, in->password ? in->password : "");
    md5_hex(a, ha1);
    memset(a, 0, sizeof(a)); /* it held the password */
    snprintf(a, sizeof(a), "%s:%s", in->method, in->uri);
    md5_hex(a, ha2);
    snprintf(nc, sizeof(nc), "%08x", in->nc);
    if (c->qop_auth)
        snprintf(a, sizeof(a), "%s:%s:%s:%s:auth:%s", ha1, c->nonce, nc, in->cnonce, ha2);
    else
        snprintf(a, sizeof(a), "%s:%s:%s", ha1, c->nonce, ha2);
    md5_hex(a, resp);
    memset(ha1, 0, sizeof(ha1));
    quote(in->user, user, sizeof(user));
    quote(c->realm, realm, sizeof(realm));
    quote(c->nonce, nonce, sizeof(nonce));
    quote(in->uri, uri, sizeof(uri));
    if (c->qop_auth)
        snprintf(qop, sizeof(qop), ", qop=auth, nc=%s, cnonce=\"%s\"", nc, in->cnonce);
    if (c->opaque[0]) {
        quote(c->opaque, opaque, sizeof(opaque));
        snprintf(op, sizeof(op), ", opaque=\"%s\"", opaque);
    }
    int n = snprintf(out, cap,
                     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                     "response=\"%s\", algorithm=MD5%s%s",
                     user, realm, nonce, uri, resp, qop, op);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}
