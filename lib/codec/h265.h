/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 NAL types, profile_tier_level and SPS parsing (ITU-T H.265 7.3). Pure.
 */
#ifndef LS_LIB_H265_H
#define LS_LIB_H265_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    LS_H265_NAL_RASL_N = 8,
    LS_H265_NAL_RASL_R = 9,
    LS_H265_NAL_BLA_W_LP = 16,
    LS_H265_NAL_CRA = 21,
    LS_H265_NAL_IRAP_MAX = 23, /**< 16..23 are IRAP (keyframes) */
    LS_H265_NAL_VPS = 32,
    LS_H265_NAL_SPS = 33,
    LS_H265_NAL_PPS = 34,
    LS_H265_NAL_AUD = 35,
    LS_H265_NAL_SEI_PREFIX = 39,
    LS_H265_NAL_SEI_SUFFIX = 40,
};

/** Type of an H.265 NAL unit from its 2-byte header (0 when too short; 0 is also TRAIL_N). */
static inline int ls_h265_nal_type(const uint8_t *nal, size_t size)
{
    return size >= 2 ? (nal[0] >> 1) & 0x3f : 0;
}

/** general_profile_tier_level fields, as hvcC stores them. */
struct ls_h265_ptl {
    uint8_t profile_space;
    uint8_t tier_flag;
    uint8_t profile_idc;
    uint32_t compatibility_flags;
    uint64_t constraint_flags;  /**< the 48 bits after the compatibility flags */
    uint8_t level_idc;
};

struct ls_h265_sps {
    struct ls_h265_ptl ptl;
    uint32_t sps_id;
    uint8_t max_sub_layers;        /**< sps_max_sub_layers_minus1 + 1 */
    uint8_t temporal_id_nesting;
    uint32_t chroma_format_idc;
    uint32_t bit_depth_luma;
    uint32_t bit_depth_chroma;
    uint32_t width;                /**< luma pixels after the conformance window */
    uint32_t height;
    uint32_t max_num_reorder;      /**< sps_max_num_reorder_pics of the highest sub-layer */
    uint32_t min_spatial_segmentation_idc; /**< from VUI bitstream_restriction, 0 if absent */
    double fps;                    /**< from VUI timing, 0 if absent */
    bool has_bitstream_restriction; /**< VUI bitstream_restriction present (then
                                         min_spatial_segmentation_idc was signalled) */
};

/** What hvcC needs from a VPS. */
struct ls_h265_vps {
    struct ls_h265_ptl ptl;
    uint8_t max_sub_layers;        /**< vps_max_sub_layers_minus1 + 1 */
    uint8_t temporal_id_nesting;
};

/** What hvcC needs from a PPS. */
struct ls_h265_pps {
    bool entropy_coding_sync_enabled;
    bool tiles_enabled;
};

/** Parse an SPS NAL (2-byte header included, escaped). @return 0 or -EBADMSG. */
int ls_h265_parse_sps(const uint8_t *nal, size_t size, struct ls_h265_sps *out);
/** Parse a VPS NAL. @return 0 or -EBADMSG. */
int ls_h265_parse_vps(const uint8_t *nal, size_t size, struct ls_h265_vps *out);
/** Parse a PPS NAL far enough for hvcC. @return 0 or -EBADMSG. */
int ls_h265_parse_pps(const uint8_t *nal, size_t size, struct ls_h265_pps *out);

#endif
