/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pure parts of MP4 recording: the retention policy (what is deleted,
 * in which order, never the segment in use), which names belong to a
 * recording, and FLV tag bodies read back as our FLV writer makes them.
 */
#include <errno.h>
#include <stdbool.h>

#include "lightstream/recording.h"
#include "lib/flv/flv.h"
#include "lib/output/mp4_tag.h"
#include "lib/output/retention_dir.h"
#include "tests/unit/test.h"

#define NOW 1796664901

static int plan(const struct ls_segment_entry *e, size_t n, uint32_t age, uint64_t bytes,
                bool *del)
{
    const struct ls_retention_policy p = {.max_age_s = age, .max_bytes = bytes};
    return ls_retention_plan(e, n, &p, NOW, del);
}

static void test_retention_age(void)
{
    const struct ls_segment_entry e[] = {
        {NOW - 500, 10, false}, {NOW - 301, 10, false}, {NOW - 300, 10, false},
        {NOW - 10, 10, false},
    };
    bool del[4];
    CHECK_EQ_INT(plan(e, 4, 300, 0, del), 2);
    CHECK(del[0] && del[1] && !del[2] && !del[3]); /* older than 300 s only, not equal */
    CHECK_EQ_INT(plan(e, 4, 0, 0, del), 0);        /* no limits: nothing */
    CHECK(!del[0] && !del[1] && !del[2] && !del[3]);
}

static void test_retention_bytes(void)
{
    const struct ls_segment_entry e[] = {
        {NOW - 40, 100, false}, {NOW - 30, 100, false}, {NOW - 20, 100, false},
        {NOW - 10, 100, true},
    };
    bool del[4];
    /* 400 bytes, budget 250: the two oldest go (300 would be over by 50 after one). */
    CHECK_EQ_INT(plan(e, 4, 0, 250, del), 2);
    CHECK(del[0] && del[1] && !del[2] && !del[3]);
    CHECK_EQ_INT(plan(e, 4, 0, 400, del), 0); /* exactly at the budget: kept */
    /* A budget below the segment in use: everything else goes, never the one in use. */
    CHECK_EQ_INT(plan(e, 4, 0, 1, del), 3);
    CHECK(del[0] && del[1] && del[2] && !del[3]);
}

static void test_retention_in_use_and_both(void)
{
    const struct ls_segment_entry e[] = {
        {NOW - 1000, 100, true}, {NOW - 900, 100, false}, {NOW - 50, 300, false},
        {NOW - 10, 100, false},
    };
    bool del[4];
    /* Age removes [1] (not [0]: in use); then 500 left over a 450 budget: the oldest
     * deletable one, [2], goes. */
    CHECK_EQ_INT(plan(e, 4, 600, 450, del), 2);
    CHECK(!del[0] && del[1] && del[2] && !del[3]);
    CHECK_EQ_INT(plan(NULL, 0, 1, 1, NULL), 0);
    CHECK_EQ_INT(plan(NULL, 1, 1, 1, del), -EINVAL);
}

static void test_names_of_a_recording(void)
{
    CHECK(ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z.mp4"));
    CHECK(ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z-2.mp4"));
    CHECK(ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z-99.mp4"));
    CHECK(ls_retention_name_matches("cam1", "cam1-20261207T173501Z"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1.mp4"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam10-20261207T173501Z.mp4"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z.flv"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z-0.mp4"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z-100.mp4"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1-2026120XT173501Z.mp4"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "cam1-20261207T173501Z.mp4.tmp"));
    CHECK(!ls_retention_name_matches("cam1.mp4", "notes.txt"));
}

static void test_video_tags(void)
{
    uint8_t body[32];
    struct ls_mp4_tag t;
    /* Enhanced RTMP, H.265: sequence start, CodedFrames with a composition time. */
    size_t n = ls_flv_video_seq_prefix(body, LS_FLV_HEVC_ENHANCED);
    body[n] = 1;
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, n + 1, &t), 0);
    CHECK(t.type == LS_MP4_TAG_VIDEO_CONFIG && t.codec == LS_CODEC_H265);
    CHECK(t.data == body + n && t.size == 1);
    n = ls_flv_video_frame_prefix(body, LS_FLV_HEVC_ENHANCED, true, -80);
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, n + 3, &t), 0);
    CHECK(t.type == LS_MP4_TAG_VIDEO_FRAME && t.keyframe && t.cts_ms == -80 && t.size == 3);
    n = ls_flv_video_frame_prefix(body, LS_FLV_HEVC_ENHANCED, false, 0); /* CodedFramesX */
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, n + 2, &t), 0);
    CHECK(t.type == LS_MP4_TAG_VIDEO_FRAME && !t.keyframe && t.cts_ms == 0 && t.size == 2);
    /* Legacy AVC and codec 12. */
    n = ls_flv_video_frame_prefix(body, LS_FLV_AVC, false, 120);
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, n + 4, &t), 0);
    CHECK(t.codec == LS_CODEC_H264 && !t.keyframe && t.cts_ms == 120 && t.size == 4);
    n = ls_flv_video_seq_prefix(body, LS_FLV_HEVC_CODEC12);
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, n + 5, &t), 0);
    CHECK(t.type == LS_MP4_TAG_VIDEO_CONFIG && t.codec == LS_CODEC_H265);
    /* Truncated, unknown codec, script data. */
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, 3, &t), -EBADMSG);
    body[0] = 0x12; /* Sorenson H.263 */
    CHECK_EQ_INT(ls_mp4_tag_parse(9, body, 8, &t), -ENOTSUP);
    CHECK_EQ_INT(ls_mp4_tag_parse(18, body, 8, &t), 0);
    CHECK(t.type == LS_MP4_TAG_OTHER);
}

static void test_audio_tags(void)
{
    uint8_t body[8] = {0};
    struct ls_mp4_tag t;
    size_t n = ls_flv_audio_prefix(body, LS_FLV_AAC, true, 2);
    body[n] = 0x11; /* AAC LC, 48 kHz, 2 channels: 00010 0011 0010 */
    body[n + 1] = 0x90;
    CHECK_EQ_INT(ls_mp4_tag_parse(8, body, n + 2, &t), 0);
    CHECK(t.type == LS_MP4_TAG_AUDIO_CONFIG && t.codec == LS_CODEC_AAC && t.size == 2);
    uint32_t rate = 0, ch = 0;
    CHECK_EQ_INT(ls_mp4_aac_format(t.data, t.size, &rate, &ch), 0);
    CHECK_EQ_INT(rate, 48000);
    CHECK_EQ_INT(ch, 2);
    n = ls_flv_audio_prefix(body, LS_FLV_PCMU, false, 2);
    CHECK_EQ_INT(ls_mp4_tag_parse(8, body, n + 4, &t), 0);
    CHECK(t.type == LS_MP4_TAG_AUDIO_FRAME && t.codec == LS_CODEC_PCMU && t.channels == 2);
    const uint8_t bad_rate[2] = {0x16, 0x90}; /* frequency index 13: reserved */
    CHECK_EQ_INT(ls_mp4_aac_format(bad_rate, 2, &rate, &ch), -EBADMSG);
    /* Explicit 24-bit rate (index 15): 16000 Hz, mono. */
    const uint8_t explicit_rate[5] = {0x17, 0x80, 0x1f, 0x40, 0x08};
    CHECK_EQ_INT(ls_mp4_aac_format(explicit_rate, 5, &rate, &ch), 0);
    CHECK_EQ_INT(rate, 16000);
    CHECK_EQ_INT(ch, 1);
}

static void test_bad_records(void)
{
    const uint8_t short_rec[4] = {1, 0x64, 0, 0x1f};
    uint32_t w, h;
    CHECK_EQ_INT(ls_mp4_video_size(LS_CODEC_H264, short_rec, sizeof(short_rec), &w, &h), -EBADMSG);
    CHECK_EQ_INT(ls_mp4_video_size(LS_CODEC_H265, short_rec, sizeof(short_rec), &w, &h), -EBADMSG);
}

int main(void)
{
    test_retention_age();
    test_retention_bytes();
    test_retention_in_use_and_both();
    test_names_of_a_recording();
    test_video_tags();
    test_audio_tags();
    test_bad_records();
    return test_done("test_mp4");
}
