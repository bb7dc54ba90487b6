/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Video remuxing: Annex B access units to FLV frames.
 *
 * Parameter sets are taken wherever they appear (SDP extradata or in-band),
 * kept as the latest of each kind, and turned into a new avcC/hvcC record
 * when their bytes change. They are removed from the frames themselves:
 * FLV carries them in the sequence header, which is re-sent when they change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lightstream/codec.h"
#include "lib/codec/avcc.h"
#include "lib/util/bitstream.h"
#include "lib/flv/flv.h"
#include "lib/codec/h264.h"
#include "lib/codec/h265.h"
#include "lib/codec/hvcc.h"
#include "lib/stream/remux_private.h"

enum nal_role { NAL_DROP, NAL_KEEP, NAL_KEY, NAL_VPS, NAL_SPS, NAL_PPS };

static enum nal_role h264_role(const struct ls_nal *nal)
{
    if (nal->data[0] & 0x80) /* forbidden_zero_bit */
        return NAL_DROP;
    switch (ls_h264_nal_type(nal->data, nal->size)) {
    case LS_H264_NAL_IDR:
        return NAL_KEY;
    case LS_H264_NAL_SPS:
        return NAL_SPS;
    case LS_H264_NAL_PPS:
        return NAL_PPS;
    case 0:
    case LS_H264_NAL_AUD:
    case 10: /* end of sequence */
    case 11: /* end of stream */
    case 12: /* filler */
        return NAL_DROP;
    default:
        return NAL_KEEP;
    }
}

static enum nal_role h265_role(const struct ls_nal *nal)
{
    if (nal->size < 2 || (nal->data[0] & 0x80))
        return NAL_DROP;
    int type = ls_h265_nal_type(nal->data, nal->size);
    if (type >= LS_H265_NAL_BLA_W_LP && type <= LS_H265_NAL_IRAP_MAX)
        return NAL_KEY;
    switch (type) {
    case LS_H265_NAL_VPS:
        return NAL_VPS;
    case LS_H265_NAL_SPS:
        return NAL_SPS;
    case LS_H265_NAL_PPS:
        return NAL_PPS;
    case LS_H265_NAL_AUD:
    case 36: /* end of sequence */
    case 37: /* end of bitstream */
    case 38: /* filler */
        return NAL_DROP;
    default:
        return NAL_KEEP;
    }
}

static enum nal_role nal_role(const struct ls_remux_video *v, const struct ls_nal *nal)
{
    return v->codec == LS_CODEC_H265 ? h265_role(nal) : h264_role(nal);
}

/** Replace @p ps with @p nal if the bytes differ. @return 1 changed, 0 same, -ENOMEM. */
static int ps_update(struct ls_ps *ps, const struct ls_nal *nal)
{
    if (ps->data && ps->size == nal->size && !memcmp(ps->data, nal->data, nal->size))
        return 0;
    uint8_t *copy = malloc(nal->size);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, nal->data, nal->size);
    free(ps->data);
    ps->data = copy;
    ps->size = nal->size;
    return 1;
}

static int take_ps(struct ls_remux_video *v, enum nal_role role, const struct ls_nal *nal)
{
    struct ls_ps *ps = role == NAL_VPS ? &v->vps : role == NAL_SPS ? &v->sps : &v->pps;
    int changed = ps_update(ps, nal);
    if (changed > 0)
        v->dirty = true;
    return changed < 0 ? changed : 0;
}

static void ps_free(struct ls_ps *ps)
{
    free(ps->data);
    ps->data = NULL;
    ps->size = 0;
}

void ls_remux_video_free(struct ls_remux_video *v)
{
    ps_free(&v->vps);
    ps_free(&v->sps);
    ps_free(&v->pps);
    free(v->record);
    v->record = NULL;
    v->record_size = 0;
}

static void update_info(struct ls_remux *r)
{
    struct ls_remux_info *info = &r->info;
    info->video_codec = r->v.codec;
    /* the FLV sequence header's record: hvc1 for H.265 (Enhanced RTMP's fourcc), avc1 */
    ls_codec_string(r->v.codec == LS_CODEC_H265 ? "hvc1" : "avc1", r->v.record,
                    r->v.record_size, info->video_codec_string, sizeof(info->video_codec_string));
    if (r->v.codec == LS_CODEC_H264) {
        struct ls_h264_sps sps;
        if (ls_h264_parse_sps(r->v.sps.data, r->v.sps.size, &sps) == 0) {
            info->video_profile = sps.profile_idc;
            info->video_level = sps.level_idc;
            info->width = sps.width;
            info->height = sps.height;
            info->sps_fps = sps.fps;
            ls_reorder_set_declared(&r->v.reorder, sps.reorder_depth);
        }
    } else {
        struct ls_h265_sps sps;
        if (ls_h265_parse_sps(r->v.sps.data, r->v.sps.size, &sps) == 0) {
            info->video_profile = sps.ptl.profile_idc;
            info->video_level = sps.ptl.level_idc;
            info->width = sps.width;
            info->height = sps.height;
            info->sps_fps = sps.fps;
            ls_reorder_set_declared(&r->v.reorder, (int)sps.max_num_reorder);
        }
    }
}

/**
 * Rebuild the decoder configuration record from the current parameter sets.
 * @return 1 when it changed (a new sequence header is due), 0, or an error.
 */
static int rebuild_record(struct ls_remux *r)
{
    struct ls_remux_video *v = &r->v;
    v->dirty = false;
    bool hevc = v->codec == LS_CODEC_H265;
    if (!v->sps.data || !v->pps.data || (hevc && !v->vps.data))
        return 0;
    size_t cap = v->vps.size + v->sps.size + v->pps.size + 128;
    uint8_t *rec = malloc(cap);
    if (!rec)
        return -ENOMEM;
    struct ls_nal vps = {v->vps.data, v->vps.size}, sps = {v->sps.data, v->sps.size},
                  pps = {v->pps.data, v->pps.size};
    int size = hevc ? ls_hvcc_build(rec, cap, &vps, 1, &sps, 1, &pps, 1)
                    : ls_avcc_build(rec, cap, &sps, 1, &pps, 1);
    if (size < 0 || (v->record && (size_t)size == v->record_size &&
                     !memcmp(rec, v->record, (size_t)size))) {
        free(rec);
        return size < 0 ? 0 : 0; /* unusable or unchanged: keep what we have */
    }
    free(v->record);
    v->record = rec;
    v->record_size = (size_t)size;
    update_info(r);
    return 1;
}

void ls_remux_video_begin(struct ls_remux *r, const struct ls_stream_info *info)
{
    struct ls_remux_video *v = &r->v;
    enum ls_codec codec = info ? info->codec : LS_CODEC_NONE;
    if (codec != LS_CODEC_H264 && codec != LS_CODEC_H265)
        codec = LS_CODEC_NONE;
    if (codec != v->codec) {
        ls_remux_video_free(v);
        r->info.video_profile = r->info.video_level = 0;
        r->info.video_codec_string[0] = '\0';
        r->info.width = r->info.height = 0;
        r->info.sps_fps = 0;
        v->codec = codec;
        r->info.video_codec = codec;
        r->changed = true;
        ls_reorder_init(&v->reorder);
    }
    v->key_seen = false;
    v->skip_rasl = false;
    ls_reorder_restart(&v->reorder); /* a new session: a new RTP timeline */
    if (codec == LS_CODEC_NONE || !info->extradata)
        return;
    size_t pos = 0;
    struct ls_nal nal;
    while (ls_annexb_next(info->extradata, info->extradata_size, &pos, &nal)) {
        enum nal_role role = nal_role(v, &nal);
        if (role == NAL_VPS || role == NAL_SPS || role == NAL_PPS)
            take_ps(v, role, &nal);
    }
}

/* The NAL units of one access unit, found once and reused by the copy pass
 * (cameras send a handful per frame; past this many the copy rescans). */
#define AU_MAX_NALS 32

struct au_nals {
    struct ls_nal nal[AU_MAX_NALS];
    int n;          /**< units kept in nal[] (those that go into the frame) */
    int vcl_type;   /**< NAL type of the first kept unit, -1 when none */
    bool overflow;  /**< more than AU_MAX_NALS: copy_au rescans the packet */
};

/** NAL type of a slice, -1 for anything else. */
static int vcl_type(const struct ls_remux_video *v, const struct ls_nal *nal)
{
    if (v->codec == LS_CODEC_H265) {
        int t = ls_h265_nal_type(nal->data, nal->size);
        return t <= 31 ? t : -1; /* 0..31 are VCL NAL types */
    }
    int t = ls_h264_nal_type(nal->data, nal->size);
    return t >= LS_H264_NAL_SLICE && t <= LS_H264_NAL_IDR ? t : -1;
}

/** First pass over an access unit: parameter sets, size of what is kept, keyframe. */
static int scan_au(struct ls_remux_video *v, const struct ls_packet *pkt, struct au_nals *au,
                   size_t *payload, bool *key)
{
    size_t pos = 0;
    struct ls_nal nal;
    int nals = 0;
    *payload = 0;
    *key = false;
    au->n = 0;
    au->overflow = false;
    au->vcl_type = -1;
    while (ls_annexb_next(pkt->data, pkt->size, &pos, &nal)) {
        nals++;
        enum nal_role role = nal_role(v, &nal);
        if (role == NAL_VPS || role == NAL_SPS || role == NAL_PPS) {
            int err = take_ps(v, role, &nal);
            if (err < 0)
                return err;
        } else if (role == NAL_KEEP || role == NAL_KEY) {
            *key |= role == NAL_KEY;
            *payload += 4 + nal.size;
            if (au->vcl_type < 0)
                au->vcl_type = vcl_type(v, &nal);
            if (au->n < AU_MAX_NALS)
                au->nal[au->n++] = nal;
            else
                au->overflow = true;
        }
    }
    return nals ? 0 : -EBADMSG;
}

static uint8_t *put_nal(uint8_t *dst, const struct ls_nal *nal)
{
    dst[0] = (uint8_t)(nal->size >> 24);
    dst[1] = (uint8_t)(nal->size >> 16);
    dst[2] = (uint8_t)(nal->size >> 8);
    dst[3] = (uint8_t)nal->size;
    memcpy(dst + 4, nal->data, nal->size);
    return dst + 4 + nal->size;
}

/** Second pass: the kept units, each behind a 4-byte length, into @p dst. */
static void copy_au(const struct ls_remux_video *v, const struct ls_packet *pkt,
                    const struct au_nals *au, uint8_t *dst)
{
    if (!au->overflow) {
        for (int i = 0; i < au->n; i++)
            dst = put_nal(dst, &au->nal[i]);
        return;
    }
    size_t pos = 0;
    struct ls_nal nal;
    while (ls_annexb_next(pkt->data, pkt->size, &pos, &nal)) {
        enum nal_role role = nal_role(v, &nal);
        if (role == NAL_KEEP || role == NAL_KEY)
            dst = put_nal(dst, &nal);
    }
}

/* @p ms in the packet's ticks (at least 1). */
static int64_t ms_to_ticks(double ms, int tb_num, int tb_den)
{
    double t = tb_num > 0 && tb_den > 0 ? ms * tb_den / (1000.0 * tb_num) : ms;
    return t >= 1 && t < 1e15 ? (int64_t)t : 1;
}

static double period_ms(const struct ls_remux *r)
{
    double fps = r->info.sps_fps;
    return fps > 0.5 && fps < 1000 ? 1000.0 / fps : 40.0; /* 25 fps if unknown */
}

int64_t ls_remux_video_lag_ms(const struct ls_remux *r)
{
    /* A frame is known complete when the next one starts; its DTS lags its PTS by the
     * reorder depth. */
    return (int64_t)((r->v.reorder.depth + 1) * period_ms(r) + 0.5);
}

/*
 * The frame's DTS and composition time (ms). The camera gives the PTS only;
 * the DTS is derived from the PTS order (reorder.c) and the composition time
 * is the difference of both in ms, so DTS + CTS is the camera's PTS exactly.
 */
static int64_t frame_times(struct ls_remux *r, const struct ls_packet *pkt, int32_t *cts)
{
    *cts = 0;
    if (pkt->pts == LS_TS_NONE)
        return pkt->dts;
    uint32_t jump_ms = r->s.ts_jump_threshold_ms ? r->s.ts_jump_threshold_ms : 1000;
    struct ls_reorder_ts t =
        ls_reorder_push(&r->v.reorder, pkt->pts, ms_to_ticks(period_ms(r), pkt->tb_num, pkt->tb_den),
                        ms_to_ticks(jump_ms, pkt->tb_num, pkt->tb_den));
    int64_t d = ls_ts_ticks_to_ms(t.pts, pkt->tb_num, pkt->tb_den) -
                ls_ts_ticks_to_ms(t.dts, pkt->tb_num, pkt->tb_den);
    *cts = d <= 0 ? 0 : d > 0x7fffff ? 0x7fffff : (int32_t)d;
    return t.dts;
}

static int write_frame(struct ls_remux *r, const struct ls_packet *pkt, const struct au_nals *au,
                       size_t payload, bool key, bool headers_due)
{
    int32_t cts;
    int64_t dts = frame_times(r, pkt, &cts);
    int64_t out = ls_ts_map(&r->ts, LS_TS_VIDEO, dts, pkt->tb_num, pkt->tb_den);
    if (headers_due) {
        int err = ls_remux_emit_headers(r, out);
        if (err < 0)
            return err;
    }
    uint8_t prefix[LS_FLV_VIDEO_PREFIX_MAX];
    size_t n = ls_flv_video_frame_prefix(prefix, ls_remux_flv_vcodec(r), key, cts);
    if (payload > UINT32_MAX - 64)
        return -EBADMSG;
    struct ls_item *item = ls_item_new(LS_ITEM_VIDEO, (uint32_t)(n + payload));
    if (!item)
        return -ENOMEM;
    memcpy(item->body, prefix, n);
    copy_au(&r->v, pkt, au, item->body + n);
    item->dts_ms = out;
    item->keyframe = key;
    int err = r->emit(r->opaque, item);
    ls_item_unref(&item);
    return err;
}

/*
 * H.265 leading pictures (RASL) of the session's first CRA reference pictures
 * from before it, which this session never had: decoders discard them, and
 * their earlier PTS would read as reordering. Later CRAs keep theirs.
 */
static bool skip_leading(struct ls_remux_video *v, const struct au_nals *au, bool key)
{
    if (v->codec != LS_CODEC_H265)
        return false;
    if (!v->key_seen && key) {
        v->skip_rasl = au->vcl_type == LS_H265_NAL_CRA;
        return false;
    }
    if (!v->skip_rasl)
        return false;
    if (au->vcl_type == LS_H265_NAL_RASL_N || au->vcl_type == LS_H265_NAL_RASL_R)
        return true;
    v->skip_rasl = false; /* the first picture after the leading ones */
    return false;
}

int ls_remux_video(struct ls_remux *r, const struct ls_packet *pkt)
{
    struct ls_remux_video *v = &r->v;
    if (v->codec == LS_CODEC_NONE || !pkt->data)
        return -EBADMSG;
    struct au_nals au;
    size_t payload;
    bool key;
    int err = scan_au(v, pkt, &au, &payload, &key);
    if (err < 0) {
        if (err == -EBADMSG)
            r->info.dropped_invalid++;
        return err;
    }
    bool headers_due = false;
    if (v->dirty) {
        err = rebuild_record(r);
        if (err < 0)
            return err;
        headers_due = err > 0;
    }
    if (payload == 0 || au.vcl_type < 0)
        return 0; /* parameter sets only, or an SEI sent on its own: no picture */
    if (!v->record) {
        r->info.dropped_no_params++;
        return 0;
    }
    if (!v->key_seen && !key) {
        r->info.dropped_no_key++;
        return 0;
    }
    /* Headers go out before the first frame, and again when audio changed. */
    if (!r->headers_emitted || ls_remux_audio_header_due(r))
        headers_due = true;
    if (skip_leading(v, &au, key)) {
        r->info.dropped_no_key++;
        return 0;
    }
    v->key_seen = true;
    return write_frame(r, pkt, &au, payload, key, headers_due);
}
