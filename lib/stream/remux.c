/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Remuxer sessions and headers. The per-codec work is in remux_video.c and
 * remux_audio.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/flv/flv.h"
#include "lib/stream/remux_private.h"

int ls_remux_create(struct ls_remux **out, const struct ls_remux_settings *s, ls_emit_fn emit,
                    void *opaque)
{
    *out = NULL;
    if (!s || !emit)
        return -EINVAL;
    struct ls_remux *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->s = *s;
    r->emit = emit;
    r->opaque = opaque;
    ls_ts_init(&r->ts, s->ts_jump_threshold_ms);
    ls_reorder_init(&r->v.reorder);
    *out = r;
    return 0;
}

void ls_remux_destroy(struct ls_remux **r)
{
    if (!*r)
        return;
    ls_remux_video_free(&(*r)->v);
    free(*r);
    *r = NULL;
}

int ls_remux_begin(struct ls_remux *r, const struct ls_stream_info *video,
                   const struct ls_stream_info *audio)
{
    if (r->sessions)
        ls_ts_splice(&r->ts);
    r->sessions = true;
    ls_remux_video_begin(r, video);
    ls_remux_audio_begin(r, audio);
    return 0;
}

int ls_remux_flv_vcodec(const struct ls_remux *r)
{
    if (r->v.codec != LS_CODEC_H265)
        return LS_FLV_AVC;
    return r->s.hevc == LS_HEVC_CODEC12 ? LS_FLV_HEVC_CODEC12 : LS_FLV_HEVC_ENHANCED;
}

static enum ls_flv_acodec flv_acodec(enum ls_codec c)
{
    return c == LS_CODEC_PCMA ? LS_FLV_PCMA : c == LS_CODEC_PCMU ? LS_FLV_PCMU : LS_FLV_AAC;
}

static bool audio_relayed(const struct ls_remux *r)
{
    return r->a.codec != LS_CODEC_NONE && !r->info.audio_dropped;
}

bool ls_remux_audio_header_due(const struct ls_remux *r)
{
    return audio_relayed(r) && !r->a.header_sent;
}

static int emit_item(struct ls_remux *r, struct ls_item *item)
{
    int err = r->emit(r->opaque, item);
    ls_item_unref(&item);
    return err;
}

static int emit_metadata(struct ls_remux *r, int64_t dts_ms)
{
    struct ls_flv_meta meta = {
        .has_video = r->v.record != NULL,
        .vcodec = ls_remux_flv_vcodec(r),
        .width = r->info.width,
        .height = r->info.height,
        .framerate = r->info.sps_fps,
        .has_audio = audio_relayed(r),
        .acodec = flv_acodec(r->a.codec),
        .audio_sample_rate = r->a.sample_rate,
        .audio_channels = r->a.channels,
    };
    uint8_t buf[512];
    int size = ls_flv_metadata_body(buf, sizeof(buf), &meta);
    if (size < 0)
        return size;
    struct ls_item *item = ls_item_new(LS_ITEM_METADATA, (uint32_t)size);
    if (!item)
        return -ENOMEM;
    memcpy(item->body, buf, (size_t)size);
    item->dts_ms = dts_ms;
    return emit_item(r, item);
}

static int emit_video_seq(struct ls_remux *r, int64_t dts_ms)
{
    uint8_t prefix[LS_FLV_VIDEO_PREFIX_MAX];
    size_t n = ls_flv_video_seq_prefix(prefix, ls_remux_flv_vcodec(r));
    struct ls_item *item = ls_item_new(LS_ITEM_VIDEO_SEQ, (uint32_t)(n + r->v.record_size));
    if (!item)
        return -ENOMEM;
    memcpy(item->body, prefix, n);
    memcpy(item->body + n, r->v.record, r->v.record_size);
    item->dts_ms = dts_ms;
    item->keyframe = true;
    return emit_item(r, item);
}

static int emit_audio_seq(struct ls_remux *r, int64_t dts_ms)
{
    /* Only AAC has a decoder configuration; G.711 needs none. */
    if (r->a.codec != LS_CODEC_AAC)
        return 0;
    uint8_t prefix[LS_FLV_AUDIO_PREFIX_MAX];
    size_t n = ls_flv_audio_prefix(prefix, LS_FLV_AAC, true, r->a.channels);
    struct ls_item *item = ls_item_new(LS_ITEM_AUDIO_SEQ, (uint32_t)(n + r->a.asc_size));
    if (!item)
        return -ENOMEM;
    memcpy(item->body, prefix, n);
    memcpy(item->body + n, r->a.asc, r->a.asc_size);
    item->dts_ms = dts_ms;
    return emit_item(r, item);
}

int ls_remux_emit_headers(struct ls_remux *r, int64_t dts_ms)
{
    int err = emit_metadata(r, dts_ms);
    if (!err && r->v.record)
        err = emit_video_seq(r, dts_ms);
    if (!err && audio_relayed(r))
        err = emit_audio_seq(r, dts_ms);
    if (!err) {
        r->a.header_sent = audio_relayed(r);
        r->headers_emitted = true;
    }
    r->changed = true;
    return err;
}

const struct ls_remux_info *ls_remux_get_info(const struct ls_remux *r)
{
    return &r->info;
}

struct ls_ts_repairs ls_remux_get_repairs(const struct ls_remux *r)
{
    struct ls_ts_repairs rep = r->ts.repairs;
    rep.reorder = r->v.reorder.moved;
    return rep;
}

bool ls_remux_info_complete(const struct ls_remux *r)
{
    return r->v.codec == LS_CODEC_NONE || r->v.record != NULL;
}

bool ls_remux_take_changed(struct ls_remux *r)
{
    bool changed = r->changed;
    r->changed = false;
    return changed;
}
