/*
 * Secrets out of text (see redact.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "daemon/redact.h"

/* Query parameters whose value is a secret, as cameras and servers name them. */
static const char *const secret_keys[] = {
    "password", "passwd", "pwd", "pass", "psw", "token", "access_token", "secret", "auth",
    "key", "sign", "signature",
};

struct sink {
    char *out;
    size_t size, n;
};

static void put(struct sink *k, const char *s, size_t len)
{
    for (size_t i = 0; i < len && k->n + 1 < k->size; i++)
        k->out[k->n++] = s[i];
}

/* Where a URL's authority ends: at a path, a query, a fragment (as FFmpeg
 * splits it) or a space. Not at quotes or '<>': a password may hold them. */
static size_t authority_len(const char *auth)
{
    return strcspn(auth, "/?# \t\r\n");
}

static bool secret_key(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
        if (strlen(secret_keys[i]) == len && strncasecmp(key, secret_keys[i], len) == 0)
            return true;
    return false;
}

/* At a '?' or '&': copy "key=" and mask the value if the key is a secret.
 * Returns how many input bytes were consumed. */
static size_t query_param(struct sink *k, const char *p)
{
    size_t klen = strcspn(p + 1, "=&# \t\r\n\"'<>");
    put(k, p, 1 + klen);
    if (p[1 + klen] != '=' || !secret_key(p + 1, klen))
        return 1 + klen;
    put(k, "=****", 5);
    size_t vlen = strcspn(p + 2 + klen, "&# \t\r\n\"'<>");
    return 2 + klen + vlen;
}

void lsd_redact_text(const char *in, char *out, size_t size)
{
    struct sink k = {out, size, 0};
    if (size == 0)
        return;
    bool in_url = false;
    while (*in && k.n + 1 < size) {
        if (in[0] == ':' && in[1] == '/' && in[2] == '/') {
            const char *auth = in + 3;
            size_t span = authority_len(auth);
            const char *at = NULL; /* the last '@': a raw '@' may sit inside the password */
            for (const char *p = auth; p < auth + span; p++)
                if (*p == '@')
                    at = p;
            const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
            if (colon) {
                put(&k, in, (size_t)(colon + 1 - in));
                put(&k, "****", 4);
                in = at;
            } else {
                put(&k, in, 3);
                in += 3;
            }
            in_url = true;
            continue;
        }
        if (in_url && (*in == '?' || *in == '&')) {
            in += query_param(&k, in);
            continue;
        }
        if (strchr(" \t\r\n\"'<>", *in))
            in_url = false;
        put(&k, in, 1);
        in++;
    }
    out[k.n] = '\0';
}
