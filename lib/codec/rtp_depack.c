/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTP header, sequence numbers, timestamps and frame boundaries; the payload
 * formats are in rtp_nal.c (video) and rtp_aac.c. See rtp_depack.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/codec/rtp_depack.h"

int ls_rtp_parse(const uint8_t *data, size_t size, struct ls_rtp_header *h)
{
    if (size < 12 || (data[0] >> 6) != 2)
        return -EBADMSG;
    size_t off = 12 + 4u * (data[0] & 0x0f);
    if (data[0] & 0x10) { /* header extension: 4 bytes, then its length in 32-bit words */
        if (size < off + 4)
            return -EBADMSG;
        off += 4 + 4u * ((size_t)data[off + 2] << 8 | data[off + 3]);
    }
    size_t end = size;
    if (data[0] & 0x20) { /* padding: its length is the last byte */
        if (data[size - 1] == 0 || data[size - 1] > size)
            return -EBADMSG;
        end -= data[size - 1];
    }
    if (off > end)
        return -EBADMSG;
    *h = (struct ls_rtp_header){
        .marker = data[1] >> 7,
        .payload_type = data[1] & 0x7f,
        .seq = (uint16_t)(data[2] << 8 | data[3]),
        .timestamp = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
                     (uint32_t)data[6] << 8 | data[7],
        .ssrc = (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 |
                (uint32_t)data[10] << 8 | data[11],
        .payload = data + off,
        .payload_size = end - off,
    };
    return 0;
}

static bool is_video(enum ls_codec c)
{
    return c == LS_CODEC_H264 || c == LS_CODEC_H265;
}

int ls_depack_init(struct ls_depack *d, const struct ls_depack_settings *s)
{
    *d = (struct ls_depack){.codec = s->codec};
    switch (s->codec) {
    case LS_CODEC_H264:
    case LS_CODEC_H265:
    case LS_CODEC_PCMA:
    case LS_CODEC_PCMU:
        return 0;
    case LS_CODEC_AAC:
        /* Each AU header must fit the 16-bit size the payload's header length allows. */
        if (s->size_length > 16 || s->index_length > 16 || s->index_delta_length > 16)
            return -ENOTSUP;
        d->size_length = s->size_length;
        d->index_length = s->index_length;
        d->index_delta_length = s->index_delta_length;
        return 0;
    default:
        return -ENOTSUP;
    }
}

void ls_depack_finish(struct ls_depack *d)
{
    free(d->buf[0].data);
    free(d->buf[1].data);
    d->buf[0] = d->buf[1] = (struct ls_depack_buf){0};
}

void ls_depack_set_base(struct ls_depack *d, uint32_t rtptime)
{
    d->have_base = true;
    d->base_ts = d->last_ts = rtptime;
    d->unwrapped = 0;
}

int ls_depack_append(struct ls_depack *d, const uint8_t *p, size_t n)
{
    struct ls_depack_buf *b = &d->buf[d->cur];
    if (n > LS_DEPACK_MAX_FRAME - b->size)
        return -EMSGSIZE;
    if (ls_buf_reserve(&b->data, &b->cap, b->size + n, 64 * 1024) < 0)
        return -ENOMEM;
    memcpy(b->data + b->size, p, n);
    b->size += n;
    return 0;
}

/** The timestamp on the 64-bit timeline: RTP time moves by at most 2^31 between packets. */
static int64_t unwrap(struct ls_depack *d, uint32_t ts)
{
    if (!d->have_base)
        ls_depack_set_base(d, ts);
    d->unwrapped += (int32_t)(ts - d->last_ts);
    d->last_ts = ts;
    return d->unwrapped;
}

/** A sequence number's news: 1 lost packets before it, 0 in order, -1 late or repeated. */
static int check_seq(struct ls_depack *d, uint16_t seq)
{
    uint16_t ahead = (uint16_t)(seq - d->next_seq);
    bool first = !d->have_seq;
    if (!first && ahead >= 0x8000)
        return -1;
    d->have_seq = true;
    d->next_seq = (uint16_t)(seq + 1);
    d->stats.ext_max_seq = first ? seq : d->stats.ext_max_seq + ahead + 1u;
    if (first || ahead == 0)
        return 0;
    d->stats.gaps += ahead;
    return 1;
}

/** End the frame being built: into out[n] when whole. @p next_now: this push goes on to
 * build the next frame, so it goes to the other buffer. Otherwise the same buffer is
 * reused at the next push (a frame is valid until then): a camera that sets the marker bit
 * keeps one keyframe-sized buffer per stream, not two. @return frames added (0 or 1). */
static int end_frame(struct ls_depack *d, int n, bool next_now)
{
    struct ls_depack_buf *b = &d->buf[d->cur];
    bool whole = !d->damaged && !d->fu_open && b->size > 0;
    d->building = d->fu_open = false;
    if (!whole) {
        if (b->size || d->damaged)
            d->stats.dropped++;
        b->size = 0;
        return 0;
    }
    d->out[n] = (struct ls_depack_frame){.data = b->data, .size = b->size, .pts = d->frame_pts};
    if (next_now)
        d->cur ^= 1;
    d->buf[d->cur].size = 0;
    return 1;
}

static int push_video(struct ls_depack *d, const struct ls_rtp_header *h, bool lost)
{
    int n = 0;
    int64_t pts = unwrap(d, h->timestamp);
    if (d->building && h->timestamp != d->frame_ts) {
        d->stats.no_marker++;
        n += end_frame(d, n, true);
    }
    if (!d->building) {
        d->building = true;
        d->damaged = false;
        d->frame_ts = h->timestamp;
        d->frame_pts = pts;
        d->buf[d->cur].size = 0;
    }
    /* A gap before a frame's first packet may have taken its start: damaged too. */
    if (lost)
        d->damaged = true;
    int err = ls_depack_nal_payload(d, h->payload, h->payload_size);
    if (err == -ENOMEM) {
        d->damaged = true;
        end_frame(d, n, false);
        return -ENOMEM;
    }
    if (err < 0)
        d->damaged = true;
    if (h->marker)
        n += end_frame(d, n, false);
    return n;
}

static int push_audio(struct ls_depack *d, const struct ls_rtp_header *h)
{
    int64_t pts = unwrap(d, h->timestamp);
    if (d->codec == LS_CODEC_AAC) {
        int n = ls_depack_aac_payload(d, h->payload, h->payload_size, pts);
        if (n < 0)
            d->stats.dropped++;
        return n < 0 ? 0 : n;
    }
    if (!h->payload_size)
        return 0;
    d->out[0] = (struct ls_depack_frame){.data = h->payload, .size = h->payload_size, .pts = pts};
    return 1;
}

int ls_depack_push(struct ls_depack *d, const uint8_t *data, size_t size)
{
    struct ls_rtp_header h;
    if (ls_rtp_parse(data, size, &h) < 0)
        return -EBADMSG;
    d->stats.packets++;
    d->stats.ssrc = h.ssrc;
    int seq = check_seq(d, h.seq);
    if (seq < 0)
        return 0; /* late or repeated: its place has passed */
    return is_video(d->codec) ? push_video(d, &h, seq > 0) : push_audio(d, &h);
}
