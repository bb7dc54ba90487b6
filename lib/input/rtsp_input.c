/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libavformat input engine (the default, and `auto`'s fallback).
 *
 * Three choices matter here. First, avformat_find_stream_info() is never
 * called: it waits more than a second after the first keyframe, and the SDP
 * already gives codecs (plus parameter sets when the camera sends them; the
 * remuxer takes missing ones in-band). Second, every blocking call runs under
 * an AVIOInterruptCB with a deadline, so a blackholed camera cannot hold the
 * relay thread, and ls_relay_stop() is obeyed within FFmpeg's 100 ms polling.
 * Third, libavformat's parsers and timestamp guessing are off (NOPARSE,
 * NOFILLIN): video arrives one RTP payload at a time with its RTP time, and
 * access_unit.c joins the payloads into access units. Every access unit,
 * the first included, keeps the camera's presentation time, and no DTS is
 * invented here: the remuxer derives it (reorder.c).
 */
#include <errno.h>
#include <stdlib.h>

#include <libavformat/avformat.h>
#include <libavutil/dict.h>

#include "lib/codec/access_unit.h"
#include "lib/util/clock.h"
#include "lib/util/error.h"
#include "lib/input/input.h"

struct lavf_input {
    struct ls_input base; /* first: the interface casts between the two */
    AVFormatContext *fmt;
    AVPacket *pkt;
    struct ls_au_assembler au;
    int video_idx;
    int audio_idx;
    atomic_bool *stop;
    const struct ls_log_ctx *log;
    int64_t deadline_us; /**< written and read on the relay thread only */
    bool timed_out;
    uint32_t stall_timeout_ms;
};

static int interrupt_cb(void *opaque)
{
    struct lavf_input *in = opaque;
    if (atomic_load_explicit(in->stop, memory_order_relaxed))
        return 1;
    /* Called by FFmpeg many times per packet: the coarse clock is precise enough here. */
    if (ls_now_coarse_us() > in->deadline_us) {
        in->timed_out = true;
        return 1;
    }
    return 0;
}

static int map_error(const struct lavf_input *in, int averror)
{
    if (atomic_load(in->stop))
        return -ECANCELED;
    if (in->timed_out)
        return -ETIMEDOUT;
    return ls_error_from_av(averror);
}

static enum ls_codec codec_of(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_H264:
        return LS_CODEC_H264;
    case AV_CODEC_ID_HEVC:
        return LS_CODEC_H265;
    case AV_CODEC_ID_AAC:
        return LS_CODEC_AAC;
    case AV_CODEC_ID_PCM_ALAW:
        return LS_CODEC_PCMA;
    case AV_CODEC_ID_PCM_MULAW:
        return LS_CODEC_PCMU;
    default:
        return LS_CODEC_OTHER;
    }
}

static int set_options(AVDictionary **opts, const struct ls_input_settings *s)
{
    static const char *const transports[] = {
        [LS_TRANSPORT_TCP] = "tcp", [LS_TRANSPORT_UDP] = "udp",
        [LS_TRANSPORT_HTTP] = "http", [LS_TRANSPORT_AUTO] = NULL,
    };
    int err = 0;
    if ((unsigned)s->transport <= LS_TRANSPORT_AUTO && transports[s->transport])
        err |= av_dict_set(opts, "rtsp_transport", transports[s->transport], 0);
    /* Socket-level timeout as a second guard behind the interrupt callback: longer than both
     * deadlines, or it fires first during the handshake and FFmpeg reports a bad reply. */
    uint32_t guard_ms = s->connect_timeout_ms > s->stall_timeout_ms ? s->connect_timeout_ms
                                                                    : s->stall_timeout_ms;
    err |= av_dict_set_int(opts, "timeout", ((int64_t)guard_ms + 1000) * 1000, 0);
    err |= av_dict_set(opts, "allowed_media_types", "video+audio", 0);
    err |= av_dict_set(opts, "user_agent", "liblightstream", 0);
    return err < 0 ? -ENOMEM : 0;
}

static void pick_streams(struct lavf_input *in)
{
    in->video_idx = in->audio_idx = -1;
    for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
        AVStream *st = in->fmt->streams[i];
        enum ls_codec c = codec_of(st->codecpar->codec_id);
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && in->video_idx < 0 &&
            (c == LS_CODEC_H264 || c == LS_CODEC_H265))
            in->video_idx = (int)i;
        else if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && in->audio_idx < 0)
            in->audio_idx = (int)i;
        else
            st->discard = AVDISCARD_ALL;
    }
}

static void lavf_close(struct ls_input *base);

static bool lavf_supports(const struct ls_input_settings *s)
{
    (void)s;
    return true;
}

static int lavf_open(struct ls_input **out, const struct ls_input_settings *s)
{
    *out = NULL;
    struct lavf_input *in = calloc(1, sizeof(*in));
    AVDictionary *opts = NULL;
    int err = -ENOMEM;
    if (!in)
        return -ENOMEM;
    in->stop = s->stop;
    in->log = s->log;
    in->stall_timeout_ms = s->stall_timeout_ms;
    in->pkt = av_packet_alloc();
    in->fmt = avformat_alloc_context();
    if (!in->pkt || !in->fmt || set_options(&opts, s) < 0)
        goto fail;
    in->fmt->flags |= AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOFILLIN;
    in->fmt->interrupt_callback.callback = interrupt_cb;
    in->fmt->interrupt_callback.opaque = in;
    in->deadline_us = ls_now_us() + (int64_t)s->connect_timeout_ms * 1000;
    const AVInputFormat *rtsp = av_find_input_format("rtsp");
    err = avformat_open_input(&in->fmt, s->url, rtsp, &opts);
    if (err < 0) {
        err = map_error(in, err); /* fmt was freed by FFmpeg */
        goto fail;
    }
    pick_streams(in);
    if (in->video_idx >= 0)
        ls_au_init(&in->au, codec_of(in->fmt->streams[in->video_idx]->codecpar->codec_id));
    if (in->video_idx < 0 && in->audio_idx < 0) {
        err = -ENOTSUP;
        goto fail;
    }
    av_dict_free(&opts);
    *out = &in->base;
    return 0;
fail:
    av_dict_free(&opts);
    lavf_close(&in->base);
    return err;
}

static void lavf_close(struct ls_input *base)
{
    struct lavf_input *in = (struct lavf_input *)base;
    /* TEARDOWN is polite but must not delay a reconnect much. */
    in->deadline_us = ls_now_us() + 300 * 1000;
    in->timed_out = false;
    avformat_close_input(&in->fmt);
    av_packet_free(&in->pkt);
    ls_au_finish(&in->au);
    free(in);
}

static void fill_info(const AVStream *st, struct ls_stream_info *info)
{
    const AVCodecParameters *par = st->codecpar;
    info->codec = codec_of(par->codec_id);
    info->extradata = par->extradata;
    info->extradata_size = par->extradata ? (size_t)par->extradata_size : 0;
    info->sample_rate = par->sample_rate > 0 ? (uint32_t)par->sample_rate : 0;
    info->channels = par->ch_layout.nb_channels > 0 ? (uint32_t)par->ch_layout.nb_channels : 0;
}

static void lavf_streams(const struct ls_input *base, struct ls_stream_info *video,
                         struct ls_stream_info *audio)
{
    const struct lavf_input *in = (const struct lavf_input *)base;
    *video = (struct ls_stream_info){0};
    *audio = (struct ls_stream_info){0};
    if (in->video_idx >= 0)
        fill_info(in->fmt->streams[in->video_idx], video);
    if (in->audio_idx >= 0)
        fill_info(in->fmt->streams[in->audio_idx], audio);
}

/* A video payload into the access unit being built. @return 1 when @p pkt holds a whole
 * access unit, 0 to read on, or -ENOMEM. */
static int video_payload(struct lavf_input *in, const AVStream *st, struct ls_packet *pkt)
{
    struct ls_au au;
    int ret = ls_au_push(&in->au, in->pkt->data, (size_t)in->pkt->size, in->pkt->pts, &au);
    if (ret == -EMSGSIZE)
        ls_log_warn(in->log, "video access unit over %u bytes dropped", LS_AU_MAX_BYTES);
    if (ret != 1)
        return ret == -ENOMEM ? ret : 0;
    *pkt = (struct ls_packet){
        .codec = in->au.codec,
        .data = au.data,
        .size = au.size,
        .pts = au.pts,
        .dts = INT64_MIN,
        .tb_num = st->time_base.num,
        .tb_den = st->time_base.den,
    };
    return 1;
}

static int lavf_read(struct ls_input *base, struct ls_packet *pkt, bool *is_video)
{
    struct lavf_input *in = (struct lavf_input *)base;
    /* The deadline passed during the last read, yet FFmpeg returned a packet (on an error it
     * flushes what it held): the stall is already detected. */
    if (in->timed_out)
        return -ETIMEDOUT;
    in->deadline_us = ls_now_us() + (int64_t)in->stall_timeout_ms * 1000;
    for (;;) {
        av_packet_unref(in->pkt);
        int err = av_read_frame(in->fmt, in->pkt);
        if (err == AVERROR(EAGAIN) && !in->timed_out && !atomic_load(in->stop))
            continue;
        if (err < 0)
            return map_error(in, err);
        int idx = in->pkt->stream_index;
        if (idx != in->video_idx && idx != in->audio_idx)
            continue;
        const AVStream *st = in->fmt->streams[idx];
        *is_video = idx == in->video_idx;
        if (*is_video) {
            err = video_payload(in, st, pkt);
            if (err < 0)
                return err;
            if (err == 0)
                continue;
            return 0;
        }
        *pkt = (struct ls_packet){
            .codec = codec_of(st->codecpar->codec_id),
            .data = in->pkt->data,
            .size = (size_t)in->pkt->size,
            .pts = in->pkt->pts,
            .dts = in->pkt->dts,
            .tb_num = st->time_base.num,
            .tb_den = st->time_base.den,
            .key = in->pkt->flags & AV_PKT_FLAG_KEY,
        };
        return 0;
    }
}

const struct ls_input_ops ls_input_lavf_ops = {
    .name = "libavformat",
    .supports = lavf_supports,
    .open = lavf_open,
    .close = lavf_close,
    .streams = lavf_streams,
    .read = lavf_read,
};
