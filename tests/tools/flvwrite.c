/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvwrite [--flavour avc|enhanced|codec12] [--fault F] <in.mov> <out.flv>
 *
 * Remuxes a MOV/MP4 file (H.264 or HEVC, AAC or G.711) into FLV with
 * lib/flv.c. MOV already stores avcC/hvcC records and length-prefixed NAL
 * units, so this exercises only the FLV writer; flvcheck then reads the
 * result back. --fault writes a deliberately broken stream so the tests can
 * see that flvcheck notices:
 *   no-seq     no video sequence header
 *   mid-gop    video starts at the 5th frame (not a keyframe)
 *   prev-size  one wrong PreviousTagSize
 *   key-flag   every video frame flagged as a keyframe
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "lib/flv/flv.h"

enum fault { FAULT_NONE, FAULT_NO_SEQ, FAULT_MID_GOP, FAULT_PREV_SIZE, FAULT_KEY_FLAG };

struct writer {
    FILE *f;
    enum ls_flv_vcodec vcodec;
    enum ls_flv_acodec acodec;
    enum fault fault;
    int vindex, aindex;
    uint32_t channels;
    int64_t shift_ms; /* added to every timestamp so none is negative */
    int video_frames;
    int tags;
    bool failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        w->failed = true;
}

static void write_tag(struct writer *w, uint8_t type, int64_t ts, const uint8_t *prefix,
                      size_t plen, const uint8_t *payload, size_t n)
{
    uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], prev[LS_FLV_PREV_SIZE];
    uint32_t body = (uint32_t)(plen + n);
    ls_flv_tag_header(hdr, type, body, (uint32_t)(ts < 0 ? 0 : ts));
    put(w, hdr, sizeof(hdr));
    put(w, prefix, plen);
    put(w, payload, n);
    ls_flv_prev_size(prev, body);
    if (w->fault == FAULT_PREV_SIZE && ++w->tags == 5)
        prev[3] ^= 1;
    put(w, prev, sizeof(prev));
}

static void write_meta(struct writer *w, const AVFormatContext *fmt)
{
    struct ls_flv_meta meta = { .vcodec = w->vcodec, .acodec = w->acodec };
    if (w->vindex >= 0) {
        const AVStream *st = fmt->streams[w->vindex];
        meta.has_video = true;
        meta.width = (uint32_t)st->codecpar->width;
        meta.height = (uint32_t)st->codecpar->height;
        meta.framerate = av_q2d(st->avg_frame_rate);
        meta.video_kbps = (uint32_t)(st->codecpar->bit_rate / 1000);
    }
    if (w->aindex >= 0) {
        const AVStream *st = fmt->streams[w->aindex];
        meta.has_audio = true;
        meta.audio_sample_rate = (uint32_t)st->codecpar->sample_rate;
        meta.audio_channels = w->channels;
    }
    uint8_t body[LS_FLV_METADATA_MAX];
    int n = ls_flv_metadata_body(body, sizeof(body), &meta);
    if (n < 0) {
        w->failed = true;
        return;
    }
    write_tag(w, LS_FLV_TAG_SCRIPT, 0, NULL, 0, body, (size_t)n);
}

static void write_seq_headers(struct writer *w, const AVFormatContext *fmt)
{
    uint8_t prefix[LS_FLV_VIDEO_PREFIX_MAX];
    if (w->vindex >= 0 && w->fault != FAULT_NO_SEQ) {
        const AVCodecParameters *par = fmt->streams[w->vindex]->codecpar;
        size_t plen = ls_flv_video_seq_prefix(prefix, w->vcodec);
        write_tag(w, LS_FLV_TAG_VIDEO, 0, prefix, plen, par->extradata,
                  (size_t)par->extradata_size);
    }
    if (w->aindex >= 0 && w->acodec == LS_FLV_AAC) {
        const AVCodecParameters *par = fmt->streams[w->aindex]->codecpar;
        size_t plen = ls_flv_audio_prefix(prefix, LS_FLV_AAC, true, w->channels);
        write_tag(w, LS_FLV_TAG_AUDIO, 0, prefix, plen, par->extradata,
                  (size_t)par->extradata_size);
    }
}

static int64_t to_ms(int64_t t, AVRational tb)
{
    return av_rescale_q(t, tb, (AVRational){ 1, 1000 });
}

static void write_packet(struct writer *w, const AVFormatContext *fmt, const AVPacket *pkt)
{
    const AVStream *st = fmt->streams[pkt->stream_index];
    int64_t dts = to_ms(pkt->dts, st->time_base);
    int64_t pts = pkt->pts == AV_NOPTS_VALUE ? dts : to_ms(pkt->pts, st->time_base);
    uint8_t prefix[LS_FLV_VIDEO_PREFIX_MAX];
    if (pkt->stream_index == w->vindex) {
        if (w->fault == FAULT_MID_GOP && ++w->video_frames < 5)
            return;
        bool key = (pkt->flags & AV_PKT_FLAG_KEY) || w->fault == FAULT_KEY_FLAG;
        size_t plen = ls_flv_video_frame_prefix(prefix, w->vcodec, key, (int32_t)(pts - dts));
        write_tag(w, LS_FLV_TAG_VIDEO, dts + w->shift_ms, prefix, plen, pkt->data,
                  (size_t)pkt->size);
    } else if (pkt->stream_index == w->aindex) {
        size_t plen = ls_flv_audio_prefix(prefix, w->acodec, false, w->channels);
        write_tag(w, LS_FLV_TAG_AUDIO, dts + w->shift_ms, prefix, plen, pkt->data,
                  (size_t)pkt->size);
    }
}

static int pick_streams(struct writer *w, const AVFormatContext *fmt, const char *flavour)
{
    w->vindex = w->aindex = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *par = fmt->streams[i]->codecpar;
        if (w->vindex < 0 && (par->codec_id == AV_CODEC_ID_H264 || par->codec_id == AV_CODEC_ID_HEVC))
            w->vindex = (int)i;
        if (w->aindex < 0 && (par->codec_id == AV_CODEC_ID_AAC ||
                              par->codec_id == AV_CODEC_ID_PCM_ALAW ||
                              par->codec_id == AV_CODEC_ID_PCM_MULAW))
            w->aindex = (int)i;
    }
    if (w->vindex >= 0) {
        bool hevc = fmt->streams[w->vindex]->codecpar->codec_id == AV_CODEC_ID_HEVC;
        if (hevc == !strcmp(flavour, "avc"))
            return -1; /* H.264 needs avc, HEVC enhanced or codec12 */
        w->vcodec = !hevc ? LS_FLV_AVC
                  : !strcmp(flavour, "codec12") ? LS_FLV_HEVC_CODEC12 : LS_FLV_HEVC_ENHANCED;
    }
    if (w->aindex >= 0) {
        const AVCodecParameters *par = fmt->streams[w->aindex]->codecpar;
        w->acodec = par->codec_id == AV_CODEC_ID_AAC ? LS_FLV_AAC
                  : par->codec_id == AV_CODEC_ID_PCM_ALAW ? LS_FLV_PCMA : LS_FLV_PCMU;
        w->channels = (uint32_t)par->ch_layout.nb_channels;
    }
    return w->vindex >= 0 || w->aindex >= 0 ? 0 : -1;
}

/* The first packets decide the shift: B-frames give MOV negative first DTSs. */
static void find_shift(struct writer *w, AVFormatContext *fmt, AVPacket *pkt)
{
    int64_t min = 0;
    for (int i = 0; i < 64 && av_read_frame(fmt, pkt) >= 0; i++) {
        int64_t dts = to_ms(pkt->dts, fmt->streams[pkt->stream_index]->time_base);
        if (pkt->dts != AV_NOPTS_VALUE && dts < min)
            min = dts;
        av_packet_unref(pkt);
    }
    w->shift_ms = -min;
    avformat_seek_file(fmt, -1, INT64_MIN, 0, 0, 0);
}

/* @return the fault's index, or -1 for an unknown name. */
static int parse_fault(const char *s)
{
    static const char *const names[] = { "none", "no-seq", "mid-gop", "prev-size", "key-flag" };
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static int remux(struct writer *w, const char *in, const char *flavour)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = 1;
    if (!pkt || avformat_open_input(&fmt, in, NULL, NULL) < 0 ||
        avformat_find_stream_info(fmt, NULL) < 0 || pick_streams(w, fmt, flavour) < 0) {
        fprintf(stderr, "flvwrite: %s: no usable streams for flavour %s\n", in, flavour);
        goto out;
    }
    find_shift(w, fmt, pkt);
    uint8_t header[LS_FLV_FILE_HEADER_SIZE];
    ls_flv_file_header(header, w->aindex >= 0, w->vindex >= 0);
    put(w, header, sizeof(header));
    write_meta(w, fmt);
    write_seq_headers(w, fmt);
    while (av_read_frame(fmt, pkt) >= 0) {
        write_packet(w, fmt, pkt);
        av_packet_unref(pkt);
    }
    ret = w->failed ? 1 : 0;
out:
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return ret;
}

int main(int argc, char **argv)
{
    const char *flavour = "avc";
    struct writer w = { .fault = FAULT_NONE };
    int fault = FAULT_NONE, i = 1;
    for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (!strcmp(argv[i], "--flavour"))
            flavour = argv[i + 1];
        else if (!strcmp(argv[i], "--fault"))
            fault = parse_fault(argv[i + 1]);
        else
            break;
    }
    if (argc - i != 2 || fault < 0) {
        fprintf(stderr, "usage: flvwrite [--flavour avc|enhanced|codec12] "
                        "[--fault none|no-seq|mid-gop|prev-size|key-flag] <in.mov> <out.flv>\n");
        return 2;
    }
    w.fault = (enum fault)fault;
    av_log_set_level(AV_LOG_ERROR);
    w.f = fopen(argv[i + 1], "wb");
    if (!w.f) {
        perror(argv[i + 1]);
        return 1;
    }
    int ret = remux(&w, argv[i], flavour);
    if (fclose(w.f) != 0)
        ret = 1;
    return ret;
}
