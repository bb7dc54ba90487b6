/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FLV tag bodies read back for MP4 recording (see mp4_tag.h). Pure.
 * Layouts: Adobe FLV v10.1 annex E (legacy video and audio), Enhanced RTMP
 * (ExVideoTagHeader with a FourCC), legacy-shaped codec id 12 for HEVC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec/h264.h"
#include "lib/codec/h265.h"
#include "lib/output/mp4_tag.h"

static int32_t si24(const uint8_t *p)
{
    int32_t v = (int32_t)((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]);
    return v & 0x800000 ? v - 0x1000000 : v;
}

/** Legacy: FrameType<<4 | CodecID, AVCPacketType, SI24 composition time. */
static int parse_legacy_video(const uint8_t *b, size_t size, struct ls_mp4_tag *t)
{
    unsigned codec_id = b[0] & 0x0f;
    if (codec_id != 7 && codec_id != 12)
        return -ENOTSUP;
    if (size < 5)
        return -EBADMSG;
    t->codec = codec_id == 7 ? LS_CODEC_H264 : LS_CODEC_H265;
    t->keyframe = (b[0] >> 4) == 1;
    t->cts_ms = si24(b + 2);
    t->data = b + 5;
    t->size = size - 5;
    if (b[1] == 0)
        t->type = LS_MP4_TAG_VIDEO_CONFIG;
    else if (b[1] == 1)
        t->type = LS_MP4_TAG_VIDEO_FRAME;
    return 0;
}

/** Enhanced RTMP: 0x80 | FrameType<<4 | PacketType, FourCC, then per packet type. */
static int parse_enhanced_video(const uint8_t *b, size_t size, struct ls_mp4_tag *t)
{
    if (size < 5)
        return -EBADMSG;
    if (memcmp(b + 1, "hvc1", 4) != 0 && memcmp(b + 1, "avc1", 4) != 0)
        return -ENOTSUP;
    t->codec = b[1] == 'h' ? LS_CODEC_H265 : LS_CODEC_H264;
    t->keyframe = ((b[0] >> 4) & 7) == 1;
    unsigned packet_type = b[0] & 0x0f;
    size_t at = 5;
    if (packet_type == 1) { /* CodedFrames: with a composition time */
        if (size < 8)
            return -EBADMSG;
        t->cts_ms = si24(b + 5);
        at = 8;
    }
    t->data = b + at;
    t->size = size - at;
    if (packet_type == 0)
        t->type = LS_MP4_TAG_VIDEO_CONFIG;
    else if (packet_type == 1 || packet_type == 3)
        t->type = LS_MP4_TAG_VIDEO_FRAME;
    return 0;
}

static int parse_audio(const uint8_t *b, size_t size, struct ls_mp4_tag *t)
{
    unsigned format = b[0] >> 4;
    if (format == 10) {
        if (size < 2)
            return -EBADMSG;
        t->codec = LS_CODEC_AAC;
        t->type = b[1] == 0 ? LS_MP4_TAG_AUDIO_CONFIG : LS_MP4_TAG_AUDIO_FRAME;
        t->data = b + 2;
        t->size = size - 2;
        return 0;
    }
    if (format != 7 && format != 8)
        return -ENOTSUP;
    t->codec = format == 7 ? LS_CODEC_PCMA : LS_CODEC_PCMU;
    t->channels = (b[0] & 1) + 1;
    t->type = LS_MP4_TAG_AUDIO_FRAME;
    t->data = b + 1;
    t->size = size - 1;
    return 0;
}

int ls_mp4_tag_parse(uint8_t tag_type, const uint8_t *body, size_t size, struct ls_mp4_tag *out)
{
    memset(out, 0, sizeof(*out));
    if (tag_type != 8 && tag_type != 9)
        return 0;
    if (!body || size < 1)
        return -EBADMSG;
    if (tag_type == 8)
        return parse_audio(body, size, out);
    return body[0] & 0x80 ? parse_enhanced_video(body, size, out)
                          : parse_legacy_video(body, size, out);
}

static uint32_t rb16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

/** The first SPS of an avcC: after 5 bytes, numOfSPS (low 5 bits), then u16 length + NAL. */
static int avcc_size(const uint8_t *rec, size_t size, uint32_t *w, uint32_t *h)
{
    if (size < 8 || rec[0] != 1 || (rec[5] & 0x1f) == 0)
        return -EBADMSG;
    size_t len = rb16(rec + 6);
    if (len > size - 8)
        return -EBADMSG;
    struct ls_h264_sps sps;
    if (ls_h264_parse_sps(rec + 8, len, &sps) < 0)
        return -EBADMSG;
    *w = sps.width;
    *h = sps.height;
    return 0;
}

/** The first SPS (NAL type 33) of an hvcC: 23-byte header, then arrays of NAL units. */
static int hvcc_size(const uint8_t *rec, size_t size, uint32_t *w, uint32_t *h)
{
    if (size < 23 || rec[0] != 1)
        return -EBADMSG;
    size_t at = 23;
    for (unsigned a = 0; a < rec[22]; a++) {
        if (size - at < 3)
            return -EBADMSG;
        unsigned type = rec[at] & 0x3f, count = rb16(rec + at + 1);
        at += 3;
        for (unsigned i = 0; i < count; i++) {
            if (size - at < 2 || rb16(rec + at) > size - at - 2)
                return -EBADMSG;
            size_t len = rb16(rec + at);
            struct ls_h265_sps sps;
            if (type == 33 && ls_h265_parse_sps(rec + at + 2, len, &sps) == 0) {
                *w = sps.width;
                *h = sps.height;
                return 0;
            }
            at += 2 + len;
        }
    }
    return -EBADMSG;
}

int ls_mp4_video_size(enum ls_codec codec, const uint8_t *rec, size_t size, uint32_t *width,
                      uint32_t *height)
{
    if (!rec)
        return -EBADMSG;
    return codec == LS_CODEC_H265 ? hvcc_size(rec, size, width, height)
                                  : avcc_size(rec, size, width, height);
}

int ls_mp4_aac_format(const uint8_t *asc, size_t size, uint32_t *sample_rate, uint32_t *channels)
{
    static const uint32_t rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};
    if (!asc || size < 2)
        return -EBADMSG;
    /* The first 40 bits: object type (5), frequency index (4), [rate (24)], channels (4). */
    uint64_t v = 0;
    for (size_t i = 0; i < 5; i++)
        v = v << 8 | (i < size ? asc[i] : 0);
    unsigned object = (unsigned)(v >> 35), index = (unsigned)(v >> 31) & 0x0f;
    if (object == 31 || index == 13 || index == 14)
        return -EBADMSG; /* escaped object types, reserved indexes */
    if (index == 15) {
        if (size < 5)
            return -EBADMSG;
        *sample_rate = (uint32_t)(v >> 7) & 0xffffff;
        *channels = (uint32_t)(v >> 3) & 0x0f;
    } else {
        *sample_rate = rates[index];
        *channels = (uint32_t)(v >> 27) & 0x0f;
    }
    return *sample_rate ? 0 : -EBADMSG;
}

int ls_mp4_keep_record(uint8_t **rec, size_t *rec_size, const uint8_t *data, size_t size)
{
    if (*rec && *rec_size == size && memcmp(*rec, data, size) == 0)
        return 0;
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, size);
    free(*rec);
    *rec = copy;
    *rec_size = size;
    return 1;
}
