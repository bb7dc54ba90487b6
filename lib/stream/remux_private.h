/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * State shared by remux.c (sessions, headers), remux_video.c and remux_audio.c.
 */
#ifndef LS_LIB_REMUX_PRIVATE_H
#define LS_LIB_REMUX_PRIVATE_H

#include "lib/stream/remux.h"
#include "lib/codec/reorder.h"
#include "lib/stream/timestamp.h"

/** An owned copy of one parameter set NAL unit. */
struct ls_ps {
    uint8_t *data;
    size_t size;
};

struct ls_remux_video {
    enum ls_codec codec;
    struct ls_ps vps, sps, pps;   /**< latest seen (SDP or in-band) */
    uint8_t *record;              /**< avcC/hvcC built from them */
    size_t record_size;
    bool dirty;                   /**< a parameter set changed since the record was built */
    bool key_seen;                /**< a keyframe was written in this session */
    bool skip_rasl;               /**< the session began at a CRA: its leading pictures
                                       reference frames we never had */
    struct ls_reorder reorder;    /**< DTS from PTS */
};

struct ls_remux_audio {
    enum ls_codec codec;
    uint8_t asc[16];              /**< AAC AudioSpecificConfig */
    size_t asc_size;
    uint32_t sample_rate;
    uint32_t channels;
    bool header_sent;
};

struct ls_remux {
    struct ls_remux_settings s;
    ls_emit_fn emit;
    void *opaque;
    struct ls_remux_video v;
    struct ls_remux_audio a;
    struct ls_ts ts;
    struct ls_remux_info info;
    bool changed;
    bool sessions;                /**< a session began before (the next one is a reconnect) */
    bool headers_emitted;         /**< headers went out at least once */
};

/** Emit metadata, video and audio sequence headers, as they stand now. */
int ls_remux_emit_headers(struct ls_remux *r, int64_t dts_ms);

/** Reset video state for a new codec; keep parameter sets otherwise. */
void ls_remux_video_begin(struct ls_remux *r, const struct ls_stream_info *info);
void ls_remux_video_free(struct ls_remux_video *v);
void ls_remux_audio_begin(struct ls_remux *r, const struct ls_stream_info *info);
/** True when relayed audio's configuration has not been sent with the headers yet. */
bool ls_remux_audio_header_due(const struct ls_remux *r);

/** The FLV video codec the settings ask for, for the current video codec. */
int ls_remux_flv_vcodec(const struct ls_remux *r);


#endif
