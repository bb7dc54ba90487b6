/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvcheck, video tags: legacy AVC (CodecID 7), legacy-shaped HEVC
 * (CodecID 12) and the Enhanced RTMP ExVideoTagHeader with FourCC hvc1/avc1.
 * Decoder configuration records (ISO/IEC 14496-15 avcC 5.3.3.1, hvcC
 * 8.3.3.1) and length-prefixed frames are turned back into Annex B and
 * decoded with libavcodec.
 */
#include <string.h>

#include <libavutil/mem.h>

#include "tests/tools/flvcheck.h"

enum {
    PT_SEQUENCE_START = 0,
    PT_CODED_FRAMES = 1,
    PT_SEQUENCE_END = 2,
    PT_CODED_FRAMES_X = 3,
    PT_METADATA = 4,
    PT_MPEG2TS_SEQUENCE_START = 5,
    PT_MULTITRACK = 6,
    PT_MODEX = 7,
};

enum { FRAME_KEY = 1, FRAME_INTER = 2, FRAME_DISPOSABLE = 3, FRAME_GENERATED_KEY = 4,
       FRAME_COMMAND = 5 };

#define FOURCC_HVC1 0x68766331u
#define FOURCC_AVC1 0x61766331u

/* Annex B being assembled; the padding libavcodec wants is always there. */
struct annexb {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

static void ab_append(struct annexb *b, const uint8_t *src, size_t len, bool start_code)
{
    size_t need = b->n + len + 4 + AV_INPUT_BUFFER_PADDING_SIZE;
    if (b->oom)
        return;
    if (need > b->cap) {
        size_t cap = need * 2;
        uint8_t *p = av_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (start_code) {
        static const uint8_t sc[4] = { 0, 0, 0, 1 };
        memcpy(b->p + b->n, sc, 4);
        b->n += 4;
    }
    memcpy(b->p + b->n, src, len);
    b->n += len;
    memset(b->p + b->n, 0, AV_INPUT_BUFFER_PADDING_SIZE);
}

static bool is_hevc(enum fc_vkind kind)
{
    return kind == FC_V_CODEC12 || kind == FC_V_ENH_HVC1;
}

static int nal_type(enum fc_vkind kind, const uint8_t *nal)
{
    return is_hevc(kind) ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
}

/* An IDR picture (H.264) or an IRAP picture (HEVC types 16-23). */
static bool is_random_access(enum fc_vkind kind, int type)
{
    return is_hevc(kind) ? type >= 16 && type <= 23 : type == 5;
}

const char *fc_video_codec(const struct fc_video *v)
{
    static const char *const names[] = { "none", "h264", "hevc", "hevc", "h264", "other" };
    return names[v->kind];
}

const char *fc_video_flavour(const struct fc_video *v)
{
    static const char *const names[] = { "none", "avc", "codec12", "enhanced", "enhanced",
                                         "other" };
    return names[v->kind];
}

static const char *kind_name(enum fc_vkind kind)
{
    static const char *const names[] = {
        "none", "AVC (CodecID 7)", "HEVC (CodecID 12)", "Enhanced RTMP hvc1",
        "Enhanced RTMP avc1", "another codec",
    };
    return names[kind];
}

/* A stream keeps one flavour; a change needs a new sequence header and decoder. */
static void set_kind(struct fc *c, enum fc_vkind kind)
{
    struct fc_video *v = &c->v;
    if (v->kind == kind)
        return;
    if (v->kind != FC_V_NONE)
        fc_error(c, "video changed from %s to %s", kind_name(v->kind), kind_name(kind));
    v->kind = kind;
    v->nal_length_size = 0;
    av_freep(&v->params);
    v->params_size = 0;
    v->params_pending = false;
    avcodec_free_context(&v->st.dec);
}

/* ---- decoder configuration records ---- */

static bool read_nals(struct fc *c, const uint8_t *p, size_t n, size_t *pos, unsigned count,
                      int want_type, struct annexb *out, const char *what)
{
    size_t min_len = is_hevc(c->v.kind) ? 2 : 1; /* the NAL unit header */
    for (unsigned i = 0; i < count; i++) {
        if (n - *pos < 2) {
            fc_error(c, "%s %u: truncated length field", what, i);
            return false;
        }
        size_t len = fc_be(p + *pos, 2);
        *pos += 2;
        if (len < min_len || len > n - *pos) {
            fc_error(c, "%s %u: length %zu does not fit in %zu bytes", what, i, len, n - *pos);
            return false;
        }
        const uint8_t *nal = p + *pos;
        if (nal[0] & 0x80)
            fc_error(c, "%s %u: forbidden_zero_bit set", what, i);
        if (nal_type(c->v.kind, nal) != want_type) {
            fc_error(c, "%s %u: NAL unit type %d, want %d", what, i, nal_type(c->v.kind, nal),
                     want_type);
            return false;
        }
        ab_append(out, nal, len, true);
        *pos += len;
    }
    return true;
}

static bool length_size(struct fc *c, const char *rec, int minus_one, int *out)
{
    *out = minus_one + 1;
    if (*out == 3)
        fc_error(c, "%s lengthSizeMinusOne is 2 (only 0, 1 and 3 are allowed)", rec);
    return *out != 3;
}

static bool parse_avcc(struct fc *c, const uint8_t *p, size_t n, struct annexb *out, int *len)
{
    if (n < 7) {
        fc_error(c, "avcC too short (%zu bytes)", n);
        return false;
    }
    if (p[0] != 1)
        fc_error(c, "avcC configurationVersion %u, want 1", p[0]);
    if ((p[4] & 0xfc) != 0xfc || (p[5] & 0xe0) != 0xe0)
        fc_error(c, "avcC reserved bits are not all 1 (0x%02x 0x%02x)", p[4], p[5]);
    if (!length_size(c, "avcC", p[4] & 3, len))
        return false;
    size_t pos = 6;
    unsigned nsps = p[5] & 0x1f;
    if (!nsps)
        fc_error(c, "avcC has no SPS");
    if (!read_nals(c, p, n, &pos, nsps, 7, out, "avcC SPS"))
        return false;
    if (pos >= n) {
        fc_error(c, "avcC ends before numOfPictureParameterSets");
        return false;
    }
    unsigned npps = p[pos++];
    if (!npps)
        fc_error(c, "avcC has no PPS");
    if (!read_nals(c, p, n, &pos, npps, 8, out, "avcC PPS"))
        return false;
    /* The record repeats the first SPS's profile_idc, constraint flags and level_idc. */
    if (nsps && fc_be(p + 6, 2) >= 4 && memcmp(p + 1, p + 9, 3))
        fc_error(c, "avcC profile/compatibility/level %02x %02x %02x differ from the SPS's "
                    "%02x %02x %02x", p[1], p[2], p[3], p[9], p[10], p[11]);
    return nsps && npps;
}

static bool parse_hvcc(struct fc *c, const uint8_t *p, size_t n, struct annexb *out, int *len)
{
    if (n < 23) {
        fc_error(c, "hvcC too short (%zu bytes)", n);
        return false;
    }
    if (p[0] != 1)
        fc_error(c, "hvcC configurationVersion %u, want 1", p[0]);
    if ((p[13] & 0xf0) != 0xf0 || (p[15] & 0xfc) != 0xfc || (p[16] & 0xfc) != 0xfc ||
        (p[17] & 0xf8) != 0xf8 || (p[18] & 0xf8) != 0xf8)
        fc_error(c, "hvcC reserved bits are not all 1");
    if (!length_size(c, "hvcC", p[21] & 3, len))
        return false;
    bool have[3] = { false, false, false }; /* VPS, SPS, PPS */
    size_t pos = 23;
    for (unsigned a = 0, arrays = p[22]; a < arrays; a++) {
        if (n - pos < 3) {
            fc_error(c, "hvcC array %u truncated", a);
            return false;
        }
        int type = p[pos] & 0x3f;
        unsigned count = fc_be(p + pos + 1, 2);
        pos += 3;
        if (type >= 32 && type <= 34 && count)
            have[type - 32] = true;
        if (!read_nals(c, p, n, &pos, count, type, out, "hvcC NAL unit"))
            return false;
    }
    if (!have[0] || !have[1] || !have[2])
        fc_error(c, "hvcC lacks a VPS, SPS or PPS");
    return have[0] && have[1] && have[2];
}

static void sequence_header(struct fc *c, const uint8_t *p, size_t n)
{
    struct fc_video *v = &c->v;
    struct annexb ab = { 0 };
    int len = 0;
    v->st.seq_headers++;
    bool hevc = is_hevc(v->kind);
    bool ok = hevc ? parse_hvcc(c, p, n, &ab, &len) : parse_avcc(c, p, n, &ab, &len);
    if (!ok || ab.oom) {
        av_free(ab.p); /* the previous configuration, if any, stays */
        return;
    }
    av_free(v->params);
    v->params = ab.p;
    v->params_size = ab.n;
    v->params_pending = true; /* in-band ahead of the next frame: the decoder needs no extradata */
    v->nal_length_size = len;
    if (!v->st.dec) {
        v->st.dec = fc_open_decoder(hevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264, NULL, 0, 0, 0);
        if (!v->st.dec)
            fc_error(c, "cannot open the %s decoder", hevc ? "HEVC" : "H.264");
    }
}

/* ---- coded frames ---- */

static bool frame_to_annexb(struct fc *c, const uint8_t *p, size_t n, struct annexb *out,
                           bool *random_access)
{
    size_t ls = (size_t)c->v.nal_length_size, pos = 0;
    if (!n) {
        fc_error(c, "coded video frame without NAL units");
        return false;
    }
    while (pos < n) {
        if (n - pos < ls) {
            fc_error(c, "NAL unit length field truncated (%zu bytes left)", n - pos);
            return false;
        }
        size_t len = fc_be(p + pos, (int)ls);
        pos += ls;
        if (!len || len > n - pos) {
            fc_error(c, "NAL unit length %zu does not fit (%zu bytes left)", len, n - pos);
            return false;
        }
        if (is_hevc(c->v.kind) && len < 2) {
            fc_error(c, "HEVC NAL unit of %zu byte", len);
            return false;
        }
        *random_access |= is_random_access(c->v.kind, nal_type(c->v.kind, p + pos));
        ab_append(out, p + pos, len, true);
        pos += len;
    }
    return !out->oom;
}

static void note_frame(struct fc_video *v, bool key, int32_t cts)
{
    v->st.frames++;
    v->keyframes += key;
    if (!v->seen_frame) {
        v->seen_frame = true;
        v->first_is_key = key;
        v->cts_min = v->cts_max = cts;
    }
    if (cts < v->cts_min)
        v->cts_min = cts;
    if (cts > v->cts_max)
        v->cts_max = cts;
}

static void coded_frame(struct fc *c, int frame_type, const uint8_t *p, size_t n, uint32_t ts,
                        int32_t cts)
{
    struct fc_video *v = &c->v;
    bool key = frame_type == FRAME_KEY || frame_type == FRAME_GENERATED_KEY;
    note_frame(v, key, cts);
    if (!v->nal_length_size) {
        fc_error(c, "coded video frame before a sequence header");
        return;
    }
    struct annexb ab = { 0 };
    bool random_access = false;
    if (v->params_pending)
        ab_append(&ab, v->params, v->params_size, false);
    if (!frame_to_annexb(c, p, n, &ab, &random_access)) {
        av_free(ab.p);
        return;
    }
    if (key != random_access)
        v->key_mismatch++;
    AVPacket *pkt = c->pkt;
    if (av_packet_from_data(pkt, ab.p, (int)ab.n) < 0) {
        av_free(ab.p);
        return;
    }
    pkt->dts = ts;
    pkt->pts = (int64_t)ts + cts;
    pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
    fc_decode(c, &v->st, pkt);
    av_packet_unref(pkt);
    v->params_pending = false;
}

/* ---- tag headers ---- */

static bool frame_type_ok(struct fc *c, int frame_type)
{
    if (frame_type >= FRAME_KEY && frame_type <= FRAME_COMMAND)
        return true;
    fc_error(c, "reserved video FrameType %d", frame_type);
    return false;
}

static void legacy_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    int frame_type = b[0] >> 4, codec = b[0] & 0x0f;
    if (codec != 7 && codec != 12) {
        fc_warn(c, "video CodecID %d is not checked", codec);
        set_kind(c, FC_V_OTHER);
        c->v.st.frames++;
        return;
    }
    set_kind(c, codec == 7 ? FC_V_AVC : FC_V_CODEC12);
    if (!frame_type_ok(c, frame_type) || frame_type == FRAME_COMMAND)
        return;
    if (n < 5) {
        fc_error(c, "video tag of %zu bytes, the CodecID %d header needs 5", n, codec);
        return;
    }
    int32_t cts = fc_si24(b + 2);
    switch (b[1]) {
    case 0:
        if (cts)
            fc_error(c, "CompositionTime %d in a sequence header, want 0", (int)cts);
        sequence_header(c, b + 5, n - 5);
        break;
    case 1:
        coded_frame(c, frame_type, b + 5, n - 5, ts, cts);
        break;
    case 2:
        c->v.seq_ends++;
        break;
    default:
        fc_error(c, "AVCPacketType %u is not 0, 1 or 2", b[1]);
    }
}

static void enhanced_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    int frame_type = (b[0] >> 4) & 7, pt = b[0] & 0x0f;
    if (pt == PT_MPEG2TS_SEQUENCE_START || pt == PT_MULTITRACK || pt == PT_MODEX) {
        fc_warn(c, "Enhanced RTMP video PacketType %d is not checked", pt);
        return;
    }
    if (pt > PT_MODEX) {
        fc_error(c, "reserved Enhanced RTMP video PacketType %d", pt);
        return;
    }
    if (n < 5) {
        fc_error(c, "Enhanced RTMP video tag of %zu bytes, no room for the FourCC", n);
        return;
    }
    uint32_t fourcc = fc_be(b + 1, 4);
    if (fourcc != FOURCC_HVC1 && fourcc != FOURCC_AVC1) {
        fc_warn(c, "video FourCC 0x%08x is not checked", fourcc);
        set_kind(c, FC_V_OTHER);
        c->v.st.frames++;
        return;
    }
    set_kind(c, fourcc == FOURCC_HVC1 ? FC_V_ENH_HVC1 : FC_V_ENH_AVC1);
    if (pt == PT_METADATA) /* AMF colorInfo; FrameType means nothing here */
        return;
    if (!frame_type_ok(c, frame_type) || frame_type == FRAME_COMMAND)
        return;
    switch (pt) {
    case PT_SEQUENCE_START:
        sequence_header(c, b + 5, n - 5);
        break;
    case PT_CODED_FRAMES:
        if (n < 8)
            fc_error(c, "CodedFrames tag of %zu bytes, no room for the CompositionTime", n);
        else
            coded_frame(c, frame_type, b + 8, n - 8, ts, fc_si24(b + 5));
        break;
    case PT_SEQUENCE_END:
        c->v.seq_ends++;
        break;
    case PT_CODED_FRAMES_X:
        coded_frame(c, frame_type, b + 5, n - 5, ts, 0);
        break;
    }
}

void fc_video_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    fc_track_ts(&c->v.st, ts);
    if (!n) {
        fc_error(c, "empty video tag");
        return;
    }
    /* Bit 7 of the first byte is IsExHeader in Enhanced RTMP (always 0 in FLV 10.1). */
    if (b[0] & 0x80)
        enhanced_tag(c, b, n, ts);
    else
        legacy_tag(c, b, n, ts);
}

void fc_video_finish(struct fc *c)
{
    fc_decode(c, &c->v.st, NULL); /* drain the frames still inside the decoder */
}
