/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1. The layout
 * choices follow what FFmpeg 5.1's MP4 muxer writes, so a player sees the
 * same record from us as from an ffmpeg-made file:
 *  - profile, compatibility and level are the raw bytes 1..3 of the first SPS;
 *  - lengthSizeMinusOne is 3 (4-byte NAL lengths);
 *  - the high-profile tail (chroma_format, bit depths, SPS extensions) is
 *    written for every profile except Baseline (66), Main (77) and Extended
 *    (88), from the first SPS, with no SPS extension NAL units.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/codec/avcc.h"
#include "lib/util/bitstream.h"
#include "lib/codec/h264.h"

/* Field widths of the record: 5 bits of SPS count, 8 of PPS count, 16 of length. */
#define MAX_SPS 31
#define MAX_PPS 255
#define MAX_NAL_SIZE 0xffff

static bool nals_ok(const struct ls_nal *nals, size_t n, size_t max, int type)
{
    if (!nals || n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!nals[i].data || nals[i].size == 0 || nals[i].size > MAX_NAL_SIZE ||
            ls_h264_nal_type(nals[i].data, nals[i].size) != type)
            return false;
    return true;
}

static void put_nals(struct ls_bytewriter *bw, const struct ls_nal *nals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ls_bw_be16(bw, (unsigned)nals[i].size);
        ls_bw_bytes(bw, nals[i].data, nals[i].size);
    }
}

/* Profiles that the original AVC file format already covered get no tail. */
static bool wants_high_tail(unsigned profile_idc)
{
    return profile_idc != 66 && profile_idc != 77 && profile_idc != 88;
}

int ls_avcc_build(uint8_t *out, size_t cap, const struct ls_nal *sps, size_t n_sps,
                  const struct ls_nal *pps, size_t n_pps)
{
    if (!nals_ok(sps, n_sps, MAX_SPS, LS_H264_NAL_SPS) ||
        !nals_ok(pps, n_pps, MAX_PPS, LS_H264_NAL_PPS))
        return -EBADMSG;
    struct ls_h264_sps info;
    if (ls_h264_parse_sps(sps[0].data, sps[0].size, &info) < 0)
        return -EBADMSG;

    struct ls_bytewriter bw;
    ls_bw_init(&bw, out, cap);
    ls_bw_u8(&bw, 1);                  /* configurationVersion */
    ls_bw_bytes(&bw, sps[0].data + 1, 3); /* profile, compatibility, level */
    ls_bw_u8(&bw, 0xfc | 3);           /* reserved + lengthSizeMinusOne */
    ls_bw_u8(&bw, 0xe0 | (unsigned)n_sps);
    put_nals(&bw, sps, n_sps);
    ls_bw_u8(&bw, (unsigned)n_pps);
    put_nals(&bw, pps, n_pps);
    if (wants_high_tail(sps[0].data[1])) {
        ls_bw_u8(&bw, 0xfc | info.chroma_format_idc);
        ls_bw_u8(&bw, 0xf8 | (info.bit_depth_luma - 8));
        ls_bw_u8(&bw, 0xf8 | (info.bit_depth_chroma - 8));
        ls_bw_u8(&bw, 0);              /* numOfSequenceParameterSetExt */
    }
    if (bw.overflow)
        return -ENOSPC;
    return (int)bw.size;
}
