/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FLV tag bytes. References: Adobe Flash Video File Format Specification
 * v10.1, annex E (file header, tag header, AUDIODATA, VIDEODATA,
 * SCRIPTDATA/AMF0); Veovera Enhanced RTMP v1/v2 (ExVideoTagHeader, FourCC,
 * videocodecid as FourCC); FFmpeg's flvenc for the G.711 flags byte.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "lib/util/bytes.h"
#include "lib/flv/amf0.h"
#include "lib/flv/flv.h"

/* VIDEODATA FrameType values (annex E.4.3.1). */
enum { FRAME_KEY = 1, FRAME_INTER = 2 };

/* Legacy CodecID values: 7 is AVC in the spec; 12 is the de-facto HEVC id. */
enum { CODEC_ID_AVC = 7, CODEC_ID_HEVC12 = 12 };

/* AVCPacketType (also used by the codec-12 form). */
enum { AVC_SEQ_HEADER = 0, AVC_NALU = 1 };

/* Enhanced RTMP: IsExHeader bit and the PacketType values we write. */
enum {
    EX_HEADER = 0x80,
    EX_SEQUENCE_START = 0,
    EX_CODED_FRAMES = 1,
    EX_CODED_FRAMES_X = 3,
};

/* AUDIODATA SoundFormat values and flag bits (annex E.4.2.1). */
enum {
    SOUND_PCMA = 7,
    SOUND_PCMU = 8,
    SOUND_AAC = 10,
    SOUND_RATE_44K = 3 << 2,
    SOUND_SIZE_16 = 1 << 1,
    SOUND_STEREO = 1,
};

#define SI24_MIN (-8388608)
#define SI24_MAX 8388607

void ls_flv_file_header(uint8_t out[LS_FLV_FILE_HEADER_SIZE], bool has_audio, bool has_video)
{
    out[0] = 'F';
    out[1] = 'L';
    out[2] = 'V';
    out[3] = 1; /* version */
    out[4] = (uint8_t)((has_audio ? 0x04 : 0) | (has_video ? 0x01 : 0));
    ls_put_be32(out + 5, 9);  /* DataOffset: the size of this header */
    ls_put_be32(out + 9, 0);  /* PreviousTagSize0 */
}

void ls_flv_tag_header(uint8_t out[LS_FLV_TAG_HEADER_SIZE], uint8_t type, uint32_t body_size,
                       uint32_t timestamp_ms)
{
    /* The top three bits are Reserved (2) and Filter (1); both stay 0. */
    out[0] = type & 0x1f;
    ls_put_be24(out + 1, body_size & LS_FLV_MAX_BODY_SIZE);
    /* Timestamp is UI24 of the low bits followed by UI8 of the high bits. */
    ls_put_be24(out + 4, timestamp_ms & 0xffffff);
    out[7] = (uint8_t)(timestamp_ms >> 24);
    ls_put_be24(out + 8, 0); /* StreamID */
}

void ls_flv_prev_size(uint8_t out[LS_FLV_PREV_SIZE], uint32_t body_size)
{
    ls_put_be32(out, LS_FLV_TAG_HEADER_SIZE + body_size);
}

static void put_fourcc_hvc1(uint8_t *p)
{
    ls_put_be32(p, LS_FLV_FOURCC_HVC1);
}

static uint32_t si24(int32_t v)
{
    if (v < SI24_MIN)
        v = SI24_MIN;
    else if (v > SI24_MAX)
        v = SI24_MAX;
    /* Two's complement in 24 bits; the cast keeps it well-defined. */
    return (uint32_t)v & 0xffffff;
}

/* The AVC-shaped header shared by CodecID 7 and CodecID 12. */
static size_t legacy_prefix(uint8_t *out, int frame_type, int codec_id, int packet_type,
                            int32_t cts_ms)
{
    out[0] = (uint8_t)(frame_type << 4 | codec_id);
    out[1] = (uint8_t)packet_type;
    ls_put_be24(out + 2, si24(cts_ms));
    return 5;
}

size_t ls_flv_video_seq_prefix(uint8_t out[LS_FLV_VIDEO_PREFIX_MAX], enum ls_flv_vcodec codec)
{
    switch (codec) {
    case LS_FLV_AVC:
        return legacy_prefix(out, FRAME_KEY, CODEC_ID_AVC, AVC_SEQ_HEADER, 0);
    case LS_FLV_HEVC_CODEC12:
        return legacy_prefix(out, FRAME_KEY, CODEC_ID_HEVC12, AVC_SEQ_HEADER, 0);
    case LS_FLV_HEVC_ENHANCED:
        out[0] = EX_HEADER | FRAME_KEY << 4 | EX_SEQUENCE_START;
        put_fourcc_hvc1(out + 1);
        return 5;
    }
    return 0;
}

static size_t enhanced_frame_prefix(uint8_t *out, int frame_type, int32_t cts_ms)
{
    /* CodedFramesX saves the three bytes of a zero composition time. */
    int packet_type = cts_ms ? EX_CODED_FRAMES : EX_CODED_FRAMES_X;
    out[0] = (uint8_t)(EX_HEADER | frame_type << 4 | packet_type);
    put_fourcc_hvc1(out + 1);
    if (!cts_ms)
        return 5;
    ls_put_be24(out + 5, si24(cts_ms));
    return 8;
}

size_t ls_flv_video_frame_prefix(uint8_t out[LS_FLV_VIDEO_PREFIX_MAX], enum ls_flv_vcodec codec,
                                 bool keyframe, int32_t cts_ms)
{
    int frame_type = keyframe ? FRAME_KEY : FRAME_INTER;
    switch (codec) {
    case LS_FLV_AVC:
        return legacy_prefix(out, frame_type, CODEC_ID_AVC, AVC_NALU, cts_ms);
    case LS_FLV_HEVC_CODEC12:
        return legacy_prefix(out, frame_type, CODEC_ID_HEVC12, AVC_NALU, cts_ms);
    case LS_FLV_HEVC_ENHANCED:
        return enhanced_frame_prefix(out, frame_type, cts_ms);
    }
    return 0;
}

/*
 * G.711 flags as FFmpeg's flvenc writes them and its flvdec, nginx-rtmp and
 * Wireshark read them: rate code 0 (the spec's "5.5 kHz", which readers take
 * as the codec's fixed 8 kHz), SoundSize 16-bit, SoundType mono/stereo.
 */
static uint8_t g711_flags(int format, uint32_t channels)
{
    return (uint8_t)(format << 4 | SOUND_SIZE_16 | (channels >= 2 ? SOUND_STEREO : 0));
}

size_t ls_flv_audio_prefix(uint8_t out[LS_FLV_AUDIO_PREFIX_MAX], enum ls_flv_acodec codec,
                           bool sequence_header, uint32_t channels)
{
    switch (codec) {
    case LS_FLV_AAC:
        /* The spec fixes AAC's flags at 44 kHz, 16-bit, stereo: the AudioSpecificConfig rules. */
        out[0] = SOUND_AAC << 4 | SOUND_RATE_44K | SOUND_SIZE_16 | SOUND_STEREO;
        out[1] = sequence_header ? 0 : 1;
        return 2;
    case LS_FLV_PCMA:
        out[0] = g711_flags(SOUND_PCMA, channels);
        return 1;
    case LS_FLV_PCMU:
        out[0] = g711_flags(SOUND_PCMU, channels);
        return 1;
    }
    return 0;
}

/* --- onMetaData (AMF0) --------------------------------------------------- */

static void prop_number(struct ls_amf0_writer *w, unsigned *count, const char *name, double v)
{
    ls_amf0_prop_number(w, name, v);
    (*count)++;
}

static void prop_bool(struct ls_amf0_writer *w, unsigned *count, const char *name, bool v)
{
    ls_amf0_prop_bool(w, name, v);
    (*count)++;
}

static void prop_string(struct ls_amf0_writer *w, unsigned *count, const char *name, const char *v)
{
    ls_amf0_prop_string(w, name, v);
    (*count)++;
}

static double video_codec_id(enum ls_flv_vcodec codec)
{
    switch (codec) {
    case LS_FLV_AVC:
        return CODEC_ID_AVC;
    case LS_FLV_HEVC_CODEC12:
        return CODEC_ID_HEVC12;
    case LS_FLV_HEVC_ENHANCED:
        return LS_FLV_FOURCC_HVC1; /* Enhanced RTMP: videocodecid carries the FourCC */
    }
    return -1;
}

static double audio_codec_id(enum ls_flv_acodec codec)
{
    switch (codec) {
    case LS_FLV_AAC:
        return SOUND_AAC;
    case LS_FLV_PCMA:
        return SOUND_PCMA;
    case LS_FLV_PCMU:
        return SOUND_PCMU;
    }
    return -1;
}

static void meta_video(struct ls_amf0_writer *w, unsigned *n, const struct ls_flv_meta *m)
{
    if (m->width)
        prop_number(w, n, "width", m->width);
    if (m->height)
        prop_number(w, n, "height", m->height);
    if (m->framerate > 0 && isfinite(m->framerate))
        prop_number(w, n, "framerate", m->framerate);
    prop_number(w, n, "videocodecid", video_codec_id(m->vcodec));
    if (m->video_kbps)
        prop_number(w, n, "videodatarate", m->video_kbps);
}

static void meta_audio(struct ls_amf0_writer *w, unsigned *n, const struct ls_flv_meta *m)
{
    prop_number(w, n, "audiocodecid", audio_codec_id(m->acodec));
    if (m->audio_sample_rate)
        prop_number(w, n, "audiosamplerate", m->audio_sample_rate);
    prop_number(w, n, "audiosamplesize", 16);
    if (m->audio_channels)
        prop_bool(w, n, "stereo", m->audio_channels >= 2);
}

int ls_flv_metadata_body(uint8_t *out, size_t cap, const struct ls_flv_meta *meta)
{
    if (!meta || (!out && cap))
        return -EINVAL;
    if ((meta->has_video && video_codec_id(meta->vcodec) < 0) ||
        (meta->has_audio && audio_codec_id(meta->acodec) < 0))
        return -EINVAL;

    struct ls_amf0_writer w = { .out = out, .cap = cap };
    ls_amf0_string(&w, "onMetaData");
    ls_amf0_u8(&w, LS_AMF0_ECMA_ARRAY);
    size_t count_pos = w.pos;
    ls_amf0_reserve(&w, 4); /* ECMA array length, patched below */

    unsigned n = 0;
    /* Live: unknown, by convention 0. Always first, so a finished file can
     * have them overwritten in place (ls_flv_metadata_totals()). */
    prop_number(&w, &n, "duration", 0);
    prop_number(&w, &n, "filesize", 0);
    if (meta->has_video)
        meta_video(&w, &n, meta);
    if (meta->has_audio)
        meta_audio(&w, &n, meta);
    prop_string(&w, &n, "encoder", "liblightstream");

    ls_amf0_object_end(&w);
    if (w.overflow)
        return -ENOSPC;
    ls_put_be32(out + count_pos, n);
    return (int)w.pos;
}

/* The bytes ls_flv_metadata_body() puts before and around the totals. */
static const uint8_t meta_head[] = {
    LS_AMF0_STRING, 0, 10, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', LS_AMF0_ECMA_ARRAY,
};
static const uint8_t duration_key[] = {0, 8, 'd', 'u', 'r', 'a', 't', 'i', 'o', 'n'};
static const uint8_t filesize_key[] = {0, 8, 'f', 'i', 'l', 'e', 's', 'i', 'z', 'e'};

bool ls_flv_metadata_has_totals(const uint8_t *body, size_t size)
{
    const size_t at = LS_FLV_METADATA_TOTALS_OFFSET;
    if (!body || size < at + LS_FLV_METADATA_TOTALS_SIZE)
        return false;
    /* Head, 4-byte array count, "duration", number, "filesize", number. */
    return memcmp(body, meta_head, sizeof(meta_head)) == 0 &&
           memcmp(body + sizeof(meta_head) + 4, duration_key, sizeof(duration_key)) == 0 &&
           body[at] == LS_AMF0_NUMBER && memcmp(body + at + 9, filesize_key, sizeof(filesize_key)) == 0 &&
           body[at + 9 + sizeof(filesize_key)] == LS_AMF0_NUMBER;
}

static double finite_or_zero(double v)
{
    return isfinite(v) && v > 0 ? v : 0;
}

void ls_flv_metadata_totals(uint8_t out[LS_FLV_METADATA_TOTALS_SIZE], double duration_s,
                            double filesize)
{
    struct ls_amf0_writer w = { .out = out, .cap = LS_FLV_METADATA_TOTALS_SIZE };
    ls_amf0_number(&w, finite_or_zero(duration_s));
    ls_amf0_utf8(&w, "filesize");
    ls_amf0_number(&w, finite_or_zero(filesize));
}
