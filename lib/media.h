/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The two units of data inside a relay:
 * - ls_packet: one demuxed packet from the input, FFmpeg-free;
 * - ls_item: one FLV tag body, built once by the remuxer and shared by
 *   reference between the GOP cache and every output queue. Each output
 *   writes its own tag header around it (its own timestamp base), so the
 *   body is never copied per output.
 */
#ifndef LS_LIB_MEDIA_H
#define LS_LIB_MEDIA_H

#include <stdatomic.h>
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

enum ls_item_kind {
    LS_ITEM_METADATA = 0,
    LS_ITEM_VIDEO_SEQ,
    LS_ITEM_AUDIO_SEQ,
    LS_ITEM_VIDEO,
    LS_ITEM_AUDIO,
};

struct ls_item {
    atomic_uint refs;
    uint8_t kind;       /**< enum ls_item_kind */
    uint8_t tag_type;   /**< FLV tag type (8, 9, 18) */
    bool keyframe;
    int64_t dts_ms;     /**< on the relay's repaired timeline */
    int64_t recv_us;    /**< monotonic time its packet was read from the camera (latency stats) */
    uint32_t size;      /**< body size */
    uint8_t body[];
};

/** A new item with @p size body bytes and one reference, or NULL. */
struct ls_item *ls_item_new(enum ls_item_kind kind, uint32_t size);
struct ls_item *ls_item_ref(struct ls_item *item);
/** Drop a reference; sets *item to NULL; NULL accepted. */
void ls_item_unref(struct ls_item **item);

static inline bool ls_item_is_header(const struct ls_item *item)
{
    return item->kind <= LS_ITEM_AUDIO_SEQ;
}

/** Text name of a codec ("h264", "aac", …, "" for none). */
const char *ls_codec_name(enum ls_codec codec);

#endif
