/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What an MP4 recording needs from an FLV tag body: which stream, codec,
 * keyframe, composition time and the payload (a decoder configuration record
 * or length-prefixed NAL units / raw audio), plus the picture size and audio
 * format found in the configuration records. Pure; fuzzed (fuzz_mp4_tag).
 * The bodies come from our own FLV writer (flv.h), but they are parsed as if
 * they could be anything.
 */
#ifndef LS_LIB_MP4_TAG_H
#define LS_LIB_MP4_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

enum ls_mp4_tag_type {
    LS_MP4_TAG_OTHER = 0,   /**< script data, or a packet type a recording skips */
    LS_MP4_TAG_VIDEO_CONFIG,
    LS_MP4_TAG_VIDEO_FRAME,
    LS_MP4_TAG_AUDIO_CONFIG,
    LS_MP4_TAG_AUDIO_FRAME,
};

struct ls_mp4_tag {
    enum ls_mp4_tag_type type;
    enum ls_codec codec;     /**< H264, H265, AAC, PCMA, PCMU */
    bool keyframe;
    int32_t cts_ms;          /**< presentation minus decode time (video) */
    uint32_t channels;       /**< G.711: from the sound type bit */
    const uint8_t *data;     /**< the payload, inside the body */
    size_t size;
};

/**
 * Read an FLV tag body of @p tag_type (8 audio, 9 video, 18 script).
 * @return 0 (type OTHER for what a recording skips), -EBADMSG when truncated or
 *         malformed, -ENOTSUP for a codec an MP4 recording cannot name
 */
int ls_mp4_tag_parse(uint8_t tag_type, const uint8_t *body, size_t size, struct ls_mp4_tag *out);

/**
 * Picture size from an avcC (@p codec H264) or hvcC (H265) record: its first SPS.
 * @return 0, -EBADMSG
 */
int ls_mp4_video_size(enum ls_codec codec, const uint8_t *rec, size_t size, uint32_t *width,
                      uint32_t *height);

/**
 * Sample rate and channels from an AudioSpecificConfig (ISO 14496-3 1.6.2.1).
 * @return 0, -EBADMSG
 */
/**
 * Keep a copy of a configuration record (avcC/hvcC or AudioSpecificConfig) in *rec:
 * recording and HLS both start a new segment or epoch when it changes.
 * @return 1 when it differs from the kept one (now replaced), 0 when equal, -ENOMEM
 */
int ls_mp4_keep_record(uint8_t **rec, size_t *rec_size, const uint8_t *data, size_t size);

int ls_mp4_aac_format(const uint8_t *asc, size_t size, uint32_t *sample_rate, uint32_t *channels);

#endif
