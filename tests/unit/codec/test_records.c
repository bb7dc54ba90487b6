/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * avcC and hvcC records. The expected bytes of the x264/x265 cases were
 * written by Debian 12's ffmpeg 5.1 into MP4 files (the oracle test redoes
 * that live); the crafted cases pin the summary rules FFmpeg applies across
 * several parameter sets (PTL merge, temporal layers, segmentation and
 * parallelism, last-SPS fields), and the error paths.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lightstream/codec.h"
#include "lib/codec/avcc.h"
#include "lib/codec/hvcc.h"
#include "tests/unit/codec/h265_writer.h"
#include "tests/unit/test.h"

#define MAX_HEX 512

struct hexbuf {
    uint8_t b[MAX_HEX];
    size_t n;
};

static struct hexbuf hex(const char *s)
{
    struct hexbuf h = { .n = 0 };
    for (; s[0] && s[1] && h.n < MAX_HEX; s += 2) {
        char byte[3] = { s[0], s[1], 0 };
        h.b[h.n++] = (uint8_t)strtoul(byte, NULL, 16);
    }
    return h;
}

static struct ls_nal nal_of(const struct hexbuf *h)
{
    return (struct ls_nal){ h->b, h->n };
}

static void check_record(int got_size, const uint8_t *got, const char *want_hex)
{
    struct hexbuf want = hex(want_hex);
    CHECK_EQ_INT(got_size, want.n);
    if (got_size == (int)want.n)
        CHECK_EQ_MEM(got, want.b, want.n);
}

/* x264 parameter sets and the avcC ffmpeg 5.1 wrote for them. */
static const struct {
    const char *sps, *pps, *avcc;
} AVC_CASES[] = {
    { "6742c01eda0280bfe5c044000003000400000300c83c58ba80", "68ce0fc8",
      "0142c01effe100196742c01eda0280bfe5c044000003000400000300c83c58ba8001000468ce0fc8" },
    { "674d401eeca05017fcb808800000030080000019078b16cb", "68ef8fc8",
      "014d401effe10018674d401eeca05017fcb808800000030080000019078b16cb01000468ef8fc8" },
    /* High: FFmpeg appends chroma_format, bit depths and a zero SPS-extension count. */
    { "67640028acd940780227e5c044000003000400000300c83c60c658", "68ef8fcb",
      "01640028ffe1001b67640028acd940780227e5c044000003000400000300c83c60c65801000468ef8fcbfdf8"
      "f800" },
    { "67f4001e919b281405ff1380880000030008000003019078b16cb0", "68ef8f192190",
      "01f4001effe1001b67f4001e919b281405ff1380880000030008000003019078b16cb001000668ef8f192190ff"
      "f8f800" },
};

static void test_avcc_ffmpeg(void)
{
    for (size_t i = 0; i < sizeof(AVC_CASES) / sizeof(AVC_CASES[0]); i++) {
        struct hexbuf sps = hex(AVC_CASES[i].sps), pps = hex(AVC_CASES[i].pps);
        struct ls_nal s = nal_of(&sps), p = nal_of(&pps);
        uint8_t out[256];
        int n = ls_avcc_build(out, sizeof(out), &s, 1, &p, 1);
        check_record(n, out, AVC_CASES[i].avcc);

        /* Every capacity short of the size fails without writing past it. */
        for (int cap = 0; cap < n; cap++) {
            uint8_t small[256];
            memset(small, 0xee, sizeof(small));
            CHECK_EQ_INT(ls_avcc_build(small, (size_t)cap, &s, 1, &p, 1), -ENOSPC);
            CHECK_EQ_INT(small[cap], 0xee);
        }
    }
}

static void test_avcc_several(void)
{
    struct hexbuf sps0 = hex(AVC_CASES[2].sps), sps1 = hex(AVC_CASES[0].sps);
    struct hexbuf pps0 = hex(AVC_CASES[2].pps), pps1 = hex(AVC_CASES[3].pps);
    struct ls_nal sps[2] = { nal_of(&sps0), nal_of(&sps1) };
    struct ls_nal pps[2] = { nal_of(&pps0), nal_of(&pps1) };
    uint8_t out[256];
    int n = ls_avcc_build(out, sizeof(out), sps, 2, pps, 2);
    CHECK_EQ_INT(n, 6 + 2 + 27 + 2 + 25 + 1 + 2 + 4 + 2 + 6 + 4);
    CHECK_EQ_INT(out[1], 0x64);          /* from the first SPS */
    CHECK_EQ_INT(out[5], 0xe2);          /* two SPS */
    CHECK_EQ_INT(out[6 + 2 + 27 + 2 + 25], 2); /* two PPS */
    CHECK_EQ_INT(out[n - 4], 0xfd);      /* tail: 4:2:0 of the first SPS */
    CHECK_EQ_INT(out[n - 1], 0);
}

/* A minimal SPS; profiles with chroma fields get 4:4:4 at 9 bits. */
static const uint8_t *craft_h264_sps(struct nal_writer *w, unsigned profile, size_t *size)
{
    nw_init(w);
    nw_u(w, profile, 8);
    nw_u(w, 0, 8);
    nw_u(w, 31, 8);
    nw_ue(w, 0);
    if (profile == 44 || profile == 118 || profile >= 100) {
        nw_ue(w, 3);
        nw_u(w, 0, 1);
        nw_ue(w, 1);
        nw_ue(w, 1);
        nw_u(w, 0, 2);
    }
    nw_ue(w, 0);
    nw_ue(w, 2);
    nw_ue(w, 1);
    nw_u(w, 0, 1);
    nw_ue(w, 39);
    nw_ue(w, 29);
    nw_u(w, 1, 1);
    nw_u(w, 1, 1);
    nw_u(w, 0, 1);
    nw_u(w, 0, 1);
    return nw_finish(w, (const uint8_t[]){ 0x67 }, 1, size);
}

/* FFmpeg's rule for the tail: every profile but Baseline, Main and Extended. */
static void test_avcc_tail_rule(void)
{
    static const struct { unsigned profile; bool tail; } cases[] = {
        { 66, false }, { 77, false }, { 88, false }, { 44, true }, { 100, true },
        { 118, true }, { 244, true },
    };
    struct nal_writer *w = malloc(sizeof(*w));
    CHECK(w != NULL);
    if (!w)
        return;
    struct hexbuf pps = hex(AVC_CASES[0].pps);
    struct ls_nal p = nal_of(&pps);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t size;
        const uint8_t *nal = craft_h264_sps(w, cases[i].profile, &size);
        struct ls_nal s = { nal, size };
        uint8_t out[128];
        int n = ls_avcc_build(out, sizeof(out), &s, 1, &p, 1);
        CHECK_EQ_INT(n, (int)(6 + 2 + size + 1 + 2 + pps.n + (cases[i].tail ? 4 : 0)));
        if (cases[i].tail && n >= 4)
            CHECK_EQ_MEM(out + n - 4, ((const uint8_t[]){ 0xff, 0xf9, 0xf9, 0 }), 4);
    }
    free(w);
}

static void test_avcc_errors(void)
{
    struct hexbuf sps = hex(AVC_CASES[0].sps), pps = hex(AVC_CASES[0].pps);
    struct ls_nal s = nal_of(&sps), p = nal_of(&pps);
    uint8_t out[256];
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &s, 0, &p, 1), -EBADMSG);
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &s, 1, &p, 0), -EBADMSG);
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), NULL, 1, &p, 1), -EBADMSG);
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &p, 1, &s, 1), -EBADMSG); /* swapped */
    CHECK_EQ_INT(ls_avcc_build(NULL, 0, &s, 1, &p, 1), -ENOSPC);

    struct ls_nal cut = { s.data, 6 }; /* an SPS that does not parse */
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &cut, 1, &p, 1), -EBADMSG);
    struct ls_nal empty = { p.data, 0 };
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &s, 1, &empty, 1), -EBADMSG);

    /* Counts beyond the record's 5-bit and 8-bit fields. */
    struct ls_nal many[256];
    for (int i = 0; i < 256; i++)
        many[i] = s;
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), many, 32, &p, 1), -EBADMSG);
    for (int i = 0; i < 256; i++)
        many[i] = p;
    CHECK_EQ_INT(ls_avcc_build(out, sizeof(out), &s, 1, many, 256), -EBADMSG);
    uint8_t *big = malloc(4096 + 6);
    CHECK_EQ_INT(ls_avcc_build(big, 4096 + 6, &s, 1, many, 255), 6 + 2 + 25 + 1 + 255 * 6);
    free(big);
}

/* x265 parameter sets and the hvcC ffmpeg 5.1 wrote for them ('hev1'). */
static const struct {
    const char *vps, *sps, *pps, *hvcc;
} HEVC_CASES[] = {
    { "40010c01ffff01600000030090000003000003003f959409",
      "42010101600000030090000003000003003fa005020171f2e595952930bc05a02000000300200000030321",
      "4401c073c189",
      "0101600000009000000000003ff000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000"
      "03003f959409210001002b42010101600000030090000003000003003fa005020171f2e595952930bc05a02000"
      "00030020000003032122000100064401c073c189" },
    { "40010c01ffff01600000030090000003000003005d959409",
      "42010101600000030090000003000003005da00280802d16595952930bc05a020000030002000003003210",
      "4401c073c189",
      "0101600000009000000000005df000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000"
      "03005d959409210001002b42010101600000030090000003000003005da00280802d16595952930bc05a020000"
      "03000200000300321022000100064401c073c189" },
    /* Two temporal sub-layers: numTemporalLayers 2, temporalIdNested 0 (byte 0x13). */
    { "40010c02ffff01600000030090000003000003003f00009594aca048",
      "42010201600000030090000003000003003f0000a005020171f2e59594aca94985e02d0100000300010000030019"
      "08",
      "4401c073c189",
      "0101600000009000000000003ff000fcfdf8f800001303200001001c40010c02ffff016000000300900000030000"
      "03003f00009594aca048210001002f42010201600000030090000003000003003f0000a005020171f2e59594ac"
      "a94985e02d01000003000100000300190822000100064401c073c189" },
};

static void test_hvcc_ffmpeg(void)
{
    for (size_t i = 0; i < sizeof(HEVC_CASES) / sizeof(HEVC_CASES[0]); i++) {
        struct hexbuf vps = hex(HEVC_CASES[i].vps), sps = hex(HEVC_CASES[i].sps);
        struct hexbuf pps = hex(HEVC_CASES[i].pps);
        struct ls_nal v = nal_of(&vps), s = nal_of(&sps), p = nal_of(&pps);
        uint8_t out[512];
        int n = ls_hvcc_build(out, sizeof(out), &v, 1, &s, 1, &p, 1);
        check_record(n, out, HEVC_CASES[i].hvcc);
        for (int cap = 0; cap < n; cap++) {
            uint8_t small[512];
            memset(small, 0xee, sizeof(small));
            CHECK_EQ_INT(ls_hvcc_build(small, (size_t)cap, &v, 1, &s, 1, &p, 1), -ENOSPC);
            CHECK_EQ_INT(small[cap], 0xee);
        }

        /* 'hvc1' marks the parameter set arrays complete; nothing else changes. */
        uint8_t complete[512];
        int m = ls_hvcc_build_ex(complete, sizeof(complete), &v, 1, &s, 1, &p, 1,
                                 LS_HVCC_ARRAYS_COMPLETE);
        CHECK_EQ_INT(m, n);
        size_t at[3] = { 23, 23 + 3 + 2 + vps.n, 23 + 3 + 2 + vps.n + 3 + 2 + sps.n };
        for (int k = 0; k < 3; k++) {
            CHECK_EQ_INT(complete[at[k]], 0x80 | out[at[k]]);
            complete[at[k]] = out[at[k]];
        }
        CHECK_EQ_MEM(complete, out, (size_t)n);
    }
}

/* Crafted parameter sets; each lives in its own writer. */
struct crafted {
    struct nal_writer w[6];
    struct ls_nal vps[2], sps[2], pps[2];
};

static void craft_vps(struct crafted *c, int i, unsigned max_sub_minus1,
                      const struct h265_ptl_params *ptl)
{
    size_t size;
    const uint8_t *nal = h265w_vps(&c->w[i], max_sub_minus1, ptl, 0xffff, &size);
    c->vps[i] = (struct ls_nal){ nal, size };
}

static void craft_sps(struct crafted *c, int i, const struct h265_sps_params *p)
{
    size_t size;
    const uint8_t *nal = h265w_sps(&c->w[2 + i], p, &size);
    c->sps[i] = (struct ls_nal){ nal, size };
}

static void craft_pps(struct crafted *c, int i, bool tiles, bool wpp)
{
    size_t size;
    const uint8_t *nal = h265w_pps(&c->w[4 + i], &(struct h265_pps_params){ .pps_id = (unsigned)i,
                                   .tiles = tiles, .wpp = wpp }, &size);
    c->pps[i] = (struct ls_nal){ nal, size };
}

static const struct h265_sps_params BASE_SPS = {
    .ptl = { .profile_idc = 1, .level = 93, .compat = 0x60000000, .constraint = 0x900000000000 },
    .nesting = true, .chroma = 1, .width = 1280, .height = 720,
};

static int build(struct crafted *c, size_t nv, size_t ns, size_t np, uint8_t *out)
{
    return ls_hvcc_build(out, 1024, c->vps, nv, c->sps, ns, c->pps, np);
}

static void test_hvcc_ptl_merge(struct crafted *c)
{
    uint8_t out[1024];
    struct h265_sps_params sp = BASE_SPS;
    /* Highest profile, highest level within a tier, flags ANDed. */
    craft_vps(c, 0, 0, &(struct h265_ptl_params){ .profile_idc = 1, .level = 120,
              .compat = 0x60000000, .constraint = 0x9000000000ff });
    sp.ptl = (struct h265_ptl_params){ .profile_idc = 2, .level = 93, .compat = 0x20000000,
                                       .constraint = 0xb000000000f0 };
    craft_sps(c, 0, &sp);
    craft_pps(c, 0, false, false);
    CHECK(build(c, 1, 1, 1, out) > 0);
    CHECK_EQ_INT(out[1], 0x02);
    CHECK_EQ_MEM(out + 2, ((const uint8_t[]){ 0x20, 0, 0, 0, 0x90, 0, 0, 0, 0, 0xf0 }), 10);
    CHECK_EQ_INT(out[12], 120);

    /* A higher tier brings its own level, even a lower one. */
    craft_vps(c, 0, 0, &(struct h265_ptl_params){ .profile_idc = 1, .level = 153 });
    sp.ptl = (struct h265_ptl_params){ .profile_idc = 1, .tier = 1, .level = 90 };
    craft_sps(c, 0, &sp);
    CHECK(build(c, 1, 1, 1, out) > 0);
    CHECK_EQ_INT(out[1], 0x21);
    CHECK_EQ_INT(out[12], 90);

    /* Once the tier is high, later main-tier levels still raise the level. */
    craft_vps(c, 0, 0, &(struct h265_ptl_params){ .profile_idc = 1, .tier = 1, .level = 90 });
    sp.ptl = (struct h265_ptl_params){ .profile_idc = 1, .level = 153, .profile_space = 1 };
    craft_sps(c, 0, &sp);
    CHECK(build(c, 1, 1, 1, out) > 0);
    CHECK_EQ_INT(out[1], 0x61); /* profile_space 1 (from the SPS), tier 1, profile 1 */
    CHECK_EQ_INT(out[12], 153);
}

static void test_hvcc_fields(struct crafted *c)
{
    uint8_t out[1024];
    struct h265_ptl_params ptl = BASE_SPS.ptl;
    /* numTemporalLayers: the largest of VPS and SPS; temporalIdNested: the SPS's. */
    craft_vps(c, 0, 3, &ptl);
    struct h265_sps_params sp = BASE_SPS;
    craft_sps(c, 0, &sp);
    craft_pps(c, 0, false, true);
    CHECK(build(c, 1, 1, 1, out) > 0);
    CHECK_EQ_INT(out[21], 4 << 3 | 1 << 2 | 3);
    CHECK_EQ_INT(out[13], 0xf0); /* no bitstream_restriction: 0 ... */
    CHECK_EQ_INT(out[14], 0x00);
    CHECK_EQ_INT(out[15], 0xfc); /* ... and then parallelismType 0 despite wavefronts */

    /* min_spatial_segmentation_idc with each parallelism of the last PPS. */
    static const struct { bool tiles, wpp; uint8_t type; } par[] = {
        { false, false, 1 }, { true, false, 2 }, { false, true, 3 }, { true, true, 0 },
    };
    sp.restriction = true;
    sp.min_spatial = 300;
    sp.vui = true;
    craft_vps(c, 0, 0, &ptl);
    craft_sps(c, 0, &sp);
    for (size_t i = 0; i < 4; i++) {
        craft_pps(c, 0, !par[i].tiles, par[i].wpp); /* overridden by the last PPS */
        craft_pps(c, 1, par[i].tiles, par[i].wpp);
        CHECK(build(c, 1, 1, 2, out) > 0);
        CHECK_EQ_INT(out[13], 0xf1);
        CHECK_EQ_INT(out[14], 300 & 0xff);
        CHECK_EQ_INT(out[15], 0xfc | par[i].type);
        CHECK_EQ_INT(out[21], 1 << 3 | 1 << 2 | 3);
    }

    /* Two SPS: the smallest signalled segmentation; the last one's format. */
    struct h265_sps_params sp2 = BASE_SPS;
    sp2.chroma = 2;
    sp2.depth_luma_minus8 = 2;
    sp2.depth_chroma_minus8 = 4;
    sp2.sps_id = 1;
    sp2.nesting = false;
    sp.restriction = false;
    craft_sps(c, 0, &sp);          /* says nothing about segmentation */
    sp2.vui = true;
    sp2.restriction = true;
    sp2.min_spatial = 20;
    craft_sps(c, 1, &sp2);
    craft_pps(c, 0, false, true);
    int n = build(c, 1, 2, 1, out);
    CHECK(n > 0);
    CHECK_EQ_MEM(out + 13, ((const uint8_t[]){ 0xf0, 20, 0xff, 0xfe, 0xfa, 0xfc, 0, 0, 0x0b }), 9);
    CHECK_EQ_INT(out[22], 3);      /* numOfArrays */
    CHECK_EQ_INT(out[23 + 3 + 2 + c->vps[0].size + 1], 0); /* SPS array: 2 NAL units */
    CHECK_EQ_INT(out[23 + 3 + 2 + c->vps[0].size + 2], 2);

    sp.restriction = true;         /* an explicit 0 wins over 20 */
    sp.min_spatial = 0;
    craft_sps(c, 0, &sp);
    CHECK(build(c, 1, 2, 1, out) > 0);
    CHECK_EQ_MEM(out + 13, ((const uint8_t[]){ 0xf0, 0, 0xfc }), 3);
}

static void test_hvcc_errors(struct crafted *c)
{
    uint8_t out[1024];
    struct h265_sps_params sp = BASE_SPS;
    craft_vps(c, 0, 0, &sp.ptl);
    craft_sps(c, 0, &sp);
    craft_pps(c, 0, false, false);
    CHECK(build(c, 1, 1, 1, out) > 0);
    CHECK_EQ_INT(build(c, 0, 1, 1, out), -EBADMSG);
    CHECK_EQ_INT(build(c, 1, 0, 1, out), -EBADMSG);
    CHECK_EQ_INT(build(c, 1, 1, 0, out), -EBADMSG);
    CHECK_EQ_INT(ls_hvcc_build(out, sizeof(out), c->sps, 1, c->vps, 1, c->pps, 1), -EBADMSG);
    CHECK_EQ_INT(ls_hvcc_build(NULL, 0, c->vps, 1, c->sps, 1, c->pps, 1), -ENOSPC);

    struct ls_nal keep = c->sps[0];
    c->sps[0].size = 10;           /* does not parse */
    CHECK_EQ_INT(build(c, 1, 1, 1, out), -EBADMSG);
    c->sps[0] = keep;
    keep = c->pps[0];
    c->pps[0].size = 3;
    CHECK_EQ_INT(build(c, 1, 1, 1, out), -EBADMSG);
    c->pps[0] = keep;

    struct ls_nal many[17];
    for (int i = 0; i < 17; i++)
        many[i] = c->vps[0];
    CHECK_EQ_INT(ls_hvcc_build(out, sizeof(out), many, 17, c->sps, 1, c->pps, 1), -EBADMSG);
}

/* RFC 6381 strings of FFmpeg's records above (ISO/IEC 14496-15 Annex E for hvc1). */
static void test_codec_string(void)
{
    char s[LS_CODEC_STRING_MAX];
    struct hexbuf avcc = hex(AVC_CASES[2].avcc), hvcc = hex(HEVC_CASES[0].hvcc);
    CHECK_EQ_INT(ls_codec_string("avc1", avcc.b, avcc.n, s, sizeof(s)), 11);
    CHECK_EQ_STR(s, "avc1.640028");
    CHECK(ls_codec_string("hvc1", hvcc.b, hvcc.n, s, sizeof(s)) > 0);
    CHECK_EQ_STR(s, "hvc1.1.6.L63.90");
    CHECK(ls_codec_string("hev1", hvcc.b, hvcc.n, s, 8) > 8); /* truncated like snprintf */
    CHECK_EQ_STR(s, "hev1.1.");
    CHECK_EQ_INT(ls_codec_string("hvc1", hvcc.b, 12, s, sizeof(s)), -EINVAL);
    CHECK_EQ_STR(s, "hvc1");
    CHECK_EQ_INT(ls_codec_string("vp09", avcc.b, avcc.n, s, sizeof(s)), -EINVAL);
    CHECK_EQ_STR(s, "");
    CHECK_EQ_INT(ls_codec_string(NULL, NULL, 0, s, sizeof(s)), -EINVAL);
}

int main(void)
{
    test_codec_string();
    test_avcc_ffmpeg();
    test_avcc_several();
    test_avcc_tail_rule();
    test_avcc_errors();
    test_hvcc_ffmpeg();
    struct crafted *c = calloc(1, sizeof(*c));
    CHECK(c != NULL);
    if (c) {
        test_hvcc_ptl_merge(c);
        test_hvcc_fields(c);
        test_hvcc_errors(c);
        free(c);
    }
    return test_done("codec-records");
}
