/*
 * The HLS VOD playlist of a recorded time range: the segments' fragments
 * that overlap it, each a byte range of its segment file (EXT-X-BYTERANGE),
 * with the segment's init part as EXT-X-MAP. The range starts at the last
 * keyframe fragment at or before its start, so the first frame decodes.
 * Pure (no I/O).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REC_HLS_H
#define LSD_REC_HLS_H

#include <stdint.h>

#include "daemon/rec_list.h"

struct evbuffer;

/**
 * Write the playlist of [@p from_ms, @p to_ms] over the segments of @p l
 * (indexed) into @p out. Each URI is recordings/<the segment's name> followed by @p query
 * ("" or "?token=..."): relative to the playlist's own URL.
 * @return fragments listed (0: nothing recorded in the range), or -ENOMEM
 */
int lsd_rec_hls_playlist(const struct lsd_rec_list *l, int64_t from_ms, int64_t to_ms,
                         const char *query, struct evbuffer *out);

/**
 * The master playlist of @p l: one variant, its CODECS (RFC 6381, from the
 * first segment's sample entries: avc1.PPCCLL or hvc1.P.C.Tl.B, mp4a.40.n)
 * and BANDWIDTH (the peak fragment's bit rate), pointing to @p media_uri.
 */
void lsd_rec_hls_master(const struct lsd_rec_list *l, const char *media_uri, struct evbuffer *out);

#endif
