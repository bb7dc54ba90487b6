/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one redactor: camera passwords and other secrets out of URLs and
 * text (what is hidden, and why, is in include/lightstream/redact.h).
 *
 * The output is written left to right. At each input position, span_end()
 * says how far a secret starting there runs: a userinfo password, the value
 * of a secret parameter, an occurrence of the caller's secret. The writer
 * puts one mask over the union of every secret that starts inside what it
 * is already hiding, so overlapping secrets never leave a tail. Secrets are
 * found on the input whatever the output size: truncating can cut a mask
 * short, never uncover a secret.
 *
 * Every position is visited once and in order, so the current URL (in a
 * text, the next "://" up to white space) is tracked as the writer goes:
 * the whole pass is linear in the input.
 */
#include <stdbool.h>
#include <string.h>

#include "lib/util/url.h"

#define NONE ((size_t)-1)

/* Where FFmpeg (av_url_split) ends a userinfo, a host or a port. */
#define URL_SPLITS "/?#@:"

/* Parameter names whose value is a secret, compared in any case. Compound
 * names (access_token, api_key, client_secret) need no entry: '_' starts a
 * name too, so their last word matches. */
static const char *const secret_keys[] = {
    "auth", "apikey", "key", "pass", "passphrase", "passwd", "password",
    "psw", "pw", "pwd", "secret", "sign", "signature", "token",
};
#define KEY_MAX 10 /* strlen("passphrase") */

struct url {
    size_t params_from; /* a separator at or after this starts a parameter */
    size_t end;         /* one past the URL's last byte */
    size_t user_start;  /* the userinfo password [user_start, user_end), or NONE */
    size_t user_end;
};

struct redactor {
    const char *s;
    size_t n;
    bool text;           /* a free text: URLs start at "://" */
    size_t searched;     /* text: the next URL is looked for from here */
    struct url url;      /* the current URL */
    const char *secret;  /* the caller's, or NULL */
    size_t secret_len;
    bool secret_split;   /* holds a byte of URL_SPLITS: it has pieces */
    bool may_start[256]; /* bytes a match of the secret or of a piece starts with */
};

struct sink {
    char *out;
    size_t cap, len;
};

/* snprintf-like: counts everything, stores what fits, stays NUL-terminated. */
static void put(struct sink *k, const char *s, size_t n)
{
    if (k->cap > 0 && k->len < k->cap - 1) {
        size_t room = k->cap - 1 - k->len;
        size_t m = n < room ? n : room;
        memcpy(k->out + k->len, s, m);
        k->out[k->len + m] = '\0';
    }
    k->len += n;
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Where a URL inside a text ends: white space and control characters. */
static bool ends_url(char c)
{
    unsigned char u = (unsigned char)c;
    return u <= ' ' || u == 0x7f;
}

static bool in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* The userinfo password of a URL whose authority starts at @p u and which
 * ends at @p e: from the first ':' to the last '@' (see redact.h). */
static void find_userinfo(const char *s, size_t u, size_t e, struct url *url)
{
    url->user_start = url->user_end = NONE;
    if (u == NONE || u >= e)
        return;
    if (s[u] == '[') { /* an IPv6 literal host, if a port or the path follows it */
        size_t q = u + 1;
        while (q < e && s[q] != ']' && s[q] != '@')
            q++;
        if (q < e && s[q] == ']') {
            size_t p = q + 1;
            if (p < e && s[p] == ':')
                while (++p < e && s[p] >= '0' && s[p] <= '9')
                    ;
            if (p == e || in_set(s[p], "/?#"))
                return;
        }
    }
    size_t at = NONE, colon = NONE;
    for (size_t q = u; q < e; q++)
        if (s[q] == '@')
            at = q;
    for (size_t q = u; at != NONE && q < at && colon == NONE; q++)
        if (s[q] == ':')
            colon = q;
    if (colon == NONE || colon + 1 == at)
        return; /* no password, or an empty one: nothing to hide */
    url->user_start = colon + 1;
    url->user_end = at;
}

/* Text: make r->url the URL holding @p i or, if none does, the next one. */
static void track_url(struct redactor *r, size_t i)
{
    if (!r->text || i < r->url.end || r->searched >= r->n)
        return;
    const char *sep = strstr(r->s + r->searched, "://");
    if (!sep) {
        r->searched = r->n;
        return;
    }
    size_t u = (size_t)(sep - r->s) + 3, e = u;
    while (e < r->n && !ends_url(r->s[e]))
        e++;
    r->url.params_from = u;
    r->url.end = e;
    find_userinfo(r->s, u, e, &r->url);
    r->searched = e;
}

static bool is_key_char(char c)
{
    return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

static bool is_secret_key(const char *k, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
        const char *name = secret_keys[i];
        size_t j = 0;
        while (j < len && name[j] && lower(k[j]) == name[j])
            j++;
        if (j == len && name[j] == '\0')
            return true;
    }
    return false;
}

/* Does a parameter ("name=", the name without '_') start at @p k? */
static bool starts_param(const struct redactor *r, size_t k)
{
    size_t q = k;
    while (q < r->url.end && (is_alnum(r->s[q]) || r->s[q] == '.' || r->s[q] == '-'))
        q++;
    return q > k && q < r->url.end && r->s[q] == '=';
}

/* Where a secret value starting at @p v ends: at '&', at the start of the
 * next parameter, or at the end of the URL — in a text, before one closing
 * punctuation mark there ("...?pw=X: not found"), which costs at most the
 * last byte of the value. */
static size_t value_end(const struct redactor *r, size_t v)
{
    for (size_t j = v; j < r->url.end; j++) {
        if (r->s[j] == '&')
            return j;
        if (in_set(r->s[j], ";_/?") && starts_param(r, j + 1))
            return j;
    }
    size_t e = r->url.end;
    if (r->text && e > v + 1 && in_set(r->s[e - 1], ":,;.)]}>'\""))
        e--;
    return e;
}

/* If a secret parameter's value starts at @p i, where it ends; else @p i.
 * The name is read backwards from the '=' before @p i: any name ending
 * there that follows a separator (or starts a lone URL) counts. */
static size_t param_end(const struct redactor *r, size_t i)
{
    if (i == 0 || i >= r->url.end || r->s[i - 1] != '=' || i - 1 <= r->url.params_from)
        return i;
    size_t eq = i - 1;
    for (size_t k = eq; k > r->url.params_from && eq - k < KEY_MAX && is_key_char(r->s[k - 1]);
         k--) {
        size_t key = k - 1;
        bool after_sep = key > r->url.params_from ? in_set(r->s[key - 1], "?&;/_")
                                                  : !r->text && key == 0;
        if (after_sep && is_secret_key(r->s + key, eq - key))
            return value_end(r, i);
    }
    return i;
}

/* Length of [secret, secret + len) at the start of [s, s + n): each of its
 * bytes raw, percent-encoded (either hex case) or, for a space, '+'. 0 if
 * absent. */
static size_t match_secret(const char *s, size_t n, const char *secret, size_t len)
{
    size_t j = 0;
    for (const char *c = secret; c < secret + len; c++) {
        if (j < n && s[j] == *c) {
            j++;
        } else if (j < n && *c == ' ' && s[j] == '+') {
            j++;
        } else if (j + 2 < n && s[j] == '%' && hex_value(s[j + 1]) >= 0 &&
                   hex_value(s[j + 2]) >= 0 &&
                   (unsigned char)(hex_value(s[j + 1]) << 4 | hex_value(s[j + 2])) ==
                       (unsigned char)*c) {
            j += 3;
        } else {
            return 0;
        }
    }
    return j;
}

/* The secret is looked for whole and in pieces between the bytes FFmpeg
 * splits a URL at: given a password holding one of them raw, FFmpeg reads a
 * piece as a host, a port or a path and may print it. Pieces shorter than
 * PIECE_MIN are left: too common to hide, too short to tell much. */
#define PIECE_MIN 4

/* The caller's secret, and the bytes a match of it or of a piece can start
 * with (the first bytes, '%' of an escape, '+' for a space): elsewhere the
 * pieces are not even looked at. */
static void set_secret(struct redactor *r, const char *secret)
{
    r->secret = secret && *secret ? secret : NULL;
    if (!r->secret)
        return;
    r->secret_len = strlen(secret);
    r->secret_split = strcspn(secret, URL_SPLITS) < r->secret_len;
    r->may_start['%'] = true; /* percent-encoded */
    r->may_start['+'] = true; /* a space */
    r->may_start[(unsigned char)secret[0]] = true;
    for (size_t a = 0; a < r->secret_len;) {
        size_t b = a + strcspn(secret + a, URL_SPLITS);
        if (b - a >= PIECE_MIN)
            r->may_start[(unsigned char)secret[a]] = true;
        a = b + 1;
    }
}

/* The longest match of the secret, or of one of its pieces, at @p i. */
static size_t match_secret_pieces(const struct redactor *r, size_t i)
{
    const char *s = r->s + i, *secret = r->secret;
    size_t n = r->n - i, len = r->secret_len;
    if (!r->may_start[(unsigned char)*s])
        return 0;
    size_t best = match_secret(s, n, secret, len);
    for (size_t a = 0; r->secret_split && a < len;) {
        size_t b = a + strcspn(secret + a, URL_SPLITS);
        if (b - a >= PIECE_MIN) {
            size_t m = match_secret(s, n, secret + a, b - a);
            if (m > best)
                best = m;
        }
        a = b + 1;
    }
    return best;
}

/* How far the secrets starting at @p i run (@p i: none starts there). */
static size_t span_end(struct redactor *r, size_t i)
{
    track_url(r, i);
    size_t end = i;
    if (i == r->url.user_start)
        end = r->url.user_end;
    size_t p = param_end(r, i);
    if (p > end)
        end = p;
    if (r->secret) {
        size_t m = i + match_secret_pieces(r, i);
        if (m > end)
            end = m;
    }
    return end;
}

static size_t redact(const char *s, const char *secret, char *out, size_t cap, bool text)
{
    struct sink k = { out, out ? cap : 0, 0 };
    if (k.cap > 0)
        out[0] = '\0';
    s = s ? s : "";
    struct redactor r = { .s = s, .n = strlen(s), .text = text };
    set_secret(&r, secret);
    r.url.user_start = NONE;
    if (!text) { /* the whole string is the URL; a parameter may start it */
        const char *sep = strstr(s, "://");
        r.url.end = r.n;
        find_userinfo(s, sep ? (size_t)(sep - s) + 3 : NONE, r.n, &r.url);
    }
    for (size_t i = 0; i < r.n;) {
        size_t end = span_end(&r, i);
        if (end == i) {
            put(&k, s + i++, 1);
            continue;
        }
        put(&k, LS_REDACT_MASK, sizeof(LS_REDACT_MASK) - 1);
        for (size_t j = i + 1; j < end; j++) {
            size_t e = span_end(&r, j);
            if (e > end)
                end = e;
        }
        i = end;
    }
    return k.len;
}

size_t ls_url_redact(const char *url, char *out, size_t cap)
{
    return redact(url, NULL, out, cap, false);
}

size_t ls_redact_text(const char *text, const char *secret, char *out, size_t cap)
{
    return redact(text, secret, out, cap, true);
}

/* Percent-decode [s, s + n) into out; 0 if it does not fit. "%00" stays as
 * is: a C string cannot hold the NUL. */
static size_t decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (len + 1 >= cap) {
            out[0] = '\0';
            return 0;
        }
        char c = s[i];
        if (c == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0 &&
            (s[i + 1] != '0' || s[i + 2] != '0')) {
            c = (char)(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        }
        out[len++] = c;
    }
    out[len] = '\0';
    return len;
}

size_t ls_url_password(const char *url, char *out, size_t cap)
{
    if (!out || !cap)
        return 0;
    out[0] = '\0';
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep)
        return 0;
    struct url u;
    find_userinfo(url, (size_t)(sep - url) + 3, strlen(url), &u);
    if (u.user_start == NONE)
        return 0;
    return decode(url + u.user_start, u.user_end - u.user_start, out, cap);
}
