/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Retention applied to one recording's directory: list the segments of its
 * pattern, ask ls_retention_plan() which go, delete them.
 */
#ifndef LS_LIB_RETENTION_DIR_H
#define LS_LIB_RETENTION_DIR_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/recording.h"

/**
 * True when @p name (a file name, no directory) is a segment of the pattern
 * whose last component is @p base: `cam1.mp4` matches `cam1-20261207T173501Z.mp4`
 * and `cam1-20261207T173501Z-2.mp4`, nothing else. Pure.
 */
bool ls_retention_name_matches(const char *base, const char *name);

/**
 * Delete the segments of @p pattern the policy says, never @p in_use (a full
 * path, or NULL). Adds what was deleted to *@p segments and *@p bytes.
 * @return 0 or a negative errno (the directory could not be read)
 */
int ls_retention_apply(const char *pattern, const char *in_use,
                       const struct ls_retention_policy *policy, uint64_t *segments,
                       uint64_t *bytes);

#endif
