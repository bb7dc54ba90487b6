/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: crafts H.265 VPS, SPS and PPS NAL units from a parameter
 * struct, covering syntax x265 never writes (inter-predicted reference
 * picture sets, long-term pictures, scaling lists, PCM, HRD with sub-layers,
 * bitstream_restriction) so the parsers' walk to the VUI can be checked.
 */
#ifndef LS_TESTS_H265_WRITER_H
#define LS_TESTS_H265_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/unit/codec/nal_writer.h"

struct h265_ptl_params {
    unsigned profile_space, tier, profile_idc, level;
    uint32_t compat;
    uint64_t constraint;
    bool sub_profile_present, sub_level_present;
};

struct h265_hrd_params {
    bool nal, vcl, sub_pic;
    unsigned cpb_cnt_minus1;
};

struct h265_sps_params {
    unsigned max_sub_minus1;
    bool nesting;
    struct h265_ptl_params ptl;
    unsigned sps_id, chroma;
    bool separate_planes;
    unsigned width, height;
    unsigned conf[4]; /* left, right, top, bottom */
    unsigned depth_luma_minus8, depth_chroma_minus8;
    unsigned log2_poc_lsb_minus4;
    bool scaling, pcm;
    bool rps;          /* a mix of explicit and inter-predicted sets */
    unsigned num_rps_extra_pred; /* further predicted sets, each one picture larger */
    unsigned long_term;
    bool vui, vui_all;
    uint32_t units, scale;
    bool hrd;
    struct h265_hrd_params hrd_params;
    bool restriction;
    unsigned min_spatial;
};

struct h265_pps_params {
    unsigned pps_id, sps_id;
    bool cu_qp_delta, tiles, wpp;
};

static inline void h265w_ptl(struct nal_writer *w, const struct h265_ptl_params *p, unsigned subs)
{
    nw_u(w, p->profile_space, 2);
    nw_u(w, p->tier, 1);
    nw_u(w, p->profile_idc, 5);
    nw_u(w, p->compat, 32);
    nw_u(w, p->constraint, 48);
    nw_u(w, p->level, 8);
    for (unsigned i = 0; i < subs; i++) {
        nw_u(w, p->sub_profile_present, 1);
        nw_u(w, p->sub_level_present, 1);
    }
    if (subs)
        nw_u(w, 0, 2 * (8 - subs));
    for (unsigned i = 0; i < subs; i++) {
        if (p->sub_profile_present) {
            nw_u(w, 0x5a5a5a5a, 32);
            nw_u(w, 0xa5a5a5a5, 32);
            nw_u(w, 0x3c3c3c, 24);
        }
        if (p->sub_level_present)
            nw_u(w, 90, 8);
    }
}

static inline const uint8_t *h265w_vps(struct nal_writer *w, unsigned max_sub_minus1,
                                       const struct h265_ptl_params *ptl, uint32_t reserved,
                                       size_t *size)
{
    nw_init(w);
    nw_u(w, 0, 4);                /* vps_video_parameter_set_id */
    nw_u(w, 3, 2);                /* base layer internal, available */
    nw_u(w, 0, 6);                /* vps_max_layers_minus1 */
    nw_u(w, max_sub_minus1, 3);
    nw_u(w, max_sub_minus1 == 0, 1);
    nw_u(w, reserved, 16);
    h265w_ptl(w, ptl, max_sub_minus1);
    nw_u(w, 1, 1);                /* vps_sub_layer_ordering_info_present_flag */
    for (unsigned i = 0; i <= max_sub_minus1; i++) {
        nw_ue(w, 4);
        nw_ue(w, 2);
        nw_ue(w, 0);
    }
    nw_u(w, 0, 6);                /* vps_max_layer_id */
    nw_ue(w, 0);                  /* vps_num_layer_sets_minus1 */
    nw_u(w, 0, 1);                /* vps_timing_info_present_flag */
    nw_u(w, 0, 1);                /* vps_extension_flag */
    return nw_finish(w, (const uint8_t[]){ 0x40, 0x01 }, 2, size);
}

static inline void h265w_scaling_list_data(struct nal_writer *w)
{
    for (unsigned size_id = 0; size_id < 4; size_id++) {
        for (unsigned m = 0; m < 6; m += size_id == 3 ? 3 : 1) {
            bool explicit_list = (size_id + m) % 2 == 0;
            nw_u(w, explicit_list, 1);
            if (!explicit_list) {
                nw_ue(w, m ? 1 : 0);
                continue;
            }
            if (size_id > 1)
                nw_se(w, 8);
            for (unsigned i = 0; i < (size_id ? 64u : 16u); i++)
                nw_se(w, (int)(i % 5) - 2);
        }
    }
}

/* Sets: explicit, three predicted from the previous (3 → 3 → 4 → 3 pictures), explicit. */
static inline void h265w_rps(struct nal_writer *w, unsigned extra)
{
    unsigned total = 5 + extra;
    nw_ue(w, total);
    /* 0: explicit, two past pictures and one future one */
    nw_ue(w, 2);
    nw_ue(w, 1);
    nw_ue(w, 0); nw_u(w, 1, 1);
    nw_ue(w, 1); nw_u(w, 0, 1);
    nw_ue(w, 0); nw_u(w, 1, 1);
    /* 1: predicted from 0 (3 pictures → 4 flags): used, delta, dropped, used → 3 */
    nw_u(w, 1, 1); nw_u(w, 0, 1); nw_ue(w, 0);
    nw_u(w, 1, 1);
    nw_u(w, 0, 1); nw_u(w, 1, 1);
    nw_u(w, 0, 1); nw_u(w, 0, 1);
    nw_u(w, 1, 1);
    /* 2: predicted from 1 (3 → 4 flags), all used → 4 */
    nw_u(w, 1, 1); nw_u(w, 1, 1); nw_ue(w, 1);
    for (int j = 0; j < 4; j++)
        nw_u(w, 1, 1);
    /* 3: predicted from 2 (4 → 5 flags): three kept → 3 */
    nw_u(w, 1, 1); nw_u(w, 0, 1); nw_ue(w, 2);
    nw_u(w, 0, 1); nw_u(w, 0, 1);
    nw_u(w, 1, 1);
    nw_u(w, 0, 1); nw_u(w, 1, 1);
    nw_u(w, 1, 1);
    nw_u(w, 0, 1); nw_u(w, 0, 1);
    /* 4: explicit, nothing */
    nw_u(w, 0, 1);
    nw_ue(w, 0);
    nw_ue(w, 0);
    /* 5..: each predicted from the previous with every flag used: n → n + 1 */
    for (unsigned k = 0, prev = 0; k < extra; k++, prev++) {
        nw_u(w, 1, 1); nw_u(w, 0, 1); nw_ue(w, 0);
        for (unsigned j = 0; j <= prev; j++)
            nw_u(w, 1, 1);
    }
}

static inline void h265w_sub_layer_hrd(struct nal_writer *w, const struct h265_hrd_params *h)
{
    for (unsigned i = 0; i <= h->cpb_cnt_minus1; i++) {
        nw_ue(w, 1000 + i);
        nw_ue(w, 2000 + i);
        if (h->sub_pic) {
            nw_ue(w, 30);
            nw_ue(w, 40);
        }
        nw_u(w, i & 1, 1);
    }
}

/*
 * hrd_parameters(1, max_sub_minus1) with the three per-sub-layer forms:
 * general fixed rate (elemental duration, then cpb count), fixed within CVS,
 * and variable with low delay (no cpb count).
 */
static inline void h265w_hrd(struct nal_writer *w, const struct h265_hrd_params *h,
                             unsigned max_sub_minus1)
{
    nw_u(w, h->nal, 1);
    nw_u(w, h->vcl, 1);
    if (h->nal || h->vcl) {
        nw_u(w, h->sub_pic, 1);
        if (h->sub_pic)
            nw_u(w, 0x12345, 19);
        nw_u(w, 0x55, 8);
        if (h->sub_pic)
            nw_u(w, 3, 4);
        nw_u(w, 0x1234, 15);
    }
    for (unsigned i = 0; i <= max_sub_minus1; i++) {
        unsigned form = i % 3;
        nw_u(w, form == 0, 1);               /* fixed_pic_rate_general_flag */
        if (form != 0)
            nw_u(w, form == 1, 1);           /* fixed_pic_rate_within_cvs_flag */
        bool low_delay = false;
        if (form != 2) {
            nw_ue(w, 3);                     /* elemental_duration_in_tc_minus1 */
        } else {
            low_delay = true;
            nw_u(w, 1, 1);                   /* low_delay_hrd_flag */
        }
        struct h265_hrd_params sub = *h;
        if (!low_delay)
            nw_ue(w, h->cpb_cnt_minus1);
        else
            sub.cpb_cnt_minus1 = 0;
        if (h->nal)
            h265w_sub_layer_hrd(w, &sub);
        if (h->vcl)
            h265w_sub_layer_hrd(w, &sub);
    }
}

static inline void h265w_vui(struct nal_writer *w, const struct h265_sps_params *p)
{
    bool all = p->vui_all;
    nw_u(w, all, 1);
    if (all) {
        nw_u(w, 255, 8);
        nw_u(w, 0x00040003, 32);
    }
    nw_u(w, all, 1);
    if (all)
        nw_u(w, 0, 1);
    nw_u(w, all, 1);
    if (all) {
        nw_u(w, 0xb, 4);
        nw_u(w, 1, 1);
        nw_u(w, 0x090909, 24);
    }
    nw_u(w, all, 1);
    if (all) {
        nw_ue(w, 2);
        nw_ue(w, 2);
    }
    nw_u(w, all ? 5 : 0, 3);                 /* neutral_chroma, field_seq, frame_field_info */
    nw_u(w, all, 1);                         /* default_display_window_flag */
    if (all)
        for (int i = 0; i < 4; i++)
            nw_ue(w, 8u * (unsigned)i);
    nw_u(w, p->units != 0, 1);
    if (p->units) {
        nw_u(w, p->units, 32);
        nw_u(w, p->scale, 32);
        nw_u(w, all, 1);                     /* vui_poc_proportional_to_timing_flag */
        if (all)
            nw_ue(w, 0);
        nw_u(w, p->hrd, 1);
        if (p->hrd)
            h265w_hrd(w, &p->hrd_params, p->max_sub_minus1);
    }
    nw_u(w, p->restriction, 1);
    if (p->restriction) {
        nw_u(w, 5, 3);
        nw_ue(w, p->min_spatial);
        nw_ue(w, 2);
        nw_ue(w, 1);
        nw_ue(w, 15);
        nw_ue(w, 15);
    }
}

static inline void h265w_sps_format(struct nal_writer *w, const struct h265_sps_params *p)
{
    nw_ue(w, p->sps_id);
    nw_ue(w, p->chroma);
    if (p->chroma == 3)
        nw_u(w, p->separate_planes, 1);
    nw_ue(w, p->width);
    nw_ue(w, p->height);
    bool conf = p->conf[0] || p->conf[1] || p->conf[2] || p->conf[3];
    nw_u(w, conf, 1);
    for (int i = 0; conf && i < 4; i++)
        nw_ue(w, p->conf[i]);
    nw_ue(w, p->depth_luma_minus8);
    nw_ue(w, p->depth_chroma_minus8);
}

static inline void h265w_sps_coding(struct nal_writer *w, const struct h265_sps_params *p)
{
    nw_ue(w, p->log2_poc_lsb_minus4);
    nw_u(w, p->max_sub_minus1 > 0, 1);       /* sub_layer_ordering_info_present_flag */
    for (unsigned i = p->max_sub_minus1 > 0 ? 0 : p->max_sub_minus1; i <= p->max_sub_minus1; i++) {
        nw_ue(w, 5);
        nw_ue(w, 2);
        nw_ue(w, 0);
    }
    nw_ue(w, 0);                             /* log2_min_luma_coding_block_size_minus3 */
    nw_ue(w, 3);
    nw_ue(w, 0);
    nw_ue(w, 3);
    nw_ue(w, 1);
    nw_ue(w, 1);
    nw_u(w, p->scaling, 1);
    if (p->scaling) {
        nw_u(w, 1, 1);                       /* sps_scaling_list_data_present_flag */
        h265w_scaling_list_data(w);
    }
    nw_u(w, 1, 1);                           /* amp_enabled_flag */
    nw_u(w, 1, 1);                           /* sample_adaptive_offset_enabled_flag */
    nw_u(w, p->pcm, 1);
    if (p->pcm) {
        nw_u(w, 7, 4);
        nw_u(w, 7, 4);
        nw_ue(w, 0);
        nw_ue(w, 1);
        nw_u(w, 1, 1);
    }
    if (p->rps)
        h265w_rps(w, p->num_rps_extra_pred);
    else
        nw_ue(w, 0);
    nw_u(w, p->long_term > 0, 1);
    if (p->long_term) {
        nw_ue(w, p->long_term);
        for (unsigned i = 0; i < p->long_term; i++) {
            nw_u(w, 0x5555 + i, p->log2_poc_lsb_minus4 + 4);
            nw_u(w, i & 1, 1);
        }
    }
    nw_u(w, 1, 1);                           /* sps_temporal_mvp_enabled_flag */
    nw_u(w, 1, 1);                           /* strong_intra_smoothing_enabled_flag */
}

static inline const uint8_t *h265w_sps(struct nal_writer *w, const struct h265_sps_params *p,
                                       size_t *size)
{
    nw_init(w);
    nw_u(w, 0, 4);
    nw_u(w, p->max_sub_minus1, 3);
    nw_u(w, p->nesting, 1);
    h265w_ptl(w, &p->ptl, p->max_sub_minus1);
    h265w_sps_format(w, p);
    h265w_sps_coding(w, p);
    nw_u(w, p->vui, 1);
    if (p->vui)
        h265w_vui(w, p);
    nw_u(w, 0, 1);                           /* sps_extension_present_flag */
    return nw_finish(w, (const uint8_t[]){ 0x42, 0x01 }, 2, size);
}

static inline const uint8_t *h265w_pps(struct nal_writer *w, const struct h265_pps_params *p,
                                       size_t *size)
{
    nw_init(w);
    nw_ue(w, p->pps_id);
    nw_ue(w, p->sps_id);
    nw_u(w, 0x2a, 7);                        /* dependent_slice .. cabac_init_present */
    nw_ue(w, 2);
    nw_ue(w, 0);
    nw_se(w, -4);
    nw_u(w, 2, 2);
    nw_u(w, p->cu_qp_delta, 1);
    if (p->cu_qp_delta)
        nw_ue(w, 1);
    nw_se(w, 3);
    nw_se(w, -3);
    nw_u(w, 0xa, 4);
    nw_u(w, p->tiles, 1);
    nw_u(w, p->wpp, 1);
    if (p->tiles) {
        nw_ue(w, 1);
        nw_ue(w, 1);
        nw_u(w, 1, 1);
        nw_u(w, 1, 1);
    }
    nw_u(w, 1, 1);                           /* pps_loop_filter_across_slices_enabled_flag */
    nw_u(w, 0, 1);                           /* deblocking_filter_control_present_flag */
    nw_u(w, 0, 1);                           /* pps_scaling_list_data_present_flag */
    nw_u(w, 0, 1);                           /* lists_modification_present_flag */
    nw_ue(w, 0);                             /* log2_parallel_merge_level_minus2 */
    nw_u(w, 0, 1);
    nw_u(w, 0, 1);                           /* pps_extension_present_flag */
    return nw_finish(w, (const uint8_t[]){ 0x44, 0x01 }, 2, size);
}

#endif
