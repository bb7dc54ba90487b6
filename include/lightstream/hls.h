/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file hls.h
 * @brief A live HLS packager: a subscription's FLV tags into fMP4 segments in memory.
 *
 * The packager turns the tags taken from a pollable subscription
 * (subscription.h) into what an HLS server serves: an init segment
 * (ftyp + moov, the EXT-X-MAP), a ring of the last media segments
 * (moof + mdat fragments) and the media playlist naming them. Nothing is
 * transcoded: the frames are the camera's, muxed by libavformat's mp4 muxer
 * into memory. H.264 goes out as `avc1`, H.265 as `hvc1` (parameter sets in
 * the hvcC only, as HLS requires), AAC as `mp4a`; G.711 audio has no place
 * in HLS and is dropped (counted in ls_hls_info.audio_dropped).
 *
 * Segments are cut at video keyframes: one GOP per segment, so a segment is
 * published when the next keyframe arrives. A subscription starts from the
 * relay's GOP cache, so the first segment is ready about one GOP after
 * the packager is first fed. A new FLV file header (the relay restarted) or
 * a changed decoder configuration starts a new epoch: the ring is emptied,
 * a new init segment is made, the media sequence goes on and the
 * discontinuity sequence is increased.
 *
 * The packager does no I/O and starts no thread; its caller serves the
 * bytes over HTTP.
 *
 * Thread-safety: a packager is used by one thread at a time (typically the
 * subscription's consumer, an event loop); separate packagers are
 * independent.
 */
#ifndef LIGHTSTREAM_HLS_H
#define LIGHTSTREAM_HLS_H

#include <stddef.h>
#include <stdint.h>

#include "lightstream/common.h"
#include "lightstream/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque live HLS packager. */
struct ls_hls;

/** Settings of a packager; they need to live only during ls_hls_create(). */
struct ls_hls_settings {
    unsigned segments;        /**< media segments kept (and listed) (default 6, 2 to 64) */
    size_t max_segment_bytes; /**< a segment growing past this (no keyframe for too long)
                                   is dropped and a new epoch waits for the next keyframe
                                   (default 32 MiB, at least 4096) */
};

/** What a packager holds now. */
struct ls_hls_info {
    uint64_t first_seq;       /**< media sequence number of the oldest segment kept */
    unsigned segments;        /**< segments kept now (0: no playlist yet) */
    uint64_t segments_made;   /**< segments finished since the packager was created */
    unsigned discontinuity_seq; /**< epochs begun after the first (relay restarts, codec changes) */
    unsigned target_duration_s; /**< EXT-X-TARGETDURATION of the playlist */
    uint32_t width;           /**< of the video (0 before the first configuration) */
    uint32_t height;          /**< of the video (0 before the first configuration) */
    uint64_t peak_bits_per_s; /**< the highest bit rate of a kept segment (BANDWIDTH) */
    uint64_t audio_dropped;   /**< audio frames with no HLS codec (G.711), dropped */
    uint64_t bytes;           /**< init and media segments kept now, in bytes */
};

/**
 * Fill @p s with the defaults.
 *
 * Thread-safety: safe.
 */
LS_API void ls_hls_default_settings(struct ls_hls_settings *s);

/**
 * Make a packager.
 * @param[out] out the packager
 * @param s settings, or NULL for the defaults
 * @return 0, -EINVAL (a setting out of range), -ENOMEM
 */
LS_API int ls_hls_create(struct ls_hls **out, const struct ls_hls_settings *s);

/** Free a packager; sets @p *h to NULL, accepts a pointer to NULL (and NULL). */
LS_API void ls_hls_destroy(struct ls_hls **h);

/**
 * Feed one piece taken from a subscription, in the order taken. The
 * packager reads it and keeps nothing of it: release its body afterwards as
 * usual. Tags the packager cannot use (script data, G.711, frames before the
 * first keyframe, malformed bodies) are skipped. A frame the muxer refuses
 * (a timestamp stepping back, which a relay's do not) ends the epoch: the
 * packager starts a new one at the next keyframe.
 *
 * @param h the packager
 * @param tag a piece from ls_subscription_take()
 * @return 1 when a media segment was finished by this piece, 0 otherwise,
 *         -EINVAL, -ENOMEM, or -ENOTSUP (a video codec HLS cannot carry; the
 *         packager waits for a new decoder configuration)
 */
LS_API int ls_hls_push(struct ls_hls *h, const struct ls_sub_tag *tag);

/**
 * The init segment (ftyp + moov) of the current epoch.
 * @param h the packager
 * @param[out] data its bytes, valid until the next ls_hls_push() or ls_hls_destroy()
 * @param[out] size their count
 * @return 0, or -EAGAIN (none yet: no keyframe with its configuration seen)
 */
LS_API int ls_hls_init_segment(const struct ls_hls *h, const uint8_t **data, size_t *size);

/**
 * A media segment still kept, by its media sequence number.
 * @param h the packager
 * @param seq its media sequence number (`<seq>.m4s` in the playlist)
 * @param[out] data its bytes, valid until the next ls_hls_push() or ls_hls_destroy()
 * @param[out] size their count
 * @return 0, or -ENOENT (not kept: too old, or not finished yet)
 */
LS_API int ls_hls_segment(const struct ls_hls *h, uint64_t seq, const uint8_t **data,
                          size_t *size);

/**
 * Write the media playlist (EXT-X-VERSION 7, EXT-X-MAP of `init.mp4`,
 * segments named `<seq>.m4s`) into @p buf, like snprintf.
 *
 * @param h the packager
 * @param query appended to every URI as it is (e.g. "?token=..."), or NULL
 * @param[out] buf where the playlist goes, NUL-terminated (may be NULL when @p size is 0)
 * @param size bytes of @p buf
 * @return the length of the whole playlist (when >= @p size, it was cut:
 *         call again with a larger buffer), or -EAGAIN when no segment is
 *         ready yet
 */
LS_API long ls_hls_playlist(const struct ls_hls *h, const char *query, char *buf, size_t size);

/** What the packager holds now (see ls_hls_info). @return 0 or -EINVAL */
LS_API int ls_hls_get_info(const struct ls_hls *h, struct ls_hls_info *out);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_HLS_H */
