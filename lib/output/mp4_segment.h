/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One fragmented MP4 file written by libavformat's mp4 muxer, without
 * transcoding: the codec records and frames are handed over as they are.
 * Every fragment reaches the kernel as soon as the muxer finishes it, so a
 * killed process leaves a file that plays up to its last whole fragment.
 */
#ifndef LS_LIB_MP4_SEGMENT_H
#define LS_LIB_MP4_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

/** The streams of a segment; the records need to live only during ls_mp4_segment_open(). */
struct ls_mp4_config {
    enum ls_codec vcodec;      /**< H264, H265 or NONE */
    const uint8_t *vrec;       /**< avcC / hvcC */
    size_t vrec_size;
    uint32_t width, height;
    enum ls_codec acodec;      /**< AAC or NONE */
    const uint8_t *asc;        /**< AudioSpecificConfig */
    size_t asc_size;
    uint32_t sample_rate, channels;
    uint32_t fragment_ms;      /**< longest fragment */
};

struct ls_mp4_segment;

/**
 * Where a segment's bytes go when they do not go to a file: called with each
 * run of bytes the muxer hands over (the header, then one whole fragment at a
 * time). @return 0, or a negative errno that fails the segment
 */
typedef int (*ls_mp4_write_fn)(void *opaque, const uint8_t *data, size_t size);

/**
 * Start a segment in @p fd (a new, empty file): writes the header (ftyp, moov).
 * On success the segment owns @p fd; on error it stays the caller's.
 * @return 0, -ENOMEM, -ENOSPC or another write error, -EINVAL (a config the muxer refuses)
 */
int ls_mp4_segment_open(struct ls_mp4_segment **out, int fd, const struct ls_mp4_config *c);

/**
 * ls_mp4_segment_open() writing through @p write (e.g. into memory) instead
 * of a file: the header goes to it before this returns.
 * @return as ls_mp4_segment_open(), or the error @p write returned
 */
int ls_mp4_segment_open_cb(struct ls_mp4_segment **out, ls_mp4_write_fn write, void *opaque,
                           const struct ls_mp4_config *c);

/**
 * Write one frame: video (length-prefixed NAL units) with its decode time and
 * composition offset, or one AAC frame. Times in ms on the output's timeline.
 * @return 0 or a negative errno (the write error of the file: -ENOSPC, -EIO…)
 */
int ls_mp4_segment_write(struct ls_mp4_segment *s, bool video, int64_t dts_ms, int32_t cts_ms,
                         bool keyframe, const uint8_t *data, size_t size);

/** Bytes written to the file so far. */
uint64_t ls_mp4_segment_bytes(const struct ls_mp4_segment *s);

/**
 * Finish the segment (last fragment, trailer), close the file (if any), free it; sets
 * *@p s to NULL, accepts NULL.
 * @return 0 or the first write error met since the open
 */
int ls_mp4_segment_close(struct ls_mp4_segment **s);

#endif
