/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 8.3.3.1. The record sums
 * up all parameter sets; where the standard leaves the summary open we
 * make the choices FFmpeg 5.1's MP4 muxer makes, so players see the same
 * bytes from us as from an ffmpeg-made file:
 *  - general profile/tier/level merge over VPS and SPS, in that order: the
 *    highest tier wins together with its level, otherwise the highest level;
 *    the highest profile_idc; compatibility and constraint flags are ANDed;
 *    profile_space comes from the last set;
 *  - numTemporalLayers is the largest max_sub_layers of any VPS or SPS;
 *    temporalIdNested, chroma format and bit depths come from the last SPS;
 *  - min_spatial_segmentation_idc is the smallest signalled in any SPS VUI,
 *    0 when none signals it; parallelismType comes from the last PPS and is
 *    0 whenever min_spatial_segmentation_idc is 0;
 *  - avgFrameRate and constantFrameRate are 0 (unspecified);
 *  - arrays are VPS, SPS, PPS, array_completeness 0 unless asked for.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/util/bitstream.h"
#include "lib/codec/h265.h"
#include "lib/codec/hvcc.h"

/* Parameter set id ranges (7.4.3) and the 16-bit nalUnitLength field. */
#define MAX_VPS 16
#define MAX_SPS 16
#define MAX_PPS 64
#define MAX_NAL_SIZE 0xffff
/* min_spatial_segmentation_idc is at most 4095 (E.3.1); this means "none seen". */
#define SEGMENTATION_UNSEEN 4096

struct hvcc_summary {
    struct ls_h265_ptl ptl;
    bool have_ptl;
    uint32_t min_spatial_segmentation;
    uint8_t parallelism_type;
    uint8_t chroma_format;
    uint8_t bit_depth_luma_minus8;
    uint8_t bit_depth_chroma_minus8;
    uint8_t temporal_layers;
    uint8_t temporal_id_nested;
};

static void merge_ptl(struct hvcc_summary *s, const struct ls_h265_ptl *p)
{
    if (!s->have_ptl) {
        /* Flags start all-set so the AND below keeps only common bits. */
        memset(&s->ptl, 0, sizeof(s->ptl));
        s->ptl.compatibility_flags = UINT32_MAX;
        s->ptl.constraint_flags = (UINT64_C(1) << 48) - 1;
        s->have_ptl = true;
    }
    s->ptl.profile_space = p->profile_space;
    /* A higher tier resets the level; within a tier the highest level wins. */
    if (s->ptl.tier_flag < p->tier_flag || s->ptl.level_idc < p->level_idc)
        s->ptl.level_idc = p->level_idc;
    if (s->ptl.tier_flag < p->tier_flag)
        s->ptl.tier_flag = p->tier_flag;
    if (s->ptl.profile_idc < p->profile_idc)
        s->ptl.profile_idc = p->profile_idc;
    s->ptl.compatibility_flags &= p->compatibility_flags;
    s->ptl.constraint_flags &= p->constraint_flags;
}

static bool nals_ok(const struct ls_nal *nals, size_t n, size_t max, int type)
{
    if (!nals || n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!nals[i].data || nals[i].size > MAX_NAL_SIZE ||
            ls_h265_nal_type(nals[i].data, nals[i].size) != type)
            return false;
    return true;
}

static int summarize(struct hvcc_summary *s, const struct ls_nal *vps, size_t n_vps,
                     const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                     size_t n_pps)
{
    memset(s, 0, sizeof(*s));
    s->min_spatial_segmentation = SEGMENTATION_UNSEEN;
    for (size_t i = 0; i < n_vps; i++) {
        struct ls_h265_vps v;
        if (ls_h265_parse_vps(vps[i].data, vps[i].size, &v) < 0)
            return -EBADMSG;
        merge_ptl(s, &v.ptl);
        if (s->temporal_layers < v.max_sub_layers)
            s->temporal_layers = v.max_sub_layers;
    }
    for (size_t i = 0; i < n_sps; i++) {
        struct ls_h265_sps p;
        if (ls_h265_parse_sps(sps[i].data, sps[i].size, &p) < 0)
            return -EBADMSG;
        merge_ptl(s, &p.ptl);
        if (s->temporal_layers < p.max_sub_layers)
            s->temporal_layers = p.max_sub_layers;
        s->temporal_id_nested = p.temporal_id_nesting;
        s->chroma_format = (uint8_t)p.chroma_format_idc;
        s->bit_depth_luma_minus8 = (uint8_t)(p.bit_depth_luma - 8);
        s->bit_depth_chroma_minus8 = (uint8_t)(p.bit_depth_chroma - 8);
        /* An SPS without bitstream_restriction says nothing, so it is not a 0. */
        if (p.has_bitstream_restriction &&
            p.min_spatial_segmentation_idc < s->min_spatial_segmentation)
            s->min_spatial_segmentation = p.min_spatial_segmentation_idc;
    }
    for (size_t i = 0; i < n_pps; i++) {
        struct ls_h265_pps p;
        if (ls_h265_parse_pps(pps[i].data, pps[i].size, &p) < 0)
            return -EBADMSG;
        /* 14496-15 8.3.3.1.2: 1 slices, 2 tiles, 3 wavefront, 0 mixed or unknown. */
        if (p.tiles_enabled && p.entropy_coding_sync_enabled)
            s->parallelism_type = 0;
        else
            s->parallelism_type = p.entropy_coding_sync_enabled ? 3 : p.tiles_enabled ? 2 : 1;
    }
    if (s->min_spatial_segmentation == SEGMENTATION_UNSEEN)
        s->min_spatial_segmentation = 0;
    /* parallelismType only qualifies a non-zero segmentation restriction. */
    if (s->min_spatial_segmentation == 0)
        s->parallelism_type = 0;
    return 0;
}

static void put_header(struct ls_bytewriter *bw, const struct hvcc_summary *s)
{
    const struct ls_h265_ptl *p = &s->ptl;
    ls_bw_u8(bw, 1); /* configurationVersion */
    ls_bw_u8(bw, (unsigned)(p->profile_space << 6 | p->tier_flag << 5 | p->profile_idc));
    ls_bw_be32(bw, p->compatibility_flags);
    ls_bw_be32(bw, (uint32_t)(p->constraint_flags >> 16));
    ls_bw_be16(bw, (unsigned)(p->constraint_flags & 0xffff));
    ls_bw_u8(bw, p->level_idc);
    ls_bw_be16(bw, 0xf000 | s->min_spatial_segmentation);
    ls_bw_u8(bw, 0xfc | s->parallelism_type);
    ls_bw_u8(bw, 0xfc | s->chroma_format);
    ls_bw_u8(bw, 0xf8 | s->bit_depth_luma_minus8);
    ls_bw_u8(bw, 0xf8 | s->bit_depth_chroma_minus8);
    ls_bw_be16(bw, 0); /* avgFrameRate: unspecified */
    /* constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3 */
    ls_bw_u8(bw, (unsigned)(s->temporal_layers << 3 | s->temporal_id_nested << 2 | 3));
    ls_bw_u8(bw, 3); /* numOfArrays */
}

static void put_array(struct ls_bytewriter *bw, const struct ls_nal *nals, size_t n, int type,
                      bool complete)
{
    ls_bw_u8(bw, (complete ? 0x80 : 0) | (unsigned)type);
    ls_bw_be16(bw, (unsigned)n);
    for (size_t i = 0; i < n; i++) {
        ls_bw_be16(bw, (unsigned)nals[i].size);
        ls_bw_bytes(bw, nals[i].data, nals[i].size);
    }
}

int ls_hvcc_build_ex(uint8_t *out, size_t cap, const struct ls_nal *vps, size_t n_vps,
                     const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                     size_t n_pps, unsigned flags)
{
    if (!nals_ok(vps, n_vps, MAX_VPS, LS_H265_NAL_VPS) ||
        !nals_ok(sps, n_sps, MAX_SPS, LS_H265_NAL_SPS) ||
        !nals_ok(pps, n_pps, MAX_PPS, LS_H265_NAL_PPS))
        return -EBADMSG;
    struct hvcc_summary s;
    if (summarize(&s, vps, n_vps, sps, n_sps, pps, n_pps) < 0)
        return -EBADMSG;

    bool complete = flags & LS_HVCC_ARRAYS_COMPLETE;
    struct ls_bytewriter bw;
    ls_bw_init(&bw, out, cap);
    put_header(&bw, &s);
    put_array(&bw, vps, n_vps, LS_H265_NAL_VPS, complete);
    put_array(&bw, sps, n_sps, LS_H265_NAL_SPS, complete);
    put_array(&bw, pps, n_pps, LS_H265_NAL_PPS, complete);
    if (bw.overflow)
        return -ENOSPC;
    return (int)bw.size;
}

int ls_hvcc_build(uint8_t *out, size_t cap, const struct ls_nal *vps, size_t n_vps,
                  const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                  size_t n_pps)
{
    return ls_hvcc_build_ex(out, cap, vps, n_vps, sps, n_sps, pps, n_pps, 0);
}
