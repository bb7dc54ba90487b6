/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1). Pure.
 */
#ifndef LS_LIB_AVCC_H
#define LS_LIB_AVCC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util/bitstream.h"

/**
 * Build an avcC record from SPS and PPS NAL units (header byte included, as
 * they appear in the stream). The bytes equal what Debian 12's FFmpeg 5.1
 * writes into an MP4 for the same parameter sets.
 *
 * @return the record's size, -ENOSPC when @p cap is too small, -EBADMSG when
 *         there is no SPS or PPS or the first SPS does not parse.
 */
int ls_avcc_build(uint8_t *out, size_t cap, const struct ls_nal *sps, size_t n_sps,
                  const struct ls_nal *pps, size_t n_pps);

#endif
