/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 parameter set parsing: ITU-T H.265 7.3.2.1 (VPS), 7.3.2.2 (SPS),
 * 7.3.2.3 (PPS), 7.3.3 (profile_tier_level), 7.3.4 (scaling_list_data),
 * 7.3.7 (st_ref_pic_set), E.2.1 (VUI) and E.2.2 (hrd_parameters). The SPS
 * fields hvcC needs sit after the reference picture sets and HRD, so every
 * structure before them is walked exactly, never guessed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/util/bitstream.h"
#include "lib/codec/h265.h"

/* Realistic parameter sets are a few hundred bytes; a parse needing more fails. */
#define PS_MAX_RBSP 4096

/* Limits from 7.4.3 that also keep the loops below short. */
#define MAX_SUB_LAYERS 7
#define MAX_ST_RPS 64
#define MAX_DELTA_POCS 32
#define MAX_PIC_SIZE 32768

/* Unescape a NAL (2-byte header included) into @p rbsp, skip the header. */
static int open_rbsp(const uint8_t *nal, size_t size, int type, uint8_t *rbsp, size_t cap,
                     struct ls_bitreader *br)
{
    if (!nal || size < 3 || (nal[0] & 0x80) || ls_h265_nal_type(nal, size) != type)
        return -EBADMSG;
    size_t n = ls_nal_unescape(rbsp, nal + 2, size - 2 < cap ? size - 2 : cap);
    ls_br_init(br, rbsp, n);
    return 0;
}

/* profile_tier_level(1, max_sub_layers_minus1) (7.3.3): general part kept, sub-layers skipped. */
static void parse_ptl(struct ls_bitreader *br, struct ls_h265_ptl *ptl, unsigned max_sub_minus1)
{
    ptl->profile_space = ls_br_bits(br, 2);
    ptl->tier_flag = ls_br_bits(br, 1);
    ptl->profile_idc = ls_br_bits(br, 5);
    ptl->compatibility_flags = ls_br_bits(br, 32);
    ptl->constraint_flags = (uint64_t)ls_br_bits(br, 32) << 16;
    ptl->constraint_flags |= ls_br_bits(br, 16);
    ptl->level_idc = ls_br_bits(br, 8);

    bool profile_present[MAX_SUB_LAYERS], level_present[MAX_SUB_LAYERS];
    for (unsigned i = 0; i < max_sub_minus1; i++) {
        profile_present[i] = ls_br_bits(br, 1);
        level_present[i] = ls_br_bits(br, 1);
    }
    /* The flag pairs are padded to 8 entries once there is any sub-layer. */
    if (max_sub_minus1 > 0)
        ls_br_skip(br, 2 * (8 - max_sub_minus1));
    for (unsigned i = 0; i < max_sub_minus1; i++) {
        if (profile_present[i])
            ls_br_skip(br, 88); /* sub_layer profile space .. inbld/reserved */
        if (level_present[i])
            ls_br_skip(br, 8);  /* sub_layer_level_idc */
    }
}

int ls_h265_parse_vps(const uint8_t *nal, size_t size, struct ls_h265_vps *out)
{
    uint8_t rbsp[PS_MAX_RBSP];
    struct ls_bitreader br;
    if (!out || open_rbsp(nal, size, LS_H265_NAL_VPS, rbsp, sizeof(rbsp), &br) < 0)
        return -EBADMSG;

    struct ls_h265_vps vps;
    memset(&vps, 0, sizeof(vps));
    /* vps_video_parameter_set_id, base_layer_internal/available, max_layers_minus1 */
    ls_br_skip(&br, 4 + 1 + 1 + 6);
    unsigned max_sub_minus1 = ls_br_bits(&br, 3);
    vps.temporal_id_nesting = ls_br_bits(&br, 1);
    if (ls_br_bits(&br, 16) != 0xffff || max_sub_minus1 >= MAX_SUB_LAYERS)
        return -EBADMSG;
    vps.max_sub_layers = max_sub_minus1 + 1;
    parse_ptl(&br, &vps.ptl, max_sub_minus1);
    if (br.overrun)
        return -EBADMSG;
    *out = vps;
    return 0;
}

/* scaling_list_data() (7.3.4). */
static void skip_scaling_list_data(struct ls_bitreader *br)
{
    for (unsigned size_id = 0; size_id < 4; size_id++) {
        for (unsigned matrix = 0; matrix < 6; matrix += size_id == 3 ? 3 : 1) {
            if (!ls_br_bits(br, 1)) {  /* scaling_list_pred_mode_flag */
                ls_br_ue(br);          /* scaling_list_pred_matrix_id_delta */
                continue;
            }
            unsigned coefs = size_id == 0 ? 16 : 64;
            if (size_id > 1)
                ls_br_se(br);          /* scaling_list_dc_coef_minus8 */
            for (unsigned i = 0; i < coefs && !br->overrun; i++)
                ls_br_se(br);          /* scaling_list_delta_coef */
        }
    }
}

/*
 * st_ref_pic_set(idx) as it appears in an SPS (7.3.7): the reference set of a
 * predicted one is always the previous set, and only its picture count
 * (NumDeltaPocs) is needed to know how many flags follow.
 */
static int skip_st_rps(struct ls_bitreader *br, unsigned idx, unsigned *num_delta_pocs)
{
    if (idx > 0 && ls_br_bits(br, 1)) { /* inter_ref_pic_set_prediction_flag */
        ls_br_skip(br, 1);              /* delta_rps_sign */
        ls_br_ue(br);                   /* abs_delta_rps_minus1 */
        unsigned count = 0;
        for (unsigned j = 0; j <= num_delta_pocs[idx - 1] && !br->overrun; j++) {
            bool used = ls_br_bits(br, 1); /* used_by_curr_pic_flag */
            if (used || ls_br_bits(br, 1)) /* use_delta_flag, inferred 1 when used */
                count++;
        }
        num_delta_pocs[idx] = count;
    } else {
        uint32_t neg = ls_br_ue(br), pos = ls_br_ue(br);
        if (neg > MAX_DELTA_POCS / 2 || pos > MAX_DELTA_POCS / 2)
            return -EBADMSG;
        for (uint32_t i = 0; i < neg + pos && !br->overrun; i++) {
            ls_br_ue(br);      /* delta_poc_s0/s1_minus1 */
            ls_br_skip(br, 1); /* used_by_curr_pic_s0/s1_flag */
        }
        num_delta_pocs[idx] = neg + pos;
    }
    /* A prediction chain can only grow by one per set; keep it within the DPB. */
    return br->overrun || num_delta_pocs[idx] > MAX_DELTA_POCS ? -EBADMSG : 0;
}

/* sub_layer_hrd_parameters() (E.2.3). */
static void skip_sub_layer_hrd(struct ls_bitreader *br, uint32_t cpb_cnt, bool sub_pic)
{
    for (uint32_t i = 0; i < cpb_cnt && !br->overrun; i++) {
        ls_br_ue(br); /* bit_rate_value_minus1 */
        ls_br_ue(br); /* cpb_size_value_minus1 */
        if (sub_pic) {
            ls_br_ue(br); /* cpb_size_du_value_minus1 */
            ls_br_ue(br); /* bit_rate_du_value_minus1 */
        }
        ls_br_skip(br, 1); /* cbr_flag */
    }
}

/* hrd_parameters(1, max_sub_layers_minus1) (E.2.2). */
static int skip_hrd(struct ls_bitreader *br, unsigned max_sub_minus1)
{
    bool nal = ls_br_bits(br, 1), vcl = ls_br_bits(br, 1), sub_pic = false;
    if (nal || vcl) {
        sub_pic = ls_br_bits(br, 1);
        if (sub_pic)
            ls_br_skip(br, 8 + 5 + 1 + 5); /* tick_divisor .. dpb_output_delay_du_length */
        ls_br_skip(br, 4 + 4);             /* bit_rate_scale, cpb_size_scale */
        if (sub_pic)
            ls_br_skip(br, 4);             /* cpb_size_du_scale */
        ls_br_skip(br, 5 + 5 + 5);         /* three delay lengths */
    }
    for (unsigned i = 0; i <= max_sub_minus1 && !br->overrun; i++) {
        /* fixed_pic_rate_within_cvs_flag is inferred 1 when the general flag is set. */
        bool fixed = ls_br_bits(br, 1) || ls_br_bits(br, 1);
        bool low_delay = false;
        if (fixed)
            ls_br_ue(br); /* elemental_duration_in_tc_minus1 */
        else
            low_delay = ls_br_bits(br, 1);
        uint32_t cpb_cnt = 1;
        if (!low_delay && (cpb_cnt = ls_br_ue(br) + 1) > 32)
            return -EBADMSG;
        if (nal)
            skip_sub_layer_hrd(br, cpb_cnt, sub_pic);
        if (vcl)
            skip_sub_layer_hrd(br, cpb_cnt, sub_pic);
    }
    return br->overrun ? -EBADMSG : 0;
}

/* vui_parameters() (E.2.1): timing → fps, bitstream_restriction → segmentation. */
static int parse_vui(struct ls_bitreader *br, struct ls_h265_sps *sps, unsigned max_sub_minus1)
{
    if (ls_br_bits(br, 1) && ls_br_bits(br, 8) == 255) /* aspect_ratio_info, idc */
        ls_br_skip(br, 32);                             /* sar_width, sar_height */
    if (ls_br_bits(br, 1))                              /* overscan_info_present_flag */
        ls_br_skip(br, 1);
    if (ls_br_bits(br, 1)) {                            /* video_signal_type_present_flag */
        ls_br_skip(br, 4);
        if (ls_br_bits(br, 1))                          /* colour_description_present_flag */
            ls_br_skip(br, 24);
    }
    if (ls_br_bits(br, 1)) {                            /* chroma_loc_info_present_flag */
        ls_br_ue(br);
        ls_br_ue(br);
    }
    ls_br_skip(br, 3); /* neutral_chroma_indication, field_seq, frame_field_info_present */
    if (ls_br_bits(br, 1))                              /* default_display_window_flag */
        for (int i = 0; i < 4; i++)
            ls_br_ue(br);
    if (ls_br_bits(br, 1)) {                            /* vui_timing_info_present_flag */
        uint32_t units = ls_br_bits(br, 32), scale = ls_br_bits(br, 32);
        if (units && scale)
            sps->fps = (double)scale / units;
        if (ls_br_bits(br, 1))                          /* vui_poc_proportional_to_timing_flag */
            ls_br_ue(br);
        if (ls_br_bits(br, 1) && skip_hrd(br, max_sub_minus1) < 0)
            return -EBADMSG;
    }
    if (ls_br_bits(br, 1)) {                            /* bitstream_restriction_flag */
        ls_br_skip(br, 3); /* tiles_fixed, mvs_over_pic_boundaries, restricted_ref_lists */
        sps->has_bitstream_restriction = true;
        sps->min_spatial_segmentation_idc = ls_br_ue(br);
        if (sps->min_spatial_segmentation_idc > 4095)
            return -EBADMSG;
        for (int i = 0; i < 4; i++)                     /* max_bytes_per_pic_denom .. */
            ls_br_ue(br);
    }
    return br->overrun ? -EBADMSG : 0;
}

/* From sps_seq_parameter_set_id to the conformance window and bit depths. */
static int parse_sps_format(struct ls_bitreader *br, struct ls_h265_sps *sps)
{
    sps->sps_id = ls_br_ue(br);
    sps->chroma_format_idc = ls_br_ue(br);
    if (sps->sps_id > 15 || sps->chroma_format_idc > 3)
        return -EBADMSG;
    bool separate_planes = sps->chroma_format_idc == 3 && ls_br_bits(br, 1);
    uint32_t width = ls_br_ue(br), height = ls_br_ue(br);
    if (!width || !height || width > MAX_PIC_SIZE || height > MAX_PIC_SIZE)
        return -EBADMSG;
    if (ls_br_bits(br, 1)) { /* conformance_window_flag */
        /* Offsets count chroma samples (SubWidthC/SubHeightC, table 6-1). */
        unsigned cx = 1, cy = 1;
        if (!separate_planes) {
            cx = sps->chroma_format_idc == 1 || sps->chroma_format_idc == 2 ? 2 : 1;
            cy = sps->chroma_format_idc == 1 ? 2 : 1;
        }
        uint32_t l = ls_br_ue(br), r = ls_br_ue(br), t = ls_br_ue(br), b = ls_br_ue(br);
        if (l > width || r > width || t > height || b > height ||
            (uint64_t)(l + r) * cx >= width || (uint64_t)(t + b) * cy >= height)
            return -EBADMSG;
        width -= (l + r) * cx;
        height -= (t + b) * cy;
    }
    sps->width = width;
    sps->height = height;
    uint32_t luma = ls_br_ue(br), chroma = ls_br_ue(br);
    if (luma > 8 || chroma > 8)
        return -EBADMSG;
    sps->bit_depth_luma = luma + 8;
    sps->bit_depth_chroma = chroma + 8;
    return br->overrun ? -EBADMSG : 0;
}

/* From log2_max_pic_order_cnt_lsb_minus4 to the long-term reference pictures. */
static int skip_sps_coding(struct ls_bitreader *br, struct ls_h265_sps *sps,
                           unsigned max_sub_minus1)
{
    uint32_t poc_lsb_bits = ls_br_ue(br) + 4;
    if (poc_lsb_bits > 16)
        return -EBADMSG;
    unsigned i = ls_br_bits(br, 1) ? 0 : max_sub_minus1; /* sub_layer_ordering_info_present */
    for (; i <= max_sub_minus1; i++) {
        ls_br_ue(br); /* sps_max_dec_pic_buffering_minus1 */
        /* The highest sub-layer's value comes last: it bounds the whole stream. */
        sps->max_num_reorder = ls_br_ue(br);
        ls_br_ue(br); /* sps_max_latency_increase_plus1 */
    }
    if (sps->max_num_reorder > 16) /* out of range: the reorder logic measures instead */
        sps->max_num_reorder = 16;
    for (int k = 0; k < 6; k++)     /* coding/transform block sizes and depths */
        ls_br_ue(br);
    if (ls_br_bits(br, 1) && ls_br_bits(br, 1)) /* scaling_list_enabled, data_present */
        skip_scaling_list_data(br);
    ls_br_skip(br, 2);              /* amp_enabled_flag, sample_adaptive_offset_enabled_flag */
    if (ls_br_bits(br, 1)) {        /* pcm_enabled_flag */
        ls_br_skip(br, 4 + 4);
        ls_br_ue(br);
        ls_br_ue(br);
        ls_br_skip(br, 1);
    }
    uint32_t num_rps = ls_br_ue(br);
    if (num_rps > MAX_ST_RPS)
        return -EBADMSG;
    unsigned num_delta_pocs[MAX_ST_RPS];
    for (unsigned k = 0; k < num_rps; k++)
        if (skip_st_rps(br, k, num_delta_pocs) < 0)
            return -EBADMSG;
    if (ls_br_bits(br, 1)) {        /* long_term_ref_pics_present_flag */
        uint32_t num_lt = ls_br_ue(br);
        if (num_lt > 32)
            return -EBADMSG;
        /* lt_ref_pic_poc_lsb_sps and used_by_curr_pic_lt_sps_flag, num_lt times */
        ls_br_skip(br, (size_t)num_lt * (poc_lsb_bits + 1));
    }
    ls_br_skip(br, 2); /* sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag */
    return br->overrun ? -EBADMSG : 0;
}

int ls_h265_parse_sps(const uint8_t *nal, size_t size, struct ls_h265_sps *out)
{
    uint8_t rbsp[PS_MAX_RBSP];
    struct ls_bitreader br;
    if (!out || open_rbsp(nal, size, LS_H265_NAL_SPS, rbsp, sizeof(rbsp), &br) < 0)
        return -EBADMSG;

    struct ls_h265_sps sps;
    memset(&sps, 0, sizeof(sps));
    ls_br_skip(&br, 4); /* sps_video_parameter_set_id */
    unsigned max_sub_minus1 = ls_br_bits(&br, 3);
    if (max_sub_minus1 >= MAX_SUB_LAYERS)
        return -EBADMSG;
    sps.max_sub_layers = max_sub_minus1 + 1;
    sps.temporal_id_nesting = ls_br_bits(&br, 1);
    parse_ptl(&br, &sps.ptl, max_sub_minus1);
    if (parse_sps_format(&br, &sps) < 0 || skip_sps_coding(&br, &sps, max_sub_minus1) < 0)
        return -EBADMSG;
    if (br.overrun)
        return -EBADMSG;
    /* A broken VUI loses only the frame rate and segmentation hint, never the stream. */
    if (ls_br_bits(&br, 1) && parse_vui(&br, &sps, max_sub_minus1) < 0) { /* vui present */
        sps.fps = 0;
        sps.min_spatial_segmentation_idc = 0;
        sps.has_bitstream_restriction = false;
    }
    *out = sps;
    return 0;
}

int ls_h265_parse_pps(const uint8_t *nal, size_t size, struct ls_h265_pps *out)
{
    uint8_t rbsp[PS_MAX_RBSP];
    struct ls_bitreader br;
    if (!out || open_rbsp(nal, size, LS_H265_NAL_PPS, rbsp, sizeof(rbsp), &br) < 0)
        return -EBADMSG;

    if (ls_br_ue(&br) > 63 || ls_br_ue(&br) > 15) /* pps_pic_parameter_set_id, sps id */
        return -EBADMSG;
    ls_br_skip(&br, 1 + 1 + 3 + 1 + 1); /* dependent_slice .. cabac_init_present_flag */
    if (ls_br_ue(&br) > 14 || ls_br_ue(&br) > 14) /* num_ref_idx_l0/l1_default_active_minus1 */
        return -EBADMSG;
    ls_br_se(&br);                      /* init_qp_minus26 */
    ls_br_skip(&br, 2);                 /* constrained_intra_pred, transform_skip_enabled */
    if (ls_br_bits(&br, 1))             /* cu_qp_delta_enabled_flag */
        ls_br_ue(&br);                  /* diff_cu_qp_delta_depth */
    ls_br_se(&br);                      /* pps_cb_qp_offset */
    ls_br_se(&br);                      /* pps_cr_qp_offset */
    ls_br_skip(&br, 4);                 /* slice_chroma_qp_offsets .. transquant_bypass */
    struct ls_h265_pps pps;
    pps.tiles_enabled = ls_br_bits(&br, 1);
    pps.entropy_coding_sync_enabled = ls_br_bits(&br, 1);
    if (br.overrun)
        return -EBADMSG;
    *out = pps;
    return 0;
}
