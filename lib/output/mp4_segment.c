/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fragmented MP4 segment through libavformat (see mp4_segment.h).
 *
 * The muxer writes through our own AVIOContext onto a file descriptor (or a
 * caller's write callback: live HLS keeps its segments in memory), so a
 * failed write keeps its errno (ENOSPC must be told from other failures)
 * and every byte is counted. movflags empty_moov + default_base_moof make
 * the file a series of self-contained fragments (CMAF-like, what browsers'
 * MediaSource and HLS want); frag_keyframe + frag_duration bound each
 * fragment. After each frame the AVIO buffer is flushed: the muxer keeps the
 * fragment being built in memory and hands it over whole, so this costs one
 * write() per fragment, not per frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#include "lib/output/mp4_segment.h"
#include "lib/util/error.h"

#define AVIO_BUFFER_SIZE (64 * 1024)
#define AAC_FRAME_SAMPLES 1024

struct ls_mp4_segment {
    AVFormatContext *fmt;
    AVIOContext *pb;
    int fd;               /**< -1 when the bytes go to @ref write */
    ls_mp4_write_fn write;
    void *write_opaque;
    int err;              /**< first write error (negative errno) */
    uint64_t bytes;
    int video_index, audio_index;
    uint32_t sample_rate;
    int64_t audio_next;   /**< expected next AAC pts, in samples; INT64_MIN before the first */
    int64_t video_last_dts; /**< ms, INT64_MIN before the first */
    int64_t video_last_duration; /**< ms between the last two frames: the next frame's guess */
};

static int write_cb(struct ls_mp4_segment *s, uint8_t *buf, int size)
{
    int err = s->write(s->write_opaque, buf, (size_t)size);
    if (err < 0) {
        if (!s->err)
            s->err = err;
        return AVERROR(-err);
    }
    s->bytes += (uint64_t)size;
    return size;
}

static int write_fd(void *opaque, uint8_t *buf, int size)
{
    struct ls_mp4_segment *s = opaque;
    if (s->fd < 0)
        return write_cb(s, buf, size);
    int left = size;
    while (left > 0) {
        ssize_t w = write(s->fd, buf, (size_t)left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (!s->err)
                s->err = -errno;
            return AVERROR(errno);
        }
        buf += w;
        left -= (int)w;
        s->bytes += (uint64_t)w;
    }
    return size;
}

static int add_video(struct ls_mp4_segment *s, const struct ls_mp4_config *c)
{
    AVStream *st = avformat_new_stream(s->fmt, NULL);
    if (!st)
        return -ENOMEM;
    AVCodecParameters *par = st->codecpar;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = c->vcodec == LS_CODEC_H265 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
    /* hvc1: parameter sets only in the sample entry (what Apple and HLS require). */
    par->codec_tag = c->vcodec == LS_CODEC_H265 ? MKTAG('h', 'v', 'c', '1') : 0;
    par->width = (int)c->width;
    par->height = (int)c->height;
    par->extradata = av_mallocz(c->vrec_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!par->extradata)
        return -ENOMEM;
    memcpy(par->extradata, c->vrec, c->vrec_size);
    par->extradata_size = (int)c->vrec_size;
    st->time_base = (AVRational){1, 1000};
    s->video_index = st->index;
    return 0;
}

static int add_audio(struct ls_mp4_segment *s, const struct ls_mp4_config *c)
{
    AVStream *st = avformat_new_stream(s->fmt, NULL);
    if (!st)
        return -ENOMEM;
    AVCodecParameters *par = st->codecpar;
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_AAC;
    par->sample_rate = (int)c->sample_rate;
    av_channel_layout_default(&par->ch_layout, c->channels ? (int)c->channels : 1);
    par->frame_size = AAC_FRAME_SAMPLES;
    par->extradata = av_mallocz(c->asc_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!par->extradata)
        return -ENOMEM;
    memcpy(par->extradata, c->asc, c->asc_size);
    par->extradata_size = (int)c->asc_size;
    /* Samples as the unit: AAC frames keep their exact 1024-sample durations. */
    st->time_base = (AVRational){1, (int)c->sample_rate};
    s->audio_index = st->index;
    s->sample_rate = c->sample_rate;
    return 0;
}

static int setup(struct ls_mp4_segment *s, const struct ls_mp4_config *c)
{
    int err = avformat_alloc_output_context2(&s->fmt, NULL, "mp4", NULL);
    if (err < 0 || !s->fmt)
        return -ENOMEM;
    uint8_t *buf = av_malloc(AVIO_BUFFER_SIZE);
    if (!buf)
        return -ENOMEM;
    s->pb = avio_alloc_context(buf, AVIO_BUFFER_SIZE, 1, s, NULL, write_fd, NULL);
    if (!s->pb) {
        av_free(buf);
        return -ENOMEM;
    }
    s->fmt->pb = s->pb;
    s->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (c->vcodec != LS_CODEC_NONE && (err = add_video(s, c)) < 0)
        return err;
    if (c->acodec == LS_CODEC_AAC && c->sample_rate && (err = add_audio(s, c)) < 0)
        return err;
    if (s->fmt->nb_streams == 0)
        return -EINVAL;
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "movflags", "empty_moov+default_base_moof+frag_keyframe+frag_discont", 0);
    av_dict_set_int(&opts, "frag_duration", (int64_t)c->fragment_ms * 1000, 0);
    /* Keep the output's timeline (tfdt = the first frame's time): segment k+1 starts where
     * segment k ends, instead of every segment being shifted to 0. */
    av_dict_set(&opts, "avoid_negative_ts", "make_non_negative", 0);
    av_dict_set(&opts, "use_editlist", "0", 0); /* none with empty_moov: say so, quietly */
    err = avformat_write_header(s->fmt, &opts);
    av_dict_free(&opts);
    if (err < 0)
        return s->err ? s->err : ls_error_from_av(err);
    avio_flush(s->pb);
    return s->err;
}

static void release(struct ls_mp4_segment *s)
{
    if (s->pb) {
        av_freep(&s->pb->buffer);
        avio_context_free(&s->pb);
    }
    avformat_free_context(s->fmt);
    free(s);
}

static int open_any(struct ls_mp4_segment **out, int fd, ls_mp4_write_fn write, void *opaque,
                    const struct ls_mp4_config *c)
{
    *out = NULL;
    struct ls_mp4_segment *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fd = fd;
    s->write = write;
    s->write_opaque = opaque;
    s->video_index = s->audio_index = -1;
    s->audio_next = INT64_MIN;
    s->video_last_dts = INT64_MIN;
    int err = setup(s, c);
    if (err < 0) {
        release(s);
        return err;
    }
    *out = s;
    return 0;
}

int ls_mp4_segment_open(struct ls_mp4_segment **out, int fd, const struct ls_mp4_config *c)
{
    if (fd < 0)
        return -EINVAL;
    return open_any(out, fd, NULL, NULL, c);
}

int ls_mp4_segment_open_cb(struct ls_mp4_segment **out, ls_mp4_write_fn write, void *opaque,
                           const struct ls_mp4_config *c)
{
    if (!write)
        return -EINVAL;
    return open_any(out, -1, write, opaque, c);
}

/** AAC frames a few ms off their exact sample count are put back on it (ms rounding). */
static int64_t audio_pts(struct ls_mp4_segment *s, int64_t ms)
{
    int64_t pts = av_rescale(ms, s->sample_rate, 1000);
    int64_t slack = s->sample_rate / 50; /* 20 ms */
    if (s->audio_next != INT64_MIN && llabs(pts - s->audio_next) <= slack)
        pts = s->audio_next;
    else if (s->audio_next != INT64_MIN && pts < s->audio_next - AAC_FRAME_SAMPLES)
        pts = s->audio_next; /* never back */
    s->audio_next = pts + AAC_FRAME_SAMPLES;
    return pts;
}

int ls_mp4_segment_write(struct ls_mp4_segment *s, bool video, int64_t dts_ms, int32_t cts_ms,
                         bool keyframe, const uint8_t *data, size_t size)
{
    int index = video ? s->video_index : s->audio_index;
    if (index < 0 || size > INT32_MAX)
        return -EINVAL;
    if (s->err)
        return s->err;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return -ENOMEM;
    pkt->data = (uint8_t *)data;
    pkt->size = (int)size;
    pkt->stream_index = index;
    /* The muxer chose each stream's time base (its track timescale) in write_header. */
    AVRational tb = s->fmt->streams[index]->time_base, ms = {1, 1000};
    if (video) {
        if (s->video_last_dts != INT64_MIN && dts_ms > s->video_last_dts)
            s->video_last_duration = dts_ms - s->video_last_dts;
        s->video_last_dts = dts_ms;
        pkt->dts = av_rescale_q(dts_ms, ms, tb);
        pkt->pts = av_rescale_q(dts_ms + cts_ms, ms, tb);
        /* Unknown until the next frame: the last interval is the best guess (it is what
         * the muxer would assume for a fragment's last sample, without a warning). */
        pkt->duration = av_rescale_q(s->video_last_duration ? s->video_last_duration : 40, ms, tb);
        pkt->flags = keyframe ? AV_PKT_FLAG_KEY : 0;
    } else {
        int64_t pts = audio_pts(s, dts_ms);
        AVRational sr = {1, (int)s->sample_rate};
        pkt->dts = pkt->pts = av_rescale_q(pts, sr, tb);
        pkt->duration = av_rescale_q(AAC_FRAME_SAMPLES, sr, tb);
        pkt->flags = AV_PKT_FLAG_KEY;
    }
    int err = av_write_frame(s->fmt, pkt);
    av_packet_free(&pkt);
    if (err >= 0)
        avio_flush(s->pb);
    if (s->err)
        return s->err;
    return err < 0 ? ls_error_from_av(err) : 0;
}

uint64_t ls_mp4_segment_bytes(const struct ls_mp4_segment *s)
{
    return s->bytes;
}

int ls_mp4_segment_close(struct ls_mp4_segment **sp)
{
    struct ls_mp4_segment *s = *sp;
    if (!s)
        return 0;
    *sp = NULL;
    if (!s->err) {
        int err = av_write_trailer(s->fmt);
        avio_flush(s->pb);
        if (err < 0 && !s->err)
            s->err = ls_error_from_av(err);
    }
    int err = s->err;
    if (s->fd >= 0 && close(s->fd) < 0 && !err)
        err = -errno;
    release(s);
    return err;
}
