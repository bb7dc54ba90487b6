/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the redaction property (lightstream/redact.h): whatever
 * the password and wherever a camera URL carries it, no 4 consecutive
 * characters of it survive ls_url_redact() or ls_redact_text().
 *
 * The input is read as: a URL shape (byte 0), flags (byte 1), then the
 * password, one byte per character. The target builds the URL — the
 * password raw (every printable character, every reserved one included),
 * or percent-encoded (any byte), as users paste and as tools build them —
 * redacts it alone and inside a log line (quoted, followed by a message,
 * beside the bare password when its decoded form is the secret), and
 * aborts when a window of 4 characters of the password, as given or as
 * written in the URL, is found in a result.
 *
 * Only windows that could come from the password alone are looked for:
 * every third character of a password is a marker letter (G to Z), which
 * neither the URL around it, the log line, the mask nor percent-encoding
 * ever writes, and a window holding one is searched for.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/util/url.h"

#define PASSWORD_MAX 200
#define WINDOW 4

enum where { USERINFO, PARAM };

/* "%s" is where the password goes; every other byte is lower case, digits
 * or punctuation, never a marker. */
static const struct shape {
    enum where where;
    const char *url;
} shapes[] = {
    { USERINFO, "rtsp://admin:%s@127.0.0.1:554/live" },
    { USERINFO, "rtsp://admin:%s@cam.local/x/y?channel=1&subtype=0" },
    { USERINFO, "rtsps://admin:%s@[fe80::1%25eth0]:8554/x" },
    { USERINFO, "rtsp://me@example.com:%s@cam/x" },
    { USERINFO, "rtsp://admin:%s@cam/live@main" },
    { USERINFO, "rtsp://:%s@10.0.0.1" },
    { USERINFO, "rtmp://pub:%s@127.0.0.1:1935/live/x?a=1" },
    { PARAM, "rtsp://h:554/x;user=admin;password=%s;x=1" },
    { PARAM, "rtsp://h/x?pw=%s" },
    { PARAM, "rtsp://h:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=%s" },
    { PARAM, "rtsp://h:554/user=admin_password=%s_channel=1&stream=0.sdp?real_stream" },
    { PARAM, "rtsp://h/user=admin&pwd=%s&channel=1&stream=0.sdp" },
    { PARAM, "rtsp://h/x?passwd=%s#frag" },
    { PARAM, "rtsp://h/x?access_token=%s&y=1" },
    { PARAM, "rtsp://h/x?a=1&key=%s;b=2" },
    { PARAM, "rtmp://h/app/stream?secret=%s" },
    { PARAM, "rtsp://h/x?auth=%s" },
    { PARAM, "rtsp://h/x?api_key=%s/y" },
    { PARAM, "rtsp://h/x?token=%s" },
    { USERINFO, "rtsp://[::1]:%s@cam/x" }, /* user "[", as FFmpeg reads it */
};

/* Log lines a URL appears in, as FFmpeg and the library write them. */
static const char *const lines[][2] = {
    { "", "" },
    { "open '", "' failed" },
    { "\"", "\" refused" },
    { "relay x: ", ": not found" },
    { "(", ")" },
    { "tried <", ">, then gave up" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_marker(char c)
{
    return c >= 'G' && c <= 'Z';
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode what @p encode_all says, else only @p must. */
static void encode(const char *in, bool encode_all, const char *must, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if ((encode_all && !unreserved(*p)) || strchr(must, *p)) {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        } else {
            *out++ = (char)*p;
        }
    }
    *out = '\0';
}

/* No window of @p secret that holds a marker appears in @p shown. */
static void check_hidden(const char *shown, const char *secret)
{
    size_t n = strlen(secret);
    for (size_t i = 0; i + WINDOW <= n; i++) {
        bool marked = false;
        for (size_t j = i; j < i + WINDOW; j++)
            marked |= is_marker(secret[j]);
        if (!marked)
            continue;
        char w[WINDOW + 1];
        memcpy(w, secret + i, WINDOW);
        w[WINDOW] = '\0';
        if (strstr(shown, w)) {
            fprintf(stderr, "'%s' of '%s' shows in: %s\n", w, secret, shown);
            abort();
        }
    }
}

static char *redacted(const char *in, const char *secret, bool text)
{
    size_t len = text ? ls_redact_text(in, secret, NULL, 0) : ls_url_redact(in, NULL, 0);
    char *out = malloc(len + 1);
    REQUIRE(out);
    REQUIRE((text ? ls_redact_text(in, secret, out, len + 1) : ls_url_redact(in, out, len + 1)) ==
            len);
    REQUIRE(strlen(out) == len);
    return out;
}

/* The password from the input: a marker at every third place, any other
 * character between (printable when it goes in raw). */
static size_t read_password(const uint8_t *data, size_t size, bool any_byte, char *pw)
{
    size_t n = size < PASSWORD_MAX ? size : PASSWORD_MAX;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = data[i];
        if (i % 3 == 0)
            pw[i] = (char)('G' + b % 20);
        else if (any_byte)
            pw[i] = (char)(b ? b : 1);
        else
            pw[i] = (char)(0x21 + b % 94);
    }
    pw[n] = '\0';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const struct shape *sh = &shapes[data[0] % COUNT(shapes)];
    uint8_t flags = data[1];
    bool encoded = flags & 1;  /* percent-encoded (any byte), else raw (printable) */
    const char *const *line = lines[(flags >> 1) % COUNT(lines)];
    bool bare = flags & 0x80;  /* the bare password in the line too */

    char pw[PASSWORD_MAX + 1], written[3 * PASSWORD_MAX + 1];
    if (read_password(data + 2, size - 2, encoded, pw) < WINDOW)
        return 0;
    /* A parameter's value ends at '&' or at the next "name=": those two go
     * encoded even when the rest is raw, as a camera's own parser reads it. */
    encode(pw, encoded, sh->where == PARAM ? "&=" : "", written);

    char url[sizeof(written) + 128];
    const char *slot = strstr(sh->url, "%s");
    snprintf(url, sizeof(url), "%.*s%s%s", (int)(slot - sh->url), sh->url, written, slot + 2);
    char text[2 * sizeof(url)];
    snprintf(text, sizeof(text), "%s%s%s%s%s", line[0], url, line[1], bare ? " password " : "",
             bare ? pw : "");

    char secret[sizeof(url)];
    ls_url_password(url, secret, sizeof(secret));
    if (bare && strcmp(secret, pw) != 0)
        return 0; /* no secret to hide the bare one with: not a property of the redactor */

    char *a = redacted(url, NULL, false);
    char *b = redacted(text, secret[0] ? secret : NULL, true);
    char *c = redacted(text, NULL, true);
    const char *shown[] = { a, b, bare ? NULL : c };
    for (size_t i = 0; i < COUNT(shown); i++) {
        if (!shown[i])
            continue;
        check_hidden(shown[i], pw);
        check_hidden(shown[i], written);
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
