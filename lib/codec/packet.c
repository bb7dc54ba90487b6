/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "lib/codec/packet.h"

const char *ls_codec_name(enum ls_codec codec)
{
    switch (codec) {
    case LS_CODEC_H264:
        return "h264";
    case LS_CODEC_H265:
        return "h265";
    case LS_CODEC_AAC:
        return "aac";
    case LS_CODEC_PCMA:
        return "pcma";
    case LS_CODEC_PCMU:
        return "pcmu";
    case LS_CODEC_OTHER:
        return "other";
    case LS_CODEC_NONE:
        break;
    }
    return "";
}
