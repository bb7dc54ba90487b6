/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/onvif/unit/replay_util.h"

char *load_capture(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", LS_ONVIF_DATA, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    buf[n] = '\0';
    fclose(f);
    return buf;
}

void script_add(struct script *s, int status, const char *headers, const char *body)
{
    size_t i = s->replay.count;
    if (i >= SCRIPT_MAX)
        abort();
    size_t blen = strlen(body), cap = blen + 512 + (headers ? strlen(headers) : 0);
    char *a = malloc(cap);
    if (!a)
        abort();
    int n = snprintf(a, cap,
                     "HTTP/1.1 %d X\r\nContent-Type: application/soap+xml; charset=utf-8\r\n"
                     "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, headers ? headers : "", blen, body);
    s->answers[i] = a;
    s->lengths[i] = (size_t)n;
    s->replay.answers = (const char *const *)s->answers;
    s->replay.lengths = s->lengths;
    s->replay.count = i + 1;
}

void script_add_file_status(struct script *s, int status, const char *rel)
{
    char *body = load_capture(rel);
    script_add(s, status, NULL, body);
    free(body);
}

void script_add_file(struct script *s, const char *rel)
{
    script_add_file_status(s, 200, rel);
}

void script_add_file_replace(struct script *s, const char *rel, const char *from, const char *to)
{
    script_add_file_replace_status(s, 200, rel, from, to);
}

void script_add_file_replace_status(struct script *s, int status, const char *rel,
                                    const char *from, const char *to)
{
    char *body = load_capture(rel);
    size_t cap = strlen(body) * 2 + strlen(to) * 8 + 1;
    char *out = calloc(1, cap), *o = out;
    for (const char *p = body, *q; (q = strstr(p, from)); p = q + strlen(from)) {
        o += sprintf(o, "%.*s%s", (int)(q - p), p, to);
        if (!strstr(q + strlen(from), from))
            strcpy(o, q + strlen(from));
    }
    script_add(s, status, NULL, out[0] ? out : body);
    free(out);
    free(body);
}

int script_open(struct script *s, struct ls_onvif **dev, const char *user, const char *password)
{
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    st.host = "127.0.0.1";
    st.port = 8080;
    st.user = user;
    st.password = password;
    return ls_onvif_open_replay(dev, &st, &s->replay);
}

/* Requests start with "POST ". */
const char *script_request(const struct script *s, int n)
{
    static char buf[1 << 16];
    buf[0] = '\0';
    const char *p = s->replay.sent;
    for (int i = 0; p && i <= n; i++) {
        p = strstr(p, "POST ");
        if (!p)
            return buf;
        if (i < n)
            p++;
    }
    if (!p)
        return buf;
    const char *end = strstr(p + 1, "POST ");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

size_t script_requests(const struct script *s)
{
    return s->replay.next;
}

void script_free(struct script *s)
{
    for (size_t i = 0; i < s->replay.count; i++)
        free(s->answers[i]);
    free(s->replay.sent);
    memset(s, 0, sizeof(*s));
}
