/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native engine's RTSP dialogue: OPTIONS, DESCRIBE, SETUP (TCP
 * interleaved, one channel pair per medium), PLAY, then keep-alives and
 * TEARDOWN. A 401 is answered once per challenge (a stale nonce gets a new
 * answer; the same nonce twice means a wrong password: -EACCES, and the
 * relay's slow floor after authentication failures applies, as with
 * libavformat). Requests carry the URL without its userinfo, and no error or
 * log line here names the password.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/clock.h"
#include "lib/util/url.h"
#include "lib/input/native_private.h"

/** A 3xx reply to OPTIONS or DESCRIBE: the dialogue starts again at its Location. */
#define REDIRECTED (-EREMCHG)
/** Redirects followed in one open, at most. */
#define MAX_REDIRECTS 3

static int status_error(int status)
{
    if (status >= 200 && status < 300)
        return 0;
    switch (status) {
    case 401:
    case 403:
        return -EACCES;
    case 404:
    case 454:
        return -ENOENT;
    case 461:
        return -EPROTONOSUPPORT;
    case 503:
        return -EAGAIN;
    default:
        return -EPROTO;
    }
}

static int send_request(struct native_input *in, const char *method, const char *url,
                        const char *extra, int64_t deadline_us)
{
    char auth[1536], session[300] = "", req[4096];
    if (ls_rtsp_auth_line(&in->auth, method, url, auth, sizeof(auth)) < 0)
        return -ENAMETOOLONG;
    if (in->session[0])
        snprintf(session, sizeof(session), "Session: %s\r\n", in->session);
    int n = snprintf(req, sizeof(req),
                     "%s %s RTSP/1.0\r\nCSeq: %u\r\nUser-Agent: liblightstream\r\n%s%s%s\r\n",
                     method, url, ++in->cseq, auth, session, extra);
    explicit_bzero(auth, sizeof(auth));
    if (n < 0 || (size_t)n >= sizeof(req))
        return -ENAMETOOLONG;
    int err = ls_rtsp_conn_send(&in->conn, req, (size_t)n, deadline_us);
    explicit_bzero(req, sizeof(req));
    return err;
}

static unsigned cseq_of(const struct ls_rtsp_msg *msg)
{
    char v[16];
    return ls_rtsp_header_copy(msg, "CSeq", v, sizeof(v)) > 0 ? (unsigned)strtoul(v, NULL, 10)
                                                              : 0;
}

/** The reply to our last request; what comes before it is skipped. It stays in the buffer
 * (msg points into it) until done_reply(). */
static int wait_reply(struct native_input *in, struct ls_rtsp_msg *msg, int64_t deadline_us)
{
    struct ls_rtsp_conn *c = &in->conn;
    for (;;) {
        int r = ls_rtsp_parse(c->buf + c->start, c->end - c->start, msg);
        if (r < 0)
            return -EBADMSG;
        if (r == 0) {
            int err = ls_rtsp_conn_fill(c, deadline_us);
            /* Closed in the middle of a reply: a truncated message; between two: EOF. */
            if (err == -ENODATA && c->end > c->start)
                return -EBADMSG;
            if (err == -EMSGSIZE)
                return -EBADMSG;
            if (err < 0)
                return err;
            continue;
        }
        if (msg->kind == LS_RTSP_REPLY && cseq_of(msg) == in->cseq) {
            in->reply_size = (size_t)r;
            return 0;
        }
        c->start += (size_t)r;
    }
}

static void done_reply(struct native_input *in)
{
    in->conn.start += in->reply_size;
    in->reply_size = 0;
}

/** A request and its reply, answering authentication challenges. On success the reply is
 * in @p msg until done_reply(). */
static int transact(struct native_input *in, const char *method, const char *url,
                    const char *extra, struct ls_rtsp_msg *msg, int64_t deadline_us)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int err = send_request(in, method, url, extra, deadline_us);
        if (err == 0)
            err = wait_reply(in, msg, deadline_us);
        if (err < 0)
            return err;
        if (msg->status >= 300 && msg->status < 400 && msg->status != 304 &&
            ls_rtsp_header_copy(msg, "Location", in->redirect, sizeof(in->redirect)) > 0) {
            done_reply(in);
            return REDIRECTED;
        }
        if (msg->status != 401) {
            err = status_error(msg->status);
            if (err < 0)
                done_reply(in);
            return err;
        }
        err = ls_rtsp_auth_challenge(&in->auth, msg, (unsigned)ls_now_us() ^ in->cseq);
        done_reply(in);
        if (err < 0)
            return -EACCES;
        ls_log_debug(in->log, "native: %s answered with %s%s", method,
                     in->auth.digest ? "Digest" : "Basic", in->auth.qop_auth ? " (qop=auth)" : "");
    }
    return -EACCES;
}

static int options(struct native_input *in, int64_t deadline_us)
{
    struct ls_rtsp_msg msg;
    int err = transact(in, "OPTIONS", in->url.request, "", &msg, deadline_us);
    if (err < 0)
        return err;
    const struct ls_rtsp_text *pub = ls_rtsp_header(&msg, "Public");
    in->get_parameter = pub && memmem(pub->p, pub->n, "GET_PARAMETER", 13);
    done_reply(in);
    return 0;
}

static int describe(struct native_input *in, int64_t deadline_us)
{
    struct ls_rtsp_msg msg;
    int err = transact(in, "DESCRIBE", in->url.request, "Accept: application/sdp\r\n", &msg,
                       deadline_us);
    if (err < 0)
        return err;
    if (ls_rtsp_header_copy(&msg, "Content-Base", in->base_url, sizeof(in->base_url)) <= 0 &&
        ls_rtsp_header_copy(&msg, "Content-Location", in->base_url, sizeof(in->base_url)) <= 0)
        snprintf(in->base_url, sizeof(in->base_url), "%s", in->url.request);
    err = ls_sdp_parse((const char *)msg.body, msg.body_size, &in->sdp);
    done_reply(in);
    return err < 0 ? -EBADMSG : 0;
}

static bool relayable(const struct ls_sdp_media *m)
{
    if (m->kind == LS_SDP_VIDEO)
        return m->codec == LS_CODEC_H264 || m->codec == LS_CODEC_H265;
    return m->kind == LS_SDP_AUDIO && (m->codec == LS_CODEC_AAC || m->codec == LS_CODEC_PCMA ||
                                       m->codec == LS_CODEC_PCMU);
}

static void pick_media(struct native_input *in)
{
    for (size_t i = 0; i < in->sdp.n_media; i++) {
        const struct ls_sdp_media *m = &in->sdp.media[i];
        if (!relayable(m) || m->clock_rate == 0)
            continue;
        struct native_stream *st = m->kind == LS_SDP_VIDEO ? &in->video : &in->audio;
        if (!st->media)
            st->media = m;
    }
    in->video.channel = 0;
    in->audio.channel = 2;
}

/** Session: id[;timeout=N] */
static void take_session(struct native_input *in, const struct ls_rtsp_msg *msg)
{
    const struct ls_rtsp_text *v = ls_rtsp_header(msg, "Session");
    char t[16];
    if (!v)
        return;
    ls_rtsp_param(v, "", in->session, sizeof(in->session));
    if (ls_rtsp_param(v, "timeout", t, sizeof(t)) > 0 && atoi(t) > 0)
        in->session_timeout_s = (uint32_t)atoi(t);
}

static int setup(struct native_input *in, struct native_stream *st, int64_t deadline_us)
{
    if (ls_sdp_control_url(in->base_url, st->media->control, st->url, sizeof(st->url)) < 0)
        return -ENAMETOOLONG;
    char transport[96], v[32];
    snprintf(transport, sizeof(transport),
             "Transport: RTP/AVP/TCP;unicast;interleaved=%u-%u\r\n", st->channel,
             st->channel + 1);
    struct ls_rtsp_msg msg;
    int err = transact(in, "SETUP", st->url, transport, &msg, deadline_us);
    if (err < 0)
        return err;
    take_session(in, &msg);
    /* The server may choose other channels. */
    const struct ls_rtsp_text *t = ls_rtsp_header(&msg, "Transport");
    if (t && ls_rtsp_param(t, "interleaved", v, sizeof(v)) > 0)
        st->channel = (uint8_t)atoi(v);
    done_reply(in);
    struct ls_depack_settings ds = {
        .codec = st->media->codec,
        .size_length = st->media->size_length,
        .index_length = st->media->index_length,
        .index_delta_length = st->media->index_delta_length,
    };
    err = ls_depack_init(&st->depack, &ds);
    st->depack_ready = err == 0;
    return err;
}

/** RTP-Info: url=…;seq=…;rtptime=…, one entry per medium: each stream's time zero. */
static void take_rtp_info(struct native_input *in, const struct ls_rtsp_msg *msg)
{
    const struct ls_rtsp_text *v = ls_rtsp_header(msg, "RTP-Info");
    struct native_stream *streams[2] = {&in->video, &in->audio};
    if (!v)
        return;
    const char *p = v->p, *end = v->p + v->n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        struct ls_rtsp_text entry = {p, (size_t)((comma ? comma : end) - p)};
        char url[1024], rtptime[16];
        p = comma ? comma + 1 : end;
        if (ls_rtsp_param(&entry, "url", url, sizeof(url)) <= 0 ||
            ls_rtsp_param(&entry, "rtptime", rtptime, sizeof(rtptime)) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            struct native_stream *st = streams[i];
            size_t ul = strlen(url), cl = st->media ? strlen(st->media->control) : 0;
            bool match = st->depack_ready &&
                         (!strcmp(url, st->url) ||
                          (cl && ul >= cl && !strcmp(url + ul - cl, st->media->control)));
            if (match)
                ls_depack_set_base(&st->depack, (uint32_t)strtoul(rtptime, NULL, 10));
        }
    }
}

static int play(struct native_input *in, int64_t deadline_us)
{
    char url[1024];
    if (ls_sdp_control_url(in->base_url, in->sdp.control, url, sizeof(url)) < 0)
        return -ENAMETOOLONG;
    struct ls_rtsp_msg msg;
    int err = transact(in, "PLAY", url, "Range: npt=0.000-\r\n", &msg, deadline_us);
    if (err < 0)
        return err;
    take_rtp_info(in, &msg);
    done_reply(in);
    in->next_keepalive_us = ls_now_us() + (int64_t)in->session_timeout_s * 500000;
    return 0;
}

/** Take the redirect's URL, keeping our credentials when it names none. Closes the
 * connection: the next one goes to the new host. */
static int follow(struct native_input *in)
{
    struct ls_rtsp_url u;
    char shown[1024];
    ls_url_redact(in->redirect, shown, sizeof(shown));
    int err = ls_rtsp_url_parse(in->redirect, &u);
    explicit_bzero(in->redirect, sizeof(in->redirect));
    if (err < 0)
        return err == -EINVAL ? -EPROTONOSUPPORT : err; /* rtsps:// or garbage */
    ls_log_info(in->log, "native: redirected to %s", shown);
    if (u.user[0]) {
        memcpy(in->auth.user, u.user, sizeof(in->auth.user));
        memcpy(in->auth.pass, u.pass, sizeof(in->auth.pass));
    }
    in->url = u;
    explicit_bzero(&u, sizeof(u));
    in->auth.digest = in->auth.basic = false;
    ls_rtsp_conn_close(&in->conn);
    return 0;
}

/** Connect, OPTIONS, DESCRIBE, following redirects. */
static int describe_following(struct native_input *in, int64_t deadline_us)
{
    for (int hops = 0;; hops++) {
        int err = ls_rtsp_conn_open(&in->conn, in->url.host, in->url.port, deadline_us,
                                    in->stop);
        if (err == 0 && (err = options(in, deadline_us)) == 0)
            err = describe(in, deadline_us);
        if (err != REDIRECTED)
            return err;
        if (hops == MAX_REDIRECTS)
            return -ELOOP;
        if ((err = follow(in)) < 0)
            return err;
    }
}

int ls_native_session_open(struct native_input *in, int64_t deadline_us)
{
    in->session_timeout_s = 60;
    int err = describe_following(in, deadline_us);
    if (err < 0)
        return err;
    pick_media(in);
    if (!in->video.media && !in->audio.media)
        return -ENOTSUP;
    if (in->video.media && (err = setup(in, &in->video, deadline_us)) < 0)
        return err;
    if (in->audio.media && (err = setup(in, &in->audio, deadline_us)) < 0)
        return err;
    return play(in, deadline_us);
}

int ls_native_session_keepalive(struct native_input *in)
{
    int64_t now = ls_now_us();
    if (now < in->next_keepalive_us)
        return 0;
    /* Half the session timeout: well within it even when a reply is slow. */
    in->next_keepalive_us = now + (int64_t)in->session_timeout_s * 500000;
    return send_request(in, in->get_parameter ? "GET_PARAMETER" : "OPTIONS", in->url.request,
                        "", now + 1000 * 1000);
}

void ls_native_session_teardown(struct native_input *in)
{
    if (in->conn.fd < 0 || !in->session[0])
        return;
    char url[1024];
    if (ls_sdp_control_url(in->base_url, in->sdp.control, url, sizeof(url)) == 0)
        send_request(in, "TEARDOWN", url, "", ls_now_us() + 200 * 1000);
}
