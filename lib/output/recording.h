/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pure parts of a file output: the name of each recording, and the span
 * of time it holds (for onMetaData.duration once it is finished). No I/O.
 */
#ifndef LS_LIB_RECORDING_H
#define LS_LIB_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Suffixes tried after the time stamp when a name is taken ("-1" … "-99"). */
#define LS_RECORDING_MAX_SUFFIX 99

/**
 * The name of a recording made from the path given as target: the UTC start
 * time goes between the stem and the extension of the last path component,
 * `dir/cam1.flv` → `dir/cam1-20261207T173501Z.flv`, and @p n > 0 adds `-n`
 * after it (`…173501Z-2.flv`) for a second file started within the same second.
 * A component without extension gets the stamp at its end; a leading dot is
 * not an extension (`.flv` → `.flv-20261207T173501Z`).
 *
 * @return 0; -EINVAL when @p target is empty or ends with '/' (no file name),
 *         or @p n is over LS_RECORDING_MAX_SUFFIX; -ENAMETOOLONG when the
 *         name does not fit in @p size (nothing useful is then in @p out)
 */
int ls_recording_name(char *out, size_t size, const char *target, time_t start, unsigned n);

/**
 * Create a new recording named from @p pattern and the UTC time now
 * (ls_recording_name(), adding -1, -2 ... within the same second): never an
 * existing file (O_EXCL, which also refuses a symlink planted under the name).
 * The name goes to @p name. @return the file descriptor (write-only, close-on-exec),
 * or a negative errno (-EEXIST when every suffix is taken).
 */
int ls_recording_create(const char *pattern, char *name, size_t size);

/**
 * The time a recording spans, from its tags' timestamps: from the first media
 * tag to the last one of each stream plus that stream's last frame duration
 * (the gap between its last two tags), the longer of audio and video.
 */
struct ls_span {
    bool any;
    uint32_t first_ms;
    struct {
        bool seen;
        uint32_t last_ms;
        uint32_t frame_ms; /**< last - previous, 0 after a single tag */
    } stream[2];           /**< [0] video, [1] audio */
};

/** Count a media tag (not headers) of video (@p audio false) or audio. */
void ls_span_add(struct ls_span *s, bool audio, uint32_t ts_ms);

/** The span in seconds; 0 with no media tag. */
double ls_span_seconds(const struct ls_span *s);

#endif
