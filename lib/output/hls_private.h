/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Inside the live HLS packager (public: lightstream/hls.h): hls.c reads the
 * tags and drives the muxer, hls_ring.c keeps the finished segments and
 * writes the playlist. One thread at a time, no I/O.
 */
#ifndef LS_LIB_HLS_PRIVATE_H
#define LS_LIB_HLS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lightstream/hls.h"
#include "lib/codec/packet.h"

struct ls_mp4_segment;

/** A growing byte buffer. */
struct ls_hls_buf {
    uint8_t *data;
    size_t size, cap;
};

/** A finished media segment. */
struct ls_hls_seg {
    uint64_t seq;
    uint32_t duration_ms;
    struct ls_hls_buf b;
};

struct ls_hls {
    struct ls_hls_settings set;

    /* the ring (hls_ring.c) */
    struct ls_hls_seg *ring;  /**< set.segments slots */
    unsigned oldest, count;
    uint64_t next_seq;        /**< of the segment being built */
    unsigned target_s;        /**< only grows: EXT-X-TARGETDURATION must not change */
    uint64_t made;

    /* the epoch (hls.c) */
    struct ls_mp4_segment *mux; /**< NULL until a keyframe with its configuration */
    struct ls_hls_buf init;     /**< ftyp + moov of this epoch */
    struct ls_hls_buf cur;      /**< fragments of the segment being built */
    struct ls_hls_buf *sink;    /**< where the muxer's bytes go; NULL: dropped */
    int64_t seg_start_ms;
    bool seg_has_video;
    unsigned disc_seq;
    bool had_epoch;             /**< an epoch began: the next one is a discontinuity */
    bool audio_in_mux;
    uint64_t audio_dropped;

    /* the stream's configuration, from its sequence headers */
    enum ls_codec vcodec;
    uint8_t *vrec;
    size_t vrec_size;
    uint32_t width, height;
    uint8_t *asc;
    size_t asc_size;
    uint32_t sample_rate, channels;
};

/* hls_ring.c */
/** Append @p size bytes to @p b. @return 0 or -ENOMEM */
int ls_hls_buf_add(struct ls_hls_buf *b, const uint8_t *data, size_t size);
void ls_hls_buf_free(struct ls_hls_buf *b);
/** Move the segment being built (h->cur) into the ring as number h->next_seq. */
void ls_hls_ring_push(struct ls_hls *h, uint32_t duration_ms);
/** Drop every kept segment (a new epoch); the numbers go on. */
void ls_hls_ring_clear(struct ls_hls *h);

#endif
