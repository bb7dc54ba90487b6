/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The remuxer: input packets in, FLV tag bodies (ls_item) out. Pure: no I/O,
 * no threads; the relay thread drives it and the fuzzer drives it the same way.
 *
 * It tracks parameter sets (from the SDP and in-band), builds avcC/hvcC and
 * emits a new sequence header whenever they change, converts Annex B to
 * length-prefixed NAL units, drops video until the first keyframe of each
 * session, applies the audio policy, and repairs timestamps.
 */
#ifndef LS_LIB_REMUX_H
#define LS_LIB_REMUX_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/relay.h"
#include "lib/codec/packet.h"
#include "lib/flv/tag.h"

struct ls_remux_settings {
    enum ls_audio_policy audio;
    enum ls_hevc_mode hevc;
    uint32_t ts_jump_threshold_ms;
};

/** What the remuxer knows about the streams (for stats and events). */
struct ls_remux_info {
    enum ls_codec video_codec;
    int video_profile;
    int video_level;
    char video_codec_string[48]; /**< RFC 6381, from the decoder configuration record */
    uint32_t width;
    uint32_t height;
    double sps_fps;
    enum ls_codec audio_codec;
    uint32_t audio_sample_rate;
    uint32_t audio_channels;
    bool audio_dropped;
    uint64_t dropped_no_params; /**< video frames dropped while waiting for parameter sets */
    uint64_t dropped_no_key;    /**< video frames dropped before the first keyframe */
    uint64_t dropped_invalid;   /**< packets that were not valid Annex B / audio */
};

/**
 * Receives each item the remuxer makes. The callee takes its own references
 * (ls_item_ref) for whatever it keeps; the remuxer drops its own after the call.
 * @return 0, or a negative error that is passed back to the caller of ls_remux_packet().
 */
typedef int (*ls_emit_fn)(void *opaque, struct ls_item *item);

struct ls_remux;

int ls_remux_create(struct ls_remux **out, const struct ls_remux_settings *s, ls_emit_fn emit,
                    void *opaque);
void ls_remux_destroy(struct ls_remux **r);

/**
 * A new input session begins (first connect or reconnect) with these streams
 * (NULL or codec NONE when absent). Parameter sets are kept when the codec
 * stays the same; the timeline continues after a reconnect (spliced).
 */
int ls_remux_begin(struct ls_remux *r, const struct ls_stream_info *video,
                   const struct ls_stream_info *audio);

/**
 * Remux one packet. Bad data is dropped and counted, never fatal.
 * @return 0, -ENOMEM, -EBADMSG (dropped), or an error from the emit callback.
 */
int ls_remux_video(struct ls_remux *r, const struct ls_packet *pkt);
int ls_remux_audio(struct ls_remux *r, const struct ls_packet *pkt);

const struct ls_remux_info *ls_remux_get_info(const struct ls_remux *r);
struct ls_ts_repairs ls_remux_get_repairs(const struct ls_remux *r);
/** True once after the codec info changed (then cleared). */
bool ls_remux_take_changed(struct ls_remux *r);
/** How late video comes by construction, in ms: (reorder depth + 1) frame periods. */
int64_t ls_remux_video_lag_ms(const struct ls_remux *r);
/** False while video waits for its parameter sets: size and profile are not known yet. */
bool ls_remux_info_complete(const struct ls_remux *r);

#endif
