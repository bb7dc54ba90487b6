/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 sequence parameter set parsing: ITU-T H.264 7.3.2.1.1 (SPS),
 * 7.3.2.1.1.1 (scaling lists), E.1.1 (VUI, up to the timing info). We read
 * only what a relay needs (profile, chroma format, bit depth, cropped size,
 * frame rate) but walk every field before them exactly, so high-profile
 * SPSs with scaling matrices land on the right bits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/util/bitstream.h"
#include "lib/codec/h264.h"

/*
 * An SPS with every optional part at a realistic size is a few hundred bytes.
 * Only this much is unescaped; a parse that needs more fails with overrun.
 */
#define SPS_MAX_RBSP 4096

/* Generous caps that still keep width and height arithmetic in 32 bits. */
#define MAX_MBS 2048

/* Profiles whose SPS carries chroma_format_idc and bit depths (7.3.2.1.1). */
static bool has_chroma_info(unsigned profile_idc)
{
    switch (profile_idc) {
    case 44: case 83: case 86: case 100: case 110: case 118:
    case 122: case 128: case 134: case 135: case 138: case 139: case 144: case 244:
        return true;
    default:
        return false;
    }
}

/* scaling_list() (7.3.2.1.1.1): only the bits matter, not the matrix. */
static void skip_scaling_list(struct ls_bitreader *br, unsigned size)
{
    int last = 8, next = 8;
    for (unsigned j = 0; j < size && !br->overrun; j++) {
        if (next != 0) {
            int32_t delta = ls_br_se(br);
            if (delta < -128 || delta > 127) {
                br->overrun = true; /* out of range: treat as malformed */
                return;
            }
            next = (last + delta + 256) % 256;
        }
        last = next ? next : last;
    }
}

static int parse_chroma_info(struct ls_bitreader *br, struct ls_h264_sps *sps,
                             bool *separate_planes)
{
    sps->chroma_format_idc = ls_br_ue(br);
    if (sps->chroma_format_idc > 3)
        return -EBADMSG;
    if (sps->chroma_format_idc == 3)
        *separate_planes = ls_br_bits(br, 1);
    uint32_t luma = ls_br_ue(br), chroma = ls_br_ue(br);
    if (luma > 6 || chroma > 6)
        return -EBADMSG;
    sps->bit_depth_luma = luma + 8;
    sps->bit_depth_chroma = chroma + 8;
    ls_br_skip(br, 1); /* qpprime_y_zero_transform_bypass_flag */
    if (ls_br_bits(br, 1)) { /* seq_scaling_matrix_present_flag */
        unsigned lists = sps->chroma_format_idc != 3 ? 8 : 12;
        for (unsigned i = 0; i < lists && !br->overrun; i++)
            if (ls_br_bits(br, 1))
                skip_scaling_list(br, i < 6 ? 16 : 64);
    }
    return br->overrun ? -EBADMSG : 0;
}

/* log2_max_frame_num_minus4 up to max_num_ref_frames. */
static int skip_poc_fields(struct ls_bitreader *br, struct ls_h264_sps *sps)
{
    if (ls_br_ue(br) > 12) /* log2_max_frame_num_minus4 */
        return -EBADMSG;
    uint32_t poc_type = ls_br_ue(br);
    sps->poc_type = poc_type;
    if (poc_type == 0) {
        if (ls_br_ue(br) > 12) /* log2_max_pic_order_cnt_lsb_minus4 */
            return -EBADMSG;
    } else if (poc_type == 1) {
        ls_br_skip(br, 1); /* delta_pic_order_always_zero_flag */
        ls_br_se(br);      /* offset_for_non_ref_pic */
        ls_br_se(br);      /* offset_for_top_to_bottom_field */
        uint32_t cycle = ls_br_ue(br);
        if (cycle > 255)
            return -EBADMSG;
        for (uint32_t i = 0; i < cycle && !br->overrun; i++)
            ls_br_se(br); /* offset_for_ref_frame[i] */
    } else if (poc_type > 2) {
        return -EBADMSG;
    }
    ls_br_ue(br); /* max_num_ref_frames */
    ls_br_skip(br, 1); /* gaps_in_frame_num_value_allowed_flag */
    return br->overrun ? -EBADMSG : 0;
}

/* Picture size in macroblocks and the cropping window → luma pixels (7.4.2.1.1). */
static int parse_geometry(struct ls_bitreader *br, struct ls_h264_sps *sps, bool separate_planes)
{
    uint32_t w_mbs = ls_br_ue(br) + 1, h_units = ls_br_ue(br) + 1;
    bool frame_mbs_only = ls_br_bits(br, 1);
    if (!frame_mbs_only)
        ls_br_skip(br, 1); /* mb_adaptive_frame_field_flag */
    ls_br_skip(br, 1);     /* direct_8x8_inference_flag */
    if (br->overrun || w_mbs == 0 || h_units == 0 || w_mbs > MAX_MBS || h_units > MAX_MBS)
        return -EBADMSG;

    uint32_t width = w_mbs * 16, height = h_units * 16 * (2 - frame_mbs_only);
    if (ls_br_bits(br, 1)) { /* frame_cropping_flag */
        /* Crop units follow ChromaArrayType: 4:2:0 crops in 2-pixel steps. */
        uint32_t cx = 1, cy = 2 - frame_mbs_only;
        if (!separate_planes && sps->chroma_format_idc != 0) {
            cx = sps->chroma_format_idc == 3 ? 1 : 2;
            cy *= sps->chroma_format_idc == 1 ? 2 : 1;
        }
        uint32_t l = ls_br_ue(br), r = ls_br_ue(br), t = ls_br_ue(br), b = ls_br_ue(br);
        /* Each offset is bounded first so the sums below cannot wrap. */
        if (br->overrun || l > width || r > width || t > height || b > height ||
            (uint64_t)(l + r) * cx >= width || (uint64_t)(t + b) * cy >= height)
            return -EBADMSG;
        width -= (l + r) * cx;
        height -= (t + b) * cy;
    }
    sps->width = width;
    sps->height = height;
    return br->overrun ? -EBADMSG : 0;
}

/* hrd_parameters() (E.1.2): only skipped. */
static void skip_hrd(struct ls_bitreader *br)
{
    uint32_t cpb_cnt = ls_br_ue(br) + 1;
    if (cpb_cnt > 32) {
        br->overrun = true;
        return;
    }
    ls_br_skip(br, 8); /* bit_rate_scale, cpb_size_scale */
    for (uint32_t i = 0; i < cpb_cnt && !br->overrun; i++) {
        ls_br_ue(br);      /* bit_rate_value_minus1 */
        ls_br_ue(br);      /* cpb_size_value_minus1 */
        ls_br_skip(br, 1); /* cbr_flag */
    }
    ls_br_skip(br, 20); /* four delay/length fields of 5 bits */
}

/* From the end of timing_info to bitstream_restriction (E.1.1): the reorder depth. */
static void parse_vui_tail(struct ls_bitreader *br, struct ls_h264_sps *sps)
{
    bool nal_hrd = ls_br_bits(br, 1);
    if (nal_hrd)
        skip_hrd(br);
    bool vcl_hrd = ls_br_bits(br, 1);
    if (vcl_hrd)
        skip_hrd(br);
    if (nal_hrd || vcl_hrd)
        ls_br_skip(br, 1); /* low_delay_hrd_flag */
    ls_br_skip(br, 1);     /* pic_struct_present_flag */
    if (!ls_br_bits(br, 1) || br->overrun) /* bitstream_restriction_flag */
        return;
    ls_br_skip(br, 1); /* motion_vectors_over_pic_boundaries_flag */
    for (int i = 0; i < 4; i++)
        ls_br_ue(br); /* max_bytes_per_pic_denom .. log2_max_mv_length_vertical */
    uint32_t reorder = ls_br_ue(br);
    ls_br_ue(br); /* max_dec_frame_buffering */
    if (!br->overrun && reorder <= 16)
        sps->reorder_depth = (int)reorder;
}

/* vui_parameters() (E.1.1): the frame rate and the reorder depth. */
static int parse_vui(struct ls_bitreader *br, struct ls_h264_sps *sps)
{
    if (ls_br_bits(br, 1) && ls_br_bits(br, 8) == 255) /* aspect_ratio_info, idc */
        ls_br_skip(br, 32);                             /* sar_width, sar_height */
    if (ls_br_bits(br, 1))                              /* overscan_info_present_flag */
        ls_br_skip(br, 1);
    if (ls_br_bits(br, 1)) {                            /* video_signal_type_present_flag */
        ls_br_skip(br, 4);                              /* video_format, full_range */
        if (ls_br_bits(br, 1))                          /* colour_description_present_flag */
            ls_br_skip(br, 24);
    }
    if (ls_br_bits(br, 1)) {                            /* chroma_loc_info_present_flag */
        ls_br_ue(br);
        ls_br_ue(br);
    }
    if (ls_br_bits(br, 1)) {                            /* timing_info_present_flag */
        uint32_t units = ls_br_bits(br, 32), scale = ls_br_bits(br, 32);
        /* A field pair is two ticks, hence the 2 (E.2.1). */
        if (units && scale)
            sps->fps = (double)scale / (2.0 * units);
        ls_br_skip(br, 1);                              /* fixed_frame_rate_flag */
    }
    if (br->overrun)
        return -EBADMSG;
    parse_vui_tail(br, sps); /* a truncated tail leaves the depth unknown, nothing else */
    return 0;
}

/* Where the bitstream rules reordering out without saying so in the VUI: Baseline has no
 * B slices, POC type 2 ties output order to decode order (8.2.1.3), intra profiles (E.2.1). */
static int inferred_depth(const struct ls_h264_sps *sps)
{
    bool intra = sps->constraint_flags & 0x10; /* constraint_set3_flag */
    switch (sps->profile_idc) {
    case 66:
        return 0;
    case 44:
    case 86:
    case 100:
    case 110:
    case 122:
    case 244:
        if (intra)
            return 0;
        break;
    default:
        break;
    }
    return sps->poc_type == 2 ? 0 : -1;
}

static int parse_rbsp(struct ls_bitreader *br, struct ls_h264_sps *sps)
{
    sps->profile_idc = ls_br_bits(br, 8);
    sps->constraint_flags = ls_br_bits(br, 8);
    sps->level_idc = ls_br_bits(br, 8);
    sps->sps_id = ls_br_ue(br);
    if (sps->sps_id > 31)
        return -EBADMSG;

    bool separate_planes = false;
    sps->chroma_format_idc = 1;
    sps->bit_depth_luma = sps->bit_depth_chroma = 8;
    int ret;
    if (has_chroma_info(sps->profile_idc) &&
        (ret = parse_chroma_info(br, sps, &separate_planes)) < 0)
        return ret;
    if ((ret = skip_poc_fields(br, sps)) < 0)
        return ret;
    if ((ret = parse_geometry(br, sps, separate_planes)) < 0)
        return ret;
    if (br->overrun)
        return -EBADMSG;
    /* A broken VUI loses only the frame rate: the picture size is known by now, and a
     * camera must not go dark because of it (FFmpeg's own avcC writer only warns too). */
    sps->reorder_depth = -1;
    if (ls_br_bits(br, 1) && parse_vui(br, sps) < 0) /* vui_parameters_present_flag */
        sps->fps = 0;
    if (sps->reorder_depth < 0)
        sps->reorder_depth = inferred_depth(sps);
    return 0;
}

int ls_h264_parse_sps(const uint8_t *nal, size_t size, struct ls_h264_sps *out)
{
    if (!nal || !out || size < 4 || (nal[0] & 0x80) ||
        ls_h264_nal_type(nal, size) != LS_H264_NAL_SPS)
        return -EBADMSG;

    uint8_t rbsp[SPS_MAX_RBSP];
    size_t n = size - 1 < sizeof(rbsp) ? size - 1 : sizeof(rbsp);
    n = ls_nal_unescape(rbsp, nal + 1, n);

    struct ls_bitreader br;
    ls_br_init(&br, rbsp, n);
    struct ls_h264_sps sps;
    memset(&sps, 0, sizeof(sps));
    int ret = parse_rbsp(&br, &sps);
    if (ret < 0)
        return ret;
    *out = sps;
    return 0;
}
