/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 SPS parsing: SPSs written by x264 (Baseline, Main, High 1080p with
 * cropping, High 4:4:4), and SPSs crafted field by field for the syntax no
 * encoder at hand writes (scaling matrices, POC type 1, interlaced crop
 * units, 4:2:2, separate colour planes, monochrome, full VUI), plus
 * malformed and truncated input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec/h264.h"
#include "tests/unit/codec/nal_writer.h"
#include "tests/unit/test.h"



/* x264 (Debian 12), 640x360 and 1920x1080 at 25 fps, written by ffmpeg -c:v libx264. */
static const char SPS_BASELINE[] = "6742c01eda0280bfe5c044000003000400000300c83c58ba80";
static const char SPS_MAIN[] = "674d401eeca05017fcb808800000030080000019078b16cb";
static const char SPS_HIGH_1080[] = "67640028acd940780227e5c044000003000400000300c83c60c658";
static const char SPS_HIGH444[] = "67f4001e919b281405ff1380880000030008000003019078b16cb0";

static int parse_hex(const char *hex, struct ls_h264_sps *sps)
{
    uint8_t nal[256];
    size_t n = test_unhex(hex, nal, sizeof(nal));
    return ls_h264_parse_sps(nal, n, sps);
}

static void test_x264(void)
{
    struct ls_h264_sps s;
    CHECK_EQ_INT(parse_hex(SPS_BASELINE, &s), 0);
    CHECK_EQ_INT(s.profile_idc, 66);
    CHECK_EQ_INT(s.constraint_flags, 0xc0);
    CHECK_EQ_INT(s.level_idc, 30);
    CHECK_EQ_INT(s.sps_id, 0);
    CHECK_EQ_INT(s.chroma_format_idc, 1);
    CHECK_EQ_INT(s.bit_depth_luma, 8);
    CHECK_EQ_INT(s.bit_depth_chroma, 8);
    CHECK_EQ_INT(s.width, 640);
    CHECK_EQ_INT(s.height, 360);
    CHECK(test_near(s.fps, 25.0));

    CHECK_EQ_INT(parse_hex(SPS_MAIN, &s), 0);
    CHECK_EQ_INT(s.profile_idc, 77);
    CHECK_EQ_INT(s.constraint_flags, 0x40);
    CHECK_EQ_INT(s.width, 640);
    CHECK_EQ_INT(s.height, 360);
    CHECK(test_near(s.fps, 25.0));

    CHECK_EQ_INT(parse_hex(SPS_HIGH_1080, &s), 0);
    CHECK_EQ_INT(s.profile_idc, 100);
    CHECK_EQ_INT(s.level_idc, 40);
    CHECK_EQ_INT(s.chroma_format_idc, 1);
    CHECK_EQ_INT(s.width, 1920);
    CHECK_EQ_INT(s.height, 1080); /* 68 macroblock rows, 8 cropped */
    CHECK(test_near(s.fps, 25.0));

    CHECK_EQ_INT(parse_hex(SPS_HIGH444, &s), 0);
    CHECK_EQ_INT(s.profile_idc, 244);
    CHECK_EQ_INT(s.chroma_format_idc, 3);
    CHECK_EQ_INT(s.width, 640);
    CHECK_EQ_INT(s.height, 360); /* 4:4:4 crops in 1-pixel units */
}

/* Everything a crafted SPS can vary; zero means "absent" for the optional parts. */
struct sps_params {
    unsigned profile, level, sps_id;
    unsigned chroma, separate_planes, depth_luma_minus8, depth_chroma_minus8;
    bool scaling;
    unsigned poc_type;
    unsigned width_mbs, height_units;
    bool frame_mbs_only;
    unsigned crop[4]; /* left, right, top, bottom */
    bool vui, vui_all;
    uint32_t units, scale;
};

static const struct sps_params HIGH_DEFAULTS = {
    .profile = 100, .level = 40, .chroma = 1, .poc_type = 0,
    .width_mbs = 120, .height_units = 68, .frame_mbs_only = true,
};

/* A 16-entry list that ends early (delta makes nextScale 0) and a full 64-entry one. */
static void write_scaling_lists(struct nal_writer *w, unsigned lists)
{
    for (unsigned i = 0; i < lists; i++) {
        nw_u(w, i % 3 != 2, 1); /* seq_scaling_list_present_flag */
        if (i % 3 == 2)
            continue;
        if (i < 6) {
            nw_se(w, 5);  /* 13 */
            nw_se(w, -13); /* 0: the rest repeat the last value, no more deltas */
        } else {
            for (int j = 0; j < 64; j++)
                nw_se(w, j % 2 ? -7 : 9);
        }
    }
}

static void write_vui(struct nal_writer *w, const struct sps_params *p)
{
    nw_u(w, p->vui_all, 1);               /* aspect_ratio_info_present_flag */
    if (p->vui_all) {
        nw_u(w, 255, 8);                  /* Extended_SAR */
        nw_u(w, 4, 16);
        nw_u(w, 3, 16);
    }
    nw_u(w, p->vui_all, 1);               /* overscan_info_present_flag */
    if (p->vui_all)
        nw_u(w, 1, 1);
    nw_u(w, p->vui_all, 1);               /* video_signal_type_present_flag */
    if (p->vui_all) {
        nw_u(w, 5, 3);
        nw_u(w, 0, 1);
        nw_u(w, 1, 1);                    /* colour_description_present_flag */
        nw_u(w, 0x010101, 24);
    }
    nw_u(w, p->vui_all, 1);               /* chroma_loc_info_present_flag */
    if (p->vui_all) {
        nw_ue(w, 1);
        nw_ue(w, 2);
    }
    nw_u(w, p->units != 0, 1);            /* timing_info_present_flag */
    if (p->units) {
        nw_u(w, p->units, 32);
        nw_u(w, p->scale, 32);
        nw_u(w, 1, 1);
    }
    nw_u(w, 0, 1);                        /* nal_hrd_parameters_present_flag */
    nw_u(w, 0, 1);                        /* vcl_hrd_parameters_present_flag */
    nw_u(w, 0, 1);                        /* pic_struct_present_flag */
    nw_u(w, 0, 1);                        /* bitstream_restriction_flag */
}

static const uint8_t *write_sps(struct nal_writer *w, const struct sps_params *p, size_t *size)
{
    nw_init(w);
    nw_u(w, p->profile, 8);
    nw_u(w, 0, 8);
    nw_u(w, p->level, 8);
    nw_ue(w, p->sps_id);
    if (p->profile == 100 || p->profile == 110 || p->profile == 122 || p->profile == 244) {
        nw_ue(w, p->chroma);
        if (p->chroma == 3)
            nw_u(w, p->separate_planes, 1);
        nw_ue(w, p->depth_luma_minus8);
        nw_ue(w, p->depth_chroma_minus8);
        nw_u(w, 0, 1);                    /* qpprime_y_zero_transform_bypass_flag */
        nw_u(w, p->scaling, 1);
        if (p->scaling)
            write_scaling_lists(w, p->chroma == 3 ? 12 : 8);
    }
    nw_ue(w, 2);                          /* log2_max_frame_num_minus4 */
    nw_ue(w, p->poc_type);
    if (p->poc_type == 0) {
        nw_ue(w, 4);
    } else if (p->poc_type == 1) {
        nw_u(w, 0, 1);
        nw_se(w, -3);
        nw_se(w, 7);
        nw_ue(w, 3);
        nw_se(w, 1);
        nw_se(w, -1);
        nw_se(w, 100);
    }
    nw_ue(w, 4);                          /* max_num_ref_frames */
    nw_u(w, 0, 1);
    nw_ue(w, p->width_mbs - 1);
    nw_ue(w, p->height_units - 1);
    nw_u(w, p->frame_mbs_only, 1);
    if (!p->frame_mbs_only)
        nw_u(w, 1, 1);                    /* mb_adaptive_frame_field_flag */
    nw_u(w, 1, 1);                        /* direct_8x8_inference_flag */
    bool crop = p->crop[0] || p->crop[1] || p->crop[2] || p->crop[3];
    nw_u(w, crop, 1);
    for (int i = 0; crop && i < 4; i++)
        nw_ue(w, p->crop[i]);
    nw_u(w, p->vui, 1);
    if (p->vui)
        write_vui(w, p);
    return nw_finish(w, (const uint8_t[]){ 0x67 }, 1, size);
}

static int parse_params(const struct sps_params *p, struct ls_h264_sps *s)
{
    struct nal_writer *w = malloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    size_t size;
    const uint8_t *nal = write_sps(w, p, &size);
    int ret = ls_h264_parse_sps(nal, size, s);
    free(w);
    return ret;
}

static void test_crafted_high(void)
{
    struct ls_h264_sps s;
    /* 1080i: field macroblock pairs, map units of 32 rows, crop units of 4 rows. */
    struct sps_params p = HIGH_DEFAULTS;
    p.scaling = true;
    p.poc_type = 1;
    p.frame_mbs_only = false;
    p.height_units = 34;
    p.crop[3] = 2;
    p.vui = true;
    p.units = 1001;
    p.scale = 60000;
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1920);
    CHECK_EQ_INT(s.height, 1080);
    CHECK(test_near(s.fps, 30000.0 / 1001.0));

    /* 4:4:4 has 12 scaling lists; 10-bit depths come back. */
    p = HIGH_DEFAULTS;
    p.profile = 244;
    p.chroma = 3;
    p.depth_luma_minus8 = 2;
    p.depth_chroma_minus8 = 4;
    p.scaling = true;
    p.crop[1] = 3;
    p.crop[3] = 8;
    p.vui = true;
    p.vui_all = true;
    p.units = 1;
    p.scale = 100;
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.chroma_format_idc, 3);
    CHECK_EQ_INT(s.bit_depth_luma, 10);
    CHECK_EQ_INT(s.bit_depth_chroma, 12);
    CHECK_EQ_INT(s.width, 1917);
    CHECK_EQ_INT(s.height, 1080);
    CHECK(test_near(s.fps, 50.0));
}

static void test_crop_units(void)
{
    struct ls_h264_sps s;
    struct sps_params p = HIGH_DEFAULTS;
    p.crop[0] = 1;
    p.crop[2] = 1;
    p.crop[3] = 3;

    p.profile = 122;
    p.chroma = 2; /* 4:2:2: 2 pixels across, 1 row down */
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1918);
    CHECK_EQ_INT(s.height, 1084);

    p.chroma = 0; /* monochrome: ChromaArrayType 0 crops single pixels */
    p.profile = 100;
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.chroma_format_idc, 0);
    CHECK_EQ_INT(s.width, 1919);
    CHECK_EQ_INT(s.height, 1084);

    p.profile = 244;
    p.chroma = 3;
    p.separate_planes = 1; /* coded as three monochrome planes */
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1919);
    CHECK_EQ_INT(s.height, 1084);

    p = HIGH_DEFAULTS;
    p.profile = 66; /* no chroma fields: 4:2:0 defaults */
    p.crop[1] = 4;
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    CHECK_EQ_INT(s.chroma_format_idc, 1);
    CHECK_EQ_INT(s.bit_depth_luma, 8);
    CHECK_EQ_INT(s.width, 1912);
    CHECK(test_near(s.fps, 0.0));
}

static void test_malformed_values(void)
{
    struct ls_h264_sps s;
    struct sps_params p = HIGH_DEFAULTS;
    CHECK_EQ_INT(parse_params(&p, &s), 0);

    p = HIGH_DEFAULTS; p.sps_id = 32;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.chroma = 4;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.depth_luma_minus8 = 7;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.poc_type = 3;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.width_mbs = 5000;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.crop[0] = 30; p.crop[1] = 30; /* 120 px of 1920 left... fine */
    CHECK_EQ_INT(parse_params(&p, &s), 0);
    p = HIGH_DEFAULTS; p.crop[0] = 480; p.crop[1] = 480; /* crops everything */
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);
    p = HIGH_DEFAULTS; p.crop[2] = 4000000;
    CHECK_EQ_INT(parse_params(&p, &s), -EBADMSG);

    /* Not an SPS: wrong type, forbidden bit, too short, NULL. */
    uint8_t nal[64];
    size_t n = test_unhex(SPS_BASELINE, nal, sizeof(nal));
    nal[0] = 0x68;
    CHECK_EQ_INT(ls_h264_parse_sps(nal, n, &s), -EBADMSG);
    nal[0] = 0xe7;
    CHECK_EQ_INT(ls_h264_parse_sps(nal, n, &s), -EBADMSG);
    nal[0] = 0x67;
    CHECK_EQ_INT(ls_h264_parse_sps(nal, 3, &s), -EBADMSG);
    CHECK_EQ_INT(ls_h264_parse_sps(NULL, 10, &s), -EBADMSG);
    CHECK_EQ_INT(ls_h264_parse_sps(nal, n, NULL), -EBADMSG);
}

/*
 * Cut short before the picture size is known, an SPS fails cleanly and leaves
 * *out alone. Cut inside the VUI, it parses without a frame rate: a broken
 * VUI must not cost the stream. Acceptance must be monotonic in the length.
 */
static void test_truncated(void)
{
    uint8_t nal[64];
    size_t n = test_unhex(SPS_HIGH_1080, nal, sizeof(nal));
    size_t first_ok = n + 1;
    bool monotonic = true;
    for (size_t len = 0; len <= n; len++) {
        struct ls_h264_sps s;
        memset(&s, 0xab, sizeof(s));
        int ret = ls_h264_parse_sps(nal, len, &s);
        if (ret == 0 && first_ok > n)
            first_ok = len;
        if (ret < 0) {
            monotonic &= first_ok > n;
            CHECK_EQ_INT(ret, -EBADMSG);
            CHECK_EQ_INT(s.width, 0xabababab);
        }
    }
    CHECK(monotonic);
    /* The VUI with its 64 bits of timing info takes the last bytes of this SPS. */
    CHECK(first_ok <= n - 8);
    struct ls_h264_sps s;
    CHECK_EQ_INT(ls_h264_parse_sps(nal, first_ok, &s), 0);
    CHECK_EQ_INT(s.width, 1920);
    CHECK_EQ_INT(s.height, 1080);
    CHECK(s.fps == 0);
    CHECK_EQ_INT(ls_h264_parse_sps(nal, n, &s), 0);
    CHECK(s.fps > 24.9 && s.fps < 25.1);
}

/* A NAL longer than the unescape buffer still parses when the fields fit. */
static void test_oversized(void)
{
    size_t big = 10000;
    uint8_t *nal = calloc(1, big);
    CHECK(nal != NULL);
    if (!nal)
        return;
    size_t n = test_unhex(SPS_HIGH_1080, nal, big);
    memset(nal + n, 0x55, big - n);
    struct ls_h264_sps s;
    CHECK_EQ_INT(ls_h264_parse_sps(nal, big, &s), 0);
    CHECK_EQ_INT(s.height, 1080);
    free(nal);
}

int main(void)
{
    test_x264();
    test_crafted_high();
    test_crop_units();
    test_malformed_values();
    test_truncated();
    test_oversized();
    return test_done("codec-h264");
}
