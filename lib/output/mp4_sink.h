/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * State of an `mp4:` output's sink (output_mp4.c): the codec records seen
 * in the stream, the segment being written, and the pause for a full disk.
 * Output thread only.
 */
#ifndef LS_LIB_MP4_SINK_H
#define LS_LIB_MP4_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

struct ls_mp4_segment;

struct ls_mp4_sink {
    bool has_video;           /**< the FLV header announced video: segments cut at keyframes */
    enum ls_codec vcodec;
    uint8_t *vrec;            /**< latest avcC / hvcC */
    size_t vrec_size;
    uint32_t width, height;
    uint8_t *asc;             /**< latest AudioSpecificConfig */
    size_t asc_size;
    uint32_t sample_rate, channels;

    struct ls_mp4_segment *seg; /**< NULL between segments and while paused */
    char path[512];           /**< the segment being (or last) written */
    int64_t seg_start_ms;
    bool cut_pending;         /**< the audio configuration changed: cut at the next keyframe */
    uint64_t bytes_total;     /**< bytes of the finished segments */

    bool paused;              /**< the disk was full */
    int64_t next_check_ms;    /**< when to look at the free space again */
};

#endif
