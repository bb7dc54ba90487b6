/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file codec.h
 * @brief A video's codec as browsers and HLS name it (RFC 6381).
 *
 * A player asks whether it can decode a stream by its exact codec string
 * (`MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"')`,
 * an HLS playlist's `CODECS`): the profile, its constraints and the level
 * decide, not the codec's name. The relay's stats carry the string of the
 * stream it reads (ls_relay_stats.video_codec_string); an application that
 * reads a recorded MP4's avcC or hvcC box gets the same string from here.
 */
#ifndef LIGHTSTREAM_CODEC_H
#define LIGHTSTREAM_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Room for any string ls_codec_string() writes, with its NUL. */
#define LS_CODEC_STRING_MAX 48

/**
 * The RFC 6381 codec string of a decoder configuration record:
 * `avc1.PPCCLL` (profile, constraint flags, level of an
 * AVCDecoderConfigurationRecord, in hex) or, for H.265,
 * `hvc1.[A-C]P.C.TL[.B…]` as ISO/IEC 14496-15 Annex E spells it (profile
 * space, profile, compatibility flags bit-reversed in hex, tier and level,
 * then the constraint bytes up to the last non-zero one).
 *
 * @param fourcc the sample entry the string starts with: "avc1" or "avc3"
 *        for an avcC record, "hvc1" or "hev1" for an hvcC record.
 * @param record the record (the avcC or hvcC box's payload); may be NULL
 *        when @p size is 0.
 * @param size its bytes.
 * @param out where the string goes, NUL-terminated (truncated like snprintf).
 * @param cap size of @p out; LS_CODEC_STRING_MAX always suffices.
 * @return its length; -EINVAL when @p fourcc is none of those four or the
 *         record is too short to hold the fields (then @p out holds the
 *         fourcc alone, or "" for an unknown fourcc).
 *
 * Thread-safety: safe (pure function).
 */
LS_API int ls_codec_string(const char *fourcc, const uint8_t *record, size_t size, char *out,
                           size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_CODEC_H */
