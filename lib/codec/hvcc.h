/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1). Pure.
 */
#ifndef LS_LIB_HVCC_H
#define LS_LIB_HVCC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util/bitstream.h"

/**
 * Build an hvcC record from VPS, SPS and PPS NAL units (2-byte header
 * included, as in the stream), arrays in that order, lengthSizeMinusOne = 3.
 * The bytes equal what Debian 12's FFmpeg 5.1 writes into an MP4 ('hev1')
 * for the same parameter sets: array_completeness 0, no SEI arrays (FFmpeg
 * also copies SEI NAL units of the global headers, e.g. x265's version
 * string, into extra arrays).
 *
 * @return the record's size, -ENOSPC when @p cap is too small, -EBADMSG when
 *         one kind is missing or does not parse.
 */
int ls_hvcc_build(uint8_t *out, size_t cap, const struct ls_nal *vps, size_t n_vps,
                  const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                  size_t n_pps);

/** Flags of ls_hvcc_build_ex(). */
enum {
    /**
     * Set array_completeness on the VPS, SPS and PPS arrays, as an MP4 'hvc1'
     * sample entry requires (FFmpeg sets it for 'hvc1' only; 'hev1' and FLV use 0).
     */
    LS_HVCC_ARRAYS_COMPLETE = 1 << 0,
};

/** ls_hvcc_build() with LS_HVCC_* @p flags; ls_hvcc_build() passes 0. Same returns. */
int ls_hvcc_build_ex(uint8_t *out, size_t cap, const struct ls_nal *vps, size_t n_vps,
                     const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                     size_t n_pps, unsigned flags);

#endif
