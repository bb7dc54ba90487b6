/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the FLV tag writer. The input is a script: each step takes
 * an opcode byte and the parameters it needs from the input, calls one
 * writer function (enum values cast in unchecked, out of range included) and
 * checks what the header promises: prefix sizes within their maxima, the
 * fields read back from the bytes, and metadata never passing its cap. Every
 * output goes into an exactly-sized heap buffer so ASan sees any overrun.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/flv/flv.h"

struct input {
    const uint8_t *p;
    size_t n;
};

/* Reads @p bytes big-endian; missing input reads as zero. */
static uint64_t take(struct input *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v <<= 8;
        if (in->n) {
            v |= *in->p++;
            in->n--;
        }
    }
    return v;
}

static uint32_t be(const uint8_t *p, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static int32_t si24(const uint8_t *p)
{
    uint32_t v = be(p, 3);
    return v & 0x800000 ? (int32_t)v - 0x1000000 : (int32_t)v;
}

static int32_t clamp24(int32_t v)
{
    return v < -8388608 ? -8388608 : v > 8388607 ? 8388607 : v;
}

static bool valid_vcodec(int v)
{
    return v == LS_FLV_AVC || v == LS_FLV_HEVC_ENHANCED || v == LS_FLV_HEVC_CODEC12;
}

static bool valid_acodec(int v)
{
    return v == LS_FLV_AAC || v == LS_FLV_PCMA || v == LS_FLV_PCMU;
}

static void fuzz_file_header(struct input *in)
{
    uint8_t flags = (uint8_t)take(in, 1);
    uint8_t *out = malloc(LS_FLV_FILE_HEADER_SIZE);
    REQUIRE(out);
    ls_flv_file_header(out, flags & 1, flags & 2);
    REQUIRE(memcmp(out, "FLV\x01", 4) == 0);
    REQUIRE(out[4] == ((flags & 1 ? 4 : 0) | (flags & 2 ? 1 : 0)));
    REQUIRE(be(out + 5, 4) == 9 && be(out + 9, 4) == 0);
    free(out);
}

static void fuzz_tag_header(struct input *in)
{
    uint8_t type = (uint8_t)take(in, 1);
    uint32_t body = (uint32_t)take(in, 4) & LS_FLV_MAX_BODY_SIZE;
    uint32_t ts = (uint32_t)take(in, 4);
    uint8_t *out = malloc(LS_FLV_TAG_HEADER_SIZE);
    REQUIRE(out);
    ls_flv_tag_header(out, type, body, ts);
    REQUIRE(out[0] == (type & 0x1f));
    REQUIRE(be(out + 1, 3) == body);
    REQUIRE((be(out + 4, 3) | (uint32_t)out[7] << 24) == ts);
    REQUIRE(be(out + 8, 3) == 0);
    free(out);
}

static void fuzz_prev_size(struct input *in)
{
    uint32_t body = (uint32_t)take(in, 4) & LS_FLV_MAX_BODY_SIZE;
    uint8_t *out = malloc(LS_FLV_PREV_SIZE);
    REQUIRE(out);
    ls_flv_prev_size(out, body);
    REQUIRE(be(out, 4) == body + 11);
    free(out);
}

static void fuzz_video(struct input *in)
{
    int codec = (int)(int32_t)take(in, 4);
    bool seq = take(in, 1) & 1, key = take(in, 1) & 1;
    int32_t cts = (int32_t)take(in, 4);
    uint8_t *out = malloc(LS_FLV_VIDEO_PREFIX_MAX);
    REQUIRE(out);
    size_t n = seq ? ls_flv_video_seq_prefix(out, (enum ls_flv_vcodec)codec)
                   : ls_flv_video_frame_prefix(out, (enum ls_flv_vcodec)codec, key, cts);
    REQUIRE(n <= LS_FLV_VIDEO_PREFIX_MAX);
    if (!valid_vcodec(codec)) {
        REQUIRE(n == 0);
    } else if (codec == LS_FLV_HEVC_ENHANCED) {
        REQUIRE(out[0] & 0x80 && be(out + 1, 4) == LS_FLV_FOURCC_HVC1);
        int pt = out[0] & 0x0f, ft = out[0] >> 4 & 7;
        REQUIRE(seq ? pt == 0 && ft == 1 : ft == (key ? 1 : 2));
        if (!seq)
            REQUIRE(cts ? pt == 1 && n == 8 && si24(out + 5) == clamp24(cts)
                        : pt == 3 && n == 5);
    } else {
        int id = codec == LS_FLV_AVC ? 7 : 12;
        REQUIRE(n == 5 && (out[0] & 0x0f) == id && out[1] == (seq ? 0 : 1));
        REQUIRE(out[0] >> 4 == (seq || key ? 1 : 2));
        REQUIRE(si24(out + 2) == (seq ? 0 : clamp24(cts)));
    }
    free(out);
}

static void fuzz_audio(struct input *in)
{
    int codec = (int)(int32_t)take(in, 4);
    bool seq = take(in, 1) & 1;
    uint32_t channels = (uint32_t)take(in, 4);
    uint8_t *out = malloc(LS_FLV_AUDIO_PREFIX_MAX);
    REQUIRE(out);
    size_t n = ls_flv_audio_prefix(out, (enum ls_flv_acodec)codec, seq, channels);
    REQUIRE(n <= LS_FLV_AUDIO_PREFIX_MAX);
    if (!valid_acodec(codec))
        REQUIRE(n == 0);
    else if (codec == LS_FLV_AAC)
        REQUIRE(n == 2 && out[0] == 0xaf && out[1] == (seq ? 0 : 1));
    else
        REQUIRE(n == 1 && out[0] >> 4 == (codec == LS_FLV_PCMA ? 7 : 8) &&
                (out[0] & 0x0e) == 0x02 && (out[0] & 1) == (channels >= 2));
    free(out);
}

/* Walks the AMF0 body: string, ECMA array whose count matches, end marker. */
static void check_amf(const uint8_t *b, size_t n)
{
    REQUIRE(n >= 18 && b[0] == 2 && be(b + 1, 2) == 10 && memcmp(b + 3, "onMetaData", 10) == 0);
    REQUIRE(b[13] == 8);
    uint32_t declared = be(b + 14, 4), seen = 0;
    size_t pos = 18;
    for (;;) {
        REQUIRE(n - pos >= 3);
        size_t len = be(b + pos, 2);
        pos += 2;
        if (len == 0) {
            REQUIRE(b[pos] == 9 && pos + 1 == n);
            break;
        }
        REQUIRE(n - pos > len);
        pos += len;
        uint8_t type = b[pos++];
        size_t value = type == 0 ? 8 : type == 1 ? 1 : type == 2 && n - pos >= 2 ? 2 + be(b + pos, 2)
                                                                                  : SIZE_MAX;
        REQUIRE(value != SIZE_MAX && n - pos >= value);
        pos += value;
        seen++;
    }
    REQUIRE(seen == declared);
}

static double take_double(struct input *in)
{
    uint64_t bits = take(in, 8);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void fuzz_metadata(struct input *in)
{
    struct ls_flv_meta m = {
        .has_video = take(in, 1) & 1,
        .vcodec = (enum ls_flv_vcodec)(int32_t)take(in, 4),
        .width = (uint32_t)take(in, 4),
        .height = (uint32_t)take(in, 4),
        .framerate = take_double(in),
        .video_kbps = (uint32_t)take(in, 4),
        .has_audio = take(in, 1) & 1,
        .acodec = (enum ls_flv_acodec)(int32_t)take(in, 4),
        .audio_sample_rate = (uint32_t)take(in, 4),
        .audio_channels = (uint32_t)take(in, 4),
    };
    size_t cap = (size_t)take(in, 2) % (LS_FLV_METADATA_MAX + 64);
    uint8_t *out = malloc(cap); /* exact size: one byte past cap is an ASan report */
    REQUIRE(out || !cap);
    int ret = ls_flv_metadata_body(out, cap, &m);
    bool bad = (m.has_video && !valid_vcodec(m.vcodec)) || (m.has_audio && !valid_acodec(m.acodec));
    if (bad) {
        REQUIRE(ret == -EINVAL);
    } else if (ret == -ENOSPC) {
        REQUIRE(cap < LS_FLV_METADATA_MAX);
    } else {
        REQUIRE(ret > 0 && (size_t)ret <= cap && ret <= LS_FLV_METADATA_MAX);
        check_amf(out, (size_t)ret);
        /* One byte less must not fit, and must not write past the smaller cap. */
        uint8_t *small = malloc((size_t)ret - 1);
        REQUIRE(small);
        REQUIRE(ls_flv_metadata_body(small, (size_t)ret - 1, &m) == -ENOSPC);
        free(small);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    /* A bounded number of steps keeps every input fast. */
    for (int step = 0; step < 64 && in.n; step++) {
        switch (take(&in, 1) % 6) {
        case 0: fuzz_file_header(&in); break;
        case 1: fuzz_tag_header(&in); break;
        case 2: fuzz_prev_size(&in); break;
        case 3: fuzz_video(&in); break;
        case 4: fuzz_audio(&in); break;
        default: fuzz_metadata(&in); break;
        }
    }
    return 0;
}
