/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Password redaction for logs, stats and error messages.
 *
 * The input is scanned once for "spans" to hide: the password of each
 * `://user:password@` userinfo and the value of each password-like
 * parameter (`?token=...`, `&pwd=...`, also `/user=admin&password=...` in
 * the path as some cameras use). The output is then written left to right
 * with every span, and every occurrence of the caller's secret, replaced by
 * LS_REDACTED. Spans are found on the input, whatever the output size, so
 * truncating the output can cut a "***" short but never shows a password's
 * first characters. Where a span and a secret overlap, the union is hidden.
 *
 * The userinfo ends at the last '@' before the first '/', '?' or '#' (as
 * FFmpeg parses it), which tolerates a raw '@' in a password. A raw '/', '?'
 * or '#' in a password ends that search early ("user:pa/ss@host"): when the
 * authority then reads like user:password rather than host:port, the
 * userinfo runs to the first later '@' that is followed by a host name.
 */
#include <stdbool.h>
#include <string.h>

#include "lib/url.h"

#define NONE ((size_t)-1)

/* Output that truncates and stays NUL-terminated. */
struct sink {
    char *out;
    size_t cap, len;
};

static void put(struct sink *k, const char *s, size_t n)
{
    size_t room = k->cap - 1 - k->len;
    if (n > room)
        n = room;
    memcpy(k->out + k->len, s, n);
    k->len += n;
    k->out[k->len] = '\0';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Where a URL inside free text ends. */
static bool is_text_delim(char c)
{
    unsigned char u = (unsigned char)c;
    return u <= ' ' || u == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

/* First index in [from, to) holding one of @p set, else @p to. */
static size_t find_any(const char *s, size_t from, size_t to, const char *set)
{
    for (size_t i = from; i < to; i++)
        if (memchr(set, s[i], strlen(set)))
            return i;
    return to;
}

static size_t find_char(const char *s, size_t from, size_t to, char c)
{
    for (size_t i = from; i < to; i++)
        if (s[i] == c)
            return i;
    return NONE;
}

static size_t find_last(const char *s, size_t from, size_t to, char c)
{
    for (size_t i = to; i > from; i--)
        if (s[i - 1] == c)
            return i - 1;
    return NONE;
}

static bool all_digits(const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* Does [p, e) start with a host (name, IPv4 or [IPv6]), an optional port,
 * then the end of the authority? */
static bool host_like(const char *s, size_t p, size_t e)
{
    size_t q = p;
    if (q < e && s[q] == '[') {
        while (++q < e && s[q] != ']')
            if (!is_alnum(s[q]) && !memchr(":.%-_", s[q], 5))
                return false;
        if (q++ == e)
            return false;
    } else {
        while (q < e && (is_alnum(s[q]) || memchr(".-_~%", s[q], 5)))
            q++;
        if (q == p)
            return false;
    }
    if (q < e && s[q] == ':')
        while (++q < e && is_digit(s[q]))
            ;
    return q == e || s[q] == '/' || s[q] == '?' || s[q] == '#';
}

/* The userinfo end when a raw '/', '?' or '#' in the password cut the
 * authority [a, ls) short; see the top of the file. */
static size_t raw_password_end(const char *s, size_t a, size_t ls, size_t e)
{
    if (a == ls || s[a] == '[')
        return NONE;
    size_t colon = find_char(s, a, ls, ':');
    if (colon == NONE || all_digits(s, colon + 1, ls)) /* host:port */
        return NONE;
    for (size_t q = ls; q < e; q++)
        if (s[q] == '@' && host_like(s, q + 1, e))
            return q;
    return NONE;
}

/* The '@' ending the userinfo of the authority starting at @p a (the URL
 * ends at @p e), or NONE. *colon: the ':' before the password, or NONE. */
static size_t userinfo_end(const char *s, size_t a, size_t e, size_t *colon)
{
    size_t ls = find_any(s, a, e, "/?#");
    size_t at = find_last(s, a, ls, '@');
    if (at == NONE)
        at = raw_password_end(s, a, ls, e);
    *colon = at == NONE ? NONE : find_char(s, a, at, ':');
    return at;
}

/* If a password-like parameter name and '=' start at @p p, where its value starts. */
static size_t param_value(const char *s, size_t p, size_t e)
{
    static const char *const names[] = { "password", "passwd", "pwd", "pass", "token" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len = strlen(names[i]), j = 0;
        while (j < len && p + j < e && lower(s[p + j]) == names[i][j])
            j++;
        if (j == len && p + len < e && s[p + len] == '=')
            return p + len + 1;
    }
    return NONE;
}

/* Finds the spans to hide, in order. In free text a URL starts at "://" and
 * ends at a delimiter; a lone URL spans the whole string. */
struct spans {
    const char *s;
    size_t n;
    size_t pos;        /* next position to look at */
    size_t url_end;    /* end of the current URL (0: none yet, in text) */
    size_t param_from; /* parameters are looked for from here (past the host) */
    bool text;
    bool have;         /* [start, end) is the next span to hide */
    size_t start, end;
};

/* The authority starting after "://" at @p p: hide a non-empty password. */
static bool authority_span(struct spans *it, size_t p)
{
    size_t a = p + 3, colon;
    size_t at = userinfo_end(it->s, a, it->url_end, &colon);
    it->param_from = find_any(it->s, at == NONE ? a : at + 1, it->url_end, "/?#");
    it->pos = it->param_from;
    if (at == NONE || colon == NONE || colon + 1 == at)
        return false; /* no password, or an empty one: nothing to hide */
    it->start = colon + 1;
    it->end = at;
    return true;
}

static bool param_span(struct spans *it, size_t p)
{
    bool seg = p > 0 ? memchr("?&;/", it->s[p - 1], 4) != NULL : !it->text;
    size_t v = seg && p >= it->param_from ? param_value(it->s, p, it->url_end) : NONE;
    if (v == NONE)
        return false;
    it->pos = find_any(it->s, v, it->url_end, "&;");
    it->start = v;
    it->end = it->pos;
    return it->end > it->start;
}

static bool find_span(struct spans *it)
{
    while (it->pos < it->n) {
        size_t p = it->pos;
        if (p >= it->url_end) {
            const char *sep = strstr(it->s + p, "://");
            if (!sep)
                return false;
            p = it->pos = (size_t)(sep - it->s);
            it->url_end = p + 3;
            while (it->url_end < it->n && !is_text_delim(it->s[it->url_end]))
                it->url_end++;
        }
        if (p + 3 <= it->url_end && memcmp(it->s + p, "://", 3) == 0) {
            if (authority_span(it, p))
                return true;
            continue;
        }
        it->pos = p + 1;
        if (param_span(it, p))
            return true;
    }
    return false;
}

static void spans_advance(struct spans *it)
{
    it->have = find_span(it);
}

/* Length of the secret at the start of [s, s + n): each of its bytes raw,
 * percent-encoded (either hex case) or, for a space, '+'. 0 if absent. */
static size_t match_secret(const char *s, size_t n, const char *secret)
{
    size_t j = 0;
    for (const char *c = secret; *c; c++) {
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

/* The end of the hidden region starting at @p i and reaching at least
 * @p end: every span and every secret occurrence that starts inside it
 * extends it, so no part of either can follow the "***". */
static size_t hidden_end(struct spans *it, const char *secret, size_t i, size_t end)
{
    for (size_t j = i; j < end; j++) {
        if (secret) {
            size_t m = match_secret(it->s + j, it->n - j, secret);
            if (j + m > end)
                end = j + m;
        }
        for (; it->have && it->start < end; spans_advance(it))
            if (it->end > end)
                end = it->end;
    }
    return end;
}

static size_t redact(const char *s, const char *secret, char *out, size_t cap, bool text)
{
    if (!out || !cap)
        return 0;
    out[0] = '\0';
    if (!s)
        return 0;
    if (secret && !*secret)
        secret = NULL;
    struct sink k = { out, cap, 0 };
    size_t n = strlen(s), i = 0;
    struct spans it = { .s = s, .n = n, .url_end = text ? 0 : n, .text = text };
    spans_advance(&it);
    while (i < n && k.len + 1 < cap) {
        size_t end = i + (secret ? match_secret(s + i, n - i, secret) : 0);
        if (it.have && it.start == i && it.end > end)
            end = it.end;
        if (end == i) {
            put(&k, s + i++, 1);
            continue;
        }
        put(&k, LS_REDACTED, strlen(LS_REDACTED));
        i = hidden_end(&it, secret, i, end);
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
    size_t colon, a = (size_t)(sep - url) + 3;
    size_t at = userinfo_end(url, a, strlen(url), &colon);
    if (at == NONE || colon == NONE)
        return 0;
    return decode(url + colon + 1, at - colon - 1, out, cap);
}
