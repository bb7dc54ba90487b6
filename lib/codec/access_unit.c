/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Access units from depacketised RTP payloads (see access_unit.h). Only the
 * first NAL unit of each packet is looked at: an RTP packet carries one NAL
 * unit, the start of one (FU), or an aggregate that begins with the unit
 * that matters for the boundary, so nothing is scanned twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/codec/access_unit.h"
#include "lib/util/bitstream.h"

#define NO_PTS INT64_MIN

enum first_nal { NAL_NONE, NAL_SLICE_FIRST, NAL_SLICE_NEXT, NAL_AU_START, NAL_OTHER };

void ls_au_init(struct ls_au_assembler *a, enum ls_codec codec)
{
    memset(a, 0, sizeof(*a));
    a->codec = codec;
    a->pts = NO_PTS;
}

void ls_au_finish(struct ls_au_assembler *a)
{
    free(a->buf[0].data);
    free(a->buf[1].data);
    ls_au_init(a, a->codec);
}

void ls_au_reset(struct ls_au_assembler *a)
{
    a->buf[a->cur].size = 0;
    a->pts = NO_PTS;
    a->has_vcl = false;
    a->oversized = false;
}

/* Length of the start code at the head of @p d, 0 when there is none. */
static size_t start_code(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0 && d[1] == 0 && d[2] == 1)
        return 3;
    if (n >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1)
        return 4;
    return 0;
}

/* H.264 7.4.1.2.3: a slice with first_mb_in_slice 0 (ue(v) 0 is a single 1 bit) opens a
 * picture, and so do an AUD and parameter sets after a slice. SEI may open one too, but
 * cameras also send SEI after the slices of their picture: with the same timestamp it
 * stays with that picture. */
static enum first_nal h264_kind(const uint8_t *nal, size_t n)
{
    int type = nal[0] & 0x1f;
    if (type >= 1 && type <= 5)
        return n >= 2 && (nal[1] & 0x80) ? NAL_SLICE_FIRST : NAL_SLICE_NEXT;
    if (type >= 7 && type <= 9) /* SPS, PPS, AUD */
        return NAL_AU_START;
    return NAL_OTHER;
}

/* H.265 7.4.2.4.4: the same, with first_slice_segment_in_pic_flag after the 2-byte header. */
static enum first_nal h265_kind(const uint8_t *nal, size_t n)
{
    if (n < 2)
        return NAL_OTHER;
    int type = (nal[0] >> 1) & 0x3f;
    if (type <= 31)
        return n >= 3 && (nal[2] & 0x80) ? NAL_SLICE_FIRST : NAL_SLICE_NEXT;
    if (type >= 32 && type <= 35) /* VPS, SPS, PPS, AUD */
        return NAL_AU_START;
    return NAL_OTHER;
}

static enum first_nal first_kind(const struct ls_au_assembler *a, const uint8_t *d, size_t n)
{
    size_t sc = start_code(d, n);
    if (!sc || sc == n)
        return NAL_NONE; /* a fragment continuing the previous packet's unit */
    return a->codec == LS_CODEC_H265 ? h265_kind(d + sc, n - sc) : h264_kind(d + sc, n - sc);
}

/* An aggregate packet (STAP/AP) that begins with parameter sets may end with a slice. Only
 * packets that do not begin with one are scanned, and those are small. */
static bool has_slice(const struct ls_au_assembler *a, const uint8_t *d, size_t n)
{
    size_t pos = 0;
    struct ls_nal nal;
    while (ls_annexb_next(d, n, &pos, &nal)) {
        enum first_nal k = a->codec == LS_CODEC_H265 ? h265_kind(nal.data, nal.size)
                                                     : h264_kind(nal.data, nal.size);
        if (k == NAL_SLICE_FIRST || k == NAL_SLICE_NEXT)
            return true;
    }
    return false;
}

static int append(struct ls_au_buf *b, const uint8_t *d, size_t n)
{
    if (n > LS_AU_MAX_BYTES - b->size)
        return -EMSGSIZE;
    if (ls_buf_reserve(&b->data, &b->cap, b->size + n, 64 * 1024) < 0)
        return -ENOMEM;
    memcpy(b->data + b->size, d, n);
    b->size += n;
    return 0;
}

/* Close the unit being built: hand it out (or report it dropped) and start the other buffer. */
static int close_unit(struct ls_au_assembler *a, struct ls_au *out)
{
    const struct ls_au_buf *b = &a->buf[a->cur];
    int ret = a->oversized ? -EMSGSIZE : 1;
    if (ret == 1)
        *out = (struct ls_au){ b->data, b->size, a->pts };
    a->cur ^= 1;
    ls_au_reset(a);
    return ret;
}

int ls_au_push(struct ls_au_assembler *a, const uint8_t *data, size_t size, int64_t pts,
               struct ls_au *out)
{
    if (!data || !size)
        return 0;
    enum first_nal kind = first_kind(a, data, size);
    bool opens = kind == NAL_SLICE_FIRST || kind == NAL_AU_START;
    bool new_time = pts != NO_PTS && a->pts != NO_PTS && pts != a->pts;
    int ret = 0;
    if ((a->buf[a->cur].size || a->oversized) && (new_time || (a->has_vcl && opens)))
        ret = close_unit(a, out);
    if (a->pts == NO_PTS)
        a->pts = pts;
    if (kind == NAL_SLICE_FIRST || kind == NAL_SLICE_NEXT ||
        (kind != NAL_NONE && !a->has_vcl && has_slice(a, data, size)))
        a->has_vcl = true;
    if (!a->oversized) {
        int err = append(&a->buf[a->cur], data, size);
        if (err < 0)
            a->oversized = true; /* the unit is damaged: dropped when it closes */
        if (err == -ENOMEM && ret == 0)
            ret = -ENOMEM;
    }
    return ret;
}

int ls_au_flush(struct ls_au_assembler *a, struct ls_au *out)
{
    if (!a->buf[a->cur].size && !a->oversized)
        return 0;
    return close_unit(a, out) == 1;
}
