/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTP depacketisers (lib/codec/rtp_depack.c, rtp_nal.c, rtp_aac.c):
 * each payload format rebuilt byte for byte as Annex B or AUs, a frame handed
 * on at its marker bit, the timestamp-change fallback, gaps dropping the
 * damaged frame, and timestamps unwrapped from a base.
 */
#include <errno.h>

#include "lib/codec/rtp_depack.h"
#include "tests/unit/test.h"

/** An RTP packet with @p payload in @p out. @return its size. */
static size_t rtp(uint8_t *out, bool marker, uint16_t seq, uint32_t ts, const uint8_t *payload,
                  size_t n)
{
    uint8_t hdr[12] = {0x80, (uint8_t)((marker ? 0x80 : 0) | 96), (uint8_t)(seq >> 8),
                       (uint8_t)seq, (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
                       (uint8_t)(ts >> 8), (uint8_t)ts, 1, 2, 3, 4};
    memcpy(out, hdr, 12);
    memcpy(out + 12, payload, n);
    return 12 + n;
}

static struct ls_depack video(enum ls_codec codec)
{
    struct ls_depack d;
    struct ls_depack_settings s = {.codec = codec};
    CHECK_EQ_INT(ls_depack_init(&d, &s), 0);
    return d;
}

static void test_h264_single_and_marker(void)
{
    struct ls_depack d = video(LS_CODEC_H264);
    uint8_t pkt[64];
    const uint8_t sps[] = {0x67, 0x42, 0x00, 0x1f}, idr[] = {0x65, 0x88, 0x84};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 1, 9000, sps, sizeof(sps))), 0);
    /* The marker bit ends the frame at once: no wait for the next one. */
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 2, 9000, idr, sizeof(idr))), 1);
    const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0, 0, 0, 1, 0x65, 0x88, 0x84};
    CHECK_EQ_INT(d.out[0].size, sizeof(want));
    CHECK_EQ_MEM(d.out[0].data, want, sizeof(want));
    CHECK_EQ_INT(d.out[0].pts, 0);
    CHECK_EQ_INT(d.stats.no_marker, 0);
    ls_depack_finish(&d);
}

static void test_h264_stap_fu(void)
{
    struct ls_depack d = video(LS_CODEC_H264);
    uint8_t pkt[64];
    const uint8_t stap[] = {0x78, 0, 2, 0x67, 0x42, 0, 1, 0x68};
    const uint8_t fu1[] = {0x7c, 0x85, 0xaa}, fu2[] = {0x7c, 0x05, 0xbb}, fu3[] = {0x7c, 0x45, 0xcc};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 10, 100, stap, sizeof(stap))), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 11, 100, fu1, sizeof(fu1))), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 12, 100, fu2, sizeof(fu2))), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 13, 100, fu3, sizeof(fu3))), 1);
    const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68,
                            0, 0, 0, 1, 0x65, 0xaa, 0xbb, 0xcc};
    CHECK_EQ_INT(d.out[0].size, sizeof(want));
    CHECK_EQ_MEM(d.out[0].data, want, sizeof(want));
    /* Frames that end at their marker bit reuse one buffer (memory: one keyframe's worth). */
    const uint8_t p_slice[] = {0x41, 0x9a};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 14, 200, p_slice, 2)), 1);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 15, 300, p_slice, 2)), 1);
    CHECK_EQ_INT(d.out[0].size, 6);
    CHECK(d.buf[1].data == NULL);
    ls_depack_finish(&d);
}

static void test_h265_ap_fu(void)
{
    struct ls_depack d = video(LS_CODEC_H265);
    uint8_t pkt[64];
    /* AP (type 48) with a VPS (32) and an SPS (33); then an IDR_W_RADL (19) in an FU. */
    const uint8_t ap[] = {0x60, 0x01, 0, 3, 0x40, 0x01, 0xaa, 0, 3, 0x42, 0x01, 0xbb};
    const uint8_t fu1[] = {0x62, 0x01, 0x80 | 19, 0x11}, fu2[] = {0x62, 0x01, 0x40 | 19, 0x22};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 1, 0, ap, sizeof(ap))), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 2, 0, fu1, sizeof(fu1))), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 3, 0, fu2, sizeof(fu2))), 1);
    const uint8_t want[] = {0, 0, 0, 1, 0x40, 0x01, 0xaa, 0, 0, 0, 1, 0x42, 0x01, 0xbb,
                            0, 0, 0, 1, 0x26, 0x01, 0x11, 0x22};
    CHECK_EQ_INT(d.out[0].size, sizeof(want));
    CHECK_EQ_MEM(d.out[0].data, want, sizeof(want));
    ls_depack_finish(&d);
}

static void test_no_marker_fallback_and_unwrap(void)
{
    struct ls_depack d = video(LS_CODEC_H264);
    ls_depack_set_base(&d, 0xffffff00u);
    uint8_t pkt[64];
    const uint8_t a[] = {0x41, 1}, b[] = {0x41, 2};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 5, 0xffffff10u, a, 2)), 0);
    /* A new timestamp (wrapped past 2^32) ends the frame a camera never marked. */
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 6, 0x10, b, 2)), 1);
    CHECK_EQ_INT(d.out[0].pts, 0x10);
    CHECK_EQ_INT(d.out[0].data[5], 1);
    CHECK_EQ_INT(d.stats.no_marker, 1);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 7, 0x10, b, 2)), 1);
    CHECK_EQ_INT(d.out[0].pts, 0x110);
    CHECK_EQ_INT(d.out[0].size, 12);
    ls_depack_finish(&d);
}

static void test_gap_drops_damaged_frame(void)
{
    struct ls_depack d = video(LS_CODEC_H264);
    uint8_t pkt[64];
    const uint8_t fu1[] = {0x7c, 0x85, 1}, fu3[] = {0x7c, 0x45, 3}, one[] = {0x41, 9};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 100, 0, fu1, 3)), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 102, 0, fu3, 3)), 0); /* 101 lost */
    CHECK_EQ_INT(d.stats.gaps, 1);
    CHECK_EQ_INT(d.stats.dropped, 1);
    CHECK_EQ_INT(d.stats.ext_max_seq, 102);
    CHECK_EQ_INT(d.stats.ssrc, 0x01020304);
    /* A late or repeated packet is ignored; the next whole frame comes out. */
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 101, 0, fu3, 3)), 0);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 103, 3000, one, 2)), 1);
    /* An FU continuation without its start is malformed: its frame is dropped. */
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 104, 6000, fu3, 3)), 0);
    CHECK_EQ_INT(d.stats.dropped, 2);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, 3), -EBADMSG);
    ls_depack_finish(&d);
}

static void test_sequence_wrap(void)
{
    struct ls_depack d = video(LS_CODEC_H264);
    uint8_t pkt[64];
    const uint8_t one[] = {0x41, 9};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 0xfffe, 0, one, 2)), 1);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 0xffff, 10, one, 2)), 1);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 0, 20, one, 2)), 1);
    CHECK_EQ_INT(d.stats.ext_max_seq, 0x10000);
    CHECK_EQ_INT(d.stats.gaps, 0);
    ls_depack_finish(&d);
}

static void test_aac_au_headers(void)
{
    struct ls_depack d;
    struct ls_depack_settings s = {.codec = LS_CODEC_AAC, .size_length = 13, .index_length = 3,
                                   .index_delta_length = 3};
    CHECK_EQ_INT(ls_depack_init(&d, &s), 0);
    ls_depack_set_base(&d, 1000);
    uint8_t pkt[64];
    /* Two AU headers (32 bits): sizes 3 and 2 (<< 3 for the index bits). */
    const uint8_t p[] = {0, 32, 0, 3 << 3, 0, 2 << 3, 0xa1, 0xa2, 0xa3, 0xb1, 0xb2};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 1, 3048, p, sizeof(p))), 2);
    CHECK_EQ_INT(d.out[0].size, 3);
    CHECK_EQ_INT(d.out[0].data[0], 0xa1);
    CHECK_EQ_INT(d.out[0].pts, 2048);
    CHECK_EQ_INT(d.out[1].size, 2);
    CHECK_EQ_INT(d.out[1].data[1], 0xb2);
    CHECK_EQ_INT(d.out[1].pts, 3072);
    /* An AU larger than the payload is dropped, not read past the end. */
    const uint8_t bad[] = {0, 16, 0, 9 << 3, 0xa1};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, true, 2, 5096, bad, sizeof(bad))), 0);
    CHECK_EQ_INT(d.stats.dropped, 1);
    ls_depack_finish(&d);
}

static void test_g711(void)
{
    struct ls_depack d;
    struct ls_depack_settings s = {.codec = LS_CODEC_PCMA};
    CHECK_EQ_INT(ls_depack_init(&d, &s), 0);
    uint8_t pkt[64];
    const uint8_t p[] = {0xd5, 0xd5, 0x55, 0x54};
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 1, 160, p, 4)), 1);
    CHECK_EQ_INT(ls_depack_push(&d, pkt, rtp(pkt, false, 2, 320, p, 4)), 1);
    CHECK_EQ_INT(d.out[0].size, 4);
    CHECK_EQ_INT(d.out[0].pts, 160);
    s.codec = LS_CODEC_OTHER;
    CHECK_EQ_INT(ls_depack_init(&d, &s), -ENOTSUP);
    ls_depack_finish(&d);
}

static void test_rtp_header(void)
{
    /* CSRC count 1, an extension of one word, 2 bytes of padding. */
    const uint8_t p[] = {0xb1, 0xe0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1, 0xcc, 0xcc, 0xcc, 0xcc,
                         0xbe, 0xde, 0, 1, 0xee, 0xee, 0xee, 0xee, 0x41, 0x77, 0, 2};
    struct ls_rtp_header h;
    CHECK_EQ_INT(ls_rtp_parse(p, sizeof(p), &h), 0);
    CHECK(h.marker);
    CHECK_EQ_INT(h.payload_type, 96);
    CHECK_EQ_INT(h.seq, 7);
    CHECK_EQ_INT(h.timestamp, 9);
    CHECK_EQ_INT(h.payload_size, 2);
    CHECK_EQ_INT(h.payload[0], 0x41);
    CHECK_EQ_INT(ls_rtp_parse(p, 20, &h), -EBADMSG);
}

int main(void)
{
    test_h264_single_and_marker();
    test_h264_stap_fu();
    test_h265_ap_fu();
    test_no_marker_fallback_and_unwrap();
    test_gap_drops_damaged_frame();
    test_sequence_wrap();
    test_aac_au_headers();
    test_g711();
    test_rtp_header();
    return test_done("rtp_depack");
}
