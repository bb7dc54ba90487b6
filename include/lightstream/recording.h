/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file recording.h
 * @brief Segmented MP4 recording: its settings, its statistics, and the
 *        retention policy as a pure function an application may apply itself.
 *
 * A recording is an output whose target is `mp4:<dir>/<name>.mp4` (see
 * ls_relay_add_output()). It writes fragmented MP4 segments, cut on video
 * keyframes, named from the UTC wall-clock time each one starts:
 * `mp4:/rec/cam1.mp4` → `/rec/cam1-20261207T173501Z.mp4`. Fragments are
 * handed to the kernel as they are made, so a killed process loses at most
 * the fragment being built and the last segment still plays.
 */
#ifndef LIGHTSTREAM_RECORDING_H
#define LIGHTSTREAM_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Settings of an `mp4:` output; part of ls_output_settings, ignored by other outputs. */
struct ls_recording_settings {
    /** Target length of a segment in ms; a segment is cut at the first video keyframe at or
     *  past it (default 60000). A new segment also starts when the video's or the audio's
     *  decoder configuration changes (a resolution switch). */
    uint32_t segment_ms;
    /** Longest fragment in ms: what a crash or power loss may cost at most (default 1000). */
    uint32_t fragment_ms;
    /** Segments that ended longer ago than this, in seconds, are deleted (default 0: kept). */
    uint32_t max_age_s;
    /** The recording's segments together stay under this many bytes, the oldest deleted
     *  first (default 0: no limit). The segment being written is never deleted. */
    uint64_t max_bytes;
    /** After a write failed for lack of space, recording resumes at a keyframe once the
     *  file system has this many bytes free again (default 16 MiB). */
    uint64_t resume_free_bytes;
};

/** Statistics of an `mp4:` output (zero for other outputs). */
struct ls_recording_stats {
    uint64_t segments;        /**< segments opened */
    uint64_t deleted_segments; /**< segments deleted by the retention policy */
    uint64_t deleted_bytes;   /**< their bytes */
    bool paused;              /**< recording is paused: the disk is full */
    uint32_t pauses;          /**< times recording paused for lack of space */
    uint64_t paused_frames;   /**< media frames not recorded while paused */
    uint64_t dropped_audio_frames; /**< G.711 frames not recorded: FFmpeg's MP4 muxer has no
                                        sample entry for A-law or µ-law */
};

/** One segment of a directory listing given to ls_retention_plan(). */
struct ls_segment_entry {
    int64_t end_s;   /**< when it ended (its modification time), seconds since the epoch */
    uint64_t bytes;  /**< its size */
    bool in_use;     /**< being written: never deleted */
};

/** What ls_retention_plan() enforces; 0 disables a limit. */
struct ls_retention_policy {
    uint32_t max_age_s; /**< delete what ended longer ago than this */
    uint64_t max_bytes; /**< keep the total under this */
};

/**
 * Which segments to delete, oldest first: every one that ended more than
 * max_age_s before @p now_s, then, from the oldest on, as many as it takes to
 * bring the total of what is left to at most max_bytes. A segment in use is
 * never chosen (it still counts in the total). Pure: nothing is deleted here,
 * so an application may apply one budget across relays by listing every
 * recording directory into one array.
 *
 * @param entries the listing, oldest first (lib/output sorts a folder by name: the UTC
 *        start time in it)
 * @param n how many
 * @param policy the limits
 * @param now_s the time now, seconds since the epoch
 * @param[out] del @p n flags: true for each entry to delete
 * @return the number of entries to delete, or -EINVAL (NULL with @p n > 0)
 *
 * Thread-safety: safe.
 */
LS_API int ls_retention_plan(const struct ls_segment_entry *entries, size_t n,
                             const struct ls_retention_policy *policy, int64_t now_s, bool *del);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_RECORDING_H */
