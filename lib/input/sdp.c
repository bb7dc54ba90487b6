/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SDP for the native input: see sdp.h. Lines end in CRLF or LF; attribute
 * values are copied bounded, and anything malformed inside a known attribute
 * leaves that attribute unset rather than failing the whole description
 * (cameras' SDPs are often sloppy; a missing parameter set is taken in-band).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/base64.h>

#include "lib/input/sdp.h"

/** One line: [p, p + n) without its line end. */
struct line {
    const char *p;
    size_t n;
};

static bool starts(const struct line *l, const char *prefix)
{
    size_t k = strlen(prefix);
    return l->n >= k && !strncasecmp(l->p, prefix, k);
}

/** Copy [p, p + n) into @p out (cap bytes, NUL-terminated, truncated). */
static void copy(char *out, size_t cap, const char *p, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static unsigned parse_uint(const char *p, size_t n, size_t *used)
{
    unsigned long v = 0;
    size_t i = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && v < 100000000)
        v = v * 10 + (unsigned)(p[i++] - '0');
    *used = i;
    return (unsigned)v;
}

static enum ls_codec codec_named(const char *name, size_t n)
{
    static const struct {
        const char *name;
        enum ls_codec codec;
    } names[] = {
        {"H264", LS_CODEC_H264}, {"H265", LS_CODEC_H265}, {"MPEG4-GENERIC", LS_CODEC_AAC},
        {"PCMA", LS_CODEC_PCMA}, {"PCMU", LS_CODEC_PCMU},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && !strncasecmp(name, names[i].name, n))
            return names[i].codec;
    return LS_CODEC_OTHER;
}

/** "m=video 0 RTP/AVP 96" */
static void media_line(struct ls_sdp *sdp, const struct line *l)
{
    struct ls_sdp_media *m = &sdp->media[sdp->n_media++];
    *m = (struct ls_sdp_media){.codec = LS_CODEC_OTHER, .channels = 1};
    if (starts(l, "m=video "))
        m->kind = LS_SDP_VIDEO;
    else if (starts(l, "m=audio "))
        m->kind = LS_SDP_AUDIO;
    /* The format is the fourth field. */
    size_t i = 0, field = 0;
    while (i < l->n && field < 3) {
        if (l->p[i++] == ' ') {
            field++;
            while (i < l->n && l->p[i] == ' ')
                i++;
        }
    }
    size_t used;
    unsigned pt = parse_uint(l->p + i, l->n - i, &used);
    m->payload_type = used && pt < 128 ? (uint8_t)pt : 255;
    if (used && pt == 0)
        m->codec = LS_CODEC_PCMU, m->clock_rate = 8000;
    else if (used && pt == 8)
        m->codec = LS_CODEC_PCMA, m->clock_rate = 8000;
}

/** "a=rtpmap:96 H264/90000" or "a=rtpmap:97 MPEG4-GENERIC/48000/2" (after "a=rtpmap:") */
static void rtpmap(struct ls_sdp_media *m, const char *p, size_t n)
{
    size_t used;
    unsigned pt = parse_uint(p, n, &used);
    if (!used || pt != m->payload_type || used >= n || p[used] != ' ')
        return;
    const char *name = p + used + 1, *end = p + n;
    const char *slash = memchr(name, '/', (size_t)(end - name));
    if (!slash)
        return;
    m->codec = codec_named(name, (size_t)(slash - name));
    m->clock_rate = parse_uint(slash + 1, (size_t)(end - slash - 1), &used);
    const char *ch = slash + 1 + used;
    if (ch < end && *ch == '/') {
        unsigned c = parse_uint(ch + 1, (size_t)(end - ch - 1), &used);
        if (used && c > 0 && c <= 8)
            m->channels = c;
    }
}

/** Base64 parameter sets, comma-separated, appended as Annex B. */
static void add_param_sets(struct ls_sdp_media *m, const char *v, size_t n)
{
    char b64[LS_SDP_MAX_EXTRADATA];
    while (n > 0) {
        const char *comma = memchr(v, ',', n);
        size_t k = comma ? (size_t)(comma - v) : n;
        copy(b64, sizeof(b64), v, k);
        uint8_t nal[LS_SDP_MAX_EXTRADATA];
        int len = av_base64_decode(nal, b64, (int)sizeof(nal));
        if (len > 0 && m->extradata_size + 4 + (size_t)len <= sizeof(m->extradata)) {
            memcpy(m->extradata + m->extradata_size, "\0\0\0\1", 4);
            memcpy(m->extradata + m->extradata_size + 4, nal, (size_t)len);
            m->extradata_size += 4 + (size_t)len;
        }
        v += k + (comma ? 1 : 0);
        n -= k + (comma ? 1 : 0);
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/** AAC's config=1190: the AudioSpecificConfig in hex. */
static void add_config(struct ls_sdp_media *m, const char *v, size_t n)
{
    if (n % 2 || n / 2 > sizeof(m->extradata))
        return;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(v[i]), lo = hex_digit(v[i + 1]);
        if (hi < 0 || lo < 0) {
            m->extradata_size = 0;
            return;
        }
        m->extradata[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    m->extradata_size = n / 2;
}

static void fmtp_param(struct ls_sdp_media *m, const char *k, size_t kn, const char *v, size_t vn)
{
#define KEY(name) (kn == sizeof(name) - 1 && !strncasecmp(k, name, kn))
    size_t used;
    if (KEY("sprop-parameter-sets") || KEY("sprop-vps") || KEY("sprop-sps") || KEY("sprop-pps"))
        add_param_sets(m, v, vn);
    else if (KEY("config"))
        add_config(m, v, vn);
    else if (KEY("sizelength"))
        m->size_length = parse_uint(v, vn, &used);
    else if (KEY("indexlength"))
        m->index_length = parse_uint(v, vn, &used);
    else if (KEY("indexdeltalength"))
        m->index_delta_length = parse_uint(v, vn, &used);
#undef KEY
}

/** "a=fmtp:96 k=v; k=v" (after "a=fmtp:") */
static void fmtp(struct ls_sdp_media *m, const char *p, size_t n)
{
    size_t used;
    unsigned pt = parse_uint(p, n, &used);
    if (!used || pt != m->payload_type)
        return;
    const char *s = p + used, *end = p + n;
    while (s < end) {
        while (s < end && (*s == ' ' || *s == ';'))
            s++;
        const char *semi = memchr(s, ';', (size_t)(end - s));
        const char *e = semi ? semi : end;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (eq)
            fmtp_param(m, s, (size_t)(eq - s), eq + 1, (size_t)(e - eq - 1));
        s = e;
    }
}

static void attribute(struct ls_sdp *sdp, const struct line *l)
{
    struct ls_sdp_media *m = sdp->n_media ? &sdp->media[sdp->n_media - 1] : NULL;
    if (starts(l, "a=control:")) {
        char *out = m ? m->control : sdp->control;
        copy(out, LS_SDP_MAX_CONTROL, l->p + 10, l->n - 10);
    } else if (m && starts(l, "a=rtpmap:")) {
        rtpmap(m, l->p + 9, l->n - 9);
    } else if (m && starts(l, "a=fmtp:")) {
        fmtp(m, l->p + 7, l->n - 7);
    }
}

int ls_sdp_parse(const char *text, size_t size, struct ls_sdp *sdp)
{
    memset(sdp, 0, sizeof(*sdp));
    bool any_media = false, skipping = false;
    const char *p = text, *end = text + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct line l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        p = nl ? nl + 1 : end;
        while (l.n && (l.p[l.n - 1] == '\r' || l.p[l.n - 1] == ' '))
            l.n--;
        if (starts(&l, "m=")) {
            any_media = true;
            skipping = sdp->n_media == LS_SDP_MAX_MEDIA;
            if (!skipping)
                media_line(sdp, &l);
        } else if (starts(&l, "a=") && !skipping) {
            attribute(sdp, &l);
        }
    }
    return any_media ? 0 : -EBADMSG;
}

int ls_sdp_control_url(const char *base, const char *control, char *out, size_t cap)
{
    int n;
    if (!strncasecmp(control, "rtsp://", 7) || !strncasecmp(control, "rtsps://", 8))
        n = snprintf(out, cap, "%s", control);
    else if (!control[0] || !strcmp(control, "*"))
        n = snprintf(out, cap, "%s", base);
    else {
        size_t bl = strlen(base);
        bool slash = bl && base[bl - 1] == '/';
        n = snprintf(out, cap, "%s%s%s", base, slash ? "" : "/", control);
    }
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
