/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1). Pure.
 */
#ifndef LS_LIB_HVCC_H
#define LS_LIB_HVCC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/bitstream.h"

/**
 * Build an hvcC record from VPS, SPS and PPS NAL units (2-byte header
 * included, as in the stream), arrays in that order, lengthSizeMinusOne = 3.
 * The bytes equal what Debian 12's FFmpeg 5.1 writes into an MP4 for the
 * same parameter sets.
 *
 * @return the record's size, -ENOSPC when @p cap is too small, -EBADMSG when
 *         one kind is missing or does not parse.
 */
int ls_hvcc_build(uint8_t *out, size_t cap, const struct ls_nal *vps, size_t n_vps,
                  const struct ls_nal *sps, size_t n_sps, const struct ls_nal *pps,
                  size_t n_pps);

#endif
