/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one place where FFmpeg's AVERROR codes become our negative errno values.
 */
#ifndef LS_LIB_ERROR_H
#define LS_LIB_ERROR_H

/** Map an FFmpeg error (AVERROR_* or AVERROR(errno)) to a negative errno. 0 and positive pass through. */
int ls_error_from_av(int averror);

#endif
