/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The SDP of a DESCRIBE reply, as much as the native input needs: each
 * medium's payload type, codec and clock (rtpmap, or the static types 0 and
 * 8), its parameter sets or AudioSpecificConfig (fmtp: sprop-parameter-sets,
 * sprop-vps/sps/pps, config) and AAC's AU header sizes, and the control URLs.
 * Pure: no I/O; the text is untrusted (fuzzed).
 */
#ifndef LS_LIB_SDP_H
#define LS_LIB_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

#define LS_SDP_MAX_MEDIA 8
#define LS_SDP_MAX_CONTROL 512
#define LS_SDP_MAX_EXTRADATA 2048

enum ls_sdp_kind {
    LS_SDP_OTHER = 0,
    LS_SDP_VIDEO,
    LS_SDP_AUDIO,
};

struct ls_sdp_media {
    enum ls_sdp_kind kind;
    uint8_t payload_type;          /**< the first format of the m= line */
    enum ls_codec codec;           /**< LS_CODEC_OTHER when not one we relay */
    uint32_t clock_rate;           /**< Hz (0 when rtpmap had none and the type is dynamic) */
    uint32_t channels;             /**< audio: from rtpmap, 1 when absent */
    char control[LS_SDP_MAX_CONTROL]; /**< a=control, "" when absent */
    /** Video: Annex B parameter sets from sprop-*; AAC: AudioSpecificConfig from config. */
    uint8_t extradata[LS_SDP_MAX_EXTRADATA];
    size_t extradata_size;
    unsigned size_length, index_length, index_delta_length; /**< AAC AU headers, in bits */
};

struct ls_sdp {
    char control[LS_SDP_MAX_CONTROL]; /**< session-level a=control, "" when absent */
    struct ls_sdp_media media[LS_SDP_MAX_MEDIA];
    size_t n_media;                    /**< m= lines kept (extra ones are ignored) */
};

/**
 * Parse @p size bytes of SDP (need not be NUL-terminated). Unknown lines and
 * attributes are ignored; a medium whose rtpmap names another codec gets
 * LS_CODEC_OTHER.
 * @return 0, or -EBADMSG when there is no m= line at all.
 */
int ls_sdp_parse(const char *text, size_t size, struct ls_sdp *sdp);

/**
 * The URL to SETUP a medium, from the base (Content-Base, else the DESCRIBE
 * URL) and a control attribute: absolute (rtsp://, rtsps://) as it is,
 * "" or "*" the base itself, otherwise appended to the base after one '/'
 * (what cameras mean, whatever RFC 3986 would say about the base's last
 * segment).
 * @return 0, or -ENAMETOOLONG when @p cap is too small.
 */
int ls_sdp_control_url(const char *base, const char *control, char *out, size_t cap);

#endif
