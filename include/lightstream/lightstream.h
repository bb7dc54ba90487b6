/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file lightstream.h
 * @brief Umbrella header: includes the whole public API.
 */
#ifndef LIGHTSTREAM_LIGHTSTREAM_H
#define LIGHTSTREAM_LIGHTSTREAM_H

#include "lightstream/codec.h"
#include "lightstream/common.h"
#include "lightstream/events.h"
#include "lightstream/ffmpeg_log.h"
#include "lightstream/hls.h"
#include "lightstream/io.h"
#include "lightstream/recording.h"
#include "lightstream/redact.h"
#include "lightstream/relay.h"
#include "lightstream/subscription.h"
#include "lightstream/version.h"

#endif /* LIGHTSTREAM_LIGHTSTREAM_H */
