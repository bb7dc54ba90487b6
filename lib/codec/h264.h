/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 NAL types and SPS parsing (ITU-T H.264 7.3.2.1.1, E.1.1). Pure.
 */
#ifndef LS_LIB_H264_H
#define LS_LIB_H264_H

#include <stddef.h>
#include <stdint.h>

enum {
    LS_H264_NAL_SLICE = 1,
    LS_H264_NAL_IDR = 5,
    LS_H264_NAL_SEI = 6,
    LS_H264_NAL_SPS = 7,
    LS_H264_NAL_PPS = 8,
    LS_H264_NAL_AUD = 9,
};

/** Type of an H.264 NAL unit from its first byte (0 for an empty unit). */
static inline int ls_h264_nal_type(const uint8_t *nal, size_t size)
{
    return size ? nal[0] & 0x1f : 0;
}

struct ls_h264_sps {
    uint8_t profile_idc;
    uint8_t constraint_flags;   /**< the byte after profile_idc (constraint_set0..5 + reserved) */
    uint8_t level_idc;
    uint32_t sps_id;
    uint32_t chroma_format_idc; /**< 1 when absent */
    uint32_t bit_depth_luma;    /**< 8 when absent */
    uint32_t bit_depth_chroma;
    uint32_t width;             /**< luma pixels after cropping */
    uint32_t height;
    double fps;                 /**< from VUI timing (time_scale / (2 * num_units_in_tick)), 0 if absent */
    uint32_t poc_type;          /**< pic_order_cnt_type */
    /** Frames that may precede a frame in decode order and follow it in output order:
     *  VUI max_num_reorder_frames, or 0 where the profile or POC type rules reordering
     *  out; -1 when the SPS does not say (E.2.1 would infer the DPB size). */
    int reorder_depth;
};

/**
 * Parse an SPS NAL unit (header byte included, still escaped as in the stream).
 * @return 0, or -EBADMSG when it is not a well-formed SPS.
 */
int ls_h264_parse_sps(const uint8_t *nal, size_t size, struct ls_h264_sps *out);

#endif
