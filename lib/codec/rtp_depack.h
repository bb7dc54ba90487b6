/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTP packets → frames, for the native input. One depacketiser per stream:
 * H.264 (RFC 6184: single NAL, STAP-A, FU-A), H.265 (RFC 7798: single, AP,
 * FU), AAC (RFC 3640 mpeg4-generic AU headers) and G.711 (RFC 3551).
 *
 * A video frame ends at the RTP marker bit, so it is handed on as soon as
 * its last packet arrives (libavformat holds it until the next frame
 * starts). For cameras that never set the marker, a timestamp change ends
 * the frame being built too. A sequence gap inside a frame damages it: it is
 * dropped (counted), never handed on as if whole. Timestamps are the RTP
 * ones, unwrapped to 64 bits, relative to a base (RTP-Info's rtptime, or
 * the first packet). Pure: no I/O.
 */
#ifndef LS_LIB_RTP_DEPACK_H
#define LS_LIB_RTP_DEPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

/** A frame larger than this is dropped (counted). */
#define LS_DEPACK_MAX_FRAME (8u << 20)
/** At most this many frames come out of one RTP packet (AAC packs several AUs). */
#define LS_DEPACK_MAX_OUT 16

/** The fixed RTP header and where the payload is. */
struct ls_rtp_header {
    bool marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint8_t *payload;
    size_t payload_size;
};

/**
 * Parse an RTP packet (version 2; CSRCs, extension and padding skipped).
 * @return 0 or -EBADMSG.
 */
int ls_rtp_parse(const uint8_t *data, size_t size, struct ls_rtp_header *h);

/** One finished frame: valid until the next push or finish. */
struct ls_depack_frame {
    const uint8_t *data; /**< Annex B for video, raw AU or samples for audio */
    size_t size;
    int64_t pts;         /**< in 1/clock_rate s */
};

struct ls_depack_stats {
    uint64_t packets;
    uint32_t ssrc;          /**< the sender's, from its last packet (for RTCP reports) */
    uint32_t ext_max_seq;   /**< highest sequence number, with its wrap count above 16 bits */
    uint64_t gaps;          /**< sequence numbers missing */
    uint64_t dropped;       /**< frames dropped: damaged by a gap, malformed, oversized */
    uint64_t no_marker;     /**< frames ended by a timestamp change, not a marker bit */
};

struct ls_depack_buf {
    uint8_t *data;
    size_t size, cap;
};

struct ls_depack {
    enum ls_codec codec;
    /* AAC (RFC 3640): bits of the AU-size and AU-index fields, 0 when not AAC. */
    unsigned size_length, index_length, index_delta_length;
    /** The frame being built; the other holds the one last handed out only when a frame
     * ends without its marker bit (the same push starts the next). */
    struct ls_depack_buf buf[2];
    int cur;
    bool building;          /**< buf[cur] holds part of a frame */
    bool damaged;           /**< … which lost a packet: drop it when it ends */
    bool fu_open;           /**< a fragmented NAL unit is open in it */
    int64_t frame_pts;      /**< its timestamp, unwrapped */
    uint32_t frame_ts;      /**< its RTP timestamp */
    bool have_seq;
    uint16_t next_seq;
    bool have_base;
    uint32_t base_ts;       /**< RTP time of pts 0 */
    uint32_t last_ts;
    int64_t unwrapped;      /**< last_ts unwrapped, relative to base_ts */
    struct ls_depack_frame out[LS_DEPACK_MAX_OUT];
    struct ls_depack_stats stats;
};

/** Settings of one stream, from the SDP. */
struct ls_depack_settings {
    enum ls_codec codec;
    unsigned size_length;        /**< AAC: sizelength (13 for AAC-hbr) */
    unsigned index_length;       /**< AAC: indexlength (3) */
    unsigned index_delta_length; /**< AAC: indexdeltalength (3) */
};

/** @return 0, or -ENOTSUP for a codec without a depacketiser. */
int ls_depack_init(struct ls_depack *d, const struct ls_depack_settings *s);
/** Free the buffers. */
void ls_depack_finish(struct ls_depack *d);
/** Take @p rtptime as the RTP time of pts 0 (RTP-Info); else the first packet's is. */
void ls_depack_set_base(struct ls_depack *d, uint32_t rtptime);

/**
 * Add one RTP packet. Frames it completes are in d->out[0 … return-1].
 * @return the number of frames (0 … LS_DEPACK_MAX_OUT), -EBADMSG (not RTP: ignored),
 *         -ENOMEM (the frame being built is lost).
 */
int ls_depack_push(struct ls_depack *d, const uint8_t *data, size_t size);

/* Payload formats (rtp_nal.c, rtp_aac.c), used by ls_depack_push(). */

/** Append a video payload to buf[cur] as Annex B. @return 0, -EBADMSG, -ENOMEM, -EMSGSIZE. */
int ls_depack_nal_payload(struct ls_depack *d, const uint8_t *p, size_t n);
/** Split an AAC payload into AUs in d->out. @return frames, or -EBADMSG. */
int ls_depack_aac_payload(struct ls_depack *d, const uint8_t *p, size_t n, int64_t pts);
/** Append bytes to buf[cur]. @return 0, -ENOMEM, -EMSGSIZE. */
int ls_depack_append(struct ls_depack *d, const uint8_t *p, size_t n);

#endif
