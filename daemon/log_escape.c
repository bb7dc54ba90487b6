/*
 * Log lines that outside text cannot forge (see log.h): whatever a client,
 * a camera or FFmpeg put in a message, a log line stays one line of
 * printable UTF-8. Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/log.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_length(const unsigned char *p, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4)
        return 0;
    uint32_t c = p[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* Characters that end or rewrite a line somewhere: C1 controls (NEL, CSI)
 * and the Unicode line and paragraph separators. */
static bool hidden_break(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

struct out {
    char *p;
    size_t size, n;
};

/* Whole pieces only: a cut line never ends in half an escape. */
static bool put(struct out *o, const char *s, size_t len)
{
    if (o->n + len + 1 > o->size)
        return false;
    memcpy(o->p + o->n, s, len);
    o->n += len;
    return true;
}

static bool put_escaped(struct out *o, const unsigned char *s, size_t len)
{
    char e[24]; /* four bytes at most, four characters each */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '\n': memcpy(e + n, "\\n", 2); n += 2; break;
        case '\r': memcpy(e + n, "\\r", 2); n += 2; break;
        case '\t': memcpy(e + n, "\\t", 2); n += 2; break;
        default: n += (size_t)snprintf(e + n, sizeof(e) - n, "\\x%02x", s[i]); break;
        }
    }
    return put(o, e, n);
}

size_t lsd_log_escape(const char *in, char *out, size_t size)
{
    struct out o = {out, size, 0};
    const unsigned char *p = (const unsigned char *)in;
    if (!size)
        return 0;
    while (*p) {
        uint32_t cp = 0;
        size_t len = *p < 0x80 ? 1 : utf8_length(p, &cp);
        bool plain = len == 1 ? (*p >= 0x20 && *p != 0x7F) : len > 1 && !hidden_break(cp);
        if (!len)
            len = 1; /* not UTF-8: that one byte, escaped */
        if (!(plain ? put(&o, (const char *)p, len) : put_escaped(&o, p, len)))
            break;
        p += len;
    }
    out[o.n] = '\0';
    return o.n;
}
