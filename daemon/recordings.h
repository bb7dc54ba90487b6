/*
 * The recordings directory: where .flv file outputs may write, and nowhere
 * else. A file output is given as a name relative to it ("cam1.flv",
 * "front/cam1.flv") or as an absolute path inside it; the directory the file
 * goes in must exist, and once every symlink is followed it must still be
 * the recordings directory or below it. The library then names each
 * recording after that path with its start time (relay.h).
 *
 * Checked when an API request gives outputs (a clear 400), and again each
 * time a relay's instance starts (an output refused then is shown failed,
 * which also covers state files written before the rule existed).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_RECORDINGS_H
#define LSD_RECORDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/spec.h"

/** True for an output that is a file (not rtmp:// or rtmps://). */
bool lsd_output_is_file(const char *url);

/**
 * Create the recordings directory if missing (with its parents, mode 0750).
 * @return 0 or -errno
 */
int lsd_recordings_prepare(const char *dir);

/**
 * The path the library is given for file output @p target: the real directory
 * (symlinks resolved) plus the file name, when that directory is inside @p dir.
 * @return 0; -EXDEV when it is outside (or not a directory, or the name is
 *         taken by something else than a regular file), -ENOENT when the
 *         directory does not exist, another -errno; with a sentence in @p why
 */
int lsd_recordings_resolve(const char *dir, const char *target, char *out, size_t size,
                           char *why, size_t why_size);

/**
 * Check every file output of @p spec (see lsd_recordings_resolve()).
 * @return 0, or -EINVAL with a message naming the output in @p err
 */
int lsd_recordings_check_spec(const char *dir, const struct lsd_relay_spec *spec, char *err,
                              size_t err_size);

#endif
