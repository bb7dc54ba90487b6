/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the input hands the stream layer: one demuxed packet, FFmpeg-free,
 * and the codec parameters known when the input opens.
 */
#ifndef LS_LIB_CODEC_PACKET_H
#define LS_LIB_CODEC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ls_codec {
    LS_CODEC_NONE = 0,
    LS_CODEC_H264,
    LS_CODEC_H265,
    LS_CODEC_AAC,
    LS_CODEC_PCMA,
    LS_CODEC_PCMU,
    LS_CODEC_OTHER, /**< present but not relayable */
};

/** One input packet. Timestamps in units of tb_num/tb_den s, INT64_MIN when missing. */
struct ls_packet {
    enum ls_codec codec;
    const uint8_t *data;
    size_t size;
    int64_t pts;
    int64_t dts;
    int tb_num;
    int tb_den;
    bool key; /**< the demuxer's keyframe flag (video: we also look at NAL types) */
};

/** Codec parameters known when the input opens (from the SDP). */
struct ls_stream_info {
    enum ls_codec codec;
    const uint8_t *extradata; /**< Annex B parameter sets (video) or AudioSpecificConfig (AAC) */
    size_t extradata_size;
    uint32_t sample_rate;
    uint32_t channels;
};

/** Text name of a codec ("h264", "aac", …, "" for none). */
const char *ls_codec_name(enum ls_codec codec);

#endif
