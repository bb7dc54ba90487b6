/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The remuxer, driven with hand-made access units around real parameter sets
 * (x264/x265 320x240): what it emits, in which order, with which bytes.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/flv/flv.h"
#include "lib/codec/h265.h"
#include "lib/stream/remux.h"
#include "lib/stream/timestamp.h"
#include "tests/unit/test.h"

static const uint8_t h264_sps[] = {0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00,
                                   0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8};
static const uint8_t h264_pps[] = {0x68, 0xce, 0x0f, 0xc8};
static const uint8_t h265_vps[] = {0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
                                   0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x95, 0x94, 0x09};
static const uint8_t h265_sps[] = {0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                                   0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f,
                                   0x16, 0x59, 0x59, 0x52, 0x93, 0x0b, 0xc0, 0x5a, 0x02, 0x00, 0x00,
                                   0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10};
static const uint8_t h265_pps[] = {0x44, 0x01, 0xc0, 0x73, 0xc1, 0x89};

#define MAX_ITEMS 64
struct capture {
    struct ls_item *items[MAX_ITEMS];
    int n;
};

static int capture(void *opaque, struct ls_item *item)
{
    struct capture *c = opaque;
    if (c->n < MAX_ITEMS)
        c->items[c->n++] = ls_item_ref(item);
    return 0;
}

static void capture_clear(struct capture *c)
{
    for (int i = 0; i < c->n; i++)
        ls_item_unref(&c->items[i]);
    c->n = 0;
}

/** Append a start code and a NAL to buf; returns the new size. */
static size_t put_nal(uint8_t *buf, size_t pos, const uint8_t *nal, size_t size)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    memcpy(buf + pos, sc, 4);
    memcpy(buf + pos + 4, nal, size);
    return pos + 4 + size;
}

static struct ls_packet video_pkt(const uint8_t *data, size_t size, int64_t pts)
{
    return (struct ls_packet){.codec = LS_CODEC_H264, .data = data, .size = size,
                              .pts = pts, .dts = pts, .tb_num = 1, .tb_den = 90000};
}

static struct ls_remux *make(struct capture *c, enum ls_audio_policy audio, enum ls_hevc_mode hevc)
{
    struct ls_remux_settings s = {.audio = audio, .hevc = hevc, .ts_jump_threshold_ms = 1000};
    struct ls_remux *r;
    CHECK_EQ_INT(ls_remux_create(&r, &s, capture, c), 0);
    return r;
}

static void test_h264_sdp_params(void)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, LS_HEVC_ENHANCED);
    uint8_t extra[64];
    size_t n = put_nal(extra, 0, h264_sps, sizeof(h264_sps));
    n = put_nal(extra, n, h264_pps, sizeof(h264_pps));
    struct ls_stream_info v = {.codec = LS_CODEC_H264, .extradata = extra, .extradata_size = n};
    ls_remux_begin(r, &v, NULL);

    static const uint8_t pslice[] = {0x41, 0x9a, 0x22, 0xbc};
    static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x3a, 0x0c};
    static const uint8_t aud[] = {0x09, 0xf0};
    uint8_t au[128];
    size_t m = put_nal(au, 0, pslice, sizeof(pslice));
    struct ls_packet p = video_pkt(au, m, 9000);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 0); /* no keyframe yet: nothing written */
    CHECK_EQ_INT(ls_remux_get_info(r)->dropped_no_key, 1);

    m = put_nal(au, 0, aud, sizeof(aud));
    m = put_nal(au, m, h264_sps, sizeof(h264_sps)); /* in-band copy: same bytes */
    m = put_nal(au, m, idr, sizeof(idr));
    p = video_pkt(au, m, 12600);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 3); /* metadata, sequence header, keyframe */
    if (c.n == 3) {
        CHECK_EQ_INT(c.items[0]->kind, LS_ITEM_METADATA);
        CHECK_EQ_INT(c.items[1]->kind, LS_ITEM_VIDEO_SEQ);
        static const uint8_t seq[] = {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0, 0x0d, 0xff, 0xe1};
        CHECK_EQ_MEM(c.items[1]->body, seq, sizeof(seq));
        struct ls_item *k = c.items[2];
        CHECK(k->keyframe);
        CHECK_EQ_INT(k->dts_ms, 0);
        /* AUD and SPS are not in the frame: only the IDR, length-prefixed. */
        static const uint8_t frame[] = {0x17, 0x01, 0, 0, 0, 0, 0, 0, 5, 0x65, 0x88, 0x84, 0x3a, 0x0c};
        CHECK_EQ_INT(k->size, sizeof(frame));
        CHECK_EQ_MEM(k->body, frame, sizeof(frame));
    }
    m = put_nal(au, 0, pslice, sizeof(pslice));
    p = video_pkt(au, m, 16200);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 4);
    if (c.n == 4) {
        CHECK_EQ_INT(c.items[3]->body[0], 0x27);
        CHECK_EQ_INT(c.items[3]->dts_ms, 40);
    }
    const struct ls_remux_info *info = ls_remux_get_info(r);
    CHECK_EQ_INT(info->width, 320);
    CHECK_EQ_INT(info->height, 240);
    CHECK_EQ_INT(info->video_profile, 66);
    capture_clear(&c);
    ls_remux_destroy(&r);
    CHECK(r == NULL);
}

static void test_h264_inband_params_and_change(void)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, LS_HEVC_ENHANCED);
    struct ls_stream_info v = {.codec = LS_CODEC_H264};
    ls_remux_begin(r, &v, NULL);
    static const uint8_t idr[] = {0x65, 0x88, 0x84};
    uint8_t au[128];
    size_t m = put_nal(au, 0, idr, sizeof(idr));
    struct ls_packet p = video_pkt(au, m, 0);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 0); /* no parameter sets anywhere yet */
    CHECK_EQ_INT(ls_remux_get_info(r)->dropped_no_params, 1);

    m = put_nal(au, 0, h264_sps, sizeof(h264_sps));
    m = put_nal(au, m, h264_pps, sizeof(h264_pps));
    m = put_nal(au, m, idr, sizeof(idr));
    p = video_pkt(au, m, 3600);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 3);

    /* A new PPS mid-stream: a new sequence header goes out before the frame. */
    static const uint8_t pps2[] = {0x68, 0xce, 0x3c, 0x80};
    m = put_nal(au, 0, pps2, sizeof(pps2));
    m = put_nal(au, m, idr, sizeof(idr));
    p = video_pkt(au, m, 7200);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 6);
    if (c.n == 6) {
        CHECK_EQ_INT(c.items[4]->kind, LS_ITEM_VIDEO_SEQ);
        CHECK_EQ_INT(c.items[4]->dts_ms, 40);
        CHECK_EQ_MEM(c.items[4]->body + c.items[4]->size - 4, pps2, 4);
    }
    /* Garbage without any start code is dropped and counted. */
    static const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef};
    p = video_pkt(junk, sizeof(junk), 10800);
    CHECK_EQ_INT(ls_remux_video(r, &p), -EBADMSG);
    CHECK_EQ_INT(ls_remux_get_info(r)->dropped_invalid, 1);
    CHECK_EQ_INT(c.n, 6);
    capture_clear(&c);
    ls_remux_destroy(&r);
}

static void run_hevc(enum ls_hevc_mode mode, const uint8_t *seq_prefix, uint8_t key_byte)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, mode);
    struct ls_stream_info v = {.codec = LS_CODEC_H265};
    ls_remux_begin(r, &v, NULL);
    static const uint8_t idr[] = {0x26, 0x01, 0xac, 0x74}; /* IDR_W_RADL */
    static const uint8_t trail[] = {0x02, 0x01, 0xd0, 0x11};
    uint8_t au[256];
    size_t m = put_nal(au, 0, h265_vps, sizeof(h265_vps));
    m = put_nal(au, m, h265_sps, sizeof(h265_sps));
    m = put_nal(au, m, h265_pps, sizeof(h265_pps));
    m = put_nal(au, m, idr, sizeof(idr));
    struct ls_packet p = video_pkt(au, m, 0);
    p.codec = LS_CODEC_H265;
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    m = put_nal(au, 0, trail, sizeof(trail));
    p = video_pkt(au, m, 3600);
    p.codec = LS_CODEC_H265;
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 4);
    if (c.n == 4) {
        CHECK_EQ_MEM(c.items[1]->body, seq_prefix, 5);
        CHECK_EQ_INT(c.items[2]->body[0], key_byte);
        CHECK(c.items[3]->body[0] != key_byte);
    }
    CHECK_EQ_INT(ls_remux_get_info(r)->width, 320);
    capture_clear(&c);
    ls_remux_destroy(&r);
}

static void test_hevc(void)
{
    static const uint8_t enhanced[] = {0x90, 'h', 'v', 'c', '1'};
    static const uint8_t codec12[] = {0x1c, 0x00, 0x00, 0x00, 0x00};
    /* The SPS declares a reorder depth, so the keyframe is presented that many frames
     * after its DTS: CodedFrames with a composition time (CodedFramesX only when it is 0). */
    struct ls_h265_sps sps;
    CHECK_EQ_INT(ls_h265_parse_sps(h265_sps, sizeof(h265_sps), &sps), 0);
    run_hevc(LS_HEVC_ENHANCED, enhanced, sps.max_num_reorder ? 0x91 : 0x93);
    run_hevc(LS_HEVC_CODEC12, codec12, 0x1c);
}

static int64_t feed_idr(struct ls_remux *r, int64_t pts)
{
    uint8_t au[128];
    static const uint8_t idr[] = {0x65, 0x88};
    size_t m = put_nal(au, 0, h264_sps, sizeof(h264_sps));
    m = put_nal(au, m, h264_pps, sizeof(h264_pps));
    m = put_nal(au, m, idr, sizeof(idr));
    struct ls_packet p = video_pkt(au, m, pts);
    return ls_remux_video(r, &p);
}

static void test_aac(void)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, LS_HEVC_ENHANCED);
    static const uint8_t asc[] = {0x11, 0x90}; /* AAC-LC 48 kHz stereo */
    struct ls_stream_info v = {.codec = LS_CODEC_H264};
    struct ls_stream_info a = {.codec = LS_CODEC_AAC, .extradata = asc, .extradata_size = 2,
                               .sample_rate = 48000, .channels = 2};
    ls_remux_begin(r, &v, &a);
    static const uint8_t raw[] = {0x21, 0x10, 0x04};
    struct ls_packet ap = {.codec = LS_CODEC_AAC, .data = raw, .size = 3, .pts = 0, .dts = 0,
                           .tb_num = 1, .tb_den = 48000};
    CHECK_EQ_INT(ls_remux_audio(r, &ap), 0);
    CHECK_EQ_INT(c.n, 0); /* before the first keyframe */
    CHECK_EQ_INT(feed_idr(r, 0), 0);
    CHECK_EQ_INT(c.n, 4); /* metadata, avc seq, aac seq, keyframe */
    if (c.n == 4) {
        static const uint8_t aseq[] = {0xaf, 0x00, 0x11, 0x90};
        CHECK_EQ_INT(c.items[2]->kind, LS_ITEM_AUDIO_SEQ);
        CHECK_EQ_MEM(c.items[2]->body, aseq, 4);
    }
    /* An ADTS frame: the 7-byte header is stripped. */
    static const uint8_t adts[] = {0xff, 0xf1, 0x4c, 0x80, 0x01, 0x5f, 0xfc, 0x21, 0x10, 0x04};
    ap = (struct ls_packet){.codec = LS_CODEC_AAC, .data = adts, .size = sizeof(adts),
                            .pts = 1024, .dts = 1024, .tb_num = 1, .tb_den = 48000};
    CHECK_EQ_INT(ls_remux_audio(r, &ap), 0);
    CHECK_EQ_INT(c.n, 5);
    if (c.n == 5) {
        static const uint8_t body[] = {0xaf, 0x01, 0x21, 0x10, 0x04};
        CHECK_EQ_INT(c.items[4]->size, sizeof(body));
        CHECK_EQ_MEM(c.items[4]->body, body, sizeof(body));
        CHECK_EQ_INT(c.items[4]->dts_ms, 21);
    }
    capture_clear(&c);
    ls_remux_destroy(&r);
}

static void run_g711(enum ls_audio_policy policy, bool relayed)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, policy, LS_HEVC_ENHANCED);
    struct ls_stream_info v = {.codec = LS_CODEC_H264};
    struct ls_stream_info a = {.codec = LS_CODEC_PCMA, .sample_rate = 8000, .channels = 1};
    ls_remux_begin(r, &v, &a);
    CHECK_EQ_INT(feed_idr(r, 0), 0);
    CHECK_EQ_INT(c.n, 3); /* metadata, avc seq, keyframe: G.711 has no sequence header */
    uint8_t samples[160];
    memset(samples, 0xd5, sizeof(samples));
    struct ls_packet ap = {.codec = LS_CODEC_PCMA, .data = samples, .size = sizeof(samples),
                           .pts = 0, .dts = 0, .tb_num = 1, .tb_den = 8000};
    CHECK_EQ_INT(ls_remux_audio(r, &ap), 0);
    CHECK_EQ_INT(c.n, relayed ? 4 : 3);
    if (relayed && c.n == 4) {
        CHECK_EQ_INT(c.items[3]->body[0], 0x72);
        CHECK_EQ_INT(c.items[3]->size, 161);
    }
    CHECK_EQ_INT(ls_remux_get_info(r)->audio_dropped, !relayed);
    CHECK_EQ_INT(ls_remux_get_info(r)->audio_codec, LS_CODEC_PCMA);
    capture_clear(&c);
    ls_remux_destroy(&r);
}

static void test_g711_policy(void)
{
    run_g711(LS_AUDIO_PASS_ALL, true);
    run_g711(LS_AUDIO_AAC_ONLY, false);
    run_g711(LS_AUDIO_DROP, false);
}

static void test_reconnect_continues(void)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, LS_HEVC_ENHANCED);
    struct ls_stream_info v = {.codec = LS_CODEC_H264};
    ls_remux_begin(r, &v, NULL);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(feed_idr(r, 900000 + i * 3600), 0);
    int64_t last = c.items[c.n - 1]->dts_ms;
    CHECK_EQ_INT(last, 360);
    /* The camera comes back with a new origin far in the past. */
    ls_remux_begin(r, &v, NULL);
    CHECK_EQ_INT(feed_idr(r, 1234), 0);
    int64_t next = c.items[c.n - 1]->dts_ms;
    CHECK(next > last);
    CHECK(next <= last + 100);
    CHECK_EQ_INT(ls_remux_get_repairs(r).reconnect, 1);
    capture_clear(&c);
    ls_remux_destroy(&r);
}

/* An access unit with more NAL units than the remuxer remembers between its passes. */
static void test_many_nals(void)
{
    struct capture c = {0};
    struct ls_remux *r = make(&c, LS_AUDIO_PASS_ALL, LS_HEVC_ENHANCED);
    struct ls_stream_info v = {.codec = LS_CODEC_H264};
    ls_remux_begin(r, &v, NULL);
    static uint8_t au[4096];
    size_t m = put_nal(au, 0, h264_sps, sizeof(h264_sps));
    m = put_nal(au, m, h264_pps, sizeof(h264_pps));
    static const uint8_t slice[] = {0x65, 0x88, 0x80};
    for (int i = 0; i < 40; i++)
        m = put_nal(au, m, slice, sizeof(slice));
    struct ls_packet p = video_pkt(au, m, 0);
    CHECK_EQ_INT(ls_remux_video(r, &p), 0);
    CHECK_EQ_INT(c.n, 3);
    if (c.n == 3) {
        struct ls_item *k = c.items[2];
        CHECK_EQ_INT(k->size, 5 + 40 * (4 + sizeof(slice)));
        static const uint8_t last[] = {0, 0, 0, 3, 0x65, 0x88, 0x80};
        CHECK_EQ_MEM(k->body + k->size - sizeof(last), last, sizeof(last));
    }
    capture_clear(&c);
    ls_remux_destroy(&r);
}

int main(void)
{
    test_h264_sdp_params();
    test_h264_inband_params_and_change();
    test_hevc();
    test_aac();
    test_g711_policy();
    test_reconnect_continues();
    test_many_nals();
    return test_done("remux");
}
