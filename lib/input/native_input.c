/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native input engine: the library's own RTSP client over TCP
 * interleaved (native_session.c speaks RTSP; rtsp_conn.c owns the socket).
 * Interleaved frames are parsed in place in the connection's buffer, each
 * RTP packet goes to its stream's depacketiser, and a video frame is handed
 * on at its marker bit — no one-frame hold as with libavformat. What it does
 * not read (rtsps, HTTP tunnelling, UDP) is libavformat's: supports() says
 * so before any I/O, and engine `auto` falls back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/clock.h"
#include "lib/input/native_private.h"

static bool native_supports(const struct ls_input_settings *s)
{
    return !strncasecmp(s->url, "rtsp://", 7) && s->transport == LS_TRANSPORT_TCP;
}

static void native_close(struct ls_input *base)
{
    struct native_input *in = (struct native_input *)base;
    if (!atomic_load(in->stop))
        ls_native_session_teardown(in);
    ls_rtsp_conn_close(&in->conn);
    ls_depack_finish(&in->video.depack);
    ls_depack_finish(&in->audio.depack);
    explicit_bzero(&in->url, sizeof(in->url));
    explicit_bzero(&in->auth, sizeof(in->auth));
    free(in);
}

static int native_open(struct ls_input **out, const struct ls_input_settings *s)
{
    *out = NULL;
    struct native_input *in = calloc(1, sizeof(*in));
    if (!in)
        return -ENOMEM;
    in->stop = s->stop;
    in->log = s->log;
    in->stall_timeout_ms = s->stall_timeout_ms;
    in->conn.fd = -1;
    in->our_ssrc = (uint32_t)ls_now_us() ^ (uint32_t)(uintptr_t)in;
    int err = ls_rtsp_url_parse(s->url, &in->url);
    if (err == 0) {
        memcpy(in->auth.user, in->url.user, sizeof(in->auth.user));
        memcpy(in->auth.pass, in->url.pass, sizeof(in->auth.pass));
        err = ls_native_session_open(in, ls_now_us() + (int64_t)s->connect_timeout_ms * 1000);
    }
    if (err < 0) {
        if (atomic_load(in->stop))
            err = -ECANCELED;
        native_close(&in->base);
        return err;
    }
    ls_log_info(in->log, "native: playing (video %s, audio %s)",
                ls_codec_name(in->video.media ? in->video.media->codec : LS_CODEC_NONE),
                ls_codec_name(in->audio.media ? in->audio.media->codec : LS_CODEC_NONE));
    *out = &in->base;
    return 0;
}

static void fill_info(const struct native_stream *st, struct ls_stream_info *info)
{
    *info = (struct ls_stream_info){0};
    if (!st->media)
        return;
    info->codec = st->media->codec;
    info->extradata = st->media->extradata_size ? st->media->extradata : NULL;
    info->extradata_size = st->media->extradata_size;
    if (st->media->kind == LS_SDP_AUDIO) {
        info->sample_rate = st->media->clock_rate;
        info->channels = st->media->channels;
    }
}

static void native_streams(const struct ls_input *base, struct ls_stream_info *video,
                           struct ls_stream_info *audio)
{
    const struct native_input *in = (const struct native_input *)base;
    fill_info(&in->video, video);
    fill_info(&in->audio, audio);
}

/** The next frame of the last RTP packet, if any is left. */
static bool next_frame(struct native_input *in, struct ls_packet *pkt, bool *is_video)
{
    if (in->pending_next >= in->pending_count)
        return false;
    const struct native_stream *st = in->pending_stream;
    const struct ls_depack_frame *f = &st->depack.out[in->pending_next++];
    *is_video = st == &in->video;
    *pkt = (struct ls_packet){
        .codec = st->media->codec,
        .data = f->data,
        .size = f->size,
        .pts = f->pts,
        .dts = *is_video ? INT64_MIN : f->pts,
        .tb_num = 1,
        .tb_den = (int)st->media->clock_rate,
        .key = !*is_video,
    };
    return true;
}

/** One interleaved frame to its depacketiser. @return 0 or -ENOMEM. */
static int data_frame(struct native_input *in, const struct ls_rtsp_msg *msg, size_t size)
{
    struct native_stream *st = NULL;
    if (in->video.depack_ready && msg->channel == in->video.channel)
        st = &in->video;
    else if (in->audio.depack_ready && msg->channel == in->audio.channel)
        st = &in->audio;
    in->pending_consume = size;
    if (in->video.depack_ready && msg->channel == in->video.channel + 1)
        ls_native_rtcp_in(&in->video, msg->body, msg->body_size);
    else if (in->audio.depack_ready && msg->channel == in->audio.channel + 1)
        ls_native_rtcp_in(&in->audio, msg->body, msg->body_size);
    if (!st)
        return 0; /* RTCP, or a channel we did not set up */
    int n = ls_depack_push(&st->depack, msg->body, msg->body_size);
    if (n == -ENOMEM)
        return n;
    in->pending_stream = st;
    in->pending_next = 0;
    in->pending_count = n > 0 ? n : 0;
    return 0;
}

/** More bytes, waking for the keep-alive. @return 0 (read or keep-alive due), or why not. */
static int fill(struct native_input *in, int64_t deadline_us)
{
    int64_t until = in->next_keepalive_us < deadline_us ? in->next_keepalive_us : deadline_us;
    int err = ls_rtsp_conn_fill(&in->conn, until);
    if (err == -ETIMEDOUT && ls_now_us() < deadline_us)
        return 0;
    if (err == -EMSGSIZE)
        return -EBADMSG;
    return err < 0 ? err : 0;
}

static int native_read(struct ls_input *base, struct ls_packet *pkt, bool *is_video)
{
    struct native_input *in = (struct native_input *)base;
    int64_t deadline_us = ls_now_us() + (int64_t)in->stall_timeout_ms * 1000;
    for (;;) {
        if (next_frame(in, pkt, is_video))
            return 0;
        /* Every frame of the last packet is handed out: its bytes may go. */
        in->conn.start += in->pending_consume;
        in->pending_consume = 0;
        in->pending_count = 0;
        int err = ls_native_session_keepalive(in);
        if (err == 0)
            err = ls_native_rtcp_report(in);
        if (err < 0)
            return err;
        struct ls_rtsp_msg msg;
        struct ls_rtsp_conn *c = &in->conn;
        int r = ls_rtsp_parse(c->buf + c->start, c->end - c->start, &msg);
        if (r < 0)
            return -EBADMSG;
        if (r == 0) {
            if ((err = fill(in, deadline_us)) < 0)
                return err;
            continue;
        }
        if (msg.kind != LS_RTSP_DATA) { /* keep-alive replies, a server's requests */
            c->start += (size_t)r;
            continue;
        }
        if ((err = data_frame(in, &msg, (size_t)r)) < 0)
            return err;
    }
}

const struct ls_input_ops ls_input_native_ops = {
    .name = "native",
    .supports = native_supports,
    .open = native_open,
    .close = native_close,
    .streams = native_streams,
    .read = native_read,
};
