/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * EXPERIMENT, not library code: the cheapest relay we can think of, to bound
 * what a redesigned input/output path could cost. N threads, each one doing
 * everything for one camera on ONE thread with plain blocking sockets:
 *
 *   RTSP (DESCRIBE / SETUP every track interleaved / PLAY), read in 64 KiB
 *   chunks (not 3 reads per RTP packet as FFmpeg's RTSP demuxer does);
 *   RTP depacketised here (H.264 single NAL / STAP-A / FU-A, AAC mpeg4-generic),
 *   a video frame ends at the RTP marker bit (no one-frame parser hold);
 *   each FLV tag body sent as ONE RTMP message, all its 4096-byte chunks in one
 *   writev(), on the same thread (no hand-off to an output thread).
 *
 * No reconnects, no authentication, no GOP cache, no H.265, no timestamp
 * repair, no metadata: only the per-packet work. It speaks to the test camera
 * and nginx-rtmp only. tests/bench/run.py runs it with --tools proto; the
 * output format is bench_relays' (baseline / started / streaming /
 * window_start / window_end / result lines).
 *
 *   proto_relay --input rtsp://127.0.0.1:P/h264_720p --output-prefix rtmp://127.0.0.1:Q/live/proto
 *               --n N [--seconds 20] [--settle 3] [--start-timeout 60] [--hold] [--tick-ms T]
 *               [--workers W]
 *
 * --tick-ms T: read the camera at most once every T ms (everything that arrived meanwhile at
 * once): fewer wake-ups for up to T ms more latency.
 * --workers W: set up each relay on its own thread, then stream all of them from W epoll
 * threads (an event-loop design) instead of one blocking thread per relay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RTMP_CHUNK 4096 /* as FFmpeg: same chunk count for nginx to parse */

struct proto {
    int i;
    const char *input, *prefix;
    int rtsp, rtmp;
    char host[64];
    int port;
    char base[512], vctl[512], actl[512];
    uint8_t sps[256], pps[256];
    size_t sps_len, pps_len;
    uint8_t asc[16];
    size_t asc_len;
    int arate;
    /* state */
    uint8_t *frame;
    size_t frame_len, frame_cap;
    bool frame_key, frame_bad, key_seen, headers_sent;
    uint32_t cur_ts;
    bool have_v0, have_a0;
    uint32_t v0, a0;
    uint32_t stream_id;
    size_t fu_at;
    bool fu_open;
    char session[128];
    int64_t last_keepalive_us;
    atomic_ullong first_video_us, frames_out, bytes_out;
    atomic_int failed;
    int64_t t0_us;
    pthread_t thread;
};

static atomic_bool stop_all;
static int tick_us; /* --tick-ms: read at most once per tick (user-space interrupt moderation) */
static int n_workers; /* --workers W: W epoll threads stream every relay (0: a thread each) */
static int *epfds;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_url(const char *url, const char *scheme, char *host, size_t hcap, int *port,
                     const char **path)
{
    size_t n = strlen(scheme);
    if (strncmp(url, scheme, n))
        return -1;
    const char *h = url + n, *colon = strchr(h, ':'), *slash = strchr(h, '/');
    if (!colon || !slash || colon > slash || (size_t)(colon - h) >= hcap)
        return -1;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = 0;
    *port = atoi(colon + 1);
    *path = slash;
    return 0;
}

static int dial(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- RTSP ------------------------------------------------------------------------------ */

/** Send a request and read the response (headers + body) into resp. */
static int rtsp_req(struct proto *p, int cseq, const char *method, const char *url,
                    const char *extra, char *resp, size_t cap)
{
    char req[2048];
    int n = snprintf(req, sizeof(req), "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: proto\r\n%s\r\n",
                     method, url, cseq, extra);
    if (send_all(p->rtsp, req, (size_t)n) < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(p->rtsp, resp + len, cap - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        resp[len] = 0;
        char *end = strstr(resp, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(resp, "\nContent-Length:");
        size_t body = cl && cl < end ? (size_t)atoi(cl + 16) : 0;
        if (len >= (size_t)(end + 4 - resp) + body)
            break;
    }
    return strncmp(resp, "RTSP/1.0 200", 12) ? -1 : 0;
}

static int b64dec(const char *in, size_t n, uint8_t *out, size_t cap)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        const char *c = strchr(tbl, in[i]);
        if (!c || !in[i])
            return -1;
        acc = acc << 6 | (uint32_t)(c - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (int)o;
}

static void sdp_parse(struct proto *p, const char *sdp)
{
    const char *m = strstr(sdp, "m=video"), *a = strstr(sdp, "m=audio");
    const char *line;
    if (m && (line = strstr(m, "a=control:")) && (!a || a < m || line < a))
        sscanf(line + 10, "%511[^\r\n]", p->vctl);
    if (a && (line = strstr(a, "a=control:")) && (!m || m < a || line < m || 1))
        sscanf(line + 10, "%511[^\r\n]", p->actl);
    const char *sp = strstr(sdp, "sprop-parameter-sets=");
    if (sp) {
        sp += 21;
        const char *comma = strchr(sp, ','), *end = sp + strcspn(sp, ";\r\n");
        if (comma && comma < end) {
            int n = b64dec(sp, (size_t)(comma - sp), p->sps, sizeof(p->sps));
            p->sps_len = n > 0 ? (size_t)n : 0;
            n = b64dec(comma + 1, (size_t)(end - comma - 1), p->pps, sizeof(p->pps));
            p->pps_len = n > 0 ? (size_t)n : 0;
        }
    }
    const char *cfg = a ? strstr(a, "config=") : NULL;
    if (cfg) {
        cfg += 7;
        while (p->asc_len < sizeof(p->asc) && cfg[0] && cfg[1] && strchr("0123456789abcdefABCDEF", cfg[0]) &&
               strchr("0123456789abcdefABCDEF", cfg[1])) {
            unsigned v;
            sscanf(cfg, "%2x", &v);
            p->asc[p->asc_len++] = (uint8_t)v;
            cfg += 2;
        }
    }
    const char *rm = a ? strstr(a, "MPEG4-GENERIC/") : NULL;
    p->arate = rm ? atoi(rm + 14) : 48000;
}

static void ctl_url(const struct proto *p, const char *ctl, char *out, size_t cap)
{
    if (!strncmp(ctl, "rtsp://", 7))
        snprintf(out, cap, "%s", ctl);
    else
        snprintf(out, cap, "%s%s%s", p->base, p->base[strlen(p->base) - 1] == '/' ? "" : "/", ctl);
}

static int rtsp_open(struct proto *p)
{
    const char *path;
    if (parse_url(p->input, "rtsp://", p->host, sizeof(p->host), &p->port, &path) < 0)
        return -1;
    if ((p->rtsp = dial(p->host, p->port)) < 0)
        return -1;
    static __thread char resp[16384];
    if (rtsp_req(p, 1, "DESCRIBE", p->input, "Accept: application/sdp\r\n", resp, sizeof(resp)) < 0)
        return -1;
    char *cb = strcasestr(resp, "\nContent-Base:");
    if (cb)
        sscanf(cb + 14, " %511[^\r\n]", p->base);
    else
        snprintf(p->base, sizeof(p->base), "%s", p->input);
    char *body = strstr(resp, "\r\n\r\n");
    sdp_parse(p, body ? body + 4 : "");
    char url[600], extra[256];
    char *session = p->session;
    ctl_url(p, p->vctl, url, sizeof(url));
    if (rtsp_req(p, 2, "SETUP", url, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n", resp,
                 sizeof(resp)) < 0)
        return -1;
    char *s = strcasestr(resp, "\nSession:");
    if (s)
        sscanf(s + 9, " %127[^;\r\n]", p->session);
    if (p->actl[0]) {
        ctl_url(p, p->actl, url, sizeof(url));
        snprintf(extra, sizeof(extra),
                 "Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\nSession: %s\r\n", session);
        if (rtsp_req(p, 3, "SETUP", url, extra, resp, sizeof(resp)) < 0)
            return -1;
    }
    snprintf(extra, sizeof(extra), "Session: %s\r\nRange: npt=0.000-\r\n", session);
    return rtsp_req(p, 4, "PLAY", p->base, extra, resp, sizeof(resp));
}

/* ---- RTMP ------------------------------------------------------------------------------ */

static size_t amf_str(uint8_t *o, const char *s)
{
    size_t n = strlen(s);
    o[0] = 2;
    o[1] = (uint8_t)(n >> 8);
    o[2] = (uint8_t)n;
    memcpy(o + 3, s, n);
    return 3 + n;
}

static size_t amf_num(uint8_t *o, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    o[0] = 0;
    for (int i = 0; i < 8; i++)
        o[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    return 9;
}

static size_t amf_key(uint8_t *o, const char *k)
{
    size_t n = strlen(k);
    o[0] = (uint8_t)(n >> 8);
    o[1] = (uint8_t)n;
    memcpy(o + 2, k, n);
    return 2 + n;
}

/** One RTMP message: type-0 header, then its chunks (type-3 headers between), ONE writev. */
static int rtmp_msg(struct proto *p, int csid, uint8_t type, uint32_t msid, uint32_t ts,
                    const uint8_t *body, size_t len)
{
    uint8_t h[12];
    uint8_t marker = (uint8_t)(0xC0 | csid);
    uint32_t t = ts & 0xFFFFFF; /* the experiment runs minutes: no extended timestamps */
    h[0] = (uint8_t)csid;
    h[1] = (uint8_t)(t >> 16), h[2] = (uint8_t)(t >> 8), h[3] = (uint8_t)t;
    h[4] = (uint8_t)(len >> 16), h[5] = (uint8_t)(len >> 8), h[6] = (uint8_t)len;
    h[7] = type;
    h[8] = (uint8_t)msid, h[9] = (uint8_t)(msid >> 8), h[10] = (uint8_t)(msid >> 16),
    h[11] = (uint8_t)(msid >> 24);
    struct iovec iov[1 + 2 * 256];
    int niov = 0;
    size_t total = 0;
    iov[niov++] = (struct iovec){h, sizeof(h)};
    total += sizeof(h);
    for (size_t off = 0; off < len || (!len && !off); off += RTMP_CHUNK) {
        if (off) {
            iov[niov++] = (struct iovec){&marker, 1};
            total++;
        }
        size_t k = len - off < RTMP_CHUNK ? len - off : RTMP_CHUNK;
        iov[niov++] = (struct iovec){(void *)(body + off), k};
        total += k;
        if (niov > (int)(sizeof(iov) / sizeof(iov[0])) - 2 || !len)
            break;
    }
    struct iovec *v = iov;
    while (total) {
        ssize_t n = writev(p->rtmp, v, niov);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        total -= (size_t)n;
        while (n && niov) {
            size_t k = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;
            v->iov_base = (uint8_t *)v->iov_base + k;
            v->iov_len -= k;
            n -= (ssize_t)k;
            if (!v->iov_len)
                v++, niov--;
        }
    }
    return 0;
}

/** Read server messages until a command whose first bytes contain @p want (crude). */
static int rtmp_wait(struct proto *p, const char *want, uint32_t *num_out)
{
    static __thread uint8_t buf[65536];
    size_t len = 0;
    int64_t deadline = now_us() + 5000000;
    while (now_us() < deadline) {
        ssize_t n = recv(p->rtmp, buf + len, sizeof(buf) - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        uint8_t *hit = memmem(buf, len, want, strlen(want));
        if (hit) {
            if (num_out) {
                /* _result, txn, null, <number>: take the last AMF number in the buffer */
                uint8_t *q = buf + len;
                while (q > buf + 9 && q[-9] != 0)
                    q--;
                if (q > buf + 9) {
                    uint64_t v = 0;
                    for (int i = 0; i < 8; i++)
                        v = v << 8 | q[-8 + i];
                    double d;
                    memcpy(&d, &v, 8);
                    *num_out = (uint32_t)d;
                }
            }
            return 0;
        }
        if (len == sizeof(buf))
            len = 0;
    }
    return -1;
}

static int rtmp_open(struct proto *p)
{
    char host[64], app[64], name[128], tc[256], url[512];
    int port;
    const char *path;
    snprintf(url, sizeof(url), "%s%d", p->prefix, p->i);
    if (parse_url(url, "rtmp://", host, sizeof(host), &port, &path) < 0 ||
        sscanf(path, "/%63[^/]/%127s", app, name) != 2)
        return -1;
    snprintf(tc, sizeof(tc), "rtmp://%s:%d/%s", host, port, app);
    if ((p->rtmp = dial(host, port)) < 0)
        return -1;
    static __thread uint8_t hs[1 + 1536 * 2];
    memset(hs, 0, sizeof(hs));
    hs[0] = 3;
    if (send_all(p->rtmp, hs, 1537) < 0 || recv_all(p->rtmp, hs, 1 + 1536 * 2) < 0 ||
        send_all(p->rtmp, hs + 1, 1536) < 0)
        return -1;
    uint8_t b[1024];
    uint8_t cs[4] = {RTMP_CHUNK >> 24, (RTMP_CHUNK >> 16) & 0xff, (RTMP_CHUNK >> 8) & 0xff,
                     RTMP_CHUNK & 0xff};
    if (rtmp_msg(p, 2, 1, 0, 0, cs, 4) < 0)
        return -1;
    size_t n = amf_str(b, "connect");
    n += amf_num(b + n, 1);
    b[n++] = 3;
    n += amf_key(b + n, "app");
    n += amf_str(b + n, app);
    n += amf_key(b + n, "type");
    n += amf_str(b + n, "nonprivate");
    n += amf_key(b + n, "tcUrl");
    n += amf_str(b + n, tc);
    b[n++] = 0, b[n++] = 0, b[n++] = 9;
    if (rtmp_msg(p, 3, 20, 0, 0, b, n) < 0 || rtmp_wait(p, "NetConnection.Connect.Success", NULL) < 0)
        return -1;
    n = amf_str(b, "createStream");
    n += amf_num(b + n, 2);
    b[n++] = 5;
    p->stream_id = 1;
    if (rtmp_msg(p, 3, 20, 0, 0, b, n) < 0 || rtmp_wait(p, "_result", &p->stream_id) < 0)
        return -1;
    n = amf_str(b, "publish");
    n += amf_num(b + n, 3);
    b[n++] = 5;
    n += amf_str(b + n, name);
    n += amf_str(b + n, "live");
    if (rtmp_msg(p, 4, 20, p->stream_id, 0, b, n) < 0 ||
        rtmp_wait(p, "NetStream.Publish.Start", NULL) < 0)
        return -1;
    return 0;
}

/* ---- media ----------------------------------------------------------------------------- */

static int put(struct proto *p, const uint8_t *d, size_t n)
{
    if (p->frame_len + n > p->frame_cap) {
        size_t cap = (p->frame_len + n) * 2;
        uint8_t *f = realloc(p->frame, cap);
        if (!f)
            return -1;
        p->frame = f;
        p->frame_cap = cap;
    }
    memcpy(p->frame + p->frame_len, d, n);
    p->frame_len += n;
    return 0;
}

static void put_len(struct proto *p, size_t at, uint32_t v)
{
    p->frame[at] = (uint8_t)(v >> 24), p->frame[at + 1] = (uint8_t)(v >> 16);
    p->frame[at + 2] = (uint8_t)(v >> 8), p->frame[at + 3] = (uint8_t)v;
}

/** Start a NAL in the frame: 4-byte length placeholder; returns its offset. */
static size_t nal_begin(struct proto *p, uint8_t hdr)
{
    uint8_t z[4] = {0};
    size_t at = p->frame_len;
    put(p, z, 4);
    put(p, &hdr, 1);
    return at;
}

static bool keep_nal(uint8_t type)
{
    return type != 7 && type != 8 && type != 9 && type != 6;
}

static int send_headers(struct proto *p)
{
    uint8_t b[600];
    size_t n = 0;
    b[n++] = 0x17, b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = 0;
    b[n++] = 1, b[n++] = p->sps[1], b[n++] = p->sps[2], b[n++] = p->sps[3], b[n++] = 0xff;
    b[n++] = 0xe1, b[n++] = (uint8_t)(p->sps_len >> 8), b[n++] = (uint8_t)p->sps_len;
    memcpy(b + n, p->sps, p->sps_len), n += p->sps_len;
    b[n++] = 1, b[n++] = (uint8_t)(p->pps_len >> 8), b[n++] = (uint8_t)p->pps_len;
    memcpy(b + n, p->pps, p->pps_len), n += p->pps_len;
    if (rtmp_msg(p, 6, 9, p->stream_id, 0, b, n) < 0)
        return -1;
    if (p->asc_len) {
        uint8_t a[20] = {0xaf, 0};
        memcpy(a + 2, p->asc, p->asc_len);
        if (rtmp_msg(p, 5, 8, p->stream_id, 0, a, 2 + p->asc_len) < 0)
            return -1;
    }
    p->headers_sent = true;
    return 0;
}

static int video_frame_done(struct proto *p)
{
    /* frame buffer: 5-byte FLV video prefix + AVCC NALs */
    int err = 0;
    if (!p->frame_bad && p->frame_len > 5 && (p->key_seen || p->frame_key)) {
        p->key_seen = true;
        if (!p->headers_sent && send_headers(p) < 0)
            return -1;
        if (!p->have_v0)
            p->v0 = p->cur_ts, p->have_v0 = true;
        uint32_t ms = (uint32_t)((p->cur_ts - p->v0) / 90);
        p->frame[0] = p->frame_key ? 0x17 : 0x27;
        p->frame[1] = 1, p->frame[2] = p->frame[3] = p->frame[4] = 0;
        err = rtmp_msg(p, 6, 9, p->stream_id, ms, p->frame, p->frame_len);
        if (!err) {
            if (!p->first_video_us)
                p->first_video_us = (unsigned long long)now_us();
            p->frames_out++;
            p->bytes_out += p->frame_len;
        }
    }
    p->frame_len = 5;
    p->frame_key = p->frame_bad = p->fu_open = false;
    return err;
}

static int on_video(struct proto *p, const uint8_t *d, size_t n)
{
    if (n < 12)
        return 0;
    size_t hl = 12 + 4 * (d[0] & 0x0f);
    if (d[0] & 0x10) {
        if (n < hl + 4)
            return 0;
        hl += 4 + 4 * ((size_t)d[hl + 2] << 8 | d[hl + 3]);
    }
    if (d[0] & 0x20)
        n -= d[n - 1];
    if (n <= hl)
        return 0;
    bool marker = d[1] & 0x80;
    uint32_t ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    if (ts != p->cur_ts && p->frame_len > 5 && video_frame_done(p) < 0)
        return -1;
    p->cur_ts = ts;
    const uint8_t *pl = d + hl;
    size_t len = n - hl;
    uint8_t type = pl[0] & 0x1f;
    if (type >= 1 && type <= 23) {
        if (keep_nal(type)) {
            size_t at = nal_begin(p, pl[0]);
            put(p, pl + 1, len - 1);
            put_len(p, at, (uint32_t)len);
            p->frame_key |= type == 5;
        }
    } else if (type == 24) {
        size_t off = 1;
        while (off + 2 <= len) {
            size_t sz = (size_t)pl[off] << 8 | pl[off + 1];
            if (off + 2 + sz > len || !sz)
                break;
            uint8_t t = pl[off + 2] & 0x1f;
            if (keep_nal(t)) {
                size_t at = nal_begin(p, pl[off + 2]);
                put(p, pl + off + 3, sz - 1);
                put_len(p, at, (uint32_t)sz);
                p->frame_key |= t == 5;
            }
            off += 2 + sz;
        }
    } else if (type == 28 && len > 2) {
        uint8_t fu = pl[1], t = fu & 0x1f;
        if (keep_nal(t)) {
            if (fu & 0x80) {
                p->fu_at = nal_begin(p, (uint8_t)((pl[0] & 0xe0) | t));
                p->fu_open = true;
                p->frame_key |= t == 5;
            }
            if (!p->fu_open) {
                p->frame_bad = true; /* joined in the middle of a fragmented NAL */
            } else {
                put(p, pl + 2, len - 2);
                if (fu & 0x40) {
                    put_len(p, p->fu_at, (uint32_t)(p->frame_len - p->fu_at - 4));
                    p->fu_open = false;
                }
            }
        }
    }
    if (marker)
        return video_frame_done(p);
    return 0;
}

static int on_audio(struct proto *p, const uint8_t *d, size_t n)
{
    if (n < 16 || !p->key_seen || !p->headers_sent)
        return 0;
    size_t hl = 12 + 4 * (d[0] & 0x0f);
    uint32_t ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    if (!p->have_a0) {
        /* align audio with video on the wall clock of their first packets (good enough) */
        p->a0 = ts;
        p->have_a0 = true;
    }
    const uint8_t *pl = d + hl;
    size_t len = n - hl;
    if (len < 4)
        return 0;
    size_t au_bits = (size_t)pl[0] << 8 | pl[1];
    size_t au_bytes = (au_bits + 7) / 8;
    if (2 + au_bytes > len)
        return 0;
    uint8_t tag[2048];
    size_t body = len - 2 - au_bytes;
    if (body + 2 > sizeof(tag))
        return 0;
    tag[0] = 0xaf, tag[1] = 1;
    memcpy(tag + 2, pl + 2 + au_bytes, body);
    uint32_t ms = (uint32_t)((uint64_t)(ts - p->a0) * 1000 / (uint32_t)p->arate);
    if (rtmp_msg(p, 5, 8, p->stream_id, ms, tag, body + 2) < 0)
        return -1;
    p->bytes_out += body + 2;
    return 0;
}

/** Parse what is buffered: interleaved RTP (and skipped RTSP answers). @return <0 on error. */
static int consume(struct proto *p, uint8_t *buf, size_t *lenp)
{
    size_t len = *lenp, pos = 0;
    int64_t now = now_us();
    if (now - p->last_keepalive_us > 20000000) {
        /* keep the RTSP session alive (its answer is skipped below) */
        char ka[256];
        int kn = snprintf(ka, sizeof(ka), "OPTIONS %s RTSP/1.0\r\nCSeq: 9\r\nSession: %s\r\n\r\n",
                          p->input, p->session);
        if (p->last_keepalive_us)
            send_all(p->rtsp, ka, (size_t)kn);
        p->last_keepalive_us = now;
    }
    while (pos < len) {
        if (buf[pos] != '$') {
            uint8_t *end = memmem(buf + pos, len - pos, "\r\n\r\n", 4);
            if (!end)
                break;
            pos = (size_t)(end + 4 - buf);
            continue;
        }
        if (len - pos < 4)
            break;
        size_t plen = (size_t)buf[pos + 2] << 8 | buf[pos + 3];
        if (len - pos < 4 + plen)
            break;
        int ch = buf[pos + 1], err = 0;
        if (ch == 0)
            err = on_video(p, buf + pos + 4, plen);
        else if (ch == 2)
            err = on_audio(p, buf + pos + 4, plen);
        if (err < 0)
            return err;
        pos += 4 + plen;
    }
    memmove(buf, buf + pos, len - pos);
    *lenp = len - pos;
    return 0;
}

struct conn_buf {
    struct proto *p;
    uint8_t buf[65536];
    size_t len;
};

static void *worker_main(void *arg)
{
    int ep = *(int *)arg;
    struct epoll_event evs[64];
    while (!stop_all) {
        int n = epoll_wait(ep, evs, 64, 200);
        for (int i = 0; i < n; i++) {
            struct conn_buf *c = evs[i].data.ptr;
            ssize_t r = recv(c->p->rtsp, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                c->p->failed = 2;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->p->rtsp, NULL);
                continue;
            }
            if (r > 0) {
                c->len += (size_t)r;
                if (consume(c->p, c->buf, &c->len) < 0) {
                    c->p->failed = 3;
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->p->rtsp, NULL);
                }
            }
        }
    }
    return NULL;
}

static void *proto_main(void *arg)
{
    struct proto *p = arg;
    int tries = 0;
    for (;;) {
        /* No reconnects later, but a failed setup (e.g. a crowded camera) is retried. */
        if (rtmp_open(p) == 0 && rtsp_open(p) == 0)
            break;
        if (p->rtmp >= 0)
            close(p->rtmp);
        if (p->rtsp >= 0)
            close(p->rtsp);
        p->rtmp = p->rtsp = -1;
        if (++tries == 3) {
            p->failed = 1;
            return NULL;
        }
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    p->frame_len = 5;
    if (n_workers) {
        /* Hand the connection to a shared epoll worker; this thread ends. */
        struct conn_buf *c = calloc(1, sizeof(*c));
        if (!c) {
            p->failed = 1;
            return NULL;
        }
        c->p = p;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfds[p->i % n_workers], EPOLL_CTL_ADD, p->rtsp, &ev);
        return NULL;
    }
    uint8_t *buf = malloc(65536);
    size_t len = 0;
    int64_t next_read = 0;
    while (!stop_all && buf) {
        if (tick_us) {
            /* Sleep until the next tick, then take everything that arrived meanwhile. */
            int64_t now = now_us();
            if (next_read > now) {
                struct timespec ts = {0, (long)(next_read - now) * 1000};
                nanosleep(&ts, NULL);
            }
            next_read = now_us() + tick_us;
        }
        ssize_t n = recv(p->rtsp, buf + len, 65536 - len, 0);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            p->failed = 2;
            break;
        }
        len += (size_t)n;
        if (consume(p, buf, &len) < 0) {
            p->failed = 3;
            break;
        }
    }
    free(buf);
    return NULL;
}

/* ---- driver (same output as bench_relays) ---------------------------------------------- */

static void read_mem(long *rss, long *pss, int *threads)
{
    char line[256];
    *rss = *pss = 0;
    *threads = 0;
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            if (!strncmp(line, "Rss:", 4))
                *rss = atol(line + 4);
            else if (!strncmp(line, "Pss:", 4))
                *pss = atol(line + 4);
        }
        fclose(f);
    }
    f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof(line), f))
            if (!strncmp(line, "Threads:", 8))
                *threads = atoi(line + 8);
        fclose(f);
    }
}

static int64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (us > 0 && nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", 1, NULL, 'i'},   {"output-prefix", 1, NULL, 'o'}, {"n", 1, NULL, 'n'},
        {"seconds", 1, NULL, 's'}, {"settle", 1, NULL, 'S'},        {"start-timeout", 1, NULL, 't'},
        {"hold", 0, NULL, 'h'},    {"tick-ms", 1, NULL, 'k'},       {"workers", 1, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *prefix = NULL;
    int n = 1, c;
    double seconds = 20, settle = 3, start_timeout = 60;
    bool hold = false;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = optarg; break;
        case 'o': prefix = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'S': settle = atof(optarg); break;
        case 't': start_timeout = atof(optarg); break;
        case 'h': hold = true; break;
        case 'k': tick_us = (int)(atof(optarg) * 1000); break;
        case 'w': n_workers = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!input || !prefix || n < 1)
        return 2;
    struct proto *ps = calloc((size_t)n, sizeof(*ps));
    if (!ps)
        return 1;
    long rss0, pss0, rss1, pss1;
    int thr0, thr1;
    read_mem(&rss0, &pss0, &thr0);
    printf("{\"event\":\"baseline\",\"mem\":{\"rss_kib\":%ld,\"pss_kib\":%ld,\"threads\":%d}}\n", rss0,
           pss0, thr0);
    fflush(stdout);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    if (n_workers > 0) {
        epfds = calloc((size_t)n_workers, sizeof(int));
        for (int w = 0; w < n_workers; w++) {
            pthread_t t;
            epfds[w] = epoll_create1(0);
            if (epfds[w] < 0 || pthread_create(&t, &attr, worker_main, &epfds[w]))
                return 1;
        }
    }
    int64_t t_start = now_us();
    for (int i = 0; i < n; i++) {
        ps[i].i = i;
        ps[i].rtsp = ps[i].rtmp = -1;
        ps[i].input = input;
        ps[i].prefix = prefix;
        ps[i].t0_us = now_us();
        if (pthread_create(&ps[i].thread, &attr, proto_main, &ps[i]))
            return 1;
    }
    printf("{\"event\":\"started\",\"t0_us\":[");
    for (int i = 0; i < n; i++)
        printf("%s%" PRId64, i ? "," : "", ps[i].t0_us);
    printf("]}\n");
    fflush(stdout);
    int streaming = 0;
    while (now_us() < t_start + (int64_t)(start_timeout * 1e6)) {
        streaming = 0;
        for (int i = 0; i < n; i++)
            streaming += ps[i].first_video_us != 0;
        if (streaming == n)
            break;
        sleep_us(20000);
    }
    printf("{\"event\":\"streaming\",\"streaming\":%d,\"n\":%d,\"elapsed_ms\":%.1f}\n", streaming, n,
           (now_us() - t_start) / 1000.0);
    fflush(stdout);
    sleep_us((int64_t)(settle * 1e6));
    unsigned long long f0 = 0, f1 = 0;
    for (int i = 0; i < n; i++)
        f0 += ps[i].frames_out;
    int64_t w0 = now_us(), c0 = cpu_us();
    printf("{\"event\":\"window_start\",\"t_us\":%" PRId64 "}\n", w0);
    fflush(stdout);
    sleep_us((int64_t)(seconds * 1e6));
    int64_t w1 = now_us(), c1 = cpu_us();
    read_mem(&rss1, &pss1, &thr1);
    printf("{\"event\":\"window_end\",\"t_us\":%" PRId64 "}\n", w1);
    fflush(stdout);
    if (hold) {
        char go[16];
        if (!fgets(go, sizeof(go), stdin))
            go[0] = 0;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        f1 += ps[i].frames_out;
        failed += ps[i].failed != 0;
    }
    double pct = 100.0 * (double)(c1 - c0) / (double)(w1 - w0);
    printf("{\"event\":\"result\",\"n\":%d,\"window_s\":%.3f,\"cpu_pct_total\":%.3f,"
           "\"cpu_pct_per_relay\":%.4f,\"rss_kib_per_relay\":%.1f,\"pss_kib_per_relay\":%.1f,"
           "\"threads\":%d,\"video_fps\":%.2f,\"failed\":%d,\"first_video_ms\":[",
           n, (w1 - w0) / 1e6, pct, pct / n, (double)(rss1 - rss0) / n, (double)(pss1 - pss0) / n,
           thr1, (double)(f1 - f0) / n / ((w1 - w0) / 1e6), failed);
    for (int i = 0; i < n; i++)
        printf("%s%.1f", i ? "," : "",
               ps[i].first_video_us ? (double)((int64_t)ps[i].first_video_us - ps[i].t0_us) / 1000 : -1.0);
    printf("]}\n{\"event\":\"teardown\",\"ms\":0}\n");
    fflush(stdout);
    _exit(0); /* the experiment does not clean up */
}
