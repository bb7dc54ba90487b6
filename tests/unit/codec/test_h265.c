/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 VPS/SPS/PPS parsing: parameter sets written by x265 (640x360,
 * 1280x720, Main 10, two temporal sub-layers, HRD), crafted ones that take
 * every branch on the way to the VUI (reference picture set prediction,
 * long-term pictures, scaling lists, PCM, HRD forms, conformance windows,
 * bitstream_restriction), and malformed or truncated ones.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec/h265.h"
#include "tests/unit/codec/h265_writer.h"
#include "tests/unit/test.h"



/* x265 3.5 (Debian 12) via ffmpeg -c:v libx265 -preset ultrafast, 25 fps. */
static const char VPS_360[] = "40010c01ffff01600000030090000003000003003f959409";
static const char SPS_360[] =
    "42010101600000030090000003000003003fa005020171f2e595952930bc05a02000000300200000030321";
static const char PPS_360[] = "4401c073c189";
static const char SPS_720[] =
    "42010101600000030090000003000003005da00280802d16595952930bc05a020000030002000003003210";
static const char SPS_MAIN10[] =
    "42010102200000030090000003000003003fa005020171f2b6595952930bc05a020000030002000003003210";
static const char VPS_TEMPORAL[] = "40010c02ffff01600000030090000003000003003f00009594aca048";
static const char SPS_TEMPORAL[] =
    "42010201600000030090000003000003003f0000a005020171f2e59594aca94985e02d010000030001000003"
    "001908";
/* hrd=1: VUI HRD with fixed_pic_rate_general_flag set. */
static const char SPS_HRD[] =
    "42010101600000030090000003000003003fa005020171f2e595952930bc05a0200000030020000003032c02"
    "92cbc001e848003d0910";

static int sps_hex(const char *hex, struct ls_h265_sps *s)
{
    uint8_t nal[256];
    return ls_h265_parse_sps(nal, test_unhex(hex, nal, sizeof(nal)), s);
}

static void test_x265(void)
{
    uint8_t nal[256];
    struct ls_h265_vps v;
    CHECK_EQ_INT(ls_h265_parse_vps(nal, test_unhex(VPS_360, nal, sizeof(nal)), &v), 0);
    CHECK_EQ_INT(v.max_sub_layers, 1);
    CHECK_EQ_INT(v.temporal_id_nesting, 1);
    CHECK_EQ_INT(v.ptl.profile_space, 0);
    CHECK_EQ_INT(v.ptl.tier_flag, 0);
    CHECK_EQ_INT(v.ptl.profile_idc, 1);
    CHECK_EQ_INT(v.ptl.compatibility_flags, 0x60000000);
    CHECK_EQ_INT(v.ptl.constraint_flags, 0x900000000000);
    CHECK_EQ_INT(v.ptl.level_idc, 63);

    struct ls_h265_sps s;
    CHECK_EQ_INT(sps_hex(SPS_360, &s), 0);
    CHECK_EQ_INT(s.ptl.profile_idc, 1);
    CHECK_EQ_INT(s.ptl.level_idc, 63);
    CHECK_EQ_INT(s.ptl.constraint_flags, 0x900000000000);
    CHECK_EQ_INT(s.sps_id, 0);
    CHECK_EQ_INT(s.max_sub_layers, 1);
    CHECK_EQ_INT(s.temporal_id_nesting, 1);
    CHECK_EQ_INT(s.chroma_format_idc, 1);
    CHECK_EQ_INT(s.bit_depth_luma, 8);
    CHECK_EQ_INT(s.bit_depth_chroma, 8);
    CHECK_EQ_INT(s.width, 640);
    CHECK_EQ_INT(s.height, 360); /* coded 368, conformance window 4 chroma rows */
    CHECK(test_near(s.fps, 25.0));
    CHECK(!s.has_bitstream_restriction);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 0);

    CHECK_EQ_INT(sps_hex(SPS_720, &s), 0);
    CHECK_EQ_INT(s.width, 1280);
    CHECK_EQ_INT(s.height, 720);
    CHECK_EQ_INT(s.ptl.level_idc, 93);

    CHECK_EQ_INT(sps_hex(SPS_MAIN10, &s), 0);
    CHECK_EQ_INT(s.ptl.profile_idc, 2);
    CHECK_EQ_INT(s.bit_depth_luma, 10);
    CHECK_EQ_INT(s.bit_depth_chroma, 10);

    CHECK_EQ_INT(ls_h265_parse_vps(nal, test_unhex(VPS_TEMPORAL, nal, sizeof(nal)), &v), 0);
    CHECK_EQ_INT(v.max_sub_layers, 2);
    CHECK_EQ_INT(v.temporal_id_nesting, 0);
    CHECK_EQ_INT(v.ptl.level_idc, 63);
    CHECK_EQ_INT(sps_hex(SPS_TEMPORAL, &s), 0);
    CHECK_EQ_INT(s.max_sub_layers, 2);
    CHECK_EQ_INT(s.temporal_id_nesting, 0);
    CHECK_EQ_INT(s.width, 640);
    CHECK(test_near(s.fps, 25.0));

    CHECK_EQ_INT(sps_hex(SPS_HRD, &s), 0);
    CHECK(test_near(s.fps, 25.0));
    CHECK(!s.has_bitstream_restriction);

    struct ls_h265_pps p;
    CHECK_EQ_INT(ls_h265_parse_pps(nal, test_unhex(PPS_360, nal, sizeof(nal)), &p), 0);
    CHECK(p.entropy_coding_sync_enabled); /* x265 uses wavefronts by default */
    CHECK(!p.tiles_enabled);
}

static const struct h265_sps_params FULL = {
    .max_sub_minus1 = 2,
    .ptl = { .profile_idc = 4, .tier = 1, .level = 153, .compat = 0x08000000,
             .constraint = 0x9c0000000000, .sub_profile_present = true,
             .sub_level_present = true },
    .sps_id = 3, .chroma = 2, .width = 1928, .height = 1088,
    .conf = { 2, 2, 0, 8 },
    .depth_luma_minus8 = 2, .depth_chroma_minus8 = 2,
    .log2_poc_lsb_minus4 = 4,
    .scaling = true, .pcm = true, .rps = true, .long_term = 3,
    .vui = true, .vui_all = true, .units = 1001, .scale = 60000,
    .hrd = true, .hrd_params = { .nal = true, .vcl = true, .sub_pic = true, .cpb_cnt_minus1 = 2 },
    .restriction = true, .min_spatial = 17,
};

static int parse_sps_params(const struct h265_sps_params *p, struct ls_h265_sps *s)
{
    struct nal_writer *w = malloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    size_t size;
    const uint8_t *nal = h265w_sps(w, p, &size);
    int ret = ls_h265_parse_sps(nal, size, s);
    free(w);
    return ret;
}

/* min_spatial_segmentation_idc sits after everything else: reading it right proves the walk. */
static void test_crafted_sps(void)
{
    struct ls_h265_sps s;
    CHECK_EQ_INT(parse_sps_params(&FULL, &s), 0);
    CHECK_EQ_INT(s.sps_id, 3);
    CHECK_EQ_INT(s.max_sub_layers, 3);
    CHECK_EQ_INT(s.ptl.profile_idc, 4);
    CHECK_EQ_INT(s.ptl.tier_flag, 1);
    CHECK_EQ_INT(s.ptl.level_idc, 153);
    CHECK_EQ_INT(s.ptl.compatibility_flags, 0x08000000);
    CHECK_EQ_INT(s.ptl.constraint_flags, 0x9c0000000000);
    CHECK_EQ_INT(s.chroma_format_idc, 2);
    CHECK_EQ_INT(s.bit_depth_luma, 10);
    CHECK_EQ_INT(s.width, 1920);  /* 4:2:2: 2 pixels per unit across */
    CHECK_EQ_INT(s.height, 1080); /* and 1 row per unit down */
    CHECK(test_near(s.fps, 60000.0 / 1001.0));
    CHECK(s.has_bitstream_restriction);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 17);

    /* Each HRD shape on its own, and no HRD. */
    struct h265_sps_params p = FULL;
    p.hrd_params = (struct h265_hrd_params){ .nal = true, .cpb_cnt_minus1 = 0 };
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 17);
    p.hrd_params = (struct h265_hrd_params){ .vcl = true, .sub_pic = true, .cpb_cnt_minus1 = 31 };
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 17);
    p.hrd_params = (struct h265_hrd_params){ .cpb_cnt_minus1 = 4 };
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 17);
    p.hrd = false;
    p.max_sub_minus1 = 6;
    p.min_spatial = 4095;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.max_sub_layers, 7);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 4095);

    /* The longest legal prediction chain. */
    p = FULL;
    p.num_rps_extra_pred = 32;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 17);
}

static void test_crafted_geometry(void)
{
    struct ls_h265_sps s;
    struct h265_sps_params p = { .chroma = 1, .width = 1920, .height = 1088,
                                 .conf = { 1, 0, 0, 4 }, .vui = true, .units = 1,
                                 .scale = 30 };
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1918);
    CHECK_EQ_INT(s.height, 1080);
    CHECK(test_near(s.fps, 30.0));
    CHECK(!s.has_bitstream_restriction);

    p.chroma = 3;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1919);
    CHECK_EQ_INT(s.height, 1084);
    p.separate_planes = true;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.width, 1919);
    p.chroma = 0;
    p.separate_planes = false;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.chroma_format_idc, 0);
    CHECK_EQ_INT(s.height, 1084);

    /* No VUI at all, and VUI without timing: fps 0. */
    p.vui = false;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK(test_near(s.fps, 0.0));
    p.vui = true;
    p.units = 0;
    p.restriction = true;
    p.min_spatial = 0;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK(test_near(s.fps, 0.0));
    CHECK(s.has_bitstream_restriction);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 0);
}

static void test_malformed_sps(void)
{
    struct ls_h265_sps s;
    struct h265_sps_params p;
#define BAD(field_assignments)                                  \
    do {                                                        \
        p = FULL;                                               \
        field_assignments;                                      \
        CHECK_EQ_INT(parse_sps_params(&p, &s), -EBADMSG);       \
    } while (0)
    BAD(p.max_sub_minus1 = 7);
    BAD(p.sps_id = 16);
    BAD(p.chroma = 4);
    BAD(p.width = 0);
    BAD(p.height = 40000);
    BAD(p.conf[0] = 500; p.conf[1] = 500);
    BAD(p.conf[3] = 5000000);
    BAD(p.depth_luma_minus8 = 9);
    BAD(p.log2_poc_lsb_minus4 = 13);
    BAD(p.num_rps_extra_pred = 33);  /* a 33-picture set */
    BAD(p.num_rps_extra_pred = 60);  /* 65 sets */
    BAD(p.long_term = 33);
#undef BAD
    /* Errors inside the VUI cost only what the VUI carries, never the SPS. */
    struct ls_h265_sps ref;
    p = FULL;
    CHECK_EQ_INT(parse_sps_params(&p, &ref), 0);
    p.hrd_params.cpb_cnt_minus1 = 32;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK(s.fps == 0);
    CHECK_EQ_INT(s.width, ref.width);
    CHECK_EQ_INT(s.height, ref.height);
    p = FULL;
    p.min_spatial = 4096;
    CHECK_EQ_INT(parse_sps_params(&p, &s), 0);
    CHECK_EQ_INT(s.min_spatial_segmentation_idc, 0);
    CHECK(!s.has_bitstream_restriction);

    uint8_t nal[256];
    size_t n = test_unhex(SPS_360, nal, sizeof(nal));
    CHECK_EQ_INT(ls_h265_parse_vps(nal, n, &(struct ls_h265_vps){ 0 }), -EBADMSG);
    CHECK_EQ_INT(ls_h265_parse_pps(nal, n, &(struct ls_h265_pps){ 0 }), -EBADMSG);
    nal[0] |= 0x80;
    CHECK_EQ_INT(ls_h265_parse_sps(nal, n, &s), -EBADMSG);
    nal[0] &= 0x7f;
    CHECK_EQ_INT(ls_h265_parse_sps(nal, 2, &s), -EBADMSG);
    CHECK_EQ_INT(ls_h265_parse_sps(NULL, n, &s), -EBADMSG);
    CHECK_EQ_INT(ls_h265_parse_sps(nal, n, NULL), -EBADMSG);
}

/* Truncated before the VUI, a parse fails and leaves *out alone; inside the VUI it succeeds
 * without the VUI's values. Acceptance is monotonic in the length. */
static void test_truncated(void)
{
    struct nal_writer *w = malloc(sizeof(*w));
    CHECK(w != NULL);
    if (!w)
        return;
    size_t size;
    const uint8_t *nal = h265w_sps(w, &FULL, &size);
    size_t first_ok = size;
    bool monotonic = true;
    for (size_t len = 0; len < size; len++) {
        struct ls_h265_sps s;
        memset(&s, 0xab, sizeof(s));
        if (ls_h265_parse_sps(nal, len, &s) == 0) {
            if (first_ok == size)
                first_ok = len;
        } else {
            monotonic &= first_ok == size;
            CHECK_EQ_INT(s.width, 0xabababab);
        }
    }
    CHECK(monotonic);
    /* The FULL SPS has a long VUI (HRD, bitstream restriction): a cut there still parses. */
    CHECK(first_ok + 8 < size);
    struct ls_h265_sps cut;
    CHECK_EQ_INT(ls_h265_parse_sps(nal, first_ok, &cut), 0);
    CHECK(cut.fps == 0);
    free(w);

    uint8_t buf[64];
    size_t n = test_unhex(VPS_360, buf, sizeof(buf));
    int vps_ok = 0;
    for (size_t len = 0; len < n; len++)
        vps_ok += ls_h265_parse_vps(buf, len, &(struct ls_h265_vps){ 0 }) == 0;
    /* Only what hvcC needs is read: the PTL ends at byte 21 (2 header bytes,
     * 4 bytes of fields, 12 of PTL, 3 emulation prevention bytes). */
    CHECK_EQ_INT(vps_ok, (int)n - 21);
}

static void test_vps(void)
{
    struct nal_writer *w = malloc(sizeof(*w));
    CHECK(w != NULL);
    if (!w)
        return;
    struct h265_ptl_params ptl = { .profile_idc = 2, .tier = 1, .level = 120,
                                   .compat = 0x20000000, .constraint = 0xb00000000001,
                                   .sub_profile_present = true, .sub_level_present = true };
    size_t size;
    const uint8_t *nal = h265w_vps(w, 3, &ptl, 0xffff, &size);
    struct ls_h265_vps v;
    CHECK_EQ_INT(ls_h265_parse_vps(nal, size, &v), 0);
    CHECK_EQ_INT(v.max_sub_layers, 4);
    CHECK_EQ_INT(v.temporal_id_nesting, 0);
    CHECK_EQ_INT(v.ptl.profile_idc, 2);
    CHECK_EQ_INT(v.ptl.tier_flag, 1);
    CHECK_EQ_INT(v.ptl.level_idc, 120);
    CHECK_EQ_INT(v.ptl.constraint_flags, 0xb00000000001);

    nal = h265w_vps(w, 3, &ptl, 0xfffe, &size); /* vps_reserved_0xffff_16bits */
    CHECK_EQ_INT(ls_h265_parse_vps(nal, size, &v), -EBADMSG);
    nal = h265w_vps(w, 7, &ptl, 0xffff, &size);
    CHECK_EQ_INT(ls_h265_parse_vps(nal, size, &v), -EBADMSG);
    free(w);
}

static void test_pps(void)
{
    struct nal_writer *w = malloc(sizeof(*w));
    CHECK(w != NULL);
    if (!w)
        return;
    for (int mask = 0; mask < 8; mask++) {
        struct h265_pps_params p = { .pps_id = 63, .sps_id = 15, .cu_qp_delta = mask & 1,
                                     .tiles = mask & 2, .wpp = mask & 4 };
        size_t size;
        const uint8_t *nal = h265w_pps(w, &p, &size);
        struct ls_h265_pps out;
        CHECK_EQ_INT(ls_h265_parse_pps(nal, size, &out), 0);
        CHECK_EQ_INT(out.tiles_enabled, !!(mask & 2));
        CHECK_EQ_INT(out.entropy_coding_sync_enabled, !!(mask & 4));
    }
    size_t size;
    struct ls_h265_pps out;
    const uint8_t *nal = h265w_pps(w, &(struct h265_pps_params){ .pps_id = 64 }, &size);
    CHECK_EQ_INT(ls_h265_parse_pps(nal, size, &out), -EBADMSG);
    nal = h265w_pps(w, &(struct h265_pps_params){ .sps_id = 16 }, &size);
    CHECK_EQ_INT(ls_h265_parse_pps(nal, size, &out), -EBADMSG);
    nal = h265w_pps(w, &(struct h265_pps_params){ 0 }, &size);
    CHECK_EQ_INT(ls_h265_parse_pps(nal, 4, &out), -EBADMSG);
    free(w);
}

int main(void)
{
    test_x265();
    test_crafted_sps();
    test_crafted_geometry();
    test_malformed_sps();
    test_truncated();
    test_vps();
    test_pps();
    return test_done("codec-h265");
}
