/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FLV tag bytes against the specs, as explicit byte arrays: Adobe FLV v10.1
 * annex E (header, tag header, PreviousTagSize, AVC, AAC, G.711, AMF0
 * onMetaData), Enhanced RTMP (ExVideoTagHeader 'hvc1'), legacy CodecID 12.
 * The expected bytes are written out by hand from the specs, never computed
 * with the code under test.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lib/flv/flv.h"
#include "tests/unit/test.h"

#define SENTINEL 0xEE

/* ---- file header, tag header, PreviousTagSize ---- */

static void test_file_header(void)
{
    static const uint8_t none[13] = { 'F', 'L', 'V', 1, 0x00, 0, 0, 0, 9, 0, 0, 0, 0 };
    static const uint8_t audio[13] = { 'F', 'L', 'V', 1, 0x04, 0, 0, 0, 9, 0, 0, 0, 0 };
    static const uint8_t video[13] = { 'F', 'L', 'V', 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0 };
    static const uint8_t both[13] = { 0x46, 0x4c, 0x56, 0x01, 0x05, 0x00, 0x00,
                                      0x00, 0x09, 0x00, 0x00, 0x00, 0x00 };
    uint8_t out[LS_FLV_FILE_HEADER_SIZE + 1];

    CHECK_EQ_INT(LS_FLV_FILE_HEADER_SIZE, 13);
    memset(out, SENTINEL, sizeof(out));
    ls_flv_file_header(out, false, false);
    CHECK_EQ_MEM(out, none, 13);
    CHECK_EQ_INT(out[13], SENTINEL);
    ls_flv_file_header(out, true, false);
    CHECK_EQ_MEM(out, audio, 13);
    ls_flv_file_header(out, false, true);
    CHECK_EQ_MEM(out, video, 13);
    ls_flv_file_header(out, true, true);
    CHECK_EQ_MEM(out, both, 13);
}

static void check_tag_header(uint8_t type, uint32_t size, uint32_t ts, const uint8_t want[11])
{
    uint8_t out[LS_FLV_TAG_HEADER_SIZE + 1];
    memset(out, SENTINEL, sizeof(out));
    ls_flv_tag_header(out, type, size, ts);
    CHECK_EQ_MEM(out, want, 11);
    CHECK_EQ_INT(out[11], SENTINEL);
}

static void test_tag_header(void)
{
    /* type | DataSize UI24 | Timestamp UI24 | TimestampExtended UI8 | StreamID UI24 */
    static const uint8_t video[11] = { 0x09, 0x00, 0x01, 0x23, 0xab, 0xcd, 0xef, 0x00, 0, 0, 0 };
    static const uint8_t audio0[11] = { 0x08, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0, 0, 0 };
    static const uint8_t script[11] = { 0x12, 0x00, 0x00, 0xfb, 0x00, 0x00, 0x00, 0x00, 0, 0, 0 };
    static const uint8_t max24[11] = { 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0, 0, 0 };
    static const uint8_t ext1[11] = { 0x09, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0, 0, 0 };
    static const uint8_t ext[11] = { 0x08, 0x00, 0x10, 0x00, 0x34, 0x56, 0x78, 0x12, 0, 0, 0 };
    static const uint8_t maxts[11] = { 0x09, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0, 0, 0 };
    static const uint8_t masked[11] = { 0x09, 0x00, 0x00, 0x05, 0x00, 0x00, 0x28, 0x00, 0, 0, 0 };

    CHECK_EQ_INT(LS_FLV_TAG_HEADER_SIZE, 11);
    check_tag_header(LS_FLV_TAG_VIDEO, 0x123, 0xabcdef, video);
    check_tag_header(LS_FLV_TAG_AUDIO, 2, 0, audio0);
    check_tag_header(LS_FLV_TAG_SCRIPT, 251, 0, script);
    check_tag_header(LS_FLV_TAG_VIDEO, LS_FLV_MAX_BODY_SIZE, 0xffffff, max24);
    /* 2^24 ms (4.66 h): the low 24 bits wrap to 0, the extended byte carries 1. */
    check_tag_header(LS_FLV_TAG_VIDEO, 5, 0x1000000, ext1);
    check_tag_header(LS_FLV_TAG_AUDIO, 0x1000, 0x12345678, ext);
    check_tag_header(LS_FLV_TAG_VIDEO, 5, UINT32_MAX, maxts);
    /* Reserved and Filter bits never leak from the type argument. */
    check_tag_header(0xe0 | LS_FLV_TAG_VIDEO, 5, 40, masked);
}

static void test_prev_size(void)
{
    static const uint8_t empty[4] = { 0x00, 0x00, 0x00, 0x0b };
    static const uint8_t small[4] = { 0x00, 0x00, 0x01, 0x2e };
    static const uint8_t big[4] = { 0x01, 0x00, 0x00, 0x0a };
    uint8_t out[LS_FLV_PREV_SIZE + 1];

    CHECK_EQ_INT(LS_FLV_PREV_SIZE, 4);
    memset(out, SENTINEL, sizeof(out));
    ls_flv_prev_size(out, 0);
    CHECK_EQ_MEM(out, empty, 4);
    CHECK_EQ_INT(out[4], SENTINEL);
    ls_flv_prev_size(out, 0x123);
    CHECK_EQ_MEM(out, small, 4);
    ls_flv_prev_size(out, LS_FLV_MAX_BODY_SIZE);
    CHECK_EQ_MEM(out, big, 4);
}

/* ---- video prefixes ---- */

static void check_seq(enum ls_flv_vcodec codec, const uint8_t *want, size_t n)
{
    uint8_t out[LS_FLV_VIDEO_PREFIX_MAX + 1];
    memset(out, SENTINEL, sizeof(out));
    CHECK_EQ_INT(ls_flv_video_seq_prefix(out, codec), n);
    CHECK_EQ_MEM(out, want, n);
    CHECK_EQ_INT(out[n], SENTINEL);
}

static void check_frame(enum ls_flv_vcodec codec, bool key, int32_t cts, const uint8_t *want,
                        size_t n)
{
    uint8_t out[LS_FLV_VIDEO_PREFIX_MAX + 1];
    memset(out, SENTINEL, sizeof(out));
    CHECK_EQ_INT(ls_flv_video_frame_prefix(out, codec, key, cts), n);
    CHECK_EQ_MEM(out, want, n);
    CHECK_EQ_INT(out[n], SENTINEL);
}

static void test_avc(void)
{
    /* FrameType<<4 | CodecID 7, AVCPacketType, CompositionTime SI24 */
    static const uint8_t seq[] = { 0x17, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t key40[] = { 0x17, 0x01, 0x00, 0x00, 0x28 };
    static const uint8_t key0[] = { 0x17, 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t inter80[] = { 0x27, 0x01, 0x00, 0x00, 0x50 };
    static const uint8_t inter_big[] = { 0x27, 0x01, 0x01, 0x02, 0x03 };
    static const uint8_t inter0[] = { 0x27, 0x01, 0x00, 0x00, 0x00 };

    check_seq(LS_FLV_AVC, seq, 5);
    check_frame(LS_FLV_AVC, true, 40, key40, 5);
    check_frame(LS_FLV_AVC, true, 0, key0, 5);
    check_frame(LS_FLV_AVC, false, 80, inter80, 5);
    check_frame(LS_FLV_AVC, false, 0x010203, inter_big, 5);
    check_frame(LS_FLV_AVC, false, 0, inter0, 5);
}

static void test_enhanced(void)
{
    /* IsExHeader | FrameType<<4 | PacketType, FourCC 'hvc1', [SI24 for CodedFrames] */
    static const uint8_t seq[] = { 0x90, 'h', 'v', 'c', '1' };
    static const uint8_t key40[] = { 0x91, 0x68, 0x76, 0x63, 0x31, 0x00, 0x00, 0x28 };
    static const uint8_t key0[] = { 0x93, 0x68, 0x76, 0x63, 0x31 };
    static const uint8_t inter120[] = { 0xa1, 'h', 'v', 'c', '1', 0x00, 0x00, 0x78 };
    static const uint8_t inter0[] = { 0xa3, 'h', 'v', 'c', '1' };

    CHECK_EQ_INT(LS_FLV_FOURCC_HVC1, 0x68766331);
    check_seq(LS_FLV_HEVC_ENHANCED, seq, 5);
    check_frame(LS_FLV_HEVC_ENHANCED, true, 40, key40, 8);
    check_frame(LS_FLV_HEVC_ENHANCED, true, 0, key0, 5);
    check_frame(LS_FLV_HEVC_ENHANCED, false, 120, inter120, 8);
    check_frame(LS_FLV_HEVC_ENHANCED, false, 0, inter0, 5);
}

static void test_codec12(void)
{
    /* Shaped like AVC with CodecID 12. */
    static const uint8_t seq[] = { 0x1c, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t key40[] = { 0x1c, 0x01, 0x00, 0x00, 0x28 };
    static const uint8_t key0[] = { 0x1c, 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t inter80[] = { 0x2c, 0x01, 0x00, 0x00, 0x50 };
    static const uint8_t inter0[] = { 0x2c, 0x01, 0x00, 0x00, 0x00 };

    check_seq(LS_FLV_HEVC_CODEC12, seq, 5);
    check_frame(LS_FLV_HEVC_CODEC12, true, 40, key40, 5);
    check_frame(LS_FLV_HEVC_CODEC12, true, 0, key0, 5);
    check_frame(LS_FLV_HEVC_CODEC12, false, 80, inter80, 5);
    check_frame(LS_FLV_HEVC_CODEC12, false, 0, inter0, 5);
}

static void test_negative_cts(void)
{
    /* SI24 is 24-bit two's complement: -1 = ff ff ff, -40 = ff ff d8, -8388608 = 80 00 00. */
    static const uint8_t avc_m1[] = { 0x27, 0x01, 0xff, 0xff, 0xff };
    static const uint8_t avc_m40[] = { 0x17, 0x01, 0xff, 0xff, 0xd8 };
    static const uint8_t c12_m40[] = { 0x2c, 0x01, 0xff, 0xff, 0xd8 };
    static const uint8_t enh_m40[] = { 0x91, 'h', 'v', 'c', '1', 0xff, 0xff, 0xd8 };
    static const uint8_t enh_m1000[] = { 0xa1, 'h', 'v', 'c', '1', 0xff, 0xfc, 0x18 };
    static const uint8_t avc_min[] = { 0x27, 0x01, 0x80, 0x00, 0x00 };

    check_frame(LS_FLV_AVC, false, -1, avc_m1, 5);
    check_frame(LS_FLV_AVC, true, -40, avc_m40, 5);
    check_frame(LS_FLV_HEVC_CODEC12, false, -40, c12_m40, 5);
    check_frame(LS_FLV_HEVC_ENHANCED, true, -40, enh_m40, 8);
    check_frame(LS_FLV_HEVC_ENHANCED, false, -1000, enh_m1000, 8);
    check_frame(LS_FLV_AVC, false, -8388608, avc_min, 5);
}

static void test_cts_clamp(void)
{
    static const uint8_t avc_max[] = { 0x27, 0x01, 0x7f, 0xff, 0xff };
    static const uint8_t avc_min[] = { 0x27, 0x01, 0x80, 0x00, 0x00 };
    static const uint8_t enh_max[] = { 0x91, 'h', 'v', 'c', '1', 0x7f, 0xff, 0xff };
    static const uint8_t enh_min[] = { 0xa1, 'h', 'v', 'c', '1', 0x80, 0x00, 0x00 };
    static const uint8_t c12_max[] = { 0x1c, 0x01, 0x7f, 0xff, 0xff };

    check_frame(LS_FLV_AVC, false, 8388607, avc_max, 5);
    check_frame(LS_FLV_AVC, false, 8388608, avc_max, 5);
    check_frame(LS_FLV_AVC, false, INT32_MAX, avc_max, 5);
    check_frame(LS_FLV_AVC, false, -8388609, avc_min, 5);
    check_frame(LS_FLV_AVC, false, INT32_MIN, avc_min, 5);
    check_frame(LS_FLV_HEVC_ENHANCED, true, 0x1000000, enh_max, 8);
    check_frame(LS_FLV_HEVC_ENHANCED, false, INT32_MIN, enh_min, 8);
    check_frame(LS_FLV_HEVC_CODEC12, true, INT32_MAX, c12_max, 5);
}

static void test_video_bad_codec(void)
{
    uint8_t out[LS_FLV_VIDEO_PREFIX_MAX];
    static const uint8_t untouched[LS_FLV_VIDEO_PREFIX_MAX] = {
        SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL,
    };
    memset(out, SENTINEL, sizeof(out));
    CHECK_EQ_INT(ls_flv_video_seq_prefix(out, (enum ls_flv_vcodec)3), 0);
    CHECK_EQ_INT(ls_flv_video_frame_prefix(out, (enum ls_flv_vcodec)-1, true, 40), 0);
    CHECK_EQ_INT(ls_flv_video_frame_prefix(out, (enum ls_flv_vcodec)77, false, 0), 0);
    CHECK_EQ_MEM(out, untouched, sizeof(out));
}

/* ---- audio prefixes ---- */

static void check_audio(enum ls_flv_acodec codec, bool seq, uint32_t channels,
                        const uint8_t *want, size_t n)
{
    uint8_t out[LS_FLV_AUDIO_PREFIX_MAX + 1];
    memset(out, SENTINEL, sizeof(out));
    CHECK_EQ_INT(ls_flv_audio_prefix(out, codec, seq, channels), n);
    CHECK_EQ_MEM(out, want, n);
    CHECK_EQ_INT(out[n], SENTINEL);
}

static void test_audio(void)
{
    /* AAC: SoundFormat 10, rate 3 (44 kHz), 16-bit, stereo = 0xAF; then AACPacketType. */
    static const uint8_t aac_seq[] = { 0xaf, 0x00 };
    static const uint8_t aac_raw[] = { 0xaf, 0x01 };
    /* G.711: format<<4 | rate 0 | 16-bit (0x02) | SoundType. */
    static const uint8_t pcma_mono[] = { 0x72 };
    static const uint8_t pcma_stereo[] = { 0x73 };
    static const uint8_t pcmu_mono[] = { 0x82 };
    static const uint8_t pcmu_stereo[] = { 0x83 };

    check_audio(LS_FLV_AAC, true, 2, aac_seq, 2);
    check_audio(LS_FLV_AAC, false, 2, aac_raw, 2);
    check_audio(LS_FLV_AAC, true, 1, aac_seq, 2);
    check_audio(LS_FLV_AAC, false, 6, aac_raw, 2);
    check_audio(LS_FLV_PCMA, false, 1, pcma_mono, 1);
    check_audio(LS_FLV_PCMA, true, 1, pcma_mono, 1);
    check_audio(LS_FLV_PCMA, false, 0, pcma_mono, 1);
    check_audio(LS_FLV_PCMA, false, 2, pcma_stereo, 1);
    check_audio(LS_FLV_PCMU, false, 1, pcmu_mono, 1);
    check_audio(LS_FLV_PCMU, true, 1, pcmu_mono, 1);
    check_audio(LS_FLV_PCMU, false, 2, pcmu_stereo, 1);

    uint8_t out[LS_FLV_AUDIO_PREFIX_MAX] = { SENTINEL, SENTINEL };
    CHECK_EQ_INT(ls_flv_audio_prefix(out, (enum ls_flv_acodec)3, true, 1), 0);
    CHECK_EQ_INT(ls_flv_audio_prefix(out, (enum ls_flv_acodec)-5, false, 2), 0);
    CHECK(out[0] == SENTINEL && out[1] == SENTINEL);
}

/* ---- a whole little FLV: the pieces chain as the spec lays them out ---- */

static void test_composed_file(void)
{
    /* header, one AAC sequence-header tag at 0 ms (ASC 12 10 = AAC-LC 44.1 kHz stereo) */
    static const uint8_t want[] = {
        'F', 'L', 'V', 0x01, 0x04, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xaf, 0x00, 0x12, 0x10,
        0x00, 0x00, 0x00, 0x0f,
    };
    static const uint8_t asc[] = { 0x12, 0x10 };
    uint8_t buf[64];
    size_t n = 0;

    ls_flv_file_header(buf, true, false);
    n += LS_FLV_FILE_HEADER_SIZE;
    ls_flv_tag_header(buf + n, LS_FLV_TAG_AUDIO, 4, 0);
    n += LS_FLV_TAG_HEADER_SIZE;
    n += ls_flv_audio_prefix(buf + n, LS_FLV_AAC, true, 2);
    memcpy(buf + n, asc, sizeof(asc));
    n += sizeof(asc);
    ls_flv_prev_size(buf + n, 4);
    n += LS_FLV_PREV_SIZE;
    CHECK_EQ_INT(n, sizeof(want));
    CHECK_EQ_MEM(buf, want, sizeof(want));
}

/* ---- onMetaData, read back by a small independent AMF0 reader ---- */

enum { AMF_NUMBER = 0, AMF_BOOLEAN = 1, AMF_STRING = 2, AMF_ECMA = 8, AMF_END = 9 };

struct amf_prop {
    char name[32];
    int type;
    double number;
    int boolean;
    char string[64];
};

struct amf_meta {
    char event[32];
    uint32_t declared_count;
    int count;
    struct amf_prop props[16];
};

struct rd {
    const uint8_t *p;
    size_t n, pos;
    int bad;
};

static uint32_t rd_be(struct rd *r, int bytes)
{
    uint32_t v = 0;
    if (r->bad || r->n - r->pos < (size_t)bytes) {
        r->bad = 1;
        return 0;
    }
    for (int i = 0; i < bytes; i++)
        v = v << 8 | r->p[r->pos++];
    return v;
}

static void rd_utf8(struct rd *r, char *dst, size_t cap)
{
    uint32_t len = rd_be(r, 2);
    if (r->bad || r->n - r->pos < len || len >= cap) {
        r->bad = 1;
        return;
    }
    memcpy(dst, r->p + r->pos, len);
    dst[len] = 0;
    r->pos += len;
}

static double rd_double(struct rd *r)
{
    uint64_t bits = (uint64_t)rd_be(r, 4) << 32;
    bits |= rd_be(r, 4);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void rd_value(struct rd *r, struct amf_prop *prop)
{
    prop->type = (int)rd_be(r, 1);
    switch (prop->type) {
    case AMF_NUMBER:
        prop->number = rd_double(r);
        break;
    case AMF_BOOLEAN:
        prop->boolean = (int)rd_be(r, 1);
        break;
    case AMF_STRING:
        rd_utf8(r, prop->string, sizeof(prop->string));
        break;
    default:
        r->bad = 1; /* onMetaData here holds only these three types */
    }
}

/* @return 0 when the body is exactly: string, ECMA array, properties, object end. */
static int amf_parse(const uint8_t *body, size_t size, struct amf_meta *m)
{
    struct rd r = { .p = body, .n = size };
    memset(m, 0, sizeof(*m));
    if (rd_be(&r, 1) != AMF_STRING)
        return -1;
    rd_utf8(&r, m->event, sizeof(m->event));
    if (rd_be(&r, 1) != AMF_ECMA)
        return -1;
    m->declared_count = rd_be(&r, 4);
    while (!r.bad) {
        struct amf_prop *prop = &m->props[m->count];
        rd_utf8(&r, prop->name, sizeof(prop->name));
        if (!r.bad && !prop->name[0]) {
            if (rd_be(&r, 1) != AMF_END)
                return -1;
            break;
        }
        rd_value(&r, prop);
        if (++m->count == 16)
            return -1;
    }
    return r.bad || r.pos != size ? -1 : 0;
}

static const struct amf_prop *prop_at(const struct amf_meta *m, int i, const char *name)
{
    if (i >= m->count || strcmp(m->props[i].name, name) != 0) {
        fprintf(stderr, "  property %d: want \"%s\", got \"%s\"\n", i, name,
                i < m->count ? m->props[i].name : "(none)");
        return NULL;
    }
    return &m->props[i];
}

/* Check property @p i is @p name holding the number @p v; returns the next index. */
static int expect_number(const struct amf_meta *m, int i, const char *name, double v)
{
    const struct amf_prop *p = prop_at(m, i, name);
    CHECK(p != NULL);
    if (p) {
        CHECK_EQ_INT(p->type, AMF_NUMBER);
        CHECK(p->number == v);
    }
    return i + 1;
}

static int expect_bool(const struct amf_meta *m, int i, const char *name, int v)
{
    const struct amf_prop *p = prop_at(m, i, name);
    CHECK(p != NULL);
    if (p) {
        CHECK_EQ_INT(p->type, AMF_BOOLEAN);
        CHECK_EQ_INT(p->boolean, v);
    }
    return i + 1;
}

static int expect_string(const struct amf_meta *m, int i, const char *name, const char *v)
{
    const struct amf_prop *p = prop_at(m, i, name);
    CHECK(p != NULL);
    if (p) {
        CHECK_EQ_INT(p->type, AMF_STRING);
        CHECK_EQ_STR(p->string, v);
    }
    return i + 1;
}

static int write_meta(const struct ls_flv_meta *meta, uint8_t *buf, struct amf_meta *parsed)
{
    int n = ls_flv_metadata_body(buf, LS_FLV_METADATA_MAX, meta);
    CHECK(n > 0 && n <= LS_FLV_METADATA_MAX);
    if (n <= 0)
        return n;
    CHECK_EQ_INT(amf_parse(buf, (size_t)n, parsed), 0);
    CHECK_EQ_STR(parsed->event, "onMetaData");
    CHECK_EQ_INT(parsed->declared_count, parsed->count);
    return n;
}

static void test_meta_minimal_bytes(void)
{
    /* No streams: duration, filesize and encoder only; every byte spelled out. */
    static const uint8_t want[] = {
        0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
        0x08, 0x00, 0x00, 0x00, 0x03,
        0x00, 0x08, 'd', 'u', 'r', 'a', 't', 'i', 'o', 'n',
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x08, 'f', 'i', 'l', 'e', 's', 'i', 'z', 'e',
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x07, 'e', 'n', 'c', 'o', 'd', 'e', 'r',
        0x02, 0x00, 0x0e, 'l', 'i', 'b', 'l', 'i', 'g', 'h', 't', 's', 't', 'r', 'e', 'a', 'm',
        0x00, 0x00, 0x09,
    };
    struct ls_flv_meta meta = { 0 };
    uint8_t buf[LS_FLV_METADATA_MAX];
    CHECK_EQ_INT(ls_flv_metadata_body(buf, sizeof(buf), &meta), sizeof(want));
    CHECK_EQ_MEM(buf, want, sizeof(want));
}

static void test_meta_number_bytes(void)
{
    /* width 1920 as an AMF0 number: 00 then IEEE 754 big-endian 0x409E000000000000. */
    static const uint8_t width[] = { 0x00, 0x05, 'w', 'i', 'd', 't', 'h', 0x00, 0x40, 0x9e,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    /* videocodecid 'hvc1' = 1752589105 = 0x41DA1D98CC400000. */
    static const uint8_t vcid[] = { 0x00, 0x0c, 'v', 'i', 'd', 'e', 'o', 'c', 'o', 'd', 'e',
                                    'c', 'i', 'd', 0x00, 0x41, 0xda, 0x1d, 0x98, 0xcc, 0x40,
                                    0x00, 0x00 };
    struct ls_flv_meta meta = {
        .has_video = true, .vcodec = LS_FLV_HEVC_ENHANCED, .width = 1920,
    };
    uint8_t buf[LS_FLV_METADATA_MAX];
    int n = ls_flv_metadata_body(buf, sizeof(buf), &meta);
    /* 13 (event) + 5 (array head) + 19 (duration) + 19 (filesize) = 56: width follows. */
    CHECK(n > 56 + (int)sizeof(width) + (int)sizeof(vcid));
    CHECK_EQ_MEM(buf + 56, width, sizeof(width));
    CHECK_EQ_MEM(buf + 56 + sizeof(width), vcid, sizeof(vcid));
}

static void test_meta_full(void)
{
    struct ls_flv_meta meta = {
        .has_video = true, .vcodec = LS_FLV_AVC, .width = 1920, .height = 1080,
        .framerate = 29.97, .video_kbps = 4000,
        .has_audio = true, .acodec = LS_FLV_AAC, .audio_sample_rate = 48000,
        .audio_channels = 2,
    };
    uint8_t buf[LS_FLV_METADATA_MAX];
    struct amf_meta m;
    int n = write_meta(&meta, buf, &m);
    CHECK_EQ_INT(n, 270); /* every key present: the documented maximum */
    CHECK_EQ_INT(m.count, 12);
    int i = expect_number(&m, 0, "duration", 0);
    i = expect_number(&m, i, "filesize", 0);
    i = expect_number(&m, i, "width", 1920);
    i = expect_number(&m, i, "height", 1080);
    i = expect_number(&m, i, "framerate", 29.97);
    i = expect_number(&m, i, "videocodecid", 7);
    i = expect_number(&m, i, "videodatarate", 4000);
    i = expect_number(&m, i, "audiocodecid", 10);
    i = expect_number(&m, i, "audiosamplerate", 48000);
    i = expect_number(&m, i, "audiosamplesize", 16);
    i = expect_bool(&m, i, "stereo", 1);
    i = expect_string(&m, i, "encoder", "liblightstream");
    CHECK_EQ_INT(i, m.count);
    CHECK_EQ_MEM(buf + n - 3, "\x00\x00\x09", 3);
}

static void test_meta_flavours(void)
{
    static const struct {
        enum ls_flv_vcodec codec;
        double id;
    } cases[] = {
        { LS_FLV_AVC, 7 },
        { LS_FLV_HEVC_CODEC12, 12 },
        { LS_FLV_HEVC_ENHANCED, 1752589105.0 }, /* 0x68766331 */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct ls_flv_meta meta = {
            .has_video = true, .vcodec = cases[c].codec, .width = 640, .height = 360,
            .framerate = 25,
        };
        uint8_t buf[LS_FLV_METADATA_MAX];
        struct amf_meta m;
        write_meta(&meta, buf, &m);
        CHECK_EQ_INT(m.count, 7);
        int i = expect_number(&m, 0, "duration", 0);
        i = expect_number(&m, i, "filesize", 0);
        i = expect_number(&m, i, "width", 640);
        i = expect_number(&m, i, "height", 360);
        i = expect_number(&m, i, "framerate", 25);
        i = expect_number(&m, i, "videocodecid", cases[c].id);
        expect_string(&m, i, "encoder", "liblightstream");
    }
}

static void test_meta_g711(void)
{
    static const struct {
        enum ls_flv_acodec codec;
        double id;
    } cases[] = { { LS_FLV_PCMA, 7 }, { LS_FLV_PCMU, 8 } };
    for (size_t c = 0; c < 2; c++) {
        struct ls_flv_meta meta = {
            .has_audio = true, .acodec = cases[c].codec, .audio_sample_rate = 8000,
            .audio_channels = 1,
        };
        uint8_t buf[LS_FLV_METADATA_MAX];
        struct amf_meta m;
        write_meta(&meta, buf, &m);
        CHECK_EQ_INT(m.count, 7);
        int i = expect_number(&m, 0, "duration", 0);
        i = expect_number(&m, i, "filesize", 0);
        i = expect_number(&m, i, "audiocodecid", cases[c].id);
        i = expect_number(&m, i, "audiosamplerate", 8000);
        i = expect_number(&m, i, "audiosamplesize", 16);
        i = expect_bool(&m, i, "stereo", 0);
        expect_string(&m, i, "encoder", "liblightstream");
    }
}

static void test_meta_zero_fields(void)
{
    /* Zero (and non-finite framerate) fields are left out; the codec ids stay. */
    struct ls_flv_meta meta = {
        .has_video = true, .vcodec = LS_FLV_HEVC_CODEC12, .framerate = NAN,
        .has_audio = true, .acodec = LS_FLV_AAC,
    };
    uint8_t buf[LS_FLV_METADATA_MAX];
    struct amf_meta m;
    write_meta(&meta, buf, &m);
    CHECK_EQ_INT(m.count, 6);
    int i = expect_number(&m, 0, "duration", 0);
    i = expect_number(&m, i, "filesize", 0);
    i = expect_number(&m, i, "videocodecid", 12);
    i = expect_number(&m, i, "audiocodecid", 10);
    i = expect_number(&m, i, "audiosamplesize", 16);
    expect_string(&m, i, "encoder", "liblightstream");

    meta.framerate = INFINITY;
    write_meta(&meta, buf, &m);
    CHECK_EQ_INT(m.count, 6);
    meta.framerate = -25;
    write_meta(&meta, buf, &m);
    CHECK_EQ_INT(m.count, 6);
}

static void test_meta_enospc(void)
{
    struct ls_flv_meta meta = {
        .has_video = true, .vcodec = LS_FLV_HEVC_ENHANCED, .width = 3840, .height = 2160,
        .framerate = 30, .video_kbps = 12000,
        .has_audio = true, .acodec = LS_FLV_PCMU, .audio_sample_rate = 8000,
        .audio_channels = 1,
    };
    uint8_t full[LS_FLV_METADATA_MAX];
    int size = ls_flv_metadata_body(full, sizeof(full), &meta);
    CHECK(size > 0);

    /* Every cap below the size fails, and nothing lands past cap. */
    uint8_t buf[LS_FLV_METADATA_MAX + 16];
    int overruns = 0, wrong = 0;
    for (int cap = 0; cap < size; cap++) {
        memset(buf, SENTINEL, sizeof(buf));
        if (ls_flv_metadata_body(buf, (size_t)cap, &meta) != -ENOSPC)
            wrong++;
        for (size_t k = (size_t)cap; k < sizeof(buf); k++)
            overruns += buf[k] != SENTINEL;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(overruns, 0);

    memset(buf, SENTINEL, sizeof(buf));
    CHECK_EQ_INT(ls_flv_metadata_body(buf, (size_t)size, &meta), size);
    CHECK_EQ_MEM(buf, full, (size_t)size);
    CHECK_EQ_INT(buf[size], SENTINEL);
    CHECK_EQ_INT(ls_flv_metadata_body(NULL, 0, &meta), -ENOSPC);
}

static void test_meta_einval(void)
{
    uint8_t buf[LS_FLV_METADATA_MAX];
    struct ls_flv_meta meta = { .has_video = true, .vcodec = (enum ls_flv_vcodec)9 };
    CHECK_EQ_INT(ls_flv_metadata_body(buf, sizeof(buf), NULL), -EINVAL);
    CHECK_EQ_INT(ls_flv_metadata_body(NULL, 10, &meta), -EINVAL);
    CHECK_EQ_INT(ls_flv_metadata_body(buf, sizeof(buf), &meta), -EINVAL);
    meta = (struct ls_flv_meta){ .has_audio = true, .acodec = (enum ls_flv_acodec)-1 };
    CHECK_EQ_INT(ls_flv_metadata_body(buf, sizeof(buf), &meta), -EINVAL);
    /* An absent stream's codec is not looked at. */
    meta.has_audio = false;
    CHECK(ls_flv_metadata_body(buf, sizeof(buf), &meta) > 0);
}

static void test_meta_totals(void)
{
    /* A finished file's duration and size go in place: same size, same keys, same order. */
    struct ls_flv_meta meta = {
        .has_video = true, .vcodec = LS_FLV_AVC, .width = 1280, .height = 720, .framerate = 25,
        .has_audio = true, .acodec = LS_FLV_AAC, .audio_sample_rate = 48000, .audio_channels = 2,
    };
    uint8_t buf[LS_FLV_METADATA_MAX], before[LS_FLV_METADATA_MAX];
    struct amf_meta m;
    int n = write_meta(&meta, buf, &m);
    CHECK(n > 0);
    memcpy(before, buf, (size_t)n);
    CHECK(ls_flv_metadata_has_totals(buf, (size_t)n));
    uint8_t slots[LS_FLV_METADATA_TOTALS_SIZE];
    ls_flv_metadata_totals(slots, 12.52, 3538944);
    memcpy(buf + LS_FLV_METADATA_TOTALS_OFFSET, slots, sizeof(slots));
    CHECK_EQ_INT(amf_parse(buf, (size_t)n, &m), 0);
    CHECK_EQ_INT(m.count, 11);
    int i = expect_number(&m, 0, "duration", 12.52);
    i = expect_number(&m, i, "filesize", 3538944);
    expect_number(&m, i, "width", 1280);
    /* Only the two values changed, and the slots are still recognised. */
    int changed = 0;
    for (int k = 0; k < n; k++)
        changed += buf[k] != before[k];
    CHECK(changed > 0 && changed <= 16);
    const int end = LS_FLV_METADATA_TOTALS_OFFSET + LS_FLV_METADATA_TOTALS_SIZE;
    CHECK_EQ_MEM(buf, before, LS_FLV_METADATA_TOTALS_OFFSET + 1);
    CHECK_EQ_MEM(buf + end - 19, before + end - 19, 11); /* the "filesize" key, marker */
    CHECK_EQ_MEM(buf + end, before + end, (size_t)(n - end));
    CHECK(ls_flv_metadata_has_totals(buf, (size_t)n));

    /* Values a reader could not use are written as 0. */
    ls_flv_metadata_totals(slots, NAN, -5);
    memcpy(buf + LS_FLV_METADATA_TOTALS_OFFSET, slots, sizeof(slots));
    CHECK_EQ_INT(amf_parse(buf, (size_t)n, &m), 0);
    i = expect_number(&m, 0, "duration", 0);
    expect_number(&m, i, "filesize", 0);

    /* Anything else is not taken for the slots. */
    CHECK(!ls_flv_metadata_has_totals(NULL, 100));
    CHECK(!ls_flv_metadata_has_totals(buf, LS_FLV_METADATA_TOTALS_OFFSET + LS_FLV_METADATA_TOTALS_SIZE - 1));
    CHECK(ls_flv_metadata_has_totals(buf, LS_FLV_METADATA_TOTALS_OFFSET + LS_FLV_METADATA_TOTALS_SIZE));
    static const size_t spots[] = { 0, 3, 13, 20, LS_FLV_METADATA_TOTALS_OFFSET,
                                    LS_FLV_METADATA_TOTALS_OFFSET + 11,
                                    LS_FLV_METADATA_TOTALS_OFFSET + 19 };
    for (size_t k = 0; k < sizeof(spots) / sizeof(spots[0]); k++) {
        uint8_t bad[LS_FLV_METADATA_MAX];
        memcpy(bad, buf, (size_t)n);
        bad[spots[k]] ^= 0x40;
        CHECK(!ls_flv_metadata_has_totals(bad, (size_t)n));
    }
}

int main(void)
{
    test_file_header();
    test_tag_header();
    test_prev_size();
    test_avc();
    test_enhanced();
    test_codec12();
    test_negative_cts();
    test_cts_clamp();
    test_video_bad_codec();
    test_audio();
    test_composed_file();
    test_meta_minimal_bytes();
    test_meta_number_bytes();
    test_meta_full();
    test_meta_flavours();
    test_meta_g711();
    test_meta_zero_fields();
    test_meta_enospc();
    test_meta_einval();
    test_meta_totals();
    return test_done("flv");
}
