/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP messages parsed in place: see rtsp_msg.h. The head is re-scanned
 * from its start on each call until its blank line arrived; it is bounded
 * (LS_RTSP_MAX_HEAD), so a message split over many reads costs little, and
 * interleaved frames — nearly all the bytes — are recognised from their
 * first four bytes without any scan.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/input/rtsp_msg.h"

/** The end of the head (just past its blank line), 0 when not there yet. */
static size_t head_end(const uint8_t *buf, size_t size)
{
    for (size_t i = 0; i + 1 < size && i < LS_RTSP_MAX_HEAD; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < size && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static struct ls_rtsp_text trim(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    return (struct ls_rtsp_text){p, n};
}

/** "RTSP/1.0 200 OK" or "SET_PARAMETER rtsp://… RTSP/1.0" */
static int start_line(const char *p, size_t n, struct ls_rtsp_msg *msg)
{
    if (n >= 12 && !memcmp(p, "RTSP/1.", 7) && p[8] == ' ') {
        int status = 0;
        for (int i = 9; i < 12; i++) {
            if (p[i] < '0' || p[i] > '9')
                return -EBADMSG;
            status = status * 10 + (p[i] - '0');
        }
        if (status < 100 || (n > 12 && p[12] != ' ' && p[12] != '\r'))
            return -EBADMSG;
        msg->kind = LS_RTSP_REPLY;
        msg->status = status;
        return 0;
    }
    /* A request: a method of capitals, then the version at the end. */
    size_t i = 0;
    while (i < n && ((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_'))
        i++;
    struct ls_rtsp_text t = trim(p, n);
    if (i == 0 || i >= n || p[i] != ' ' || t.n < 8 || memcmp(t.p + t.n - 8, "RTSP/1.", 7))
        return -EBADMSG;
    msg->kind = LS_RTSP_REQUEST;
    return 0;
}

static void header_line(const char *p, size_t n, struct ls_rtsp_msg *msg)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || msg->n_headers == LS_RTSP_MAX_HEADERS)
        return; /* not a header (tolerated), or one too many (skipped) */
    struct ls_rtsp_header *h = &msg->headers[msg->n_headers++];
    h->name = trim(p, (size_t)(colon - p));
    h->value = trim(colon + 1, n - (size_t)(colon - p) - 1);
}

/** The body's length from Content-Length. @return it, or -EBADMSG, -EMSGSIZE. */
static long body_length(const struct ls_rtsp_msg *msg)
{
    const struct ls_rtsp_text *v = ls_rtsp_header(msg, "Content-Length");
    if (!v)
        return 0;
    long len = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->p[i] < '0' || v->p[i] > '9')
            return -EBADMSG;
        len = len * 10 + (v->p[i] - '0');
        if (len > LS_RTSP_MAX_BODY)
            return -EMSGSIZE;
    }
    return v->n ? len : -EBADMSG;
}

static int parse_text(const uint8_t *buf, size_t size, struct ls_rtsp_msg *msg)
{
    size_t end = head_end(buf, size);
    if (!end)
        return size >= LS_RTSP_MAX_HEAD ? -EMSGSIZE : 0;
    const char *p = (const char *)buf, *stop = p + end;
    const char *nl = memchr(p, '\n', end);
    int err = start_line(p, (size_t)(nl - p), msg);
    if (err < 0)
        return err;
    for (p = nl + 1; p < stop; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(stop - p));
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n)
            header_line(p, n, msg);
    }
    long body = body_length(msg);
    if (body < 0)
        return (int)body;
    if (size - end < (size_t)body)
        return 0;
    msg->body = buf + end;
    msg->body_size = (size_t)body;
    return (int)(end + (size_t)body);
}

int ls_rtsp_parse(const uint8_t *buf, size_t size, struct ls_rtsp_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    if (size == 0)
        return 0;
    if (buf[0] == '$') {
        if (size < 4)
            return 0;
        size_t len = (size_t)buf[2] << 8 | buf[3];
        if (size < 4 + len)
            return 0;
        msg->kind = LS_RTSP_DATA;
        msg->channel = buf[1];
        msg->body = buf + 4;
        msg->body_size = len;
        return (int)(4 + len);
    }
    return parse_text(buf, size, msg);
}

const struct ls_rtsp_text *ls_rtsp_header(const struct ls_rtsp_msg *msg, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i < msg->n_headers; i++) {
        const struct ls_rtsp_text *n = &msg->headers[i].name;
        if (n->n == k && !strncasecmp(n->p, name, k))
            return &msg->headers[i].value;
    }
    return NULL;
}

static int copy_text(const char *p, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return -ENOBUFS;
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(out, p, k);
    out[k] = '\0';
    return (int)k;
}

int ls_rtsp_header_copy(const struct ls_rtsp_msg *msg, const char *name, char *out, size_t cap)
{
    const struct ls_rtsp_text *v = ls_rtsp_header(msg, name);
    return v ? copy_text(v->p, v->n, out, cap) : -ENOENT;
}

int ls_rtsp_param(const struct ls_rtsp_text *value, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    const char *p = value->p, *end = value->p + value->n;
    for (bool first = true; p <= end; first = false) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *e = semi ? semi : end;
        struct ls_rtsp_text item = trim(p, (size_t)(e - p));
        if (first && k == 0)
            return copy_text(item.p, item.n, out, cap);
        if (k && item.n > k && item.p[k] == '=' && !strncasecmp(item.p, key, k))
            return copy_text(item.p + k + 1, item.n - k - 1, out, cap);
        if (!semi)
            break;
        p = semi + 1;
    }
    return -ENOENT;
}
