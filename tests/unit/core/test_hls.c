/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The live HLS packager (lightstream/hls.h) fed FLV tags as a subscription
 * hands them over: nothing before a keyframe, one segment per GOP finished
 * at the next keyframe, the ring keeps the last N (older numbers answer
 * -ENOENT), EXT-X-TARGETDURATION only grows, a relay restart (a new file
 * header) is a new epoch with a new init segment and the numbers going on,
 * G.711 is counted and dropped, the bytes are ftyp/moov then moof/mdat.
 * ffprobe/ffmpeg read the real output in tests/daemon (hls_live_cases.py).
 */
#include <errno.h>
#include <stdbool.h>

#include "lightstream/hls.h"
#include "lib/codec/avcc.h"
#include "lib/flv/flv.h"
#include "tests/unit/test.h"

static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00,
                              0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8};
static const uint8_t pps[] = {0x68, 0xce, 0x0f, 0xc8};

static struct ls_sub_tag tag(uint8_t type, unsigned flags, uint32_t ts, const uint8_t *body,
                             size_t size)
{
    struct ls_sub_tag t = {.flags = flags, .ts_ms = ts, .head_size = 11, .body = body,
                           .body_size = (uint32_t)size};
    t.head[0] = type;
    return t;
}

static int push_file_header(struct ls_hls *h)
{
    struct ls_sub_tag t = {.flags = LS_TAG_FILE_HEADER, .head_size = 13};
    return ls_hls_push(h, &t);
}

static int push_config(struct ls_hls *h)
{
    uint8_t body[128];
    size_t n = ls_flv_video_seq_prefix(body, LS_FLV_AVC);
    struct ls_nal s = {sps, sizeof(sps)}, p = {pps, sizeof(pps)};
    int rec = ls_avcc_build(body + n, sizeof(body) - n, &s, 1, &p, 1);
    CHECK(rec > 0);
    struct ls_sub_tag t = tag(9, LS_TAG_VIDEO | LS_TAG_SEQUENCE_HEADER, 0, body, n + (size_t)rec);
    return ls_hls_push(h, &t);
}

static int push_frame(struct ls_hls *h, uint32_t ts, bool key)
{
    uint8_t body[64] = {0};
    size_t n = ls_flv_video_frame_prefix(body, LS_FLV_AVC, key, 0);
    const uint8_t nal[] = {0, 0, 0, 4, key ? 0x65 : 0x41, 0x88, 0x84, 0x21};
    memcpy(body + n, nal, sizeof(nal));
    struct ls_sub_tag t = tag(9, LS_TAG_VIDEO | (key ? LS_TAG_KEYFRAME : 0), ts, body,
                              n + sizeof(nal));
    return ls_hls_push(h, &t);
}

/* A GOP of @p ms at 25 fps from @p start; @return segments finished meanwhile. */
static int push_gop(struct ls_hls *h, uint32_t start, uint32_t ms)
{
    int made = 0;
    for (uint32_t t = 0; t < ms; t += 40) {
        int ret = push_frame(h, start + t, t == 0);
        CHECK(ret >= 0);
        made += ret == 1;
    }
    return made;
}

static bool box_is(const uint8_t *data, size_t size, const char *type)
{
    return size >= 8 && memcmp(data + 4, type, 4) == 0;
}

static void test_nothing_before_a_keyframe(void)
{
    struct ls_hls *h;
    CHECK_EQ_INT(ls_hls_create(&h, NULL), 0);
    const uint8_t *d;
    size_t n;
    char buf[64];
    CHECK_EQ_INT(push_file_header(h), 0);
    CHECK_EQ_INT(push_config(h), 0);
    CHECK_EQ_INT(push_frame(h, 0, false), 0);
    CHECK_EQ_INT(ls_hls_init_segment(h, &d, &n), -EAGAIN);
    CHECK_EQ_INT(ls_hls_playlist(h, NULL, buf, sizeof(buf)), -EAGAIN);
    CHECK_EQ_INT(push_gop(h, 40, 1000), 0);
    CHECK_EQ_INT(ls_hls_init_segment(h, &d, &n), 0);
    CHECK(box_is(d, n, "ftyp"));
    CHECK_EQ_INT(ls_hls_playlist(h, NULL, buf, sizeof(buf)), -EAGAIN); /* not finished yet */
    CHECK_EQ_INT(push_frame(h, 1040, true), 1);
    CHECK_EQ_INT(ls_hls_segment(h, 0, &d, &n), 0);
    CHECK(box_is(d, n, "moof"));
    ls_hls_destroy(&h);
    CHECK(h == NULL);
    ls_hls_destroy(&h);
}

static void test_ring_and_playlist(void)
{
    struct ls_hls_settings s;
    ls_hls_default_settings(&s);
    CHECK_EQ_INT(s.segments, 6);
    s.segments = 1;
    struct ls_hls *h;
    CHECK_EQ_INT(ls_hls_create(&h, &s), -EINVAL);
    s.segments = 3;
    CHECK_EQ_INT(ls_hls_create(&h, &s), 0);
    push_file_header(h);
    push_config(h);
    int made = 0;
    uint32_t start = 0;
    for (uint32_t g = 0; g < 9; g++) {
        uint32_t ms = g == 4 ? 2600 : 1000; /* GOP 4 is 2.6 s */
        made += push_gop(h, start, ms);
        start += ms;
    }
    CHECK_EQ_INT(made, 8);
    CHECK_EQ_INT(push_frame(h, 10600, true), 1); /* finishes GOP 8 */
    struct ls_hls_info info;
    CHECK_EQ_INT(ls_hls_get_info(h, &info), 0);
    CHECK_EQ_INT(info.segments, 3);
    CHECK_EQ_INT(info.first_seq, 6);
    CHECK_EQ_INT(info.segments_made, 9);
    CHECK_EQ_INT(info.target_duration_s, 3); /* the 2.6 s GOP, gone from the ring, still counts */
    const uint8_t *d;
    size_t n;
    CHECK_EQ_INT(ls_hls_segment(h, 5, &d, &n), -ENOENT);
    CHECK_EQ_INT(ls_hls_segment(h, 8, &d, &n), 0);
    CHECK_EQ_INT(ls_hls_segment(h, 9, &d, &n), -ENOENT); /* being built */
    char buf[1024];
    long len = ls_hls_playlist(h, "?token=t", buf, sizeof(buf));
    CHECK(len > 0 && (size_t)len < sizeof(buf));
    CHECK_EQ_STR(buf, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n"
                      "#EXT-X-MEDIA-SEQUENCE:6\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n"
                      "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init0.mp4?token=t\"\n"
                      "#EXTINF:1.000,\n6.m4s?token=t\n#EXTINF:1.000,\n7.m4s?token=t\n"
                      "#EXTINF:1.000,\n8.m4s?token=t\n");
    char small[16];
    CHECK_EQ_INT(ls_hls_playlist(h, "?token=t", small, sizeof(small)), len); /* like snprintf */
    CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
    ls_hls_destroy(&h);
}

static void test_restart_is_a_new_epoch(void)
{
    struct ls_hls *h;
    CHECK_EQ_INT(ls_hls_create(&h, NULL), 0);
    push_file_header(h);
    push_config(h);
    push_gop(h, 0, 1000);
    push_gop(h, 1000, 1000);
    CHECK_EQ_INT(push_frame(h, 2000, true), 1);
    /* The relay restarts: a new file header, a new timeline from 0. */
    CHECK_EQ_INT(push_file_header(h), 0);
    struct ls_hls_info info;
    ls_hls_get_info(h, &info);
    CHECK_EQ_INT(info.segments, 0);
    push_config(h);
    CHECK_EQ_INT(push_gop(h, 0, 1000), 0);
    CHECK_EQ_INT(push_frame(h, 1000, true), 1);
    ls_hls_get_info(h, &info);
    CHECK_EQ_INT(info.discontinuity_seq, 1);
    CHECK_EQ_INT(info.first_seq, 2); /* the numbers go on */
    char buf[512];
    CHECK(ls_hls_playlist(h, NULL, buf, sizeof(buf)) > 0);
    CHECK(strstr(buf, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
    CHECK(strstr(buf, "init1.mp4") != NULL);
    /* G.711 has no place in HLS: counted, dropped. */
    uint8_t body[8] = {0};
    size_t n = ls_flv_audio_prefix(body, LS_FLV_PCMA, false, 1);
    struct ls_sub_tag t = tag(8, LS_TAG_AUDIO, 1010, body, n + 4);
    CHECK_EQ_INT(ls_hls_push(h, &t), 0);
    ls_hls_get_info(h, &info);
    CHECK_EQ_INT(info.audio_dropped, 1);
    /* Garbage is skipped, never a crash. */
    const uint8_t junk[3] = {0x17, 0x01, 0x00};
    t = tag(9, LS_TAG_VIDEO, 1020, junk, sizeof(junk));
    CHECK_EQ_INT(ls_hls_push(h, &t), 0);
    CHECK_EQ_INT(ls_hls_push(h, NULL), -EINVAL);
    ls_hls_destroy(&h);
}

int main(void)
{
    test_nothing_before_a_keyframe();
    test_ring_and_playlist();
    test_restart_is_a_new_epoch();
    return test_done("test_hls");
}
