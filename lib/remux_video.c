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

#include "lib/avcc.h"
#include "lib/bitstream.h"
#include "lib/flv.h"
#include "lib/h264.h"
#include "lib/h265.h"
#include "lib/hvcc.h"
#include "lib/remux_private.h"

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
    if (r->v.codec == LS_CODEC_H264) {
        struct ls_h264_sps sps;
        if (ls_h264_parse_sps(r->v.sps.data, r->v.sps.size, &sps) == 0) {
            info->video_profile = sps.profile_idc;
            info->video_level = sps.level_idc;
            info->width = sps.width;
            info->height = sps.height;
            info->sps_fps = sps.fps;
        }
    } else {
        struct ls_h265_sps sps;
        if (ls_h265_parse_sps(r->v.sps.data, r->v.sps.size, &sps) == 0) {
            info->video_profile = sps.ptl.profile_idc;
            info->video_level = sps.ptl.level_idc;
            info->width = sps.width;
            info->height = sps.height;
            info->sps_fps = sps.fps;
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
        r->info.width = r->info.height = 0;
        r->info.sps_fps = 0;
        v->codec = codec;
        r->info.video_codec = codec;
        r->changed = true;
    }
    v->key_seen = false;
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
    bool overflow;  /**< more than AU_MAX_NALS: copy_au rescans the packet */
};

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

static int write_frame(struct ls_remux *r, const struct ls_packet *pkt, const struct au_nals *au,
                       size_t payload, bool key, bool headers_due)
{
    int64_t dts = pkt->dts != LS_TS_NONE ? pkt->dts : pkt->pts;
    int64_t out = ls_ts_map(&r->ts, LS_TS_VIDEO, dts, pkt->tb_num, pkt->tb_den);
    int32_t cts = 0;
    if (pkt->pts != LS_TS_NONE && pkt->dts != LS_TS_NONE)
        cts = ls_remux_delta_ms(pkt->pts - pkt->dts, pkt->tb_num, pkt->tb_den);
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
    if (payload == 0)
        return 0; /* parameter sets only */
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
    v->key_seen = true;
    return write_frame(r, pkt, &au, payload, key, headers_due);
}
